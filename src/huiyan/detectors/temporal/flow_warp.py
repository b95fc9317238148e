"""Optical-flow warping error between neighbouring frames.

What it measures: for every pair of consecutive frames in the sampled windows, dense optical flow
(OpenCV DIS, Kroeger et al., ECCV 2016, arXiv 1603.03590) is estimated, the second frame is warped
back onto the first along the flow, and the remaining error is divided by the error without
motion compensation. A value near 0 means the motion is explained by a smooth displacement field,
near 1 that the change between frames is not motion at all (appearing/disappearing texture,
morphing, flicker). The method follows the temporal-consistency measures used to score video
generators (e.g. the warping error of Lai et al., "Learning blind video temporal consistency",
ECCV 2018, arXiv 1808.00449) and their use as a detection cue for generated video (Chang et al.,
"What matters in detecting AI-generated videos like Sora?", arXiv 2406.19568).

Why it separates: camera footage shows physical objects moving rigidly or smoothly; diffusion video
models synthesise each frame's texture anew, so a part of the change between frames cannot be
warped away. Known failures: scenes without motion (the ratio is undefined: such pairs are skipped),
fast motion beyond the flow's range, motion blur, scene cuts, fire, water and smoke (real but not
flow-like), and heavy compression that smooths away texture.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import consecutive_frames_reason, publish_segments, squash, window_medians
from huiyan.detectors.base import Detector, register

MIN_CHANGE = 0.5  # mean |frame difference| in grey levels below which a pair is "static"


def warp_ratio(a: np.ndarray, b: np.ndarray, warped: np.ndarray) -> float | None:
    """|a - warp(b)| / |a - b| over the frame (border of 4 px excluded); None for static pairs."""
    s = (slice(4, -4), slice(4, -4))
    raw = float(np.mean(np.abs(a[s] - b[s])))
    if raw < MIN_CHANGE:
        return None
    return float(np.mean(np.abs(a[s] - warped[s])) / raw)


@register
class FlowWarp(Detector):
    method = "temporal.flow_warp"
    version = "0.1"
    family = "temporal"
    media_types = ("video",)
    inputs = ("frames",)
    category = "fully_generated"
    summary = {"zh": "光流补偿后的相邻帧残差（运动一致性）",
               "en": "optical-flow warping error between neighbouring frames (motion consistency)"}

    def not_applicable_reason(self, item):
        return consecutive_frames_reason(item)

    def analyze(self, item):
        win = window_medians(item, lambda p: warp_ratio(p["a"], p["b"], p["warped"]))
        if not win:
            return self.not_applicable("no motion between consecutive frames (static scene)")
        ratio = float(np.median(list(win.values())))
        publish_segments(item, self.method, {wi: squash(r, 0.45, 0.1) for wi, r in win.items()},
                         zh="运动补偿残差高", en="high motion-compensated residual")
        return self.finding(
            ratio,
            zh=f"光流补偿后残差为无补偿时的 {ratio:.2f} 倍（越高越不像物理运动）",
            en=f"warping error is {ratio:.2f} of the uncompensated difference (higher = less like physical motion)",
            details={"median_ratio": round(ratio, 4), "moving_windows": len(win),
                     "per_window": {str(k): round(v, 4) for k, v in sorted(win.items())}},
        )
