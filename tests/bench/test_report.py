"""bench.report.summarize_rows: per-method figures, including how far a method can move a verdict."""

from __future__ import annotations

import numpy as np
import pytest

from huiyan.bench.evaluate import Row
from huiyan.bench.report import summarize_rows


def _row(i: int, y: int, llr: dict[str, float]) -> Row:
    findings = [{"method": m, "applicable": True, "score": v} for m, v in llr.items()]
    return Row(item=f"images/x{i}.png", media_type="image", protocol="stripped", y=y, label="generated" if y else "real",
               generator="g", gen_key="g", source=f"s{i % 3}", source_format="PNG", findings=findings, method_llr=dict(llr))


def test_llr_spread_tells_a_strong_method_from_a_flat_one():
    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        y = i % 2
        # "strong": a real weight of evidence; "flat": tiny fold constants that still rank the classes
        rows.append(_row(i, y, {"m.strong": float(rng.normal(2.0 if y else -2.0, 0.5)),
                                "m.flat": (-0.01 if y else -0.06) + float(rng.normal(0, 0.001))}))
    res = summarize_rows(rows, families=[], methods=["m.strong", "m.flat"], n_boot=20)
    strong, flat = res["methods"]["m.strong"], res["methods"]["m.flat"]
    assert strong["auc"] > 0.95 and flat["auc"] > 0.95  # the AUC alone cannot tell them apart
    assert strong["llr_abs_q95"] > 2.0
    assert flat["llr_abs_q95"] == pytest.approx(0.06, abs=0.005)
