"""physical.jpeg_double: planted double compression, PNG input (premise fails), bad input, real."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from huiyan.detectors.physical.jpeg_double import DoubleJPEG, ghost_curve
from huiyan.media.item import Item


def _jpeg(arr: np.ndarray, q: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=q, subsampling=0)
    buf.seek(0)
    return np.asarray(Image.open(buf), dtype=np.float32)


def test_planted_double_quantisation(noisy_scene, pixel_item):
    det = DoubleJPEG()
    single = det.run(pixel_item(noisy_scene, "JPEG", quality=90))
    double = det.run(pixel_item(_jpeg(noisy_scene, 60), "JPEG", quality=90))
    assert single.applicable and double.applicable
    assert double.details["dq_roughness"] > single.details["dq_roughness"] + 0.1
    assert double.score > single.score


def test_ghost_curve_dips_at_the_first_quality(noisy_scene):
    gray = _jpeg(noisy_scene, 70).mean(axis=2)
    gray = _jpeg(gray, 95)
    c = ghost_curve(gray)
    # GHOST_QUALITIES = 50, 55, ..., 100: quality 70 is index 4; the curve has a local dip there
    assert c[4] < c[3] and c[4] < c[5]


def test_png_is_not_applicable(noisy_scene, pixel_item):
    f = DoubleJPEG().run(pixel_item(noisy_scene, "PNG"))
    assert not f.applicable and "not a JPEG" in f.reason


def test_bad_input(pixel_item):
    det = DoubleJPEG()
    assert not det.run(pixel_item(np.full((256, 256, 3), 90.0), "JPEG")).applicable
    assert not det.run(pixel_item(np.zeros((12, 12, 3)), "JPEG")).applicable


def test_real_file(shared_images):
    det = DoubleJPEG()
    for p in shared_images("real", "JPEG", n=2):
        f = det.run(Item(p))
        assert f.applicable and f.score >= 0
        assert 1 <= f.details["quality_estimate"] <= 100
        assert len(f.details["ghost_curve"]) == 11
