"""provenance.sd_watermark: embed with invisible-watermark's own encoder (loaded without its
torch-importing package __init__; a faithful re-statement of the published embedding when the
package is absent), decode, and check the resized copy is not applicable."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from huiyan.detectors.base import get_detector
from huiyan.detectors.provenance.sd_watermark import KNOWN_MESSAGES, block_peaks, decode_message

DET = get_detector("provenance.sd_watermark")
SDXL = "SDXL (generative-models / diffusers)"
SDV2 = "SD 2.x (Stability txt2img, 'SDV2')"


def _reference_maxdct():
    """invisible-watermark's EmbedMaxDct (imwatermark/maxDct.py), or None when not installed."""
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "maxDct.py"
    s = importlib.util.spec_from_file_location("_imwm_maxdct", path)
    mod = importlib.util.module_from_spec(s)
    s.loader.exec_module(mod)
    return mod.EmbedMaxDct


class _PublishedEncoder:
    """Fallback when invisible-watermark is absent: the published dwtDct embedding written from
    its description (U plane of OpenCV YUV, Haar approximation band, 4x4 blocks, the largest AC
    entry quantised with step 36 to remainder 9 or 27; the package's reconstruction passes the
    detail bands as (V, H, D), which is kept). `test_decoder_matches_reference_decoder` checks the
    decoder against the package itself whenever it is installed."""

    def __init__(self, bits, wmLen, scale=36):
        self.bits, self.n, self.scale = list(bits), wmLen, scale

    def encode(self, bgr):
        import cv2
        import pywt

        r, c = bgr.shape[:2]
        yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)
        ca, (h, v, d) = pywt.dwt2(yuv[: r // 4 * 4, : c // 4 * 4, 1], "haar")
        num = 0
        for i in range(ca.shape[0] // 4):
            for j in range(ca.shape[1] // 4):
                blk = ca[4 * i: 4 * i + 4, 4 * j: 4 * j + 4]
                pos = int(np.argmax(np.abs(blk.flatten()[1:]))) + 1
                val = blk[pos // 4, pos % 4]
                q = (abs(val) // self.scale + 0.25 + 0.5 * self.bits[num % self.n]) * self.scale
                blk[pos // 4, pos % 4] = q if val >= 0 else -q
                num += 1
        yuv[: r // 4 * 4, : c // 4 * 4, 1] = pywt.idwt2((ca, (v, h, d)), "haar")
        return cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)


def _encode(rgb: np.ndarray, bits: np.ndarray, rgb_as_bgr: bool = False) -> np.ndarray:
    import cv2

    enc_cls = _reference_maxdct() or _PublishedEncoder
    enc = enc_cls(list(map(int, bits)), wmLen=len(bits))
    if rgb_as_bgr:  # diffusers' SDXL watermarker handed RGB arrays to the BGR encoder
        return enc.encode(rgb.copy())
    return cv2.cvtColor(enc.encode(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)), cv2.COLOR_BGR2RGB)


def _png(arr) -> bytes:
    b = io.BytesIO()
    Image.fromarray(arr).save(b, "PNG")
    return b.getvalue()


def test_sdxl_watermark_detected(photo, item_from):
    marked = _encode(photo, KNOWN_MESSAGES[SDXL])
    f = DET.run(item_from(_png(marked), "wm.png"))
    assert f.applicable and f.decisive and f.category == "fully_generated"
    assert f.details["best"]["message"] == SDXL and f.details["best"]["agreement"] >= 0.95
    assert f.details["best"]["channel_order"] == "bgr"
    # decisive, but the examiner is told the mark is public and can be forged
    assert "anyone can add it" in f.explanation["en"] and "任何人" in f.explanation["zh"]


def test_sd2_bytes_and_diffusers_channel_order(photo, item_from):
    f = DET.run(item_from(_png(_encode(photo, KNOWN_MESSAGES[SDV2])), "sd2.png"))
    assert f.decisive and f.details["best"]["message"] == SDV2
    g = DET.run(item_from(_png(_encode(photo, KNOWN_MESSAGES[SDXL], rgb_as_bgr=True)), "dif.png"))
    assert g.decisive and g.details["best"]["channel_order"] == "rgb_as_bgr"


def test_resized_copy_is_not_applicable_not_authentic(photo, item_from):
    marked = _encode(photo, KNOWN_MESSAGES[SDXL])
    small = np.asarray(Image.fromarray(marked).resize((448, 448), Image.Resampling.BICUBIC))
    f = DET.run(item_from(_png(small), "resized.png"))
    assert not f.applicable and f.llr == 0 and not f.decisive
    assert "absence is not evidence" in f.reason
    assert f.details["best"]["p_chance"] > 1e-5


def test_decoder_matches_reference_decoder(photo):
    import cv2

    enc_cls = _reference_maxdct()
    if enc_cls is None:
        pytest.skip("invisible-watermark is not installed")
    bits = KNOWN_MESSAGES[SDXL]
    for img in (_encode(photo, bits), photo):
        ref = np.asarray(enc_cls([], wmLen=bits.size).decode(cv2.cvtColor(img, cv2.COLOR_RGB2BGR)), dtype=np.uint8)
        ours, _ = decode_message(block_peaks(np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_RGB2YUV)[..., 1])),
                                 bits.size)
        assert (ours == ref).all()


def test_fallback_encoder_equals_package(photo):
    enc_cls = _reference_maxdct()
    if enc_cls is None:
        pytest.skip("invisible-watermark is not installed")
    import cv2

    bgr = cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)
    bits = list(map(int, KNOWN_MESSAGES[SDXL]))
    ref = enc_cls(bits, wmLen=len(bits)).encode(bgr.copy())
    ours = _PublishedEncoder(bits, wmLen=len(bits)).encode(bgr.copy())
    assert np.abs(ref.astype(int) - ours.astype(int)).max() <= 1


def test_unmarked_tiny_and_flat(photo, item_from):
    assert not DET.run(item_from(_png(photo), "clean.png")).applicable
    tiny = DET.run(item_from(_png(photo[:100, :100]), "tiny.png"))
    assert not tiny.applicable and "too small" in tiny.reason
    flat = DET.run(item_from(_png(np.full((512, 512, 3), 90, np.uint8)), "flat.png"))
    assert not flat.applicable and not flat.decisive


def test_shared_sdxl_output_and_camera(shared_images):
    from huiyan.media.item import Item

    f = DET.run(Item(shared_images / "kolors" / "controlnet__outputs__Pose_woman_3_sdxl.jpg"))
    assert f.decisive and f.details["best"]["message"] == SDXL
    cam = DET.run(Item(shared_images / "metadata_extractor_images" / "jpg__Canon_IXUS.jpg"))
    assert not cam.applicable and not cam.decisive
