"""Fusion of findings into one score, verdict, category and reasons.

Scores are combined as log-likelihood ratios (manipulated vs camera original), never as averaged
probabilities: within a family first (correlated methods share one capped budget), then across
families. A cryptographically verified provenance finding (`decisive=True`) decides on its own;
its absence never counts as evidence. Not-applicable findings contribute nothing.

Each method's calibrated LLR is first scaled by a method weight in [0, 1] (`method_weights`): a
method whose calibrated evidence did not generalise across sources, or that only repeats what a
correlated method already says, is discounted towards 0. Within a family only the strongest
weighted LLR for and the strongest against count (correlated methods are not added up), capped at
+-FAMILY_CAP; family LLRs are then summed (families look at different evidence), each scaled by a
family weight in [0, 1] (`family_weights`). Both sets of weights are fitted together on
out-of-sample LLRs, on the likelihood of the fused LLR this module forms
(huiyan.fusion.calibrate.fit_mixture_weights).

"Manipulated" is a composite hypothesis: fully generated, face manipulated or locally edited
(KINDS). Each kind predicts different evidence: a face swap is made from camera footage, so it
lacks a generator fingerprint and keeps a camera-like stream, and that absence must not count
against it. So the sum above is formed once per kind (`hypothesis_llrs`), from the findings that
name that kind (the `category` of each finding) and the findings that name none, and the kinds are
combined as a mixture with equal prior weight on each kind in scope for the media type
(`mixture_llr`; SCOPE: images all three, videos fully generated and face manipulated, since no
method examines local edits in video):
    LR(manipulated) = sum over the kinds examined of LR(kind) / number of kinds in scope.
A kind in scope is examined on an item when at least one finding that names it applies and carries
a non-zero method weight. A kind in scope that could not be examined (no face found, or the face
too small, the clip too short, the frame rate too low for the face methods) keeps its prior share
but contributes a likelihood ratio of 0: the verdict then speaks only for the kinds examined, and
the report lists the others as not examined. For "no face found" this is close to exact (face
manipulation needs a face); for the other reasons it is a choice of scope, not a likelihood: the
alternative, giving such a kind the evidence that names no kind, was measured and was worse on
videos (docs/DECISIONS.md). A finding naming a kind out of scope counts as naming none; when no
kind is examined at all, the findings naming none are the whole evidence and their sum is the LLR
(`hypothesis_llrs` returns them under "any"), which is what every kind would get from them. This
is the LLR of "manipulated in a way examined here" vs "camera original", with the kinds in scope
equally likely a priori. One consequence to read the numbers by: finding a face adds a hypothesis,
so a face with mildly negative evidence still raises the fused LLR of a clip whose other evidence
is strongly negative.

`category` is the kind with the highest LLR, named only when the verdict asserts manipulation and
that kind's own findings (not only those naming none) raised its LLR. The reasons are then the
findings that bear on that kind, plus strong positive findings of other kinds; evidence against
another kind (a face swap's missing generator fingerprint) is left out. When, within the kind that
explains the evidence best, one family is strongly for manipulation and another strongly against,
the verdict is `inconclusive`. `score` is the posterior probability of manipulation under the stated prior (default 0.5), and `verdict`
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
KINDS = ("fully_generated", "face_manipulated", "locally_edited")  # the hypotheses "manipulated" is made of
# the kinds each media type is examined for (tests check this against the detectors' categories)
SCOPE = {"image": KINDS, "video": ("fully_generated", "face_manipulated")}

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


def usable(f: Finding) -> bool:
    """False for a finding whose score or stated LLR is not a finite number (NaN or inf from a
    failed computation): it is treated as not applicable, never clipped into strong evidence."""
    return all(v is None or math.isfinite(float(v)) for v in (f.score, f.llr))


def calibrated_llr(f: Finding, calib: dict[str, Any], media_type: str | None = None) -> float:
    """The finding's LLR after the method's fitted calibration, if any; otherwise the LLR the
    method states itself (clipped to the per-method limit). Not applicable gives 0."""
    from huiyan.fusion.calibrate import LLR_MAX, apply_calibration

    if not f.applicable or not usable(f):
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
    method_category: dict[str, str | None] = field(default_factory=dict)  # calibration key -> kind named
    hypothesis_llr: dict[str, float] = field(default_factory=dict)  # kind examined -> its fused LLR
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


def scope_of(media_type: str | None) -> tuple[str, ...]:
    return SCOPE.get(media_type or "", KINDS)


def kind_in_scope(category: str | None, scope: tuple[str, ...]) -> str | None:
    """The kind a finding names, or None when it names none or a kind out of scope."""
    return category if category in scope else None


def hypothesis_llrs(method_llrs: dict[str, float], families: dict[str, str], categories: dict[str, str | None],
                    method_weights: dict[str, float], family_weights: dict[str, float],
                    cap: float, scope: tuple[str, ...] = KINDS) -> dict[str, dict[str, float]]:
    """Per kind of manipulation in `scope` that is examined, its weighted family LLRs: the family
    combination of the findings that name that kind or none (a kind out of scope counts as none).
    A kind is examined when at least one finding naming it applies with a non-zero method weight;
    when none is, the findings (all naming no kind, or weighted 0) are returned under "any"."""
    cat = {m: kind_in_scope(c, scope) for m, c in categories.items()}
    examined = [k for k in scope if any(cat.get(m) == k and method_weights.get(m, 1.0) > 0 for m in method_llrs)]
    if method_llrs and not examined:
        fams = family_llrs(method_llrs, families, method_weights, cap)
        return {"any": {fam: family_weights.get(fam, 1.0) * v for fam, v in fams.items()}}
    out: dict[str, dict[str, float]] = {}
    for kind in examined:
        sel = {m: v for m, v in method_llrs.items() if cat.get(m) in (kind, None)}
        fams = family_llrs(sel, families, method_weights, cap)
        out[kind] = {fam: family_weights.get(fam, 1.0) * v for fam, v in fams.items()}
    return out


def mixture_llr(kind_llrs: dict[str, float], n_scope: int) -> float:
    """LLR of the composite hypothesis from the LLRs of the kinds examined, each of the `n_scope`
    kinds in scope with prior weight 1/n_scope and the kinds not examined contributing LR 0:
    log(sum(exp(llr_k)) / n_scope). Nothing examined at all: no evidence (0); only evidence that
    names no kind (key "any"): its LLR as it is."""
    if not kind_llrs:
        return 0.0
    if set(kind_llrs) == {"any"}:
        return kind_llrs["any"]
    top = max(kind_llrs.values())
    return top + math.log(sum(math.exp(v - top) for v in kind_llrs.values()) / max(n_scope, len(kind_llrs)))


def fused_llr(method_llrs: dict[str, float], families: dict[str, str], categories: dict[str, str | None],
              method_weights: dict[str, float], family_weights: dict[str, float], cap: float,
              media_type: str | None) -> float:
    """The fused LLR (before decisive findings) from calibrated method LLRs: the mixture over the
    kinds of manipulation in scope (see the module docstring)."""
    scope = scope_of(media_type)
    per = hypothesis_llrs(method_llrs, families, categories, method_weights, family_weights, cap, scope)
    return mixture_llr({k: sum(v.values()) for k, v in per.items()}, len(scope))


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
    categories: dict[str, str | None] = {}
    decisive = [f for f in findings if f.applicable and f.decisive]
    for f in findings:
        if not f.applicable or not usable(f):
            f.llr = 0.0  # not applicable (or not a number) contributes nothing
            continue
        if f.decisive:
            continue
        key = calibration_key(calib, f.method, media_type)
        llr = calibrated_llr(f, calib, media_type)
        method_llr[key] = llr
        families[key] = f.family
        categories[key] = f.category if f.category in KINDS else None  # out of scope: see hypothesis_llrs
        f.llr = round(float(mweights.get(key, 1.0) * llr), 4)  # what it brings to its family
    weights = calib.get("family_weights", {})
    # what each family says over all the evidence (shown per family; not what is summed)
    fam_llr = {fam: weights.get(fam, 1.0) * v for fam, v in family_llrs(method_llr, families, mweights, cap).items()}
    scope = scope_of(media_type)
    per_kind = hypothesis_llrs(method_llr, families, categories, mweights, weights, cap, scope)
    kind_llr = {k: sum(v.values()) for k, v in per_kind.items()}
    total = mixture_llr(kind_llr, len(scope))
    best = max(kind_llr, key=kind_llr.get) if kind_llr else None
    best_fams = per_kind.get(best, {})
    disagreement = (
        bool(best_fams) and max(best_fams.values()) >= disagree and min(best_fams.values()) <= -disagree
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

    if decisive:  # the kind the verified provenance names
        cat_weight: dict[str, float] = {}
        for f in decisive:
            if f.category and moved(f) > 0:
                cat_weight[f.category] = cat_weight.get(f.category, 0.0) + moved(f)
        category = max(cat_weight, key=cat_weight.get) if cat_weight else None
    elif best in KINDS:  # the kind that explains the evidence best, if its own findings raised it
        generic = {m: v for m, v in method_llr.items() if kind_in_scope(categories.get(m), scope) is None}
        generic_llr = sum(weights.get(fam, 1.0) * v for fam, v in family_llrs(generic, families, mweights, cap).items())
        category = best if kind_llr[best] > generic_llr + 1e-6 else None
    else:
        category = None
    # named only when the verdict asserts manipulation: on an inconclusive item a category would
    # read as a finding the evidence does not support
    asserted = verdict in VERDICTS[:2]
    category = category if asserted else None

    def counted(f: Finding) -> bool:
        """When manipulation is asserted: the findings bearing on its kind, and positive findings of
        other kinds, not the evidence against another kind."""
        if decisive or not asserted or category is None:
            return True
        return kind_in_scope(f.category, scope) in (category, None) or moved(f) > 0

    movers = sorted((f for f in findings if f.applicable and abs(moved(f)) > 1e-6 and counted(f)),
                    key=lambda f: -abs(moved(f)))
    reasons = [
        {"method": f.method, "family": f.family, "llr": round(moved(f), 3), **f.explanation} for f in movers[:5]
    ]
    if disagreement:
        hi = max(best_fams, key=best_fams.get)
        lo = min(best_fams, key=best_fams.get)
        reasons.insert(0, {
            "method": "fusion.disagreement",
            "family": None,
            "llr": 0.0,
            "zh": (f"在最能解释证据的情形（{best}）内，" if best in KINDS else "")
                  + f"证据族相互矛盾：{hi} 指向合成/篡改（LLR {best_fams[hi]:+.1f}），"
                  f"{lo} 指向原始拍摄（LLR {best_fams[lo]:+.1f}），故不下结论",
            "en": (f"within the kind that explains the evidence best ({best}), " if best in KINDS else "")
                  + f"evidence families disagree: {hi} points to manipulation (LLR {best_fams[hi]:+.1f}), "
                  f"{lo} to a camera original (LLR {best_fams[lo]:+.1f}); no conclusion is drawn",
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
        method_category=categories,
        hypothesis_llr={} if decisive else {k: round(v, 4) for k, v in kind_llr.items()},
        reasons=reasons,
        band_error_rates=rates,
        prior=prior,
        disagreement=disagreement,
    )
