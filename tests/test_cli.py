"""The CLI contract of issue 2: JSON fields, exit codes, detectors listing, custody, samples."""

from __future__ import annotations

import json
import subprocess
import sys

from PIL import Image

from huiyan.cli import main
from huiyan.samples import make_samples, pick_shared

FIELDS = ("path", "sha256", "media_type", "score", "verdict", "category", "findings", "errors")


def test_analyze_json_one_object_per_file(tmp_path, capsys):
    paths = make_samples(tmp_path / "s")
    rc = main(["analyze", "--json", "--no-progress", "--case", str(tmp_path / "case"), *map(str, paths)])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    items = [json.loads(x) for x in out]
    assert [i["path"] for i in items] == [str(p) for p in paths]
    for it in items:
        for k in FIELDS:
            assert k in it
        assert it["errors"] == []
        assert 0.0 <= it["score"] <= 1.0
        assert it["verdict"] in ("synthetic", "likely_synthetic", "inconclusive", "likely_authentic", "authentic")
        assert len(it["sha256"]) == 64
    kinds = {it["path"].rsplit("/", 1)[-1]: it["media_type"] for it in items}
    assert kinds["moving_gradient.mp4"] == "video" and kinds["coffee.jpg"] == "image"
    tagged = next(i for i in items if i["path"].endswith("chelsea_tagged.png"))
    assert any(f["method"] == "provenance.generator_text" and f["applicable"] and f["llr"] > 0 for f in tagged["findings"])


def test_table_output_and_progress_not_in_stdout(tmp_path, capsys, photo_rgb):
    p = tmp_path / "a.png"
    Image.fromarray(photo_rgb).save(p)
    assert main(["analyze", "--case", str(tmp_path / "c"), str(p)]) == 0
    out = capsys.readouterr().out
    assert "verdict" in out and "a.png" in out


def test_detectors_lists_methods(capsys):
    assert main(["detectors", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any(r["method"] == "provenance.generator_text" for r in rows)
    assert all({"method", "family", "version", "media_types"} <= set(r) for r in rows)


def test_unknown_method_is_usage_error(tmp_path, capsys):
    assert main(["analyze", "--methods", "no.such", "--case", str(tmp_path), str(tmp_path)]) == 1


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from huiyan.cli import build_parser; build_parser().format_help();"
        "heavy = [m for m in ('numpy', 'PIL', 'cv2', 'av', 'scipy', 'onnxruntime', 'matplotlib', 'torch') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_pick_shared_lists_existing_files(shared_data):
    picked = pick_shared(shared_data)
    assert len(picked) >= 5 and all(p.exists() for p in picked)


def test_shared_sample_analyses_without_errors(shared_data, tmp_path, capsys):
    picked = pick_shared(shared_data)
    rc = main(["analyze", "--json", "--no-progress", "--case", str(tmp_path / "case"), *map(str, picked)])
    items = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(items) == len(picked)
    assert [i["errors"] for i in items] == [[] for _ in items]
    assert rc == 0
    assert {i["media_type"] for i in items} == {"image", "video"}
