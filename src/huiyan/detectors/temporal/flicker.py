"""Brightness and colour flicker over the whole clip.

What it measures: the per-frame mean luma and chroma (`item.frames.stats`, every decoded frame);
for each frame, how far its value leaves the straight line through its two neighbours (a second
difference, blind to slow drifts); the mean of that over the clip, with the largest 10 % dropped
(scene cuts, flashes), is the flicker, in grey levels for luma and per mille for the colour ratios.

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
from huiyan.media.color import BT601_WEIGHTS


def frame_jumps(x: np.ndarray) -> np.ndarray:
    """|x_t - (x_{t-1} + x_{t+1}) / 2|: how far each frame leaves the line through its neighbours."""
    return np.abs(x[1:-1] - 0.5 * (x[:-2] + x[2:]))


def trimmed_mean(v: np.ndarray, drop: float = 0.1) -> float:
    """Mean after dropping the largest `drop` share (scene cuts, flashes)."""
    v = np.sort(v)
    k = max(1, int(round(len(v) * (1 - drop))))
    return float(v[:k].mean())


def flicker_levels(rgb_means: np.ndarray) -> tuple[float, float]:
    """(luma flicker in grey levels, chroma flicker in per-mille of the channel ratio)."""
    y = rgb_means @ np.array(BT601_WEIGHTS)
    s = rgb_means.sum(1) + 1e-6
    chroma = np.stack([rgb_means[:, 0] / s, rgb_means[:, 2] / s], 1) * 1000
    luma = trimmed_mean(frame_jumps(y))
    col = max(trimmed_mean(frame_jumps(chroma[:, 0])), trimmed_mean(frame_jumps(chroma[:, 1])))
    return luma, col


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
