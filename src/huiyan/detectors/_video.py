"""Shared steps of the video methods (temporal, physiological, video fingerprint).

- grey conversion and a small noise residual of sampled window frames;
- dense optical flow between consecutive window frames (OpenCV DIS, Kroeger et al., ECCV 2016,
  arXiv 1603.03590), computed once per item and shared by the flow-warp and texture-sticking
  methods;
- the dlib 68-point landmark model and 128-d face embedding that the optional `dlib-bin` +
  `face_recognition_models` packages ship (no download at run time);
- the per-segment evidence that feeds the item timeline (`Item.add_segment_evidence`).

The module name starts with an underscore so that `load_all()` does not treat it as a detector.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from huiyan.media.color import luma

# A face smaller than this (box side, full-resolution pixels) carries no usable eye or skin detail.
MIN_FACE_SIDE = 64
# Physiological methods need at least this many seconds of consecutive frames.
MIN_TRACK_SECONDS = {"rppg": 4.0, "blink": 3.0, "pose": 1.0, "identity": 1.0}


def gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma, float32 (`huiyan.media.color.luma`)."""
    return luma(rgb)


def noise_residual(g: np.ndarray) -> np.ndarray:
    """Frame minus a 3x3 Gaussian-smoothed copy: the high-frequency part (sensor noise, texture)."""
    import cv2

    g = np.asarray(g, np.float32)
    return g - cv2.GaussianBlur(g, (3, 3), 0.8, borderType=cv2.BORDER_REFLECT)


def frame_pairs(item) -> list[tuple[int, float, float, np.ndarray, np.ndarray]]:
    """(window index, t0, t1, grey frame, next grey frame) for consecutive frames of every window.

    Pairs whose frames are identical in size only; a pair across a decode gap is skipped.
    """
    out = []
    for wi, w in enumerate(item.frames.windows):
        for k in range(len(w.frames) - 1):
            if w.indices[k + 1] != w.indices[k] + 1 or w.frames[k].shape != w.frames[k + 1].shape:
                continue
            out.append((wi, w.times[k], w.times[k + 1], gray(w.frames[k]), gray(w.frames[k + 1])))
    return out


def _dis():
    import cv2

    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)


def flow_pairs(item) -> list[dict[str, Any]]:
    """Dense flow for every consecutive pair of window frames, computed once per item.

    Each entry: window, t0, t1, a, b (grey float32), flow (H x W x 2, a -> b), warped (b pulled
    back onto a's grid along the flow).
    """
    cache = item.__dict__.setdefault("_video_cache", {})
    if "flows" in cache:
        return cache["flows"]
    import cv2

    dis = _dis()
    out = []
    for wi, t0, t1, a, b in frame_pairs(item):
        if min(a.shape) < 16:
            continue
        a8, b8 = np.clip(a, 0, 255).astype(np.uint8), np.clip(b, 0, 255).astype(np.uint8)
        flow = dis.calc(a8, b8, None)
        h, w = a.shape
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        warped = cv2.remap(b, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        out.append({"window": wi, "t0": t0, "t1": t1, "a": a, "b": b, "flow": flow, "warped": warped})
    cache["flows"] = out
    return out


def consecutive_frames_reason(item) -> str | None:
    """The not-applicable reason of the flow-pair methods, or None when two consecutive frames exist."""
    if not any(len(w.frames) >= 2 for w in item.frames.windows):
        return "clip too short: no two consecutive frames"
    return None


def window_medians(item, statistic) -> dict[int, float]:
    """Median per sampled window of `statistic(pair)` over the flow pairs of `flow_pairs`;
    pairs where the statistic is undefined (None or not finite) are left out."""
    per_win: dict[int, list[float]] = {}
    for p in flow_pairs(item):
        v = statistic(p)
        if v is not None and np.isfinite(v):
            per_win.setdefault(p["window"], []).append(float(v))
    return {wi: float(np.median(v)) for wi, v in per_win.items()}


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two arrays (0 when either is constant)."""
    x = np.asarray(x, np.float64).ravel()
    y = np.asarray(y, np.float64).ravel()
    x = x - x.mean()
    y = y - y.mean()
    d = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / d) if d > 1e-12 else 0.0


def window_span(item, wi: int) -> tuple[float, float]:
    w = item.frames.windows[wi]
    fps = item.video.fps or 25.0
    return float(w.times[0]), float(w.times[-1] + 1.0 / fps)


def publish_segments(item, method: str, per_window: dict[int, float], *, zh: str, en: str) -> None:
    """Hand per-window evidence strengths in [0, 1] to the item timeline (if the item keeps one)."""
    add = getattr(item, "add_segment_evidence", None)
    if add is None:
        return
    for wi, strength in per_window.items():
        if np.isfinite(strength):
            t0, t1 = window_span(item, wi)
            add(method, t0, t1, float(np.clip(strength, 0, 1)), zh=zh, en=en, window=wi)


def publish_track_segments(item, method: str, strength: float, *, zh: str, en: str) -> None:
    """Attach a face-track method's strength to every sampled window inside the tracked span."""
    tr = item.frames.face_track
    if tr is None:
        return
    inside = {wi: strength for wi, w in enumerate(item.frames.windows) if tr.times[0] <= w.times[0] <= tr.times[-1]}
    publish_segments(item, method, inside, zh=zh, en=en)


def squash(x: float, at: float, width: float) -> float:
    """Logistic map of a statistic to (0, 1): 0.5 at `at`, steepness 1/`width`."""
    return float(1.0 / (1.0 + np.exp(-(x - at) / max(width, 1e-9))))


def track_reason(item, need: str) -> str | None:
    """Why a physiological method cannot run on this item's face track, or None."""
    fs = item.frames
    tr = fs.face_track
    if tr is None:
        return f"no usable face track: {fs.face_track_note or 'no face found'}"
    if tr.face_side < MIN_FACE_SIDE:
        return f"face too small ({tr.face_side:.0f} px < {MIN_FACE_SIDE} px)"
    need_s = MIN_TRACK_SECONDS[need]
    if tr.seconds < need_s:
        return f"clip too short: face followed for {tr.seconds:.1f} s, needs {need_s:.0f} s"
    return None


# dlib models (optional dependency) ------------------------------------------------------------
def _models_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "models"
    return d if d.is_dir() else None


@lru_cache(maxsize=1)
def dlib_models() -> tuple[Any, Any] | None:
    """(68-point shape predictor, 128-d face encoder) from the installed packages, or None."""
    try:
        import dlib
    except ImportError:
        return None
    d = _models_dir()
    if d is None:
        return None
    sp = d / "shape_predictor_68_face_landmarks.dat"
    enc = d / "dlib_face_recognition_resnet_model_v1.dat"
    if not sp.exists() or not enc.exists():
        return None
    return dlib.shape_predictor(str(sp)), dlib.face_recognition_model_v1(str(enc))


def missing_dlib_reason() -> str | None:
    if dlib_models() is None:
        return "face landmark model not installed (optional packages dlib-bin and face_recognition_models)"
    return None


def crop_face_rect(track):
    """The face box inside each square crop of a `FaceTrack` (the crop is the box enlarged)."""
    import dlib

    s = track.crops.shape[1]
    side = s / track.crop_margin
    o = (s - side) / 2
    return dlib.rectangle(int(round(o)), int(round(o)), int(round(o + side)), int(round(o + side)))


def track_landmarks(item) -> np.ndarray:
    """(n, 68, 2) dlib landmarks on every crop of the item's face track (cached per item)."""
    cache = item.__dict__.setdefault("_video_cache", {})
    if "landmarks" in cache:
        return cache["landmarks"]
    sp, _ = dlib_models()
    tr = item.frames.face_track
    rect = crop_face_rect(tr)
    out = np.zeros((len(tr), 68, 2), np.float32)
    for i in range(len(tr)):
        shape = sp(np.ascontiguousarray(tr.crops[i]), rect)
        out[i] = [(p.x, p.y) for p in shape.parts()]
    cache["landmarks"] = out
    return out


def save_frame(item, name: str, rgb: np.ndarray) -> str | None:
    """Save an RGB frame as PNG under the item's artifact folder; the path or None."""
    p = item.artifact_path(name)
    if p is None:
        return None
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(rgb)).save(p)
    return str(p)
