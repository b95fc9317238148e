"""Face flicker: does the face change colour from frame to frame more than its own surroundings?

What it measures: on the consecutive frames of the face track (up to 10 s), the mean CIE Lab
colour of the face (the middle of the face box: eyes, nose, cheeks, mouth) and of the context
ring around it (hair, ears, neck, background: the part of the track crop outside the face box),
frame by frame. For each, the typical frame-to-frame change is the median absolute first
difference (lightness L; chroma a, b as a vector). The score is the sum of two log ratios,
face change over context change, for lightness and for chroma (each with a floor of 0.05 Lab
units so that still frames give 0). Equal weights, fixed a priori, nothing fitted.

Why it separates: a camera films the face and its surroundings under the same light, through the
same exposure and white balance, so frame-to-frame changes of the face colour follow those of
the surroundings (plus the tiny blood-volume pulse). A face swap or reenactment renders the inner
face frame by frame and adapts its colour to the target frame by frame (colour transfer, blending
mask, Poisson blending), so the face flickers while the untouched context does not. Temporal
incoherence is the cue that transfers best across manipulation methods in the literature (Zheng
et al., "Exploring temporal coherence for more general video face forgery detection" (FTCN),
ICCV 2021, arXiv 2108.06693; Haliassos et al., "Lips don't lie", CVPR 2021, arXiv 2012.07657;
colour mismatch of the blended face: Li et al., "Face X-ray", CVPR 2020, arXiv 1912.13458).
Dividing by the context's own change makes the statistic comparable between clips that differ in
compression, noise and lighting (the same codec flickers both regions alike).

Known failures: a face that moves or talks a lot while the surroundings are static (mouth and eyes
change the face mean: talking heads and interviews raise the score of real footage somewhat), a
face lit by a flickering source the surroundings do not see (screen light), very flat
surroundings (a plain studio wall: the context ring barely changes, so any face change counts),
frame rates below 10 fps (GIF previews: motion between frames dominates; not applicable), and a
swap whose colours were smoothed over time (a temporally consistent renderer) scores as real.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import publish_track_segments, squash, track_reason
from huiyan.detectors.base import Detector, register

MAX_FRAMES = 240  # ~8 s at 30 fps; consecutive frames from the start of the track
MIN_FRAMES = 20
MIN_FPS = 10.0
FLOOR = 0.05  # Lab units (OpenCV 8-bit scale): changes below this count as none


def region_masks(size: int, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """(face, context) masks of a square track crop whose face box was enlarged by `margin`."""
    side = size / margin
    o = (size - side) / 2
    yy, xx = np.mgrid[0:size, 0:size]
    u, v = (xx - o) / side, (yy - o) / side  # 0..1 inside the face box
    face = (u > 0.15) & (u < 0.85) & (v > 0.15) & (v < 0.9)
    context = ~((u > -0.08) & (u < 1.08) & (v > -0.08) & (v < 1.08))
    return face, context


def region_colours(crops: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean Lab colour (OpenCV 8-bit scale) of the face and the context ring of every crop: (n, 3) each."""
    import cv2

    face, ctx = region_masks(crops.shape[1], margin)
    f, c = [], []
    for crop in crops:
        lab = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2LAB).astype(np.float32)
        f.append(lab[face].mean(0))
        c.append(lab[ctx].mean(0))
    return np.asarray(f), np.asarray(c)


def flicker_ratios(face: np.ndarray, context: np.ndarray) -> dict[str, float]:
    """log(face change / context change) of lightness and of chroma, from (n, 3) Lab series."""
    dl_f = float(np.median(np.abs(np.diff(face[:, 0]))))
    dl_c = float(np.median(np.abs(np.diff(context[:, 0]))))
    dab_f = float(np.median(np.linalg.norm(np.diff(face[:, 1:], axis=0), axis=1)))
    dab_c = float(np.median(np.linalg.norm(np.diff(context[:, 1:], axis=0), axis=1)))
    l_ratio = float(np.log((dl_f + FLOOR) / (dl_c + FLOOR)))
    ab_ratio = float(np.log((dab_f + FLOOR) / (dab_c + FLOOR)))
    return {"lightness_log_ratio": l_ratio, "chroma_log_ratio": ab_ratio,
            "face_dL": dl_f, "context_dL": dl_c, "face_dab": dab_f, "context_dab": dab_c}


@register
class FaceFlicker(Detector):
    method = "physiological.face_flicker"
    version = "0.1"
    family = "physiological"
    media_types = ("video",)
    inputs = ("frames", "faces")
    category = "face_manipulated"
    summary = {"zh": "人脸颜色逐帧闪烁：面部相对其周围区域的帧间颜色变化",
               "en": "face flicker: frame-to-frame colour change of the face against its surroundings"}

    def not_applicable_reason(self, item):
        r = track_reason(item, "pose")
        if r:
            return r
        tr = item.frames.face_track
        if tr.fps < MIN_FPS:
            return f"frame rate {tr.fps:.1f} fps too low to follow frame-to-frame flicker (needs {MIN_FPS:.0f} fps)"
        if len(tr) < MIN_FRAMES:
            return f"clip too short: face followed on {len(tr)} frames, needs {MIN_FRAMES}"
        return None

    def analyze(self, item):
        tr = item.frames.face_track
        crops = tr.crops[:MAX_FRAMES]
        face, ctx = region_colours(crops, tr.crop_margin)
        r = flicker_ratios(face, ctx)
        score = r["lightness_log_ratio"] + r["chroma_log_ratio"]
        publish_track_segments(item, self.method, squash(score, 1.2, 0.3), zh="人脸颜色逐帧闪烁，周围区域不闪烁",
                               en="the face flickers in colour while its surroundings do not")
        return self.finding(
            score,
            zh=f"面部与周围区域帧间颜色变化之比（对数）：亮度 {r['lightness_log_ratio']:+.2f}，色度 "
               f"{r['chroma_log_ratio']:+.2f}（正值表示面部比周围闪烁更多，可能是逐帧渲染后融合）",
            en=f"log ratio of frame-to-frame colour change, face over surroundings: lightness "
               f"{r['lightness_log_ratio']:+.2f}, chroma {r['chroma_log_ratio']:+.2f} (positive = the face flickers "
               "more than its surroundings, as a face rendered frame by frame and blended in does)",
            details={k: round(v, 4) for k, v in r.items()} | {"frames": len(crops), "fps": round(tr.fps, 2),
                                                               "face_px": round(tr.face_side)},
        )
