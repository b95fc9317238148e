"""Localisation of local edits on spliced composites whose mask is known by construction.

../shared/data holds no tampered image with a usable ground-truth mask (the one mask there,
noiseprint/masks/NC2016_2564_gt.png, belongs to an image that is not in the collection), so the
local-edit map is measured here on composites made in a temporary folder: a square from one
camera original (the donor, up to 1/3 of the host's shorter side, copied pixel for pixel, no
resampling) pasted into another (the host, centre-cropped to at most 1536 px on the original
grid). Each composite and its unedited host are analysed as stripped (PNG), laundered (JPEG q90)
and resized (half, then JPEG q90), the transforms of the evaluation protocols.

Reported per protocol: block-level AUC of each component map and of the fused map against the
mask (pixels of the edited square vs the rest), the share of composites whose top-scoring block
falls inside the square, and the image-level AUC of the `physical.local_edit` score (composite vs
its own unedited host). Written to benchmarks/results/local_edit_splice.json.

Limits: camera-to-camera splices of whole squares are the easy case for a noise map (two sensors,
two noise levels); generative inpainting and copy-move within one photo are harder and not
covered. Nothing is fitted, so the numbers are out of sample.

    nice .venv/bin/python benchmarks/local_edit_splice.py --pairs 16
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MAX_SIDE = 1536


def _save(arr: np.ndarray, path: Path, protocol: str) -> Path:
    from PIL import Image

    im = Image.fromarray(arr)
    if protocol == "stripped":
        path = path.with_suffix(".png")
        im.save(path, format="PNG")
        return path
    if protocol == "resized":
        im = im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)
    path = path.with_suffix(".jpg")
    im.save(path, format="JPEG", quality=90, subsampling="4:2:0")
    return path


def composites(data: Path, n: int, seed: int = 0):
    """Yield (host, composite, mask) arrays from pairs of camera originals."""
    from huiyan.bench.manifest import load_manifest
    from huiyan.media.image import decode_rgb

    real = [e for e in load_manifest(data / "images") if e.label == "real"]
    rng = random.Random(seed)
    rng.shuffle(real)
    made = 0
    for host_e, donor_e in zip(real[0::2], real[1::2], strict=False):
        try:
            host, donor = decode_rgb(Path(host_e.path)), decode_rgb(Path(donor_e.path))
        except Exception as ex:  # unreadable file: skip, say so
            print(f"skip {host_e.relative_path}: {ex}", file=sys.stderr)
            continue
        h, w = host.shape[:2]
        ch, cw = min(h, MAX_SIDE) // 8 * 8, min(w, MAX_SIDE) // 8 * 8
        host = host[(h - ch) // 2 // 8 * 8 :][:ch, (w - cw) // 2 // 8 * 8 :][:, :cw].copy()
        side = min(ch, cw) // 3 // 8 * 8
        if side < 64 or min(donor.shape[:2]) < side:
            continue
        dy, dx = rng.randrange(0, donor.shape[0] - side + 1), rng.randrange(0, donor.shape[1] - side + 1)
        y, x = rng.randrange(0, ch - side + 1), rng.randrange(0, cw - side + 1)
        comp = host.copy()
        comp[y : y + side, x : x + side] = donor[dy : dy + side, dx : dx + side]
        mask = np.zeros((ch, cw), bool)
        mask[y : y + side, x : x + side] = True
        yield host_e.relative_path, host, comp, mask
        made += 1
        if made >= n:
            return


def evaluate(data: Path, pairs: int) -> dict:
    from huiyan.bench.metrics import auc
    from huiyan.detectors import _residual as R
    from huiyan.detectors.physical.local_edit import BLOCK, LocalEditMap, component_maps, fuse
    from huiyan.media.item import Item

    det = LocalEditMap()
    res: dict = {}
    with tempfile.TemporaryDirectory(prefix="huiyan_splice_") as tmp:
        for i, (name, host, comp, mask) in enumerate(composites(data, pairs)):
            for proto in ("stripped", "laundered", "resized"):
                r = res.setdefault(proto, {"block_auc": {}, "top_block_inside": [], "y": [], "s": []})
                m = mask if proto != "resized" else mask[::2, ::2][: host.shape[0] // 2, : host.shape[1] // 2]
                for label, arr in (("host", host), ("composite", comp)):
                    item = Item(_save(arr, Path(tmp) / f"{i}_{label}_{proto}", proto))
                    f = det.run(item)
                    r["y"].append(int(label == "composite"))
                    r["s"].append(f.score)
                    if label == "host":
                        continue
                    maps = component_maps(item)
                    maps_all = {**maps, "fused": (fuse(maps), 1.0)}
                    hh = min(v.shape[0] for v, _ in maps_all.values())
                    ww = min(v.shape[1] for v, _ in maps_all.values())
                    truth = R.block_reduce(m.astype(np.float32), BLOCK)[:hh, :ww] > 0.5
                    if not truth.any() or truth.all():
                        continue
                    for k, (v, _) in maps_all.items():
                        r["block_auc"].setdefault(k, []).append(auc(truth.ravel().astype(int), v[:hh, :ww].ravel()))
                    fz = maps_all["fused"][0][:hh, :ww]
                    r["top_block_inside"].append(bool(truth.ravel()[int(np.argmax(fz))]))
            print(f"{i + 1} composites ({name})", file=sys.stderr)
    out = {}
    for proto, r in res.items():
        out[proto] = {
            "composites": len(r["top_block_inside"]),
            "block_auc_mean": {k: round(float(np.mean(v)), 3) for k, v in r["block_auc"].items()},
            "block_auc_median": {k: round(float(np.median(v)), 3) for k, v in r["block_auc"].items()},
            "block_auc_n": {k: len(v) for k, v in r["block_auc"].items()},
            "top_block_inside_share": round(float(np.mean(r["top_block_inside"])), 3) if r["top_block_inside"] else None,
            "image_auc_composite_vs_host": round(auc(r["y"], r["s"]), 3),
        }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="local-edit localisation on camera-to-camera splices")
    ap.add_argument("--data", type=Path, default=HERE.parent / ".." / "shared" / "data")
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "local_edit_splice.json")
    a = ap.parse_args(argv)
    if not (a.data / "images" / "MANIFEST.csv").exists():
        print(f"no data at {a.data}", file=sys.stderr)
        return 2
    out = {"benchmark": "local_edit_splice", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "pairs_requested": a.pairs, "max_side": MAX_SIDE, "results": evaluate(a.data.resolve(), a.pairs)}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=1))
    print(json.dumps(out["results"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
