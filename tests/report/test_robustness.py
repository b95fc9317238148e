"""Report robustness: nothing is lost silently.

* The HTML report whose embedded font cannot be made says so (log warning, a visible notice in the
  report's language and in English, the appendix no longer claims the font is embedded).
* The PDF report never prints boxes: a missing or unusable font, or a font subset that fails, is a
  `ReportFontError` (and exit code 1 of `huiyan report`); a character the font lacks is written as
  its code point and listed in a notice.
* Heatmaps are drawn by what they are (PNG text chunks written by `save_heatmap`, or for older
  artifacts the pixels themselves), never by their file names.
* Other fallbacks of the builder (undecodable image, missing frames, a broken detector module) are
  stated in the report.

The documents here are built by hand, so these tests need no detector and stay fast.
"""

from __future__ import annotations

import csv
import logging
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from huiyan.report.document import Document, Figure, Heading, KeyValues, Para, Table
from huiyan.report.texts import t

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _doc(lang: str = "zh", extra: str = "") -> Document:
    doc = Document(lang=lang, title=t("title", lang), subtitle=t("subtitle", lang), generated_at=FIXED,
                   footer="TEST-001")
    doc.add(Heading(1, t("sec_preservation", lang)), Para("检材 photo.png 已固定保全。" + extra),
            KeyValues([("SHA-256", "ab" * 32)]),
            Table(["项目", "内容"], [[t("app_font", lang), t("font_note", lang)]], row_keys={"font": 0}))
    return doc


def _pdftotext(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils pdftotext not installed (scripts/setup-system.sh installs it)")
    p = tmp_path / "r.pdf"
    p.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(p), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


# HTML: the embedded font --------------------------------------------------------------------------


def test_html_with_the_font_has_no_notice():
    from huiyan.report.html import render_html

    page = render_html(_doc("zh")).decode("utf-8")
    assert "@font-face" in page
    assert "font-notice" not in page.split("</style>")[1]
    assert t("font_note", "zh") in page


def _break_font_path(monkeypatch, tmp_path):
    import huiyan.report.pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "font_path", lambda: str(tmp_path / "no-such-font.ttc"))
    return "no-such-font.ttc"


def _break_subsetting(monkeypatch, tmp_path):
    from fontTools import subset

    def boom(self, font):
        raise RuntimeError("simulated subsetting failure")

    monkeypatch.setattr(subset.Subsetter, "subset", boom)
    return "simulated subsetting failure"


@pytest.mark.parametrize("breaker", [_break_font_path, _break_subsetting], ids=["font-missing", "subset-fails"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_font_failure_is_visible_logged_and_the_appendix_corrected(monkeypatch, tmp_path, caplog, breaker,
                                                                        lang):
    from huiyan.report.html import render_html

    err = breaker(monkeypatch, tmp_path)
    with caplog.at_level(logging.WARNING, logger="huiyan.report"):
        page = render_html(_doc(lang)).decode("utf-8")
    assert "@font-face" not in page
    body = page.split("</style>")[1]
    # a visible notice right under the title, naming the error, in the report language and in English
    head = body.split("<section>")[0]
    assert head.count('class="font-notice"') == (1 if lang == "en" else 2)
    assert err in head
    assert "Noto Sans CJK SC" in head and "could not be embedded" in head
    if lang == "zh":
        assert "未能嵌入" in head
    # the appendix must not claim an embedded font any more
    assert t("font_note", lang) not in body
    assert t("font_not_embedded", lang) in body
    # and the log says it too
    warnings = [r for r in caplog.records if r.name == "huiyan.report" and r.levelno == logging.WARNING]
    assert warnings and err in warnings[0].getMessage()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("broken", [False, True], ids=["embedded", "font-missing"])
def test_html_font_status_comes_from_the_document_not_from_matching_text(monkeypatch, tmp_path, lang, broken):
    """The appendix row the builder names "font" is restated, and only that row: a cell elsewhere that
    happens to hold the same words (here a case field quoting it, in a KeyValues and in a table) stays
    as written. Replacing text in the rendered page, as before, rewrote those cells as well."""
    from huiyan.report.html import render_html

    if broken:
        _break_font_path(monkeypatch, tmp_path)
    doc = _doc(lang)
    quoted = t("font_note", lang)
    doc.blocks.insert(1, Table(["field", "value"], [["note", quoted]]))
    doc.add(KeyValues([("remark", quoted)]))
    body = render_html(doc).decode("utf-8").split("</style>")[1]
    sections = body.split("<section>")
    assert len(sections) == 2  # the notice sits before the first section, under the title
    notices = re.findall(r'<p class="font-notice"[^>]*>.*?</p>', body)
    if broken:
        assert len(notices) == (2 if lang == "zh" else 1)  # the report language, then English
        assert sum("could not be embedded" in n for n in notices) == 1
        if lang == "zh":
            assert sum("未能嵌入" in n for n in notices) == 1
        assert all(n in sections[0] for n in notices)
        assert body.count(t("font_not_embedded", lang)) == 1
        assert body.count(f"<td>{quoted}</td>") == 2  # the quoting cells, unchanged
        row = f"<td>{t('app_font', lang)}</td><td>{t('font_not_embedded', lang)}</td>"
        assert row in body
    else:
        assert notices == []
        assert t("font_not_embedded", lang) not in body
        assert body.count(f"<td>{quoted}</td>") == 3
    # the document handed in is not changed by rendering
    assert doc.blocks[0] == Heading(1, t("sec_preservation", lang))


def test_builder_names_the_appendix_font_row():
    from huiyan.report.build import ReportInput, build_document

    doc = build_document(ReportInput(results=[], lang="en", generated_at=FIXED))
    tables = [b for b in doc.blocks if isinstance(b, Table) and "font" in b.row_keys]
    assert len(tables) == 1
    row = tables[0].rows[tables[0].row_keys["font"]]
    assert row == [t("app_font", "en"), t("font_note", "en")]


def test_html_without_font_on_request_is_not_a_failure(caplog):
    from huiyan.report.html import render_html

    with caplog.at_level(logging.WARNING, logger="huiyan.report"):
        page = render_html(_doc("zh"), embed_font=False).decode("utf-8")
    assert "@font-face" not in page and 'class="font-notice"' not in page
    assert not [r for r in caplog.records if r.name == "huiyan.report"]


# PDF: the embedded font ---------------------------------------------------------------------------


def test_pdf_without_the_font_file_fails_loudly(monkeypatch, tmp_path):
    from huiyan.report.pdf import ReportFontError, render_pdf

    _break_font_path(monkeypatch, tmp_path)
    with pytest.raises(ReportFontError, match="noto-cjk-sans-otc") as got:
        render_pdf(_doc("zh"))
    assert "no-such-font.ttc" in str(got.value) and "empty boxes" in str(got.value)


def test_pdf_without_the_font_package_fails_loudly(monkeypatch):
    import sys

    from huiyan.report.pdf import ReportFontError, render_pdf

    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)  # import now raises ImportError
    with pytest.raises(ReportFontError, match="ImportError|ModuleNotFoundError"):
        render_pdf(_doc("en"))


def test_pdf_whose_font_subset_fails_raises(monkeypatch, tmp_path):
    from huiyan.report.pdf import ReportFontError, render_pdf

    _break_subsetting(monkeypatch, tmp_path)
    with pytest.raises(ReportFontError, match="simulated subsetting failure"):
        render_pdf(_doc("zh"))


def test_replace_missing_glyphs_on_a_known_cmap():
    from huiyan.report.pdf import replace_missing_glyphs

    doc = Document(lang="en", title="abz", subtitle="a\nb", generated_at=FIXED, footer="zz")
    doc.add(Heading(1, "az"), Para("bz"), KeyValues([("z", "a")]), Table(["z"], [[1]]),
            Figure(b"\x89PNG", "cz"))
    out, missing = replace_missing_glyphs(doc, {ord(c) for c in "abc1"})
    assert missing == [ord("z")]
    assert out.title == "ab[U+007A]" and out.subtitle == "a\nb" and out.footer == "[U+007A][U+007A]"
    assert out.blocks[0].text == "a[U+007A]" and out.blocks[1].text == "b[U+007A]"
    assert out.blocks[2].rows == [("[U+007A]", "a")]
    assert out.blocks[3].header == ["[U+007A]"] and out.blocks[3].rows == [["1"]]
    assert out.blocks[4].caption == "c[U+007A]" and out.blocks[4].data == b"\x89PNG"
    assert doc.title == "abz", "the input document must not be changed"
    same, none = replace_missing_glyphs(doc, {ord(c) for c in "abcz1"})
    assert none == [] and same.title == "abz"


def test_pdf_characters_without_glyph_become_code_points_with_a_notice(tmp_path, caplog):
    from huiyan.report.pdf import render_pdf

    with caplog.at_level(logging.WARNING):
        doc = _doc("zh", extra=" 文件名 smile\U0001F600.png \ue000")
        doc.footer = "案件\U0001F600"  # drawn on each page, the last one while the PDF is assembled
        data = render_pdf(doc)
    text = _pdftotext(data, tmp_path)
    assert "smile[U+1F600].png" in text and "[U+E000]" in text
    assert "没有以下字符的字形" in text and "U+E000, U+1F600" in text
    assert "检材固定保全" in text and "案件[U+1F600]" in text
    msgs = [r.getMessage() for r in caplog.records]
    assert any("U+1F600" in m for m in msgs if "PDF report" in m)
    assert not any("missing the following glyphs" in m for m in msgs), "fpdf2 dropped glyphs"


def test_pdf_refuses_to_hand_out_dropped_glyphs(monkeypatch):
    """Should a character slip past the substitution, render_pdf raises instead of writing boxes."""
    import huiyan.report.pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "replace_missing_glyphs", lambda doc, cmap: (doc, []))
    with pytest.raises(pdf_mod.ReportFontError, match="no glyph for U\\+1F600"):
        pdf_mod.render_pdf(_doc("en", extra=" \U0001F600"))


def test_report_command_exits_1_with_a_clear_message_when_the_font_is_missing(monkeypatch, tmp_path, capsys):
    import huiyan.report.cli as report_cli
    from huiyan.cli import main

    _break_font_path(monkeypatch, tmp_path)
    monkeypatch.setattr(report_cli, "analyse", lambda paths, case: [])
    out = tmp_path / "r.pdf"
    rc = main(["report", str(tmp_path), "-o", str(out), "--case", str(tmp_path / "case")])
    assert rc == 1
    assert not out.exists()
    err = capsys.readouterr().err
    assert "the PDF report cannot be made" in err and "noto-cjk-sans-otc" in err


# heatmaps: drawn by what they are -----------------------------------------------------------------


class _FakeItem:
    def __init__(self, d: Path) -> None:
        self.d = d

    def artifact_path(self, name: str) -> Path:
        return self.d / name


def _png(path: Path, a: np.ndarray, **chunks: str) -> Path:
    info = PngImagePlugin.PngInfo()
    for k, v in chunks.items():
        info.add_text(f"huiyan:{k}", v)
    Image.fromarray(a).save(path, pnginfo=info)
    return path


def _photo(h: int = 96, w: int = 128) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 2, yy * 2, xx + yy], -1).astype(np.uint8)


def _spectrum_u8(n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(3)
    s = np.log(np.abs(np.fft.fftshift(np.fft.fft2(rng.normal(size=(n, n))))) + 1e-6)
    return np.clip((s - s.min()) / (s.max() - s.min()) * 255, 0, 255).astype(np.uint8)


def test_save_heatmap_writes_what_the_map_is(tmp_path):
    from huiyan.detectors._residual import save_heatmap
    from huiyan.report.figures import load_map

    item = _FakeItem(tmp_path)
    heat = np.random.default_rng(0).normal(size=(12, 16)).astype(np.float32)
    on_grid = Path(save_heatmap(item, "a_spectrum_plot.png", heat, (96, 128)))
    own_axes = Path(save_heatmap(item, "noise.png", heat))
    with Image.open(on_grid) as im:
        assert im.text == {"huiyan:kind": "scalar", "huiyan:geometry": "image"} and im.size == (128, 96)
    with Image.open(own_axes) as im:
        assert im.text == {"huiyan:kind": "scalar", "huiyan:geometry": "other"} and im.size == (16, 12)
    a, b = load_map(on_grid), load_map(own_axes)
    assert (a.scalar, a.geometry, a.source) == (True, "image", "metadata")
    assert (b.scalar, b.geometry, b.source) == (True, "other", "metadata")
    assert 0.0 <= float(a.data.min()) and float(a.data.max()) <= 1.0
    explicit = Path(save_heatmap(item, "x.png", heat, (96, 128), geometry="other"))
    assert load_map(explicit).geometry == "other"


def test_file_names_do_not_decide_the_display(tmp_path):
    """A map named like a spectrum but on the image grid is overlaid; one named like a plain map but
    on its own axes is not (both have the image's aspect ratio)."""
    from huiyan.report.figures import heatmap_figure, heatmap_grid

    rgb = _photo()
    grad = np.tile(np.arange(128, dtype=np.uint8), (96, 1))
    named_spectrum = _png(tmp_path / "fingerprint.spectrum_plot_chart_curve.png", grad, kind="scalar",
                          geometry="image")
    named_plain = _png(tmp_path / "physical.noise.png", grad, kind="scalar", geometry="other")
    jpeg, over = heatmap_figure(rgb, named_spectrum, "m")
    assert over is True and jpeg[:2] == b"\xff\xd8"
    assert heatmap_figure(rgb, named_plain, "m")[1] is False
    _, overs = heatmap_grid(rgb, [("a", named_spectrum), ("b", named_plain)])
    assert overs == [True, False]
    # no image: nothing is overlaid
    assert heatmap_figure(None, named_spectrum, "m")[1] is False


def test_rgb_and_scalar_kinds_from_metadata(tmp_path):
    from huiyan.report.figures import heatmap_figure, load_map

    grey_rgb = np.repeat(np.tile(np.arange(128, dtype=np.uint8), (96, 1))[..., None], 3, -1)
    # grey-valued RGB pixels would look scalar; the chunk says it is a picture, and the chunk wins
    pic = load_map(_png(tmp_path / "p.png", grey_rgb, kind="rgb", geometry="image"))
    assert pic.scalar is False and pic.data.shape == (96, 128, 3) and pic.source == "metadata"
    # an RGB-stored file that says it is scalar is read as one value per pixel in [0, 1]
    sc = load_map(_png(tmp_path / "s.png", _photo(), kind="scalar", geometry="image"))
    assert sc.scalar is True and sc.data.ndim == 2 and float(sc.data.max()) == pytest.approx(1.0)
    assert heatmap_figure(_photo(), tmp_path / "p.png", "m")[1] is True


def test_old_artifacts_without_chunks_are_read_from_their_pixels(tmp_path):
    from huiyan.report.figures import centred_spectrum_like, heatmap_figure, load_map

    spec = _spectrum_u8(96)
    assert centred_spectrum_like(spec.astype(np.float32))
    odd = _spectrum_u8(63)
    assert centred_spectrum_like(odd.astype(np.float32))
    grad = np.tile(np.arange(96, dtype=np.uint8), (96, 1))
    assert not centred_spectrum_like(grad.astype(np.float32))
    assert not centred_spectrum_like(np.full((96, 96), 7, np.float32)), "a constant map is no spectrum"

    old_spec = _png(tmp_path / "map1.png", spec)  # a square spectrum beside a square image
    old_map = _png(tmp_path / "map2.png", grad)
    old_rgb = _png(tmp_path / "map3.png", _photo(96, 96))
    s, m, c = load_map(old_spec), load_map(old_map), load_map(old_rgb)
    assert (s.scalar, s.geometry, s.source) == (True, "other", "content")
    assert (m.scalar, m.geometry, m.source) == (True, "unknown", "content")
    assert (c.scalar, c.geometry) == (False, "unknown")
    square = _photo(96, 96)
    assert heatmap_figure(square, old_spec, "m")[1] is False
    assert heatmap_figure(square, old_map, "m")[1] is True
    assert heatmap_figure(_photo(96, 200), old_map, "m")[1] is False, "aspect ratios differ"


def test_bad_heatmap_file_raises_for_the_caller_to_report(tmp_path):
    from huiyan.report.figures import load_map

    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    with pytest.raises(OSError):
        load_map(bad)


def test_real_detector_maps_from_shared_data(shared_data, tmp_path):
    from huiyan.detectors.base import registry
    from huiyan.media.item import Item
    from huiyan.report.figures import heatmap_figure, load_map

    with open(shared_data / "images" / "MANIFEST.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if 256 <= int(r["width"] or 0) <= 1024 and 256 <= int(r["height"] or 0) <= 1024]
    if not rows:
        pytest.skip("no image of a suitable size in shared/data")
    path = shared_data / "images" / rows[0]["relative_path"]
    item = Item(path, artifact_dir=tmp_path)
    reg = registry()
    spec = reg["fingerprint.spectrum"]().run(item)
    ela = reg["physical.ela"]().run(item)
    assert spec.heatmap and ela.heatmap
    s, e = load_map(Path(spec.heatmap)), load_map(Path(ela.heatmap))
    assert (s.geometry, s.source) == ("other", "metadata")
    assert (e.geometry, e.source) == ("image", "metadata")
    rgb = item.pixels
    assert heatmap_figure(rgb, Path(spec.heatmap), "spectrum")[1] is False
    assert heatmap_figure(rgb, Path(ela.heatmap), "ela")[1] is True
    # the same files stripped of their chunks (an older case): still drawn the same way
    for src, want in ((Path(spec.heatmap), False), (Path(ela.heatmap), True)):
        old = tmp_path / f"old_{src.name}"
        Image.fromarray(np.asarray(Image.open(src))).save(old)
        assert heatmap_figure(rgb, old, "old")[1] is want


# other fallbacks of the builder -------------------------------------------------------------------


def _result(path: Path, **kw) -> dict:
    r = {"path": str(path), "sha256": "cd" * 32, "media_type": "image", "format": "PNG", "verdict": "inconclusive",
         "score": 0.5, "findings": [], "errors": []}
    r.update(kw)
    return r


def _texts(doc: Document) -> str:
    out = []
    for b in doc.blocks:
        if isinstance(b, Heading | Para):
            out.append(b.text)
        elif isinstance(b, Table):
            out.extend(" ".join(map(str, r)) for r in b.rows)
    return "\n".join(out)


def test_an_image_that_cannot_be_decoded_for_figures_is_stated(tmp_path, caplog):
    from huiyan.report.build import ReportInput, build_document

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with caplog.at_level(logging.WARNING, logger="huiyan.report"):
        doc = build_document(ReportInput([_result(bad)], lang="en", generated_at=FIXED))
    text = _texts(doc)
    assert text.count("could not be decoded for the figures") == 1
    assert any("cannot be shown in the figures" in r.getMessage() for r in caplog.records)
    ok = tmp_path / "ok.png"
    Image.fromarray(_photo()).save(ok)
    doc2 = build_document(ReportInput([_result(ok)], lang="zh", generated_at=FIXED))
    assert "未能解码" not in _texts(doc2)
    assert any(isinstance(b, Figure) for b in doc2.blocks)


def test_missing_segment_frames_are_stated(tmp_path):
    from huiyan.report.build import ReportInput, build_document

    ok = tmp_path / "ok.png"
    Image.fromarray(_photo()).save(ok)
    segs = [{"start": 0.0, "end": 1.0, "score": 0.8, "frame": str(tmp_path / "segment_1_0.00s.png")}]
    doc = build_document(ReportInput([_result(ok, segments=segs)], lang="en", generated_at=FIXED))
    assert "frame images named by the video segments do not exist: segment_1_0.00s.png" in _texts(doc)


def test_a_broken_detector_module_is_stated(monkeypatch, caplog):
    import huiyan.detectors.base as base
    from huiyan.report.build import ReportInput, build_document

    def broken():
        raise ImportError("simulated broken detector module")

    monkeypatch.setattr(base, "registry", broken)
    with caplog.at_level(logging.WARNING, logger="huiyan.report"):
        doc = build_document(ReportInput([], lang="zh", generated_at=FIXED))
    assert "有检验方法模块未能加载（ImportError: simulated broken detector module）" in _texts(doc)
    assert any("simulated broken detector module" in r.getMessage() for r in caplog.records)


def test_html_lists_characters_the_embedded_font_lacks(caplog):
    from huiyan.report.html import render_html

    with caplog.at_level(logging.WARNING, logger="huiyan.report"):
        page = render_html(_doc("en", extra=" smile\U0001F600.png")).decode("utf-8")
    assert "@font-face" in page
    body = page.split("</style>")[1]
    assert "the embedded font has no glyph for the following characters" in body and "U+1F600" in body
    assert any("U+1F600" in r.getMessage() for r in caplog.records)
    plain = render_html(_doc("en")).decode("utf-8")
    assert "has no glyph" not in plain.split("</style>")[1]


def test_a_broken_video_is_decoded_once_and_stated(tmp_path, monkeypatch):
    """The timeline and the first still both need the video; a decoding failure is remembered,
    not retried for every figure, and the report still gets written."""
    import huiyan.media.video as video
    from huiyan.report.build import ReportInput, build_document

    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)
    calls = []
    real_probe = video.probe_video

    def counting_probe(*a, **k):
        calls.append(a)
        return real_probe(*a, **k)

    monkeypatch.setattr(video, "probe_video", counting_probe)
    doc = build_document(ReportInput([_result(bad, media_type="video", format="mp4")], lang="en", generated_at=FIXED))
    assert len(calls) == 1
    assert _texts(doc)  # written, not raised
