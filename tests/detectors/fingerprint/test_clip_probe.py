"""fingerprint.clip_probe: crop geometry, the linear probe maps a planted embedding direction to
the right side, the detector is deterministic and in [0, 1], a video's identical stills score like
the image, bad inputs (tiny image, missing encoder, foreign encoder) are not applicable, and real
files of ../shared/data are scored."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from huiyan.detectors.base import get_detector
from huiyan.detectors.fingerprint import clip_probe as cp
from huiyan.media.item import Item

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_encoder = pytest.mark.skipif(
    cp.encoder_path() is None or cp.probe_path() is None, reason="CLIP encoder or probe JSON missing"
)


def _item(tmp_path, rgb, name="x.png"):
    p = tmp_path / name
    Image.fromarray(rgb).save(p)
    return Item(p)


def _textured(h=300, w=400, seed=0):
    return cp.reference_image(h, w, seed)


def test_crop_boxes_cover_centre_and_ends():
    assert cp.crop_boxes(300, 256) == [(38, 16, 262, 240), (0, 16, 224, 240), (76, 16, 300, 240)]
    assert cp.crop_boxes(256, 256)[1:] == [(0, 0, 224, 224), (32, 32, 256, 256)]
    assert cp.crop_boxes(256, 400)[2] == (16, 176, 240, 400)


def test_clip_crops_shape_and_normalisation():
    (x,) = cp.clip_crops(np.full((100, 150, 3), 255, np.uint8))
    assert x.shape == (3, 3, 224, 224)
    np.testing.assert_allclose(x[0, :, 0, 0], (1 - cp.CLIP_MEAN) / cp.CLIP_STD, rtol=1e-5)
    views = cp.clip_crops(np.full((300, 400, 3), 0, np.uint8), "native3+global3")
    assert [v.shape for v in views] == [(3, 3, 224, 224)] * 2
    with pytest.raises(ValueError):
        cp.clip_crops(np.zeros((300, 400, 3), np.uint8), "nope")


def test_native_view_keeps_pixel_grid_global_view_resamples():
    # a 1-px checkerboard survives only when nothing is resampled
    yy, xx = np.mgrid[0:600, 0:800]
    rgb = np.repeat((((yy + xx) % 2) * 255).astype(np.uint8)[..., None], 3, axis=2)
    native = cp.view_crops(rgb, "native")
    glob = cp.view_crops(rgb, "global")
    lo, hi = (0 - cp.CLIP_MEAN[0]) / cp.CLIP_STD[0], (1 - cp.CLIP_MEAN[0]) / cp.CLIP_STD[0]
    assert np.allclose(np.unique(native[:, 0]), [lo, hi], atol=1e-5)  # still exactly black/white
    assert np.abs(np.diff(native[0, 0], axis=1)).mean() > 0.9 * (hi - lo)
    assert np.abs(np.diff(glob[0, 0], axis=1)).mean() < 0.2 * (hi - lo)  # averaged to grey
    # native crops of a large image come from the centre and the ends of the long axis
    ramp = np.repeat(np.linspace(0, 255, 800)[None, :, None], 600, axis=0).repeat(3, axis=2).astype(np.uint8)
    n = cp.view_crops(ramp, "native")[:, 0, 0, 0]
    assert n[1] < n[0] < n[2]
    # an image below 224 px is upscaled to 224 on its short side, not padded
    assert cp.view_crops(np.full((100, 150, 3), 9, np.uint8), "native").shape == (3, 3, 224, 224)


def test_probe_maps_planted_direction():
    rng = np.random.default_rng(1)
    d = rng.normal(size=512)
    d /= np.linalg.norm(d)
    probe = cp.LinearProbe(np.zeros(512), np.ones(512), 5 * d, -0.1)
    gen = probe.logits(d)[0]
    real = probe.logits(-d)[0]
    assert gen > 4 and real < -4
    again = cp.LinearProbe.from_dict(probe.to_dict())
    np.testing.assert_allclose(again.logits(d), probe.logits(d), atol=1e-4)
    with pytest.raises(ValueError):
        cp.LinearProbe(np.zeros(3), np.ones(4), np.ones(3), 0.0)


def test_tiny_image_not_applicable(tmp_path):
    f = get_detector("fingerprint.clip_probe").run(_item(tmp_path, np.zeros((40, 300, 3), np.uint8)))
    if cp.encoder_path() is None or cp.probe_path() is None:
        assert not f.applicable
        return
    assert not f.applicable and "64" in f.reason


def test_missing_encoder_not_applicable(tmp_path, monkeypatch):
    monkeypatch.setattr(cp, "encoder_path", lambda: None)
    f = get_detector("fingerprint.clip_probe").run(_item(tmp_path, _textured()))
    assert not f.applicable and "encoder" in f.reason
    assert f.explanation["zh"] and f.explanation["en"]


@needs_encoder
def test_foreign_encoder_not_applicable(tmp_path, monkeypatch):
    meta = dict(cp._probe_json())
    meta["encoder_sha256"] = "0" * 64
    monkeypatch.setattr(cp, "_probe_json", lambda: meta)
    f = get_detector("fingerprint.clip_probe").run(_item(tmp_path, _textured()))
    assert not f.applicable and "differs" in f.reason


@needs_encoder
def test_unknown_recipe_not_applicable(tmp_path, monkeypatch):
    meta = dict(cp._probe_json())
    meta["recipe"] = dict(meta.get("recipe", {}), crop_recipe="global9")
    monkeypatch.setattr(cp, "_probe_json", lambda: meta)
    f = get_detector("fingerprint.clip_probe").run(_item(tmp_path, _textured()))
    assert not f.applicable and "unknown crop recipe" in f.reason
    assert "裁剪方案" in f.explanation["zh"]


@needs_encoder
def test_deterministic_in_range_and_video_stills(tmp_path):
    det = get_detector("fingerprint.clip_probe")
    rgb = _textured()
    a = det.run(_item(tmp_path, rgb, "a.png"))
    b = det.run(_item(tmp_path, rgb, "b.png"))
    assert a.applicable and 0.0 <= a.score <= 1.0
    assert a.score == pytest.approx(b.score, abs=1e-9)
    recipe = cp._probe_json().get("recipe", {}).get("crop_recipe", cp.DEFAULT_RECIPE)
    assert a.details["crop_recipe"] == recipe
    assert len(a.details["crop_logits"]) == 3 * len(cp.RECIPES[recipe])
    assert a.category == "fully_generated" and a.llr == 0.0
    # a "video" whose stills are all this image averages to the same embedding
    video = SimpleNamespace(media_type="video", frames=SimpleNamespace(stills=[(0.0, rgb), (1.0, rgb)]))
    v = det.run(video)
    assert v.applicable and v.score == pytest.approx(a.score, abs=1e-6)
    small = SimpleNamespace(media_type="video", frames=SimpleNamespace(stills=[(0.0, rgb[:32, :32])]))
    assert not det.run(small).applicable


@needs_encoder
def test_real_files_from_shared_data():
    man = DATA / "images" / "MANIFEST.csv"
    if not man.is_file():
        pytest.skip("shared data absent")
    rows = list(csv.DictReader(open(man, newline="")))
    pick = [r for r in rows if r["label"] == "real"][:1] + [r for r in rows if r["label"] == "generated"][:1]
    det = get_detector("fingerprint.clip_probe")
    for r in pick:
        p = DATA / "images" / r["relative_path"]
        if not p.is_file():
            pytest.skip(f"{p} missing")
        f = det.run(Item(p))
        assert f.applicable and 0.0 <= f.score <= 1.0
        assert np.isfinite(f.details["logit"])
        assert f.details["crop_recipe"] in cp.RECIPES


needs_encoder_file = pytest.mark.skipif(cp.encoder_path() is None, reason="CLIP encoder file missing")


@needs_encoder_file
def test_encoder_graph_gives_per_block_class_tokens():
    rgb = _textured()
    x = cp.view_crops(rgb, "native_cls")
    np.testing.assert_array_equal(x, cp.view_crops(rgb, "native"))  # the same crops
    both = cp.encode_crops(x, blocks=True)
    np.testing.assert_array_equal(both["native"], cp.embed_view(rgb, "native"))
    cls = both["native_cls"]
    assert cls.shape == (3, cp.N_BLOCKS * 768)
    norms = np.linalg.norm(cls.reshape(3, cp.N_BLOCKS, 768), axis=2)
    np.testing.assert_allclose(norms, 1.0, atol=1e-9)
    np.testing.assert_array_equal(cp.embed_view(rgb, "native_cls"), cls)
    # the blocks are different layers, not one tensor repeated
    blocks = cls.reshape(3, cp.N_BLOCKS, 768)[0]
    assert float(blocks[0] @ blocks[-1]) < 0.9
    # float32 products: a crop's features do not depend on the crops batched with it
    alone = cp.encode_crops(x[:1], blocks=True)
    np.testing.assert_allclose(alone["native_cls"][0], cls[0], atol=1e-5)
    # a clip of identical stills has the image's features (re-normalised per block)
    v = cp.video_embedding([rgb, rgb], recipe="native3-cls")
    np.testing.assert_allclose(v, cls, atol=1e-6)


def _tiny_quantised_model(tmp_path, w, per_channel=False, unsigned=False):
    """A float MatMul graph and its dynamic quantisation by onnxruntime's own tool (the pattern the
    CLIP export has: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul). int8 weights are
    quantised symmetrically (zero point 0, as in the CLIP file); uint8 weights asymmetrically."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [None, 5, w.shape[0]])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")], "g", [a], [y],
                          initializer=[numpy_helper.from_array(w, "w")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    f32, i8 = tmp_path / "f32.onnx", tmp_path / "i8.onnx"
    onnx.save(model, f32)
    quantize_dynamic(str(f32), str(i8), weight_type=QuantType.QUInt8 if unsigned else QuantType.QInt8,
                     per_channel=per_channel)
    return onnx.load(i8)


@pytest.mark.parametrize("per_channel,unsigned", [(False, False), (True, False), (False, True)])
def test_dequantised_products_are_float_products_of_the_quantised_weights(tmp_path, per_channel, unsigned):
    import onnxruntime as ort
    from onnx import numpy_helper

    rng = np.random.default_rng(2)
    w = rng.normal(size=(64, 16)).astype(np.float32) * np.linspace(0.1, 3, 16, dtype=np.float32) + 0.5
    model = _tiny_quantised_model(tmp_path, w, per_channel, unsigned)
    assert "MatMulInteger" in {n.op_type for n in model.graph.node}
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    wq = next(v for v in inits.values() if v.dtype in (np.int8, np.uint8) and v.ndim == 2).astype(np.float32)
    zp = next(v for k, v in inits.items() if v.dtype in (np.int8, np.uint8) and v.ndim < 2 and "zero_point" in k).astype(np.float32)
    sc = next(v for k, v in inits.items() if v.dtype == np.float32 and "scale" in k)
    if unsigned:
        assert np.all(zp != 0)  # the zero point takes part in the rewrite
    assert cp._dequantise_matmuls(model) == 1
    ops = {n.op_type for n in model.graph.node}
    assert not ops & cp.INTEGER_OPS and "DequantizeLinear" in ops
    sess = ort.InferenceSession(model.SerializeToString(), sess_options=cp.session_options(),
                                providers=["CPUExecutionProvider"])
    assert sess.get_session_options().get_session_config_entry("session.disable_quant_qdq") == "1"
    x = rng.normal(size=(3, 5, 64)).astype(np.float32)
    out = sess.run(None, {"a": x})[0]
    np.testing.assert_allclose(out, x @ ((wq - zp) * sc), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out, x @ w, atol=0.05 * np.abs(x @ w).max())  # 8-bit weights: close to float
    np.testing.assert_allclose(sess.run(None, {"a": x[:1]})[0][0], out[0], atol=1e-6)  # batch-independent


@needs_encoder_file
def test_shipped_encoder_is_rewritten_without_integer_arithmetic():
    import onnx

    original = onnx.load(str(cp.encoder_path()))
    n_int = sum(n.op_type == "MatMulInteger" for n in original.graph.node)
    model_bytes, names = cp.encoder_model_bytes(str(cp.encoder_path()))
    model = onnx.load_from_string(model_bytes)
    ops = [n.op_type for n in model.graph.node]
    assert n_int > 0 and ops.count("DequantizeLinear") == n_int and ops.count("MatMul") >= n_int
    assert not set(ops) & cp.INTEGER_OPS
    outs = [o.name for o in model.graph.output]
    assert "image_embeds" in outs and all(n in outs for n in names) and len(names) == cp.N_BLOCKS


def test_dequantise_refuses_an_unknown_pattern(tmp_path):
    model = _tiny_quantised_model(tmp_path, np.ones((8, 4), np.float32))
    for n in model.graph.node:  # break the pattern: the product is no longer read through a Cast
        if n.op_type == "Cast":
            n.op_type = "Identity"
    with pytest.raises(ValueError, match="unexpected"):
        cp._dequantise_matmuls(model)


def test_encoder_graph_rejects_a_foreign_graph(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, [None, 3, 224, 224])
    y = helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("Identity", ["pixel_values"], ["image_embeds"], name="id")], "g", [x], [y])
    p = tmp_path / "foreign.onnx"
    onnx.save(helper.make_model(g), p)
    with pytest.raises(ValueError, match="has no node"):
        cp.encoder_model_bytes(str(p))


@needs_encoder
def test_probe_of_other_encoder_arithmetic_not_applicable(tmp_path, monkeypatch):
    meta = {k: v for k, v in cp._probe_json().items() if k != "encoder_arithmetic"}  # e.g. a 0.3 int8 probe
    monkeypatch.setattr(cp, "_probe_json", lambda: meta)
    f = get_detector("fingerprint.clip_probe").run(_item(tmp_path, _textured()))
    assert not f.applicable and "arithmetic" in f.reason
    assert "计算方式" in f.explanation["zh"]


@needs_encoder
def test_detector_reproduces_the_score_of_the_synthetic_reference():
    """The probe JSON records what it gave a synthetic image at fit time; on this machine the detector
    must give the same (it would not if the encoder's arithmetic depended on the CPU). Needs no data."""
    refs = [r for r in cp._probe_json().get("reference_scores", []) if r["image"].startswith("synthetic")]
    assert len(refs) == 1, "the shipped probe records the synthetic reference score"
    item = SimpleNamespace(media_type="image", pixels=cp.reference_image())
    assert get_detector("fingerprint.clip_probe").run(item).score == pytest.approx(refs[0]["score"], abs=2e-3)


@needs_encoder
def test_detector_reproduces_the_scores_the_probe_gave_training_images():
    """Likewise for training images as delivered (the trainer's features came through its own
    cache and protocol code; the detector decodes the file itself)."""
    refs = [r for r in cp._probe_json().get("reference_scores", []) if not r["image"].startswith("synthetic")]
    assert len(refs) >= 2
    man = DATA / "images" / "MANIFEST.csv"
    if not man.is_file():
        pytest.skip("shared data absent")
    det = get_detector("fingerprint.clip_probe")
    for ref in refs:
        p = DATA / "images" / ref["image"]
        if not p.is_file():
            pytest.skip(f"{p} missing")
        assert cp.file_sha256(str(p)) == ref["sha256"], ref["image"]
        assert det.run(Item(p)).score == pytest.approx(ref["score"], abs=2e-3), ref["image"]


def test_unknown_view_is_rejected():
    with pytest.raises(ValueError, match="unknown view"):
        cp.view_crops(np.zeros((300, 400, 3), np.uint8), "native_tokens")
