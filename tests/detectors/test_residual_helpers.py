"""Shared pixel-forensics helpers: equivalence with reference implementations and shapes."""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R


def test_block_dct8_matches_scipy():
    from scipy.fft import dctn

    rng = np.random.default_rng(0)
    g = rng.uniform(0, 255, (24, 40)).astype(np.float32)
    c = R.block_dct8(g)
    assert c.shape == (3, 5, 8, 8)
    ref = dctn(g[8:16, 16:24] - 128.0, norm="ortho")
    assert np.allclose(c[1, 2], ref, atol=1e-3)


def test_strip_blocks_equals_whole_image_computation():
    rng = np.random.default_rng(1)
    g = rng.normal(100, 10, (1000, 300)).astype(np.float32)

    def fn(x):
        return R.block_reduce(np.abs(R.linear_residual(x)), 32)

    whole = fn(g)
    strips = R.strip_blocks(g, 32, fn, rows=256)
    assert strips.shape == whole.shape
    assert np.allclose(strips, whole, atol=1e-4)


def test_tiles_are_aligned_and_inside():
    for shape in ((3000, 4000), (300, 257), (100, 80)):
        for y, x in R.tile_origins(shape, 256, 16):
            assert y % 8 == 0 and x % 8 == 0
            assert y + min(256, shape[0]) <= shape[0] and x + min(256, shape[1]) <= shape[1]
    assert len(R.tile_origins((3000, 4000), 256, 16)) <= 16


def test_grid_profiles_find_the_jpeg_grid():
    import io

    from PIL import Image

    rng = np.random.default_rng(2)
    img = rng.normal(128, 20, (256, 256)).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=30)
    buf.seek(0)
    rows, cols = R.grid_profiles(np.asarray(Image.open(buf), np.float32))
    assert {int(np.argmax(cols)), int(np.argsort(cols)[-2])} == {7, 0}


def test_robust_z_and_flat_checks():
    z = R.robust_z(np.r_[np.zeros(99), 10.0])
    assert z[-1] > 5 and np.isfinite(z).all()
    assert R.is_flat(np.full((50, 50), 3.0)) and not R.is_flat(np.arange(2500.0).reshape(50, 50))
    assert R.too_small((20, 500)) and R.too_small((64, 64)) is None
