"""Metrics tables, JSON outputs, ROC plots and docs/BENCHMARKS.md from evaluated rows."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from huiyan.bench import metrics as M
from huiyan.bench.evaluate import Row
from huiyan.bench.manifest import KIND_OF_LABEL
from huiyan.fusion.combine import VERDICTS

SIDE_SYN = ("synthetic", "likely_synthetic")
SIDE_AUTH = ("authentic", "likely_authentic")


def _fmt(v, ci=None, pct=False) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    f = (lambda x: f"{100 * x:.1f}%") if pct else (lambda x: f"{x:.3f}")
    s = f(v)
    if ci and ci[0] is not None and ci[1] is not None:
        s += f" [{f(ci[0])}, {f(ci[1])}]"
    return s


def band_table(rows: list[Row]) -> dict[str, Any]:
    """Counts per verdict band and the cumulative rates with intervals."""
    y = np.array([r.y for r in rows])
    v = np.array([r.verdict for r in rows])
    n_real, n_man = int((y == 0).sum()), int((y == 1).sum())
    out: dict[str, Any] = {"n_real": n_real, "n_manipulated": n_man, "bands": {}}
    for b in VERDICTS:
        kr, km = int(((v == b) & (y == 0)).sum()), int(((v == b) & (y == 1)).sum())
        out["bands"][b] = {"real": kr, "manipulated": km}
    flag = np.isin(v, SIDE_SYN)
    strong = v == "synthetic"
    auth = np.isin(v, SIDE_AUTH)
    for name, mask, cls in (
        ("fpr_likely_synthetic_or_above", flag, 0),
        ("fpr_synthetic", strong, 0),
        ("tpr_likely_synthetic_or_above", flag, 1),
        ("tpr_synthetic", strong, 1),
        ("miss_likely_authentic_or_below", auth, 1),
        ("real_likely_authentic_or_below", auth, 0),
        ("inconclusive_real", v == "inconclusive", 0),
        ("inconclusive_manipulated", v == "inconclusive", 1),
    ):
        sel = y == cls
        k, n = int((mask & sel).sum()), int(sel.sum())
        out[name] = M._r(k / n) if n else None
        out[name + "_count"] = [k, n]
        out[name + "_ci_exact"] = [M._r(x) for x in M.clopper_pearson(k, n)]
        if n:
            rng = np.random.default_rng(1)
            boots = [mask[sel][rng.integers(0, n, n)].mean() for _ in range(500)]
            out[name + "_ci_bootstrap"] = [M._r(float(np.quantile(boots, 0.025))), M._r(float(np.quantile(boots, 0.975)))]
    return out


def summarize_rows(rows: list[Row], families: list[str], methods: list[str], n_boot: int = 300) -> dict[str, Any]:
    y = np.array([r.y for r in rows])
    res: dict[str, Any] = {"fused": M.summarize(y, [r.llr for r in rows], n_boot=1000)}
    res["fused"].update(band_table(rows))
    res["families"] = {}
    for fam in families:
        s = [r.family_llr.get(fam, 0.0) for r in rows]
        cov = float(np.mean([fam in r.family_llr for r in rows])) if rows else 0.0
        res["families"][fam] = {**M.summarize(y, s, n_boot=n_boot), "coverage": round(cov, 3)}
    res["methods"] = {}
    for m in methods:
        s = np.array([r.method_llr.get(m, 0.0) for r in rows])
        app = [any(f["method"] == m and f["applicable"] for f in r.findings) for r in rows]
        raw = [next((f["score"] for f in r.findings if f["method"] == m and f["applicable"]), None) for r in rows]
        sel = [i for i, a in enumerate(app) if a and raw[i] is not None]
        d = M.summarize(y, s, n_boot=n_boot)
        d["coverage"] = round(float(np.mean(app)), 3) if rows else 0.0
        d["auc_raw_applicable"] = M._r(M.auc(y[sel], [raw[i] for i in sel])) if sel else None
        d["n_applicable"] = len(sel)
        # how far the method can move a verdict: a ranking of near-zero LLRs (fold-to-fold constants
        # of a flat map) gives an AUC away from 0.5 that carries no weight of evidence
        d["llr_abs_q95"] = M._r(float(np.quantile(np.abs(s), 0.95))) if len(s) else None
        res["methods"][m] = d
    return res


def group_table(rows: list[Row], key) -> dict[str, Any]:
    reals = [r.llr for r in rows if r.y == 0]
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    out = {}
    for g, rs in sorted(groups.items()):
        v = [r.verdict for r in rs]
        d = {
            "n": len(rs),
            "label": "real" if all(r.y == 0 for r in rs) else "manipulated" if all(r.y == 1 for r in rs) else "mixed",
            "flagged": M._r(float(np.mean([x in SIDE_SYN for x in v]))),
            "authentic_side": M._r(float(np.mean([x in SIDE_AUTH for x in v]))),
            "inconclusive": M._r(float(np.mean([x == "inconclusive" for x in v]))),
            "mean_llr": M._r(float(np.mean([r.llr for r in rs]))),
        }
        man = [r.llr for r in rs if r.y == 1]
        if man and reals:
            d["auc_vs_all_real"] = M._r(M.auc([1] * len(man) + [0] * len(reals), man + reals))
        yy = [r.y for r in rs]
        if 0 < sum(yy) < len(yy):
            d["auc_within"] = M._r(M.auc(yy, [r.llr for r in rs]))
        out[g] = d
    return out


_KIND = {"generated": "fully generated", "generated_t2v": "text-to-video", "generated_i2v": "image-to-video",
         "tampered": "local edit", "talking_head": "talking head", "real": "camera originals"}


def manipulation_kind(label: str, generator: str) -> str:
    """The kind of manipulation for the per-kind tables (issue 6 asks for face swap and
    reenactment separately; the manifest's label `deepfake_face`/`deepfake` covers both, the
    generator description tells them apart). Used to group results only, never as input."""
    if label in ("deepfake_face", "deepfake"):
        g = (generator or "").lower()
        kind = "reenactment" if any(k in g for k in ("reenact", "face2face", "neuraltextures")) else "face swap"
        return kind + (" (still)" if label == "deepfake" else "")
    return _KIND.get(label, label)


def group_keys() -> dict[str, Any]:
    return {
        "label": lambda r: r.label,
        "kind": lambda r: manipulation_kind(r.label, r.generator),
        "generator": lambda r: (r.gen_key or r.generator or "?") if r.y else "camera originals",
        "source_format": lambda r: _fmt_key(r.source_format),
        "source": lambda r: r.source.removeprefix("github:"),
    }


def _fmt_key(f: str) -> str:
    f = (f or "?").upper()
    return "H264" if f == "H264" else f


def category_table(rows: list[Row]) -> dict[str, Any]:
    """How often the fused `category` names the kind of manipulation the label says, over the
    manipulated items flagged likely_synthetic or above (where the category is what an examiner
    reads), per label: n flagged, n with the expected category, and what was named instead."""
    out: dict[str, Any] = {}
    for r in rows:
        exp = KIND_OF_LABEL.get(r.label)
        if r.y != 1 or exp is None or r.verdict not in SIDE_SYN:
            continue
        d = out.setdefault(r.label, {"expected": exp, "flagged": 0, "correct": 0, "named": {}})
        d["flagged"] += 1
        d["correct"] += int(r.category == exp)
        d["named"][str(r.category)] = d["named"].get(str(r.category), 0) + 1
    return out


def full_summary(rows: list[Row]) -> dict[str, Any]:
    families = sorted({fam for r in rows for fam in r.family_llr} | {f["family"] for r in rows for f in r.findings})
    out: dict[str, Any] = {}
    for mt in ("image", "video"):
        mrows = [r for r in rows if r.media_type == mt]
        if not mrows:
            continue
        methods = sorted({f["method"] for r in mrows for f in r.findings})
        fams = [f for f in families if any(f == x["family"] for r in mrows for x in r.findings)]
        per_p: dict[str, Any] = {}
        for p in sorted({r.protocol for r in mrows}, key=_proto_order):
            prow = [r for r in mrows if r.protocol == p]
            s = summarize_rows(prow, fams, methods)
            s["groups"] = {name: group_table(prow, fn) for name, fn in group_keys().items()}
            s["false_positives"] = [
                {"item": r.item, "llr": round(r.llr, 3), "verdict": r.verdict,
                 "top": r.reasons[0]["method"] if r.reasons else None}
                for r in sorted(prow, key=lambda r: -r.llr) if r.y == 0 and r.verdict in SIDE_SYN
            ]
            s["categories"] = category_table(prow)
            s["seconds_mean"] = None
            per_p[p] = s
        out[mt] = {"protocols": per_p, "methods": methods, "families": fams}
    return out


def _proto_order(p: str) -> int:
    order = ("delivered", "stripped", "laundered", "resized", "reencoded")
    return order.index(p) if p in order else 99


def write_outputs(rows: list[Row], summary: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "items.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({
                "item": r.item, "protocol": r.protocol, "media_type": r.media_type, "label": r.label,
                "y": r.y, "generator": r.generator, "source": r.source, "source_format": r.source_format,
                "llr": r.llr, "score": round(1 / (1 + np.exp(-r.llr)), 6), "verdict": r.verdict,
                "category": r.category, "disagreement": r.disagreement, "family_llr": r.family_llr,
                "method_llr": r.method_llr,
                "reasons": [{k: x.get(k) for k in ("method", "llr", "en")} for x in r.reasons[:3]],
                "errors": r.errors,
            }, ensure_ascii=False) + "\n")
    methods = {mt: {p: s["methods"] for p, s in d["protocols"].items()} for mt, d in summary.items()
               if isinstance(d, dict) and "protocols" in d}
    (out / "methods.json").write_text(json.dumps(methods, indent=1, ensure_ascii=False))
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False, default=str))


def roc_plots(rows: list[Row], summary: dict[str, Any], outdir: Path, prefix: str = "roc") -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for mt, d in summary.items():
        if not isinstance(d, dict) or "protocols" not in d:
            continue
        for p in d["protocols"]:
            prow = [r for r in rows if r.media_type == mt and r.protocol == p]
            y = [r.y for r in prow]
            fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=80)
            for fam in d["families"]:
                fpr, tpr, _ = M.roc_curve(y, [r.family_llr.get(fam, 0.0) for r in prow])
                a = d["protocols"][p]["families"][fam]["auc"]
                ax.plot(fpr, tpr, lw=1, alpha=0.8, label=f"{fam} ({a:.2f})" if a is not None else fam)
            fpr, tpr, _ = M.roc_curve(y, [r.llr for r in prow])
            a = d["protocols"][p]["fused"]["auc"]
            ax.plot(fpr, tpr, "k", lw=2, label=f"fused ({a:.2f})" if a is not None else "fused")
            ax.plot([0, 1], [0, 1], ":", color="grey", lw=0.8)
            ax.axvline(0.01, color="red", lw=0.6, ls="--")
            ax.set(xlabel="false-positive rate (camera originals)", ylabel="true-positive rate",
                   title=f"{mt}s, {p} (out of sample)", xlim=(0, 1), ylim=(0, 1.01))
            ax.legend(fontsize=7, loc="lower right")
            fig.tight_layout()
            path = outdir / f"{prefix}_{mt}s_{p}.png"
            fig.savefig(path)
            plt.close(fig)
            paths.append(path)
    return paths
