"""`physical.copy_move` on the development images and on copy-moves made by construction.

Part 1 (--data): every image of ../shared/data/images analysed as delivered and under the
laundered protocol (`huiyan.bench.protocols.protocol_pixels`, in memory). Reported: the raw
score's AUC tampered vs real and manipulated (all non-real labels) vs real, with stratified
bootstrap intervals; how many camera originals reach the a-priori evidence threshold
(`EVIDENCE_INLIERS`, fixed from the synthetic construction before these data were run: false
alarms); which tampered and generated files reach it. Nothing is fitted, so every figure is out
of sample. Per-file results are cached in out/copymove/ (keyed by file hash, protocol and
detector version).

Part 2 (--made N): copy-moves made by construction in camera originals of the same collection
(a square of 1/6 of the shorter side copied to another place: as is, rotated 15 degrees, and
rotated 10 degrees + scaled 1.15), analysed as stripped PNG and laundered, against the unedited
photo. Reported: the share detected (score at or above the threshold) and whether the best
transform's target lands on the pasted square.

    nice -n 10 .venv/bin/python benchmarks/copy_move_images.py --made 30

Writes benchmarks/results/copy_move_images.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from huiyan.media.color import luma

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / "out" / "copymove"


def _summary(res: dict) -> dict:
    from huiyan.detectors.physical import copy_move as C

    acc = [c for c in res["candidates"] if c["rejected"] is None]
    rej = [c for c in res["candidates"] if c["rejected"] is not None]
    return {
        "score": C.best_evidence(res),
        "n_keypoints": res["n_keypoints"],
        "matches": res["matches"],
        "accepted": [{"evidence": c["evidence"], "scale": round(c["scale"], 3),
                      "rotation_deg": round(c["rotation_deg"], 1),
                      "shift": [round(float(v), 1) for v in c["shift"]],
                      "centres": [[round(float(v) / res["work_scale"], 1)
                                   for v in np.median(res["pts"][c["pairs"][:, side]], axis=0)] for side in (0, 1)]}
                     for c in acc[:3]],
        "rejected": [{"evidence": c["evidence"], "why": c["rejected"]} for c in rej[:3]],
        "work_scale": res["work_scale"],
    }


def analyse_rgb(rgb: np.ndarray) -> dict | None:
    from huiyan.detectors.physical import copy_move as C

    g = luma(rgb)
    if C.not_applicable_reason(g) is not None:  # the detector's own rule
        return None
    res = C.analyse(g)
    if res["n_keypoints"] < C.MIN_KEYPOINTS:
        return None
    return _summary(res)


def run_data(data: Path) -> dict:
    from huiyan.bench import metrics
    from huiyan.bench.manifest import load_manifest
    from huiyan.bench.protocols import protocol_pixels
    from huiyan.detectors.physical import copy_move as C
    from huiyan.media.image import decode_rgb

    entries = load_manifest(data / "images")
    CACHE.mkdir(parents=True, exist_ok=True)
    cache_file = CACHE / f"data_v{C.CopyMove.version}.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    rows = []
    for n, e in enumerate(entries):
        rgb = None
        for proto in ("delivered", "laundered"):
            key = f"{e.sha256}:{proto}"
            if key not in cache:
                if rgb is None:
                    rgb = decode_rgb(e.path)
                t = time.perf_counter()
                cache[key] = {"result": analyse_rgb(protocol_pixels(rgb, proto)),
                              "seconds": round(time.perf_counter() - t, 3)}
            r = cache[key]["result"]
            rows.append({"file": e.relative_path, "label": e.label, "generator": e.generator, "protocol": proto,
                         "applicable": r is not None, "score": None if r is None else r["score"],
                         "detail": r})
        if n % 20 == 0:
            cache_file.write_text(json.dumps(cache))
            print(f"{n}/{len(entries)}", file=sys.stderr)
    cache_file.write_text(json.dumps(cache))
    thr = C.EVIDENCE_INLIERS
    out: dict = {"evidence_threshold": thr, "protocols": {}}
    for proto in ("delivered", "laundered"):
        pr = [r for r in rows if r["protocol"] == proto]
        app = [r for r in pr if r["applicable"]]
        block: dict = {"n": len(pr), "applicable": len(app)}
        for name, pos in (("tampered_vs_real", {"tampered"}), ("manipulated_vs_real", {"tampered", "generated", "deepfake"})):
            sel = [r for r in app if r["label"] in pos or r["label"] == "real"]
            y = [int(r["label"] != "real") for r in sel]
            s = [r["score"] for r in sel]
            a = metrics.auc(y, s)
            lo, hi = metrics.bootstrap_ci(metrics.auc, y, s, n_boot=1000)
            block[name] = {"auc": round(a, 4), "ci": [round(lo, 4), round(hi, 4)],
                           "n_pos": int(sum(y)), "n_real": len(y) - int(sum(y))}
        real = [r for r in app if r["label"] == "real"]
        fa = [r for r in real if r["score"] >= thr]
        block["real_at_or_above_threshold"] = {"count": len(fa), "of": len(real),
                                               "files": [(r["file"], r["score"]) for r in fa]}
        block["real_any_accepted_transform"] = sum(1 for r in real if r["score"] > 0)
        for lab in ("tampered", "generated", "deepfake"):
            hit = [r for r in app if r["label"] == lab and r["score"] >= thr]
            block[f"{lab}_at_or_above_threshold"] = {
                "count": len(hit), "of": sum(1 for r in app if r["label"] == lab),
                "files": [(r["file"], r["generator"], r["score"]) for r in hit]}
        block["tampered_scores"] = sorted(((r["file"], r["generator"], r["score"]) for r in app if r["label"] == "tampered"),
                                          key=lambda t: -t[2])
        block["seconds_median"] = float(np.median([cache[f"{e.sha256}:{proto}"]["seconds"] for e in entries]))
        out["protocols"][proto] = block
    return out


def _clone(rgb: np.ndarray, rng: np.random.Generator, mode: str) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Copy a square (side = 1/6 of the shorter side) to another place; returns the image and the
    target square (x, y, side)."""
    import cv2

    h, w = rgb.shape[:2]
    side = min(h, w) // 6
    while True:
        sx, sy = rng.integers(0, w - side), rng.integers(0, h - side)
        tx, ty = rng.integers(0, w - side), rng.integers(0, h - side)
        if abs(int(sx) - int(tx)) > side or abs(int(sy) - int(ty)) > side:
            break
    out = rgb.copy()
    src = rgb[sy:sy + side, sx:sx + side]
    if mode == "shift":
        out[ty:ty + side, tx:tx + side] = src
    else:
        ang, sc = (15.0, 1.0) if mode == "rotate" else (10.0, 1.15)
        c = (sx + side / 2, sy + side / 2)
        m = cv2.getRotationMatrix2D(c, ang, sc)
        m[:, 2] += np.array([tx - sx, ty - sy], np.float64)
        warped = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR)
        yy, xx = np.mgrid[:side, :side]
        disk = (xx - side / 2) ** 2 + (yy - side / 2) ** 2 < (side / 2 - 1) ** 2
        reg = out[ty:ty + side, tx:tx + side]
        reg[disk] = warped[ty:ty + side, tx:tx + side][disk]
    return out, (int(tx), int(ty), int(side))


def run_made(data: Path, n: int, seed: int = 0) -> dict:
    from huiyan.bench.manifest import load_manifest
    from huiyan.bench.protocols import protocol_pixels
    from huiyan.detectors.physical import copy_move as C
    from huiyan.media.image import decode_rgb

    real = [e for e in load_manifest(data / "images") if e.label == "real"]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(real), size=min(n, len(real)), replace=False)
    thr = C.EVIDENCE_INLIERS
    cache_file = CACHE / f"made_v{C.CopyMove.version}_seed{seed}.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    res: dict = {}
    for i in pick:
        e = real[int(i)]
        rgb = decode_rgb(e.path)
        s = min(1.0, 1024 / max(rgb.shape[:2]))  # made at the working size, so the square is the same there
        if s < 1.0:
            import cv2

            rgb = cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA)
        for mode in ("shift", "rotate", "rotate_scale"):
            made, (tx, ty, side) = _clone(rgb, np.random.default_rng([seed, int(i), len(mode)]), mode)
            for proto in ("stripped", "laundered"):
                key = f"{e.sha256}:{mode}:{proto}"
                if key not in cache:
                    r = analyse_rgb(protocol_pixels(made, proto))
                    cache[key] = r
                r = cache[key]
                hit = r is not None and r["score"] >= thr
                on_target = False
                if hit:  # one end of the best transform lies in the pasted square
                    m = side * 0.1
                    on_target = any(tx - m <= x <= tx + side + m and ty - m <= y <= ty + side + m
                                    for x, y in r["accepted"][0]["centres"])
                res.setdefault(f"{mode}:{proto}", []).append({"file": e.relative_path, "hit": hit,
                                                              "score": None if r is None else r["score"],
                                                              "on_target": on_target})
        cache_file.write_text(json.dumps(cache))
    return {k: {"detected": sum(x["hit"] for x in v), "detected_on_target": sum(x["on_target"] for x in v),
                "of": len(v),
                "median_score": float(np.median([x["score"] or 0 for x in v]))} for k, v in res.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    ap.add_argument("--made", type=int, default=0, help="number of camera originals to clone into")
    a = ap.parse_args(argv)
    data = Path(a.data)
    out = {"data": run_data(data)}
    if a.made:
        out["made"] = run_made(data, a.made)
    from huiyan.detectors.physical import copy_move as C

    out["version"] = C.CopyMove.version
    out["params"] = {k: getattr(C, k) for k in ("WORK_LONG", "MAX_KEYPOINTS", "CONTRAST", "G2NN_T", "RANSAC_PX",
                                               "EVIDENCE_INLIERS", "CHAIN_MAX", "AMBIGUOUS")}
    out["manifest_sha1"] = hashlib.sha1((data / "images" / "MANIFEST.csv").read_bytes()).hexdigest()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "copy_move_images.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    print(json.dumps({k: {p: {kk: vv for kk, vv in b.items() if kk not in ("tampered_scores",)}
                          for p, b in v["protocols"].items()} if k == "data" else v
                      for k, v in out.items() if k in ("data", "made")}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
