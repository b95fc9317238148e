"""Temporal methods on synthetic clips whose answer is known by construction, bad inputs and
real clips from ../shared/data."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED = (REPO / ".." / "shared" / "data").resolve()
_spec = importlib.util.spec_from_file_location("video_clips", REPO / "tests" / "media" / "video_clips.py")
clips = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clips)


def run(method: str, item):
    from huiyan.detectors.base import get_detector

    return get_detector(method).run(item)


@pytest.fixture(scope="module")
def fresh_noise_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return clips.write_clip(d / "fresh.mp4", clips.panning(45, (256, 192), noise=4, fresh_noise=True), 15, crf=8)


@pytest.fixture(scope="module")
def static_noise_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return clips.write_clip(d / "static.mp4", clips.panning(45, (256, 192), noise=4, fresh_noise=False), 15, crf=8)


@pytest.fixture(scope="module")
def duplicated_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return clips.write_clip(d / "dup.mp4", clips.with_duplicates(clips.panning(30, (160, 120))), 30)


# noise_temporal ---------------------------------------------------------------------------------
def test_noise_temporal_static_noise_scores_higher(fresh_noise_clip, static_noise_clip):
    fresh = run("temporal.noise_temporal", clips.item_for(fresh_noise_clip))
    static = run("temporal.noise_temporal", clips.item_for(static_noise_clip))
    assert fresh.applicable and static.applicable
    assert fresh.score < 0.3  # fresh sensor-like noise: close to independent
    assert static.score > fresh.score + 0.3


def test_noise_temporal_pure_function():
    from huiyan.detectors.temporal.noise_temporal import residual_correlation

    rng = np.random.default_rng(0)
    base = np.full((96, 96), 120, np.float32)
    n1, n2 = rng.normal(0, 3, base.shape), rng.normal(0, 3, base.shape)
    assert residual_correlation(base + n1, base + n1) > 0.95
    assert abs(residual_correlation(base + n1, base + n2)) < 0.1



def test_noise_temporal_noise_free_clip_is_not_camera_evidence(tmp_path):
    p = clips.write_clip(tmp_path / "flat.mp4", [np.full((120, 160, 3), 90, np.uint8)] * 30, 15)
    f = run("temporal.noise_temporal", clips.item_for(p))
    assert not f.applicable and "noise-free" in f.reason


# texture_sticking ---------------------------------------------------------------------------------
def test_texture_sticking_static_noise_on_moving_content(fresh_noise_clip, static_noise_clip):
    fresh = run("temporal.texture_sticking", clips.item_for(fresh_noise_clip))
    static = run("temporal.texture_sticking", clips.item_for(static_noise_clip))
    assert fresh.applicable and static.applicable
    assert fresh.score < 0  # real texture travels with the content
    assert static.score > fresh.score


# flow_warp -----------------------------------------------------------------------------------------
def test_flow_warp_rigid_pan_is_explained_by_flow(fresh_noise_clip, tmp_path):
    rigid = run("temporal.flow_warp", clips.item_for(fresh_noise_clip))
    # frames that change texture completely from one frame to the next: not motion at all
    rng = np.random.default_rng(0)
    frames = [np.clip(clips.texture(120, 160, seed=int(s)), 0, 255).astype(np.uint8) for s in rng.integers(0, 1e6, 30)]
    p = clips.write_clip(tmp_path / "morph.mp4", frames, 15)
    morph = run("temporal.flow_warp", clips.item_for(p))
    assert rigid.applicable and morph.applicable
    assert rigid.score < 0.6
    assert morph.score > rigid.score + 0.2


def test_flow_warp_static_scene_not_applicable(tmp_path):
    frames = [np.full((96, 128, 3), 90, np.uint8)] * 20
    p = clips.write_clip(tmp_path / "flat.mp4", frames, 10)
    f = run("temporal.flow_warp", clips.item_for(p))
    assert not f.applicable and "static" in f.reason


# flicker ---------------------------------------------------------------------------------------------
def test_flicker_planted_brightness_jumps(tmp_path):
    base = list(clips.panning(40, (128, 96), noise=1))
    steady = clips.write_clip(tmp_path / "steady.mp4", base, 20)
    rng = np.random.default_rng(2)
    jumpy = [np.clip(f.astype(np.float32) + rng.choice([-6, 6]), 0, 255).astype(np.uint8) for f in base]
    flick = clips.write_clip(tmp_path / "flicker.mp4", jumpy, 20)
    a = run("temporal.flicker", clips.item_for(steady))
    b = run("temporal.flicker", clips.item_for(flick))
    assert a.details["luma_flicker"] < 1.0
    assert b.details["luma_flicker"] > 3.0
    assert b.score > a.score


# stream_history ------------------------------------------------------------------------------------
def test_stream_history_finds_duplicated_frames(duplicated_clip, fresh_noise_clip):
    dup = run("temporal.stream_history", clips.item_for(duplicated_clip))
    clean = run("temporal.stream_history", clips.item_for(fresh_noise_clip))
    assert dup.details["duplicate_fraction"] > 0.4
    assert clean.details["duplicate_fraction"] < 0.05
    assert dup.details["cues"]["duplicates"] > 0.9 > clean.details["cues"]["duplicates"]


def test_stream_history_helpers():
    from huiyan.detectors.temporal.stream_history import gop_lengths, interpolation_score

    keys = np.zeros(100, bool)
    keys[::25] = True
    assert list(gop_lengths(keys)) == [25, 25, 25]
    alt = np.tile([1.0, 3.0], 30)
    assert interpolation_score(alt) > 0.5
    assert interpolation_score(np.full(60, 2.0)) < 0.1


def test_stream_history_variable_frame_rate(tmp_path):
    rng = np.random.default_rng(0)
    times = np.concatenate([[0], np.cumsum(rng.uniform(0.02, 0.12, 39))])
    p = clips.write_clip(tmp_path / "vfr.mkv", clips.panning(40, (128, 96)), 25, times=list(times))
    f = run("temporal.stream_history", clips.item_for(p))
    assert f.details["timestamp_jitter"] > 0.2
    assert f.details["cues"]["variable_rate"] > 0.9


# bad inputs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["temporal.flow_warp", "temporal.noise_temporal", "temporal.texture_sticking",
                                    "temporal.texture_persistence",
                                    "temporal.flicker", "temporal.stream_history", "fingerprint.video_frames"])
def test_tiny_and_single_frame_clips_never_crash(tmp_path, method):
    one = clips.write_clip(tmp_path / "one.gif", [np.full((8, 8, 3), 40, np.uint8)], 10)
    f = run(method, clips.item_for(one))
    assert not f.applicable and f.reason
    tiny = clips.write_clip(tmp_path / "tiny.mp4", list(clips.panning(6, (16, 16))), 10)
    g = run(method, clips.item_for(tiny))
    if g.applicable:
        assert g.score is None or np.isfinite(g.score)
    else:
        assert g.reason and g.score is None


# real clips ----------------------------------------------------------------------------------------
def _pick(label: str, ext: str) -> Path:
    with open(SHARED / "videos" / "MANIFEST.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["label"] == label and r["relative_path"].endswith(ext):
                return SHARED / "videos" / r["relative_path"]
    pytest.skip(f"no {label} {ext} clip in ../shared/data")


@pytest.mark.parametrize("label,ext", [("real", ".mp4"), ("generated_t2v", ".gif"), ("generated_t2v", ".mp4")])
def test_real_clips_from_shared_data(label, ext):
    if not (SHARED / "videos" / "MANIFEST.csv").exists():
        pytest.skip("../shared/data is not present beside the checkout")
    item = clips.item_for(_pick(label, ext))
    moving = min(item.video.width, item.video.height) >= 128 and item.video.n_frames >= 16
    for m in ("temporal.flow_warp", "temporal.noise_temporal", "temporal.texture_sticking",
              "temporal.texture_persistence", "temporal.flicker", "temporal.stream_history",
              "fingerprint.video_frames"):
        f = run(m, item)
        assert f.method == m
        assert f.explanation["zh"] and f.explanation["en"]
        # these clips are at least 128 px and 16 frames of moving content: every method must be
        # able to say something (a 'not applicable' here would be a silent loss of coverage)
        assert f.applicable or not moving, f"{m} not applicable on {label}{ext}: {f.reason}"
        if f.applicable:
            assert np.isfinite(f.score)
        else:
            assert f.reason


# texture_persistence -------------------------------------------------------------------------------
def test_texture_persistence_panning_texture_persists(fresh_noise_clip, tmp_path):
    pan = run("temporal.texture_persistence", clips.item_for(fresh_noise_clip))
    rng = np.random.default_rng(1)
    redrawn = [np.clip(clips.texture(120, 160, seed=int(s)), 0, 255).astype(np.uint8) for s in rng.integers(0, 1e6, 30)]
    p = clips.write_clip(tmp_path / "redrawn.mp4", redrawn, 15)
    boil = run("temporal.texture_persistence", clips.item_for(p))
    assert pan.applicable and boil.applicable
    assert pan.score < 0.5
    assert boil.score > pan.score + 0.3


# video_frames ------------------------------------------------------------------------------------
def _grid_pattern(h: int, w: int, amplitude: float, seed: int = 5) -> np.ndarray:
    """A fixed zero-mean 8x8 tile repeated over the frame: the periodic 'checkerboard' trace that
    transposed-convolution up-sampling leaves (Odena et al., Distill 2016), planted by construction."""
    rng = np.random.default_rng(seed)
    tile = rng.normal(0, 1, (8, 8))
    return (np.tile(tile - tile.mean(), (h // 8, w // 8)) * amplitude)[..., None]


def test_grid_peak_ratio_pure_function():
    from huiyan.detectors.fingerprint.video_frames import grid_peak_ratio

    rng = np.random.default_rng(0)
    plain = 120 + rng.normal(0, 4, (256, 256))
    marked = plain + _grid_pattern(256, 256, 2.0)[..., 0]
    d0, a0 = grid_peak_ratio(plain)
    d1, a1 = grid_peak_ratio(marked)
    assert abs(d0) < 0.2 and abs(a0) < 0.2  # white noise: no peak on the k/8 grid
    assert d1 > d0 + 1.0 and a1 > a0 + 1.0
    # nearest-neighbour up-sampling (no convolution after it) leaves NULLS at k/4, not peaks: a
    # documented failure case, the ratio goes negative
    nearest = np.kron(120 + rng.normal(0, 8, (64, 64)), np.ones((4, 4)))
    assert grid_peak_ratio(nearest)[0] < d0 - 0.5
    assert all(np.isnan(grid_peak_ratio(np.zeros((64, 300)))))  # smaller than one tile


def test_video_frames_planted_periodic_pattern(fresh_noise_clip, tmp_path):
    base = list(clips.panning(30, (256, 192), noise=4, fresh_noise=True))
    pat = _grid_pattern(192, 256, 3.0)
    marked = clips.write_clip(tmp_path / "marked.mp4", [np.clip(f + pat, 0, 255).astype(np.uint8) for f in base],
                              15, crf=8)
    clean = run("fingerprint.video_frames", clips.item_for(fresh_noise_clip))
    planted = run("fingerprint.video_frames", clips.item_for(marked))
    assert clean.applicable and planted.applicable
    assert abs(clean.score) < 0.2
    assert planted.score > clean.score + 1.0
    assert planted.details["frames"] >= 2
