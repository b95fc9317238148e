"""`make bench`: images and videos of a data folder under every protocol, out-of-sample
calibration and fusion, JSON outputs, ROC plots and docs/BENCHMARKS.md.

    python -m huiyan.bench.make_all --data ../shared/data --out out/bench --docs docs
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huiyan.bench.protocols import ALL_PROTOCOLS

PRIOR = 0.5


@dataclass
class Dataset:
    data: str
    entries: dict[tuple[str, str], Any]
    records: list[dict[str, Any]]
    version: str
    seconds: float
    n_run: int
    n_cached: int


def _subsample(entries: list, limit: int | None) -> list:
    if not limit or limit >= len(entries):
        return entries
    step = len(entries) / limit
    return [entries[int(i * step)] for i in range(limit)]


def collect(data: str | Path, work: str | Path, *, limit: int | None = None, workers: int = 2,
            protocols: tuple[str, ...] = ALL_PROTOCOLS, folders: tuple[str, ...] = ("images", "videos"),
            progress: bool = True, reuse_stale: bool = False, published: bool = True) -> Dataset:
    from huiyan.bench import runner
    from huiyan.bench.manifest import data_version, load_manifest

    data = Path(data)
    roots = [data / f for f in folders if (data / f / "MANIFEST.csv").exists()]
    if not roots and (data / "MANIFEST.csv").exists():
        roots = [data]
    if not roots:
        raise SystemExit(f"no MANIFEST.csv under {data}")
    entries = []
    for r in roots:
        entries += _subsample(load_manifest(r), limit)
    t0 = time.time()
    records = runner.run_entries(entries, list(protocols), work, workers=workers, progress=progress,
                                 reuse_stale=reuse_stale, published=published)
    return Dataset(
        data=str(data),
        entries={(e.media, e.relative_path): e for e in entries},
        records=records,
        version=data_version(*roots),
        seconds=time.time() - t0,
        n_run=runner.LAST_STATS.get("run", 0),
        n_cached=runner.LAST_STATS.get("cached", 0),
    )


def band_error_rates(rows) -> dict[str, Any]:
    """Measured (out-of-sample, nested) rates of each verdict band, pooled over media types and
    protocols, with the worst protocol's false-positive rate for the synthetic side."""
    from huiyan.bench.metrics import clopper_pearson

    order = ["synthetic", "likely_synthetic", "inconclusive", "likely_authentic", "authentic"]
    reals = [r for r in rows if r.y == 0]
    mans = [r for r in rows if r.y == 1]
    groups = sorted({(r.media_type, r.protocol) for r in rows})
    out = {}
    for i, b in enumerate(order):
        d: dict[str, Any] = {
            "share_of_camera_originals": round(sum(r.verdict == b for r in reals) / max(1, len(reals)), 4),
            "share_of_manipulated": round(sum(r.verdict == b for r in mans) / max(1, len(mans)), 4),
            "n_real": len(reals),
            "n_manipulated": len(mans),
        }
        if i < 2:  # synthetic side: camera originals reaching this band or a stronger one
            stronger = set(order[: i + 1])
            k = sum(r.verdict in stronger for r in reals)
            d["false_positive_rate"] = round(k / max(1, len(reals)), 4)
            d["false_positive_rate_ci95"] = [round(x, 4) for x in clopper_pearson(k, len(reals))]
            worst = 0.0
            for g in groups:
                gr = [r for r in reals if (r.media_type, r.protocol) == g]
                if gr:
                    worst = max(worst, sum(r.verdict in stronger for r in gr) / len(gr))
            d["worst_protocol_false_positive_rate"] = round(worst, 4)
            d["true_positive_rate"] = round(sum(r.verdict in stronger for r in mans) / max(1, len(mans)), 4)
            d["en"] = (f"measured out of sample: {100 * d['false_positive_rate']:.1f}% of {len(reals)} camera-"
                       f"original test files (items x protocols; worst protocol {100 * worst:.1f}%) and {100 * d['true_positive_rate']:.1f}% "
                       f"of {len(mans)} manipulated items reach this band or a stronger one")
            d["zh"] = (f"样本外实测：{len(reals)} 个相机原始测试文件（样本×协议）中 {100 * d['false_positive_rate']:.1f}%"
                       f"（最差协议 {100 * worst:.1f}%）、{len(mans)} 个篡改/生成样本中 "
                       f"{100 * d['true_positive_rate']:.1f}% 达到此档或更强档")
        elif i > 2:  # authentic side: manipulated items reaching this band or a stronger one
            stronger = set(order[i:])
            k = sum(r.verdict in stronger for r in mans)
            d["miss_rate"] = round(k / max(1, len(mans)), 4)
            d["miss_rate_ci95"] = [round(x, 4) for x in clopper_pearson(k, len(mans))]
            d["real_rate"] = round(sum(r.verdict in stronger for r in reals) / max(1, len(reals)), 4)
            d["en"] = (f"measured out of sample: {100 * d['miss_rate']:.1f}% of {len(mans)} manipulated items "
                       f"and {100 * d['real_rate']:.1f}% of {len(reals)} camera originals reach this band or a "
                       f"stronger one")
            d["zh"] = (f"样本外实测：{len(mans)} 个篡改/生成样本中 {100 * d['miss_rate']:.1f}%、"
                       f"{len(reals)} 个相机原始样本中 {100 * d['real_rate']:.1f}% 达到此档或更强档")
        else:
            d["en"] = (f"measured out of sample: {100 * d['share_of_camera_originals']:.1f}% of camera originals "
                       f"and {100 * d['share_of_manipulated']:.1f}% of manipulated items fall here")
            d["zh"] = (f"样本外实测：相机原始样本 {100 * d['share_of_camera_originals']:.1f}%、篡改/生成样本 "
                       f"{100 * d['share_of_manipulated']:.1f}% 落在此档")
        out[b] = d
    return out


def calibration_dict(ds: Dataset, ev: dict[str, Any], rows) -> dict[str, Any]:
    from huiyan.bench.evaluate import fit_calibration
    from huiyan.fusion.combine import DISAGREEMENT_LLR, FAMILY_CAP

    shipped = fit_calibration(rows)
    return {
        "data_version": ds.version,
        "data_version_of": "sha256 over images/MANIFEST.csv and videos/MANIFEST.csv",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "prior": PRIOR,
        "family_cap": FAMILY_CAP,
        "disagreement_llr": DISAGREEMENT_LLR,
        "bands": ev["bands"],
        "bands_by_media": ev.get("bands_by_media", {}),
        "family_weights": ev.get("family_weights", {}),
        "method_weights": ev.get("method_weights", {}),
        "band_error_rates": band_error_rates(rows),
        "band_error_rates_by_media": {mt: band_error_rates([r for r in rows if r.media_type == mt])
                                      for mt in sorted({r.media_type for r in rows})},
        "scheme": "per-method logistic score->LLR (slope x asinh of the robustly standardised score) fitted on all items "
                  "and protocols, a method naming one kind of manipulation on that kind's items against camera "
                  "originals; method and family weights fitted together on out-of-sample LLRs, on the "
                  "class-balanced log-loss of the fused mixture LLR (ridge towards 1); bands chosen on "
                  "out-of-sample fused LLRs (leave-source-and-generator-out), per media type, so that FPR on "
                  "camera originals <= 1% at likely_synthetic under every protocol of that media type; band "
                  "error rates measured with nested out-of-sample bands",
        "methods": shipped["methods"],
        "per_media_methods": shipped.get("per_media_methods", []),
        "detection_by_kind": detection_by_kind(rows),
        "detection_by_kind_of": "out of sample: per media type, kind of manipulation and protocol, the number of "
                                "items, the share reaching likely_synthetic or above, and the AUC of the fused LLR "
                                "against all camera originals of that media type and protocol",
        "method_metrics": method_metrics(rows),
        "method_metrics_of": "out-of-sample AUC of each method's calibrated LLR (not applicable = 0) per media "
                             "type and protocol, and the share of files where it applies",
    }


def detection_by_kind(rows) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """What an examiner must know about an `inconclusive` result: how often each kind of
    manipulation (text-to-video, local edit, face swap ...) reached the likely_synthetic band, and
    how well the fused LLR ranks it above camera originals, per media type and protocol."""
    from huiyan.bench.metrics import auc
    from huiyan.bench.report import SIDE_SYN, manipulation_kind

    out: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for mt, p in sorted({(r.media_type, r.protocol) for r in rows}):
        g = [r for r in rows if r.media_type == mt and r.protocol == p]
        reals = [r.llr for r in g if r.y == 0]
        by_kind: dict[str, list] = {}
        for r in g:
            if r.y == 1:
                by_kind.setdefault(manipulation_kind(r.label, r.generator), []).append(r)
        for k, pos in sorted(by_kind.items()):
            d = {"n": len(pos), "flagged": round(sum(r.verdict in SIDE_SYN for r in pos) / len(pos), 4)}
            if reals:
                d["auc"] = round(auc([1] * len(pos) + [0] * len(reals), [r.llr for r in pos] + reals), 3)
            out.setdefault(mt, {}).setdefault(k, {})[p] = d
    return out


def method_metrics(rows) -> dict[str, dict[str, float]]:
    """Out-of-sample AUC and coverage of every method per media type and protocol (no intervals:
    BENCHMARKS.md has them)."""
    from huiyan.bench.metrics import auc

    out: dict[str, dict[str, float]] = {}
    groups = sorted({(r.media_type, r.protocol) for r in rows})
    methods = sorted({f["method"] for r in rows for f in r.findings})
    for m in methods:
        d: dict[str, float] = {}
        for mt, p in groups:
            g = [r for r in rows if r.media_type == mt and r.protocol == p
                 and any(f["method"] == m for f in r.findings)]
            if not g:
                continue
            a = auc([r.y for r in g], [r.method_llr.get(m, 0.0) for r in g])
            cov = sum(m in r.method_llr for r in g) / len(g)
            if a == a:  # not NaN
                d[f"auc_{mt}_{p}"] = round(a, 3)
            d[f"coverage_{mt}_{p}"] = round(cov, 3)
        out[m] = d
    return out


def write_calibration(ds: Dataset, out: str | Path, ev: dict[str, Any] | None = None) -> dict[str, Any]:
    from huiyan.bench.evaluate import evaluate, make_rows

    if ev is None:
        ev = evaluate(make_rows(ds.records, ds.entries))
    cal = calibration_dict(ds, ev, ev["rows"])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cal, indent=1, ensure_ascii=False) + "\n")
    return cal


def bench(ds: Dataset, out: Path, docs: Path | None, *, calibration_out: Path | None = None) -> dict[str, Any]:
    from huiyan.bench import markdown, report
    from huiyan.bench.evaluate import evaluate, make_rows

    t0 = time.time()
    ev = evaluate(make_rows(ds.records, ds.entries), progress=False)
    rows = ev["rows"]
    summary = report.full_summary(rows)
    cal = calibration_dict(ds, ev, rows)
    summary["bands_shipped"] = ev["bands"]
    summary["bands_shipped_by_media"] = ev.get("bands_by_media", {})
    summary["family_weights_shipped"] = ev.get("family_weights", {})
    summary["family_weights_per_fold"] = ev.get("fold_weights", {})
    summary["method_weights_shipped"] = ev.get("method_weights", {})
    summary["method_weights_per_fold"] = ev.get("fold_method_weights", {})
    summary["band_error_rates"] = cal["band_error_rates"]
    report.write_outputs(rows, summary, out)
    (out / "calibration_candidate.json").write_text(json.dumps(cal, indent=1, ensure_ascii=False))
    if calibration_out:
        calibration_out.write_text(json.dumps(cal, indent=1, ensure_ascii=False) + "\n")
    plot_dir = docs if docs else out
    plots = report.roc_plots(rows, summary, plot_dir)
    if docs:
        n_img = sum(1 for e in ds.entries.values() if e.media == "images")
        meta = {
            "data": ds.data, "data_version": ds.version, "n_images": n_img, "n_videos": len(ds.entries) - n_img,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "seconds": ds.seconds + (time.time() - t0),
            "n_jobs_run": ds.n_run, "n_jobs_cached": ds.n_cached, "methods": _measured_versions(ds),
            "runtime": _runtime(ds), "prior": PRIOR, "bands": ev["bands"],
            "bands_by_media": ev.get("bands_by_media", {}), "family_weights": ev.get("family_weights", {}),
            "method_weights": ev.get("method_weights", {}), "notes": _notes(ds, rows),
        }
        md = markdown.render(summary, meta, [p.name for p in plots])
        (docs / "BENCHMARKS.md").write_text(md)
    return summary


def _measured_versions(ds: Dataset) -> dict[str, str]:
    """Method versions as found in the records evaluated (several when the cache was mixed)."""
    seen: dict[str, set[str]] = {}
    for r in ds.records:
        for f in r.get("findings", []):
            seen.setdefault(f["method"], set()).add(str(f["method_version"]))
    return {m: "/".join(sorted(v)) for m, v in sorted(seen.items())}


def _runtime(ds: Dataset) -> dict[str, Any]:
    """Per media folder and protocol: items and the analysis seconds recorded per item (one
    process), plus the slowest methods."""
    from huiyan.bench import runner

    per: dict[str, list[float]] = {}
    meth: dict[str, list[float]] = {}
    for r in ds.records:
        per.setdefault(f"{r['media']}/{r['protocol']}", []).append(float(r.get("seconds") or 0.0))
        for f in r.get("findings", []):
            if runner.stood_in(f):  # a published score: the model did not run
                continue
            meth.setdefault(f"{r['media']}/{f['method']}", []).append(float(f.get("seconds") or 0.0))
    total = sum(sum(v) for v in per.values())
    return {
        "per_protocol": {k: {"items": len(v), "mean_s": round(sum(v) / len(v), 3), "total_s": round(sum(v), 1)}
                         for k, v in sorted(per.items())},
        "total_item_seconds": round(total, 1),
        "slowest_methods": sorted(((k, round(sum(v) / len(v), 3)) for k, v in meth.items()), key=lambda kv: -kv[1])[:8],
    }


def _notes(ds: Dataset, rows) -> list[str]:
    errs = [r for r in ds.records if r.get("errors")]
    notes = [
        "A method with no fitted map (fewer than 3 applicable items of either class in a fold) "
        "contributes the LLR it states itself; decisive provenance (verified C2PA, decoded watermark) "
        "overrides everything and is not calibrated.",
        "Each method's calibrated LLR is scaled by its method weight (fitted jointly with the family weights on "
        "the likelihood of the fused LLR of out-of-sample LLRs, so a "
        "method that did not generalise or only repeats a correlated one is discounted); within a family only the "
        "strongest weighted LLR for and the strongest against count, capped at ±4; "
        "families are summed with the out-of-sample family weights. Camera originals here are mostly old JPEGs from metadata test sets; "
        "generated items are mostly PNG: read the per-format table before trusting a delivered-protocol number.",
        "Fold artefact: a method whose score is the same for every file under a protocol (e.g. "
        "`provenance.jpeg_qtables` on laundered/resized files, all Pillow quality 90) can still show an "
        "AUC away from 0.5 there, because its map is fitted on all protocols pooled and its value at that "
        "score differs between folds, whose label mix differs (most sources hold one label). The provenance "
        "AUC of about 0.7 on laundered/resized images is this artefact, not evidence; the fused-vs-family "
        "comparison on those protocols should be read against the pixel families. The same artefact "
        "shows when a method's map is almost flat: read the |LLR|₉₅ figure of the Methods tables next to "
        "each AUC (`physical.ela`, for one, ranks LLRs below 0.1 on every image protocol, which move no "
        "verdict, so its AUC of about 0.7 is not evidence that ELA works here).",
        "Under `stripped`, methods that read only the decoded pixels (declared inputs: pixels, faces) are not run "
        "again: their `delivered` finding is copied, since the stripped file has the same pixels by definition "
        "(the equality is tested in tests/bench/test_runner.py); methods reading the format, metadata or JPEG "
        "tables run on the stripped file.",
        "Learned methods are scored with their published out-of-fold scores (models/<name>_logo.json, matched "
        "to files by SHA-256) where available, since the shipped model was trained on these files; on such files the harness runs "
        "only their applicability check, not the model (`--run-learned` runs it), so their runtime here is not "
        "the model's (benchmarks/results/image_budget.json and video_realtime.json time the models).",
        "With fewer than 100 camera originals per protocol, '≤ 1% FPR' can only be met as zero false "
        "positives; the exact interval shows how little that proves.",
    ]
    if errs:
        notes.append(f"{len(errs)} item/protocol runs reported errors, e.g. "
                     + "; ".join(f"{r['relative_path']} ({r['protocol']}): {r['errors'][0][:100]}" for r in errs[:5]))
    return notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m huiyan.bench.make_all", description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", default="out/bench")
    ap.add_argument("--docs", default=None, help="folder for BENCHMARKS.md and the ROC plots")
    ap.add_argument("--limit", type=int, default=None, help="at most N files per media folder")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--calibration-out", default=None, help="also write the shipped calibration here")
    ap.add_argument("--run-learned", action="store_true",
                    help="run learned models even on files for which they publish an out-of-fold score")
    ap.add_argument("--reuse-stale", action="store_true",
                    help="use cached detector results even where a method's version changed since")
    args = ap.parse_args(argv)
    out = Path(args.out)
    ds = collect(args.data, out, limit=args.limit, workers=args.workers, reuse_stale=args.reuse_stale,
                 published=not args.run_learned)
    docs = Path(args.docs) if args.docs else None
    if docs:
        docs.mkdir(parents=True, exist_ok=True)
    summary = bench(ds, out, docs, calibration_out=Path(args.calibration_out) if args.calibration_out else None)
    for mt, d in summary.items():
        if isinstance(d, dict) and "protocols" in d:
            for p, s in d["protocols"].items():
                f = s["fused"]
                print(f"{mt:5s} {p:9s} AUC {f['auc']} TPR@1%FPR {f['tpr_at_1pct_fpr']} "
                      f"FPR>=likely_syn {f['fpr_likely_synthetic_or_above_count']} "
                      f"TPR>=likely_syn {f['tpr_likely_synthetic_or_above_count']}")
    print(f"outputs in {out}" + (f"; docs in {docs}/BENCHMARKS.md" if docs else ""))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
