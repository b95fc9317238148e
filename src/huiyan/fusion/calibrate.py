"""Per-method calibration of scores into log-likelihood ratios.

A calibration entry is a monotone piecewise-linear map from a method's score to an LLR, stored
as knots (`x`, `y`) fitted out of sample by the evaluation harness (issue 4).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def apply_calibration(entry: dict[str, Any], score: float) -> float:
    x = np.asarray(entry["x"], dtype=float)
    y = np.asarray(entry["y"], dtype=float)
    return float(np.interp(score, x, y))
