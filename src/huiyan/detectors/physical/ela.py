"""Error level analysis (ELA): a map of how much each region changes when re-saved as JPEG.

What it measures: the image is recompressed at quality 90 and the absolute difference is averaged
per 16x16 block, then divided by the block's own high-frequency activity (ELA is mostly a texture
detector otherwise). Regions with a different compression history from the rest - pasted from
another file, retouched, or generated and inserted - can show a different error level.

WEAK EVIDENCE, and said so: ELA has no error model, responds to texture, edges, colour and
saturation as much as to editing, and any global recompression (a messaging app, the laundered
protocol) equalises it. It is shipped as a map for the examiner to look at; its score (the 99th
percentile of the block z-scores of the normalised error level) is reported but should carry
little weight, and calibration is expected to give it almost none.

Paper: N. Krawetz, "A picture's worth: digital image analysis and forensics", Black Hat 2007
(hackerfactor.com/papers/bh-usa-07-krawetz-wp.pdf); critique in Zampoglou et al., "Large-scale
evaluation of splicing localization algorithms", MTAP 2017, doi:10.1007/s11042-016-3795-2.

Failure cases: everything above; lossless sources (PNG) have no prior error level to compare;
tiny or flat images. Works on the full image in strips (it needs the original 8x8 grid).
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

QUALITY = 90
BLOCK = 16


def ela_map(gray: np.ndarray, quality: int = QUALITY, block: int = BLOCK) -> np.ndarray:
    """Per-block error level divided by local residual activity (float32, block grid)."""

    def strip(x: np.ndarray) -> np.ndarray:
        err = R.block_reduce(np.abs(x - R.jpeg_roundtrip(x, quality)), block)
        act = R.block_reduce(np.abs(R.linear_residual(x)), block)
        return err / (act + 1.0)

    return R.strip_blocks(np.asarray(gray, np.float32), block, strip, rows=1024)


@register
class ErrorLevelAnalysis(Detector):
    method = "physical.ela"
    version = "0.1"
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels",)
    category = "locally_edited"
    summary = {
        "zh": "误差水平分析（ELA）区域图（证据力弱，仅供检验人员参考）",
        "en": "error level analysis (ELA) map (weak evidence, for the examiner's eye)",
    }

    def not_applicable_reason(self, item):
        small = R.too_small(item.pixels.shape)
        if small:
            return small
        if R.is_flat(item.gray):
            return "image is flat (constant): no error level to compare"
        return None

    def analyze(self, item):
        m = R.cached(item, "ela_map", lambda: ela_map(item.gray))
        z = R.robust_z(m)
        p99 = float(np.percentile(z, 99))
        path = R.save_heatmap(item, "physical.ela.png", m, item.gray.shape)
        d = {"quality": QUALITY, "block": BLOCK, "z_p99": round(p99, 3),
             "share_z_gt_4": round(float(np.mean(z > 4)), 4), "weak_evidence": True}
        return self.finding(
            p99,
            zh=f"ELA 区域图已生成（最高 1% 区块 z 值 {p99:.1f}）；ELA 对纹理和重压缩敏感，证据力弱",
            en=f"ELA map produced (top-1% block z {p99:.1f}); ELA reacts to texture and recompression: weak evidence",
            details=d,
            heatmap=path,
        )
