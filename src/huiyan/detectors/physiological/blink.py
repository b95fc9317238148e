"""Eye blinks from the eye aspect ratio (EAR) over the face track.

What it measures: the 68 dlib landmarks (optional packages `dlib-bin` and
`face_recognition_models`, offline) on every frame of the face track give the eye aspect ratio
of Soukupova and Cech, "Real-time eye blink detection using facial landmarks", CVWW 2016
(EAR = (|p2-p6| + |p3-p5|) / 2|p1-p4|). A blink is a dip of the EAR below 75 % of the clip's
median lasting 0.05-0.5 s. Reported: blink rate, mean duration, and the EAR jitter (frame-to-frame
noise of the EAR relative to its median).

Why it separates: people blink every 2-10 s with a 0.1-0.4 s closing and opening; early face swaps
rarely blinked (Li, Chang and Lyu, "In Ictu Oculi", WIFS 2018, arXiv 1806.02877) and talking-head
generators often blink with odd shapes or not at all, and their eye landmarks tremble. Score: a
mix of "no blink in a long track", abnormally long blinks and high EAR jitter. Known failures:
people do go 10 s without blinking (a reading speaker, a staring subject); glasses, small faces,
low frame rates (GIF previews at 7 fps miss blinks) and profile views break the landmarks.
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


def eye_aspect_ratio(lm: np.ndarray) -> np.ndarray:
    """(n,) mean EAR of both eyes from (n, 68, 2) landmarks."""

    def ear(p):
        a = np.linalg.norm(p[:, 1] - p[:, 5], axis=1)
        b = np.linalg.norm(p[:, 2] - p[:, 4], axis=1)
        c = np.linalg.norm(p[:, 0] - p[:, 3], axis=1)
        return (a + b) / (2 * np.maximum(c, 1e-6))

    return 0.5 * (ear(lm[:, 36:42]) + ear(lm[:, 42:48]))


def find_blinks(ear: np.ndarray, times: np.ndarray, *, drop: float = 0.75) -> list[tuple[float, float]]:
    """(start, duration) of each dip of the EAR below `drop` x median lasting 0.05-0.5 s."""
    thr = drop * float(np.median(ear))
    low = ear < thr
    out = []
    i = 0
    n = len(ear)
    while i < n:
        if low[i]:
            j = i
            while j + 1 < n and low[j + 1]:
                j += 1
            dur = float(times[min(j + 1, n - 1)] - times[i]) if j + 1 < n else float(times[j] - times[i])
            dur = max(dur, float(np.median(np.diff(times))) if n > 1 else 0.0)
            if dur <= 1.0:
                out.append((float(times[i]), dur))
            i = j + 1
        else:
            i += 1
    return out


@register
class Blink(Detector):
    method = "physiological.blink"
    version = "0.1"
    family = "physiological"
    media_types = ("video",)
    inputs = ("frames", "faces")
    category = "face_manipulated"
    summary = {"zh": "眨眼频率与形态（眼睛纵横比）", "en": "blink rate and shape (eye aspect ratio)"}

    def not_applicable_reason(self, item):
        r = track_reason(item, "blink") or missing_dlib_reason()
        if r:
            return r
        if item.frames.face_track.fps < 10:
            return f"frame rate {item.frames.face_track.fps:.1f} fps too low to see blinks (needs 10 fps)"
        return None

    def analyze(self, item):
        tr = item.frames.face_track
        lm = track_landmarks(item)
        ear = eye_aspect_ratio(lm)
        blinks = find_blinks(ear, tr.times)
        secs = max(tr.seconds, 1e-6)
        rate = len(blinks) * 60.0 / secs
        long_blinks = sum(1 for _, d in blinks if d > 0.5)
        jitter = float(np.median(np.abs(np.diff(ear))) / max(np.median(ear), 1e-6))
        no_blink = squash(secs, 8.0, 1.5) if not blinks else 0.0
        cues = {"no_blink": no_blink, "long_blinks": 0.8 if long_blinks else 0.0,
                "ear_jitter": squash(jitter, 0.06, 0.015)}
        score = float(max(cues.values()))
        publish_track_segments(item, self.method, score, zh="眨眼异常", en="abnormal or missing blinks")
        return self.finding(
            score,
            zh=f"{secs:.1f} 秒内眨眼 {len(blinks)} 次（{rate:.0f} 次/分），眼部特征点抖动 {jitter:.3f}",
            en=f"{len(blinks)} blinks in {secs:.1f} s ({rate:.0f}/min), eye landmark jitter {jitter:.3f}",
            details={"blinks": len(blinks), "rate_per_min": round(rate, 2), "long_blinks": long_blinks,
                     "ear_median": round(float(np.median(ear)), 4), "ear_jitter": round(jitter, 4),
                     "seconds": round(secs, 2), "cues": {k: round(v, 3) for k, v in cues.items()}},
        )
