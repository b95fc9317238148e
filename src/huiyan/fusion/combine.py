"""Fusion of findings into one score, verdict, category and reasons.

Scores are combined as log-likelihood ratios (manipulated vs camera original), never as averaged
probabilities: within a family first (correlated methods share one capped budget), then across
families. A cryptographically verified provenance finding (`decisive=True`) decides on its own;
its absence never counts as evidence. Not-applicable findings contribute nothing.

The per-method calibration (score -> LLR) and the verdict bands are fitted by `make calibrate`
(huiyan.fusion.calibrate) and stored in `huiyan/data/calibration.json`; until a method has a fitted
calibration its LLR is whatever the method itself states (0 for a bare statistic).
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


@lru_cache(maxsize=1)
def load_calibration() -> dict[str, Any]:
    try:
        text = resources.files("huiyan").joinpath("data/calibration.json").read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    return json.loads(text)


def calibrated_llr(f: Finding, calib: dict[str, Any]) -> float:
    """The finding's LLR after the method's fitted calibration, if any."""
    if not f.applicable or f.score is None:
        return f.llr if f.applicable else 0.0
    m = calib.get("methods", {}).get(f.method)
    if not m:
        return f.llr
    from huiyan.fusion.calibrate import apply_calibration

    return apply_calibration(m, f.score)


@dataclass
class Fused:
    llr: float
    score: float
    verdict: str
    category: str | None
    family_llr: dict[str, float] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    band_error_rates: dict[str, Any] | None = None
    prior: float = 0.5


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


def fuse(findings: list[Finding], *, prior: float = 0.5) -> Fused:
    calib = load_calibration()
    bands = calib.get("bands", DEFAULT_BANDS)
    cap = calib.get("family_cap", FAMILY_CAP)
    per_family: dict[str, list[tuple[float, Finding]]] = {}
    decisive = [f for f in findings if f.applicable and f.decisive]
    for f in findings:
        if not f.applicable or f.decisive:
            continue
        llr = calibrated_llr(f, calib)
        f.llr = round(float(llr), 4)
        per_family.setdefault(f.family, []).append((llr, f))
    family_llr: dict[str, float] = {}
    for fam, items in per_family.items():
        pos = sum(v for v, _ in items if v > 0)
        neg = sum(v for v, _ in items if v < 0)
        family_llr[fam] = max(-cap, min(cap, pos + neg))
    total = sum(family_llr.values())
    if decisive:
        total = sum(math.copysign(DECISIVE_LLR, f.llr or 1.0) for f in decisive)
        for f in decisive:
            f.llr = math.copysign(DECISIVE_LLR, f.llr or 1.0)
    prior_logit = math.log(prior / (1 - prior))
    post = 1.0 / (1.0 + math.exp(-(total + prior_logit)))
    verdict = verdict_for(total, bands)
    # category: the kind of manipulation named by the findings that pushed towards manipulation
    cat_weight: dict[str, float] = {}
    for f in findings:
        if f.applicable and f.category and f.llr > 0:
            cat_weight[f.category] = cat_weight.get(f.category, 0.0) + f.llr
    category = max(cat_weight, key=cat_weight.get) if cat_weight and verdict in VERDICTS[:3] else None
    if verdict in ("authentic", "likely_authentic"):
        category = None
    movers = sorted((f for f in findings if f.applicable and abs(f.llr) > 1e-6), key=lambda f: -abs(f.llr))
    reasons = [
        {"method": f.method, "family": f.family, "llr": round(f.llr, 3), **f.explanation} for f in movers[:5]
    ]
    rates = calib.get("band_error_rates", {}).get(verdict)
    return Fused(
        llr=round(total, 4),
        score=round(post, 6),
        verdict=verdict,
        category=category,
        family_llr={k: round(v, 4) for k, v in family_llr.items()},
        reasons=reasons,
        band_error_rates=rates,
        prior=prior,
    )
