"""Video probing and bounded-memory frame sampling.

Containers (MP4, MOV, MKV, WebM, AVI) are read with PyAV, which bundles FFmpeg; animated GIF and
WebP are read with Pillow. Two passes are made over a file:

1. `probe_video`: container and stream metadata, plus a demux-only pass over the video packets
   (size, key flag, timestamp) — cheap, no decoding;
2. `sample_frames`: one decoding pass that keeps only the sampled frames: `windows` short runs of
   `window_len` consecutive frames spread uniformly over the clip (for temporal methods),
   downscaled to at most `max_side`, and a few full-resolution `stills` (for image methods).
   The number of kept frames is capped, so memory stays flat in clip length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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
class FrameSample:
    windows: list[FrameWindow]
    stills: list[tuple[float, np.ndarray]]  # (time, full-resolution RGB)
    decoded_frames: int
    pict_types: str  # one letter per decoded frame: I, P, B, or ? (capped length)
    scale: float  # factor applied to window frames


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
        )


def _probe_animated(path: Path, fmt: str) -> VideoInfo:
    from huiyan.media.image import _open

    with _open(path) as im:
        n = getattr(im, "n_frames", 1)
        durs = []
        try:
            for i in range(n):
                im.seek(i)
                durs.append(float(im.info.get("duration", 100) or 100) / 1000.0)
        except Exception as e:
            if not durs:
                raise MediaError(f"{path}: animation cannot be decoded ({e})") from e
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
                pt = frame.pict_type
                pname = getattr(pt, "name", str(pt))[:1] if pt is not None else "?"
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


def sample_frames(
    path: Path,
    info: VideoInfo,
    *,
    windows: int = 16,
    window_len: int = 3,
    max_side: int = 512,
    stills: int = 4,
    max_pict_types: int = 100_000,
) -> FrameSample:
    starts, still_idx = plan_indices(info.n_frames, windows, window_len, stills)
    wanted: dict[int, int] = {}
    for wi, s in enumerate(starts):
        for k in range(window_len):
            wanted.setdefault(s + k, wi)
    still_set = set(still_idx)
    scale = min(1.0, max_side / max(info.width or 1, info.height or 1))
    wins = [FrameWindow([], [], [], []) for _ in starts]
    out_stills: list[tuple[float, np.ndarray]] = []
    pict = []
    n = 0
    last = max(list(wanted) + still_idx) if (wanted or still_idx) else -1
    for idx, t, fr, ptype in _iter_frames(path, info):
        n += 1
        if len(pict) < max_pict_types:
            pict.append(ptype)
        if idx in wanted or idx in still_set:
            rgb = _to_rgb(fr)
            if idx in still_set:
                out_stills.append((t, rgb))
            if idx in wanted:
                w = wins[wanted[idx]]
                w.indices.append(idx)
                w.times.append(t)
                w.frames.append(_resize(rgb, scale))
                w.pict_types.append(ptype)
        if idx > last and info.backend == "pillow":
            break
    if n == 0:
        raise MediaError(f"{path}: no video frame could be decoded")
    wins = [w for w in wins if w.frames]
    if not out_stills and wins:
        out_stills.append((wins[0].times[0], wins[0].frames[0]))
    return FrameSample(windows=wins, stills=out_stills, decoded_frames=n, pict_types="".join(pict), scale=scale)
