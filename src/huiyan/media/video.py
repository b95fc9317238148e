"""Video probing and bounded-memory frame sampling.

Containers (MP4, MOV, MKV, WebM, AVI) are read with PyAV, which bundles FFmpeg; animated GIF and
WebP are read with Pillow. Two passes are made over a file:

1. `probe_video`: container and stream metadata, plus a demux-only pass over the video packets
   (size, key flag, timestamp) — cheap, no decoding;
2. `sample_frames`: one decoding pass that keeps only the sampled frames: `windows` short runs of
   `window_len` consecutive frames spread uniformly over the clip, a few of them moved onto
   keyframes (for temporal methods),
   downscaled to at most `max_side`, and a few full-resolution `stills` (for image methods).
   The number of kept frames is capped, so memory stays flat in clip length.

The same decoding pass also records, at almost no cost per frame:

- `FrameStats`: for every decoded frame its time, mean RGB and the mean absolute difference of a
  tiny grey thumbnail to the previous frame (duplicated frames, flicker, frame-rate habits); a few
  floats per frame, capped at `max_stat_frames`;
- `FaceTrack`: one run of up to `track_seconds` consecutive frames around the largest face
  (Haar detector, re-detected every few frames), kept as small fixed-size face crops plus the mean
  colour of the background border, for blink, pulse (rPPG), head pose and identity methods, which
  need seconds of consecutive frames. Its size is capped by `track_max_frames`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from huiyan.media.color import BT601_WEIGHTS
from huiyan.media.probe import MediaError


@dataclass
class VideoInfo:
    format: str
    codec: str
    width: int
    height: int
    fps: float
    duration: float
    n_frames: int
    container_format: str = ""
    metadata: dict[str, str] = field(default_factory=dict)  # container tags
    stream_metadata: dict[str, str] = field(default_factory=dict)
    has_audio: bool = False
    bit_rate: int | None = None
    pix_fmt: str | None = None
    # per video packet, in decode order: presentation time (s), size (bytes), key flag
    packet_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    packet_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    packet_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    frame_durations: np.ndarray | None = None  # animated GIF/WebP: per-frame delay (s)
    backend: str = "pyav"
    read_warnings: list[str] = field(default_factory=list)  # damage met while probing (kept, not silent)

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "container_format": self.container_format,
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 3),
            "duration_s": round(self.duration, 3),
            "frames": self.n_frames,
            "has_audio": self.has_audio,
            "bit_rate": self.bit_rate,
            "pix_fmt": self.pix_fmt,
            "metadata": self.metadata,
            "stream_metadata": self.stream_metadata,
            "keyframes": int(self.packet_keys.sum()) if self.packet_keys.size else None,
        }


@dataclass
class FrameWindow:
    """A short run of consecutive frames: indices in decode order, times in seconds."""

    indices: list[int]
    times: list[float]
    frames: list[np.ndarray]  # RGB uint8, downscaled to max_side
    pict_types: list[str]


@dataclass
class FrameStats:
    """A few numbers per decoded frame, in decode order (capped at `max_stat_frames`)."""

    times: np.ndarray  # (n,) presentation time in seconds
    rgb_means: np.ndarray  # (n, 3) mean R, G, B of the frame
    thumb_diffs: np.ndarray  # (n,) mean |difference| of a 32x18 grey thumbnail to the previous frame
    truncated: bool = False

    def __len__(self) -> int:
        return int(self.times.size)


@dataclass
class FaceTrack:
    """Consecutive frames around the largest face, for physiological methods.

    `crops` are the face box enlarged by `crop_margin` and resized to `crop_size` square (RGB
    uint8); `boxes` are the face boxes (x, y, w, h) in full-resolution pixels; `detected` says on
    which frames the detector actually ran and found the face (others carry the last box);
    `bg_means` is the mean RGB of the frame's outer border strips (a reference region with no skin).
    """

    start_index: int
    times: np.ndarray
    boxes: np.ndarray  # (n, 4) float
    detected: np.ndarray  # (n,) bool
    crops: np.ndarray  # (n, S, S, 3) uint8
    bg_means: np.ndarray  # (n, 3) float
    crop_margin: float
    face_side: float  # median face box side in full-resolution pixels

    def __len__(self) -> int:
        return int(self.times.size)

    @property
    def seconds(self) -> float:
        return float(self.times[-1] - self.times[0]) if len(self) > 1 else 0.0

    @property
    def fps(self) -> float:
        if len(self) < 2:
            return 0.0
        dt = np.diff(self.times)
        dt = dt[dt > 0]
        return float(1.0 / np.median(dt)) if dt.size else 0.0


@dataclass
class FrameSample:
    windows: list[FrameWindow]
    stills: list[tuple[float, np.ndarray]]  # (time, full-resolution RGB)
    decoded_frames: int
    pict_types: str  # one letter per decoded frame: I, P, B, or ? (capped length)
    scale: float  # factor applied to window frames
    stats: FrameStats | None = None
    face_track: FaceTrack | None = None
    face_track_note: str = ""  # why there is no track (no face found, clip too short ...)


def _open_av(path: Path):
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except Exception as e:
        raise MediaError(f"{path}: video container cannot be opened ({e})") from e


def probe_video(path: Path, fmt: str) -> VideoInfo:
    if fmt in ("GIF", "WEBP"):
        return _probe_animated(path, fmt)
    with _open_av(path) as c:
        vs = next((s for s in c.streams if s.type == "video"), None)
        if vs is None:
            raise MediaError(f"{path}: the container has no video stream")
        cc = vs.codec_context
        times, sizes, keys = [], [], []
        tb = float(vs.time_base) if vs.time_base else 0.0
        try:
            for pkt in c.demux(vs):
                if pkt.size == 0:
                    continue
                times.append(float(pkt.pts) * tb if pkt.pts is not None else np.nan)
                sizes.append(pkt.size)
                keys.append(bool(pkt.is_keyframe))
        except Exception as e:
            if not sizes:
                raise MediaError(f"{path}: video data is truncated or corrupt ({e})") from e
            warns = [f"demuxing stopped after {len(sizes)} packets ({type(e).__name__}: {e}): the file is "
                     "truncated or damaged, later frames are not examined"]
        else:
            warns = []
        if not sizes:
            raise MediaError(f"{path}: the video stream holds no frames")
        fps = float(vs.average_rate or vs.guessed_rate or 0) or 0.0
        if vs.duration and vs.time_base:
            duration = float(vs.duration * vs.time_base)
        elif c.duration:
            duration = c.duration / 1_000_000
        else:
            duration = len(sizes) / fps if fps else 0.0
        if not fps and duration:
            fps = len(sizes) / duration
        pts = np.asarray(times, dtype=float)
        if duration > 0 and np.isfinite(pts).any():
            end = float(np.nanmax(pts)) - float(np.nanmin(pts)) + (1.0 / fps if fps else 0.0)
            if end < 0.9 * duration - 0.5:
                warns.append(f"the container declares {duration:.2f} s but its video packets end at {end:.2f} s: "
                             "the file is probably truncated, the missing part is not examined")
        return VideoInfo(
            format=fmt,
            codec=cc.name or "",
            width=cc.width,
            height=cc.height,
            fps=fps,
            duration=duration,
            n_frames=len(sizes),
            container_format=c.format.name,
            metadata={str(k): str(v) for k, v in c.metadata.items()},
            stream_metadata={str(k): str(v) for k, v in vs.metadata.items()},
            has_audio=any(s.type == "audio" for s in c.streams),
            bit_rate=c.bit_rate or None,
            pix_fmt=getattr(cc, "pix_fmt", None),
            packet_times=np.asarray(times, dtype=float),
            packet_sizes=np.asarray(sizes, dtype=np.int64),
            packet_keys=np.asarray(keys, dtype=bool),
            read_warnings=warns,
        )


def _probe_animated(path: Path, fmt: str) -> VideoInfo:
    from huiyan.media.image import _open

    with _open(path) as im:
        n = getattr(im, "n_frames", 1)
        durs = []
        anim_warns: list[str] = []
        try:
            for i in range(n):
                im.seek(i)
                if fmt == "WEBP":
                    im.load()  # Pillow sets a WebP frame's duration only when it is decoded
                durs.append(float(im.info.get("duration", 100) or 100) / 1000.0)
        except Exception as e:
            if not durs:
                raise MediaError(f"{path}: animation cannot be decoded ({e})") from e
            anim_warns.append(f"only {len(durs)} of {n} animation frames can be read ({type(e).__name__}: {e})")
        durs_a = np.asarray(durs, dtype=float)
        total = float(durs_a.sum())
        meta = {}
        for k in ("loop", "comment", "background"):
            if k in im.info:
                v = im.info[k]
                meta[k] = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
        return VideoInfo(
            format=fmt,
            codec=fmt.lower(),
            width=im.size[0],
            height=im.size[1],
            fps=(len(durs) / total) if total > 0 else 0.0,
            duration=total,
            n_frames=len(durs),
            container_format=fmt.lower(),
            metadata=meta,
            packet_times=np.concatenate([[0.0], np.cumsum(durs_a)[:-1]]) if durs else np.zeros(0),
            packet_sizes=np.zeros(len(durs), dtype=np.int64),
            packet_keys=np.zeros(len(durs), dtype=bool),
            frame_durations=durs_a,
            backend="pillow",
            read_warnings=anim_warns,
        )


def _resize(arr: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return arr
    import cv2

    h, w = arr.shape[:2]
    return cv2.resize(arr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def plan_indices(n_frames: int, windows: int, window_len: int, stills: int) -> tuple[list[int], list[int]]:
    """Start indices of the windows and indices of the stills, spread uniformly."""
    if n_frames <= 0:
        return [], []
    windows = max(1, min(windows, n_frames // max(1, window_len)))
    last_start = max(0, n_frames - window_len)
    starts = sorted({int(round(x)) for x in np.linspace(0, last_start, windows)})
    stills_n = max(1, min(stills, n_frames))
    still_idx = sorted({int(round(x)) for x in np.linspace(0, n_frames - 1, stills_n + 2)[1:-1]} or {0})
    return starts, still_idx


_PICT_LETTERS = {0: "?", 1: "I", 2: "P", 3: "B", 4: "S", 5: "I", 6: "P", 7: "B"}  # AVPictureType


def _pict_letter(pt: Any) -> str:
    """I, P, B (S for sprite) from PyAV's picture type, an enum in old PyAV and an int in PyAV 14+."""
    if pt is None:
        return "?"
    name = getattr(pt, "name", None)
    if isinstance(name, str) and name and name[0] in "IPBS":
        return name[0]
    try:
        return _PICT_LETTERS.get(int(pt), "?")
    except (TypeError, ValueError):
        return "?"


def keyframe_indices(info: VideoInfo) -> np.ndarray:
    """Presentation-order indices of the keyframes, from the demuxed packets (one frame each)."""
    if not info.packet_keys.size or not info.packet_keys.any():
        return np.zeros(0, int)
    t = np.where(np.isfinite(info.packet_times), info.packet_times, np.inf)
    order = np.argsort(t, kind="stable")
    return np.flatnonzero(info.packet_keys[order])


def snap_to_keyframes(starts: list[int], keys: np.ndarray, key_windows: int, window_len: int,
                      n_frames: int) -> list[int]:
    """Move up to `key_windows` of the uniformly spread window starts onto the nearest keyframe
    (an intra-coded frame: the encoder's own view of the scene), keeping windows apart."""
    if not key_windows or not keys.size or not starts:
        return starts
    out = list(starts)
    chosen = np.unique(np.linspace(0, len(out) - 1, min(key_windows, len(out))).round().astype(int))
    for ci in chosen:
        k = int(keys[np.argmin(np.abs(keys - out[ci]))])
        others = [s for j, s in enumerate(out) if j != ci]
        if k + window_len <= n_frames and all(abs(k - s) >= window_len for s in others):
            out[ci] = k
    return sorted(set(out))


def _iter_frames(path: Path, info: VideoInfo) -> Iterator[tuple[int, float, Any, str]]:
    """Yield (index, time, frame-object, pict_type) for every decoded frame."""
    if info.backend == "pillow":
        from huiyan.media.image import _open

        with _open(path) as im:
            t = 0.0
            for i in range(info.n_frames):
                try:
                    im.seek(i)
                except EOFError:
                    break
                yield i, t, im, "?"
                t += float(info.frame_durations[i]) if info.frame_durations is not None else 0.1
        return
    with _open_av(path) as c:
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"
        idx = 0
        try:
            for frame in c.decode(vs):
                t = float(frame.time) if frame.time is not None else idx / (info.fps or 25.0)
                pname = _pict_letter(frame.pict_type)
                yield idx, t, frame, pname
                idx += 1
        except Exception as e:
            if idx == 0:
                raise MediaError(f"{path}: video frames cannot be decoded ({e})") from e
            # A truncated tail: keep what was decoded; the caller records the count.


def _to_rgb(obj: Any) -> np.ndarray:
    if hasattr(obj, "to_ndarray"):
        return obj.to_ndarray(format="rgb24")
    return np.asarray(obj.convert("RGB"), dtype=np.uint8)


def _to_small(obj: Any, w: int, h: int, fmt: str) -> np.ndarray:
    """The frame scaled to w x h ("gray" or "rgb24") without converting it at full size first."""
    if hasattr(obj, "reformat"):
        return obj.reformat(width=w, height=h, format=fmt, interpolation="AREA").to_ndarray()
    im = obj.convert("L" if fmt == "gray" else "RGB").resize((w, h))
    return np.asarray(im, dtype=np.uint8)


class _StatsRecorder:
    THUMB = (64, 36)

    def __init__(self, cap: int):
        self.cap = cap
        self.times: list[float] = []
        self.means: list[tuple[float, float, float]] = []
        self.diffs: list[float] = []
        self.prev: np.ndarray | None = None
        self.truncated = False

    def add(self, t: float, fr: Any) -> None:
        if len(self.times) >= self.cap:
            self.truncated = True
            return
        small = _to_small(fr, 32, 18, "rgb24").astype(np.float32)
        gray = small @ np.array(BT601_WEIGHTS, dtype=np.float32)
        self.times.append(t)
        self.means.append(tuple(small.reshape(-1, 3).mean(0)))
        self.diffs.append(float(np.abs(gray - self.prev).mean()) if self.prev is not None else np.nan)
        self.prev = gray

    def result(self) -> FrameStats:
        return FrameStats(
            times=np.asarray(self.times, dtype=float),
            rgb_means=np.asarray(self.means, dtype=float).reshape(-1, 3),
            thumb_diffs=np.asarray(self.diffs, dtype=float),
            truncated=self.truncated,
        )


@lru_cache(maxsize=1)
def _face_detector():
    """dlib's HOG frontal face detector (built into dlib, no weights file), else OpenCV's Haar
    cascade when this OpenCV still has `CascadeClassifier` (OpenCV 5 moved it out), else None."""
    try:
        import dlib

        det = dlib.get_frontal_face_detector()
        return "dlib", det
    except ImportError:
        pass
    import cv2

    if hasattr(cv2, "CascadeClassifier"):
        c = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if not c.empty():
            return "haar", c
    return None


def detect_faces_video(rgb: np.ndarray, upsample: int = 0) -> list[tuple[int, int, int, int]] | None:
    """Face boxes (x, y, w, h), largest first, on a frame of at most ~640 px; None without a detector.

    Dalal and Triggs HOG + linear SVM as shipped in dlib (King, JMLR 2009); frontal faces of at
    least ~80 px at this resolution, ~40 px with `upsample=1` (four times slower).
    """
    det = _face_detector()
    if det is None:
        return None
    kind, d = det
    if kind == "dlib":
        rects = d(np.ascontiguousarray(rgb), upsample)
        boxes = [(r.left(), r.top(), r.width(), r.height()) for r in rects]
    else:
        import cv2

        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        found = d.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=6, minSize=(40, 40))
        boxes = [tuple(int(v) for v in b) for b in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b[2] * b[3])


class _FaceTracker:
    """Finds the largest face, then follows it for up to `max_frames` consecutive frames."""

    def __init__(self, info: VideoInfo, *, seconds: float, max_frames: int, side: int, crop: int,
                 margin: float, redetect: int, max_attempts: int):
        self.info = info
        fps = info.fps or 25.0
        self.n_target = int(min(max_frames, max(2, round(seconds * fps))))
        self.scale = min(1.0, side / max(info.width or 1, info.height or 1))
        self.work_w = max(2, round((info.width or 1) * self.scale))
        self.work_h = max(2, round((info.height or 1) * self.scale))
        self.crop = crop
        self.margin = margin
        self.redetect = max(1, redetect)
        self.attempt_every = max(1, round(fps / 2))  # look for a face twice a second
        self.max_attempts = max_attempts
        self.attempts = 0
        self.start: int | None = None
        self.box: np.ndarray | None = None  # in work coordinates
        self.times: list[float] = []
        self.boxes: list[np.ndarray] = []
        self.detected: list[bool] = []
        self.crops: list[np.ndarray] = []
        self.bg: list[np.ndarray] = []
        self.misses = 0
        self.done = False
        self.note = "no face found by the detector"

    def _detect(self, rgb: np.ndarray, upsample: int = 0) -> list[tuple[int, int, int, int]]:
        faces = detect_faces_video(rgb, upsample)
        if faces is None:
            self.note = "no face detector available (install dlib-bin, or an OpenCV with Haar cascades)"
            self.done = True
            return []
        return faces

    def _detect_near(self, rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Re-detect in a region of twice the face around the last box, scaled so the face is
        ~100 px (much cheaper than the whole frame); boxes are returned in frame coordinates."""
        import cv2

        x, y, w, h = self.box
        cx, cy, half = x + w / 2, y + h / 2, 1.1 * max(w, h)
        H, W = rgb.shape[:2]
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(W, cx + half)), int(min(H, cy + half))
        roi = rgb[y0:y1, x0:x1]
        if roi.size == 0:
            return []
        f = min(3.0, 100.0 / max(w, h))
        if abs(f - 1.0) > 0.05:
            roi = cv2.resize(roi, (max(1, round(roi.shape[1] * f)), max(1, round(roi.shape[0] * f))),
                             interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
        else:
            f = 1.0
        faces = self._detect(roi)
        return [(int(bx / f + x0), int(by / f + y0), int(bw / f), int(bh / f)) for bx, by, bw, bh in faces]

    def add(self, idx: int, t: float, fr: Any) -> None:
        if self.done:
            return
        if self.start is None:
            if idx % self.attempt_every or self.attempts >= self.max_attempts:
                if self.attempts >= self.max_attempts:
                    self.done = True
                return
            self.attempts += 1
            rgb = _to_small(fr, self.work_w, self.work_h, "rgb24")
            # the first look up-samples once: faces down to ~40 px at the working resolution
            # (~120 px in 1080p footage)
            faces = self._detect(rgb, upsample=1)
            if not faces:
                return
            self.start = idx
            self.box = np.asarray(faces[0], dtype=float)
            self._keep(t, rgb, True)
            return
        rgb = _to_small(fr, self.work_w, self.work_h, "rgb24")
        found = False
        if (idx - self.start) % self.redetect == 0:
            faces = self._detect_near(rgb)
            if faces:
                c0 = self.box[:2] + self.box[2:] / 2
                best = min(faces, key=lambda b: float(np.hypot(*(np.asarray(b[:2]) + np.asarray(b[2:]) / 2 - c0))))
                nb = np.asarray(best, dtype=float)
                # the same face if the centre moved less than half a box
                if np.hypot(*(nb[:2] + nb[2:] / 2 - c0)) < 0.5 * self.box[2]:
                    self.box = 0.5 * self.box + 0.5 * nb  # light smoothing against Haar jitter
                    found = True
                    self.misses = 0
            if not found:
                self.misses += 1
                if self.misses >= 3:  # the face left the frame: end the track
                    self.done = True
                    self.note = "face lost"
                    return
        self._keep(t, rgb, found)
        if len(self.times) >= self.n_target:
            self.done = True

    def _keep(self, t: float, rgb: np.ndarray, detected: bool) -> None:
        import cv2

        x, y, w, h = self.box
        cx, cy, side = x + w / 2, y + h / 2, max(w, h) * self.margin
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        x1, y1 = x0 + int(round(side)), y0 + int(round(side))
        H, W = rgb.shape[:2]
        pad = max(0, -x0, -y0, x1 - W, y1 - H)
        src = np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)), mode="edge") if pad else rgb
        patch = src[y0 + pad:y1 + pad, x0 + pad:x1 + pad]
        self.crops.append(cv2.resize(patch, (self.crop, self.crop), interpolation=cv2.INTER_AREA))
        b = max(2, min(H, W) // 10)
        border = np.concatenate([rgb[:b].reshape(-1, 3), rgb[-b:].reshape(-1, 3),
                                 rgb[:, :b].reshape(-1, 3), rgb[:, -b:].reshape(-1, 3)])
        self.bg.append(border.mean(0))
        self.times.append(t)
        self.boxes.append(self.box / self.scale)
        self.detected.append(detected)

    def result(self) -> FaceTrack | None:
        if self.start is None or len(self.times) < 2:
            if self.start is not None:
                self.note = "face found on too few consecutive frames"
            return None
        boxes = np.asarray(self.boxes, dtype=float)
        return FaceTrack(
            start_index=self.start,
            times=np.asarray(self.times, dtype=float),
            boxes=boxes,
            detected=np.asarray(self.detected, dtype=bool),
            crops=np.stack(self.crops),
            bg_means=np.asarray(self.bg, dtype=float),
            crop_margin=self.margin,
            face_side=float(np.median(boxes[:, 2])),
        )


def sample_frames(
    path: Path,
    info: VideoInfo,
    *,
    windows: int = 16,
    window_len: int = 3,
    max_side: int = 512,
    stills: int = 4,
    key_windows: int = 4,
    max_pict_types: int = 100_000,
    max_stat_frames: int = 200_000,
    face_track: bool = True,
    track_seconds: float = 10.0,
    track_max_frames: int = 320,
    track_side: int = 640,
    track_crop: int = 128,
    track_margin: float = 1.6,
    track_redetect: int = 10,
    track_attempts: int = 20,
) -> FrameSample:
    """Decode the clip once and keep a bounded sample (see the module docstring).

    Sampling is configurable: `windows` runs of `window_len` consecutive frames spread uniformly
    over the clip, up to `key_windows` of them moved onto the nearest keyframe (all picture types
    are recorded in `pict_types`), `stills` full-resolution frames, and
    one face track of at most `track_seconds` (`face_track=False` skips it).
    """
    starts, still_idx = plan_indices(info.n_frames, windows, window_len, stills)
    starts = snap_to_keyframes(starts, keyframe_indices(info), key_windows, window_len, info.n_frames)
    wanted: dict[int, int] = {}
    for wi, s in enumerate(starts):
        for k in range(window_len):
            wanted.setdefault(s + k, wi)
    still_set = set(still_idx)
    scale = min(1.0, max_side / max(info.width or 1, info.height or 1))
    win_w = max(1, round((info.width or 1) * scale))
    win_h = max(1, round((info.height or 1) * scale))
    wins = [FrameWindow([], [], [], []) for _ in starts]
    out_stills: list[tuple[float, np.ndarray]] = []
    pict = []
    n = 0
    stats = _StatsRecorder(max_stat_frames)
    tracker = (
        _FaceTracker(info, seconds=track_seconds, max_frames=track_max_frames, side=track_side,
                     crop=track_crop, margin=track_margin, redetect=track_redetect,
                     max_attempts=track_attempts)
        if face_track else None
    )
    for idx, t, fr, ptype in _iter_frames(path, info):
        n += 1
        if len(pict) < max_pict_types:
            pict.append(ptype)
        stats.add(t, fr)
        if tracker is not None:
            tracker.add(idx, t, fr)
        if idx in still_set:
            rgb = _to_rgb(fr)
            out_stills.append((t, rgb))
        if idx in wanted:
            if idx in still_set:
                small = _resize(out_stills[-1][1], scale)
            elif scale < 1.0 and hasattr(fr, "reformat"):
                small = _to_small(fr, win_w, win_h, "rgb24")
            else:
                small = _resize(_to_rgb(fr), scale)
            w = wins[wanted[idx]]
            w.indices.append(idx)
            w.times.append(t)
            w.frames.append(small)
            w.pict_types.append(ptype)
    if n == 0:
        raise MediaError(f"{path}: no video frame could be decoded")
    wins = [w for w in wins if w.frames]
    if not out_stills and wins:
        out_stills.append((wins[0].times[0], wins[0].frames[0]))
    track = tracker.result() if tracker is not None else None
    note = "" if track is not None else (tracker.note if tracker is not None else "face track disabled")
    return FrameSample(windows=wins, stills=out_stills, decoded_frames=n, pict_types="".join(pict), scale=scale,
                       stats=stats.result(), face_track=track, face_track_note=note)
