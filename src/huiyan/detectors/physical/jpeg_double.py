"""Compression history of a JPEG: aligned and non-aligned double quantisation, and JPEG ghosts.

What it measures, on the decoded luma of a JPEG file (a centre crop of at most 768 x 768 on
the file's own 8x8 grid):
- aligned double quantisation (A-DJPG): the 8x8 DCT coefficients divided by the file's own
  quantisation steps form integer histograms; a single compression gives a smooth, Laplacian-like
  histogram, a second compression with a different step gives periodic gaps or peaks. The
  roughness of the log histogram (second difference) at low frequencies is the measure;
- non-aligned double compression (NA-DJPG): blocking discontinuities at a phase of the 8-pixel
  grid other than the file's own, left by an earlier compression before a crop;
- JPEG ghosts: the squared difference between the image and its recompression at qualities
  50..100 dips at the quality of an earlier compression; the depth of such a secondary dip, and
  a per-block map at that quality (regions that lack the ghost were pasted in).

Why it matters: an untouched camera JPEG is compressed once. An image that was opened, edited and
saved again carries two compression histories, and a pasted region carries a different one.
This is evidence of processing, NOT of generation: re-saving a camera photo (as publishers and
messaging apps do, and as the laundered protocol does to every file) produces the same trace.

Papers: Farid, "Exposing digital forgeries from JPEG ghosts", IEEE TIFS 2009,
doi:10.1109/TIFS.2008.2012215; Bianchi & Piva, "Image forgery localization via block-grained
analysis of JPEG artifacts", IEEE TIFS 2012, doi:10.1109/TIFS.2012.2187516; Lukas & Fridrich 2003
(double quantisation histograms).

Score (higher = more evidence of a second compression): sum of the three normalised components.
Not applicable to non-JPEG input (the premise fails: there is no quantisation table). Failure
cases: the same quality used twice (no DQ trace), second quality much lower than the first (the
first is erased), resizing between compressions, very small or flat images (too few non-zero
coefficients), chroma-only edits.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

CROP = 768
GHOST_QUALITIES = tuple(range(50, 101, 5))
DQ_POSITIONS = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2))


def _center_crop8(gray: np.ndarray, size: int = CROP) -> np.ndarray:
    h, w = gray.shape
    ch, cw = min(h, size) // 8 * 8, min(w, size) // 8 * 8
    y0, x0 = (h - ch) // 2 // 8 * 8, (w - cw) // 2 // 8 * 8
    return gray[y0 : y0 + ch, x0 : x0 + cw]


def dq_roughness(gray: np.ndarray, qtable: np.ndarray) -> float:
    """Mean |second difference of log histogram| of quantised low-frequency DCT coefficients."""
    coef = R.block_dct8(gray)
    vals = []
    for u, v in DQ_POSITIONS:
        k = np.abs(np.rint(coef[:, :, u, v] / max(float(qtable[u, v]), 1.0))).astype(int).ravel()
        h = np.bincount(k[(k >= 1) & (k <= 24)], minlength=25)[1:]
        keep = np.nonzero(h >= 20)[0]
        n = int(keep[-1]) + 1 if keep.size else 0
        if n < 5:
            continue
        lh = np.log(h[:n] + 1.0)
        d2 = np.abs(lh[2:] - 2 * lh[1:-1] + lh[:-2])
        vals.append(float(np.mean(d2)))
    return float(np.mean(vals)) if vals else 0.0


def ghost_curve(gray: np.ndarray) -> np.ndarray:
    """Mean squared difference between `gray` and its recompression at each GHOST_QUALITIES."""
    return np.array([float(np.mean((gray - R.jpeg_roundtrip(gray, q)) ** 2)) for q in GHOST_QUALITIES])


def ghost_dip(curve: np.ndarray, own_quality: float | None) -> tuple[float, int | None]:
    """Depth of the deepest local minimum of the curve below the file's own quality."""
    best, best_q = 0.0, None
    for i in range(1, len(curve) - 1):
        q = GHOST_QUALITIES[i]
        if own_quality is not None and q >= own_quality - 2:
            continue
        lo = min(curve[i - 1], curve[i + 1])
        if curve[i] < lo:
            depth = (lo - curve[i]) / max(lo, 1e-6)
            if depth > best:
                best, best_q = depth, q
    return float(best), best_q


def nonaligned_grid(gray: np.ndarray) -> dict[str, float]:
    """Strength of an 8-periodic blocking grid at phases other than the file's own (7|0)."""
    rows, cols = R.grid_profiles(gray, 8)
    out = {}
    for name, p in (("rows", rows), ("cols", cols)):
        base = float(np.median(p)) + 1e-6
        other = [p[k] for k in range(8) if k not in (7, 0)]
        out[f"aligned_{name}"] = round(float((p[7] + p[0]) / 2 / base - 1), 4)
        out[f"shifted_{name}"] = round(float(max(other) / base - 1), 4)
    out["shifted"] = round(min(out["shifted_rows"], out["shifted_cols"]), 4)
    return out


def ghost_map(gray: np.ndarray, quality: int, block: int = 16) -> np.ndarray:
    """Per-block recompression difference at `quality`, normalised by local activity.

    Blocks that went through a compression at `quality` before show a low value; a pasted
    region (another history) a high one.
    """

    def strip(x: np.ndarray) -> np.ndarray:
        d = R.block_reduce((x - R.jpeg_roundtrip(x, quality)) ** 2, block)
        act = R.block_reduce(np.abs(R.linear_residual(x)), block)
        return d / (act + 1.0)

    return R.strip_blocks(np.asarray(gray, np.float32), block, strip, rows=1024)


def compression_history(item) -> dict[str, float | int | None]:
    """All three measurements for a JPEG item."""
    from huiyan.detectors.physical.cfa import jpeg_quality_estimate

    quant = item.metadata.quantization
    qt = np.array(quant[0], np.float32).reshape(8, 8)
    own_q = jpeg_quality_estimate(quant)
    crop = _center_crop8(item.gray)
    curve = ghost_curve(crop)
    dip, dip_q = ghost_dip(curve, own_q)
    d = {
        "quality_estimate": None if own_q is None else round(own_q, 1),
        "dq_roughness": round(dq_roughness(crop, qt), 4),
        "ghost_dip": round(dip, 4),
        "ghost_quality": dip_q,
        "ghost_curve": [round(c, 3) for c in curve],
    }
    d.update(nonaligned_grid(crop))
    return d


@register
class DoubleJPEG(Detector):
    method = "physical.jpeg_double"
    version = "0.1"
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels", "jpeg")
    category = "locally_edited"
    summary = {
        "zh": "JPEG 压缩历史：对齐/非对齐双重量化与 JPEG 幽灵",
        "en": "JPEG compression history: aligned/non-aligned double quantisation and JPEG ghosts",
    }

    def not_applicable_reason(self, item):
        if item.format != "JPEG" or not getattr(item.metadata, "quantization", None):
            return "not a JPEG file: there is no compression history to read"
        small = R.too_small(item.pixels.shape)
        if small:
            return small
        if R.is_flat(item.gray):
            return "image is flat (constant): no DCT coefficients to analyse"
        return None

    def analyze(self, item):
        d = dict(R.cached(item, "jpeg_history", lambda: compression_history(item)))
        # each component normalised to ~1 at a clear trace
        dq = max(0.0, d["dq_roughness"] - 0.15) / 0.3
        ghost = d["ghost_dip"] / 0.1
        na = max(0.0, d["shifted"]) / 0.3
        score = dq + ghost + na
        d["components"] = {"dq": round(dq, 3), "ghost": round(ghost, 3), "nonaligned": round(na, 3)}
        path = None
        if d["ghost_quality"] is not None:
            q = int(d["ghost_quality"])
            heat = R.cached(item, f"ghost_map_{q}", lambda: ghost_map(item.gray, q, 16))
            path = R.save_heatmap(item, "physical.jpeg_double.png", heat, item.gray.shape)
        traces = [k for k, v in d["components"].items() if v >= 1.0]
        if traces:
            zh = f"检出二次压缩痕迹（{'、'.join(traces)}）：图像曾被再次保存，本身不能说明内容被生成或篡改"
            en = (f"double-compression traces ({', '.join(traces)}): the image was saved again; this alone "
                  "does not show generation or editing")
        else:
            zh = "未检出二次压缩痕迹（符合单次压缩，或两次质量相同）"
            en = "no double-compression trace (single compression, or the same quality twice)"
        return self.finding(score, zh=zh, en=en, details=d, heatmap=path)
