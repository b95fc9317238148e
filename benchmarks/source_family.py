"""Can Huiyan say which *family* of generator made a generated image (GB/T 45432 source
identification: GAN, diffusion U-Net, diffusion transformer, autoregressive)? Measured, not shipped.

Features: the frozen CLIP ViT-B/16 embeddings that `fingerprint.clip_probe` already computes
(recipe of the shipped probe, crops averaged, L2-normalised), i.e. the strongest general-purpose
representation the project has (Ojha et al., arXiv 2302.10174, show that such features separate
generators linearly *when the generator is known*). Classifier: class-balanced multinomial logistic
regression on standardised features with a fixed L2 strength (no tuning). The architecture of each
generator is taken a priori from its publication:
GAN: StyleGAN (arXiv 1812.04948) and the CNNDetection GAN set (arXiv 1912.11035);
diffusion U-Net: Stable Diffusion 1.x/2.x (arXiv 2112.10752), SDXL (arXiv 2307.01952), Stable
Cascade / Wuerstchen (arXiv 2306.00637), DALL-E 2 (arXiv 2204.06125), Kolors, CosXL;
diffusion transformer: FLUX.1 and its Chroma derivatives, SD3/SD3.5 (arXiv 2403.03206),
Hunyuan-DiT (arXiv 2405.08748); autoregressive: GPT-4o image generation (OpenAI system card).
DALL-E 3 and Adobe Firefly are left out: their architecture is not published.

Two protocols: **leave-one-generator-out** (the generator family of the scored image, e.g. all
SDXL variants, is absent from training: can the *architecture* be recognised in a generator never
seen?) and **leave-one-source-out** (closed set: other images of the same generator may be in
training, but not the scored image's source repository). Baseline: always answering the most
frequent class of the training fold. Writes benchmarks/results/source_family.json.

    nice .venv/bin/python benchmarks/source_family.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ARCHITECTURE = [  # (pattern on the normalised generator key and the manifest's generator text, family)
    (r"stylegan|^gan\b", "gan"),
    (r"flux|chroma|sd3|hunyuan", "diffusion_transformer"),
    (r"gpt-4o", "autoregressive"),
    (r"sd1|sd2|sdxl|kolors|stable-cascade|dalle2|cosxl", "diffusion_unet"),
]
L2 = 0.1


def architecture(entry) -> str | None:
    text = f"{entry.gen_key or ''} {entry.generator.lower()}"
    for pattern, family in ARCHITECTURE:
        if re.search(pattern, text):
            return family
    return None


def _recipe() -> str | None:
    from huiyan.detectors.fingerprint import clip_probe as cp

    return cp._probe_json().get("recipe", {}).get("crop_recipe", getattr(cp, "DEFAULT_RECIPE", None))


def embeddings(entries, cache: Path) -> np.ndarray:
    """Mean CLIP embedding per image under the shipped probe's crop recipe (cached by hash)."""
    from huiyan.detectors.fingerprint import clip_probe as cp
    from huiyan.media.image import decode_rgb

    recipe = _recipe()
    enc = cp.encoder_path()
    if enc is None:
        raise SystemExit("CLIP encoder not installed (make setup installs it)")
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for i, e in enumerate(entries):
        f = cache / f"{e.sha256}_{recipe}-{cp.FEATURE_VERSION}.npy"  # the encoder's feature version, as in clip_probe
        if not f.exists():
            rgb = decode_rgb(Path(e.path))
            emb = cp.embed(rgb, enc, recipe) if recipe else cp.embed(rgb, enc)
            np.save(f, emb)
            print(f"[embed] {i + 1}/{len(entries)} {e.relative_path[:60]}", file=sys.stderr, flush=True)
        v = np.load(f).mean(axis=0)
        out.append(v / np.linalg.norm(v))
    return np.stack(out)


def fit_softmax(X: np.ndarray, y: np.ndarray, k: int, l2: float = L2):
    """Class-balanced multinomial logistic regression; returns a function giving class scores."""
    from scipy.optimize import minimize

    mu, sd = X.mean(0), X.std(0) + 1e-6
    Z = (X - mu) / sd
    n, d = Z.shape
    w = np.array([1.0 / max(1, (y == c).sum()) for c in range(k)])[y]
    w /= w.sum()

    def f(theta):
        W, b = theta[: d * k].reshape(d, k), theta[d * k:]
        L = Z @ W + b
        L -= L.max(1, keepdims=True)
        P = np.exp(L)
        P /= P.sum(1, keepdims=True)
        loss = -(w * np.log(P[np.arange(n), y] + 1e-12)).sum() + l2 * (W**2).sum()
        G = P.copy()
        G[np.arange(n), y] -= 1
        G *= w[:, None]
        return loss, np.concatenate([(Z.T @ G + 2 * l2 * W).ravel(), G.sum(0)])

    res = minimize(f, np.zeros(d * k + k), jac=True, method="L-BFGS-B")
    W, b = res.x[: d * k].reshape(d, k), res.x[d * k:]
    return lambda Xn: ((Xn - mu) / sd) @ W + b


def evaluate(X: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int) -> dict:
    pred = np.full(len(y), -1)
    base = np.full(len(y), -1)
    for g in sorted(set(groups)):
        te, tr = groups == g, groups != g
        pred[te] = fit_softmax(X[tr], y[tr], k)(X[te]).argmax(1)
        base[te] = Counter(y[tr].tolist()).most_common(1)[0][0]
    return {"accuracy": round(float((pred == y).mean()), 3),
            "majority_baseline": round(float((base == y).mean()), 3),
            "uniform_chance": round(1.0 / k, 3),
            "per_class_recall": {c: round(float((pred[y == c] == c).mean()), 3) for c in range(k)},
            "confusion": [[int(((y == a) & (pred == b)).sum()) for b in range(k)] for a in range(k)]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--cache", default="out/source_family")
    ap.add_argument("--out", default="benchmarks/results/source_family.json")
    args = ap.parse_args(argv)
    from huiyan.bench.manifest import load_manifest

    entries = [e for e in load_manifest(Path(args.data) / "images") if e.label == "generated"]
    kept = [(e, architecture(e)) for e in entries]
    left_out = sorted({e.generator for e, a in kept if a is None})
    kept = [(e, a) for e, a in kept if a is not None]
    classes = sorted({a for _, a in kept})
    X = embeddings([e for e, _ in kept], Path(args.cache))
    y = np.array([classes.index(a) for _, a in kept])
    res = {
        "classes": classes,
        "n_per_class": {c: int((y == i).sum()) for i, c in enumerate(classes)},
        "left_out_generators": left_out,
        "l2": L2,
        "crop_recipe": _recipe(),
    }
    for name, groups in (("leave_one_generator_out", np.array([e.gen_key or e.generator for e, _ in kept])),
                         ("leave_one_source_out", np.array([e.source for e, _ in kept]))):
        r = evaluate(X, y, groups, len(classes))
        r["per_class_recall"] = {classes[i]: v for i, v in r["per_class_recall"].items()}
        res[name] = r
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps({k: res[k] for k in ("n_per_class", "leave_one_generator_out", "leave_one_source_out")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
