"""Fixtures for the pixel-forensics detector tests: synthetic images whose answer is known by
construction (a planted CFA mosaic, a planted up-sampling grid, a spliced region with another
noise level) and a factory that turns an array into an `Item` on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def pixel_item(tmp_path):
    """make(array, fmt="PNG"|"JPEG", quality=95) -> Item with a case folder for artifacts."""
    from huiyan.media.item import Item

    counter = iter(range(10_000))

    def make(arr: np.ndarray, fmt: str = "PNG", quality: int = 95, name: str | None = None) -> Item:
        a = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
        ext = ".png" if fmt == "PNG" else ".jpg"
        p = tmp_path / f"{name or 'synthetic'}_{next(counter)}{ext}"
        kw = {"quality": quality, "subsampling": 0} if fmt == "JPEG" else {}
        Image.fromarray(a).save(p, format=fmt, **kw)
        return Item(p, artifact_dir=tmp_path / "case" / p.stem)

    return make


@pytest.fixture(scope="session")
def smooth_scene() -> np.ndarray:
    """A band-limited real scene (scikit-image astronaut, lightly blurred), float32 RGB 512x512."""
    import cv2
    from skimage import data

    return cv2.GaussianBlur(data.astronaut().astype(np.float32), (0, 0), 1.0)


def bayer_demosaic(rgb: np.ndarray, noise: float = 2.0, seed: int = 0) -> np.ndarray:
    """Sample `rgb` through an RGGB Bayer mosaic with sensor noise, then demosaic bilinearly."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w, _ = rgb.shape
    raw = np.zeros((h, w), np.float32)
    raw[0::2, 0::2] = rgb[0::2, 0::2, 0]
    raw[0::2, 1::2] = rgb[0::2, 1::2, 1]
    raw[1::2, 0::2] = rgb[1::2, 0::2, 1]
    raw[1::2, 1::2] = rgb[1::2, 1::2, 2]
    raw = np.clip(raw + rng.normal(0, noise, raw.shape), 0, 255).astype(np.uint8)
    return cv2.cvtColor(raw, cv2.COLOR_BayerBG2RGB).astype(np.float32)  # OpenCV names RGGB "BG"


@pytest.fixture(scope="session")
def camera_like(smooth_scene) -> np.ndarray:
    """Planted CFA pattern: the scene through a Bayer mosaic + bilinear demosaicing."""
    return bayer_demosaic(smooth_scene)


@pytest.fixture(scope="session")
def noisy_scene(smooth_scene) -> np.ndarray:
    """The scene with independent per-channel noise and no mosaic (no CFA trace)."""
    rng = np.random.default_rng(1)
    return smooth_scene + rng.normal(0, 2.0, smooth_scene.shape).astype(np.float32)


@pytest.fixture(scope="session")
def upsampled_scene(smooth_scene) -> np.ndarray:
    """Planted up-sampling grid: a half-size noisy scene repeated 2x2 (nearest up-sampling)."""
    rng = np.random.default_rng(2)
    half = smooth_scene[::2, ::2] + rng.normal(0, 2.0, (256, 256, 3))
    return np.repeat(np.repeat(half, 2, axis=0), 2, axis=1).astype(np.float32)


@pytest.fixture(scope="session")
def spliced_scene(smooth_scene) -> tuple[np.ndarray, tuple[slice, slice]]:
    """A spliced region: the scene with mild noise everywhere, strong noise in one square."""
    rng = np.random.default_rng(3)
    img = smooth_scene + rng.normal(0, 1.5, smooth_scene.shape)
    region = (slice(192, 320), slice(288, 416))
    img[region] = smooth_scene[region] + rng.normal(0, 9.0, img[region].shape)
    return img.astype(np.float32), region


@pytest.fixture
def shared_images(shared_data):
    """pick(label, fmt=None, n=2): the first `n` files of a label (and delivered format) from the
    images MANIFEST of ../shared/data (skips when the data are absent)."""
    import csv

    def pick(label: str, fmt: str | None = None, n: int = 2) -> list[Path]:
        with open(shared_data / "images" / "MANIFEST.csv", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["label"] == label and (fmt is None or r["format"] == fmt)]
        return [shared_data / "images" / r["relative_path"] for r in rows[:n]]

    return pick
