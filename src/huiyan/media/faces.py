"""Offline face detection with the Haar cascade that opencv-python ships (`cv2.data`).

Viola and Jones, "Rapid object detection using a boosted cascade of simple features", CVPR 2001,
doi:10.1109/CVPR.2001.990517. Frontal faces only; misses profiles and faces under ~40 pixels.
No weights are downloaded: the cascade XML is inside the OpenCV wheel.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _cascade():
    import cv2

    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    c = cv2.CascadeClassifier(path)
    if c.empty():  # pragma: no cover - the wheel ships it
        raise RuntimeError(f"OpenCV face cascade missing at {path}")
    return c


def detect_faces(rgb: np.ndarray, *, max_side: int = 960, min_size: int = 40) -> list[tuple[int, int, int, int]]:
    """Return face boxes (x, y, w, h) in `rgb` coordinates, largest first."""
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    ms = max(20, int(min_size * scale))
    boxes = _cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=6, minSize=(ms, ms))
    out = [tuple(int(round(v / scale)) for v in b) for b in (boxes if len(boxes) else [])]
    return sorted(out, key=lambda b: -b[2] * b[3])
