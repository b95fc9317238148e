"""Training data for the learned patch detector: samples, leave-one-out groups, folds, patch pool.

Only the *pixels* of a file and its ground-truth label reach the network. File names, folders,
formats, sizes and metadata never do: every training patch is cut from decoded pixels after a
random resize (0.5-1.5), an optional blur and, with probability 0.8, a JPEG re-encode at a random
quality 60-100 applied to both classes alike, so that "has JPEG traces" or "is large" cannot
separate the classes.

Groups for leave-one-out evaluation (DESIGN.md section 5): generated images are grouped by
generator family (SDXL, FLUX, GPT-4o ...), real images by the source repository they were
published in (the camera corpus of metadata-extractor, CompVis' inpainting inputs ...). A fold
holds out whole groups; nothing from a held-out group is trained on in that fold.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from huiyan.learn.patches import FLAT_STD, PATCH, luma

LABELS = {"real": 0, "generated": 1}

# generator strings of the manifest -> generator family used as the leave-one-out group
_GENERATOR_GROUPS = [
    (r"chatgpt|gpt-?4o", "GPT-4o image"),
    (r"dall-?e ?3|dalle3", "DALL-E 3"),
    (r"dall-?e ?2|dalle2", "DALL-E 2"),
    (r"firefly", "Adobe Firefly"),
    (r"stylegan", "StyleGAN"),
    (r"flux|chroma", "FLUX"),
    (r"hunyuan", "Hunyuan-DiT"),
    (r"sd ?3", "SD 3 / 3.5"),
    (r"cascade", "Stable Cascade"),
    (r"sdxl|cosxl", "SDXL"),
    (r"sd ?1\.?5|sd15|sd1\.x|sd ?1\b", "SD 1.x"),
    (r"\bgan\b", "GAN"),
]


def generator_group(generator: str) -> str:
    g = generator.lower()
    for pat, name in _GENERATOR_GROUPS:
        if re.search(pat, g):
            return name
    return generator.split("(")[0].strip() or "unknown"


def source_group(source: str) -> str:
    return source.split(":", 1)[-1]


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int  # 1 generated, 0 real
    group: str  # leave-one-out group: generator family or real source
    generator: str
    source: str
    fmt: str  # recorded for the per-format breakdown of results; never an input of the model

    @property
    def key(self) -> str:
        return str(self.path)


def manifest_sha256(data_dir: Path) -> str:
    return hashlib.sha256((Path(data_dir) / "images" / "MANIFEST.csv").read_bytes()).hexdigest()


def load_samples(data_dir: Path, check_hash: bool = False) -> list[Sample]:
    """Real and generated images of data_dir/images/MANIFEST.csv (tampered and deepfake are left out)."""
    root = Path(data_dir) / "images"
    out = []
    with open(root / "MANIFEST.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["label"] not in LABELS:
                continue
            path = root / row["relative_path"]
            if not path.exists():
                continue
            if check_hash and hashlib.sha256(path.read_bytes()).hexdigest() != row["sha256"]:
                raise ValueError(f"{path}: SHA-256 does not match MANIFEST.csv")
            label = LABELS[row["label"]]
            group = generator_group(row["generator"]) if label else source_group(row["source"])
            out.append(Sample(path, label, group, row["generator"], row["source"], row["format"]))
    return out


# Folds: each holds out some generator families and some real sources. The largest real source
# (the metadata-extractor camera corpus) is paired with small generator groups so that every fold
# keeps real and generated images on both sides.
FOLDS: list[tuple[list[str], list[str]]] = [
    (["SD 1.x", "DALL-E 2", "GAN", "Hunyuan-DiT"], ["drewnoakes/metadata-extractor-images"]),
    (["GPT-4o image"], ["necenzurat/ai-image-filter", "gctanita/humanOrAi"]),
    (["SDXL"], ["CompVis/stable-diffusion"]),
    (["FLUX", "SD 3 / 3.5"], ["c2pa-org/public-testfiles", "comfyanonymous/ComfyUI_examples"]),
    (
        ["Adobe Firefly", "Stable Cascade"],
        ["polimi-ispl/icpr2020dfdc", "proteus1991/PSCC-Net", "grip-unina/TruFor"],
    ),
    (["DALL-E 3", "StyleGAN"], ["daniellionel01/spot-the-ai", "PeterWang512/CNNDetection"]),
]


def assign_folds(samples: list[Sample]) -> list[int]:
    """Fold index of each sample; groups not named in FOLDS go to the fold with fewest samples."""
    where = {}
    for i, (gens, srcs) in enumerate(FOLDS):
        for g in gens + srcs:
            where[g] = i
    sizes = [0] * len(FOLDS)
    for s in samples:
        if s.group in where:
            sizes[where[s.group]] += 1
    folds = []
    for s in samples:
        if s.group not in where:
            i = int(np.argmin(sizes))
            where[s.group] = i
        sizes[where[s.group]] += 1
        folds.append(where[s.group])
    return folds


# augmentation ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AugmentRecipe:
    patch: int = PATCH
    scale_min: float = 0.5
    scale_max: float = 1.5
    p_resize: float = 0.75
    p_blur: float = 0.15
    blur_sigma: tuple[float, float] = (0.3, 1.2)
    p_jpeg: float = 0.8
    jpeg_quality: tuple[int, int] = (60, 100)
    margin: int = 8  # extra pixels kept around the patch before the final random crop


def _jpeg(rgb: np.ndarray, quality: int, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    sub = int(rng.choice([0, 2, 2, 2]))  # mostly 4:2:0 as most encoders, sometimes 4:4:4
    Image.fromarray(rgb).save(buf, format="JPEG", quality=int(quality), subsampling=sub)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def augmented_patch(
    rgb: np.ndarray, rng: np.random.Generator, r: AugmentRecipe = AugmentRecipe()
) -> np.ndarray | None:
    """One training patch: crop a region, resize it, maybe blur, maybe JPEG, then crop `patch`."""
    from PIL import Image, ImageFilter

    h, w = rgb.shape[:2]
    out_side = r.patch + r.margin
    scale = float(rng.uniform(r.scale_min, r.scale_max)) if rng.random() < r.p_resize else 1.0
    side = int(np.ceil(out_side / scale))
    if side > min(h, w):  # image too small for this down-scale: use the largest possible
        side = min(h, w)
        scale = out_side / side
        if side < r.patch:
            return None
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    region = rgb[y : y + side, x : x + side]
    if scale != 1.0:
        resample = [
            Image.Resampling.BILINEAR,
            Image.Resampling.BICUBIC,
            Image.Resampling.LANCZOS,
            Image.Resampling.BOX,
        ]
        im = Image.fromarray(region).resize((out_side, out_side), resample[int(rng.integers(0, 4))])
    else:
        im = Image.fromarray(region)
    if rng.random() < r.p_blur:
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(*r.blur_sigma))))
    arr = np.asarray(im)
    if rng.random() < r.p_jpeg:
        arr = _jpeg(arr, int(rng.integers(r.jpeg_quality[0], r.jpeg_quality[1] + 1)), rng)
    hh, ww = arr.shape[:2]
    oy = int(rng.integers(0, hh - r.patch + 1))
    ox = int(rng.integers(0, ww - r.patch + 1))
    patch = arr[oy : oy + r.patch, ox : ox + r.patch]
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    return np.ascontiguousarray(patch)


def build_pool(
    samples: list[Sample], per_image: int, seed: int = 0, recipe: AugmentRecipe = AugmentRecipe(), log=print
) -> tuple[np.ndarray, np.ndarray]:
    """Augmented patches of every sample: (N x P x P x 3 uint8, owner sample index per patch)."""
    from huiyan.media.image import decode_rgb

    patches, owner = [], []
    for i, s in enumerate(samples):
        rgb = decode_rgb(s.path)
        rng = np.random.default_rng([seed, i])
        got, tries = 0, 0
        while got < per_image and tries < per_image * 4:
            tries += 1
            p = augmented_patch(rgb, rng, recipe)
            if p is None:
                break
            if luma(p).std() < FLAT_STD:
                continue
            patches.append(p)
            owner.append(i)
            got += 1
        if log and (i + 1) % 25 == 0:
            log(f"  pool: {i + 1}/{len(samples)} images")
    return np.stack(patches), np.asarray(owner, np.int32)
