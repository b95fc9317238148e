"""fingerprint.spectrum: planted up-sampling grid, spectral peak maths, bad input, real file."""

from __future__ import annotations

import numpy as np

from huiyan.detectors.fingerprint.spectrum import ResidualSpectrum, peak_ratio, residual_spectrum
from huiyan.media.item import Item


def test_planted_upsampling_grid_gives_a_peak(upsampled_scene, noisy_scene, pixel_item):
    det = ResidualSpectrum()
    up = det.run(pixel_item(upsampled_scene))
    plain = det.run(pixel_item(noisy_scene))
    assert up.applicable and plain.applicable
    assert up.score > plain.score + 1.0
    assert up.heatmap and up.heatmap.endswith("fingerprint.spectrum.png")


def test_peak_ratio_on_a_planted_cosine():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:512, :512]
    base = rng.normal(128, 5, (512, 512)).astype(np.float32)
    planted = base + 4 * np.cos(2 * np.pi * 0.25 * xx).astype(np.float32)
    p0, p1 = residual_spectrum(base), residual_spectrum(planted)
    assert peak_ratio(p1, 0.0, 0.25) > peak_ratio(p0, 0.0, 0.25) + 2.0


def test_bad_input(pixel_item):
    det = ResidualSpectrum()
    assert not det.run(pixel_item(np.full((300, 300, 3), 10.0))).applicable
    assert not det.run(pixel_item(np.zeros((100, 300, 3)))).applicable


def test_real_file(shared_images):
    for p in shared_images("real", "JPEG", n=1):
        f = ResidualSpectrum().run(Item(p))
        assert f.applicable and np.isfinite(f.score) and len(f.details["up_peaks"]) == 6
