"""Image budget benchmark (DESIGN.md section 6): every image detector on a 12-megapixel JPEG, as a
multiple of its decode time, and peak memory on a 50-megapixel image.

The test images are made synthetically in a temporary folder (the scikit-image astronaut
up-scaled to 4000 x 3000 / 8660 x 5774 with sensor-like noise, JPEG quality 92), so the numbers
do not depend on ../shared/data. Each repeat builds a fresh `Item` (so the decode, metadata and
face detection a real run pays for are counted) after one warm-up run. Peak memory is the
maximum resident set size of a child process that decodes the 50 MP image and runs all image
detectors on it.

    nice .venv/bin/python benchmarks/image_budget.py --repeats 5

Writes benchmarks/results/image_budget.json (fixed schema: medians and spread per detector,
versions, commit, machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BUDGET_SECONDS = 3.0
BUDGET_MB_50MP = 1536


def make_jpeg(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A camera-like JPEG: a real photo up-scaled to width x height plus Gaussian sensor noise."""
    import cv2
    from PIL import Image
    from skimage import data

    rng = np.random.default_rng(seed)
    big = cv2.resize(data.astronaut(), (width, height), interpolation=cv2.INTER_CUBIC)
    for y in range(0, height, 1024):  # add noise strip by strip (bounded memory)
        s = big[y : y + 1024].astype(np.int16)
        s += rng.normal(0, 3, s.shape).astype(np.int16)
        big[y : y + 1024] = np.clip(s, 0, 255).astype(np.uint8)
    Image.fromarray(big).save(path, format="JPEG", quality=92)
    return path


def _stats(xs: list[float]) -> dict[str, float]:
    q = np.percentile(xs, [25, 75]) if len(xs) > 1 else (xs[0], xs[0])
    return {"median": round(statistics.median(xs), 4), "iqr": round(float(q[1] - q[0]), 4),
            "min": round(min(xs), 4), "max": round(max(xs), 4), "repeats": len(xs)}


def time_detectors(path: Path, repeats: int) -> dict:
    from huiyan.detectors.base import registry
    from huiyan.media.image import decode_rgb
    from huiyan.media.item import Item

    dets = {m: c() for m, c in registry().items() if "image" in c.media_types}
    decode = []
    for i in range(repeats + 1):
        t = time.perf_counter()
        decode_rgb(path)
        if i:
            decode.append(time.perf_counter() - t)
    per: dict[str, list[float]] = {m: [] for m in dets}
    totals, inputs = [], []
    for i in range(repeats + 1):
        item = Item(path, artifact_dir=Path(tempfile.mkdtemp(prefix="huiyan_budget_")))
        t0 = time.perf_counter()
        item.pixels  # noqa: B018 - the shared decode is part of the run
        item.gray  # noqa: B018
        t_in = time.perf_counter() - t0
        for m, d in dets.items():
            t = time.perf_counter()
            d.run(item)
            if i:
                per[m].append(time.perf_counter() - t)
        if i:
            totals.append(time.perf_counter() - t0)
            inputs.append(t_in)
    dec = statistics.median(decode)
    return {
        "decode_seconds": _stats(decode),
        "inputs_seconds": _stats(inputs),
        "total_seconds": _stats(totals),
        "multiple_of_decode": round(statistics.median(totals) / dec, 2),
        "within_budget": statistics.median(totals) <= BUDGET_SECONDS,
        "detectors": {m: _stats(v) for m, v in sorted(per.items(), key=lambda kv: -statistics.median(kv[1]))},
    }


def _child_peak(path: str) -> None:
    """Child process: decode + all image detectors; prints peak RSS in MB."""
    from huiyan.detectors.base import registry
    from huiyan.media.item import Item

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    item = Item(path, artifact_dir=Path(tempfile.mkdtemp(prefix="huiyan_budget_")))
    worst = {}
    for m, c in registry().items():
        if "image" in c.media_types:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            c().run(item)
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if after > before:
                worst[m] = round(after, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": round(peak, 1), "baseline_rss_mb": round(base, 1),
                      "peak_raised_by": worst}))


def git_commit() -> str | None:
    try:
        return subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=HERE, text=True).strip()
    except Exception:
        return None


def versions() -> dict[str, str]:
    import cv2
    import PIL
    import scipy

    import huiyan

    return {"python": platform.python_version(), "numpy": np.__version__, "opencv": cv2.__version__,
            "pillow": PIL.__version__, "scipy": scipy.__version__, "huiyan": getattr(huiyan, "__version__", "?")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="image detectors: 12 MP time and 50 MP peak memory")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "image_budget.json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _child_peak(a.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="huiyan_budget_") as tmp:
        p12 = make_jpeg(Path(tmp) / "12mp.jpg", 4000, 3000)
        res = {"benchmark": "image_budget", "schema": 1,
               "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": git_commit(),
               "machine": {"platform": platform.platform(), "cpu": platform.processor() or platform.machine(),
                           "cores": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2)},
               "versions": versions(),
               "budget": {"seconds_12mp": BUDGET_SECONDS, "peak_mb_50mp": BUDGET_MB_50MP},
               "image_12mp": {"width": 4000, "height": 3000, "quality": 92}}
        res["time_12mp"] = time_detectors(p12, a.repeats)
        if not a.skip_memory:
            p50 = make_jpeg(Path(tmp) / "50mp.jpg", 8660, 5774)
            out = subprocess.run([sys.executable, __file__, "--child", str(p50)], capture_output=True, text=True)
            if out.returncode != 0:
                res["memory_50mp"] = {"error": out.stderr[-2000:]}
            else:
                mem = json.loads(out.stdout.strip().splitlines()[-1])
                mem["within_budget"] = mem["peak_rss_mb"] <= BUDGET_MB_50MP
                res["memory_50mp"] = {"width": 8660, "height": 5774, **mem}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1))
    t = res["time_12mp"]
    print(f"12 MP: total {t['total_seconds']['median']:.2f}s = {t['multiple_of_decode']}x decode "
          f"({t['decode_seconds']['median']:.2f}s); 50 MP peak {res.get('memory_50mp', {}).get('peak_rss_mb')} MB")
    for m, s in t["detectors"].items():
        print(f"  {m:32s} {s['median']:.3f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
