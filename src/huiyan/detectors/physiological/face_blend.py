"""Blending boundary: is the face blurrier than the untouched surroundings around it?

What it measures: on up to 30 crops of the face track, a scale-free sharpness index of two
regions: the face (middle of the face box: eyes, nose, cheeks, mouth) and the context ring
outside the face box (hair, ears, neck, background). The index of a region is the log ratio of
its finest detail (grey minus a Gaussian blur of sigma 0.7 px) to its coarser detail (the
difference of Gaussian blurs of sigma 0.7 and 2 px): it falls when a region was up-sampled or
smoothed, whatever its contrast. The score is the median over crops of index(context) minus
index(face): positive when the face has lost fine detail that its surroundings still have.

Why it separates: face-swap and reenactment pipelines synthesise the inner face at a low
resolution (64 to 256 px), upsample it and blend it into the original frame with a soft mask,
so the face lacks the finest band that the untouched context keeps (Li and Lyu, "Exposing
deepfake videos by detecting face warping artifacts", CVPRW 2019, arXiv 1811.00656; Li et al.,
"Face X-ray", CVPR 2020, arXiv 1912.13458). A camera records face and context through the same
lens and codec; taking the ratio of two bands of the same region removes contrast and lighting,
and comparing two regions of the same frame removes the clip's resolution and compression.

Version 0.2 compares the face with the context *outside* the face box; version 0.1 compared it
with the box's own edge band, which lies inside a swap's blending mask (synthesised too) and
pointed the wrong way on FaceForensics++ (AUC 0.40).

Known failures: shallow depth of field (a sharp face before a blurred background lowers the
score of real footage; a sharp background behind a soft-focus face raises it), hair or strongly
textured backgrounds, make-up and beauty filters (smooth skin in real footage), faces at the frame
edge (the crop is padded), and swaps rendered at the full resolution of the frame.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import publish_track_segments, squash, track_reason
from huiyan.detectors.base import Detector, register

MAX_FRAMES = 30


def _sharpness_index(fine: np.ndarray, coarse: np.ndarray, m: np.ndarray) -> float | None:
    c = float(coarse[m].mean())
    if c < 0.2:  # flat region: no detail to compare
        return None
    return float(np.log((float(fine[m].mean()) + 1e-3) / c))


def blend_ratio(crop: np.ndarray, margin: float) -> float | None:
    """Sharpness index of the context ring minus that of the face, for one track crop (None when
    either region is flat)."""
    import cv2

    from huiyan.detectors.physiological.face_flicker import region_masks

    g = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY).astype(np.float32)
    b1 = cv2.GaussianBlur(g, (0, 0), 0.7)
    b2 = cv2.GaussianBlur(g, (0, 0), 2.0)
    fine, coarse = np.abs(g - b1), np.abs(b1 - b2)
    face, ctx = region_masks(crop.shape[0], margin)
    a, b = _sharpness_index(fine, coarse, face), _sharpness_index(fine, coarse, ctx)
    if a is None or b is None:
        return None
    return b - a


@register
class FaceBlend(Detector):
    method = "physiological.face_blend"
    version = "0.2"
    family = "physiological"
    media_types = ("video",)
    inputs = ("frames", "faces")
    category = "face_manipulated"
    summary = {"zh": "人脸融合：面部与其周围未改动区域的清晰度差异",
               "en": "face blending: fine detail of the face against its untouched surroundings"}

    def not_applicable_reason(self, item):
        return track_reason(item, "pose")

    def analyze(self, item):
        tr = item.frames.face_track
        idx = np.unique(np.linspace(0, len(tr) - 1, min(MAX_FRAMES, len(tr))).round().astype(int))
        vals = [r for r in (blend_ratio(tr.crops[i], tr.crop_margin) for i in idx) if r is not None]
        if not vals:
            return self.not_applicable("the face crops carry no measurable detail")
        med = float(np.median(vals))
        publish_track_segments(item, self.method, squash(med, 0.15, 0.08), zh="面部比周围区域更模糊",
                               en="the face is blurrier than its surroundings")
        return self.finding(
            med,
            zh=f"周围区域与面部的清晰度指数之差 {med:+.3f}（正值表示面部缺少周围仍有的细节，可能经过放大与融合）",
            en=f"sharpness index of the surroundings minus that of the face {med:+.3f} (positive = the face lacks "
               "fine detail its surroundings keep, as an up-sampled, blended face does)",
            details={"median_sharpness_gap": round(med, 4), "frames": len(vals), "face_px": round(tr.face_side)},
        )
