"""Face-region consistency for deepfake stills: noise, blending boundary and frequency content of
the face compared with the rest of the image.

What it measures, for each detected face (OpenCV's bundled Haar cascade through `item.faces`,
up to three faces): on the four-neighbour residual,
- the log ratio of the face's noise level (median |residual| in the inner face box) to that of
  the background at similar brightness (a swapped face is rendered by a decoder and blended in,
  so it carries another noise level, usually lower);
- the log ratio of high- to mid-frequency residual energy inside vs outside the face;
- a blending-boundary cue: the residual energy in a thin band on the box border relative to the
  band's two sides (a pasted face often leaves a seam or a smoothing halo around it).
The score is the largest, over faces, of |noise log ratio| + |frequency log ratio| + boundary
excess.

Why it separates: in a camera photo the face and the background come from the same sensor and
pipeline; a face swap (autoencoder, GAN or graphics-based) is produced elsewhere and blended.

Papers: Li et al., "Face X-ray for more general face forgery detection", CVPR 2020,
arXiv:1912.13458 (blending boundary); Li & Lyu, "Exposing deepfake videos by detecting face
warping artifacts", CVPRW 2019, arXiv:1811.00656; Lyu et al. 2014, doi:10.1007/s11263-013-0688-y
(local noise). Face detector: Viola & Jones 2001, doi:10.1109/CVPR.2001.990517.

Not applicable when no face is found. Failure cases: profile or small faces (the Haar cascade
misses them), make-up and beauty filters (smooth skin, low noise, in real photos), shallow depth
of field (a sharp face on a blurred background), heavy recompression (the video-frame deepfakes
in the data are H.264 frames whose noise is codec noise), whole-image generated portraits
(consistent everywhere, so not found here: that is the fingerprint family's job).
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

MAX_FACES = 3
MIN_FACE = 48


def _band_masks(shape, box, inner=0.15, outer=0.35, band=0.06):
    h, w = shape
    x, y, bw, bh = box
    yy, xx = np.ogrid[:h, :w]

    def rect(f):
        return ((yy >= y - f * bh) & (yy < y + bh + f * bh) & (xx >= x - f * bw) & (xx < x + bw + f * bw))

    face = rect(-inner)
    border = rect(band / 2) & ~rect(-band / 2)  # a band straddling the box edge
    ring_in = rect(-band / 2) & ~rect(-1.5 * band)
    ring_out = rect(1.5 * band) & ~rect(band / 2)
    around = rect(outer) & ~rect(0.0)
    return face, ring_in, border, ring_out, around


def face_features(gray: np.ndarray, box: tuple[int, int, int, int]) -> dict[str, float]:
    """Noise, frequency and boundary statistics of one face box against its surroundings."""
    x, y, bw, bh = box
    h, w = gray.shape
    # work on a window around the face (bounded cost, original grid)
    m = int(0.6 * max(bw, bh))
    y0, y1, x0, x1 = max(0, y - m), min(h, y + bh + m), max(0, x - m), min(w, x + bw + m)
    win = np.asarray(gray[y0:y1, x0:x1], np.float32)
    # residuals on the original grid; statistics on every k-th pixel so a large face costs no more
    # than one of ~256 px
    k = max(1, int(np.ceil(max(bw, bh) / 256)))
    r = np.abs(R.linear_residual(win))[::k, ::k]
    mid = np.abs(R.linear_residual(R.box_mean(win, 3)))[::k, ::k]  # blurred copy: mid frequencies
    face, ring_in, border, ring_out, around = _band_masks(
        r.shape, ((x - x0) / k, (y - y0) / k, bw / k, bh / k))
    if face.sum() < 64 or around.sum() < 64:
        raise ValueError("face window too small")
    noise_face = float(np.median(r[face])) + 0.05
    noise_bg = float(np.median(r[around])) + 0.05
    hf_face = float(r[face].mean() / (mid[face].mean() + 1e-3))
    hf_bg = float(r[around].mean() / (mid[around].mean() + 1e-3))
    b = float(r[border].mean())
    sides = (float(r[ring_in].mean()) + float(r[ring_out].mean())) / 2 + 1e-3
    return {
        "noise_log_ratio": round(float(np.log(noise_face / noise_bg)), 4),
        "hf_log_ratio": round(float(np.log(hf_face / hf_bg)), 4),
        "boundary_excess": round(float(np.log(b / sides)), 4),
    }


def face_score(f: dict[str, float]) -> float:
    return abs(f["noise_log_ratio"]) + abs(f["hf_log_ratio"]) + max(0.0, f["boundary_excess"])


@register
class FaceRegionConsistency(Detector):
    method = "physical.face_region"
    version = "0.1"
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels", "faces")
    category = "face_manipulated"
    summary = {
        "zh": "人脸区域与其余画面的噪声、融合边界与频率一致性（深度伪造静态图）",
        "en": "face region vs rest of image: noise, blending boundary and frequency consistency (deepfake stills)",
    }

    def not_applicable_reason(self, item):
        small = R.too_small(item.pixels.shape)
        if small:
            return small
        if R.is_flat(item.gray):
            return "image is flat (constant): no face to examine"
        faces = [b for b in item.faces if min(b[2], b[3]) >= MIN_FACE]
        if not faces:
            return f"no frontal face of at least {MIN_FACE} px found"
        return None

    def analyze(self, item):
        faces = [b for b in item.faces if min(b[2], b[3]) >= MIN_FACE][:MAX_FACES]
        per = []
        for box in faces:
            try:
                f = face_features(item.gray, box)
            except ValueError:
                continue
            f["box"] = [int(v) for v in box]
            f["score"] = round(face_score(f), 4)
            per.append(f)
        if not per:
            return self.not_applicable("faces found but too close to the border to compare with their surroundings")
        top = max(per, key=lambda f: f["score"])
        score = top["score"]
        heat = np.zeros(item.gray.shape[:2], np.float32)[::8, ::8].copy()
        for f in per:
            x, y, w, h = f["box"]
            heat[y // 8 : (y + h) // 8 + 1, x // 8 : (x + w) // 8 + 1] = f["score"]
        path = R.save_heatmap(item, "physical.face_region.png", heat, item.gray.shape)
        zh = (f"人脸区域与周围背景：噪声对数比 {top['noise_log_ratio']:+.2f}，高频对数比 {top['hf_log_ratio']:+.2f}，"
              f"边界残差 {top['boundary_excess']:+.2f}")
        en = (f"face vs surroundings: noise log ratio {top['noise_log_ratio']:+.2f}, high-frequency log ratio "
              f"{top['hf_log_ratio']:+.2f}, boundary excess {top['boundary_excess']:+.2f}")
        return self.finding(score, zh=zh, en=en, details={"faces": per}, heatmap=path)
