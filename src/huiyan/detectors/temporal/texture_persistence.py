"""Persistence of texture: does fine detail travel with the content from frame to frame?

What it measures: in the textured half of each frame (high local Laplacian energy), the fine
texture band of the frame (difference of Gaussians, sigma 1 and 3, which attenuates pixel noise)
is correlated with the same band of the next frame warped back along the optical flow, so that the
same scene point is compared. The score is one minus the
median correlation: 0 when every detail persists, towards 1 when the fine texture is drawn anew in
every frame ("boiling" texture).

Why it separates: the texture of a filmed surface is a property of the object and survives from
one frame to the next (up to noise, blur and compression); video diffusion and per-frame face
synthesis re-create high-frequency detail at each step, so it decorrelates even where the motion
is simple (the temporal-inconsistency cue of video forensics, e.g. Gu et al., "Delving into the
local features for deepfake video detection", AAAI 2022, arXiv 2201.02476; the object and texture
persistence that VBench scores for generators, arXiv 2311.17982). The complement of
`temporal.noise_temporal`, which looks at the flat areas. Known failures: motion blur and
defocus changes, flow errors at occlusions and large motion, water, foliage in wind, and strong
compression that removes texture altogether.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import (
    consecutive_frames_reason,
    correlation,
    publish_segments,
    squash,
    window_medians,
)
from huiyan.detectors.base import Detector, register


def texture_correlation(a: np.ndarray, b_warped: np.ndarray) -> float:
    """Correlation of the residuals of two aligned frames in the more textured half of `a`."""
    import cv2

    a = np.asarray(a, np.float32)
    b_warped = np.asarray(b_warped, np.float32)
    act = cv2.blur(np.abs(cv2.Laplacian(a, cv2.CV_32F)), (9, 9))
    m = act >= np.quantile(act, 0.5)
    m[:6], m[-6:], m[:, :6], m[:, -6:] = False, False, False, False
    if m.sum() < 256 or float(act[m].mean()) < 1.0:
        return float("nan")
    return correlation(texture_band(a)[m], texture_band(b_warped)[m])


def texture_band(g: np.ndarray) -> np.ndarray:
    """Difference of Gaussians (sigma 1 and 3): fine texture with the pixel noise attenuated."""
    import cv2

    return cv2.GaussianBlur(g, (0, 0), 1.0) - cv2.GaussianBlur(g, (0, 0), 3.0)


@register
class TexturePersistence(Detector):
    method = "temporal.texture_persistence"
    version = "0.1"
    family = "temporal"
    media_types = ("video",)
    inputs = ("frames",)
    category = "fully_generated"
    summary = {"zh": "纹理持续性：细节是否随物体逐帧延续",
               "en": "texture persistence: does fine detail travel with the content frame to frame"}

    def not_applicable_reason(self, item):
        return consecutive_frames_reason(item)

    def analyze(self, item):
        corr = window_medians(item, lambda p: texture_correlation(p["a"], p["warped"]))
        if not corr:
            return self.not_applicable("no textured areas to follow")
        win = {wi: 1.0 - c for wi, c in corr.items()}
        score = float(np.median(list(win.values())))
        publish_segments(item, self.method, {wi: squash(v, 0.5, 0.1) for wi, v in win.items()},
                         zh="细节逐帧重新生成", en="fine texture re-drawn from frame to frame")
        return self.finding(
            score,
            zh=f"沿运动方向对齐后，相邻帧纹理残差的相关系数为 {1 - score:.2f}（越低越像逐帧重绘）",
            en=f"texture residual correlation between aligned neighbouring frames {1 - score:.2f} "
               "(lower = detail re-drawn in every frame)",
            details={"median_correlation": round(1 - score, 4), "windows": len(win),
                     "per_window": {str(k): round(v, 4) for k, v in sorted(win.items())}},
        )
