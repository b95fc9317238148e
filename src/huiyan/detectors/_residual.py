"""Shared pixel-forensics steps: denoising residuals, block statistics, 8x8 block DCT, tiling,
JPEG recompression and heatmap saving.

The physical and fingerprint detectors (noise, CFA, double JPEG, ELA, spectrum, NPR, face region,
local-edit fusion) share these steps so that none of them carries a copy of another's code. The
module name starts with an underscore so that `load_all()` does not treat it as a detector.

Everything here works in float32 and on bounded tiles so that a 50-megapixel image stays within
the project's memory budget (DESIGN.md section 6). Heavy libraries (OpenCV, Pillow) are imported
inside the functions.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

# Below this side length the statistics of a residual are too noisy to mean anything.
MIN_SIDE = 64


def too_small(shape: tuple[int, ...], min_side: int = MIN_SIDE) -> str | None:
    """A not-applicable reason when an image is smaller than `min_side` on either side."""
    h, w = shape[:2]
    if min(h, w) < min_side:
        return f"image too small for pixel statistics ({w}x{h} < {min_side} px on a side)"
    return None


def is_flat(gray: np.ndarray, eps: float = 0.5) -> bool:
    """True when the image has (almost) no variation: no residual can be measured."""
    sub = gray[:: max(1, gray.shape[0] // 256), :: max(1, gray.shape[1] // 256)]
    return float(np.std(sub)) < eps


# residuals -------------------------------------------------------------------------------------
def linear_residual(x: np.ndarray) -> np.ndarray:
    """Second-order linear prediction residual: pixel minus the mean of its four neighbours.

    A fast, content-suppressing high-pass (the "KV-lite" kernel of the SRM family, Fridrich &
    Kodovsky 2012, doi:10.1109/TIFS.2012.2190402). Output has the input's shape, float32.
    """
    import cv2

    x = np.asarray(x, dtype=np.float32)
    k = np.array([[0, -0.25, 0], [-0.25, 1.0, -0.25], [0, -0.25, 0]], np.float32)
    return cv2.filter2D(x, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)


def box_mean(x: np.ndarray, k: int) -> np.ndarray:
    """Local mean over a k x k window (same shape, float32)."""
    import cv2

    return cv2.blur(np.asarray(x, np.float32), (k, k), borderType=cv2.BORDER_REFLECT)


def block_reduce(x: np.ndarray, b: int, fn: str = "mean") -> np.ndarray:
    """Reduce non-overlapping b x b blocks (trailing rows/columns dropped) with mean/median/max."""
    h, w = (x.shape[0] // b) * b, (x.shape[1] // b) * b
    v = np.asarray(x[:h, :w], np.float32).reshape(h // b, b, w // b, b)
    if fn == "mean":
        return v.mean(axis=(1, 3))
    if fn == "median":
        return np.median(v.transpose(0, 2, 1, 3).reshape(h // b, w // b, b * b), axis=2)
    if fn == "max":
        return v.max(axis=(1, 3))
    raise ValueError(f"unknown block reduction {fn!r}")


def block_noise_map(residual: np.ndarray, b: int = 32) -> np.ndarray:
    """Robust local noise level per b x b block: 1.4826 * median |residual| (MAD estimate)."""
    return 1.4826 * block_reduce(np.abs(residual), b, "median")


# tiling ----------------------------------------------------------------------------------------
def tile_origins(shape: tuple[int, ...], tile: int, max_tiles: int, align: int = 8) -> list[tuple[int, int]]:
    """Top-left corners of up to `max_tiles` tiles spread over the image on an `align` grid.

    Alignment to 8 keeps the JPEG block grid and the period-2 CFA lattice in the same phase in
    every tile, so tiles can be averaged. Small images give one tile covering what fits.
    """
    h, w = shape[:2]
    if h < tile or w < tile:
        return [(0, 0)]
    ny = max(1, min(int(np.sqrt(max_tiles * h / w)) or 1, h // tile))
    nx = max(1, min(max_tiles // ny, w // tile))
    ys = np.linspace(0, h - tile, ny).astype(int) // align * align
    xs = np.linspace(0, w - tile, nx).astype(int) // align * align
    return [(int(y), int(x)) for y in ys for x in xs]


def iter_tiles(img: np.ndarray, tile: int, max_tiles: int, align: int = 8) -> Iterator[np.ndarray]:
    """Yield tiles (views, no copies) of `img` chosen by `tile_origins`."""
    for y, x in tile_origins(img.shape, tile, max_tiles, align):
        yield img[y : y + tile, x : x + tile]


def strip_blocks(x: np.ndarray, b: int, fn, rows: int = 1024) -> np.ndarray:
    """Apply `fn` (image strip -> per-b-block map) over horizontal strips and stack the results.

    Strips are `rows` pixels high (a multiple of b) with a b-pixel overlap for filters, so a
    full-resolution map of a 50-megapixel image never holds more than a strip of temporaries.
    """
    h = (x.shape[0] // b) * b
    rows = max(b, rows // b * b)
    out = []
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        pad0 = b if y0 > 0 else 0
        pad1 = min(b, x.shape[0] - y1)  # real pixels below the strip, where there are any
        m = fn(x[y0 - pad0 : y1 + pad1])
        out.append(m[pad0 // b : pad0 // b + (y1 - y0) // b])
    return np.concatenate(out, axis=0) if out else np.zeros((0, x.shape[1] // b), np.float32)


# block DCT -------------------------------------------------------------------------------------
def _dct_matrix(n: int = 8) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m.astype(np.float32)


_D8 = _dct_matrix(8)


def block_dct8(gray: np.ndarray, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Orthonormal 8x8 DCT of every full block on the grid starting at `offset`.

    Returns an array (by, bx, 8, 8) of coefficients of the level-shifted luma (x - 128), the
    same convention as JPEG, so coefficient / quantisation step is what a JPEG decoder saw.
    """
    oy, ox = offset
    g = np.asarray(gray[oy:, ox:], np.float32)
    h, w = (g.shape[0] // 8) * 8, (g.shape[1] // 8) * 8
    blocks = (g[:h, :w] - 128.0).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    return np.einsum("ij,abjk,lk->abil", _D8, blocks, _D8, optimize=True)


def grid_profiles(gray: np.ndarray, period: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Mean |second difference| per phase modulo `period`, along rows and along columns.

    Entry k of the column profile is the mean of |x[:, j-1] - 2 x[:, j] + x[:, j+1]| over all
    columns j with j % period == k. An aligned JPEG grid (block boundary between columns 7 and 8)
    raises phases 7 and 0; a grid from an earlier, cropped compression raises another pair; a
    block-aligned 2x up-sampling raises one parity.
    """
    g = np.asarray(gray, np.float32)
    dx = np.abs(g[:, 2:] - 2 * g[:, 1:-1] + g[:, :-2]).mean(axis=0)
    dy = np.abs(g[2:, :] - 2 * g[1:-1, :] + g[:-2, :]).mean(axis=1)
    jx = (np.arange(dx.size) + 1) % period
    jy = (np.arange(dy.size) + 1) % period
    cols = np.array([dx[jx == k].mean() if np.any(jx == k) else 0.0 for k in range(period)])
    rows = np.array([dy[jy == k].mean() if np.any(jy == k) else 0.0 for k in range(period)])
    return rows, cols


# recompression ---------------------------------------------------------------------------------
def jpeg_roundtrip(rgb_or_gray: np.ndarray, quality: int) -> np.ndarray:
    """Encode with libjpeg (through Pillow) at `quality`, 4:4:4, and decode again (float32)."""
    from PIL import Image

    a = np.asarray(rgb_or_gray)
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=int(quality), subsampling=0)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im, dtype=np.float32)


# maps ------------------------------------------------------------------------------------------
def robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 * MAD), with a floor on the spread; float32."""
    x = np.asarray(x, np.float32)
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med))) * 1.4826
    return (x - med) / max(mad, 1e-6, 0.05 * abs(med))


# What a saved map is, written into the PNG as text chunks so that the report shows it by what it
# is, not by its file name: `kind` scalar (one value per pixel, drawn with a colour scale) or rgb
# (a picture, drawn as is); `geometry` image (on the item's pixel grid: can be overlaid on it) or
# other (own axes, e.g. a Fourier spectrum or a plot: shown on its own).
HEATMAP_KIND = "huiyan:kind"
HEATMAP_GEOMETRY = "huiyan:geometry"


def save_heatmap(item: Any, name: str, heat: np.ndarray, shape: tuple[int, int] | None = None,
                 geometry: str | None = None) -> str | None:
    """Save `heat` (any range) as an 8-bit PNG via `item.artifact_path`; returns the path or None.

    Values are scaled by their 1st and 99th percentiles; `shape` (h, w) resizes the map to the
    image's aspect ratio (longer side at most 2048 px) so the examiner can overlay it. The PNG
    says what it is (`huiyan:kind` scalar; `huiyan:geometry` "image" when `shape` is given, else
    "other", unless `geometry` says otherwise).
    """
    path: Path | None = item.artifact_path(name) if hasattr(item, "artifact_path") else None
    if path is None:
        return None
    import cv2
    from PIL import Image, PngImagePlugin

    h = np.nan_to_num(np.asarray(heat, np.float32))
    lo, hi = np.percentile(h, [1, 99]) if h.size else (0.0, 1.0)
    u8 = np.clip((h - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8)
    if shape is not None:
        s = min(1.0, 2048 / max(shape))
        hh, ww = max(1, round(shape[0] * s)), max(1, round(shape[1] * s))
        if u8.shape != (hh, ww):
            u8 = cv2.resize(u8, (ww, hh), interpolation=cv2.INTER_NEAREST)
    info = PngImagePlugin.PngInfo()
    info.add_text(HEATMAP_KIND, "scalar")
    info.add_text(HEATMAP_GEOMETRY, geometry or ("image" if shape is not None else "other"))
    Image.fromarray(u8).save(path, pnginfo=info)
    return str(path)


def cached(item: Any, key: str, fn):
    """Compute `fn()` once per item and share it between detectors (maps used twice, e.g. ELA by
    `physical.ela` and by the local-edit fusion). Kept on the item itself, so it dies with it."""
    store = item.__dict__.setdefault("_pixel_forensics_cache", {})
    if key not in store:
        store[key] = fn()
    return store[key]
