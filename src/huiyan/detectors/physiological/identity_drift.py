"""Identity drift: does the face stay the same person across the clip?

What it measures: the 128-d dlib face embedding (ResNet trained for face recognition, shipped by
the optional `face_recognition_models` package; King, "dlib-ml", JMLR 2009) of up to 6 frames
spread over the face track, aligned with the 68 landmarks. The score is the median distance of
the embeddings to their mean; a second number, the largest jump between neighbouring samples, is
reported. Same-person distances are ~0.3, different people > 0.6 (dlib's threshold).

Why it separates: a face swap renders the target identity frame by frame and blends it with the
source face, so the identity wavers (the "identity inconsistency" cue of Dong et al., "Protecting
celebrities from deepfake with identity consistency transformer", CVPR 2022,
arXiv 2203.01318); a real face keeps one identity. Known failures: strong expressions, occlusion,
pose changes and heavy compression move the embedding too; the embedding cannot tell a consistent
swap (one identity throughout) from a real person.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import (
    crop_face_rect,
    dlib_models,
    missing_dlib_reason,
    publish_track_segments,
    squash,
    track_reason,
)
from huiyan.detectors.base import Detector, register

SAMPLES = 6


@register
class IdentityDrift(Detector):
    method = "physiological.identity_drift"
    version = "0.1"
    family = "physiological"
    media_types = ("video",)
    inputs = ("frames", "faces")
    category = "face_manipulated"
    summary = {"zh": "人脸身份特征在帧间的漂移", "en": "drift of the face identity embedding across frames"}

    def not_applicable_reason(self, item):
        return track_reason(item, "identity") or missing_dlib_reason()

    def analyze(self, item):
        sp, enc = dlib_models()
        tr = item.frames.face_track
        rect = crop_face_rect(tr)
        idx = np.unique(np.linspace(0, len(tr) - 1, min(SAMPLES, len(tr))).round().astype(int))
        embs = []
        for i in idx:
            img = np.ascontiguousarray(tr.crops[i])
            shape = sp(img, rect)
            embs.append(np.asarray(enc.compute_face_descriptor(img, shape), dtype=float))
        e = np.stack(embs)
        dist = np.linalg.norm(e - e.mean(0), axis=1)
        jumps = np.linalg.norm(np.diff(e, axis=0), axis=1) if len(e) > 1 else np.zeros(1)
        drift = float(np.median(dist))
        publish_track_segments(item, self.method, squash(drift, 0.2, 0.05), zh="人脸身份漂移", en="the face identity drifts")
        return self.finding(
            drift,
            zh=f"人脸身份特征距其均值的中位距离 {drift:.3f}（同一人约 0.15 以内），最大相邻跳变 {jumps.max():.3f}",
            en=f"median distance of the identity embedding to its mean {drift:.3f} (one person: within ~0.15), "
               f"largest jump {jumps.max():.3f}",
            details={"median_drift": round(drift, 4), "max_jump": round(float(jumps.max()), 4),
                     "samples": len(e), "seconds": round(tr.seconds, 2)},
        )
