"""`physical.jpeg_double` 0.2 on the protocol copies of the harness: compression history read
from the pixels (Fan & de Queiroz 2003) when the file is not a JPEG.

Runs the detector over every image of ../shared/data/images as delivered (the original files),
stripped (lossless PNG, same pixels) and laundered (JPEG quality 90): the copies already made by
the harness in out/bench/cache/<protocol>/ (`huiyan.bench.protocols.copy_path`); a missing copy
is counted, not made. Reported per protocol:
- coverage (share of items where the method applies) overall and per label, and how many items
  went through the pixel route (table estimated from pixels);
- raw-score AUC tampered / deepfake / generated vs real, two ways: on the applicable items only
  (as the harness's "raw"), and with losses included (a not-applicable item scores below every
  applicable one, so a positive the method cannot see counts against it);
- the runtime of the pixel estimate (`estimate_jpeg_history`) and of the whole detector: median,
  quartiles and max.
Estimation accuracy: on every delivered JPEG file, whose true table is known, the estimate from its
decoded pixels alone vs the file's table (grid offset (0, 0) found, exact steps at the 15 estimated
frequencies, IJG quality vs the IJG quality that best fits the true table).

Nothing is fitted here; the confidence threshold PIXEL_CONFIDENCE was fixed on synthetic images
(tests/test_jpeg_double_pixels.py) before this script was run.

    nice -n 10 .venv/bin/python benchmarks/jpeg_pixels.py

Writes benchmarks/results/jpeg_pixels.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PROTOCOLS = ("delivered", "stripped", "laundered")
VERSUS = ("tampered", "deepfake", "generated")


def _spread(ts: list[float]) -> dict:
    if not ts:
        return {"n": 0}
    a = np.asarray(ts)
    return {"n": int(a.size), "median_s": round(float(np.median(a)), 4), "p25_s": round(float(np.quantile(a, 0.25)), 4),
            "p75_s": round(float(np.quantile(a, 0.75)), 4), "max_s": round(float(a.max()), 4)}


def true_ijg_quality(table: np.ndarray) -> tuple[int, int]:
    """The IJG quality whose table is closest to `table` at the estimated frequencies (sum of
    |differences|), and that distance (0 = the file uses that IJG table there)."""
    from huiyan.detectors.physical.jpeg_double import EST_POSITIONS, ijg_table

    best = min(range(1, 101), key=lambda q: sum(abs(int(ijg_table(q)[p]) - int(table[p])) for p in EST_POSITIONS))
    return best, int(sum(abs(int(ijg_table(best)[p]) - int(table[p])) for p in EST_POSITIONS))


def analyse(path: Path) -> dict:
    from huiyan.detectors.physical.jpeg_double import EST_POSITIONS, DoubleJPEG, estimate_jpeg_history
    from huiyan.media.item import Item

    item = Item(path)
    if item.media_type != "image":
        return {"skipped": f"media type {item.media_type}"}
    gray = item.gray  # decode outside the timings
    t0 = time.perf_counter()
    est = estimate_jpeg_history(gray)
    t_est = time.perf_counter() - t0
    f = DoubleJPEG().run(Item(path))  # a fresh item: the detector's own time, estimate included
    rec = {"applicable": f.applicable, "score": f.score, "reason": f.reason, "seconds": f.seconds,
           "estimate_seconds": round(t_est, 4), "format": item.format,
           "table_source": f.details.get("table_source"),
           "estimate": {k: est[k] for k in ("grid_offset", "confidence", "ijg_quality", "table_source", "steps")}}
    if f.applicable:
        rec["components"] = f.details.get("components")
    quant = getattr(item.metadata, "quantization", None) if item.format == "JPEG" else None
    if quant:
        true = np.array(quant[0]).reshape(8, 8)
        tq, dist = true_ijg_quality(true)
        exact = None
        if est["steps"]:
            exact = sum(int(est["steps"][f"{u}{v}"]) == int(true[u, v]) for u, v in EST_POSITIONS)
        rec["truth"] = {"ijg_quality": tq, "ijg_distance": dist, "steps_exact": exact,
                        "grid_ok": est["grid_offset"] == [0, 0]}
    return rec


def auc_pair(recs: list[dict], pos: str, losses: bool) -> dict:
    from huiyan.bench.metrics import auc

    sel = [r for r in recs if r["label"] in (pos, "real") and "skipped" not in r]
    if losses:
        ys = [int(r["label"] == pos) for r in sel]
        ss = [r["score"] if r["applicable"] else -1.0 for r in sel]
    else:
        sel = [r for r in sel if r["applicable"]]
        ys = [int(r["label"] == pos) for r in sel]
        ss = [r["score"] for r in sel]
    npos, nneg = sum(ys), len(ys) - sum(ys)
    return {"auc": round(auc(ys, ss), 3) if npos and nneg else None, "n_pos": npos, "n_real": nneg}


def summarise(recs: list[dict]) -> dict:
    ok = [r for r in recs if "skipped" not in r]
    labels = sorted({r["label"] for r in ok})
    out = {
        "n": len(ok),
        "missing_copies": sum(1 for r in recs if r.get("skipped") == "missing copy"),
        "coverage": round(float(np.mean([r["applicable"] for r in ok])), 3) if ok else None,
        "coverage_by_label": {lab: f"{sum(r['applicable'] for r in ok if r['label'] == lab)}/"
                                   f"{sum(1 for r in ok if r['label'] == lab)}" for lab in labels},
        "pixel_route": {lab: f"{sum(r['table_source'] == 'estimated from pixels' for r in ok if r['label'] == lab)}/"
                             f"{sum(1 for r in ok if r['label'] == lab and r['format'] != 'JPEG')}" for lab in labels},
        "raw_auc_applicable": {f"{p}_vs_real": auc_pair(ok, p, False) for p in VERSUS},
        "raw_auc_losses_included": {f"{p}_vs_real": auc_pair(ok, p, True) for p in VERSUS},
        "runtime_estimate": _spread([r["estimate_seconds"] for r in ok]),
        "runtime_detector": _spread([r["seconds"] for r in ok]),
        "confidence_non_jpeg_by_label": {
            lab: [r["estimate"]["confidence"] for r in ok if r["label"] == lab and r["format"] != "JPEG"]
            for lab in labels},
    }
    return out


def accuracy(recs: list[dict]) -> dict:
    t = [r for r in recs if "truth" in r]
    if not t:
        return {"n": 0}
    ijg = [r for r in t if r["truth"]["ijg_distance"] == 0]
    conf = [r for r in t if r["estimate"]["confidence"] >= _threshold()]

    def qerr(rs):
        e = [abs(r["estimate"]["ijg_quality"] - r["truth"]["ijg_quality"]) for r in rs if r["estimate"]["ijg_quality"]]
        return {"n_with_ijg_estimate": len(e), "of": len(rs),
                "median_abs_quality_error": round(float(np.median(e)), 2) if e else None,
                "within_2": sum(x <= 2 for x in e)}

    return {
        "n_jpeg_files": len(t),
        "n_ijg_tables": len(ijg),
        "confident": f"{len(conf)}/{len(t)}",
        "grid_offset_correct": f"{sum(r['truth']['grid_ok'] for r in t)}/{len(t)}",
        "grid_offset_correct_when_confident": f"{sum(r['truth']['grid_ok'] for r in conf)}/{len(conf)}",
        "steps_exact_15_mean_when_confident": round(float(np.mean([r["truth"]["steps_exact"] for r in conf
                                                                  if r["truth"]["steps_exact"] is not None])), 2)
        if conf else None,
        "quality_all": qerr(t),
        "quality_ijg_tables": qerr(ijg),
        "true_quality_of_unconfident": sorted(r["truth"]["ijg_quality"] for r in t
                                              if r["estimate"]["confidence"] < _threshold()),
    }


def _threshold() -> float:
    from huiyan.detectors.physical.jpeg_double import PIXEL_CONFIDENCE

    return PIXEL_CONFIDENCE


def large_image_timing() -> dict:
    """The estimate on a 12-megapixel decoded JPEG (synthetic texture, quality 85)."""
    import io

    from PIL import Image

    from huiyan.detectors.physical.jpeg_double import estimate_jpeg_history

    rng = np.random.default_rng(0)
    small = rng.normal(128, 40, (750, 1000, 3)).clip(0, 255).astype(np.uint8)
    big = np.asarray(Image.fromarray(small).resize((4000, 3000), Image.Resampling.BILINEAR))
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, "JPEG", quality=85)
    rgb = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.float32)
    gray = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    ts, est = [], None
    for _ in range(5):
        t0 = time.perf_counter()
        est = estimate_jpeg_history(gray)
        ts.append(time.perf_counter() - t0)
    return {"size": "4000x3000", "quality": 85, **_spread(ts), "ijg_quality": est["ijg_quality"],
            "confidence": est["confidence"], "grid_offset": est["grid_offset"]}


def main() -> None:
    from huiyan.bench.manifest import load_manifest
    from huiyan.bench.protocols import copy_path
    from huiyan.detectors.physical.jpeg_double import DoubleJPEG

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "images"))
    ap.add_argument("--cache", default=str(REPO / "out" / "bench" / "cache"))
    ap.add_argument("--out", default=str(HERE / "results" / "jpeg_pixels.json"))
    args = ap.parse_args()
    entries = load_manifest(args.data)
    res: dict = {"method": DoubleJPEG.method, "version": DoubleJPEG.version, "data": args.data,
                 "n_entries": len(entries), "protocols": {}, "per_file": {}}
    t_all = time.perf_counter()
    load0 = [round(x, 2) for x in os.getloadavg()]  # runtimes below are wall-clock on a shared machine
    for proto in PROTOCOLS:
        recs = []
        for e in entries:
            p = Path(e.path) if proto == "delivered" else copy_path(e.sha256, proto, args.cache)
            if not p.exists():
                rec = {"skipped": "missing copy"}
            else:
                try:
                    rec = analyse(p)
                except Exception as exc:  # report, never hide
                    rec = {"skipped": f"error: {exc!r}"}
            rec.update(label=e.label, relative_path=e.relative_path)
            recs.append(rec)
        res["protocols"][proto] = summarise(recs)
        if proto == "delivered":
            res["estimation_accuracy_delivered_jpeg"] = accuracy(recs)
        res["per_file"][proto] = [{k: r.get(k) for k in ("relative_path", "label", "applicable", "score",
                                                         "table_source", "estimate", "truth", "skipped")}
                                  for r in recs]
        print(proto, json.dumps({k: v for k, v in res["protocols"][proto].items()
                                 if k != "confidence_non_jpeg_by_label"}), flush=True)
    res["runtime_12mp"] = large_image_timing()
    res["total_seconds"] = round(time.perf_counter() - t_all, 1)
    res["load_average_start_end"] = [load0, [round(x, 2) for x in os.getloadavg()]]
    res["cpus"] = os.cpu_count()
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res["estimation_accuracy_delivered_jpeg"], indent=1))
    print(json.dumps(res["runtime_12mp"]))


if __name__ == "__main__":
    main()
