"""A small learned detector of generated images, run on high-pass residual patches.

What it measures: the probability that 64 x 64 patches of the image come from a generator rather
than a camera, judged by a tiny convolutional network (about 25 k parameters, ~100 KB, shipped as
`huiyan/data/models/learned_patch.onnx` and run with onnxruntime). The network sees the patches
only through two fixed high-pass residuals: a Laplacian-like residual and the
neighbouring-pixel-relation (NPR) residual, so it reads local pixel correlations, not content.
64 patches are taken on a deterministic grid (flat patches skipped); the image score is the
sigmoid of their mean logit (higher = generated).

Why it separates: the up-sampling layers of GAN and diffusion decoders impose local correlations
between neighbouring pixels that camera pipelines (demosaicing, sensor noise, optics) do not, and
those survive moderate JPEG compression and resizing better than global spectral peaks; training
with random resizing (0.5-1.5), blur and JPEG quality 60-100 applied to both classes keeps the
network from learning the format or size of the files.

Paper: C. Tan et al., "Rethinking the Up-Sampling Operations in CNN-based Generative Network for
Generalizable Deepfake Detection" (NPR), CVPR 2024, arXiv 2312.10461; training with blur and
JPEG augmentation after S.-Y. Wang et al., "CNN-generated images are surprisingly easy to spot...
for now", CVPR 2020, arXiv 1912.11035. Recipe, data version and leave-one-generator-out results:
`huiyan/data/models/README.md` and docs/LEARNED.md.

Known failure cases: trained on ~155 images (91 camera, 64 generated from 12 generator
families), so it is weak evidence on its own and must be fused; generators absent from training
can score low (measured leave-one-generator-out); strong JPEG (quality < 70) or downscaling
below half size erase the residual and push scores toward the middle; heavily denoised,
beautified or HDR phone photos, screenshots and renders can look generated; not applicable to
images under 96 px on a side or when the model file or onnxruntime is missing.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from huiyan.detectors.base import Detector, register

MODEL_FILE = "learned_patch.onnx"
RECIPE_FILE = "learned_patch.json"
DEFAULT_THRESHOLD = 0.5  # used only when the recipe file states no measured operating point


def model_path() -> Path | None:
    try:
        p = Path(str(resources.files("huiyan").joinpath("data/models", MODEL_FILE)))
    except (FileNotFoundError, ModuleNotFoundError):  # pragma: no cover - package data missing
        return None
    return p if p.is_file() else None


@lru_cache(maxsize=2)
def _scorer(path: str):
    from huiyan.learn.evaluate import OnnxPatchScorer

    return OnnxPatchScorer(path)


@lru_cache(maxsize=1)
def _recipe() -> dict:
    p = model_path()
    r = p.with_name(RECIPE_FILE) if p else None
    return json.loads(r.read_text()) if r and r.is_file() else {}


@register
class LearnedPatch(Detector):
    method = "fingerprint.learned_patch"
    version = "0.2"
    family = "fingerprint"
    media_types = ("image",)
    inputs = ("pixels",)
    category = "fully_generated"
    summary = {
        "zh": "小型学习检测器：高通残差图块（拉普拉斯 + NPR）上的卷积网络",
        "en": "small learned detector: a tiny CNN on high-pass residual patches (Laplacian + NPR)",
    }

    def not_applicable_reason(self, item):
        from huiyan.learn.patches import MIN_SIDE

        if model_path() is None:
            return f"model file {MODEL_FILE} is not installed with the package"
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return "onnxruntime is not installed"
        h, w = item.pixels.shape[:2]
        if min(h, w) < MIN_SIDE:
            return f"image too small for patch analysis ({w}x{h} < {MIN_SIDE} px on a side)"
        from huiyan.detectors import _residual as R

        if R.is_flat(item.gray):
            return "image is flat (constant): no pixel relations to learn from"
        return None

    def analyze(self, item):
        r = _scorer(str(model_path())).score(item.pixels)
        s = r["score"]
        op = _recipe().get("operating_point", {})
        threshold = float(op.get("threshold", DEFAULT_THRESHOLD))
        frac = r["patch_positive_fraction"]
        details = {
            **r,
            "threshold": threshold,
            "threshold_measured_fpr": op.get("protocols"),
            "model": MODEL_FILE,
            "data_version": _recipe().get("data_version", {}).get("sha256"),
        }
        if s >= threshold:
            zh = f"学习检测器判定图块像素关系更接近生成图像（得分 {s:.2f}，{frac:.0%} 的图块偏向生成）"
            en = f"learned patch detector: pixel relations look generated (score {s:.2f}, {frac:.0%} of patches lean generated)"
        elif s >= 0.5:
            zh = f"学习检测器略偏向生成，但未达到误报率 1% 的阈值 {threshold:.3f}（得分 {s:.2f}），证据弱"
            en = f"learned patch detector leans generated but stays below the 1%-false-positive threshold {threshold:.3f} (score {s:.2f}): weak evidence"
        else:
            zh = f"学习检测器判定图块像素关系更接近相机图像（得分 {s:.2f}，{frac:.0%} 的图块偏向生成）"
            en = f"learned patch detector: pixel relations look camera-like (score {s:.2f}, {frac:.0%} of patches lean generated)"
        return self.finding(s, zh=zh, en=en, details=details)
