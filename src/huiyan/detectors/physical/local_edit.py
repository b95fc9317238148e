"""Local-edit localisation: the per-block maps of the physical methods fused into one heatmap.

What it measures: four maps on a common 32-pixel block grid, each turned into a robust z-score
(median and MAD over the image, so "unusual for this image", not an absolute threshold):
- noise inconsistency (`physical.noise_residual`): a region with another noise level;
- missing CFA trace (`physical.cfa`), only when the image as a whole carries one;
- JPEG ghost at the earlier quality (`physical.jpeg_double`), only for JPEG files with a ghost,
  at double weight (block AUC 0.997 on the laundered splices of benchmarks/local_edit_splice.py);
- error level (`physical.ela`), two-sided (|z|), at half weight because it is weak evidence.
The fused map is the weighted mean of the positive z parts; it is saved as a PNG heatmap and its
path goes into the Finding. The score is the mean fused z of the top 2% of blocks: an image in
which one compact region disagrees with the rest scores high, a uniform image low.

Why it separates: a spliced, copy-moved or inpainted region brings or creates local statistics
(noise, interpolation, compression history) that differ from those of the host photograph.

Papers: as for the component methods - Lyu et al. 2014 (doi:10.1007/s11263-013-0688-y),
Ferrara et al. 2012 (doi:10.1109/TIFS.2012.2202227), Farid 2009 (doi:10.1109/TIFS.2008.2012215),
Krawetz 2007; fusion of forensic maps after Cozzolino, Gragnaniello, Verdoliva, "Image forgery
localization through the fusion of camera-based, feature-based and pixel-based techniques",
ICIP 2014, doi:10.1109/ICIP.2014.7026000.

Failure cases: copy-move within the same photo (same noise, same history: only the shape
repeats); edits followed by a global recompression or resize (the local differences are
flattened); images with large saturated, dark or flat areas (noise maps flag them); regions
smaller than a few blocks; whole-image generation (nothing local to find: the score stays low
and that is correct). Measured on the only tampered image in ../shared/data with a ground-truth
mask (see docs/PIXEL_METHODS.md).
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

BLOCK = 32
TOP_SHARE = 0.02


def _to_block32(m: np.ndarray, block: int) -> np.ndarray:
    f = BLOCK // block
    return R.block_reduce(m, f) if f > 1 else m


def component_maps(item) -> dict[str, tuple[np.ndarray, float]]:
    """The available component maps on the 32-px grid, each with its fusion weight."""
    from huiyan.detectors.physical.cfa import cfa_map, cfa_strength
    from huiyan.detectors.physical.ela import BLOCK as ELA_BLOCK
    from huiyan.detectors.physical.ela import ela_map
    from huiyan.detectors.physical.jpeg_double import compression_history, ghost_map
    from huiyan.detectors.physical.noise_residual import noise_inconsistency_map

    gray = item.gray
    maps: dict[str, tuple[np.ndarray, float]] = {}
    maps["noise"] = (R.cached(item, "noise_map", lambda: noise_inconsistency_map(gray, BLOCK)), 1.0)
    cfa = R.cached(item, "cfa_strength", lambda: cfa_strength(item.pixels))
    if cfa["strength"] >= 0.05:
        sign = 1.0 if cfa["mean_log_ratio"] >= 0 else -1.0
        maps["cfa"] = (R.cached(item, "cfa_map", lambda: cfa_map(item.pixels, sign, BLOCK)), 1.0)
    if item.format == "JPEG" and getattr(item.metadata, "quantization", None):
        hist = R.cached(item, "jpeg_history", lambda: compression_history(item))
        if hist.get("ghost_quality"):
            q = int(hist["ghost_quality"])
            gm = R.cached(item, f"ghost_map_{q}", lambda: ghost_map(gray, q, 16))
            maps["ghost"] = (_to_block32(gm, 16), 2.0)  # the sharpest map when a ghost exists
    em = R.cached(item, "ela_map", lambda: ela_map(gray))
    # two-sided: a pasted region has a higher error level in a lossless file and a lower one
    # after a global recompression (measured in benchmarks/local_edit_splice.py)
    maps["ela"] = (np.abs(R.robust_z(_to_block32(em, ELA_BLOCK))), 0.5)
    return maps


def fuse(maps: dict[str, tuple[np.ndarray, float]]) -> np.ndarray:
    """Weighted mean of the positive robust z parts, cropped to the common block grid."""
    hh = min(m.shape[0] for m, _ in maps.values())
    ww = min(m.shape[1] for m, _ in maps.values())
    acc = np.zeros((hh, ww), np.float32)
    wsum = 0.0
    for m, w in maps.values():
        acc += w * np.clip(R.robust_z(m[:hh, :ww]), 0, 10)
        wsum += w
    return acc / max(wsum, 1e-6)


def region_max(fused: np.ndarray, k: int = 3) -> float:
    """Largest mean fused z over a k x k window of blocks: a contiguous region, not scattered
    outliers (a real edit covers several neighbouring blocks)."""
    if min(fused.shape) < k:
        return float(fused.mean())
    return float(R.box_mean(fused, k)[k // 2 : -(k // 2) or None, k // 2 : -(k // 2) or None].max())


def top_mean(fused: np.ndarray, share: float = TOP_SHARE) -> float:
    v = np.sort(fused.ravel())[::-1]
    k = max(1, int(round(share * v.size)))
    return float(v[:k].mean())


@register
class LocalEditMap(Detector):
    method = "physical.local_edit"
    version = "0.1"
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels", "jpeg")
    category = "locally_edited"
    summary = {
        "zh": "局部篡改定位：噪声、CFA、JPEG 幽灵与 ELA 图融合热力图",
        "en": "local-edit localisation: fused heatmap of noise, CFA, JPEG-ghost and ELA maps",
    }

    def not_applicable_reason(self, item):
        h, w = item.pixels.shape[:2]
        if min(h, w) < 4 * BLOCK:
            return f"image too small for a block map ({w}x{h} < {4 * BLOCK} px on a side)"
        if R.is_flat(item.gray):
            return "image is flat (constant): nothing to localise"
        return None

    def analyze(self, item):
        maps = component_maps(item)
        fused = fuse(maps)
        score = top_mean(fused)
        path = R.save_heatmap(item, "physical.local_edit.png", fused, item.gray.shape)
        d = {
            "components": sorted(maps),
            "block": BLOCK,
            "top2pct_mean_z": round(score, 3),
            "region3_max_z": round(region_max(fused), 3),
            "share_z_gt_3": round(float(np.mean(fused > 3)), 4),
            "map_shape": list(fused.shape),
        }
        return self.finding(
            score,
            zh=f"融合局部篡改热力图（{'、'.join(sorted(maps))}），最异常 2% 区块平均 z 值 {score:.1f}",
            en=f"fused local-edit heatmap ({', '.join(sorted(maps))}); top-2% block mean z {score:.1f}",
            details=d,
            heatmap=path,
        )


def block_map_for_mask(fused: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Downsample a ground-truth mask (H x W, nonzero = edited) onto the fused map's grid."""
    m = (np.asarray(mask) > 0).astype(np.float32)
    return R.block_reduce(m, BLOCK)[: fused.shape[0], : fused.shape[1]]
