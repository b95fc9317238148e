"""physical.cfa: planted Bayer mosaic vs the same scene without one, bad input, real file."""

from __future__ import annotations

import numpy as np

from huiyan.detectors.physical.cfa import CFATrace, cfa_strength, jpeg_quality_estimate
from huiyan.media.item import Item


def test_planted_cfa_pattern_is_found(camera_like, noisy_scene, pixel_item):
    det = CFATrace()
    cam = det.run(pixel_item(camera_like))
    gen = det.run(pixel_item(noisy_scene))
    assert cam.applicable and gen.applicable
    assert cam.details["strength"] > 0.3  # bilinear demosaicing: strong period-2 trace
    assert gen.details["strength"] < 0.05
    assert cam.score < 0.1 < gen.score
    assert cam.heatmap and cam.heatmap.endswith(".png")


def test_cfa_map_flags_a_pasted_region_without_the_mosaic(camera_like, noisy_scene):
    from huiyan.detectors.physical.cfa import cfa_map

    img = camera_like.copy()
    img[256:384, 256:384] = noisy_scene[256:384, 256:384]
    s = cfa_strength(img)
    m = cfa_map(np.clip(img, 0, 255).astype(np.uint8), 1.0 if s["mean_log_ratio"] >= 0 else -1.0, 32)
    inside = m[8:12, 8:12].mean()
    outside = np.r_[m[:8].ravel(), m[12:].ravel()].mean()
    assert inside > 3 * outside + 0.1


def test_quality_estimate_from_ijg_tables():
    std = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
           14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
           49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
    assert abs(jpeg_quality_estimate({0: std}) - 50) < 1
    assert jpeg_quality_estimate(None) is None


def test_bad_input_constant_and_tiny(pixel_item):
    det = CFATrace()
    assert not det.run(pixel_item(np.full((300, 300, 3), 128.0))).applicable
    f = det.run(pixel_item(np.zeros((16, 16, 3))))
    assert not f.applicable and "too small" in f.reason


def test_real_file(shared_images):
    det = CFATrace()
    for p in shared_images("real", "JPEG", n=2):
        f = det.run(Item(p))
        assert f.details["tiles"] >= 1
        assert f.applicable == (f.score is not None)
        if f.applicable:
            assert 0.0 < f.score <= 1.0


def test_odd_sizes_do_not_break_the_phase_sums(camera_like, pixel_item):
    # regression: a side under one tile and odd gave phase slices of unequal size
    for h, w in ((131, 301), (255, 199), (299, 345)):
        f = CFATrace().run(pixel_item(camera_like[:h, :w]))
        assert f.applicable and f.details["tiles"] >= 1
