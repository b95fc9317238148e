"""Sensor-noise statistics of the denoising residual, and a noise-inconsistency map.

What it measures: the residual of a content-suppressing high-pass (pixel minus the mean of its
four neighbours) on a grid of full-resolution tiles. From it: the noise level in flat blocks, how
that level rises with brightness (a camera's shot noise is signal dependent, Poisson-Gaussian),
the lag-1 spatial correlation of the residual (demosaicing and in-camera processing correlate
neighbours) and its kurtosis (camera noise is close to Gaussian; a generator's output is smooth
in flat areas and has a heavy-tailed residual made of edges only). A per-block noise-level map,
normalised by its median, is the noise-inconsistency map used to find spliced regions
(a pasted region carries a different noise level).

Why it separates: camera pipelines leave noise everywhere, growing with brightness; generators
denoise by construction and their flat regions are cleaner than any sensor at normal ISO.

Papers: Lyu, Pan, Zhang, "Exposing region splicing forgeries with blind local noise estimation",
IJCV 2014, doi:10.1007/s11263-013-0688-y; Mahdian & Saic, "Using noise inconsistencies for blind
image forensics", Image Vis. Comput. 2009, doi:10.1016/j.imavis.2009.04.004; Foi et al. 2008,
doi:10.1109/TIP.2008.2001399 (Poisson-Gaussian noise).

Score (higher = more evidence of generation): half the sum of log(kurtosis / 3) and minus the log
median block noise level (see `_score`). The choice between the median and the flat-area level
was made on the development data (docs/PIXEL_METHODS.md): a mild selection, noted as such. No LLR.

Failure cases: strong in-camera or publisher denoising, low-light images (high noise), heavy JPEG
or down-scaling (both remove noise: a resized camera photo looks "clean"), generated images with
added film grain, fully saturated or synthetic-graphics images. Computed on at most 16 tiles of
256 px (original grid, no resampling); the map covers the whole image in strips.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

TILE = 256
MAX_TILES = 16
MAP_BLOCK = 32


def noise_features(gray: np.ndarray) -> dict[str, float]:
    """Residual statistics over a grid of tiles of `gray` (float32 luma)."""
    all_res, lum, sig = [], [], []
    corr_num = corr_den = 0.0
    for t in R.iter_tiles(gray, TILE, MAX_TILES):
        r = R.linear_residual(t)[2:-2, 2:-2]
        all_res.append(r[::2, ::2].ravel())
        corr_num += float(np.mean(r[:, 1:] * r[:, :-1]) + np.mean(r[1:, :] * r[:-1, :])) / 2
        corr_den += float(np.mean(r * r))
        b = 16
        nb = R.block_noise_map(r, b).ravel()
        mb = R.block_reduce(t[2:-2, 2:-2], b).ravel()
        sig.append(nb)
        lum.append(mb)
    sig_a = np.concatenate(sig) if sig else np.zeros(0)
    lum_a = np.concatenate(lum) if lum else np.zeros(0)
    res = np.concatenate(all_res) if all_res else np.zeros(0)
    if sig_a.size < 8 or res.size < 64:
        raise ValueError("too few blocks for noise statistics")
    # flat blocks: lowest quarter of noise level among blocks not clipped at black or white
    ok = (lum_a > 8) & (lum_a < 247)
    s_ok, l_ok = (sig_a[ok], lum_a[ok]) if ok.sum() >= 8 else (sig_a, lum_a)
    q = np.quantile(s_ok, 0.25)
    flat = s_ok[s_ok <= q]
    flat_level = float(np.median(flat)) if flat.size else float(np.median(s_ok))
    # level vs brightness: Spearman-like correlation of (brightness rank, lower-envelope noise)
    order = np.argsort(l_ok)
    bins = np.array_split(order, 8)
    env = np.array([np.quantile(s_ok[bi], 0.2) for bi in bins if bi.size])
    br = np.array([np.mean(l_ok[bi]) for bi in bins if bi.size])
    slope = float(np.polyfit(br / 255.0, np.log(env + 0.05), 1)[0]) if env.size >= 3 else 0.0
    m2 = float(np.mean(res**2))
    kurt = float(np.mean(res**4) / max(m2 * m2, 1e-12))
    return {
        "flat_noise": round(flat_level, 4),
        "median_noise": round(float(np.median(s_ok)), 4),
        "level_vs_brightness_slope": round(slope, 4),
        "lag1_correlation": round(corr_num / max(corr_den, 1e-12), 4),
        "kurtosis": round(kurt, 3),
        "blocks": int(sig_a.size),
    }


def _score(f: dict[str, float]) -> float:
    # a clean image (low typical residual level) with a heavy-tailed residual (edges only, no
    # sensor noise between them) points to a generator
    return 0.5 * (np.log(max(f["kurtosis"], 1.0) / 3.0) - np.log(f["median_noise"] + 0.1))


def noise_inconsistency_map(gray: np.ndarray, block: int = MAP_BLOCK) -> np.ndarray:
    """Per-block robust z of log noise level relative to blocks of similar brightness.

    High values: blocks whose noise differs (either way) from the image's typical level at that
    brightness - the spliced-region cue of Mahdian & Saic / Lyu et al.
    """

    def strip(x: np.ndarray) -> np.ndarray:
        return R.block_reduce(np.abs(R.linear_residual(x)), block)

    noise = R.strip_blocks(gray, block, strip)
    lum = R.block_reduce(gray, block)[: noise.shape[0], : noise.shape[1]]
    ln = np.log(noise + 0.1)
    # remove the brightness trend with a per-brightness-bin median
    bins = np.clip((lum / 32).astype(int), 0, 7)
    trend = np.zeros_like(ln)
    for k in range(8):
        sel = bins == k
        if sel.any():
            trend[sel] = np.median(ln[sel])
    return np.abs(R.robust_z(ln - trend))


@register
class NoiseResidual(Detector):
    method = "physical.noise_residual"
    version = "0.1"
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels",)
    category = "fully_generated"
    summary = {
        "zh": "传感器噪声残差统计（平坦区噪声水平、亮度相关性、峰度）与噪声不一致性图",
        "en": "sensor-noise residual statistics (flat-area level, brightness dependence, kurtosis) and noise-inconsistency map",
    }

    def not_applicable_reason(self, item):
        small = R.too_small(item.pixels.shape)
        if small:
            return small
        if R.is_flat(item.gray):
            return "image is flat (constant): no noise residual to measure"
        return None

    def analyze(self, item):
        f = noise_features(item.gray)
        score = _score(f)
        heat = R.cached(item, "noise_map", lambda: noise_inconsistency_map(item.gray, MAP_BLOCK))
        path = R.save_heatmap(item, "physical.noise_residual.png", heat, item.gray.shape)
        f["map_block"] = MAP_BLOCK
        f["map_p99"] = round(float(np.percentile(heat, 99)), 3) if heat.size else 0.0
        clean = f["flat_noise"] < 0.6
        zh = (
            f"平坦区残差噪声水平 {f['flat_noise']:.2f}，峰度 {f['kurtosis']:.1f}"
            + ("；平坦区几乎无噪声，与相机成像不符（缩放或降噪也会如此）" if clean else "；存在传感器样噪声")
        )
        en = (
            f"flat-area residual noise {f['flat_noise']:.2f}, kurtosis {f['kurtosis']:.1f}"
            + ("; flat areas are almost noise-free, unlike a camera (down-scaling or denoising do the same)"
               if clean else "; sensor-like noise present")
        )
        return self.finding(score, zh=zh, en=en, details=f, heatmap=path)
