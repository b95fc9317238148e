"""The appraisal report (issue 7): rendered PDF and HTML in both languages, checked with poppler.

Inputs are made here: a small noisy photograph-like PNG, the same pixels with an
AUTOMATIC1111-style `parameters` chunk (flagged by construction), a short synthetic H.264 clip,
a file that is not media, and a missing path. Most tests analyse with a few cheap methods so the
suite stays fast; one end-to-end test runs the `huiyan report` command with every method.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from huiyan.cli import main
from huiyan.intake import Case
from huiyan.pipeline import analyze_file

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

ZH_HEADINGS = ["检材固定保全", "样本提取", "元数据检验", "特征检测", "特征分析", "特征比对", "特征评估",
               "综合分析", "鉴定意见", "局限性", "附录"]
SECTIONS = ["sec_preservation", "sec_extraction", "sec_metadata", "sec_detection", "sec_analysis", "sec_comparison",
            "sec_evaluation", "sec_synthesis", "sec_opinion", "sec_limitations", "sec_appendix"]
EN_HEADINGS = ["Preservation of the material", "Sample extraction", "Metadata examination", "Feature detection",
               "Feature analysis", "Feature comparison", "Feature evaluation", "Combined analysis", "Opinion",
               "Limitations", "Appendix"]


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"poppler-utils tool(s) {', '.join(missing)} not installed (scripts/setup-system.sh installs them)")


def _pdftotext(pdf: Path) -> str:
    _need("pdftotext")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def _fonts(pdf: Path) -> list[list[str]]:
    _need("pdffonts")
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


# inputs ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:96, 0:128]
    base = np.stack([xx * 2, yy * 2, (xx + yy)], -1).astype(np.float32)
    img = np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
    photo = d / "photo.png"
    Image.fromarray(img).save(photo)
    tagged = d / "tagged.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 128x96")
    Image.fromarray(img).save(tagged, pnginfo=info)
    from huiyan.samples import write_test_video

    clip = write_test_video(d / "clip.mp4", seconds=1.0, fps=10, size=(96, 64))
    notmedia = d / "notes.txt"
    notmedia.write_text("this is not an image\n" * 5)
    return {"photo": photo, "tagged": tagged, "clip": clip, "notmedia": notmedia, "missing": d / "absent.png"}


def _cheap_detectors():
    from huiyan.detectors.base import registry

    reg = registry()
    return [reg[m]() for m in ("provenance.generator_text",) if m in reg]


def _analyse(case: Case, paths: list[Path]) -> list[dict]:
    from huiyan.pipeline import expand_inputs

    dets = _cheap_detectors()
    return [analyze_file(p, case, detectors=dets, precheck_error=e) for p, e in expand_inputs([str(x) for x in paths])]


def _render(results, case: Case, lang: str, fmt: str) -> bytes:
    from huiyan.report.cli import render

    return render(results, lang=lang, fmt=fmt, case=case, case_fields={"case_number": "TEST-001"},
                  generated_at=FIXED)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, inputs):
    case = Case(tmp_path_factory.mktemp("case"), actor="tester")
    results = _analyse(case, [inputs["photo"], inputs["tagged"], inputs["clip"]])
    return case, results


@pytest.fixture(scope="module")
def pdf_zh(tmp_path_factory, analysed) -> Path:
    case, results = analysed
    p = tmp_path_factory.mktemp("out") / "report_zh.pdf"
    p.write_bytes(_render(results, case, "zh", "pdf"))
    return p


@pytest.fixture(scope="module")
def pdf_en(tmp_path_factory, analysed) -> Path:
    case, results = analysed
    p = tmp_path_factory.mktemp("out") / "report_en.pdf"
    p.write_bytes(_render(results, case, "en", "pdf"))
    return p


# PDF ------------------------------------------------------------------------------------------


def test_pdf_zh_has_the_chinese_headings_in_order_and_the_hashes(pdf_zh, analysed):
    from huiyan.report.texts import t

    text = _pdftotext(pdf_zh)
    assert all(h in text for h in ZH_HEADINGS)
    numbered = [t(k, "zh") for k in SECTIONS]  # 一、检材固定保全 ... 附录, as section headings
    positions = [text.find(h) for h in numbered]
    assert all(p >= 0 for p in positions), [h for h, p in zip(numbered, positions, strict=True) if p < 0]
    assert positions == sorted(positions), "sections are not in the GB/T 45430 order"
    for r in analysed[1]:
        assert r["sha256"] in text  # the full SHA-256 on one line
        assert r["md5"] in text
    assert "TEST-001" in text
    assert "倾向非原始拍摄" in text or "非原始拍摄" in text  # the tagged PNG's opinion
    assert "监管日志校验结果：完整" in text


def test_pdf_en_has_english_headings(pdf_en, analysed):
    text = _pdftotext(pdf_en)
    from huiyan.report.texts import t

    flat = " ".join(text.split())
    assert all(h in flat for h in EN_HEADINGS)
    numbered = [t(k, "en") for k in SECTIONS]  # "1 Preservation of the material (检材固定保全)" ...
    positions = [flat.find(h) for h in numbered]
    assert all(p >= 0 for p in positions), [h for h, p in zip(numbered, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert "Custody log verification: intact" in flat
    for r in analysed[1]:
        assert r["sha256"] in text


@pytest.mark.parametrize("which", ["pdf_zh", "pdf_en"])
def test_every_font_is_embedded(which, request):
    pdf = request.getfixturevalue(which)
    rows = _fonts(pdf)
    assert rows, "no font in the PDF"
    for cols in rows:
        # name type [type...] encoding emb sub uni object ID: emb is the 5th column from the end
        assert cols[-5] == "yes", f"font not embedded: {' '.join(cols)}"
        assert cols[-4] == "yes", f"font not subset: {' '.join(cols)}"


@pytest.mark.parametrize("which", ["pdf_zh", "pdf_en"])
def test_rendered_pages_are_not_blank(which, request, tmp_path):
    _need("pdftoppm")
    pdf = request.getfixturevalue(which)
    for page in (1, 2):
        prefix = tmp_path / f"p{page}"
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                        str(prefix)], check=True)
        a = np.asarray(Image.open(f"{prefix}.png").convert("L"), dtype=np.float32)
        ink = float((a < 200).mean())
        assert ink > 0.01, f"page {page} looks blank ({ink:.4f} of pixels inked)"
        assert a.std() > 10


def test_pdf_has_figures(pdf_zh):
    _need("pdfimages")
    out = subprocess.run(["pdfimages", "-list", str(pdf_zh)], check=True, capture_output=True, text=True).stdout
    images = [line for line in out.splitlines()[2:] if line.strip()]
    # per image: picture, residual; per item: LLR chart; the clip: timeline and residual
    assert len(images) >= 8


def test_same_input_gives_the_same_bytes(analysed):
    case, results = analysed
    for fmt in ("pdf", "html"):
        a = _render(results, case, "zh", fmt)
        b = _render(results, case, "zh", fmt)
        assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest(), fmt


# HTML -----------------------------------------------------------------------------------------


def test_html_is_self_contained_with_headings(analysed):
    case, results = analysed
    html = _render(results, case, "zh", "html").decode("utf-8")
    for h in ZH_HEADINGS:
        assert h in html
    for r in results:
        assert r["sha256"] in html
    assert '<html lang="zh-CN">' in html
    assert "data:image/" in html and "@font-face" in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "HTML refers to something outside the file"
    en = _render(results, case, "en", "html").decode("utf-8")
    for h in EN_HEADINGS:
        assert h in en


# robustness -----------------------------------------------------------------------------------


def test_error_items_and_figures_that_cannot_be_drawn_are_rendered(tmp_path, inputs):
    case = Case(tmp_path / "case", actor="tester")
    results = _analyse(case, [inputs["notmedia"], inputs["missing"], inputs["photo"]])
    assert results[0]["errors"] and results[1]["errors"]
    # a finding that names a heatmap, one whose file is gone, and a video segment list of odd shape
    hm = tmp_path / "map.png"
    Image.fromarray((np.arange(96 * 128).reshape(96, 128) % 255).astype(np.uint8)).save(hm)
    results[2]["findings"] += [
        {"method": "physical.fake_map", "method_version": "9", "family": "physical", "applicable": True,
         "score": 0.7, "llr": 1.5, "explanation": {"zh": "测试热力图", "en": "test heatmap"}, "heatmap": str(hm),
         "details": {"k": 1}},
        {"method": "physical.gone_map", "method_version": "9", "family": "physical", "applicable": True,
         "score": 0.1, "llr": 0.0, "explanation": {"zh": "丢失", "en": "gone"}, "heatmap": str(tmp_path / "no.png")},
    ]
    results[2]["segments"] = [{"start": 0, "end": 1, "score": 0.4}, "not a dict"]
    for lang in ("zh", "en"):
        pdf = tmp_path / f"r_{lang}.pdf"
        pdf.write_bytes(_render(results, case, lang, "pdf"))
        text = " ".join(_pdftotext(pdf).split())
        assert "absent.png" in text
        assert "notes.txt" in text
        assert ("不出具意见" if lang == "zh" else "no opinion") in text
        assert "physical.fake_map" in text and "no.png" in text


def test_report_on_no_items_still_renders(tmp_path):
    case = Case(tmp_path / "case")
    pdf = tmp_path / "empty.pdf"
    pdf.write_bytes(_render([], case, "zh", "pdf"))
    assert "检材固定保全" in _pdftotext(pdf)


# the command ----------------------------------------------------------------------------------


def _mask(text: str) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00| UTC)?", "<time>", text)
    return re.sub(r"/\S*case[ab]\S*", "<case>", text)


def test_command_writes_report_logs_its_hash_and_is_reproducible(tmp_path, inputs, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps({"case-number": "沪鉴-2026-7", "examiners": ["王五", "赵六"]}), encoding="utf-8")
    texts = []
    for name in ("casea", "caseb"):
        out = tmp_path / name / "report.pdf"
        rc = main(["report", str(inputs["photo"]), "-o", str(out), "--lang", "zh", "--case", str(tmp_path / name),
                   "--case-file", str(case_file), "--commissioner", "某某法院", "--actor", "tester"])
        assert rc == 0
        entries = Case(tmp_path / name).log.entries()
        last = entries[-1]
        assert last["action"] == "report"
        assert last["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
        assert last["items"] == [entries[0]["sha256"]]
        assert Case(tmp_path / name).verify() == []
        text = _pdftotext(out)
        assert "沪鉴-2026-7" in text and "王五, 赵六" in text and "某某法院" in text
        texts.append(_mask(text))
    assert texts[0] == texts[1], "same input and version gave different reports (apart from timestamps)"


def test_command_html_and_error_exit_code(tmp_path, inputs):
    out = tmp_path / "r.html"
    rc = main(["report", str(inputs["tagged"]), str(inputs["missing"]), "-o", str(out), "--lang", "en",
               "--case", str(tmp_path / "case")])
    assert rc == 2  # written, but one item had an error
    html = out.read_text(encoding="utf-8")
    assert "absent.png" in html and "Opinion (鉴定意见)" in html


def test_report_on_a_real_file_from_shared_data(tmp_path):
    man = SHARED_DATA / "images" / "MANIFEST.csv"
    if not man.exists():
        pytest.skip("../shared/data is not present beside the checkout")
    import csv

    with open(man, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] == "real" and r.get("has_exif") == "y"]
    if not rows:
        pytest.skip("no camera original with EXIF listed in ../shared/data/images/MANIFEST.csv")
    path = SHARED_DATA / "images" / rows[0]["relative_path"]
    case = Case(tmp_path / "case")
    results = _analyse(case, [path])
    pdf = tmp_path / "real.pdf"
    pdf.write_bytes(_render(results, case, "zh", "pdf"))
    text = _pdftotext(pdf)
    assert results[0]["sha256"] in text
    assert "EXIF" in text


def test_command_reuses_analyze_json_results_from_the_same_case(tmp_path, inputs, capsys):
    case_dir = tmp_path / "case"
    rc = main(["analyze", "--json", "--case", str(case_dir), "--methods", "provenance.generator_text",
               str(inputs["tagged"])])
    assert rc == 0
    lines = capsys.readouterr().out
    results = tmp_path / "results.jsonl"
    results.write_text(lines, encoding="utf-8")
    n_before = len(Case(case_dir).log.entries())
    out = tmp_path / "r.pdf"
    assert main(["report", "--results", str(results), "-o", str(out), "--case", str(case_dir)]) == 0
    entries = Case(case_dir).log.entries()
    assert len(entries) == n_before + 1 and entries[-1]["action"] == "report"  # no new analysis
    sha = json.loads(lines.splitlines()[0])["sha256"]
    text = _pdftotext(out)
    assert sha in text and "倾向非原始拍摄" in text
    # the same results in another case: not in its evidence store, so an error, not an opinion
    other = tmp_path / "other.pdf"
    assert main(["report", "--results", str(results), "-o", str(other), "--case", str(tmp_path / "case2")]) == 2
    assert "不出具意见" in _pdftotext(other)
    # usage: neither PATHs nor results
    assert main(["report", "-o", str(tmp_path / "x.pdf"), "--case", str(case_dir)]) == 1
    # a results file whose opinion was edited after the analysis: an error, not the edited opinion
    edited = json.loads(lines.splitlines()[0])
    edited["verdict"], edited["score"] = "authentic", 0.01
    forged = tmp_path / "forged.jsonl"
    forged.write_text(json.dumps(edited, ensure_ascii=False) + "\n", encoding="utf-8")
    html = tmp_path / "forged.html"
    assert main(["report", "--results", str(forged), "-o", str(html), "--case", str(case_dir)]) == 2
    assert "do not match any analysis recorded" in html.read_text(encoding="utf-8")


def test_calibration_versions_error_rates_and_bands_are_reported(analysed, tmp_path):
    from huiyan.report.build import ReportInput, build_document
    from huiyan.report.pdf import render_pdf

    case, results = analysed
    calib = {
        "version": "calib-test-3",
        "data_version": "shared-data@abc123",
        "bands": {"synthetic": 5.0, "likely_synthetic": 2.5, "likely_authentic": -2.5, "authentic": -5.0},
        "methods": {"provenance.generator_text": {"x": [0, 1], "y": [-1, 4], "method_version": "0.2",
                                                  "auc": 0.91, "eer": 0.123, "n_manipulated": 40, "n_real": 60}},
        "band_error_rates": {"likely_synthetic": {"fpr_real": 0.0042, "n_real": 950},
                             "synthetic": {"false_positive_rate": 0.001, "en": "measured: 0.1% of 950 originals",
                                           "zh": "实测：950 个原始样本中 0.1%"}},
        "detection_by_kind": {mt: {"local edit": {"delivered": {"n": 23, "flagged": 0.22, "auc": 0.74},
                                                  "stripped": {"n": 23, "flagged": 0.0, "auc": 0.51}}}
                              for mt in ("image", "video")},
    }
    version = next(f["method_version"] for f in results[1]["findings"] if f["method"] == "provenance.generator_text")
    calib["methods"]["provenance.generator_text"]["method_version"] = version
    doc = build_document(ReportInput(results=results, lang="en", generated_at=FIXED, case_root=case.root,
                                     custody_entries=case.log.entries(), custody_problems=[], calibration=calib))
    pdf = tmp_path / "calib.pdf"
    pdf.write_bytes(render_pdf(doc))
    flat = " ".join(_pdftotext(pdf).split())
    assert "calib-test-3" in flat and "shared-data@abc123" in flat
    assert "auc 0.91" in flat and "eer 0.123" in flat
    assert "calibration curve on reference data" in flat
    assert "fpr_real 0.0042" in flat and "+5.00" in flat
    assert "measured: 0.1% of 950 originals" in flat and "实测" not in flat
    assert "fitted on 40 manipulated and 60 camera-original examples" in flat
    # the limitations state how often each kind of manipulation was caught
    assert "inconclusive grade is no sign that the item is authentic" in flat
    assert "flagged = graded 'likely not a camera original' or stronger" in flat  # the report's grade name
    assert "Detection measured for each kind of manipulation of image items" in flat
    assert "local edit 23 22% 0% (stripped) 0.51–0.74" in flat


def test_a_broken_custody_log_is_reported_and_exits_3(tmp_path, inputs):
    case_dir = tmp_path / "case"
    out = tmp_path / "r.pdf"
    assert main(["report", str(inputs["tagged"]), "-o", str(out), "--case", str(case_dir)]) == 0
    log = case_dir / "custody.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["actor"] = "someone else"  # edit the intake entry after the fact
    lines[0] = json.dumps(first, ensure_ascii=False, sort_keys=True)
    log.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    out2 = tmp_path / "r2.pdf"
    assert main(["report", str(inputs["tagged"]), "-o", str(out2), "--case", str(case_dir)]) == 3
    text = _pdftotext(out2)
    assert "监管日志校验结果：发现问题" in text
    assert "完整。" not in text


def test_metadata_that_could_not_be_read_is_stated(tmp_path, analysed):
    """Warnings recorded while reading the file (media.metadata_warnings, media.decode_warnings) reach
    the report."""
    case, results = analysed
    r = json.loads(json.dumps(results[0]))
    r["media"]["metadata_warnings"] = ["EXIF: Corrupt EXIF data. Expecting to read 2 bytes but only got 0."]
    r["media"]["decode_warnings"] = ["only 14 of 60 frames could be decoded"]
    zh = _render([r], case, "zh", "html").decode("utf-8")
    en = _render([r], case, "en", "html").decode("utf-8")
    assert "元数据读取问题" in zh and "Corrupt EXIF data" in zh
    assert "Metadata that could not be read" in en
    assert "解码问题" in zh and "Decoding problems" in en and "only 14 of 60 frames" in en
    assert "Metadata that could not be read" not in _render(results[:1], case, "en", "html").decode("utf-8")


def test_synthesis_shows_the_llr_of_each_kind_and_the_kinds_not_examined(analysed):
    from huiyan.report.texts import category_text, t

    case, results = analysed
    photo = dict(results[0], hypothesis_llr={"fully_generated": -1.25, "locally_edited": 0.5})
    html = _render([photo], case, "en", "html").decode("utf-8")
    assert t("kind_cols", "en").split("|")[1] in html
    assert "-1.250" in html and "+0.500" in html
    # no face found: face manipulation was not examined, and the report says so
    assert t("kind_not_examined", "en", kind=category_text("face_manipulated", "en")) in html


def test_synthesis_says_when_no_method_named_a_kind(analysed):
    from huiyan.report.texts import category_text, t

    case, results = analysed
    photo = dict(results[0], hypothesis_llr={"any": 4.0})
    html = _render([photo], case, "en", "html").decode("utf-8")
    assert t("kind_any", "en", llr="+4.000") in html
    # the kinds are not listed as "not examined" then: the evidence naming none bears on each of them
    assert t("kind_not_examined", "en", kind=category_text("face_manipulated", "en")) not in html


def test_method_rates_name_the_kind_a_map_was_fitted_on():
    from huiyan.report.build import _method_rates

    calib = {"methods": {"m": {"auc": 0.9, "n_manipulated": 64, "n_real": 91, "positives": "fully_generated"},
                         "p": {"auc": 0.8, "n_manipulated": 16, "n_real": 3, "positives": "all"},
                         "c@image": {"n_manipulated": 256, "n_real": 364, "positives": "fully_generated"},
                         "c@video": {"n_manipulated": 86, "n_real": 58, "positives": "fully_generated"}},
             "per_media_methods": ["c"],
             "method_metrics": {"c": {"auc_image_laundered": 0.79, "auc_video_delivered": 0.72}}}
    assert "64 examples of the kind it points to, fully generated by a model, and 91 camera-original" in _method_rates(
        "m", calib, "en")
    assert "“完全由生成模型生成”的 64 个样本" in _method_rates("m", calib, "zh")
    assert "fitted on 16 manipulated and 3 camera-original examples, each file counted once per test protocol" in (
        _method_rates("p", calib, "en"))
    # a method calibrated per media type: that type's map and rates
    video = _method_rates("c", calib, "en", "video")
    assert "fitted on 86 examples" in video and "auc_video_delivered 0.72" in video and "image" not in video
    image = _method_rates("c", calib, "en", "image")
    assert "fitted on 256 examples" in image and "auc_image_laundered 0.79" in image and "video" not in image
