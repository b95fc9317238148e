"""Data side of the learned detector: groups, folds, augmentation, patch sampling, metrics."""

from __future__ import annotations

import numpy as np
import pytest

from huiyan.learn.dataset import (
    FOLDS,
    AugmentRecipe,
    assign_folds,
    augmented_patch,
    build_pool,
    generator_group,
    load_samples,
    manifest_sha256,
)
from huiyan.learn.evaluate import apply_protocol, auc, eer, summarize, tpr_at_fpr
from huiyan.learn.patches import FLAT_STD, PATCH, grid_positions, luma, sample_patches


@pytest.mark.parametrize(
    "generator,group",
    [
        ("chatgpt-image (gpt-4o era)", "GPT-4o image"),
        ("sdxl (+controlnet)", "SDXL"),
        ("cosxl-edit (sdxl)", "SDXL"),
        ("chroma-v47 (flux-schnell derived)", "FLUX"),
        ("sd3.5-large", "SD 3 / 3.5"),
        ("sd15 (+hypernetwork)", "SD 1.x"),
        ("sd1.5-family (model cetusMix_v4)", "SD 1.x"),
        ("stable-cascade (img2img)", "Stable Cascade"),
        ("gan (CNNDetection demo; exact GAN not documented)", "GAN"),
        ("stylegan1 (ffhq-1024)", "StyleGAN"),
        ("dalle3", "DALL-E 3"),
    ],
)
def test_generator_groups(generator, group):
    assert generator_group(generator) == group


def test_folds_name_each_group_once():
    names = [g for gens, srcs in FOLDS for g in gens + srcs]
    assert len(names) == len(set(names))


def _noise(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_augmented_patch_shape_and_bounds():
    rgb = _noise(300, 400)
    rng = np.random.default_rng(1)
    for _ in range(30):
        p = augmented_patch(rgb, rng)
        assert p.shape == (PATCH, PATCH, 3) and p.dtype == np.uint8


def test_augmented_patch_is_deterministic_per_seed():
    rgb = _noise(200, 200)
    a = augmented_patch(rgb, np.random.default_rng(7))
    b = augmented_patch(rgb, np.random.default_rng(7))
    assert np.array_equal(a, b)


def test_augmented_patch_applies_jpeg_to_every_patch_when_asked():
    # a noise image cannot survive JPEG q60 unchanged: every patch must differ from a pure crop
    rgb = _noise(128, 128)
    r = AugmentRecipe(p_resize=0.0, p_blur=0.0, p_jpeg=1.0, jpeg_quality=(60, 60))
    p = augmented_patch(rgb, np.random.default_rng(0), r)
    windows = np.lib.stride_tricks.sliding_window_view(rgb, (PATCH, PATCH, 3))[..., 0, :, :, :]
    assert not any(
        np.array_equal(p, w) or np.array_equal(p[:, ::-1], w) for w in windows.reshape(-1, PATCH, PATCH, 3)
    )


def test_augmented_patch_too_small_image():
    assert augmented_patch(_noise(40, 40), np.random.default_rng(0)) is None


def test_grid_and_sample_patches():
    rgb = _noise(480, 640)
    pos = grid_positions(480, 640, 100)
    assert pos and all(0 <= y <= 480 - PATCH and 0 <= x <= 640 - PATCH for y, x in pos)
    p1, n1 = sample_patches(rgb, 32)
    p2, _ = sample_patches(rgb, 32)
    assert p1.shape[1:] == (PATCH, PATCH, 3) and 0 < len(p1) <= 32 and n1 >= len(p1)
    assert np.array_equal(p1, p2)  # deterministic


def test_sample_patches_skips_flat_regions():
    rgb = np.full((256, 512, 3), 120, np.uint8)
    rgb[:, 256:] = _noise(256, 256)  # right half textured, left half flat
    p, _ = sample_patches(rgb, 16)
    assert len(p) > 0
    assert (luma(p).reshape(len(p), -1).std(axis=1) >= FLAT_STD).all()


def test_sample_patches_bad_inputs():
    p, n = sample_patches(_noise(30, 30), 16)
    assert len(p) == 0 and n == 0
    p, _ = sample_patches(np.zeros((128, 128, 3), np.uint8), 16)  # all flat: still returns something
    assert len(p) >= 1


def test_build_pool_from_files(tmp_path):
    from PIL import Image

    from huiyan.learn.dataset import Sample

    samples = []
    for i in range(2):
        path = tmp_path / f"im{i}.png"
        Image.fromarray(_noise(160, 200, i)).save(path)
        samples.append(Sample(path, i, f"g{i}", "x", "y", "PNG"))
    pool, owner = build_pool(samples, per_image=5, log=None)
    assert pool.shape == (10, PATCH, PATCH, 3)
    assert owner.tolist() == [0] * 5 + [1] * 5


def test_metrics_known_values():
    assert auc(np.array([3, 4]), np.array([1, 2])) == 1.0
    assert auc(np.array([1, 2]), np.array([3, 4])) == 0.0
    assert auc(np.array([1.0]), np.array([1.0])) == 0.5
    assert eer(np.array([3, 4]), np.array([1, 2])) == 0.0
    assert tpr_at_fpr(np.array([0.9, 0.2]), np.array([0.1] * 49 + [0.95]), 0.01) == 0.0
    assert tpr_at_fpr(np.array([0.9, 0.2]), np.array([0.1] * 100), 0.01) == 1.0
    rows = [
        {"label": 1, "group": "A", "fmt": "PNG", "score": 0.9},
        {"label": 0, "group": "r", "fmt": "JPEG", "score": 0.1},
    ]
    s = summarize(rows, 0.5)
    assert s["auc"] == 1.0 and s["fpr_at_threshold"] == 0.0 and s["per_group"]["A"]["tpr_at_threshold"] == 1.0


def test_protocols_shapes():
    rgb = _noise(101, 150)
    assert apply_protocol(rgb, "stripped") is rgb
    assert apply_protocol(rgb, "laundered").shape == rgb.shape
    assert apply_protocol(rgb, "resized").shape == (50, 75, 3)
    with pytest.raises(ValueError):
        apply_protocol(rgb, "nope")


def test_real_manifest_groups_are_disjoint_across_folds(shared_data):
    samples = load_samples(shared_data)
    assert {s.label for s in samples} == {0, 1}
    assert len(manifest_sha256(shared_data)) == 64
    folds = assign_folds(samples)
    seen: dict[str, int] = {}
    for s, f in zip(samples, folds, strict=True):
        assert seen.setdefault(s.group, f) == f, f"group {s.group} split across folds"
    for k in range(len(FOLDS)):
        labels = {s.label for s, f in zip(samples, folds, strict=True) if f == k}
        assert labels == {0, 1}, f"fold {k} lacks a class"
