"""`Item.gray` converts in strips; the result equals the whole-image BT.601 formula."""

import numpy as np
from PIL import Image

from huiyan.media.item import Item


def test_gray_strips_match_formula(tmp_path):
    rng = np.random.default_rng(1)
    px = rng.integers(0, 256, (3600, 1300, 3), dtype=np.uint8)  # more than one strip
    p = tmp_path / "tall.png"
    Image.fromarray(px).save(p, compress_level=1)
    g = Item(p).gray
    f = px.astype(np.float32)
    ref = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
    assert g.dtype == np.float32 and g.shape == px.shape[:2]
    np.testing.assert_array_equal(g, ref)  # bit-identical: same float32 operations per strip
