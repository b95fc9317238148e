"""Training side (needs the optional torch extra; skipped without it): the network's fixed
residuals, a training run on data whose answer is known by construction, and torch vs ONNX."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from huiyan.learn.evaluate import OnnxPatchScorer, auc  # noqa: E402
from huiyan.learn.patches import PATCH  # noqa: E402
from huiyan.learn.train import PatchNet, export_onnx, fit  # noqa: E402


def _planted_upsampling(n, seed):
    """Patches made by 2x nearest up-sampling of noise (a planted up-sampling grid), plus noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (n, PATCH // 2, PATCH // 2, 3)).astype(np.float32)
    big = small.repeat(2, axis=1).repeat(2, axis=2) + rng.normal(0, 2, (n, PATCH, PATCH, 3))
    return np.clip(big, 0, 255).astype(np.uint8)


def _camera_like(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, PATCH, PATCH, 3)).astype(np.uint8)


def test_patchnet_shapes_and_offset_invariance():
    torch.manual_seed(0)
    m = PatchNet().eval()
    x = torch.rand(4, 3, PATCH, PATCH) * 0.8
    y = m(x)
    assert y.shape == (4,)
    # both residuals are high-pass: a constant brightness offset cannot change the output
    assert torch.allclose(m(x + 0.1), y, atol=1e-5)
    # a constant patch has zero residuals: every constant gives the same logit
    c = torch.stack([torch.full((3, PATCH, PATCH), v) for v in (0.1, 0.5, 0.9)])
    out = m(c)
    assert torch.allclose(out, out[0].expand(3), atol=1e-6)


def test_fit_learns_a_planted_upsampling_grid():
    pool = np.concatenate([_planted_upsampling(200, 1), _camera_like(200, 2)])
    labels = np.array([1] * 200 + [0] * 200, np.float32)
    w = np.full(len(pool), 1.0 / len(pool))
    model, losses = fit(pool, labels, w, steps=80, batch=32, seed=0, log=None)
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    with torch.no_grad():
        pos = model(torch.from_numpy(_planted_upsampling(50, 3)).permute(0, 3, 1, 2).float() / 255).numpy()
        neg = model(torch.from_numpy(_camera_like(50, 4)).permute(0, 3, 1, 2).float() / 255).numpy()
    assert auc(pos, neg) > 0.95


def test_torch_and_onnx_agree(tmp_path):
    torch.manual_seed(1)
    m = PatchNet()
    # give BatchNorm non-trivial running statistics before export
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(16, 3, PATCH, PATCH))
    m.eval()
    path = export_onnx(m, tmp_path / "m.onnx")
    x = np.random.default_rng(0).integers(0, 256, (7, PATCH, PATCH, 3), dtype=np.uint8)
    onnx_out = OnnxPatchScorer(path).patch_logits(x)
    with torch.no_grad():
        torch_out = m(torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0).numpy()
    assert onnx_out.shape == (7,)
    np.testing.assert_allclose(onnx_out, torch_out, atol=1e-4)
