"""Neighbouring-pixel relations (NPR): local correlation left by a generator's up-sampling.

What it measures: an up-sampling layer (nearest, bilinear or a stride-2 transposed convolution)
makes the pixels inside each 2x2 cell depend on each other more than pixels of adjacent cells.
Tan et al. capture this with the NPR residual x - up(down(x)); this hand-crafted version reads
the same relation without learning: the mean absolute difference between horizontal (and
vertical) neighbours is computed separately for pairs inside a 2-cell (phase 0) and pairs
straddling two cells (phase 1), and for period 4 at each of its four phases. The log ratio of
the phases is the NPR asymmetry. Pairs that straddle an 8x8 JPEG block boundary are excluded
from both phases, so JPEG blocking is not read as up-sampling. A camera's Bayer demosaicing is
symmetric in this measure (interpolated pixels sit between recorded ones on both sides).
Also reported: the energy of the NPR residual x - nearest_up(x[::2, ::2]) relative to the same
residual on the shifted lattice.

Why it separates: the periodic dependence is a property of the generator's architecture, present
in GAN and diffusion decoders alike, and survives moderate JPEG; it is absent from optics.

Paper: Tan et al., "Rethinking the up-sampling operations in CNN-based generative network for
generalizable deepfake detection", CVPR 2024, arXiv:2312.10461.

Score (higher = more evidence of generation): |asymmetry at period 2| summed over both axes plus
the period-4 phase spread. Failure cases: any resizing after generation (the resized protocol
shifts and blurs the lattice; the half-size step folds it away), cropping by an odd offset does
not matter (the measure takes the absolute value) but rotation does; camera images up-scaled by
an integer factor (digital zoom) look generated; generators with pixel-space decoders.
Works on up to 16 full-resolution tiles of 256 px (never on a downscaled copy).
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

TILE = 256
MAX_TILES = 16


def _phase_means(d: np.ndarray, axis_len: int, period: int) -> np.ndarray:
    """Mean of |neighbour difference| per phase (position % period), JPEG-boundary pairs out."""
    j = np.arange(axis_len)
    keep = (j % 8) != 7  # pair (j, j+1) with j % 8 == 7 straddles a JPEG block boundary
    return np.array([d[..., keep & (j % period == k)].mean() for k in range(period)])


def npr_features(gray: np.ndarray) -> dict[str, float]:
    """Phase asymmetries over tiles of `gray`."""
    acc2 = np.zeros((2, 2))
    acc4 = np.zeros((2, 4))
    npr_ratio = []
    n = 0
    for t in R.iter_tiles(gray, TILE, MAX_TILES):
        t = np.asarray(t, np.float32)
        if min(t.shape) < 16:
            continue
        dx = np.abs(np.diff(t, axis=1))
        dy = np.abs(np.diff(t, axis=0)).T
        for a, d in enumerate((dx, dy)):
            acc2[a] += _phase_means(d, d.shape[-1], 2)
            acc4[a] += _phase_means(d, d.shape[-1], 4)
        h2, w2 = t.shape[0] // 2 * 2, t.shape[1] // 2 * 2
        c = t[:h2, :w2]
        r0 = c - np.repeat(np.repeat(c[::2, ::2], 2, 0), 2, 1)
        c1 = t[1 : h2 - 1, 1 : w2 - 1]
        r1 = c1 - np.repeat(np.repeat(c1[::2, ::2], 2, 0), 2, 1)
        npr_ratio.append(np.log((np.abs(r0).mean() + 1e-3) / (np.abs(r1).mean() + 1e-3)))
        n += 1
    if n == 0:
        raise ValueError("no tile large enough for NPR features")
    asym2 = np.log((acc2[:, 1] + 1e-6) / (acc2[:, 0] + 1e-6))
    spread4 = np.log((acc4.max(axis=1) + 1e-6) / (acc4.min(axis=1) + 1e-6))
    return {
        "asym2_x": round(float(asym2[0]), 4),
        "asym2_y": round(float(asym2[1]), 4),
        "spread4_x": round(float(spread4[0]), 4),
        "spread4_y": round(float(spread4[1]), 4),
        "npr_log_ratio": round(float(np.mean(npr_ratio)), 4),
        "tiles": n,
    }


def npr_score(f: dict[str, float]) -> float:
    return abs(f["asym2_x"]) + abs(f["asym2_y"]) + 0.5 * (f["spread4_x"] + f["spread4_y"])


@register
class NeighbouringPixelRelations(Detector):
    method = "fingerprint.npr"
    version = "0.1"
    family = "fingerprint"
    media_types = ("image",)
    inputs = ("pixels",)
    category = "fully_generated"
    summary = {
        "zh": "邻近像素关系（NPR）：上采样造成的 2×2/4×4 局部相关",
        "en": "neighbouring-pixel relations (NPR): 2x2/4x4 local correlation left by up-sampling",
    }

    def not_applicable_reason(self, item):
        small = R.too_small(item.pixels.shape)
        if small:
            return small
        if R.is_flat(item.gray):
            return "image is flat (constant): no neighbour differences"
        return None

    def analyze(self, item):
        f = npr_features(item.gray)
        score = npr_score(f)
        strong = abs(f["asym2_x"]) + abs(f["asym2_y"]) > 0.1
        zh = (f"相邻像素相位不对称度 x {f['asym2_x']:+.3f}、y {f['asym2_y']:+.3f}"
              + ("；存在上采样网格" if strong else "；未见明显上采样网格"))
        en = (f"neighbour-pair phase asymmetry x {f['asym2_x']:+.3f}, y {f['asym2_y']:+.3f}"
              + ("; up-sampling lattice present" if strong else "; no clear up-sampling lattice"))
        return self.finding(score, zh=zh, en=en, details=f)
