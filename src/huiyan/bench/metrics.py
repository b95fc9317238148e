"""Detection metrics on labelled scores: ROC, AUC, EER, TPR at a fixed FPR, band rates, and
confidence intervals (stratified bootstrap; Clopper-Pearson for proportions).

Convention: `y` is 1 for manipulated (generated, tampered, deepfake) and 0 for camera originals;
`s` is a score where higher means more evidence of manipulation. Ties count half (AUC) and a
threshold `t` calls every item with `s >= t` positive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def _arrays(y: Sequence[int], s: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=int)
    s = np.asarray(s, dtype=float)
    if y.shape != s.shape:
        raise ValueError("labels and scores differ in length")
    return y, s


def roc_curve(y, s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive rates, true-positive rates and thresholds, from the strictest threshold
    (nothing positive) to the loosest (everything positive); tied scores form one step."""
    y, s = _arrays(y, s)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    distinct = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s_sorted) - 1] if len(s_sorted) else np.array([], int)
    tps = np.cumsum(y_sorted)[distinct] if len(s_sorted) else np.array([])
    fps = (distinct + 1) - tps if len(s_sorted) else np.array([])
    tpr = np.r_[0.0, tps / n_pos] if n_pos else np.r_[0.0, np.zeros(len(tps))]
    fpr = np.r_[0.0, fps / n_neg] if n_neg else np.r_[0.0, np.zeros(len(fps))]
    thr = np.r_[np.inf, s_sorted[distinct]] if len(s_sorted) else np.array([np.inf])
    return fpr, tpr, thr


def auc(y, s) -> float:
    """Area under the ROC curve (Mann-Whitney U with ties counted half); NaN without both classes."""
    y, s = _arrays(y, s)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    from scipy.stats import rankdata

    r = rankdata(np.r_[pos, neg])
    u = r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


def eer(y, s) -> float:
    """Equal error rate: where the false-positive rate equals the miss rate (linear interpolation
    on the ROC curve); NaN without both classes."""
    y, s = _arrays(y, s)
    if (y == 1).sum() == 0 or (y == 0).sum() == 0:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, s)
    fnr = 1.0 - tpr
    d = fpr - fnr  # increasing from -1 to +1 along the curve
    i = int(np.searchsorted(d, 0.0))
    if i == 0:
        return float(fpr[0])
    if i >= len(d):
        return float(fpr[-1])
    d0, d1 = d[i - 1], d[i]
    w = 0.0 if d1 == d0 else (0.0 - d0) / (d1 - d0)
    return float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))


def tpr_at_fpr(y, s, target: float = 0.01) -> float:
    """Largest TPR over thresholds whose FPR is at most `target` (no interpolation, so with
    fewer than 1/target negatives this is the TPR at zero false positives)."""
    y, s = _arrays(y, s)
    if (y == 1).sum() == 0 or (y == 0).sum() == 0:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, s)
    ok = fpr <= target + 1e-12
    return float(tpr[ok].max())


def rate(mask) -> float:
    mask = np.asarray(mask, dtype=bool)
    return float(mask.mean()) if mask.size else float("nan")


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact binomial interval for k successes in n trials (honest when k = 0)."""
    if n == 0:
        return float("nan"), float("nan")
    from scipy.stats import beta

    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def bootstrap_ci(
    fn: Callable[[np.ndarray, np.ndarray], float],
    y,
    s,
    *,
    n_boot: int = 500,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of `fn(y, s)` over resamples drawn within each class (stratified,
    so both classes are always present). NaN when a class is missing."""
    y, s = _arrays(y, s)
    pos, neg = np.nonzero(y == 1)[0], np.nonzero(y == 0)[0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    vals = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        vals[b] = fn(y[idx], s[idx])
    vals = vals[~np.isnan(vals)]
    if not len(vals):
        return float("nan"), float("nan")
    return float(np.quantile(vals, alpha / 2)), float(np.quantile(vals, 1 - alpha / 2))


def summarize(y, s, *, n_boot: int = 500, seed: int = 0) -> dict:
    """AUC, EER and TPR@1%FPR with bootstrap intervals, plus the class counts."""
    y, s = _arrays(y, s)
    out = {"n_manipulated": int((y == 1).sum()), "n_real": int((y == 0).sum())}
    for name, fn in (("auc", auc), ("eer", eer), ("tpr_at_1pct_fpr", tpr_at_fpr)):
        v = fn(y, s)
        lo, hi = bootstrap_ci(fn, y, s, n_boot=n_boot, seed=seed) if not np.isnan(v) else (float("nan"),) * 2
        out[name] = _r(v)
        out[name + "_ci"] = [_r(lo), _r(hi)]
    return out


def _r(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), 4)
