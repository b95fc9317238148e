"""The limitations section states what it cannot give for an item whose results lack a media type."""

from datetime import UTC, datetime

import pytest

from huiyan.report.build import ReportInput, build_document
from huiyan.report.document import Heading, Para
from huiyan.report.texts import t, verdict_text

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CALIB = {"detection_by_kind": {mt: {"local edit": {"delivered": {"n": 23, "flagged": 0.22, "auc": 0.74}}}
                               for mt in ("image", "video")}}


def _item(name: str, **extra) -> dict:
    return {"path": f"/evidence/{name}", "sha256": "ab" * 32, "verdict": "inconclusive", "llr": 0.1,
            "score": 0.5, "findings": [], "errors": [], **extra}


def _limitations(doc) -> list[str]:
    blocks, inside = [], False
    for b in doc.blocks:
        if isinstance(b, Heading) and b.level == 1:
            inside = b.text == t("sec_limitations", doc.lang)
        elif inside and isinstance(b, Para):
            blocks.append(b.text)
    return blocks


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_item_without_media_type_is_named_in_the_limitations(lang):
    results = [_item("a.jpg", media_type="image"), _item("b.bin"), _item("c.mp4", media_type=None)]
    doc = build_document(ReportInput(results=results, lang=lang, generated_at=FIXED, calibration=CALIB))
    lim = _limitations(doc)
    notice = t("limit_no_media", lang)
    hits = [p for p in lim if notice in p]
    assert len(hits) == 2
    assert hits[0] == t("limit_item", lang, n=2, text=notice)
    assert hits[1] == t("limit_item", lang, n=3, text=notice)
    # the typed item keeps its measured figures and gets no such notice
    assert t("limit_kinds", lang, media=t("image", lang), grade=verdict_text("likely_synthetic", lang)) in lim
    assert not any(p.startswith(t("limit_item", lang, n=1, text="")) for p in lim)


def test_the_notice_is_bilingual():
    zh, en = t("limit_no_media", "zh"), t("limit_no_media", "en")
    assert zh != en and "图像还是视频" in zh and "image or a video" in en
