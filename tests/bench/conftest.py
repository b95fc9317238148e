"""Fixtures shared by the harness tests."""

from __future__ import annotations

import pytest
from PIL import Image


@pytest.fixture
def jpeg_with_exif(tmp_path, photo_rgb):
    """A camera-like JPEG (quality 95) carrying EXIF Make/Model: what the protocols must strip."""
    exif = Image.Exif()
    exif[0x010F] = "TestMake"
    exif[0x0110] = "TestModel"
    p = tmp_path / "in.jpg"
    Image.fromarray(photo_rgb).save(p, quality=95, exif=exif)
    return p
