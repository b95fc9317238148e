"""Start-up and per-item analysis time of the CLI (issue 2 note; DESIGN.md section 6).

Measures `huiyan --help` wall time, and `huiyan analyze` per image and per video over a sample of
../shared/data (or the bundled samples when absent), with repeats; writes JSON with medians and
spread to benchmarks/results/cli_timing.json.

    .venv/bin/python benchmarks/cli_timing.py [--repeat 5] [--per-label 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def stats(xs: list[float]) -> dict:
    xs = sorted(xs)
    return {
        "n": len(xs),
        "median": statistics.median(xs),
        "min": xs[0],
        "max": xs[-1],
        "p90": xs[min(len(xs) - 1, int(0.9 * len(xs)))],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--per-label", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "cli_timing.json"))
    a = ap.parse_args()
    exe = [sys.executable, "-m", "huiyan"]
    subprocess.run([*exe, "--help"], capture_output=True, check=True)  # warm up
    helps = []
    for _ in range(a.repeat):
        t = time.perf_counter()
        subprocess.run([*exe, "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t)

    from huiyan.samples import make_samples, pick_shared

    if SHARED.exists():
        files = pick_shared(SHARED, per_label=a.per_label)
    else:
        files = make_samples(Path(tempfile.mkdtemp()) / "s")
    per_type: dict[str, list[float]] = {"image": [], "video": []}
    per_method: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as case:
        from huiyan.intake import Case
        from huiyan.pipeline import analyze_file

        c = Case(case)
        analyze_file(str(files[0]), c)  # warm up imports
        for f in files:
            res = analyze_file(str(f), c)
            if res["media_type"]:
                per_type[res["media_type"]].append(res["elapsed_s"])
            for fd in res["findings"]:
                per_method.setdefault(fd["method"], []).append(fd["seconds"])
    out = {
        "benchmark": "cli_timing",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
        "commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip(),
        "help_seconds": stats(helps),
        "analyze_seconds_per_item": {k: stats(v) for k, v in per_type.items() if v},
        "method_seconds": {k: stats(v) for k, v in sorted(per_method.items())},
        "files": [str(f) for f in files],
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(json.dumps({k: out[k] for k in ("help_seconds", "analyze_seconds_per_item")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
