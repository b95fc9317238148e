"""Frame sampling: every container, odd sizes, variable frame rate, bounded memory, bad input."""

from __future__ import annotations

import importlib.util
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("video_clips", REPO / "tests" / "media" / "video_clips.py")
clips = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clips)


@pytest.mark.parametrize("ext", [".mp4", ".mov", ".mkv", ".webm", ".avi", ".gif", ".webp"])
def test_every_container_is_sampled(tmp_path, ext):
    p = clips.write_clip(tmp_path / f"clip{ext}", clips.panning(24, (96, 72)), 12)
    item = clips.item_for(p)
    assert item.media_type == "video"
    fs = item.frames
    assert fs.decoded_frames == 24
    assert len(fs.stats) == 24
    assert fs.windows and all(len(w.frames) == 3 for w in fs.windows)
    assert fs.stills[0][1].shape == (72, 96, 3)
    assert abs(item.video.fps - 12) < 0.6


def test_odd_size_and_variable_frame_rate(tmp_path):
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.02, 0.09, 40))
    times -= times[0]
    frames = [f[:, :, :] for f in clips.panning(40, (97, 61))]
    # libx264 needs even sizes: write 98x62 then crop the odd copy with a lossless re-save as GIF
    p = clips.write_clip(tmp_path / "vfr.mkv", [np.pad(f, ((0, 1), (0, 1), (0, 0)), mode="edge") for f in frames],
                         25, times=list(times))
    item = clips.item_for(p)
    assert item.frames.decoded_frames == 40
    jitter = np.std(np.diff(item.video.packet_times[np.argsort(item.video.packet_times)]))
    assert jitter > 0.005  # the timestamps really vary
    g = clips.write_clip(tmp_path / "odd.gif", frames, 10, durations_ms=[int(d) for d in rng.integers(40, 200, 40)])
    gi = clips.item_for(g)
    assert gi.frames.stills[0][1].shape == (61, 97, 3)
    assert gi.video.frame_durations is not None and np.ptp(gi.video.frame_durations) > 0


def test_windows_start_at_keyframes_too(tmp_path):
    p = clips.write_clip(tmp_path / "k.mp4", clips.panning(300, (96, 64)), 30, gop=30)
    fs = clips.item_for(p, windows=6, key_windows=4).frames
    firsts = [w.pict_types[0] for w in fs.windows]
    assert set(fs.pict_types) <= set("IPB") and fs.pict_types[0] == "I"
    assert len(fs.windows) == 6 and firsts.count("I") >= 4
    assert [w.indices[0] for w in fs.windows] == sorted(w.indices[0] for w in fs.windows)


def test_window_frames_are_downscaled_and_still_full_size(tmp_path):
    p = clips.write_clip(tmp_path / "big.mp4", clips.panning(12, (1280, 720)), 24)
    fs = clips.item_for(p).frames
    assert max(fs.windows[0].frames[0].shape[:2]) == 512
    assert fs.stills[0][1].shape == (720, 1280, 3)


def test_no_face_gives_a_track_note(tmp_path):
    p = clips.write_clip(tmp_path / "tex.mp4", clips.panning(30, (160, 120)), 15)
    fs = clips.item_for(p).frames
    assert fs.face_track is None
    assert fs.face_track_note


def test_ten_minute_clip_keeps_memory_flat(tmp_path):
    """A 10-minute 160x120 clip at 10 fps (6000 frames): the sampled data and the peak traced
    memory of the whole analysis stay small, far below what keeping the frames would need."""
    from huiyan.detectors.base import registry

    n = 6000
    base = clips.texture(120, 160 + n + 8, seed=3)

    def frames():
        rng = np.random.default_rng(1)
        for i in range(n):
            yield np.clip(base[:, i % n:i % n + 160] + rng.normal(0, 2, (120, 160, 3)), 0, 255).astype(np.uint8)

    p = clips.write_clip(tmp_path / "long.mp4", frames(), 10, crf=30)
    item = clips.item_for(p)
    assert item.video.duration >= 599
    tracemalloc.start()
    fs = item.frames
    for cls in registry().values():
        if "video" in cls.media_types:
            cls().run(item)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert fs.decoded_frames == n
    all_frames = n * 120 * 160 * 3
    assert peak < 60e6, peak  # the decoded frames alone would be 345 MB
    assert peak < all_frames / 4
    kept = sum(f.nbytes for w in fs.windows for f in w.frames) + sum(s.nbytes for _, s in fs.stills)
    assert kept <= (16 * 3 + 4) * 120 * 160 * 3  # 16 windows of 3 frames and 4 stills, whatever the length


@pytest.mark.parametrize("payload", [b"", b"\x00" * 100, b"\x1aE\xdf\xa3" + b"\x00" * 64])
def test_bad_video_bytes_fail_cleanly(tmp_path, payload):
    from huiyan.media.probe import MediaError

    p = tmp_path / "bad.mkv"
    p.write_bytes(payload)
    with pytest.raises(MediaError):
        item = clips.item_for(p)
        item.video  # noqa: B018
        item.frames  # noqa: B018


def test_truncated_clip_keeps_what_decodes(tmp_path):
    m = clips.write_clip(tmp_path / "full.mkv", clips.panning(60, (128, 96)), 15)
    cut = tmp_path / "cut.mkv"
    raw = m.read_bytes()
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    item = clips.item_for(cut)
    assert 0 < item.frames.decoded_frames < 60


def test_segments_timeline(tmp_path):
    from huiyan.detectors.base import registry

    p = clips.write_clip(tmp_path / "t.mp4", clips.panning(60, (160, 120)), 15)
    item = clips.item_for(p, artifact_dir=tmp_path / "art")
    for cls in registry().values():
        if "video" in cls.media_types:
            cls().run(item)
    segs = item.segments
    assert segs and segs[0]["start"] == 0.0
    assert abs(segs[-1]["end"] - item.video.duration) < 0.2
    assert all(a["end"] <= b["start"] + 1e-6 for a, b in zip(segs, segs[1:], strict=False))
    assert all(0 <= s["score"] <= 1 and s["reason"]["method"] for s in segs)
    saved = [s["frame"] for s in segs if "frame" in s]
    assert saved and all(Path(f).exists() for f in saved)


@pytest.mark.parametrize("ext", [".mkv", ".webm"])
def test_truncated_clip_is_analysed_and_the_loss_is_stated(tmp_path, ext):
    """A clip cut after 60% of its bytes still decodes (what is there is examined) but the result
    says that the container promised more: never a silent partial examination."""
    full = clips.write_clip(tmp_path / f"full{ext}", clips.panning(60, (128, 96)), 15)
    cut = tmp_path / f"cut{ext}"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.6)])
    item = clips.item_for(cut)
    assert 0 < item.frames.decoded_frames < 60
    warns = item.describe()["decode_warnings"]
    assert any("truncated" in w for w in warns)
    whole = clips.item_for(full)
    whole.frames  # noqa: B018 - decode
    assert "decode_warnings" not in whole.describe()
