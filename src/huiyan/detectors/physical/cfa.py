"""Colour-filter-array (CFA) demosaicing trace: the period-2 interpolation pattern of cameras.

What it measures: a camera sensor records one colour per pixel through a Bayer mosaic and
interpolates the other two. In the green channel the interpolated pixels form a quincunx
(checkerboard) lattice on which the four-neighbour prediction error is much smaller than on the
lattice of recorded pixels. The method computes that prediction error on full-resolution tiles
and compares its energy on the two checkerboard phases; the absolute log ratio is the CFA trace
strength. A per-block signed version (relative to the image's dominant phase) gives a map in
which regions without the camera's pattern - pasted, resampled or inpainted - stand out.

Why it separates: generators synthesise all three channels at once and leave no mosaic; a camera
original at full resolution carries it.

Papers: Popescu & Farid, "Exposing digital forgeries in color filter array interpolated images",
IEEE TSP 2005, doi:10.1109/TSP.2005.855406; Dirik & Memon, "Image tamper detection based on
demosaicing artifacts", ICIP 2009, doi:10.1109/ICIP.2009.5414611; Ferrara et al. 2012,
doi:10.1109/TIFS.2012.2202227 (local CFA map).

Score (higher = more evidence of generation): exp(-strength / 0.05), in (0, 1]; 1 means no
trace at all. No LLR.

Not applicable when the trace is absent *and* the file says why it would be absent anyway: a
JPEG with coarse quantisation (estimated quality below ~85) wipes the pattern, so its absence
there is not evidence. Resizing also destroys it and cannot always be recognised from content:
absence on a resized camera photo is a known false positive. Other failure cases: cameras with
non-Bayer sensors (Foveon, some X-Trans demosaicing), in-camera downscaling (most phone photos
are saved at sensor resolution, but not all), generated images that were deliberately
re-mosaiced. Works on at most 16 tiles of 256 px on the original grid (never a downscaled copy).
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

TILE = 256
MAX_TILES = 16
MAP_BLOCK = 32
TRACE_REF = 0.05  # strength at which the score falls to 1/e


def _phase_energy(green: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Four-neighbour prediction-error energy of `green` summed per `block` x `block` cell,
    separately on its two checkerboard phases ((y + x) even, (y + x) odd)."""
    e = R.linear_residual(green) ** 2
    e = e[: e.shape[0] // block * block, : e.shape[1] // block * block]  # whole cells only
    h = block // 2
    even = R.block_reduce(e[0::2, 0::2], h) + R.block_reduce(e[1::2, 1::2], h)
    odd = R.block_reduce(e[0::2, 1::2], h) + R.block_reduce(e[1::2, 0::2], h)
    return even, odd


def cfa_strength(rgb: np.ndarray) -> dict[str, float]:
    """Global CFA trace: mean and per-tile consistency of the green-channel phase log ratio."""
    ratios = []
    for t in R.iter_tiles(rgb, TILE, MAX_TILES):
        g = t[..., 1].astype(np.float32)[2:-2, 2:-2]  # drop the reflected border
        e0, e1 = _phase_energy(g, 4)
        a, b = float(e0.sum()), float(e1.sum())
        if a + b > 1e-3 * g.size:  # skip tiles with no texture at all
            ratios.append(np.log((a + 1e-6) / (b + 1e-6)))
    if not ratios:
        raise ValueError("no textured tile for a CFA estimate")
    r = np.array(ratios)
    mean = float(r.mean())
    # consistency: the same phase must win in every tile (camera lattice is global)
    agree = float(np.mean(np.sign(r) == np.sign(mean))) if mean != 0 else 0.0
    strength = abs(mean) * agree
    return {"strength": round(strength, 4), "mean_log_ratio": round(mean, 4),
            "tile_agreement": round(agree, 3), "tiles": len(ratios)}


def cfa_map(rgb: np.ndarray, sign: float, block: int = MAP_BLOCK) -> np.ndarray:
    """Per-block missing-trace map: high where the dominant-phase log ratio is weak or reversed."""

    def strip(x: np.ndarray) -> np.ndarray:
        a, b = _phase_energy(x[..., 1].astype(np.float32), block)
        return np.log((a + 1e-3) / (b + 1e-3)) * sign

    m = R.strip_blocks(rgb, block, strip)
    ref = float(np.median(m))
    return np.clip(ref - m, 0, None).astype(np.float32)


def jpeg_quality_estimate(quant: dict[int, list[int]] | None) -> float | None:
    """Rough IJG quality from the luma table (the mean of its 64 steps vs the standard table)."""
    if not quant or 0 not in quant:
        return None
    mean_step = float(np.mean(quant[0]))
    std_mean = 57.625  # mean of the IJG standard luminance table (quality 50)
    scale = mean_step / std_mean * 100.0  # IJG scale factor in percent
    q = (200.0 - scale) / 2.0 if scale <= 100 else 5000.0 / scale
    return float(np.clip(q, 1, 100))


@register
class CFATrace(Detector):
    method = "physical.cfa"
    version = "0.1"
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels", "jpeg")
    category = "fully_generated"
    summary = {
        "zh": "CFA 去马赛克周期-2 插值痕迹（得分与区域图）",
        "en": "CFA demosaicing period-2 interpolation trace (score and map)",
    }

    def not_applicable_reason(self, item):
        small = R.too_small(item.pixels.shape)
        if small:
            return small
        if R.is_flat(item.gray):
            return "image is flat (constant): no interpolation pattern to measure"
        return None

    def analyze(self, item):
        f = dict(R.cached(item, "cfa_strength", lambda: cfa_strength(item.pixels)))
        q = jpeg_quality_estimate(getattr(item.metadata, "quantization", None)) if item.format == "JPEG" else None
        f["jpeg_quality_estimate"] = None if q is None else round(q, 1)
        if f["strength"] < TRACE_REF and q is not None and q < 85:
            return self.not_applicable(
                f"no CFA trace, but the JPEG quality (~{q:.0f}) is too low for one to survive",
                zh=f"不适用：未见 CFA 痕迹，但 JPEG 质量（约 {q:.0f}）过低，痕迹本就无法保留",
                **f,
            )
        score = float(np.exp(-f["strength"] / TRACE_REF))
        sign = 1.0 if f["mean_log_ratio"] >= 0 else -1.0
        heat = R.cached(item, "cfa_map", lambda: cfa_map(item.pixels, sign, MAP_BLOCK))
        path = R.save_heatmap(item, "physical.cfa.png", heat, item.gray.shape)
        if f["strength"] >= TRACE_REF:
            zh = f"检出一致的 CFA 插值痕迹（强度 {f['strength']:.3f}），符合相机原始成像"
            en = f"consistent CFA interpolation trace (strength {f['strength']:.3f}), as in a camera original"
        else:
            zh = f"未检出 CFA 插值痕迹（强度 {f['strength']:.3f}）：生成图像或经缩放/重压缩的图像均如此"
            en = (f"no CFA interpolation trace (strength {f['strength']:.3f}): true of generated images and of "
                  "resized or recompressed ones alike")
        return self.finding(score, zh=zh, en=en, details=f, heatmap=path)
