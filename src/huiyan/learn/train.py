"""Train the small learned patch detector on CPU, export it to ONNX, measure it leave-one-out.

    python -m huiyan.learn.train --data ../shared/data --out models      (what `make train` runs)

Needs the optional `train` extra (CPU torch, `torch==2.13.0`); inference never imports torch.

The network (`PatchNet`) sees only 64 x 64 patches, and only through two fixed high-pass
residuals computed inside the model: a Laplacian-like residual (pixel minus the mean of its 8
neighbours) and the neighbouring-pixel-relation residual of NPR (Tan et al., "Rethinking the
up-sampling operations in CNN-based generative network for generalizable deepfake detection",
CVPR 2024, arXiv 2312.10461): the pixel minus the top-left pixel of its 2 x 2 cell, which is
zero-mean for camera pixels but carries the periodic correlations that nearest/transposed-conv
up-sampling leaves in generated images. Four small convolution layers and a global average pool
follow (about 25 k parameters, ~100 KB of weights). Removing the image content (colour, layout,
subject) before the network sees it is what keeps it from learning "illustration vs photo".

Recipe: patch pool of `--per-image` augmented patches per image (random resize 0.5-1.5 with a
random resampling filter, Gaussian blur with p=0.15, JPEG quality 60-100 with p=0.8 for both
classes, random crop, horizontal flip), class-balanced sampling with generator/source groups
weighted 1/sqrt(size) inside each class, Adam, cosine learning rate, binary cross-entropy.

Evaluation: the folds of `huiyan.learn.dataset.FOLDS` each hold out whole generator families and
whole real sources; each fold's model is exported to ONNX and scores its held-out images with
onnxruntime under the stripped, laundered and resized protocols. The shipped model is trained on
all images; the numbers reported are the out-of-sample ones.

Known failure cases: generators whose up-sampling leaves no local correlation after JPEG and
downscaling (the residuals fade; the score drifts to the prior), heavily denoised or
beautified camera images (smooth residuals look generated), screenshots and renders, and images
smaller than 96 px (not applicable).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from huiyan.learn.dataset import (
    FOLDS,
    AugmentRecipe,
    Sample,
    assign_folds,
    build_pool,
    load_samples,
    manifest_sha256,
)
from huiyan.learn.patches import PATCH

MODEL_NAME = "learned_patch"
SHIP_DIR = Path(__file__).resolve().parents[1] / "data" / "models"


class PatchNet(nn.Module):
    """Fixed high-pass residuals (Laplacian + NPR) then a tiny CNN; one logit per patch."""

    def __init__(self, widths: tuple[int, ...] = (8, 16, 32, 64), dropout: float = 0.2):
        super().__init__()
        lap = -torch.ones(3, 1, 3, 3) / 8.0
        lap[:, :, 1, 1] = 1.0
        self.register_buffer("lap", lap)
        layers: list[nn.Module] = []
        c_in = 6
        for i, c in enumerate(widths):
            layers += [
                nn.Conv2d(c_in, c, 3, stride=1 if i == 0 else 2, padding=1, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
            ]
            c_in = c
        self.trunk = nn.Sequential(*layers)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(c_in, 1)

    def residuals(self, x: torch.Tensor) -> torch.Tensor:
        lap = F.conv2d(x, self.lap, groups=3)  # valid: P-2
        npr = x - F.interpolate(x[:, :, ::2, ::2], scale_factor=2.0, mode="nearest")
        npr = npr[:, :, 1:-1, 1:-1]
        return torch.cat([lap, npr], dim=1) * 16.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: N x 3 x P x P in [0, 1]
        h = self.trunk(self.residuals(x))
        h = h.mean(dim=(2, 3))
        return self.head(self.drop(h)).squeeze(1)


def export_onnx(model: PatchNet, path: Path, patch: int = PATCH) -> Path:
    """Export with a dynamic batch axis; input `patches` (N x 3 x P x P), output `logits` (N)."""
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.rand(2, 3, patch, patch)
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["patches"],
        output_names=["logits"],
        dynamic_axes={"patches": {0: "n"}, "logits": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    return path


def sample_weights(samples: list[Sample], owner: np.ndarray, train_idx: set[int]) -> np.ndarray:
    """Per-patch sampling weight: classes equal, groups 1/sqrt(size) inside a class."""
    group_n: dict[tuple[int, str], int] = {}
    for i in train_idx:
        k = (samples[i].label, samples[i].group)
        group_n[k] = group_n.get(k, 0) + 1
    w_img = np.zeros(len(samples))
    for i in train_idx:
        k = (samples[i].label, samples[i].group)
        w_img[i] = 1.0 / (group_n[k] * np.sqrt(group_n[k]))  # image share of a group ~ sqrt(n)
    for lab in (0, 1):
        m = np.array([s.label == lab for s in samples]) & (w_img > 0)
        if m.any():
            w_img[m] /= w_img[m].sum()
    per_img = np.bincount(owner, minlength=len(samples)).astype(float)
    w = w_img[owner] / np.maximum(per_img[owner], 1)
    return w / w.sum()


def fit(
    pool: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    steps: int,
    batch: int,
    seed: int,
    lr: float = 3e-3,
    log=print,
) -> tuple[PatchNet, list[float]]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = PatchNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    model.train()
    losses = []
    for step in range(steps):
        idx = rng.choice(len(pool), size=batch, p=weights)
        x = torch.from_numpy(pool[idx]).permute(0, 3, 1, 2).float().div_(255.0)
        y = torch.from_numpy(labels[idx]).float()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if log and (step + 1) % 100 == 0:
            log(f"    step {step + 1}/{steps} loss {np.mean(losses[-100:]):.4f}")
    model.eval()
    return model, losses


def score_samples(onnx_path: Path, samples: list[Sample], fold: int, log=print) -> list[dict]:
    from huiyan.learn.evaluate import PROTOCOLS, OnnxPatchScorer, apply_protocol
    from huiyan.media.image import decode_rgb

    scorer = OnnxPatchScorer(onnx_path)
    rows = []
    for s in samples:
        rgb = decode_rgb(s.path)
        for proto in PROTOCOLS:
            r = scorer.score(apply_protocol(rgb, proto))
            rows.append(
                {
                    "path": str(s.path.name),
                    "label": s.label,
                    "group": s.group,
                    "fmt": s.fmt,
                    "fold": fold,
                    "protocol": proto,
                    **r,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m huiyan.learn.train", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--data", type=Path, required=True, help="the shared data folder (holds images/MANIFEST.csv)"
    )
    ap.add_argument(
        "--out", type=Path, default=Path("models"), help="where logs and leave-one-out results go"
    )
    ap.add_argument(
        "--ship-dir", type=Path, default=SHIP_DIR, help="where the final ONNX model and recipe go"
    )
    ap.add_argument("--per-image", type=int, default=160, help="augmented patches per image in the pool")
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-logo", action="store_true", help="train the final model only")
    ap.add_argument("--folds", type=str, default="", help="comma-separated fold indices to run (default all)")
    ap.add_argument("--docs", type=Path, default=None, help="write LEARNED.md results tables here")
    args = ap.parse_args(argv)

    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it; fail before training, not after)
    except ImportError:
        print(
            "the `onnx` package is needed to export the model: pip install -e '.[train]' (torch, onnx)",
            file=sys.stderr,
        )
        return 2
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / f"{MODEL_NAME}_train.log"
    log_fh = open(log_path, "a")

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_fh.write(line + "\n")
        log_fh.flush()

    t_start = time.time()
    samples = load_samples(args.data)
    if not samples:
        log(f"no real or generated images under {args.data}/images")
        return 2
    data_version = manifest_sha256(args.data)
    recipe = AugmentRecipe()
    log(
        f"{len(samples)} images ({sum(s.label for s in samples)} generated), MANIFEST sha256 {data_version[:16]}…"
    )
    t0 = time.time()
    pool, owner = build_pool(samples, args.per_image, seed=args.seed, recipe=recipe, log=log)
    labels = np.array([samples[i].label for i in owner], np.float32)
    t_pool = time.time() - t0
    log(f"pool: {len(pool)} patches in {t_pool:.0f} s")
    folds = assign_folds(samples)

    results: dict = {"data_version": data_version, "folds": [], "rows": []}
    if not args.skip_logo:
        which = [int(f) for f in args.folds.split(",")] if args.folds else list(range(len(FOLDS)))
        for k in which:
            test = [i for i, f in enumerate(folds) if f == k]
            train = {i for i, f in enumerate(folds) if f != k}
            t0 = time.time()
            log(f"fold {k}: hold out {sorted({samples[i].group for i in test})} ({len(test)} images)")
            w = sample_weights(samples, owner, train)
            model, losses = fit(pool, labels, w, args.steps, args.batch, seed=args.seed + 1 + k, log=log)
            onnx_path = export_onnx(model, args.out / "logo" / f"fold{k}.onnx")
            rows = score_samples(onnx_path, [samples[i] for i in test], k, log=log)
            results["rows"] += rows
            results["folds"].append(
                {
                    "fold": k,
                    "held_out": sorted({samples[i].group for i in test}),
                    "n_test": len(test),
                    "seconds": round(time.time() - t0, 1),
                    "final_loss": float(np.mean(losses[-100:])),
                }
            )
            log(f"fold {k} done in {time.time() - t0:.0f} s")
        results["summary"] = summarize_rows(results["rows"])
        from huiyan.bench.manifest import write_logo

        write_logo(args.out / f"{MODEL_NAME}_logo.json", results, args.data)
        for proto, s in results["summary"].items():
            log(
                f"LOGO {proto}: AUC {s['auc']:.3f} TPR@1%FPR {s['tpr_at_1pct_fpr']:.3f} FPR@0.5 {s['fpr_at_threshold']:.3f}"
            )

    # the shipped model: all data
    t0 = time.time()
    log("final model on all images")
    w = sample_weights(samples, owner, set(range(len(samples))))
    model, losses = fit(pool, labels, w, args.steps, args.batch, seed=args.seed, log=log)
    t_final = time.time() - t0
    onnx_path = export_onnx(model, args.ship_dir / f"{MODEL_NAME}.onnx")
    meta = {
        "model": MODEL_NAME,
        "onnx": onnx_path.name,
        "onnx_bytes": onnx_path.stat().st_size,
        "patch": PATCH,
        "data_version": {"file": "shared/data/images/MANIFEST.csv", "sha256": data_version},
        "n_images": {
            "real": sum(1 for s in samples if s.label == 0),
            "generated": sum(1 for s in samples if s.label == 1),
        },
        "recipe": {
            "augment": recipe.__dict__,
            "per_image": args.per_image,
            "pool_patches": int(len(pool)),
            "steps": args.steps,
            "batch": args.batch,
            "optimizer": "AdamW lr 3e-3 (one-cycle), weight decay 1e-4",
            "loss": "binary cross-entropy",
            "sampling": "classes equal; inside a class, group weight ~ sqrt(group size)",
            "seed": args.seed,
            "threads": args.threads,
        },
        "command": "python -m huiyan.learn.train " + " ".join(argv if argv is not None else sys.argv[1:]),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "seconds": {
            "pool": round(t_pool, 1),
            "final_fit": round(t_final, 1),
            "total": round(time.time() - t_start, 1),
        },
        "final_loss": float(np.mean(losses[-100:])),
    }
    if "summary" in results:
        from huiyan.learn.evaluate import operating_point

        meta["operating_point"] = operating_point(results["rows"])
        meta["logo"] = {
            p: {"auc": s["auc"], "tpr_at_1pct_fpr": s["tpr_at_1pct_fpr"], "fpr_at_0.5": s["fpr_at_threshold"]}
            for p, s in results["summary"].items()
        }
    from huiyan.learn.evaluate import reference_score

    meta["reference_score"] = reference_score(onnx_path)
    (args.ship_dir / f"{MODEL_NAME}.json").write_text(json.dumps(meta, indent=1))
    if args.docs is not None and "summary" in results:
        from huiyan.learn.report import write_learned_md

        write_learned_md(results, meta, args.docs / "LEARNED.md")
    log(f"shipped {onnx_path} ({meta['onnx_bytes']} bytes); total {time.time() - t_start:.0f} s")
    return 0


def summarize_rows(rows: list[dict], threshold: float = 0.5) -> dict:
    from huiyan.learn.evaluate import PROTOCOLS, summarize

    return {p: summarize([r for r in rows if r["protocol"] == p], threshold) for p in PROTOCOLS}


if __name__ == "__main__":
    raise SystemExit(main())
