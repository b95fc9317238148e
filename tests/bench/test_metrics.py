"""Metrics checked against values known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from huiyan.bench import metrics as M


def test_auc_known_values():
    y = [0, 0, 0, 1, 1, 1]
    assert M.auc(y, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]) == 1.0
    assert M.auc(y, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]) == 0.0
    assert M.auc(y, [0.5] * 6) == 0.5
    # one swapped pair out of nine
    assert M.auc(y, [0.1, 0.2, 0.75, 0.7, 0.8, 0.9]) == pytest.approx(8 / 9)


def test_auc_needs_both_classes():
    assert math.isnan(M.auc([1, 1], [0.2, 0.3]))


def test_eer_known_values():
    y = [0, 0, 0, 0, 1, 1, 1, 1]
    assert M.eer(y, [0, 1, 2, 3, 4, 5, 6, 7]) == pytest.approx(0.0)
    assert M.eer(y, [7, 6, 5, 4, 3, 2, 1, 0]) == pytest.approx(1.0)
    # one negative above one positive: FPR = FNR = 0.25 at the crossing
    assert M.eer(y, [0, 1, 2, 5, 4, 6, 7, 8]) == pytest.approx(0.25)


def test_tpr_at_fpr():
    y = [0] * 100 + [1] * 10
    s = list(range(100)) + [200, 150, 120, 99.5, 98.5, 10, 5, 4, 3, 2]
    # one negative (score 99) may be above the threshold: positives >= 98.5 -> 5 of 10
    assert M.tpr_at_fpr(y, s, 0.01) == pytest.approx(0.5)
    # none may: positives above 99 -> 4 of 10
    assert M.tpr_at_fpr(y, s, 0.0) == pytest.approx(0.4)


def test_roc_curve_endpoints():
    fpr, tpr, thr = M.roc_curve([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.4])
    assert fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert len(thr) == 4  # inf + three distinct scores (the tie is one step)


def test_bootstrap_ci_contains_point_estimate():
    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(60), np.ones(40)].astype(int)
    s = np.r_[rng.normal(0, 1, 60), rng.normal(1, 1, 40)]
    a = M.auc(y, s)
    lo, hi = M.bootstrap_ci(M.auc, y, s, n_boot=300, seed=1)
    assert lo <= a <= hi
    assert 0.5 < lo < hi < 1.0


def test_clopper_pearson_zero_count_is_not_zero_width():
    lo, hi = M.clopper_pearson(0, 91)
    assert lo == 0.0 and 0.03 < hi < 0.05  # "0 of 91" only proves FPR < ~4%
    lo, hi = M.clopper_pearson(5, 10)
    assert lo < 0.5 < hi


def test_summarize_fields():
    d = M.summarize([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], n_boot=50)
    assert d["auc"] == 1.0 and d["eer"] == 0.0 and d["tpr_at_1pct_fpr"] == 1.0
    assert d["n_real"] == 2 and d["n_manipulated"] == 2
