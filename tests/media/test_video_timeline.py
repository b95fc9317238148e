"""The item result of a video carries the per-segment timeline and the strongest frames."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("video_clips", REPO / "tests" / "media" / "video_clips.py")
clips = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clips)


def test_analyze_json_has_segments_and_artifacts(tmp_path, capsys):
    from huiyan.cli import main

    p = clips.write_clip(tmp_path / "pan.mp4", clips.panning(60, (192, 144)), 15)
    rc = main(["analyze", "--json", "--no-progress", "--case", str(tmp_path / "case"), str(p)])
    item = json.loads(capsys.readouterr().out.splitlines()[0])
    assert rc == 0 and item["errors"] == []
    segs = item["segments"]
    assert len(segs) >= 4
    assert segs[0]["start"] == 0.0 and abs(segs[-1]["end"] - 4.0) < 0.2
    for s in segs:
        assert s["start"] < s["end"]
        assert 0.0 <= s["score"] <= 1.0
        assert s["reason"]["method"] in {f["method"] for f in item["findings"]}
        assert s["reason"]["zh"] and s["reason"]["en"]
    frames = [s["frame"] for s in segs if "frame" in s]
    assert len(frames) == 2 and all(Path(f).is_file() for f in frames)


def test_image_results_have_no_segments(tmp_path, capsys, photo_rgb):
    from PIL import Image

    from huiyan.cli import main

    p = tmp_path / "a.png"
    Image.fromarray(photo_rgb).save(p)
    main(["analyze", "--json", "--no-progress", "--case", str(tmp_path / "case"), str(p)])
    item = json.loads(capsys.readouterr().out.splitlines()[0])
    assert "segments" not in item
