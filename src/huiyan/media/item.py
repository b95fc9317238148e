"""`Item`: one piece of evidence with its inputs built once, lazily, and shared by all detectors.

Detectors read `item.pixels`, `item.metadata`, `item.video`, `item.frames`, `item.faces` ... and
never open the file themselves. Each property decodes on first use and caches the result, so a
metadata-only run never decodes pixels.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from huiyan.media.color import luma
from huiyan.media.probe import MediaError, Probe, sniff


class Item:
    def __init__(
        self,
        path: str | Path,
        *,
        probe: Probe | None = None,
        artifact_dir: Path | None = None,
        sha256: str | None = None,
        options: dict[str, Any] | None = None,
    ):
        self.path = Path(path)
        self.probe = probe or sniff(self.path)
        self.artifact_dir = artifact_dir
        self.sha256 = sha256
        self.options = options or {}

    # identity ------------------------------------------------------------------------------
    @property
    def media_type(self) -> str:
        return self.probe.media_type

    @property
    def format(self) -> str:
        return self.probe.format

    @cached_property
    def raw_bytes(self) -> bytes:
        """The file's bytes (for parsers that walk the container themselves)."""
        return self.path.read_bytes()

    # images --------------------------------------------------------------------------------
    @cached_property
    def metadata(self):
        """`ImageMetadata` for images (and for the first frame of an animated image)."""
        from huiyan.media.image import read_metadata

        return read_metadata(self.path)

    @cached_property
    def pixels(self) -> np.ndarray:
        """H x W x 3 uint8 RGB. For a video, the first full-resolution still."""
        if self.media_type == "video":
            return self.frames.stills[0][1]
        from huiyan.media.image import decode_rgb

        return decode_rgb(self.path)

    @cached_property
    def gray(self) -> np.ndarray:
        """Luma (ITU-R BT.601) as float32 in [0, 255], converted in row strips so that a
        50-megapixel image needs no full-size float RGB temporary."""
        px = self.pixels
        out = np.empty(px.shape[:2], np.float32)
        step = max(1, (1 << 22) // max(1, px.shape[1]))  # ~4 M pixels per strip
        for y in range(0, px.shape[0], step):
            out[y : y + step] = luma(px[y : y + step])
        return out

    # video ---------------------------------------------------------------------------------
    @cached_property
    def video(self):
        """`VideoInfo`: container and stream metadata plus per-packet statistics."""
        if self.media_type != "video":
            raise MediaError(f"{self.path}: not a video")
        from huiyan.media.video import probe_video

        return probe_video(self.path, self.format)

    @cached_property
    def frames(self):
        """`FrameSample`: bounded sample of frame windows and full-resolution stills."""
        from huiyan.media.video import sample_frames

        keys = ("windows", "window_len", "max_side", "stills", "key_windows", "face_track", "track_seconds", "track_max_frames",
                "track_side", "track_crop")
        opts = {k: v for k, v in self.options.items() if k in keys}
        return sample_frames(self.path, self.video, **opts)

    # faces ---------------------------------------------------------------------------------
    @cached_property
    def faces(self) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) on `pixels`, largest first, from OpenCV's bundled detector."""
        from huiyan.media.faces import detect_faces

        return detect_faces(self.pixels)

    # video timeline ------------------------------------------------------------------------
    def add_segment_evidence(self, method: str, t0: float, t1: float, strength: float, *, zh: str, en: str,
                             window: int | None = None) -> None:
        """A video method's evidence strength in [0, 1] (0.5 neutral) for one sampled span."""
        self.__dict__.setdefault("_segment_evidence", []).append(
            {"method": method, "t0": t0, "t1": t1, "strength": strength, "zh": zh, "en": en, "window": window}
        )

    @property
    def segments(self) -> list[dict[str, Any]] | None:
        """The per-segment timeline of a video: start/end (s), score, strongest reason, frame.

        Each sampled window becomes a segment reaching halfway to its neighbours, so the segments
        cover the clip. Its score is the mean strength of the methods that reported on it; the
        strongest reason is the method with the highest strength. The frames of the two strongest
        segments are saved as artifacts for the report when a case folder is set.
        """
        ev = self.__dict__.get("_segment_evidence")
        if self.media_type != "video" or not ev:
            return None
        if "_segments" in self.__dict__:
            return self.__dict__["_segments"]
        by_win: dict[Any, list[dict[str, Any]]] = {}
        for e in ev:
            by_win.setdefault(e["window"] if e["window"] is not None else (e["t0"], e["t1"]), []).append(e)
        spans = sorted(
            ((min(e["t0"] for e in es), max(e["t1"] for e in es), key, es) for key, es in by_win.items()),
            key=lambda x: x[0],
        )
        duration = float(self.video.duration or spans[-1][1])
        segs: list[dict[str, Any]] = []
        for i, (t0, t1, key, es) in enumerate(spans):
            start = 0.0 if i == 0 else (spans[i - 1][1] + t0) / 2
            end = max(t1, duration) if i == len(spans) - 1 else (t1 + spans[i + 1][0]) / 2
            top = max(es, key=lambda e: e["strength"])
            segs.append({
                "start": round(start, 3),
                "end": round(end, 3),
                "score": round(float(np.mean([e["strength"] for e in es])), 4),
                "reason": {"method": top["method"], "strength": round(top["strength"], 4), "zh": top["zh"],
                           "en": top["en"]},
                "methods": {e["method"]: round(e["strength"], 4) for e in es},
                "window": key if isinstance(key, int) else None,
            })
        for rank, seg in enumerate(sorted(segs, key=lambda s: -s["score"])[:2]):
            wi = seg["window"]
            if wi is None or "frames" not in self.__dict__ or wi >= len(self.frames.windows):
                continue
            w = self.frames.windows[wi]
            p = self.artifact_path(f"segment_{rank + 1}_{seg['start']:.2f}s.png")
            if p is not None:
                from PIL import Image

                Image.fromarray(np.ascontiguousarray(w.frames[len(w.frames) // 2])).save(p)
                seg["frame"] = str(p)
        self.__dict__["_segments"] = segs
        return segs

    # artifacts -----------------------------------------------------------------------------
    def artifact_path(self, name: str) -> Path | None:
        """Where a detector may save a figure or heatmap; None when no case folder is set."""
        if self.artifact_dir is None:
            return None
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        return self.artifact_dir / name

    def describe(self) -> dict[str, Any]:
        """What was decoded (样本提取), for the result and the report."""
        d: dict[str, Any] = {"format": self.format}
        if self.media_type == "image":
            if "metadata" in self.__dict__:
                m = self.metadata
                d.update(width=m.width, height=m.height, mode=m.mode)
                if m.exif_error or m.read_warnings:
                    d["metadata_warnings"] = [w for w in (m.exif_error, *m.read_warnings) if w]
            elif "pixels" in self.__dict__:
                d.update(height=self.pixels.shape[0], width=self.pixels.shape[1])
        else:
            if "video" in self.__dict__:
                d.update(self.video.summary())
            warns = list(self.video.read_warnings) if "video" in self.__dict__ else []
            if "frames" in self.__dict__:
                d["decoded_frames"] = self.frames.decoded_frames
                d["sampled_windows"] = len(self.frames.windows)
                if "video" in self.__dict__ and self.frames.decoded_frames < self.video.n_frames:
                    warns.append(f"only {self.frames.decoded_frames} of {self.video.n_frames} frames could be "
                                 "decoded: the stream is damaged or ends early, later frames are not examined")
            if warns:
                d["decode_warnings"] = warns
        if "faces" in self.__dict__:
            d["faces"] = len(self.faces)
        return d
