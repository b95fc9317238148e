"""Per-method calibration of scores into log-likelihood ratios, and the verdict bands.

A calibration entry maps a method's score to an LLR (manipulated vs camera original), fitted with
the two classes weighted equally, so that a fitted probability is a posterior under even odds and
its logit is an LLR. Two forms exist; `logistic` is the one fitted (FORM):

- `logistic`: LLR = slope * asinh((score - center) / scale) + intercept, slope >= 0, with
  `center` and `scale` the median and interquartile range of the training scores (the standard
  deviation where the quartiles tie, e.g. a count that is mostly 0; asinh tames heavy tails),
  and a conservative prior on both parameters (fit_logistic_llr). Logistic-regression
  calibration is the usual way of turning a forensic score into an LLR (Morrison 2013, "Tutorial
  on logistic-regression calibration and fusion", Australian Journal of Forensic Sciences 45:173,
  doi:10.1080/00450618.2012.733025). Its two parameters move little between folds, and the map
  keeps the order of the scores.
- `isotonic` (fitted up to calibration 2026-12-07, still read): a monotone piecewise-linear map
  stored as knots `x`, `y`, fitted by pool-adjacent-violators (Zadrozny & Elkan 2002,
  doi:10.1145/775047.775151). Blocks lighter than max(8 items, 5% of the data) are merged with a
  neighbour, a pseudo-count of one item per block keeps every LLR finite, and knots sit at block
  centres (linear in between, flat beyond). It follows any monotone shape, but its steps tie
  distinct scores, and out of sample its maps, each fitted without a source and a generator
  family, lost much of the ranking of the scores (docs/DECISIONS.md, "Calibration form").

LLRs are clipped to +-LLR_MAX. Methods with too few applicable items of either class get no map:
fusion then uses the LLR the method states itself.

`python -m huiyan.fusion.calibrate --data DIR --out src/huiyan/data/calibration.json` (`make
calibrate`) runs the evaluation harness (cached) over DIR/images and DIR/videos under every
protocol, fits the shipped maps on all of it, chooses the verdict bands on out-of-sample fused
LLRs (leave-source-and-generator-out) and writes the file with the data version it came from.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

LLR_MAX = 6.0  # a single calibrated method never claims odds beyond e^6 ~ 400:1
MIN_PER_CLASS = 3  # applicable items of each class needed to fit a map
MIN_BLOCK = 8.0  # least weight (in items) behind one step of the isotonic map


def apply_calibration(entry: dict[str, Any], score: float) -> float:
    kind = entry.get("kind", "isotonic")  # entries written before `kind` existed are isotonic
    if kind == "logistic":
        if not entry["scale"] > 0:
            raise ValueError(f"logistic calibration entry with scale {entry['scale']!r}")
        z = math.asinh((float(score) - entry["center"]) / entry["scale"])
        return float(np.clip(entry["slope"] * z + entry["intercept"], -LLR_MAX, LLR_MAX))
    if kind == "isotonic":
        x = np.asarray(entry["x"], dtype=float)
        y = np.asarray(entry["y"], dtype=float)
        return float(np.interp(score, x, y))
    raise ValueError(f"unknown calibration kind {kind!r}")


def pav(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Pool-adjacent-violators on values `y` (already sorted by score) with weights `w`.

    Returns block means, block weights and (start, end) index ranges, means non-decreasing."""
    means: list[float] = []
    weights: list[float] = []
    spans: list[list[int]] = []
    for i, (v, wt) in enumerate(zip(y, w, strict=True)):
        means.append(float(v))
        weights.append(float(wt))
        spans.append([i, i + 1])
        while len(means) > 1 and means[-2] > means[-1]:
            m2, w2, s2 = means.pop(), weights.pop(), spans.pop()
            m1, w1 = means[-1], weights[-1]
            tot = w1 + w2
            means[-1] = (m1 * w1 + m2 * w2) / tot if tot > 0 else (m1 + m2) / 2
            weights[-1] = tot
            spans[-1][1] = s2[1]
    return np.asarray(means), np.asarray(weights), [(a, b) for a, b in spans]


def _merge_small(means: list[float], weights: list[float], spans: list[tuple[int, int]], min_w: float):
    """Merge PAV blocks lighter than `min_w` into their closer neighbour (in mean), so no LLR
    rests on a handful of items; merging neighbours keeps the means non-decreasing."""
    spans = [tuple(s) for s in spans]
    while len(means) > 1:
        i = min(range(len(means)), key=lambda k: weights[k])
        if weights[i] >= min_w:
            break
        if i == 0:
            j = 1
        elif i == len(means) - 1:
            j = i - 1
        else:
            j = i - 1 if means[i] - means[i - 1] <= means[i + 1] - means[i] else i + 1
        a, b = min(i, j), max(i, j)
        w = weights[a] + weights[b]
        means[a] = (means[a] * weights[a] + means[b] * weights[b]) / w
        weights[a] = w
        spans[a] = (spans[a][0], spans[b][1])
        del means[b], weights[b], spans[b]
    return means, weights, spans


def fit_isotonic_llr(scores, labels, *, llr_max: float = LLR_MAX) -> dict[str, Any] | None:
    """Fit a monotone score->LLR map; None when either class has fewer than MIN_PER_CLASS items."""
    data = _finite_two_class(scores, labels)
    if data is None:
        return None
    s, y = data
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    order = np.lexsort((y, s))  # ties: negatives first, PAV pools them anyway
    s, y = s[order], y[order]
    # equal class weight, normalised so the total weight equals the item count
    n = len(y)
    w = np.where(y == 1, n / (2.0 * n_pos), n / (2.0 * n_neg))
    # pool exactly tied scores first so a block never splits a tie
    uniq, start = np.unique(s, return_index=True)
    wy = np.add.reduceat(w * y, start)
    ww = np.add.reduceat(w, start)
    means, weights, spans = pav(wy / ww, ww)
    means, weights, spans = _merge_small(list(means), list(weights), spans, max(MIN_BLOCK, 0.05 * n))
    # pseudo-count: one item's worth of weight at even odds per block
    p = (np.asarray(means) * np.asarray(weights) + 0.5) / (np.asarray(weights) + 1.0)
    llr = np.clip(np.log(p / (1 - p)), -llr_max, llr_max)
    # knots at each block's weighted mean score; linear in between, flat beyond the ends
    xs = [float(np.sum(uniq[a:b] * ww[a:b]) / np.sum(ww[a:b])) for a, b in spans]
    x_arr = np.asarray(xs)
    for i in range(1, len(x_arr)):  # np.interp needs strictly increasing x
        if x_arr[i] <= x_arr[i - 1]:
            x_arr[i] = np.nextafter(x_arr[i - 1], np.inf)
    ys_arr = np.maximum.accumulate(np.asarray(llr, dtype=float))
    return {
        "x": [round(float(v), 6) for v in x_arr],
        "y": [round(float(v), 4) for v in ys_arr],
        "n_manipulated": n_pos,
        "n_real": n_neg,
        "kind": "isotonic",
    }


def _finite_two_class(scores, labels) -> tuple[np.ndarray, np.ndarray] | None:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=int)
    ok = np.isfinite(s)
    s, y = s[ok], y[ok]
    if (y == 1).sum() < MIN_PER_CLASS or (y == 0).sum() < MIN_PER_CLASS:
        return None
    return s, y


def fit_logistic_llr(scores, labels, *, llr_max: float = LLR_MAX, ridge: float = 1.0) -> dict[str, Any] | None:
    """Fit LLR = slope * asinh((score - center) / scale) + intercept by class-balanced logistic
    regression (Newton steps, slope >= 0); None when either class has fewer than MIN_PER_CLASS
    items. Morrison 2013, doi:10.1080/00450618.2012.733025.

    The loss is the class-balanced mean log-loss plus (ridge / n) * (slope^2 + intercept^2): in
    terms of the summed log-loss of n items, a Gaussian prior of variance 1 / (2 * ridge) on both
    parameters. A priori a method moves the LLR by well under one unit per interquartile range of
    its score, and the data must show more; the prior's pull fades as n grows (n counts every
    protocol copy of a file: four per image, two per video). It is deliberately
    conservative: a method fitted on a hundred items from other sources is shrunk towards no
    evidence (d' = 3 on 120 items gives LLRs near +-1.6 at the class means, against +-4.5 for the
    true LLR), because an LLR that overstates the evidence misleads a court more than one that
    understates it. Platt's targets with no prior were measured instead and gave 3 of 91 camera
    originals at likely_synthetic under three image protocols (docs/DECISIONS.md)."""
    data = _finite_two_class(scores, labels)
    if data is None:
        return None
    s, y = data
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    sig = lambda v: float(f"{v:.7g}")  # noqa: E731  stored to 7 significant digits, never rounded to 0
    center = sig(np.median(s))
    q25, q75 = np.quantile(s, [0.25, 0.75])
    scale = sig(q75 - q25) or sig(np.std(s)) or 1.0  # IQR; the standard deviation when most scores tie
    z = np.arcsinh((s - center) / scale)
    X = np.c_[z, np.ones_like(z)]
    w = np.where(y == 1, 0.5 / n_pos, 0.5 / n_neg)  # each class weighs one half
    lam = ridge / len(y)
    beta = np.zeros(2)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        grad = X.T @ (w * (p - y)) + 2 * lam * beta
        hess = (X * (w * p * (1 - p))[:, None]).T @ X + 2 * lam * np.eye(2)
        step = np.linalg.solve(hess, grad)
        beta = beta - step
        if beta[0] < 0:  # a monotone map: an inverted score gives no evidence, not reversed evidence
            beta[0] = 0.0
        if np.max(np.abs(step)) < 1e-9:
            break
    if beta[0] == 0.0:  # refit the intercept alone: 0, since the classes weigh the same
        beta[1] = float(np.log(((w * y).sum() + lam) / ((w * (1 - y)).sum() + lam)))
    return {
        "kind": "logistic",
        "center": center,
        "scale": scale,
        "slope": round(float(beta[0]), 4),
        "intercept": round(float(np.clip(beta[1], -llr_max, llr_max)), 4),
        "n_manipulated": n_pos,
        "n_real": n_neg,
    }


FITTERS = {"logistic": fit_logistic_llr, "isotonic": fit_isotonic_llr}
FORM = "logistic"  # the shipped form; docs/DECISIONS.md has the isotonic form's figures


def fit_methods(rows: list[dict[str, Any]], form: str | None = None) -> dict[str, Any]:
    """Fit one map per method from rows {method, score, applicable, y, media_type, category,
    item_kind}, of the given form (`logistic` or `isotonic`; default FORM); a method met on more
    than one media type gets one map per type, under the key `method@media` (see
    huiyan.fusion.combine.calibration_key), and is listed in the result's `per_media_methods`.

    The fusion adds LR(kind) over the kinds of manipulation, so a method whose applicable findings
    all name one kind (`category`) is fitted on the manipulated items of that kind (`item_kind`,
    from the item's label) against the camera originals: its LLR is then p(score | that kind) /
    p(score | camera original), not a mixture over the kinds it does not examine. A method whose
    findings name several kinds or none (provenance), rows without `item_kind`, or a kind with
    fewer than MIN_PER_CLASS items fall back to all manipulated items. The entry's `positives`
    says which (docs/DECISIONS.md, "Calibration maps per kind")."""
    media: dict[str, set[str]] = {}
    for r in rows:
        if r.get("media_type"):
            media.setdefault(r["method"], set()).add(r["media_type"])
    per_media = sorted(m for m, v in media.items() if len(v) > 1)
    by_method: dict[str, list[tuple[float, int, str | None]]] = {}
    named: dict[str, set[str | None]] = {}
    versions: dict[str, str] = {}
    for r in rows:
        if not r["applicable"] or r["score"] is None or r.get("decisive"):
            continue
        key = f"{r['method']}@{r['media_type']}" if r["method"] in per_media else r["method"]
        by_method.setdefault(key, []).append((float(r["score"]), int(r["y"]), r.get("item_kind")))
        named.setdefault(key, set()).add(r.get("category"))
        if r.get("method_version"):
            versions[key] = r["method_version"]
    out: dict[str, Any] = {}
    for m, items in sorted(by_method.items()):
        kinds = named[m]
        kind = next(iter(kinds)) if len(kinds) == 1 else None
        own = [(x, y) for x, y, k in items if y == 0 or k == kind] if kind else []
        positives = kind if sum(y for _, y in own) >= MIN_PER_CLASS else "all"
        use = own if positives != "all" else [(x, y) for x, y, _ in items]
        entry = FITTERS[form or FORM]([x for x, _ in use], [y for _, y in use])
        if entry is not None:
            entry["positives"] = positives
            if m in versions:
                entry["method_version"] = versions[m]
            out[m] = entry
    return {"methods": out, "per_media_methods": per_media}


@dataclass
class MixtureDesign:
    """The rows' calibrated method LLRs laid out for the fused mixture LLR as a function of the
    weights: L[row, slot, method] holds a method's LLR in each kind slot it counts in (the kinds a
    row examines, or one "any" slot), `norm` the log of the number of kinds in scope."""

    keys: list[str]
    fams: list[str]
    L: np.ndarray
    valid: np.ndarray
    norm: np.ndarray
    fam_cols: list[np.ndarray]
    cap: float

    @classmethod
    def build(cls, method_llrs: list[dict[str, float]], categories: list[dict[str, str | None]],
              families: dict[str, str], media_types: list[str | None], cap: float) -> MixtureDesign:
        from huiyan.fusion.combine import KINDS, kind_in_scope, scope_of

        keys = sorted({k for d in method_llrs for k in d})
        fams = sorted({families[k] for k in keys})
        col = {k: i for i, k in enumerate(keys)}
        L = np.zeros((len(method_llrs), len(KINDS), len(keys)))
        valid = np.zeros(L.shape[:2], dtype=bool)
        norm = np.zeros(len(method_llrs))
        for i, (d, cats, media) in enumerate(zip(method_llrs, categories, media_types, strict=True)):
            scope = scope_of(media)
            cat = {k: kind_in_scope(cats.get(k), scope) for k in d}
            examined = [k for k in scope if any(c == k for c in cat.values())]
            if not examined:  # only evidence naming no kind: its sum is the LLR
                valid[i, 0] = True
                for k, v in d.items():
                    L[i, 0, col[k]] = v
                continue
            norm[i] = math.log(max(len(scope), len(examined)))
            for j, kind in enumerate(examined):
                valid[i, j] = True
                for k, v in d.items():
                    if cat[k] in (kind, None):
                        L[i, j, col[k]] = v
        fam_cols = [np.array([col[k] for k in keys if families[k] == f]) for f in fams]
        return cls(keys, fams, L, valid, norm, fam_cols, cap)

    def fused(self, method_w: np.ndarray, family_w: np.ndarray) -> np.ndarray:
        """Fused LLR of every row at these weights (as huiyan.fusion.combine.fused_llr gives it)."""
        from scipy.special import logsumexp

        a = self.L * method_w
        total = np.zeros(self.L.shape[:2])
        for fi, cols in enumerate(self.fam_cols):
            sub = a[:, :, cols]
            fam = np.clip(np.maximum(sub, 0).max(axis=2) + np.minimum(sub, 0).min(axis=2), -self.cap, self.cap)
            total += family_w[fi] * fam
        return logsumexp(np.where(self.valid, total, -np.inf), axis=1) - self.norm


def fit_mixture_weights(method_llrs: list[dict[str, float]], categories: list[dict[str, str | None]],
                        families: dict[str, str], labels, media_types: list[str | None], *, cap: float,
                        ridge: float = 1.0) -> tuple[dict[str, float], dict[str, float]]:
    """Method and family weights in [0, 1], fitted together on the class-balanced log-loss of the
    fused LLR that huiyan.fusion.combine.fused_llr forms from them (the mixture over the kinds of
    manipulation). Fitting the weights jointly is what keeps correlated evidence from being counted
    twice (two methods of different families that say the same thing share one weight between
    them; within a family the max rule already does), and a ridge pulls each weight towards 1
    (trust the calibration) unless the data say otherwise: evidence that points the wrong way out
    of sample, or adds nothing beyond the rest, is driven towards 0. With calibration maps fitted
    per kind, a generation method rightly says "not generated" of a local edit; a fit on the sum
    over all evidence (used up to session 7) read that as a mistake and discounted the method, the
    mixture does not (docs/DECISIONS.md, "Calibration maps per kind"). A kind counts as examined
    on a row when an applicable finding names it with a non-zero method weight, as in
    huiyan.fusion.combine.hypothesis_llrs: a method fitted to weight 0 (after rounding to 4
    decimals) is removed and the rest refitted, until no further weight falls to 0, so that the
    weights returned are fitted on the mixture they are used in. Returns (method weights, family
    weights; a family whose methods were all removed gets 0); L-BFGS-B with finite-difference
    gradients, about a second for a thousand rows per round."""
    from scipy.optimize import minimize

    keys = sorted({k for d in method_llrs for k in d})
    fams = sorted({families[k] for k in keys})
    y = np.asarray(labels, dtype=float)
    n_pos, n_neg = (y == 1).sum(), (y == 0).sum()
    if not keys or n_pos == 0 or n_neg == 0:
        return dict.fromkeys(keys, 1.0), dict.fromkeys(fams, 1.0)
    sw = np.where(y == 1, 0.5 / n_pos, 0.5 / n_neg)
    sgn = 2 * y - 1
    r = ridge / max(1.0, len(y))
    zero: set[str] = set()  # methods fitted to weight 0: no evidence, and they examine no kind
    while True:
        design = MixtureDesign.build([{k: v for k, v in d.items() if k not in zero} for d in method_llrs],
                                     categories, families, media_types, cap)
        m = len(design.keys)
        if not m:  # every method fitted to 0
            w, fw = {}, {}
            break

        def loss(theta, design=design, m=m):
            z = sgn * design.fused(theta[:m], theta[m:])
            return float(sw @ np.logaddexp(0.0, -z) + r * np.sum((theta - 1) ** 2))

        n_par = m + len(design.fams)
        res = minimize(loss, np.ones(n_par), method="L-BFGS-B", bounds=[(0.0, 1.0)] * n_par)
        if not res.success:  # said, not silent (on ../shared/data every fit of session 8 converged)
            print(f"[calibrate] warning: the weight fit did not converge ({res.message}); its weights are used as "
                  "they are", file=sys.stderr, flush=True)
        w = {k: round(float(v), 4) for k, v in zip(design.keys, res.x[:m], strict=True)}
        fw = {f: round(float(v), 4) for f, v in zip(design.fams, res.x[m:], strict=True)}
        new_zero = {k for k, v in w.items() if v == 0.0}
        if not new_zero:
            break
        zero |= new_zero
    return {**w, **dict.fromkeys(zero, 0.0)}, {**dict.fromkeys(fams, 0.0), **fw}


# verdict bands --------------------------------------------------------------------------------

MAX_FPR = 0.01  # likely_synthetic and above on camera originals, under every protocol
MAX_FNR = 0.05  # likely_authentic and below on manipulated items, under every protocol
STEP = 2.3  # ln(10): `synthetic` is ten times stronger evidence than `likely_synthetic`
FPR_MARGIN = 0.5  # added above the highest camera-original LLR allowed by MAX_FPR (see docs/DECISIONS.md)


def _threshold_for_rate(values: np.ndarray, rate: float) -> float:
    """Smallest t such that the share of `values` >= t is at most `rate` (t just above the
    ceil-quantile)."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    k = int(np.floor(rate * len(v)))  # number of values allowed at or above t
    if len(v) == 0:
        return -np.inf
    if k >= len(v):
        return -np.inf
    return float(v[k]) + 1e-4  # fused LLRs carry 4 decimals: strictly above the k-th value


def choose_bands(groups: dict[str, tuple[np.ndarray, np.ndarray]], *, floor: float = 1.0) -> dict[str, float]:
    """Band thresholds on the fused LLR from out-of-sample (y, llr) per group (one group per media
    type and protocol): `likely_synthetic` is the lowest threshold that keeps the false-positive
    rate on camera originals at most MAX_FPR in every group (and at least `floor`), `synthetic`
    is STEP above it; `likely_authentic` is the highest threshold that keeps the share of
    manipulated items at or below it at most MAX_FNR in every group (and at most -floor),
    `authentic` is STEP below it."""
    ls = floor
    la = -floor
    for y, llr in groups.values():
        y = np.asarray(y, dtype=int)
        llr = np.asarray(llr, dtype=float)
        if (y == 0).any():
            ls = max(ls, _threshold_for_rate(llr[y == 0], MAX_FPR) + FPR_MARGIN)
        if (y == 1).any():
            la = min(la, -_threshold_for_rate(-llr[y == 1], MAX_FNR))
    up, down = (lambda v: math.ceil(v * 1e4) / 1e4), (lambda v: math.floor(v * 1e4) / 1e4)
    return {
        "synthetic": up(ls + STEP),
        "likely_synthetic": up(ls),
        "likely_authentic": down(la),
        "authentic": down(la - STEP),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m huiyan.fusion.calibrate", description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder with images/ and videos/ (each with MANIFEST.csv)")
    ap.add_argument("--out", required=True, help="calibration JSON to write")
    ap.add_argument("--work", default="out/bench", help="harness cache folder")
    ap.add_argument("--limit", type=int, default=None, help="at most N files per media type (smoke runs)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reuse-stale", action="store_true", help="use cached detector results of older method versions")
    args = ap.parse_args(argv)
    from huiyan.bench.make_all import collect, write_calibration

    ds = collect(args.data, args.work, limit=args.limit, workers=args.workers, reuse_stale=args.reuse_stale)
    write_calibration(ds, args.out)
    print(f"calibration written: {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
