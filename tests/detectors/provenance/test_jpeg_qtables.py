"""provenance.jpeg_qtables: IJG tables by quality (golden reference: Pillow's own encoder),
camera tables, agreement with the EXIF camera."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from huiyan.detectors.base import get_detector
from huiyan.detectors.provenance.jpeg_qtables import ANNEX_K_CHROMA, ANNEX_K_LUMA, classify_tables, ijg_table

DET = get_detector("provenance.jpeg_qtables")


@pytest.mark.parametrize("q", [5, 30, 50, 75, 90, 95, 100])
def test_ijg_formula_equals_pillow_encoder(q):
    b = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(b, "JPEG", quality=q)
    tables = Image.open(io.BytesIO(b.getvalue())).quantization
    assert list(ijg_table(ANNEX_K_LUMA, q)) == list(tables[0])
    assert list(ijg_table(ANNEX_K_CHROMA, q)) == list(tables[1])
    assert classify_tables(tables) == {**classify_tables(tables), "family": "ijg", "quality": q}


def test_pillow_resave_found_with_quality(photo, item_from, mk):
    f = DET.run(item_from(mk.jpeg_bytes(photo, quality=83), "p.jpg"))
    assert f.applicable and f.details["family"] == "ijg" and f.details["quality"] == 83
    assert f.llr == 0  # without a camera block the table family is not evidence
    g = DET.run(item_from(mk.jpeg_bytes(photo, quality=83, exif=mk.camera_exif(None)), "q.jpg"))
    assert g.details["family"] == "ijg" and g.llr > 0  # camera EXIF + library tables: re-saved


def test_custom_tables_with_camera_block(photo, item_from, mk):
    rng = np.random.default_rng(0)
    luma = np.clip(ijg_table(ANNEX_K_LUMA, 92) + rng.integers(-1, 2, 64), 1, 255)
    chroma = np.clip(ijg_table(ANNEX_K_CHROMA, 92) + rng.integers(-1, 2, 64), 1, 255)
    data = mk.jpeg_bytes(photo, qtables=[list(map(int, luma)), list(map(int, chroma))], exif=mk.camera_exif(None))
    f = DET.run(item_from(data, "cam.jpg"))
    assert f.details["family"] == "non_standard" and abs(f.details["nearest_quality"] - 92) <= 2
    assert -2.0 <= f.llr < 0 and not f.decisive
    ps = DET.run(item_from(mk.jpeg_bytes(photo, qtables=[list(map(int, luma)), list(map(int, chroma))],
                                         exif=mk.camera_exif(None, software="Adobe Photoshop CC")), "ps.jpg"))
    assert ps.llr == 0  # an editor's own tables are not firmware tables


def test_non_jpeg_and_tiny(photo, item_from, mk):
    b = io.BytesIO()
    Image.fromarray(photo).save(b, "PNG")
    assert not DET.run(item_from(b.getvalue(), "x.png")).applicable
    t = DET.run(item_from(mk.jpeg_bytes(np.full((8, 8, 3), 7, np.uint8), quality=50), "t.jpg"))
    assert t.applicable and t.details["quality"] == 50


def test_shared_camera_and_generated(shared_images):
    from huiyan.media.item import Item

    cam = DET.run(Item(shared_images / "metadata_extractor_images" / "jpg__Canon_IXUS.jpg"))
    assert cam.details["family"] == "non_standard" and cam.llr < 0
    gen = DET.run(Item(shared_images / "ai_image_filter" / "human__ChatGPT_10_man.jpg"))
    assert gen.details["family"] == "ijg" and gen.llr == 0
