"""Fusion of findings into one score, verdict, category and reasons.

Scores are combined as log-likelihood ratios (manipulated vs camera original), never as averaged
probabilities: within a family first (correlated methods share one capped budget), then across
families. A cryptographically verified provenance finding (`decisive=True`) decides on its own;
its absence never counts as evidence. Not-applicable findings contribute nothing.

Each method's calibrated LLR is first scaled by a method weight in [0, 1] (`method_weights`),
fitted jointly over all methods on out-of-sample LLRs (huiyan.fusion.calibrate.fit_weights): a
method whose calibrated evidence did not generalise across sources, or that only repeats what a
correlated method already says, is discounted towards 0. Within a family only the strongest
weighted LLR for and the strongest against count (correlated methods are not added up), capped at
+-FAMILY_CAP; family LLRs are then summed (families look at different evidence), each scaled by a
family weight in [0, 1] fitted the same way on the family LLRs (`family_weights`). When one family
is strongly for manipulation and another strongly against, the verdict is `inconclusive`. `score`
is the posterior probability of manipulation under the stated prior (default 0.5), and `verdict`
reads the fused LLR against the bands of the item's media type (`bands_by_media`). A method that
applies to both images and videos has a map and a weight per media type (`method@image`,
`method@video`), because the same score means different things on a photograph and on video stills.

The per-method calibration (score -> LLR) and the verdict bands are fitted by `make calibrate`
(huiyan.fusion.calibrate) and stored in `huiyan/data/calibration.json` with the measured error
rates of each band; until a method has a fitted calibration (or when its version changed since)
its LLR is whatever the method itself states (0 for a bare statistic).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from huiyan.detectors.base import Finding

VERDICTS = ("synthetic", "likely_synthetic", "inconclusive", "likely_authentic", "authentic")

# Default bands on the fused LLR (prior odds 1:1) until calibrate.py writes measured ones.
DEFAULT_BANDS = {"synthetic": 4.6, "likely_synthetic": 2.2, "likely_authentic": -2.2, "authentic": -4.6}
FAMILY_CAP = 4.0  # a single family can move the odds by at most e^4 ~ 55x
DECISIVE_LLR = 9.2  # what a verified provenance claim contributes (odds ~ 10^4)
DISAGREEMENT_LLR = 2.0  # one family this far for and another this far against: inconclusive


@lru_cache(maxsize=1)
def load_calibration() -> dict[str, Any]:
    try:
        text = resources.files("huiyan").joinpath("data/calibration.json").read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    return json.loads(text)


def calibration_key(calib: dict[str, Any], method: str, media_type: str | None) -> str:
    """Where a method's map and weight live: `method@media` for a method calibrated separately per
    media type (its score means different things on a photograph and on video stills), else
    `method`."""
    if media_type and method in calib.get("per_media_methods", ()):
        return f"{method}@{media_type}"
    return method


def calibration_entry(calib: dict[str, Any], method: str, media_type: str | None) -> dict[str, Any] | None:
    return (calib.get("methods") or {}).get(calibration_key(calib, method, media_type))


def calibrated_llr(f: Finding, calib: dict[str, Any], media_type: str | None = None) -> float:
    """The finding's LLR after the method's fitted calibration, if any; otherwise the LLR the
    method states itself (clipped to the per-method limit). Not applicable gives 0."""
    from huiyan.fusion.calibrate import LLR_MAX, apply_calibration

    if not f.applicable:
        return 0.0
    m = calibration_entry(calib, f.method, media_type)
    if not m or f.score is None or m.get("method_version", f.method_version) != f.method_version:
        return max(-LLR_MAX, min(LLR_MAX, float(f.llr or 0.0)))
    return apply_calibration(m, f.score)


@dataclass
class Fused:
    llr: float
    score: float
    verdict: str
    category: str | None
    family_llr: dict[str, float] = field(default_factory=dict)
    method_llr: dict[str, float] = field(default_factory=dict)  # calibrated, before any weight (by calibration key)
    method_family: dict[str, str] = field(default_factory=dict)  # calibration key -> family
    reasons: list[dict[str, Any]] = field(default_factory=list)
    band_error_rates: dict[str, Any] | None = None
    prior: float = 0.5
    disagreement: bool = False


def verdict_for(llr: float, bands: dict[str, float]) -> str:
    if llr >= bands["synthetic"]:
        return "synthetic"
    if llr >= bands["likely_synthetic"]:
        return "likely_synthetic"
    if llr <= bands["authentic"]:
        return "authentic"
    if llr <= bands["likely_authentic"]:
        return "likely_authentic"
    return "inconclusive"


def family_llr(llrs: list[float], cap: float) -> float:
    """Combine the LLRs of one family's methods, which look at related evidence and are
    correlated: only the strongest evidence for and the strongest evidence against count
    (never the sum of agreeing methods), and the result is capped at +-cap."""
    pos = max((v for v in llrs if v > 0), default=0.0)
    neg = min((v for v in llrs if v < 0), default=0.0)
    return max(-cap, min(cap, pos + neg))


def family_llrs(method_llrs: dict[str, float], families: dict[str, str], method_weights: dict[str, float],
                cap: float) -> dict[str, float]:
    """Per-family LLR (before the family weight) from per-method calibrated LLRs: each scaled by
    its method weight, then combined within the family by `family_llr`."""
    per: dict[str, list[float]] = {}
    for m, v in method_llrs.items():
        per.setdefault(families[m], []).append(method_weights.get(m, 1.0) * v)
    return {fam: family_llr(v, cap) for fam, v in per.items()}


def bands_for(calib: dict[str, Any], media_type: str | None = None) -> dict[str, float]:
    """The verdict bands for a media type: images and videos have their own (chosen on their own
    camera originals), with the pooled bands, then the defaults, as fallback."""
    by = calib.get("bands_by_media") or {}
    return by.get(media_type) or calib.get("bands") or DEFAULT_BANDS


def fuse(findings: list[Finding], *, prior: float = 0.5, calib: dict[str, Any] | None = None,
         media_type: str | None = None) -> Fused:
    """Fuse findings into one result. `calib` defaults to the shipped calibration file; the
    evaluation harness passes the maps fitted out of sample for each fold. `media_type` selects
    the verdict bands and band error rates of images or videos."""
    if calib is None:
        calib = load_calibration()
    bands = bands_for(calib, media_type)
    cap = calib.get("family_cap", FAMILY_CAP)
    disagree = calib.get("disagreement_llr", DISAGREEMENT_LLR)
    mweights = calib.get("method_weights", {})
    method_llr: dict[str, float] = {}
    families: dict[str, str] = {}
    decisive = [f for f in findings if f.applicable and f.decisive]
    for f in findings:
        if not f.applicable:
            f.llr = 0.0  # not applicable contributes nothing
            continue
        if f.decisive:
            continue
        key = calibration_key(calib, f.method, media_type)
        llr = calibrated_llr(f, calib, media_type)
        method_llr[key] = llr
        families[key] = f.family
        f.llr = round(float(mweights.get(key, 1.0) * llr), 4)  # what it brings to its family
    weights = calib.get("family_weights", {})
    fam_llr = {fam: weights.get(fam, 1.0) * v for fam, v in family_llrs(method_llr, families, mweights, cap).items()}
    total = sum(fam_llr.values())
    disagreement = (
        bool(fam_llr) and max(fam_llr.values()) >= disagree and min(fam_llr.values()) <= -disagree
    )
    if decisive:
        for f in decisive:
            f.llr = math.copysign(DECISIVE_LLR, f.llr or 1.0)
        total = sum(f.llr for f in decisive)
        disagreement = False
    prior_logit = math.log(prior / (1 - prior))
    post = 1.0 / (1.0 + math.exp(-(total + prior_logit)))
    verdict = "inconclusive" if disagreement else verdict_for(total, bands)

    def moved(f: Finding) -> float:  # what the finding contributed after its family's weight
        return f.llr if f.decisive else weights.get(f.family, 1.0) * f.llr

    # category: the kind of manipulation named by the findings that pushed towards manipulation
    cat_weight: dict[str, float] = {}
    for f in findings:
        if f.applicable and f.category and moved(f) > 0:
            cat_weight[f.category] = cat_weight.get(f.category, 0.0) + moved(f)
    # named only when the verdict asserts manipulation: on an inconclusive item a category would
    # read as a finding the evidence does not support
    category = max(cat_weight, key=cat_weight.get) if cat_weight and verdict in VERDICTS[:2] else None
    movers = sorted((f for f in findings if f.applicable and abs(moved(f)) > 1e-6), key=lambda f: -abs(moved(f)))
    reasons = [
        {"method": f.method, "family": f.family, "llr": round(moved(f), 3), **f.explanation} for f in movers[:5]
    ]
    if disagreement:
        hi = max(fam_llr, key=fam_llr.get)
        lo = min(fam_llr, key=fam_llr.get)
        reasons.insert(0, {
            "method": "fusion.disagreement",
            "family": None,
            "llr": 0.0,
            "zh": f"证据族相互矛盾：{hi} 指向合成/篡改（LLR {fam_llr[hi]:+.1f}），{lo} 指向原始拍摄"
                  f"（LLR {fam_llr[lo]:+.1f}），故不下结论",
            "en": f"evidence families disagree: {hi} points to manipulation (LLR {fam_llr[hi]:+.1f}), "
                  f"{lo} to a camera original (LLR {fam_llr[lo]:+.1f}); no conclusion is drawn",
        })
    rates = ((calib.get("band_error_rates_by_media") or {}).get(media_type) or calib.get("band_error_rates", {})).get(verdict)
    return Fused(
        llr=round(total, 4),
        score=round(post, 6),
        verdict=verdict,
        category=category,
        family_llr={k: round(v, 4) for k, v in fam_llr.items()},
        method_llr={k: round(v, 4) for k, v in method_llr.items()},
        method_family=families,
        reasons=reasons,
        band_error_rates=rates,
        prior=prior,
        disagreement=disagreement,
    )
