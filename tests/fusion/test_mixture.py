"""The fused LLR is a mixture over the kinds of manipulation: evidence against one kind (no
generator fingerprint) must not count against another (a face swap made from camera footage)."""

from __future__ import annotations

import math

import pytest

from huiyan.detectors.base import Finding
from huiyan.fusion.combine import DEFAULT_BANDS, KINDS, SCOPE, fuse, mixture_llr

CAL = {"methods": {}, "bands": DEFAULT_BANDS}


def F(method, family, llr, category, *, applicable=True):
    return Finding(method=method, method_version="0.1", family=family, applicable=applicable, score=None,
                   llr=llr, category=category, explanation={"zh": method, "en": method})


def face_swap(face_found=True):
    return [F("fingerprint.g", "fingerprint", -2.0, "fully_generated"),
            F("physiological.f", "physiological", 3.0, "face_manipulated", applicable=face_found)]


def test_mixture_is_log_of_prior_weighted_likelihood_ratios():
    assert mixture_llr({"a": 1.0, "b": 2.0}, 3) == pytest.approx(math.log((math.e + math.e**2) / 3))
    assert mixture_llr({}, 3) == 0.0  # nothing examined: no evidence
    assert mixture_llr({"any": -1.5}, 3) == -1.5  # only evidence naming no kind: as it is
    # never below the best kind's LLR minus ln(kinds in scope), never above the best kind's
    v = mixture_llr({"a": 4.0, "b": -9.0}, 2)
    assert 4.0 - math.log(2) <= v <= 4.0


def test_absent_fingerprint_does_not_count_against_a_face_swap():
    r = fuse(face_swap(), calib=CAL, media_type="image")
    # image scope: three kinds; the local-edit kind has no applicable finding and gives LR 0
    assert r.hypothesis_llr == {"fully_generated": -2.0, "face_manipulated": 3.0}
    assert r.llr == pytest.approx(math.log((math.exp(-2.0) + math.exp(3.0)) / 3), abs=1e-4)
    assert r.llr > 1.0 + 0.5  # the additive sum would be +1.0
    r = fuse(face_swap(), calib={**CAL, "bands": {**DEFAULT_BANDS, "likely_synthetic": 1.5}}, media_type="image")
    assert r.verdict == "likely_synthetic" and r.category == "face_manipulated"
    # the reasons are those of the kind asserted: the fingerprint's "no trace" is not among them
    assert [x["method"] for x in r.reasons] == ["physiological.f"]


def test_no_face_means_face_manipulation_is_not_examined():
    r = fuse(face_swap(face_found=False), calib=CAL, media_type="image")
    assert set(r.hypothesis_llr) == {"fully_generated"}
    assert r.llr == pytest.approx(-2.0 - math.log(3), abs=1e-4)
    assert r.llr < fuse(face_swap(), calib=CAL, media_type="image").llr


def test_generic_evidence_bears_on_every_kind():
    fs = [*face_swap(), F("provenance.q", "provenance", 1.0, None)]
    r = fuse(fs, calib=CAL, media_type="image")
    assert r.hypothesis_llr == {"fully_generated": -1.0, "face_manipulated": 4.0}


def test_a_kind_out_of_scope_counts_as_naming_none():
    # no method examines local edits in video: a finding naming one bears on every kind in scope
    assert "locally_edited" not in SCOPE["video"]
    fs = [*face_swap(), F("provenance.v", "provenance", 1.0, "locally_edited")]
    r = fuse(fs, calib=CAL, media_type="video")
    assert r.hypothesis_llr == {"fully_generated": -1.0, "face_manipulated": 4.0}
    assert r.llr == pytest.approx(math.log((math.exp(-1.0) + math.exp(4.0)) / 2), abs=1e-4)


def test_disagreement_is_judged_within_the_best_kind():
    # fingerprint against and physiology for: different kinds, no disagreement
    assert not fuse(face_swap(), calib=CAL, media_type="image").disagreement
    # provenance (naming no kind) strongly against, physiology strongly for: the face kind disagrees
    fs = [*face_swap(), F("provenance.cam", "provenance", -2.5, None)]
    r = fuse(fs, calib=CAL, media_type="image")
    assert r.disagreement and r.verdict == "inconclusive"
    assert "physiological" in r.reasons[0]["en"] and "provenance" in r.reasons[0]["en"]


def test_scope_matches_the_kinds_the_detectors_examine():
    from huiyan.detectors.base import registry

    for media, scope in SCOPE.items():
        named = {cls.category for cls in registry().values() if media in cls.media_types} & set(KINDS)
        assert set(scope) == named, media


def test_a_method_weighted_zero_does_not_make_its_kind_examined():
    fs = [F("provenance.gen", "provenance", 3.0, None), F("physical.local", "physical", 3.0, "locally_edited")]
    alone = fuse(fs[:1], calib=CAL, media_type="image")
    r = fuse(fs, calib={**CAL, "method_weights": {"physical.local": 0.0}}, media_type="image")
    assert alone.hypothesis_llr == r.hypothesis_llr == {"any": 3.0}
    assert r.llr == alone.llr == pytest.approx(3.0)


def test_a_category_is_named_only_when_the_kinds_own_findings_raised_it():
    bands = {**DEFAULT_BANDS, "likely_synthetic": 1.0}
    # generic evidence +5, the fingerprint method ran and found nothing: manipulation asserted, kind unknown
    fs = [F("provenance.gen", "provenance", 5.0, None), F("fingerprint.g", "fingerprint", 0.0, "fully_generated")]
    r = fuse(fs, calib={**CAL, "bands": bands}, media_type="image")
    assert r.verdict in ("synthetic", "likely_synthetic") and r.category is None
    fs[1] = F("fingerprint.g", "fingerprint", 1.0, "fully_generated")
    assert fuse(fs, calib={**CAL, "bands": bands}, media_type="image").category == "fully_generated"


def test_decisive_provenance_names_its_kind_and_shows_no_kind_table():
    fs = [F("provenance.c2pa", "provenance", 9.2, "locally_edited"), *face_swap()]
    fs[0].decisive = True
    r = fuse(fs, calib=CAL, media_type="image")
    assert r.verdict == "synthetic" and r.category == "locally_edited"
    assert r.hypothesis_llr == {}  # the kinds' LLRs are not what decided


def test_reasons_keep_evidence_of_a_kind_out_of_scope_as_generic():
    # on a video, a finding naming a local edit bears on every kind in scope: kept among the reasons of
    # a face manipulation even when it points the other way; the missing fingerprint is not
    fs = [*face_swap(), F("provenance.v", "provenance", -0.5, "locally_edited")]
    r = fuse(fs, calib={**CAL, "bands": {**DEFAULT_BANDS, "likely_synthetic": 1.0}}, media_type="video")
    assert r.category == "face_manipulated"
    assert [x["method"] for x in r.reasons] == ["physiological.f", "provenance.v"]


def test_a_finding_that_is_not_a_number_counts_as_not_applicable():
    nan = F("physiological.f", "physiological", float("nan"), "face_manipulated")
    r = fuse([F("fingerprint.g", "fingerprint", -2.0, "fully_generated"), nan], calib=CAL, media_type="image")
    assert set(r.hypothesis_llr) == {"fully_generated"} and math.isfinite(r.llr)
    assert r.llr == pytest.approx(-2.0 - math.log(3), abs=1e-4)


def test_every_detector_names_a_known_kind_or_none():
    from huiyan.detectors.base import registry

    for name, cls in registry().items():
        assert cls.category in (*KINDS, None), name


def test_the_harness_chooses_bands_on_the_fused_llr_of_fuse():
    """evaluate.fit_weights_and_bands must read the same mixture LLR that fuse() gives; a sum of
    family LLRs would put the band elsewhere."""
    from huiyan.bench.evaluate import Row, Stacked, fit_weights_and_bands, fuse_row
    from huiyan.fusion.calibrate import FPR_MARGIN

    def finding(method, family, llr, category):
        return {"method": method, "method_version": "0.1", "family": family, "applicable": True, "score": None,
                "llr": llr, "decisive": False, "category": category, "reason": None,
                "explanation": {"zh": method, "en": method}}

    rows, mll, cats = [], [], []
    for i in range(30):
        y = int(i >= 20)
        # camera originals: strong generation evidence +4 and face evidence -4 (sum 0, mixture ~ +2.9)
        fs = [finding("fingerprint.g", "fingerprint", 4.0 if not y else 6.0, "fully_generated"),
              finding("physiological.f", "physiological", -4.0, "face_manipulated")]
        r = Row(item=f"i{i}", media_type="image", protocol="delivered", y=y, label="generated" if y else "real",
                generator="", gen_key=None, source=f"s{i}", source_format="PNG", findings=fs)
        fused, _ = fuse_row(r, CAL)
        rows.append(r)
        mll.append(fused.method_llr)
        cats.append(fused.method_category)
    real_llr = fuse_row(rows[0], CAL)[0].llr
    st = Stacked(rows, mll, {"fingerprint.g": "fingerprint", "physiological.f": "physiological"}, [None] * 30, cats)
    bands = fit_weights_and_bands(st, weighted=False)["bands_by_media"]["image"]
    assert real_llr == pytest.approx(math.log((math.exp(4.0) + math.exp(-4.0)) / 3), abs=1e-3)
    assert bands["likely_synthetic"] == pytest.approx(real_llr + FPR_MARGIN, abs=2e-3)
