"""Blending boundary around the face: is the face sharper or blurrier than its own outline?

What it measures: on up to 30 crops of the face track, the local detail (mean absolute Laplacian
of the grey crop) inside the central face (eyes, nose, mouth: the middle of the face box) and on
the band around the face box edge (forehead, cheeks' outline, jaw) where a swapped face is blended
into the original frame. The score is the median log ratio band/centre: positive when the outline
carries more detail than the face it surrounds.

Why it separates: face-swap and reenactment pipelines synthesise the inner face at a low
resolution, upsample it and blend it in with a soft mask, so the central face is smoother than the
untouched surroundings and the mask edge leaves a seam (Li and Lyu, "Exposing deepfake videos by
detecting face warping artifacts", CVPRW 2019, arXiv 1811.00656; Li et al., "Face X-ray", CVPR
2020, arXiv 1912.13458). Known failures: make-up and smooth skin, hair or a textured background at
the face edge (raise the band's detail on real faces), shallow depth of field, and compression that
blurs everything alike; the generic thresholds need calibration on real footage.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import publish_track_segments, squash, track_reason
from huiyan.detectors.base import Detector, register

MAX_FRAMES = 30


def blend_ratio(crop: np.ndarray, margin: float) -> float | None:
    """log(detail on the face-box edge band / detail in the central face) for one crop."""
    import cv2

    g = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = np.abs(cv2.Laplacian(g, cv2.CV_32F))
    s = crop.shape[0]
    side = s / margin
    o = (s - side) / 2
    yy, xx = np.mgrid[0:s, 0:s]
    # normalised coordinates in the face box: 0..1 inside it
    u, v = (xx - o) / side, (yy - o) / side
    centre = (u > 0.25) & (u < 0.75) & (v > 0.25) & (v < 0.8)
    inside = (u > -0.08) & (u < 1.08) & (v > -0.08) & (v < 1.08)
    core = (u > 0.08) & (u < 0.92) & (v > 0.08) & (v < 0.92)
    band = inside & ~core
    a, b = float(lap[centre].mean()), float(lap[band].mean())
    if a < 0.2 or b < 0.2:
        return None
    return float(np.log(b / a))


@register
class FaceBlend(Detector):
    method = "physiological.face_blend"
    version = "0.1"
    family = "physiological"
    media_types = ("video",)
    inputs = ("frames", "faces")
    category = "face_manipulated"
    summary = {"zh": "人脸融合边界：面部中心与轮廓带的清晰度差异",
               "en": "face blending boundary: detail of the central face against its outline"}

    def not_applicable_reason(self, item):
        return track_reason(item, "pose")

    def analyze(self, item):
        tr = item.frames.face_track
        idx = np.unique(np.linspace(0, len(tr) - 1, min(MAX_FRAMES, len(tr))).round().astype(int))
        vals = [r for r in (blend_ratio(tr.crops[i], tr.crop_margin) for i in idx) if r is not None]
        if not vals:
            return self.not_applicable("the face crops carry no measurable detail")
        med = float(np.median(vals))
        publish_track_segments(item, self.method, squash(med, 0.3, 0.15), zh="面部中心比轮廓更模糊",
                               en="the central face is smoother than its outline")
        return self.finding(
            med,
            zh=f"轮廓带与面部中心的细节比（对数）{med:+.2f}（正值表示面部中心更平滑，可能经过融合）",
            en=f"log ratio of outline-band detail to central-face detail {med:+.2f} (positive = smoother face, "
               "possibly blended in)",
            details={"median_log_ratio": round(med, 4), "frames": len(vals), "face_px": round(tr.face_side)},
        )
