"""The report's table of measured detection per kind of manipulation."""

from huiyan.report.kinds import kind_table

CALIB = {"detection_by_kind": {"image": {
    "local edit": {"delivered": {"n": 23, "flagged": 0.22, "auc": 0.74},
                   "stripped": {"n": 23, "flagged": 0.0, "auc": 0.51},
                   "resized": {"n": 23, "flagged": 0.04, "auc": 0.62}},
    "fully generated": {"delivered": {"n": 64, "flagged": 0.36, "auc": 0.9}},
}}}


def test_kind_table_states_delivered_and_worst_protocol():
    head, rows = kind_table(CALIB, "image", "en")
    assert head[0] == "kind of manipulation"
    by = {r[0]: r for r in rows}
    assert by["local edit"] == ["local edit", "23", "22%", "0% (stripped)", "0.51–0.74"]
    assert by["fully generated"] == ["fully generated", "64", "36%", "-", "0.90–0.90"]


def test_kind_table_chinese_names():
    head, rows = kind_table(CALIB, "image", "zh")
    assert head[0] == "篡改类型"
    assert any(r[0] == "局部篡改" and r[3] == "0% (去元数据)" for r in rows)


def test_kind_table_absent_without_figures():
    assert kind_table({}, "image", "en") is None
    assert kind_table(CALIB, "video", "en") is None


def test_kind_table_tolerates_partial_or_malformed_figures():
    """A calibration file written by an older harness or edited by hand must not stop the report."""
    calib = {"detection_by_kind": {"image": {
        "local edit": {"delivered": {"n": 3}, "stripped": {"n": 3, "flagged": 0.1, "auc": float("nan")},
                       "resized": None},
        "fully generated": {"delivered": {"n": 5, "flagged": "x", "auc": 0.8}},
        "face swap (still)": None,
    }}}
    head, rows = kind_table(calib, "image", "en")
    by = {r[0]: r for r in rows}
    assert by["local edit"] == ["local edit", "3", "-", "10% (stripped)", "-"]
    assert by["fully generated"] == ["fully generated", "5", "-", "-", "0.80–0.80"]
    assert "face swap (still)" not in by
    assert kind_table({"detection_by_kind": {"image": []}}, "image", "en") is None
    assert kind_table({"detection_by_kind": ["image"]}, "image", "en") is None
    assert kind_table({"detection_by_kind": {"image": {"local edit": {}}}}, "image", "en") is None


def test_every_kind_and_protocol_of_the_harness_has_a_chinese_name():
    """The kind names are made in huiyan.bench.report; a kind or protocol added there without a
    Chinese name here would print in English in a Chinese report."""
    from huiyan.bench.protocols import ALL_PROTOCOLS
    from huiyan.bench.report import _KIND, manipulation_kind
    from huiyan.report.kinds import KIND_ZH, PROTOCOL_ZH

    labels = [lab for lab in _KIND if lab != "real"]
    kinds = {manipulation_kind(lab, "") for lab in labels}
    kinds |= {manipulation_kind(lab, g) for lab in ("deepfake_face", "deepfake") for g in ("FaceSwap", "Face2Face")}
    assert kinds - set(KIND_ZH) == set()
    assert set(ALL_PROTOCOLS) - set(PROTOCOL_ZH) == set()
