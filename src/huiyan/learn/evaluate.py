"""Scoring whole images with the exported ONNX model, the evaluation protocols and the metrics.

Inference needs only numpy, Pillow and onnxruntime. An image is scored from a fixed number of
patches sampled deterministically (`huiyan.learn.patches.sample_patches`); the image score is
the sigmoid of the mean patch logit, so it is in [0, 1] and higher means "generated".

Protocols (DESIGN.md section 5) for a pixel-only method: *delivered* and *stripped* give the same
pixels (the method never reads metadata), *laundered* is a JPEG re-encode at quality 90, *resized*
a Lanczos downscale to half size followed by JPEG quality 90: `apply_protocol` calls the
harness's own transform (`huiyan.bench.protocols.protocol_pixels`). Until 2026-11-25 this module
had its own copy with a bicubic downscale; the numbers in docs/LEARNED.md were measured with it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from huiyan.learn.patches import PATCH, sample_patches

N_PATCHES = 64
PROTOCOLS = ("stripped", "laundered", "resized")


class OnnxPatchScorer:
    """A patch classifier exported to ONNX (input `patches`: N x 3 x P x P float32 in [0, 1],
    output `logits`: N), run with onnxruntime on one thread."""

    def __init__(self, model_path: str | Path, n_patches: int = N_PATCHES, patch: int = PATCH):
        import onnxruntime as ort

        self.model_path = Path(model_path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(self.model_path), opts, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.n_patches = n_patches
        self.patch = patch

    def patch_logits(self, patches: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(patches.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        return np.asarray(self.session.run(None, {self.input_name: x})[0], dtype=np.float64).reshape(-1)

    def score(self, rgb: np.ndarray) -> dict:
        patches, candidates = sample_patches(rgb, self.n_patches, self.patch)
        if len(patches) == 0:
            raise ValueError(f"image {rgb.shape[1]}x{rgb.shape[0]} is smaller than one {self.patch} px patch")
        logits = self.patch_logits(patches)
        mean = float(logits.mean())
        return {
            "score": float(1.0 / (1.0 + np.exp(-mean))),
            "mean_logit": mean,
            "patch_positive_fraction": float((logits > 0).mean()),
            "patch_logit_std": float(logits.std()),
            "n_patches": int(len(patches)),
            "n_candidates": int(candidates),
        }


def reference_score(model_path: str | Path) -> dict:
    """The model's mean patch logit (and its spread) on a synthetic image that needs no data
    (huiyan.detectors.fingerprint.clip_probe.reference_image), recorded with the model so that a
    test can check on any machine that onnxruntime reproduces it (integer kernels, for one, are
    CPU-dependent: docs/CLIP_PROBE.md, version 0.4)."""
    import onnxruntime

    from huiyan.detectors.fingerprint.clip_probe import reference_image

    r = OnnxPatchScorer(model_path).score(reference_image())
    return {"image": "clip_probe.reference_image()", "mean_logit": round(r["mean_logit"], 6),
            "patch_logit_std": round(r["patch_logit_std"], 6), "onnxruntime": onnxruntime.__version__}


# protocols ------------------------------------------------------------------------------------
def apply_protocol(rgb: np.ndarray, protocol: str) -> np.ndarray:
    """Pixels under a test protocol: the harness's reference transform, in memory."""
    from huiyan.bench.protocols import protocol_pixels

    return protocol_pixels(rgb, protocol)


# metrics --------------------------------------------------------------------------------------
def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties count half); nan when a side is empty."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def tpr_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float = 0.01) -> float:
    """True-positive rate at the smallest threshold whose false-positive rate is <= fpr."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    k = int(np.floor(fpr * len(neg)))  # negatives allowed above the threshold
    thr = np.sort(neg)[::-1][k] if k < len(neg) else -np.inf
    return float((pos > thr).mean())


def eer(pos: np.ndarray, neg: np.ndarray) -> float:
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    best = 1.0
    for t in np.unique(np.concatenate([pos, neg])):
        fnr, fp = (pos < t).mean(), (neg >= t).mean()
        best = min(best, max(fnr, fp))
    return float(best)


def summarize(scores: list[dict], threshold: float) -> dict:
    """Metrics of one protocol from rows {label, group, fmt, score}."""
    pos = np.array([r["score"] for r in scores if r["label"] == 1])
    neg = np.array([r["score"] for r in scores if r["label"] == 0])
    out = {
        "n_generated": int(len(pos)),
        "n_real": int(len(neg)),
        "auc": auc(pos, neg),
        "eer": eer(pos, neg),
        "tpr_at_1pct_fpr": tpr_at_fpr(pos, neg, 0.01),
        "fpr_at_threshold": float((neg >= threshold).mean()) if len(neg) else float("nan"),
        "tpr_at_threshold": float((pos >= threshold).mean()) if len(pos) else float("nan"),
        "per_group": {},
        "per_format": {},
    }
    for g in sorted({r["group"] for r in scores if r["label"] == 1}):
        gp = np.array([r["score"] for r in scores if r["label"] == 1 and r["group"] == g])
        out["per_group"][g] = {
            "n": int(len(gp)),
            "auc_vs_all_real": auc(gp, neg),
            "tpr_at_threshold": float((gp >= threshold).mean()),
        }
    for g in sorted({r["group"] for r in scores if r["label"] == 0}):
        gn = np.array([r["score"] for r in scores if r["label"] == 0 and r["group"] == g])
        out["per_group"][g] = {
            "n": int(len(gn)),
            "auc_all_generated_vs_this": auc(pos, gn),
            "fpr_at_threshold": float((gn >= threshold).mean()),
        }
    for fmt in sorted({r["fmt"] for r in scores}):
        fp = np.array([r["score"] for r in scores if r["label"] == 1 and r["fmt"] == fmt])
        fn = np.array([r["score"] for r in scores if r["label"] == 0 and r["fmt"] == fmt])
        out["per_format"][fmt] = {
            "n_generated": int(len(fp)),
            "n_real": int(len(fn)),
            "auc_within_format": auc(fp, fn),
        }
    return out


def operating_point(rows: list[dict], max_fpr: float = 0.01) -> dict:
    """The shipped threshold: the lowest score at which the out-of-sample false-positive rate on
    real images stays <= max_fpr under every protocol, with the rates measured at it."""
    protos = sorted({r["protocol"] for r in rows})
    thr = 0.5
    for p in protos:
        neg = np.sort([r["score"] for r in rows if r["protocol"] == p and r["label"] == 0])[::-1]
        k = int(np.floor(max_fpr * len(neg)))
        if k < len(neg):
            thr = max(thr, float(np.nextafter(neg[k], np.inf)))
    out = {"threshold": thr, "max_fpr": max_fpr, "protocols": {}}
    for p in protos:
        pos = np.array([r["score"] for r in rows if r["protocol"] == p and r["label"] == 1])
        neg = np.array([r["score"] for r in rows if r["protocol"] == p and r["label"] == 0])
        out["protocols"][p] = {"fpr": float((neg >= thr).mean()), "tpr": float((pos >= thr).mean())}
    return out
