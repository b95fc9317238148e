"""Per-method separation of the hand-crafted pixel methods under the four image protocols.

Runs the hand-crafted `physical.*` and `fingerprint.*` image detectors (the learned one has its
own evaluation) on a deterministic sample of ../shared/data images as delivered, stripped (PNG
re-save), laundered (JPEG q90) and resized (half, then JPEG q90) - the transforms of
`huiyan.bench.protocols`, written into a temporary cache, never into the data folder - and writes
AUCs per method and per detail feature, with the label breakdown, to
benchmarks/results/pixel_protocols.json and a Markdown table to stdout.

The scores are the methods' raw scores (no fitting), so every AUC here is out of sample: nothing
was fitted on these images. Comparisons: generated vs real for the `fully_generated` methods,
tampered vs real for the `locally_edited` ones, deepfake vs real for the face method; and, to show
the format trap, generated JPEGs vs real JPEGs as delivered.

    nice .venv/bin/python benchmarks/pixel_protocols.py --data ../shared/data --real 45
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PIXEL_METHODS = ("physical.noise_residual", "physical.cfa", "physical.jpeg_double", "physical.ela",
                 "physical.local_edit", "physical.face_region", "fingerprint.spectrum", "fingerprint.npr")
PROTOCOLS = ("delivered", "stripped", "laundered", "resized")
TARGET = {"fully_generated": "generated", "locally_edited": "tampered", "face_manipulated": "deepfake"}


def _numeric(details: dict) -> dict[str, float]:
    out = {}
    for k, v in details.items():
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float) and np.isfinite(v):
            out[k] = float(v)
        elif isinstance(v, dict):
            out.update({f"{k}.{a}": float(b) for a, b in v.items() if isinstance(b, int | float)})
    if isinstance(details.get("faces"), list) and details["faces"]:
        top = max(details["faces"], key=lambda f: f.get("score", 0))
        out.update({f"face.{a}": float(b) for a, b in top.items() if isinstance(b, int | float)})
    return out


def sample(entries, n_real: int, seed: int = 0):
    rng = random.Random(seed)
    real = [e for e in entries if e.label == "real"]
    rng.shuffle(real)
    keep = [e for e in entries if e.label in ("generated", "tampered", "deepfake")]
    return sorted(real[:n_real] + keep, key=lambda e: e.relative_path)


def run(data: Path, n_real: int, cache: Path, protocols=PROTOCOLS, only: set[str] | None = None) -> list[dict]:
    from huiyan.bench.manifest import load_manifest
    from huiyan.bench.protocols import prepare
    from huiyan.detectors.base import registry
    from huiyan.media.item import Item

    dets = {m: c() for m, c in registry().items() if m in PIXEL_METHODS and (only is None or m in only)}
    entries = [e for e in load_manifest(data / "images")]
    rows = []
    todo = sample(entries, n_real)
    t0 = time.time()
    for i, e in enumerate(todo):
        for proto in protocols:
            try:
                path = prepare(e.path, e.sha256, "image", proto, cache)
                item = Item(path)
                if item.media_type != "image":
                    continue
                rec = {"file": e.relative_path, "label": e.label, "generator": e.generator,
                       "source_format": e.source_format, "protocol": proto, "methods": {}}
                for m, d in dets.items():
                    f = d.run(item)
                    rec["methods"][m] = {"applicable": f.applicable, "score": f.score, "seconds": f.seconds,
                                         "category": d.category, "features": _numeric(f.details)}
                rows.append(rec)
            except Exception as ex:  # a broken file is reported, not fatal
                print(f"{e.relative_path} [{proto}]: {type(ex).__name__}: {ex}", file=sys.stderr)
        if i % 10 == 0:
            print(f"{i + 1}/{len(todo)} files, {time.time() - t0:.0f}s", file=sys.stderr)
    return rows


def _auc(pos: list[float], neg: list[float]) -> float | None:
    from huiyan.bench.metrics import auc

    if len(pos) < 3 or len(neg) < 3:
        return None
    return round(auc([1] * len(pos) + [0] * len(neg), pos + neg), 3)


def summarise(rows: list[dict]) -> dict:
    methods = sorted({m for r in rows for m in r["methods"]})
    out: dict = {"methods": {}, "features": {}}
    for m in methods:
        cat = next(r["methods"][m]["category"] for r in rows if m in r["methods"])
        target = TARGET.get(cat, "generated")
        res = {"target": target}
        for p in PROTOCOLS:
            rs = [r for r in rows if r["protocol"] == p and m in r["methods"]]

            def scores(pred, rs=rs, m=m):
                return [r["methods"][m]["score"] for r in rs if pred(r) and r["methods"][m]["applicable"]]

            pos = scores(lambda r, t=target: r["label"] == t)
            neg = scores(lambda r: r["label"] == "real")
            n_pos = sum(r["label"] == target for r in rs)
            n_neg = sum(r["label"] == "real" for r in rs)
            res[p] = {"auc": _auc(pos, neg), "applicable_pos": f"{len(pos)}/{n_pos}",
                      "applicable_real": f"{len(neg)}/{n_neg}",
                      "auc_all_manipulated": _auc(scores(lambda r: r["label"] != "real"), neg)}
            if p == "delivered":
                res[p]["auc_jpeg_only"] = _auc(
                    scores(lambda r, t=target: r["label"] == t and r["source_format"].upper() == "JPEG"),
                    scores(lambda r: r["label"] == "real" and r["source_format"].upper() == "JPEG"))
        out["methods"][m] = res
        feats = sorted({k for r in rows if m in r["methods"] for k in r["methods"][m]["features"]})
        fres = {}
        for k in feats:
            fres[k] = {}
            for p in PROTOCOLS:
                rs = [r for r in rows if r["protocol"] == p and m in r["methods"] and r["methods"][m]["applicable"]]
                pos = [r["methods"][m]["features"][k] for r in rs if r["label"] == target and k in r["methods"][m]["features"]]
                neg = [r["methods"][m]["features"][k] for r in rs if r["label"] == "real" and k in r["methods"][m]["features"]]
                fres[k][p] = _auc(pos, neg)
        out["features"][m] = fres
    return out


def markdown(summary: dict) -> str:
    lines = ["| method | vs real | " + " | ".join(PROTOCOLS) + " | JPEG-only (delivered) |",
             "|---|---|" + "---|" * (len(PROTOCOLS) + 1)]
    for m, res in summary["methods"].items():
        cells = []
        for p in PROTOCOLS:
            a = res[p]["auc"]
            cells.append(f"{a:.2f} ({res[p]['applicable_pos']}; {res[p]['applicable_real']})" if a is not None
                         else f"n/a ({res[p]['applicable_pos']}; {res[p]['applicable_real']})")
        j = res["delivered"].get("auc_jpeg_only")
        lines.append(f"| {m} | {res['target']} | " + " | ".join(cells) + f" | {'n/a' if j is None else f'{j:.2f}'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    ap.add_argument("--real", type=int, default=45, help="camera originals sampled (all manipulated files are used)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "pixel_protocols.json")
    ap.add_argument("--rows", type=Path, default=None, help="also keep the per-file rows (JSON lines)")
    ap.add_argument("--methods", default=None, help="comma-separated subset of method ids")
    a = ap.parse_args(argv)
    if not (a.data / "images" / "MANIFEST.csv").exists():
        print(f"no data at {a.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="huiyan_pixel_") as tmp:
        rows = run(a.data.resolve(), a.real, Path(tmp), only=set(a.methods.split(",")) if a.methods else None)
    if a.rows:
        a.rows.write_text("\n".join(json.dumps(r) for r in rows))
    summary = summarise(rows)
    import huiyan

    summary["meta"] = {"n_rows": len(rows), "real_sampled": a.real, "python": platform.python_version(),
                       "numpy": np.__version__, "huiyan": getattr(huiyan, "__version__", "?"),
                       "machine": platform.machine(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(summary, indent=1))
    print(markdown(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
