"""physical.ela: a region with another compression history, bad input, real file."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from huiyan.detectors.physical.ela import ErrorLevelAnalysis, ela_map
from huiyan.media.item import Item


def test_uncompressed_paste_has_a_higher_error_level(noisy_scene):
    buf = io.BytesIO()
    Image.fromarray(np.clip(noisy_scene, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    buf.seek(0)
    host = np.asarray(Image.open(buf), dtype=np.float32).mean(axis=2)
    img = host.copy()
    img[128:256, 128:256] = noisy_scene.mean(axis=2)[128:256, 128:256]  # never compressed
    m = ela_map(img.astype(np.float32))
    inside = m[8:16, 8:16].mean()
    outside = np.r_[m[:8].ravel(), m[16:].ravel()].mean()
    assert inside > 1.5 * outside


def test_weak_evidence_is_declared(noisy_scene, pixel_item):
    f = ErrorLevelAnalysis().run(pixel_item(noisy_scene, "JPEG", quality=85))
    assert f.applicable and f.details["weak_evidence"] is True
    assert "weak" in f.explanation["en"] and f.heatmap


def test_bad_input(pixel_item):
    det = ErrorLevelAnalysis()
    assert not det.run(pixel_item(np.full((128, 128, 3), 200.0))).applicable
    assert not det.run(pixel_item(np.zeros((8, 8, 3)))).applicable


def test_real_file(shared_images):
    for p in shared_images("real", "JPEG", n=1):
        f = ErrorLevelAnalysis().run(Item(p))
        assert f.applicable and np.isfinite(f.score)
