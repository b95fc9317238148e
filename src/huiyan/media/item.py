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
        """Luma (ITU-R BT.601) as float32 in [0, 255]."""
        p = self.pixels.astype(np.float32)
        return 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2]

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

        opts = {k: v for k, v in self.options.items() if k in ("windows", "window_len", "max_side", "stills")}
        return sample_frames(self.path, self.video, **opts)

    # faces ---------------------------------------------------------------------------------
    @cached_property
    def faces(self) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) on `pixels`, largest first, from OpenCV's bundled detector."""
        from huiyan.media.faces import detect_faces

        return detect_faces(self.pixels)

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
            elif "pixels" in self.__dict__:
                d.update(height=self.pixels.shape[0], width=self.pixels.shape[1])
        else:
            if "video" in self.__dict__:
                d.update(self.video.summary())
            if "frames" in self.__dict__:
                d["decoded_frames"] = self.frames.decoded_frames
                d["sampled_windows"] = len(self.frames.windows)
        if "faces" in self.__dict__:
            d["faces"] = len(self.faces)
        return d
