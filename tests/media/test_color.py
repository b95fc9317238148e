"""`huiyan.media.color.luma` is bit-identical to the BT.601 formula it replaced in every caller."""

import numpy as np

from huiyan.media.color import BT601_WEIGHTS, luma


def _formula(rgb: np.ndarray) -> np.ndarray:
    f = rgb.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def test_luma_bit_identical_uint8_and_float32():
    rng = np.random.default_rng(7)
    u8 = rng.integers(0, 256, (257, 131, 3), dtype=np.uint8)
    f32 = (rng.random((64, 97, 3)) * 255).astype(np.float32)
    batch = rng.integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)  # patch batches (learn.patches)
    strided = u8[::3, 1::2]  # non-contiguous views (camera_exif, item strips)
    for a in (u8, f32, batch, strided, f32[10:40]):
        got = luma(a)
        assert got.dtype == np.float32 and got.shape == a.shape[:-1]
        np.testing.assert_array_equal(got, _formula(a))
        assert got.tobytes() == _formula(a).tobytes()


def test_luma_leaves_float32_input_alone():
    a = np.full((4, 4, 3), 10.0, np.float32)
    luma(a)
    assert (a == 10.0).all()


def test_weight_vector():
    assert BT601_WEIGHTS == (0.299, 0.587, 0.114)
    x = np.random.default_rng(3).random((8, 3))
    np.testing.assert_allclose(x @ np.array(BT601_WEIGHTS), _formula(x).astype(float), rtol=1e-6)
