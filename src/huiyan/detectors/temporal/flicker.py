"""Brightness and colour flicker over the whole clip.

What it measures: the per-frame mean luma and chroma (`item.frames.stats`, every decoded frame)
are detrended with a running median of 5 frames; the robust spread (1.4826 x MAD) of what is left
is the flicker, in grey levels, reported separately for luma and for the colour ratios.

Why it separates: a camera's exposure and white balance drift slowly, so the frame means are
smooth; frame-wise generation (and the per-frame palettes of generated GIF previews) lets the
brightness and colour of each frame jump a little. The cue is the one used in video generator
evaluation ("temporal flickering" of VBench, Huang et al., arXiv 2311.17982). Known failures:
strobe lights, fluorescent lamp beating against the frame rate, auto-exposure hunting, scene cuts
(isolated jumps are removed by the median) and camera flashes.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import squash
from huiyan.detectors.base import Detector, register


def running_median(x: np.ndarray, k: int = 5) -> np.ndarray:
    pad = k // 2
    xp = np.pad(x, pad, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(xp, k), axis=1)


def flicker_levels(rgb_means: np.ndarray) -> tuple[float, float]:
    """(luma flicker in grey levels, chroma flicker in per-mille of the channel ratio)."""
    y = rgb_means @ np.array([0.299, 0.587, 0.114])
    ry = y - running_median(y)
    s = rgb_means.sum(1) + 1e-6
    chroma = np.stack([rgb_means[:, 0] / s, rgb_means[:, 2] / s], 1) * 1000
    rc = chroma - np.stack([running_median(chroma[:, 0]), running_median(chroma[:, 1])], 1)

    def mad(v: np.ndarray) -> float:
        return float(1.4826 * np.median(np.abs(v - np.median(v))))

    return mad(ry), max(mad(rc[:, 0]), mad(rc[:, 1]))


@register
class Flicker(Detector):
    method = "temporal.flicker"
    version = "0.1"
    family = "temporal"
    media_types = ("video",)
    inputs = ("frames",)
    category = "fully_generated"
    summary = {"zh": "亮度与色彩闪烁", "en": "brightness and colour flicker"}

    def not_applicable_reason(self, item):
        st = item.frames.stats
        if st is None or len(st) < 8:
            return "clip too short: fewer than 8 frames"
        return None

    def analyze(self, item):
        luma, chroma = flicker_levels(item.frames.stats.rgb_means)
        score = float(max(squash(luma, 0.5, 0.2), squash(chroma, 1.0, 0.4)))
        return self.finding(
            score,
            zh=f"亮度闪烁 {luma:.2f} 灰度级，色彩闪烁 {chroma:.2f}‰",
            en=f"brightness flicker {luma:.2f} grey levels, colour flicker {chroma:.2f} per mille",
            details={"luma_flicker": round(luma, 4), "chroma_flicker_permille": round(chroma, 4),
                     "frames": len(item.frames.stats)},
        )
