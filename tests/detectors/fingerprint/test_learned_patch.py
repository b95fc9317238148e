"""fingerprint.learned_patch: the shipped ONNX model loads and runs with onnxruntime alone, scores
are in [0, 1], a planted up-sampling grid scores higher than the same noise without it, bad inputs
give not-applicable, and real files of ../shared/data are scored."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest
from PIL import Image

from huiyan.detectors.base import get_detector
from huiyan.detectors.fingerprint import learned_patch as lp
from huiyan.media.item import Item


def _item(tmp_path, rgb, name="x.png"):
    p = tmp_path / name
    Image.fromarray(rgb).save(p)
    return Item(p)


def test_model_and_recipe_are_shipped_and_small():
    path = lp.model_path()
    assert path is not None and path.stat().st_size < 2_000_000
    recipe = json.loads(path.with_name(lp.RECIPE_FILE).read_text())
    assert len(recipe["data_version"]["sha256"]) == 64
    assert recipe["recipe"]["augment"]["p_jpeg"] >= 0.5


def test_onnx_runs_without_torch():
    import onnxruntime as ort

    sess = ort.InferenceSession(str(lp.model_path()), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((3, 3, 64, 64), dtype=np.float32)
    (out,) = sess.run(None, {sess.get_inputs()[0].name: x})
    assert out.shape == (3,) and np.isfinite(out).all()
    # the detector module itself never needs torch
    assert "huiyan.learn.train" not in sys.modules or "torch" in sys.modules


def test_planted_upsampling_grid_scores_higher_than_plain_noise(tmp_path):
    rng = np.random.default_rng(0)
    plain = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    planted = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8).repeat(2, axis=0).repeat(2, axis=1)
    det = get_detector("fingerprint.learned_patch")
    f_plain = det.run(_item(tmp_path, plain, "plain.png"))
    f_planted = det.run(_item(tmp_path, planted, "planted.png"))
    assert f_plain.applicable and f_planted.applicable
    assert 0.0 <= f_plain.score <= 1.0 and 0.0 <= f_planted.score <= 1.0
    assert f_planted.score > f_plain.score
    assert f_planted.details["n_patches"] == 64
    assert f_planted.explanation["zh"] and f_planted.explanation["en"]


def test_deterministic(tmp_path, photo_rgb):
    det = get_detector("fingerprint.learned_patch")
    item = _item(tmp_path, photo_rgb)
    assert det.run(item).score == det.run(item).score


@pytest.mark.parametrize("shape", [(40, 300, 3), (90, 90, 3)])
def test_tiny_image_not_applicable(tmp_path, shape):
    f = get_detector("fingerprint.learned_patch").run(_item(tmp_path, np.zeros(shape, np.uint8)))
    assert not f.applicable and "too small" in f.reason


@pytest.mark.parametrize("value", [0, 77])
def test_constant_image_is_not_evidence(tmp_path, value):
    """A flat image has an all-zero high-pass residual: there are no pixel relations to judge, so
    the method must say so instead of calling it camera-like."""
    f = get_detector("fingerprint.learned_patch").run(_item(tmp_path, np.full((200, 300, 3), value, np.uint8)))
    assert not f.applicable and "flat" in f.reason


def test_missing_model_is_not_applicable(tmp_path, monkeypatch, photo_rgb):
    monkeypatch.setattr(lp, "model_path", lambda: None)
    f = get_detector("fingerprint.learned_patch").run(_item(tmp_path, photo_rgb))
    assert not f.applicable and "not installed" in f.reason


def test_real_files(shared_data):
    rows = list(csv.DictReader(open(shared_data / "images" / "MANIFEST.csv", newline="")))
    picks = [r for r in rows if r["label"] == "real" and r["format"] == "JPEG"][:2]
    picks += [r for r in rows if r["label"] == "generated" and r["format"] == "PNG"][:2]
    det = get_detector("fingerprint.learned_patch")
    for r in picks:
        f = det.run(Item(shared_data / "images" / r["relative_path"]))
        assert f.applicable, r["relative_path"]
        assert 0.0 <= f.score <= 1.0
        assert f.details["data_version"]


def test_model_uses_float_arithmetic_only():
    """Integer kernels give CPU-dependent results (clip_probe 0.3 on CPUs without VNNI,
    docs/CLIP_PROBE.md); the patch model must stay float32 throughout."""
    import onnx

    from huiyan.detectors.fingerprint.clip_probe import INTEGER_OPS

    model = onnx.load(str(lp.model_path()))
    assert not {n.op_type for n in model.graph.node} & (INTEGER_OPS | {"MatMulNBits", "QuantizeLinear"})
    assert {t.data_type for t in model.graph.initializer} == {onnx.TensorProto.FLOAT}


def test_reproduces_the_reference_logits_recorded_with_the_model():
    from huiyan.learn.evaluate import reference_score

    want = json.loads(lp.model_path().with_name(lp.RECIPE_FILE).read_text())["reference_score"]
    got = reference_score(lp.model_path())
    assert got["mean_logit"] == pytest.approx(want["mean_logit"], abs=1e-3)
    assert got["patch_logit_std"] == pytest.approx(want["patch_logit_std"], abs=1e-3)
