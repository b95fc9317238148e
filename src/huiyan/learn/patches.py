"""Deterministic patch sampling, shared by the training pool and by inference.

A whole image is never fed to the network: its size and aspect ratio would leak the trap of the
development data (camera originals are large, generated images 512-2048 px). The detector looks
only at fixed-size patches taken on a regular grid over the stored pixel grid, skipping flat
patches (sky, saturated areas, padding) where no trace survives.
"""

from __future__ import annotations

import numpy as np

from huiyan.media.color import luma

PATCH = 64  # patch side in pixels
MIN_SIDE = 96  # below this the image is too small to sample several distinct patches
FLAT_STD = 2.0  # luma standard deviation (0-255) under which a patch counts as flat


def grid_positions(h: int, w: int, n: int, patch: int = PATCH) -> list[tuple[int, int]]:
    """About `n` top-left corners on a regular grid covering an h x w image (deterministic)."""
    if h < patch or w < patch:
        return []
    rows = max(1, int(round(np.sqrt(n * h / w))))
    cols = max(1, int(round(n / rows)))
    ys = np.linspace(0, h - patch, rows).round().astype(int)
    xs = np.linspace(0, w - patch, cols).round().astype(int)
    return sorted({(int(y), int(x)) for y in ys for x in xs})


def sample_patches(rgb: np.ndarray, n: int = 64, patch: int = PATCH) -> tuple[np.ndarray, int]:
    """Up to `n` textured patches (N x patch x patch x 3 uint8) and the number of candidates seen.

    Candidates lie on a grid of about 3n positions; flat ones are dropped, and n are kept evenly
    spaced through the remaining list, so the same image always gives the same patches. When
    every candidate is flat, the least flat ones are kept.
    """
    h, w = rgb.shape[:2]
    pos = grid_positions(h, w, 3 * n, patch)
    if not pos:
        return np.zeros((0, patch, patch, 3), np.uint8), 0
    crops = np.stack([rgb[y : y + patch, x : x + patch] for y, x in pos])
    std = luma(crops).reshape(len(crops), -1).std(axis=1)
    keep = np.flatnonzero(std >= FLAT_STD)
    if len(keep) == 0:
        keep = np.argsort(-std)[: max(1, n // 4)]
    if len(keep) > n:
        keep = keep[np.linspace(0, len(keep) - 1, n).round().astype(int)]
    return crops[keep], len(pos)
