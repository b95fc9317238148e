"""physical.jpeg_double 0.2: JPEG compression history read from decoded pixels (Fan & de Queiroz
2003) when the file is not a JPEG. Synthetic images whose answer is known by construction
(quality, table and grid offset), a never-compressed image, a planted double compression, bad
input, and a real JPEG of ../shared/data re-saved as PNG in the test."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from huiyan.detectors.physical.jpeg_double import (
    EST_POSITIONS,
    PIXEL_CONFIDENCE,
    DoubleJPEG,
    estimate_jpeg_history,
    ijg_table,
    pixel_estimate,
)
from huiyan.media.item import Item


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    """A noise-textured RGB image (smooth random field + fine noise), 384 x 384, never compressed."""
    import cv2

    rng = np.random.default_rng(7)
    field = cv2.GaussianBlur(rng.normal(0, 1, (384, 384, 3)).astype(np.float32), (0, 0), 3.0)
    field = 128 + 45 * field / field.std()
    return np.clip(field + rng.normal(0, 3.0, field.shape), 0, 255).astype(np.float32)


def _jpeg(arr: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Encode with Pillow at quality q (default 4:2:0) and decode: (RGB uint8, luma table 8x8)."""
    buf = io.BytesIO()
    Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=q)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB")), np.array(im.quantization[0]).reshape(8, 8)


def _png_item(tmp_path, arr: np.ndarray, name: str = "pixels") -> Item:
    """An Item of `arr` saved losslessly as PNG (what the stripped protocol hands the detector);
    built like the `pixel_item` fixture of tests/detectors/conftest.py."""
    p = tmp_path / f"{name}.png"
    Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8)).save(p, format="PNG")
    return Item(p, artifact_dir=tmp_path / "case" / name)


def _steps(est: dict) -> dict[tuple[int, int], int]:
    return {(int(k[0]), int(k[1])): v for k, v in est["steps"].items()}


def test_q75_table_and_grid_estimated_from_png_pixels(tmp_path, texture):
    rgb, table = _jpeg(texture, 75)
    assert np.array_equal(table, ijg_table(75))  # the construction: Pillow uses the IJG table
    item = _png_item(tmp_path, rgb)
    est = pixel_estimate(item)
    assert est["grid_offset"] == [0, 0]
    assert est["confidence"] >= 0.5
    assert est["ijg_quality"] is not None and abs(est["ijg_quality"] - 75) <= 2
    assert _steps(est) == {p: int(table[p]) for p in EST_POSITIONS}
    f = DoubleJPEG().run(item)
    assert f.applicable and f.method_version == "0.2"
    assert f.details["table_source"] == "estimated from pixels"
    assert f.details["pixel_estimate"]["confidence"] == est["confidence"]
    assert "estimated from the pixels" in f.explanation["en"]


@pytest.mark.parametrize("shift", [(3, 3), (3, 0), (0, 5)])
def test_grid_offset_of_a_shifted_crop(tmp_path, texture, shift):
    rgb, table = _jpeg(texture, 75)
    dy, dx = shift
    est = estimate_jpeg_history(_luma(rgb[dy:, dx:]))
    # block boundaries of the original grid fall at rows/columns 8k - shift of the crop
    assert est["grid_offset"] == [(8 - dy) % 8, (8 - dx) % 8]
    assert _steps(est) == {p: int(table[p]) for p in EST_POSITIONS}
    item = _png_item(tmp_path, rgb[dy:, dx:], name="crop")
    f = DoubleJPEG().run(item)
    assert f.applicable and f.details["pixel_estimate"]["grid_offset"] == est["grid_offset"]


def _luma(rgb: np.ndarray) -> np.ndarray:
    p = rgb.astype(np.float32)
    return 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2]


def test_never_compressed_is_not_applicable(tmp_path, texture):
    est = estimate_jpeg_history(_luma(texture.astype(np.uint8)))
    assert est["confidence"] < PIXEL_CONFIDENCE
    f = DoubleJPEG().run(_png_item(tmp_path, texture))
    assert not f.applicable
    assert "no earlier JPEG compression visible in the pixels" in f.reason
    assert f.explanation["zh"].startswith("不适用")


def test_double_compression_as_png_shows_a_dq_trace(tmp_path, texture):
    single = DoubleJPEG().run(_png_item(tmp_path, _jpeg(texture, 90)[0], "single"))
    double = DoubleJPEG().run(_png_item(tmp_path, _jpeg(_jpeg(texture, 60)[0], 90)[0], "double"))
    assert single.applicable and double.applicable
    # where the first step is not a multiple of the last (q60 step 9, q90 step 2 at (0, 1)), the
    # last step is estimated; where it is (10 over 2 at (1, 0)), the coefficients are those of a
    # single compression at 10 and that is what the estimate reads (no false DQ trace on
    # single-compressed images at the price of no trace at such frequencies)
    steps = double.details["pixel_estimate"]["steps"]
    assert steps["01"] == 2 and steps["10"] == 10
    assert double.details["components"]["dq"] >= 1.0  # a clear trace
    assert double.details["dq_roughness"] > single.details["dq_roughness"] + 0.1
    assert double.score > single.score


def test_same_pixels_same_finding_whatever_the_name(tmp_path, texture):
    rgb = _jpeg(texture, 80)[0]
    a = DoubleJPEG().run(_png_item(tmp_path, rgb, "camera_original"))
    b = DoubleJPEG().run(_png_item(tmp_path, rgb, "tampered_splice"))
    assert (a.applicable, a.score, a.details["pixel_estimate"]) == (b.applicable, b.score, b.details["pixel_estimate"])


def test_bad_input(tmp_path):
    det = DoubleJPEG()
    tiny = det.run(_png_item(tmp_path, np.zeros((12, 12, 3)), "tiny"))
    flat = det.run(_png_item(tmp_path, np.full((256, 256, 3), 90.0), "flat"))
    assert not tiny.applicable and "too small" in tiny.reason
    assert not flat.applicable and "flat" in flat.reason
    # the estimate itself copes with arrays smaller than a block or without usable blocks
    for g in (np.zeros((5, 5), np.float32), np.full((64, 64), 255.0, np.float32), np.zeros((16, 400), np.float32)):
        est = estimate_jpeg_history(g)
        assert est["confidence"] == 0.0


@pytest.mark.parametrize("name", ["data__demo_adq3.jpg", "data__demo_adq1.jpg"])
def test_real_jpeg_resaved_as_png_gives_its_grid_and_table(tmp_path, shared_data, name):
    src = shared_data / "images" / "pyifd_demos" / name
    if not src.exists():
        pytest.skip(f"{name} is not in ../shared/data")
    jpg = Item(src)
    table = np.array(jpg.metadata.quantization[0]).reshape(8, 8)
    png = _png_item(tmp_path, jpg.pixels, "stripped")
    est = pixel_estimate(png)
    assert est["grid_offset"] == [0, 0]  # the file's own grid
    assert est["confidence"] >= PIXEL_CONFIDENCE
    f_png, f_jpg = DoubleJPEG().run(png), DoubleJPEG().run(jpg)
    assert f_png.applicable and f_jpg.applicable
    assert f_jpg.details["table_source"] == "file"
    assert f_png.details["table_source"] == "estimated from pixels"
    steps = _steps(est)
    if name == "data__demo_adq3.jpg":  # last compression ~q80 (IJG table): the same table
        assert sum(steps[p] == int(table[p]) for p in EST_POSITIONS) >= 13, (steps, table)
        closest = min(range(1, 101), key=lambda q: np.abs(ijg_table(q) - table).sum())
        assert est["ijg_quality"] is not None and abs(est["ijg_quality"] - closest) <= 2
    else:
        # last compression ~q94 (steps 1-3) over an earlier, coarser one: where an earlier step is a
        # multiple of the last, the coefficients are exactly those of a single compression at the
        # earlier step, and the estimate reads that (documented failure case: no DQ trace there)
        # (12 of the 15 here); the others are near a step of the earlier compression too
        assert sum(steps[p] % int(table[p]) == 0 for p in EST_POSITIONS) >= 11, (steps, table)
