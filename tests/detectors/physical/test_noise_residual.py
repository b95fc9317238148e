"""physical.noise_residual: clean vs noisy flat areas, the noise-inconsistency map on a spliced
region, bad input, real file."""

from __future__ import annotations

import numpy as np

from huiyan.detectors.physical.noise_residual import NoiseResidual, noise_features, noise_inconsistency_map
from huiyan.media.item import Item


def test_noise_free_image_scores_higher_than_noisy_one(smooth_scene, noisy_scene, pixel_item):
    det = NoiseResidual()
    clean = det.run(pixel_item(smooth_scene))
    noisy = det.run(pixel_item(noisy_scene + np.random.default_rng(5).normal(0, 3, noisy_scene.shape)))
    assert clean.applicable and noisy.applicable
    assert clean.details["flat_noise"] < noisy.details["flat_noise"]
    assert clean.score > noisy.score


def test_noise_level_measures_planted_sigma(smooth_scene):
    rng = np.random.default_rng(0)
    flat = np.full((512, 512), 120.0, np.float32)
    lo = noise_features(flat + rng.normal(0, 2, flat.shape).astype(np.float32))
    hi = noise_features(flat + rng.normal(0, 6, flat.shape).astype(np.float32))
    # the four-neighbour residual of white noise has std sigma * sqrt(1.25)
    assert abs(lo["median_noise"] / (2 * 1.118) - 1) < 0.15
    assert hi["median_noise"] > 2.5 * lo["median_noise"]
    assert abs(lo["kurtosis"] - 3.0) < 0.5  # Gaussian residual


def test_spliced_region_stands_out_in_the_map(spliced_scene):
    img, (ys, xs) = spliced_scene
    gray = img.mean(axis=2).astype(np.float32)
    m = noise_inconsistency_map(gray, 32)
    inside = m[ys.start // 32 : ys.stop // 32, xs.start // 32 : xs.stop // 32]
    assert inside.mean() > 3.0
    assert np.median(m) < 1.0


def test_bad_input(pixel_item):
    det = NoiseResidual()
    assert not det.run(pixel_item(np.full((200, 200, 3), 7.0))).applicable
    assert not det.run(pixel_item(np.zeros((10, 40, 3)))).applicable


def test_real_file(shared_images):
    det = NoiseResidual()
    for p in shared_images("real", "JPEG", n=2):
        f = det.run(Item(p))
        assert f.applicable and np.isfinite(f.score)
        assert f.details["median_noise"] > 0
