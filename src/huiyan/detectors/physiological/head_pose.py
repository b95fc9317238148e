"""Head pose from the whole face against head pose from the central face.

What it measures: on frames of the face track (up to 30, spread over it), the 68 dlib landmarks
(optional packages) give two head poses by perspective-n-point fitting (OpenCV `solvePnP`) to a
generic 3-D face: one from the central face only (eyes, nose, mouth) and one from the whole face
(adding the jaw contour). The score is the median angle between the two rotations, in degrees;
its spread over time is reported.

Why it separates: a face swap replaces the central face and keeps the original head's outline, so
the two poses disagree more than on a real face (Yang, Li and Lyu, "Exposing deep fakes using
inconsistent head poses", ICASSP 2019, doi:10.1109/ICASSP.2019.8683164). Known failures: the
generic 3-D model fits nobody exactly, so every face has an offset (only differences between clips
are meaningful after calibration); strong expressions (open mouth), profiles beyond ~45 degrees,
beards and hair on the jaw line move the contour landmarks; reenactment that keeps the source
face's geometry (Face2Face) is not caught.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import (
    missing_dlib_reason,
    publish_track_segments,
    squash,
    track_landmarks,
    track_reason,
)
from huiyan.detectors.base import Detector, register

# A generic 3-D face (millimetre-like units, x right, y up, z towards the camera), for the
# landmark indices of the iBUG 68-point scheme. Approximate values of a mean adult face.
MODEL_3D = {
    27: (0.0, 170.0, -100.0), 30: (0.0, 0.0, 0.0), 33: (0.0, -60.0, -60.0),
    36: (-225.0, 170.0, -135.0), 39: (-80.0, 170.0, -120.0), 42: (80.0, 170.0, -120.0), 45: (225.0, 170.0, -135.0),
    48: (-150.0, -150.0, -125.0), 54: (150.0, -150.0, -125.0),
    0: (-330.0, 150.0, -420.0), 4: (-300.0, -170.0, -330.0), 8: (0.0, -330.0, -65.0),
    12: (300.0, -170.0, -330.0), 16: (330.0, 150.0, -420.0),
}
CENTRAL = (27, 30, 33, 36, 39, 42, 45, 48, 54)
WHOLE = CENTRAL + (0, 4, 8, 12, 16)
MAX_FRAMES = 30


def solve_pose(points_2d: np.ndarray, ids: tuple[int, ...], size: int) -> np.ndarray | None:
    """Rotation matrix of the generic face that projects onto `points_2d` (rows in `ids` order)."""
    import cv2

    obj = np.array([MODEL_3D[i] for i in ids], np.float64)
    # image y grows downwards: flip the model's y so that the axes agree
    obj[:, 1] *= -1
    cam = np.array([[size, 0, size / 2], [0, size, size / 2], [0, 0, 1]], np.float64)
    # start from a frontal face at a plausible distance: the iterative fit then stays on the
    # physical solution instead of the mirrored one that a few coplanar-ish points also allow
    rvec0 = np.zeros((3, 1))
    tvec0 = np.array([[0.0], [0.0], [size * 700.0 / max(np.ptp(points_2d[:, 0]), 1.0)]])
    ok, rvec, _ = cv2.solvePnP(obj, points_2d.astype(np.float64), cam, None, rvec0, tvec0,
                               useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return None
    return cv2.Rodrigues(rvec)[0]


def rotation_angle(r1: np.ndarray, r2: np.ndarray) -> float:
    """Angle in degrees of the rotation taking r1 to r2."""
    c = (np.trace(r1.T @ r2) - 1) / 2
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def pose_disagreement(lm: np.ndarray, size: int) -> float | None:
    """Angle between the central-face and whole-face poses for one frame's (68, 2) landmarks."""
    rc = solve_pose(lm[list(CENTRAL)], CENTRAL, size)
    rw = solve_pose(lm[list(WHOLE)], WHOLE, size)
    if rc is None or rw is None:
        return None
    return rotation_angle(rc, rw)


@register
class HeadPose(Detector):
    method = "physiological.head_pose"
    version = "0.1"
    family = "physiological"
    media_types = ("video",)
    inputs = ("frames", "faces")
    category = "face_manipulated"
    summary = {"zh": "中心面部与整体面部的头部姿态不一致",
               "en": "head pose of the central face against the whole face"}

    def not_applicable_reason(self, item):
        return track_reason(item, "pose") or missing_dlib_reason()

    def analyze(self, item):
        tr = item.frames.face_track
        lm = track_landmarks(item)
        idx = np.unique(np.linspace(0, len(tr) - 1, min(MAX_FRAMES, len(tr))).round().astype(int))
        angles = [a for a in (pose_disagreement(lm[i], tr.crops.shape[1]) for i in idx) if a is not None]
        if not angles:
            return self.not_applicable("head pose could not be fitted to the landmarks")
        med = float(np.median(angles))
        spread = float(np.std(angles))
        publish_track_segments(item, self.method, squash(med, 12.0, 3.0), zh="中心面部与整体面部姿态不一致",
                               en="central and whole-face head poses disagree")
        return self.finding(
            med,
            zh=f"中心面部与整体面部的头部姿态相差 {med:.1f}°（随时间波动 {spread:.1f}°）",
            en=f"central-face and whole-face head poses differ by {med:.1f} degrees (spread {spread:.1f})",
            details={"median_angle_deg": round(med, 3), "spread_deg": round(spread, 3), "frames": len(angles)},
        )
