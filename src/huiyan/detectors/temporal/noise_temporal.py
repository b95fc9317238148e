"""Temporal correlation of the noise residual between consecutive frames.

What it measures: the high-frequency residual of each sampled frame (frame minus a small Gaussian
blur) is correlated with the residual of the next frame in the flat areas, where the residual is
mostly noise rather than edges, twice: in place (noise fixed to the screen) and after warping the
next frame back along the optical flow (noise or texture carried by the content). The larger of
the two is the pair's value; the median over all pairs is the score.

Why it separates: a camera sensor's shot and read noise is drawn anew for every exposure, so in
flat areas the residuals of two frames are nearly uncorrelated; many generators start every frame
from the same latent noise or keep a static noise pattern, and GIF previews dither with a fixed
pattern, so their residuals repeat from frame to frame (the PRNU-style reasoning of Lukas, Fridrich
and Goljan, doi:10.1109/TIFS.2006.873602, applied across time). Known failures: strong compression
copies static blocks from frame to frame (P-frame skip blocks) and makes real footage correlated
too; a camera's fixed-pattern noise adds a small constant correlation; clips without flat areas.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import correlation, flow_pairs, noise_residual, publish_segments, squash
from huiyan.detectors.base import Detector, register

NOISE_FLOOR = 1e-3  # residual standard deviation (grey levels) below which a frame has no noise


def residual_correlation(a: np.ndarray, b_aligned: np.ndarray, *, flat_quantile: float = 0.5) -> float:
    """Correlation of the noise residuals of two aligned frames in their flatter half; NaN when it
    is undefined (too few flat pixels, or a residual without any variation: noise-free frames
    carry no evidence either way, and must not read as fresh sensor noise)."""
    import cv2

    a, b_aligned = np.asarray(a, np.float32), np.asarray(b_aligned, np.float32)
    ra, rb = noise_residual(a), noise_residual(b_aligned)
    act = cv2.blur(np.abs(cv2.Laplacian(a, cv2.CV_32F)), (9, 9))
    m = act <= np.quantile(act, flat_quantile)
    m[:4], m[-4:], m[:, :4], m[:, -4:] = False, False, False, False
    if m.sum() < 256 or min(float(ra[m].std()), float(rb[m].std())) < NOISE_FLOOR:
        return float("nan")
    return correlation(ra[m], rb[m])


@register
class NoiseTemporal(Detector):
    method = "temporal.noise_temporal"
    version = "0.2"
    family = "temporal"
    media_types = ("video",)
    inputs = ("frames",)
    category = "fully_generated"
    summary = {"zh": "噪声残差的帧间相关性（真实传感器噪声逐帧独立）",
               "en": "frame-to-frame correlation of the noise residual (sensor noise is independent)"}

    def not_applicable_reason(self, item):
        if not any(len(w.frames) >= 2 for w in item.frames.windows):
            return "clip too short: no two consecutive frames"
        w = item.frames.windows[0].frames[0]
        if min(w.shape[:2]) < 32:
            return "frames too small for a noise residual"
        return None

    def analyze(self, item):
        import cv2

        per_win: dict[int, list[float]] = {}
        fixed: list[float] = []
        for p in flow_pairs(item):
            a, b, flow = p["a"], p["b"], p["flow"]
            h, w = a.shape
            gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            # align b's residual only where there is motion; static areas compare in place
            b_al = cv2.remap(b, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_REFLECT)
            c_flow = residual_correlation(a, b_al)
            c_fixed = residual_correlation(a, b)
            if np.isfinite(c_flow) and np.isfinite(c_fixed):
                per_win.setdefault(p["window"], []).append(max(c_flow, c_fixed))
                fixed.append(c_fixed)
        if not per_win:
            return self.not_applicable("no noise residual to measure: no flat areas, or noise-free frames")
        win = {wi: float(np.median(v)) for wi, v in per_win.items()}
        corr = float(np.median(list(win.values())))
        publish_segments(item, self.method, {wi: squash(c, 0.5, 0.12) for wi, c in win.items()},
                         zh="噪声帧间相关性高", en="noise repeats from frame to frame")
        return self.finding(
            corr,
            zh=f"相邻帧噪声残差相关系数 {corr:.2f}（真实传感器噪声接近 0）",
            en=f"noise residual correlation between neighbouring frames {corr:.2f} (fresh sensor noise is near 0)",
            details={"median_correlation": round(corr, 4), "median_in_place": round(float(np.median(fixed)), 4),
                     "windows": len(win),
                     "per_window": {str(k): round(v, 4) for k, v in sorted(win.items())}},
        )
