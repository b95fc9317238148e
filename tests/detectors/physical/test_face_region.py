"""physical.face_region: a planted smoothed face (no noise, as a decoder renders it) vs the same
photo untouched, no face, bad input, real deepfake file."""

from __future__ import annotations

import numpy as np

from huiyan.detectors.physical.face_region import FaceRegionConsistency, face_features
from huiyan.media.item import Item


def _photo_with_noise():
    from skimage import data

    rng = np.random.default_rng(4)
    return data.astronaut().astype(np.float32) + rng.normal(0, 3, (512, 512, 3))


def test_planted_smooth_face_scores_higher(pixel_item):
    import cv2

    det = FaceRegionConsistency()
    real = _photo_with_noise()
    item = pixel_item(real)
    f_real = det.run(item)
    assert f_real.applicable, f_real.reason
    x, y, w, h = item.faces[0]
    fake = real.copy()
    fake[y : y + h, x : x + w] = cv2.GaussianBlur(real[y : y + h, x : x + w], (0, 0), 1.5)
    direct = face_features(cv2.cvtColor(np.clip(fake, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32),
                           (x, y, w, h))
    assert direct["noise_log_ratio"] < -0.3  # the planted face is cleaner than its surroundings
    f_fake = det.run(pixel_item(fake))
    if f_fake.applicable:  # the cascade may or may not find the blurred face
        assert f_fake.score > f_real.score


def test_no_face_is_not_applicable(noisy_scene, pixel_item):
    rng = np.random.default_rng(0)
    f = FaceRegionConsistency().run(pixel_item(rng.uniform(0, 255, (300, 300, 3))))
    assert not f.applicable and "face" in f.reason


def test_bad_input(pixel_item):
    det = FaceRegionConsistency()
    assert not det.run(pixel_item(np.full((300, 300, 3), 128.0))).applicable
    assert not det.run(pixel_item(np.zeros((20, 20, 3)))).applicable


def test_real_deepfake_file(shared_images):
    det = FaceRegionConsistency()
    for p in shared_images("deepfake", n=2):
        f = det.run(Item(p))
        if f.applicable:
            assert f.score >= 0 and f.details["faces"]
        else:
            assert "face" in f.reason
