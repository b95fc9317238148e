"""Texture sticking and static noise: fine detail that stays put while the content moves.

What it measures: in the moving areas of each consecutive frame pair (optical flow above one pixel),
the high-frequency residual of the first frame is correlated with the second frame's residual (a)
at the same screen position and (b) at the position the flow says the content moved to. Real
texture travels with the object, so (b) > (a); a generator's fixed texture or noise pattern stays
"stuck" to the screen (StyleGAN3's texture sticking, Karras et al., arXiv 2106.12423; the static
noise of latent video diffusion), so (a) >= (b). The score is the median of (a) - (b).

Why it separates: text-to-video and image-to-video models decode every frame through the same
convolutional decoder with position-dependent artefacts; camera texture is attached to the scene.
Known failures: little motion (not applicable), flow errors on large motion, an overlay (logo,
subtitles, HUD) that is legitimately fixed to the screen, and a dirty lens or sensor dust.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import (
    consecutive_frames_reason,
    correlation,
    noise_residual,
    publish_segments,
    squash,
    window_medians,
)
from huiyan.detectors.base import Detector, register

MIN_MOTION_PX = 1.0


def sticking(a: np.ndarray, b: np.ndarray, flow: np.ndarray) -> float | None:
    """corr(residual a, residual b in place) - corr(residual a, residual b along the flow)."""
    import cv2

    mag = np.hypot(flow[..., 0], flow[..., 1])
    m = mag > MIN_MOTION_PX * max(1.0, a.shape[1] / 512)
    m[:4], m[-4:], m[:, :4], m[:, -4:] = False, False, False, False
    if m.sum() < 512:
        return None
    ra, rb = noise_residual(a), noise_residual(b)
    h, w = a.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    rb_w = cv2.remap(rb, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return correlation(ra[m], rb[m]) - correlation(ra[m], rb_w[m])


@register
class TextureSticking(Detector):
    method = "temporal.texture_sticking"
    version = "0.1"
    family = "temporal"
    media_types = ("video",)
    inputs = ("frames",)
    category = "fully_generated"
    summary = {"zh": "纹理粘滞：运动区域的细节固定在画面位置上",
               "en": "texture sticking: fine detail fixed to the screen while content moves"}

    def not_applicable_reason(self, item):
        return consecutive_frames_reason(item)

    def analyze(self, item):
        win = window_medians(item, lambda p: sticking(p["a"], p["b"], p["flow"]))
        if not win:
            return self.not_applicable("too little motion to compare moving and fixed texture")
        val = float(np.median(list(win.values())))
        publish_segments(item, self.method, {wi: squash(v, 0.0, 0.08) for wi, v in win.items()},
                         zh="纹理粘滞在画面上", en="texture stuck to the screen")
        return self.finding(
            val,
            zh=f"运动区域细节与画面位置的相关比随运动的相关高 {val:+.2f}（正值表示纹理粘滞）",
            en=f"moving-area detail correlates {val:+.2f} more with the fixed screen position than along "
               "the motion (positive = sticking)",
            details={"median_sticking": round(val, 4), "windows": len(win),
                     "per_window": {str(k): round(v, 4) for k, v in sorted(win.items())}},
        )
