"""ITU-R BT.601 luma: the one definition of the grey conversion every method and figure uses.

Only numpy is imported, so anything may use it without pulling in a decoder.
"""

from __future__ import annotations

import numpy as np

# Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), for code that needs the weights as a vector
# (a matrix product: `rgb @ np.array(BT601_WEIGHTS, dtype)`)
BT601_WEIGHTS = (0.299, 0.587, 0.114)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of an ... x 3 RGB array (any numeric dtype) as float32 on the input's scale
    (0-255 for uint8). Computed channel by channel in float32, left to right, so the result is
    bit-identical to writing the formula out on `rgb.astype(np.float32)`."""
    f = np.asarray(rgb).astype(np.float32, copy=False)
    wr, wg, wb = BT601_WEIGHTS
    return wr * f[..., 0] + wg * f[..., 1] + wb * f[..., 2]
