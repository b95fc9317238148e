"""Fusion rules: decisive provenance wins, not applicable contributes nothing, correlated methods
of one family are not counted twice, disagreement between families is inconclusive."""

from __future__ import annotations

import pytest

from huiyan.detectors.base import Finding
from huiyan.fusion.combine import DEFAULT_BANDS, FAMILY_CAP, family_llr, fuse

CAL = {"methods": {}, "bands": DEFAULT_BANDS}


def F(method, family, llr, *, applicable=True, score=None, decisive=False, category=None):
    # no category by default: evidence that names no kind is fused as one hypothesis (the sum), so
    # these tests check the family rules alone; the mixture over kinds is tested in test_mixture.py
    return Finding(method=method, method_version="0.1", family=family, applicable=applicable,
                   score=score, llr=llr, decisive=decisive, category=category,
                   explanation={"zh": f"{method} 中文", "en": f"{method} english"})


def test_decisive_provenance_wins():
    fs = [F("provenance.c2pa", "provenance", 1.0, decisive=True),
          F("physical.a", "physical", -4.0), F("fingerprint.b", "fingerprint", -4.0)]
    r = fuse(fs, calib=CAL)
    assert r.verdict == "synthetic" and r.score > 0.99
    assert r.reasons[0]["method"] == "provenance.c2pa"


def test_not_applicable_contributes_nothing():
    base = [F("physical.a", "physical", 1.0)]
    na = F("fingerprint.b", "fingerprint", 5.0, applicable=False)  # a stale llr must be ignored
    a, b = fuse(base, calib=CAL), fuse([*base, na], calib=CAL)
    assert a.llr == b.llr == pytest.approx(1.0)
    assert "fingerprint" not in b.family_llr
    assert na.llr == 0.0


def test_family_does_not_double_count_correlated_methods():
    one = fuse([F("physical.a", "physical", 2.0)], calib=CAL)
    two = fuse([F("physical.a", "physical", 2.0), F("physical.b", "physical", 2.0)], calib=CAL)
    assert two.llr == pytest.approx(one.llr)
    # different families add up
    cross = fuse([F("physical.a", "physical", 2.0), F("fingerprint.b", "fingerprint", 2.0)], calib=CAL)
    assert cross.llr == pytest.approx(4.0)


def test_family_cap():
    assert family_llr([9.0, 8.0], FAMILY_CAP) == FAMILY_CAP
    assert family_llr([-9.0], FAMILY_CAP) == -FAMILY_CAP
    assert family_llr([3.0, -1.0, -0.5], FAMILY_CAP) == pytest.approx(2.0)


def test_disagreeing_families_are_inconclusive():
    r = fuse([F("physical.a", "physical", 3.5), F("provenance.b", "provenance", -2.5),
              F("fingerprint.c", "fingerprint", 3.0)], calib=CAL)
    assert r.llr > DEFAULT_BANDS["likely_synthetic"]
    assert r.verdict == "inconclusive" and r.disagreement
    assert r.reasons[0]["method"] == "fusion.disagreement" and r.reasons[0]["zh"]


def test_calibration_map_replaces_stated_llr_and_version_guard():
    cal = {"methods": {"physical.a": {"x": [0, 1], "y": [-2, 2], "method_version": "0.1"}}, "bands": DEFAULT_BANDS}
    r = fuse([F("physical.a", "physical", 0.0, score=1.0)], calib=cal)
    assert r.llr == pytest.approx(2.0)
    cal["methods"]["physical.a"]["method_version"] = "0.0"  # map fitted on another version: not used
    r = fuse([F("physical.a", "physical", 0.5, score=1.0)], calib=cal)
    assert r.llr == pytest.approx(0.5)


def test_score_is_posterior_under_prior_and_reasons_bilingual():
    r = fuse([F("physical.a", "physical", 2.0)], calib=CAL, prior=0.5)
    assert r.score == pytest.approx(1 / (1 + pytest.importorskip("math").exp(-2.0)), abs=1e-6)
    r2 = fuse([F("physical.a", "physical", 2.0)], calib=CAL, prior=0.1)
    assert r2.score < r.score
    assert r.reasons[0]["zh"] and r.reasons[0]["en"]


def test_band_error_rates_come_from_calibration():
    cal = {**CAL, "band_error_rates": {"likely_synthetic": {"false_positive_rate": 0.0}}}
    # one kind examined of the three in scope: LLR 4 - ln 3 = 2.9
    r = fuse([F("physical.a", "physical", 4.0, category="fully_generated")],
             calib={**cal, "bands": {**DEFAULT_BANDS, "likely_synthetic": 2.5}})
    assert r.verdict == "likely_synthetic"
    assert r.band_error_rates == {"false_positive_rate": 0.0}
    assert r.category == "fully_generated"


def test_inconclusive_has_no_category():
    r = fuse([F("physical.a", "physical", 0.5, category="face_manipulated")], calib=CAL)
    assert r.verdict == "inconclusive" and r.category is None


def test_authentic_side_has_no_category():
    r = fuse([F("provenance.cam", "provenance", -3.0), F("physical.a", "physical", -3.0)], calib=CAL)
    assert r.verdict == "authentic" and r.category is None


def test_method_weight_scales_its_contribution():
    fs = [F("physical.a", "physical", 2.0), F("fingerprint.b", "fingerprint", 1.0)]
    cal = {**CAL, "method_weights": {"physical.a": 0.25, "fingerprint.b": 0.0}}
    r = fuse(fs, calib=cal)
    assert r.llr == pytest.approx(0.5)
    assert r.family_llr["fingerprint"] == 0.0
    assert r.method_llr == {"physical.a": 2.0, "fingerprint.b": 1.0}  # before weights
    assert [x["method"] for x in r.reasons] == ["physical.a"]  # a zero-weight method moved nothing


def test_bands_are_chosen_per_media_type():
    cal = {**CAL, "bands_by_media": {"image": {**DEFAULT_BANDS, "likely_synthetic": 2.0, "synthetic": 4.3},
                                     "video": {**DEFAULT_BANDS, "likely_synthetic": 3.5, "synthetic": 5.8}}}
    fs = [F("fingerprint.b", "fingerprint", 2.5)]
    assert fuse(fs, calib=cal, media_type="image").verdict == "likely_synthetic"
    assert fuse(fs, calib=cal, media_type="video").verdict == "inconclusive"
    assert fuse(fs, calib=cal).verdict == fuse(fs, calib=CAL).verdict  # no media type: pooled bands


def test_a_video_false_positive_does_not_raise_the_image_bands():
    import numpy as np

    from huiyan.bench.evaluate import bands_by_media

    img = (np.array([0] * 50 + [1] * 50), np.r_[np.linspace(-2, 1.5, 50), np.linspace(0, 6, 50)])
    vid = (np.array([0] * 20 + [1] * 20), np.r_[np.linspace(-2, 5.0, 20), np.linspace(0, 6, 20)])
    b = bands_by_media({"image/delivered": img, "video/delivered": vid})
    # the highest image real is at +1.5, the highest video real at +5.0
    assert b["bands_by_media"]["image"]["likely_synthetic"] < 3.0 < 5.0 < b["bands_by_media"]["video"]["likely_synthetic"]
    assert b["bands"]["likely_synthetic"] == b["bands_by_media"]["video"]["likely_synthetic"]  # pooled = strictest
