"""Calibration maps are monotone, finite and informative; bands respect the FPR limit."""

from __future__ import annotations

import numpy as np
import pytest

from huiyan.fusion.calibrate import (
    LLR_MAX,
    MAX_FPR,
    apply_calibration,
    choose_bands,
    fit_isotonic_llr,
    fit_logistic_llr,
    fit_methods,
    fit_mixture_weights,
    pav,
)


def test_pav_known_result():
    means, weights, spans = pav(np.array([1.0, 3.0, 2.0, 4.0]), np.ones(4))
    assert list(means) == [1.0, 2.5, 4.0]
    assert spans == [(0, 1), (1, 3), (3, 4)]
    assert list(weights) == [1.0, 2.0, 1.0]


def test_isotonic_map_is_monotone_and_bounded():
    rng = np.random.default_rng(0)
    s = np.r_[rng.normal(0, 1, 200), rng.normal(1.5, 1, 100)]
    y = np.r_[np.zeros(200), np.ones(100)].astype(int)
    e = fit_isotonic_llr(s, y)
    grid = np.linspace(-5, 6, 400)
    llr = np.array([apply_calibration(e, g) for g in grid])
    assert np.all(np.diff(llr) >= -1e-12)
    assert np.all(np.abs(llr) <= LLR_MAX)
    assert llr[0] < -1.0 and llr[-1] > 1.0  # informative at both ends
    assert np.all(np.diff(e["x"]) > 0)


def test_class_balance_does_not_shift_llr():
    # an uninformative score gives LLR ~ 0 whatever the class ratio
    s = np.r_[np.arange(300) % 10, np.arange(30) % 10].astype(float)
    y = np.r_[np.zeros(300), np.ones(30)].astype(int)
    e = fit_isotonic_llr(s, y)
    assert max(abs(v) for v in e["y"]) < 0.5


def test_logistic_map_recovers_a_known_llr():
    # two Gaussian classes with equal variance: the true LLR is linear in the score,
    # LLR(s) = (mu1 - mu0) / var * (s - (mu0 + mu1) / 2) = 2 * (s - 0.5) for mu 0 and 1, var 0.5
    rng = np.random.default_rng(1)
    s = np.r_[rng.normal(0, 0.5**0.5, 4000), rng.normal(1, 0.5**0.5, 2000)]
    y = np.r_[np.zeros(4000), np.ones(2000)].astype(int)
    e = fit_logistic_llr(s, y)
    assert e["kind"] == "logistic" and e["n_real"] == 4000 and e["n_manipulated"] == 2000
    for v, want in ((0.5, 0.0), (1.0, 1.0), (0.0, -1.0)):  # near the centre asinh is ~ linear
        assert apply_calibration(e, v) == pytest.approx(want, abs=0.25)


def test_logistic_map_keeps_the_order_and_bounds_of_heavy_tailed_scores():
    rng = np.random.default_rng(2)
    s = np.r_[rng.lognormal(0, 2, 300), rng.lognormal(1, 2, 150)]  # ELA-like: spans five decades
    y = np.r_[np.zeros(300), np.ones(150)].astype(int)
    e = fit_logistic_llr(s, y)
    grid = np.sort(np.r_[s, 1e-9, 1e9])
    llr = np.array([apply_calibration(e, g) for g in grid])
    assert e["slope"] > 0
    assert np.all(np.diff(llr) >= 0) and np.all(np.abs(llr) <= LLR_MAX)
    assert len(np.unique(np.round(llr[1:-1], 9))) > 0.95 * len(s)  # no steps: distinct scores stay distinct


def test_an_inverted_or_uninformative_score_gives_no_evidence():
    rng = np.random.default_rng(4)
    s = np.r_[rng.normal(1, 1, 200), rng.normal(0, 1, 100)]  # manipulated items score lower
    y = np.r_[np.zeros(200), np.ones(100)].astype(int)
    e = fit_logistic_llr(s, y)
    assert e["slope"] == 0.0 and abs(e["intercept"]) < 0.05
    s = np.r_[np.arange(300) % 10, np.arange(30) % 10].astype(float)  # same distribution, 10:1 classes
    y = np.r_[np.zeros(300), np.ones(30)].astype(int)
    e = fit_logistic_llr(s, y)
    assert max(abs(apply_calibration(e, v)) for v in range(10)) < 0.2


def test_logistic_map_of_tiny_or_mostly_tied_scores_has_a_usable_scale():
    rng = np.random.default_rng(6)
    tiny = np.r_[rng.normal(0, 1e-8, 50), rng.normal(3e-8, 1e-8, 50)]  # a score measured in 1e-8 units
    y = np.r_[np.zeros(50), np.ones(50)].astype(int)
    e = fit_logistic_llr(tiny, y)
    assert e["scale"] > 0 and e["slope"] > 0
    assert apply_calibration(e, 3e-8) > apply_calibration(e, 0.0)
    counts = np.r_[np.zeros(45), [1, 2, 3, 1, 1], np.zeros(35), [2, 3, 5, 4, 6] * 3]  # copy-move-like: 80 % zeros
    e = fit_logistic_llr(counts, y)
    assert e["scale"] == pytest.approx(np.std(counts), rel=1e-6)  # quartiles tie: the standard deviation
    assert apply_calibration(e, 5.0) > 0.5 > -0.5 > apply_calibration(e, 0.0) - 1.0


def test_separable_classes_give_finite_bounded_llrs():
    e = fit_logistic_llr([0, 1, 2, 3, 10, 11, 12, 13], [0, 0, 0, 0, 1, 1, 1, 1])
    assert np.isfinite([e["slope"], e["intercept"]]).all()
    assert 0.5 < apply_calibration(e, 13) <= LLR_MAX and -LLR_MAX <= apply_calibration(e, 0) < -0.5


def test_an_unknown_calibration_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown calibration kind"):
        apply_calibration({"kind": "spline", "knots": []}, 0.5)
    assert apply_calibration({"x": [0.0, 1.0], "y": [-1.0, 1.0]}, 0.5) == 0.0  # old files: isotonic


def test_fit_methods_fits_the_form_asked_for():
    rng = np.random.default_rng(5)
    rows = [{"method": "m", "score": float(v), "applicable": True, "y": y}
            for y in (0, 1) for v in rng.normal(y, 1, 50)]
    assert fit_methods(rows)["methods"]["m"]["kind"] == "logistic"  # the shipped form
    assert fit_methods(rows, "isotonic")["methods"]["m"]["kind"] == "isotonic"


def test_a_method_naming_one_kind_is_calibrated_on_that_kind():
    """A generation detector sees generated items high and local edits like camera originals: fitted
    on generated items only, its map is steeper than one diluted by the local edits; a method whose
    findings name several kinds, or a kind with too few items, falls back to all manipulated."""
    rng = np.random.default_rng(7)

    def rows_of(method, category, n_tampered=60):
        out = [{"method": method, "score": float(v), "applicable": True, "y": 0, "category": category,
                "item_kind": None} for v in rng.normal(0, 1, 60)]
        out += [{"method": method, "score": float(v), "applicable": True, "y": 1, "category": category,
                 "item_kind": "fully_generated"} for v in rng.normal(2.5, 1, 60)]
        out += [{"method": method, "score": float(v), "applicable": True, "y": 1, "category": category,
                 "item_kind": "locally_edited"} for v in rng.normal(0, 1, n_tampered)]
        return out

    fit = fit_methods(rows_of("gen", "fully_generated"))["methods"]["gen"]
    pooled = fit_methods([{**r, "item_kind": None} for r in rows_of("gen", "fully_generated")])["methods"]["gen"]
    assert fit["positives"] == "fully_generated" and fit["n_manipulated"] == 60 and fit["n_real"] == 60
    assert pooled["positives"] == "all" and pooled["n_manipulated"] == 120
    assert fit["slope"] > pooled["slope"] > 0
    mixed = rows_of("prov", "fully_generated")
    mixed[-1] = {**mixed[-1], "category": None}  # findings of this method name a kind and none
    assert fit_methods(mixed)["methods"]["prov"]["positives"] == "all"
    few = [r for r in rows_of("edit", "locally_edited", n_tampered=2)]
    assert fit_methods(few)["methods"]["edit"]["positives"] == "all"  # 2 < MIN_PER_CLASS local edits


def test_every_manipulated_label_names_a_kind_the_fusion_knows():
    from huiyan.bench.manifest import KIND_OF_LABEL, REAL_LABELS
    from huiyan.fusion.combine import KINDS

    assert set(KIND_OF_LABEL.values()) <= set(KINDS) and not set(KIND_OF_LABEL) & REAL_LABELS


def test_too_few_items_gives_no_map():
    assert fit_isotonic_llr([0.1, 0.2, 0.9], [0, 1, 1]) is None
    assert fit_logistic_llr([0.1, 0.2, 0.9, float("nan")] * 2, [0, 1, 1, 0] * 2) is None  # NaN dropped: 2 real
    rows = [{"method": "m", "score": 1.0, "applicable": True, "y": 1}] * 2
    assert fit_methods(rows)["methods"] == {}


def test_not_applicable_rows_are_ignored_by_fitting():
    rows = [{"method": "m", "score": float(i), "applicable": True, "y": int(i >= 5), "method_version": "2"}
            for i in range(10)]
    rows += [{"method": "m", "score": None, "applicable": False, "y": 0}] * 50
    e = fit_methods(rows)["methods"]["m"]
    assert e["n_real"] == 5 and e["n_manipulated"] == 5 and e["method_version"] == "2"


def test_bands_keep_fpr_under_limit_in_every_group():
    rng = np.random.default_rng(1)
    groups = {}
    for g, shift in (("image/delivered", 0.0), ("image/laundered", 1.5)):
        y = np.r_[np.zeros(150), np.ones(150)].astype(int)
        llr = np.r_[rng.normal(shift, 1.5, 150), rng.normal(4, 2, 150)]
        groups[g] = (y, llr)
    b = choose_bands(groups)
    for y, llr in groups.values():
        assert np.mean(llr[y == 0] >= b["likely_synthetic"]) <= MAX_FPR
    assert b["synthetic"] > b["likely_synthetic"] > 0 > b["likely_authentic"] > b["authentic"]


@pytest.mark.parametrize("n_real", [10, 91])
def test_small_sets_mean_zero_false_positives(n_real):
    y = np.r_[np.zeros(n_real), np.ones(20)].astype(int)
    llr = np.r_[np.linspace(-3, 2.5, n_real), np.full(20, 5.0)]
    b = choose_bands({"g": (y, llr)})
    assert b["likely_synthetic"] > 2.5  # 1% of fewer than 100 reals is zero of them


def _llr_rows(n=400, seed=0):
    """Items with an exactly calibrated LLR (`good`: x ~ N(+-mu, sigma), LLR = 2 mu x / sigma^2)
    and one that points the wrong way (`bad`): the truth is known by construction."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    mu, sigma = 1.0, 1.5
    good = 2 * mu / sigma**2 * (np.where(y == 1, mu, -mu) + rng.normal(0, sigma, n))
    bad = np.where(y == 1, -1.0, 1.0) + rng.normal(0, 1.5, n)
    return y, good, bad


def _mix_fit(rows, y, fams, cats=None, media="image", cap=10.0):
    cats = cats or [dict.fromkeys(r) for r in rows]  # naming no kind: the LLR is the sum
    mw, fw = fit_mixture_weights(rows, cats, fams, y, [media] * len(rows), cap=cap)
    return {k: mw[k] * fw[fams[k]] for k in mw}  # what each method's LLR is scaled by in all


def test_weights_drop_evidence_that_points_the_wrong_way():
    y, good, bad = _llr_rows()
    w = _mix_fit([{"good": g, "bad": b} for g, b in zip(good, bad, strict=True)], y,
                 {"good": "fingerprint", "bad": "physical"})
    assert w["good"] > 0.7 and w["bad"] < 0.1


def test_weights_do_not_count_a_duplicate_twice():
    y, good, _ = _llr_rows(seed=1)
    alone = _mix_fit([{"a": g} for g in good], y, {"a": "fingerprint"})["a"]
    w = _mix_fit([{"a": g, "copy": g} for g in good], y, {"a": "fingerprint", "copy": "temporal"})
    assert w["a"] + w["copy"] == pytest.approx(alone, abs=0.15)
    assert 0.0 <= min(w.values()) and max(w.values()) <= 1.0


def test_weights_fitted_on_the_mixture_keep_evidence_that_speaks_for_one_kind():
    """A generation method that rightly says "not generated" of local edits, and a local-edit method
    that says nothing of generated images: on the mixture's likelihood both keep their weight, while
    a fit on the sum over all evidence (the rule up to session 7) would discount the generation
    method for its strong negative LLRs on the local edits (to about 0.36 on these data)."""
    rng = np.random.default_rng(11)
    rows, cats, y = [], [], []
    for kind, n in (("real", 120), ("fully_generated", 120), ("locally_edited", 120)):
        gen = rng.normal(4.0 if kind == "fully_generated" else -4.0, 1.0, n)
        edit = rng.normal(1.0 if kind == "locally_edited" else -0.5, 1.0, n)
        rows += [{"gen": float(g), "edit": float(e)} for g, e in zip(gen, edit, strict=True)]
        cats += [{"gen": "fully_generated", "edit": "locally_edited"}] * n
        y += [int(kind != "real")] * n
    w = _mix_fit(rows, np.array(y), {"gen": "fingerprint", "edit": "physical"}, cats)
    assert w["gen"] > 0.8 and w["edit"] > 0.8


def _random_evidence(rng, n=300):
    methods = {"g1": ("fingerprint", "fully_generated"), "g2": ("fingerprint", "fully_generated"),
               "e": ("physical", "locally_edited"), "f": ("physiological", "face_manipulated"),
               "p": ("provenance", None), "t": ("temporal", "fully_generated"), "odd": ("physical", "not_a_kind")}
    rows, cats, media = [], [], []
    for i in range(n):
        mt = ("image", "video", None)[i % 3]
        ks = [k for k in methods if rng.random() < 0.6]
        rows.append({k: float(rng.normal(0, 2.5)) for k in ks})
        cats.append({k: methods[k][1] for k in ks})
        media.append(mt)
    return rows, cats, {k: v[0] for k, v in methods.items()}, media


def test_the_weight_fit_computes_the_fused_llr_that_fusion_uses():
    """MixtureDesign must give combine.fused_llr's mixture for any weights (zeros included: the
    methods weighing 0 are left out of the design, as fit_mixture_weights does; a family weighing 0
    still lets its methods examine their kinds, in both): kinds out of
    scope, findings naming no kind, rows where no kind is examined, videos with two kinds."""
    from huiyan.fusion.calibrate import MixtureDesign
    from huiyan.fusion.combine import fused_llr

    rng = np.random.default_rng(2)
    rows, cats, fams, media = _random_evidence(rng)
    for trial in range(6):
        w = {k: (0.0 if trial % 2 and k in ("f", "e") else float(rng.random())) for k in fams}
        fw = {f: (0.0 if trial == 2 and f == "temporal" else float(rng.random())) for f in set(fams.values())}
        kept = [{k: v for k, v in d.items() if w[k] > 0} for d in rows]
        design = MixtureDesign.build(kept, cats, fams, media, 4.0)
        got = design.fused(np.array([w[k] for k in design.keys]), np.array([fw[f] for f in design.fams]))
        want = [fused_llr(d, fams, c, w, fw, 4.0, mt) for d, c, mt in zip(rows, cats, media, strict=True)]
        assert np.allclose(got, want, atol=1e-9)


def test_a_method_fitted_to_zero_examines_no_kind_and_the_rest_is_refitted():
    """The only face method points the wrong way: its weight is fitted to 0, and the other weights
    are those of a fit without it (the face kind it alone opened must not stay in the mixture the
    weights are fitted on, since huiyan.fusion.combine does not examine it either). The other two
    methods overstate their evidence, so their weights are inside (0, 1) and the comparison bites."""
    rng = np.random.default_rng(4)
    n = 300
    y = rng.integers(0, 2, n)
    gen = 3 * (np.where(y == 1, 1.0, -1.0) + rng.normal(0, 1.5, n))
    edit = 3 * (np.where(y == 1, 0.5, -0.5) + rng.normal(0, 1.5, n))
    face = np.where(y == 1, -1.0, 1.0) + rng.normal(0, 1.0, n)
    fams = {"gen": "fingerprint", "face": "physical", "edit": "physical"}
    rows = [{"gen": float(g), "face": float(f), "edit": float(e)} for g, f, e in zip(gen, face, edit, strict=True)]
    cats = [{"gen": "fully_generated", "face": "face_manipulated", "edit": "locally_edited"}] * n
    mw, fw = fit_mixture_weights(rows, cats, fams, y, ["image"] * n, cap=10.0)
    assert mw["face"] == 0.0 and 0 < mw["gen"] < 0.95 and 0 < fw["physical"] < 0.95
    without = [{k: v for k, v in r.items() if k != "face"} for r in rows]
    alone_mw, alone_fw = fit_mixture_weights(without, cats, fams, y, ["image"] * n, cap=10.0)
    assert {k: v for k, v in mw.items() if k != "face"} == pytest.approx(alone_mw, abs=1e-3)
    assert fw == pytest.approx(alone_fw, abs=1e-3)


def test_weights_when_nothing_is_evidence():
    """Evidence that only points the wrong way is discounted to nothing, and rows without any
    method give no weights."""
    y = np.array([0, 1] * 40)
    rows = [{"bad": 2.0 if v == 0 else -2.0} for v in y]
    mw, fw = fit_mixture_weights(rows, [{"bad": None}] * len(y), {"bad": "physical"}, y, ["image"] * len(y), cap=4.0)
    assert mw["bad"] * fw["physical"] < 0.01
    assert fit_mixture_weights([{}] * 4, [{}] * 4, {}, [0, 1, 0, 1], ["image"] * 4, cap=4.0) == ({}, {})


def test_weights_when_every_method_is_fitted_to_zero(monkeypatch):
    """If every method falls to weight 0 the refit loop ends with all weights 0 (no fit with no
    parameters); forced here by an optimiser that returns zeros."""
    import scipy.optimize

    class Zero:
        def __init__(self, n):
            self.x, self.success, self.message = np.zeros(n), True, "forced"

    def minimize(f, x0, **kw):
        if len(x0) == 0:  # as scipy does for a fit with no parameters
            raise ValueError("no parameters to fit")
        return Zero(len(x0))

    monkeypatch.setattr(scipy.optimize, "minimize", minimize)
    y = np.array([0, 1] * 20)
    rows = [{"a": float(v), "b": -float(v)} for v in y]
    mw, fw = fit_mixture_weights(rows, [{"a": "fully_generated", "b": None}] * 40, {"a": "fingerprint", "b": "physical"},
                                 y, ["image"] * 40, cap=4.0)
    assert mw == {"a": 0.0, "b": 0.0} and fw == {"fingerprint": 0.0, "physical": 0.0}


def test_harness_maps_are_fitted_on_each_kind():
    """fit_calibration must pass each item's kind to the map fit: a generation method gets a map
    fitted on the generated items, not on the local edits too."""
    from huiyan.bench.evaluate import Row, fit_calibration

    rng = np.random.default_rng(9)
    rows = []
    for i, (label, y, mu) in enumerate([("real", 0, 0.0)] * 30 + [("generated", 1, 3.0)] * 30 + [("tampered", 1, 0.0)] * 30):
        f = {"method": "fingerprint.g", "method_version": "1", "family": "fingerprint", "applicable": True,
             "score": float(rng.normal(mu, 1)), "llr": 0.0, "decisive": False, "category": "fully_generated"}
        rows.append(Row(item=f"i{i}", media_type="image", protocol="delivered", y=y, label=label, generator="",
                        gen_key=None, source=f"s{i}", source_format="PNG", findings=[f]))
    entry = fit_calibration(rows)["methods"]["fingerprint.g"]
    assert entry["positives"] == "fully_generated" and entry["n_manipulated"] == 30


def test_a_method_on_two_media_types_gets_a_map_per_type():
    from huiyan.detectors.base import Finding
    from huiyan.fusion.combine import fuse

    rng = np.random.default_rng(3)
    rows = []
    for mt, shift in (("image", 0.0), ("video", 0.5)):  # the same score means less on video
        for y in (0, 1):
            for s in rng.normal(0.3 + 0.3 * y + shift, 0.05, 40):
                rows.append({"method": "m", "score": float(s), "applicable": True, "y": y, "media_type": mt})
    fit = fit_methods(rows)
    assert fit["per_media_methods"] == ["m"] and set(fit["methods"]) == {"m@image", "m@video"}
    f = Finding(method="m", method_version="1", family="fingerprint", applicable=True, score=0.75, llr=0.0)
    g = Finding(method="m", method_version="1", family="fingerprint", applicable=True, score=0.75, llr=0.0)
    img = fuse([f], calib=fit, media_type="image")
    vid = fuse([g], calib=fit, media_type="video")
    assert img.llr > 1.0 > vid.llr  # 0.75 is a high image score but a low video score
