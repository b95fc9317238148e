"""Physiological methods: a planted pulse in a real face, synthetic eye-aspect-ratio series,
clips without a face or too short, and real clips from ../shared/data."""

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

PHYSIO = ("physiological.rppg", "physiological.blink", "physiological.identity_drift", "physiological.head_pose",
          "physiological.face_blend", "physiological.face_flicker")


def run(method: str, item):
    from huiyan.detectors.base import get_detector

    return get_detector(method).run(item)


def dlib_ready() -> bool:
    from huiyan.detectors._video import dlib_models

    return dlib_models() is not None


@pytest.fixture(scope="module")
def pulse_clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("pulse")
    fps = 15
    with_pulse = clips.write_clip(d / "pulse.mp4", clips.pulse_face(150, fps, bpm=72, amplitude=0.015), fps, crf=4)
    without = clips.write_clip(d / "flat.mp4", clips.pulse_face(150, fps, amplitude=0.0), fps, crf=4)
    return with_pulse, without


# rPPG ---------------------------------------------------------------------------------------------
def test_pos_and_chrom_recover_a_planted_pulse_from_colour_means():
    from huiyan.detectors.physiological.rppg import chrom_signal, pos_signal, pulse_snr

    fps, n = 30.0, 300
    t = np.arange(n) / fps
    rng = np.random.default_rng(0)
    skin = np.array([180.0, 120.0, 100.0])
    pulse = 0.004 * np.sin(2 * np.pi * 1.25 * t)  # 75 bpm, with the blood-volume colour signature
    rgb = skin * (1 + np.outer(pulse, [0.33, 0.77, 0.53])) + rng.normal(0, 0.05, (n, 3))
    noise = skin + rng.normal(0, 0.3, (n, 3))
    snr_p, f_p = pulse_snr(pos_signal(rgb, fps), fps)
    snr_c, f_c = pulse_snr(chrom_signal(rgb, fps), fps)
    snr_n, _ = pulse_snr(pos_signal(noise, fps), fps)
    assert abs(f_p - 1.25) < 0.1 and abs(f_c - 1.25) < 0.1
    assert snr_p > 5 and snr_c > 5
    assert snr_n < snr_p - 5


def test_rppg_planted_pulse_in_a_face(pulse_clips):
    with_pulse, without = pulse_clips
    a = run("physiological.rppg", clips.item_for(with_pulse))
    b = run("physiological.rppg", clips.item_for(without))
    if not a.applicable and "detector" in (a.reason or ""):
        pytest.skip(a.reason)
    assert a.applicable and b.applicable, (a.reason, b.reason)
    assert abs(a.details["heart_rate_bpm"] - 72) < 6
    assert a.details["snr_pos_db"] > b.details["snr_pos_db"] + 3
    assert a.score < b.score  # less evidence of manipulation when a pulse is present


def test_physiological_methods_say_why_without_a_face(tmp_path):
    p = clips.write_clip(tmp_path / "tex.mp4", clips.panning(90, (160, 120)), 15)
    item = clips.item_for(p)
    for m in PHYSIO:
        f = run(m, item)
        assert not f.applicable
        assert "face" in f.reason


def test_physiological_methods_say_clip_too_short(tmp_path):
    p = clips.write_clip(tmp_path / "short.mp4", clips.pulse_face(12, 15), 15)
    item = clips.item_for(p)
    if item.frames.face_track is None:
        pytest.skip(f"no face detector: {item.frames.face_track_note}")
    for m in ("physiological.rppg", "physiological.blink"):
        f = run(m, item)
        assert not f.applicable and "too short" in f.reason


def test_face_too_small_is_not_applicable(tmp_path):
    import cv2

    small = [cv2.resize(f, (200, 200), interpolation=cv2.INTER_AREA) for f in clips.pulse_face(60, 15)]
    big = [np.pad(f, ((140, 140), (220, 220), (0, 0)), mode="edge") for f in small]
    p = clips.write_clip(tmp_path / "small.mp4", big, 15)
    f = run("physiological.rppg", clips.item_for(p))
    assert not f.applicable
    assert "face" in f.reason  # too small, or not even found at this size


# blinks -------------------------------------------------------------------------------------------
def test_blink_detection_on_a_synthetic_eye_aspect_ratio():
    from huiyan.detectors.physiological.blink import find_blinks

    fps = 30
    t = np.arange(300) / fps
    ear = np.full(300, 0.3) + np.random.default_rng(0).normal(0, 0.005, 300)
    for s in (45, 150, 240):  # three blinks of 5 frames (0.17 s)
        ear[s:s + 5] = [0.2, 0.1, 0.08, 0.12, 0.2]
    blinks = find_blinks(ear, t)
    assert len(blinks) == 3
    assert all(0.1 <= d <= 0.3 for _, d in blinks)
    assert find_blinks(np.full(300, 0.3), t) == []


def test_eye_aspect_ratio_of_open_and_closed_eyes():
    from huiyan.detectors.physiological.blink import eye_aspect_ratio

    lm = np.zeros((2, 68, 2))
    eye_open = np.array([[0, 0], [1, -1], [2, -1], [3, 0], [2, 1], [1, 1]], float)
    eye_closed = eye_open * [1, 0.1]
    lm[0, 36:42], lm[0, 42:48] = eye_open, eye_open
    lm[1, 36:42], lm[1, 42:48] = eye_closed, eye_closed
    ear = eye_aspect_ratio(lm)
    assert ear[0] == pytest.approx(2 / 3)
    assert ear[1] < 0.1


def test_blink_and_identity_on_the_still_portrait(pulse_clips):
    if not dlib_ready():
        pytest.skip("dlib-bin / face_recognition_models not installed")
    item = clips.item_for(pulse_clips[1])
    b = run("physiological.blink", item)
    i = run("physiological.identity_drift", item)
    assert b.applicable and i.applicable
    assert b.details["blinks"] == 0  # a still photograph never blinks
    assert b.details["cues"]["no_blink"] > 0.7
    assert i.score < 0.15  # one identity throughout


# real clips ---------------------------------------------------------------------------------------
def test_real_face_clips_from_shared_data():
    if not (SHARED / "videos" / "MANIFEST.csv").exists():
        pytest.skip("../shared/data is not present beside the checkout")
    with open(SHARED / "videos" / "MANIFEST.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    picks = [r for r in rows if r["relative_path"].startswith("faceforensics_c40/original")][:1]
    picks += [r for r in rows if r["label"] == "deepfake_face"][:1]
    for r in picks:
        item = clips.item_for(SHARED / "videos" / r["relative_path"])
        for m in PHYSIO:
            f = run(m, item)
            assert f.explanation["en"]
            if f.applicable:
                assert np.isfinite(f.score)
            else:
                assert f.reason
        if dlib_ready():
            assert item.frames.face_track is not None  # FF++ clips show one large frontal face


# head pose ----------------------------------------------------------------------------------------
def _project(rot_deg: tuple[float, float, float], ids, size=128):
    import cv2

    from huiyan.detectors.physiological.head_pose import MODEL_3D

    obj = np.array([MODEL_3D[i] for i in ids], np.float64)
    obj[:, 1] *= -1
    rvec = np.radians(np.array(rot_deg, np.float64))
    cam = np.array([[size, 0, size / 2], [0, size, size / 2], [0, 0, 1]], np.float64)
    pts, _ = cv2.projectPoints(obj, rvec, np.array([0, 0, 1500.0]), cam, None)
    return pts.reshape(-1, 2)


def test_head_pose_agrees_on_a_rigid_face_and_not_on_a_swapped_centre():
    from huiyan.detectors.physiological.head_pose import CENTRAL, WHOLE, pose_disagreement

    lm = np.zeros((68, 2))
    lm[list(WHOLE)] = _project((5, 15, 0), WHOLE)
    rigid = pose_disagreement(lm, 128)
    swapped = lm.copy()
    swapped[list(CENTRAL)] = _project((5, -10, 0), CENTRAL)  # the centre turned the other way
    assert rigid < 2.0
    assert pose_disagreement(swapped, 128) > rigid + 5


def test_head_pose_on_the_still_portrait(pulse_clips):
    if not dlib_ready():
        pytest.skip("dlib-bin / face_recognition_models not installed")
    f = run("physiological.head_pose", clips.item_for(pulse_clips[1]))
    assert f.applicable and np.isfinite(f.score)
    assert f.details["spread_deg"] < 3.0  # a still face: the same pose in every frame


# face blending boundary ---------------------------------------------------------------------------
def test_face_blend_smoothed_face_scores_higher(tmp_path):
    import cv2

    frames = list(clips.pulse_face(45, 15, amplitude=0.0))
    x, y, s = 179, 83, 88
    blended = []
    for f in frames:
        g = f.copy()
        inner = g[y + 10:y + s - 5, x + 12:x + s - 12]
        g[y + 10:y + s - 5, x + 12:x + s - 12] = cv2.GaussianBlur(inner, (0, 0), 2.5)
        blended.append(g)
    a = run("physiological.face_blend", clips.item_for(clips.write_clip(tmp_path / "a.mp4", frames, 15, crf=8)))
    b = run("physiological.face_blend", clips.item_for(clips.write_clip(tmp_path / "b.mp4", blended, 15, crf=8)))
    if not a.applicable and "detector" in (a.reason or ""):
        pytest.skip(a.reason)
    assert a.applicable and b.applicable
    assert b.score > a.score + 0.1
    assert b.details["median_sharpness_gap"] > 0.05  # the face lost detail its surroundings kept


def test_face_blend_sharper_context_alone_raises_the_gap():
    """The index compares two bands of the same region: blurring the context, not the face, must
    move the score the other way."""
    import cv2

    from huiyan.detectors.physiological.face_blend import blend_ratio

    rng = np.random.default_rng(1)
    crop = np.clip(128 + cv2.GaussianBlur(rng.normal(0, 40, (128, 128, 3)).astype(np.float32), (0, 0), 1.0),
                   0, 255).astype(np.uint8)
    base = blend_ratio(crop, 1.6)
    soft_ctx = cv2.GaussianBlur(crop, (0, 0), 2.0)
    mixed = soft_ctx.copy()
    mixed[24:104, 24:104] = crop[24:104, 24:104]  # sharp face box, blurred surroundings
    assert abs(base) < 0.1
    assert blend_ratio(mixed, 1.6) < base - 0.3


def test_face_blend_pure_function_flat_crop():
    from huiyan.detectors.physiological.face_blend import blend_ratio

    assert blend_ratio(np.full((128, 128, 3), 120, np.uint8), 1.6) is None


# face flicker ------------------------------------------------------------------------------------
def test_face_flicker_ratios_known_answers():
    from huiyan.detectors.physiological.face_flicker import flicker_ratios

    rng = np.random.default_rng(0)
    still = np.tile([150.0, 130.0, 140.0], (100, 1))
    r = flicker_ratios(still, still)
    assert r["lightness_log_ratio"] == pytest.approx(0.0) and r["chroma_log_ratio"] == pytest.approx(0.0)
    shared = still + rng.normal(0, 1.0, (100, 3))  # the same flicker on face and context
    r = flicker_ratios(shared, shared)
    assert abs(r["lightness_log_ratio"]) < 1e-9
    face = still + rng.normal(0, 1.0, (100, 3))  # only the face flickers
    r = flicker_ratios(face, still + rng.normal(0, 0.05, (100, 3)))
    assert r["lightness_log_ratio"] > 1.5 and r["chroma_log_ratio"] > 1.5


def _flicker_clip(kind: str, n: int = 60, fps: int = 15):
    x, y, s = 179, 83, 88
    rng = np.random.default_rng(3)
    for f in clips.pulse_face(n, fps, amplitude=0.0, noise=1.0):
        g = f.astype(np.float32)
        gain = 1 + rng.normal(0, 0.03, 3)  # a per-frame colour correction, as a swap applies
        if kind == "face":
            g[y + 8:y + s - 4, x + 10:x + s - 10] *= gain
        elif kind == "global":
            g *= gain  # exposure / white-balance flicker of the whole frame (a camera does this)
        yield np.clip(g, 0, 255).astype(np.uint8)


def test_face_flicker_planted_face_flicker_scores_higher(tmp_path):
    fps = 15
    items = {k: clips.item_for(clips.write_clip(tmp_path / f"{k}.mp4", _flicker_clip(k), fps, crf=8))
             for k in ("none", "face", "global")}
    f = {k: run("physiological.face_flicker", it) for k, it in items.items()}
    if not f["none"].applicable and "detector" in (f["none"].reason or ""):
        pytest.skip(f["none"].reason)
    assert all(v.applicable for v in f.values()), {k: v.reason for k, v in f.items()}
    assert f["face"].score > f["none"].score + 0.8
    # a flicker the surroundings share is the camera's, not a blended face's
    assert f["global"].score < f["face"].score - 0.8


def test_face_flicker_not_applicable_at_gif_frame_rates(tmp_path):
    from huiyan.detectors.reasons_zh import reason_zh

    p = clips.write_clip(tmp_path / "slow.mp4", clips.pulse_face(30, 7, amplitude=0.0), 7)
    item = clips.item_for(p)
    if item.frames.face_track is None:
        pytest.skip(f"no face detector: {item.frames.face_track_note}")
    f = run("physiological.face_flicker", item)
    assert not f.applicable and "frame rate" in f.reason
    assert reason_zh(f.reason) and "帧率" in reason_zh(f.reason)


def test_face_flicker_on_a_faceforensics_pair():
    """A FaceForensics++ Deepfakes clip and the real clip it was made from (same target video):
    the swapped face flickers more against its surroundings than the real face does."""
    d = SHARED / "videos" / "faceforensics_c40"
    fake, real = d / "manipulate__Deepfakes__c40__videos__253_183.mp4", d / "original__youtube__c40__videos__253.mp4"
    if not (fake.exists() and real.exists()):
        pytest.skip("../shared/data is not present beside the checkout")
    a = run("physiological.face_flicker", clips.item_for(fake))
    b = run("physiological.face_flicker", clips.item_for(real))
    if not a.applicable and "detector" in (a.reason or ""):
        pytest.skip(a.reason)
    assert a.applicable and b.applicable
    assert a.score > b.score
