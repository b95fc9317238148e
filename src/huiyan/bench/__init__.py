"""Evaluation harness (issue 4): protocols, cached detector runs, out-of-sample calibration and
fusion, metrics with confidence intervals, and the generated docs/BENCHMARKS.md.

`huiyan bench ROOT` (cli.py) evaluates one labelled folder; `python -m huiyan.bench.make_all`
(`make bench`) evaluates images and videos under every protocol and regenerates the docs.
"""
