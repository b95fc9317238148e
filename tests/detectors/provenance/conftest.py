"""Builders for the provenance tests: files whose metadata is known by construction (EXIF with
an IFD1 thumbnail written byte by byte, PNG text chunks, XMP packets) and the shared-data path."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[3]
SHARED = (REPO / ".." / "shared" / "data").resolve()

ASCII, SHORT, LONG, RATIONAL = 2, 3, 4, 5


def _value(typ: int, v) -> tuple[int, bytes]:
    if typ == ASCII:
        b = str(v).encode() + b"\x00"
        return len(b), b
    if typ == SHORT:
        return 1, struct.pack("<H", int(v))
    if typ == LONG:
        return 1, struct.pack("<I", int(v))
    if typ == RATIONAL:
        num, den = v
        return 1, struct.pack("<II", int(num), int(den))
    raise ValueError(typ)


def _ifd(entries: list[tuple[int, int, object]], start: int, next_ifd: int) -> bytes:
    entries = sorted(entries, key=lambda e: e[0])
    n = len(entries)
    data_off = start + 2 + 12 * n + 4
    head, data = [struct.pack("<H", n)], b""
    for tag, typ, v in entries:
        count, raw = _value(typ, v)
        if len(raw) <= 4:
            head.append(struct.pack("<HHI", tag, typ, count) + raw.ljust(4, b"\x00"))
        else:
            head.append(struct.pack("<HHII", tag, typ, count, data_off + len(data)))
            data += raw + (b"\x00" if len(raw) % 2 else b"")
    head.append(struct.pack("<I", next_ifd))
    return b"".join(head) + data


def exif_block(ifd0: list, exif: list, thumb: bytes | None = None) -> bytes:
    """An APP1 EXIF payload ("Exif\\0\\0" + little-endian TIFF) with IFD0, the Exif IFD and,
    when `thumb` is given, IFD1 pointing at the JPEG thumbnail."""
    def layout(exif_off: int, ifd1_off: int, thumb_off: int):
        b0 = _ifd(ifd0 + [(0x8769, LONG, exif_off)], 8, ifd1_off if thumb else 0)
        be = _ifd(exif, exif_off, 0)
        b1 = _ifd([(0x0103, SHORT, 6), (0x0201, LONG, thumb_off), (0x0202, LONG, len(thumb))], ifd1_off, 0) if thumb else b""
        return b0, be, b1

    b0, be, b1 = layout(0, 0, 0)
    exif_off = 8 + len(b0)
    ifd1_off = exif_off + len(be)
    thumb_off = ifd1_off + len(b1)
    b0, be, b1 = layout(exif_off, ifd1_off, thumb_off)
    tiff = b"II*\x00" + struct.pack("<I", 8) + b0 + be + b1 + (thumb or b"")
    return b"Exif\x00\x00" + tiff


def camera_exif(thumb: bytes | None = None, *, software: str | None = None, modify: str = "2021:06:01 10:00:05",
                original: str = "2021:06:01 10:00:00", size: tuple[int, int] | None = None) -> bytes:
    ifd0 = [(0x010F, ASCII, "Canon"), (0x0110, ASCII, "Canon EOS 80D"), (0x0132, ASCII, modify)]
    if software:
        ifd0.append((0x0131, ASCII, software))
    exif = [(0x9003, ASCII, original), (0x9004, ASCII, original), (0x829A, RATIONAL, (1, 125)),
            (0x829D, RATIONAL, (56, 10)), (0x8827, SHORT, 200), (0x920A, RATIONAL, (35, 1))]
    if size:
        exif += [(0xA002, LONG, size[0]), (0xA003, LONG, size[1])]
    return exif_block(ifd0, exif, thumb)


def jpeg_bytes(arr: np.ndarray, quality: int = 90, **kw) -> bytes:
    b = io.BytesIO()
    if "qtables" not in kw:  # Pillow would scale explicit tables by `quality`
        kw["quality"] = quality
    Image.fromarray(arr).save(b, "JPEG", **kw)
    return b.getvalue()


def thumbnail_of(arr: np.ndarray, size=(160, 120)) -> bytes:
    im = Image.fromarray(arr)
    im = im.resize(size, Image.Resampling.BOX)
    return jpeg_bytes(np.asarray(im), quality=85)


@pytest.fixture
def item_from(tmp_path):
    """item_from(bytes_or_path, name) -> Item on a file in tmp_path."""
    from huiyan.media.item import Item

    def make(data: bytes, name: str = "x.bin", **kw):
        p = tmp_path / name
        p.write_bytes(data)
        return Item(p, **kw)

    return make


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A real photograph shipped by scikit-image (astronaut, 512x512 RGB)."""
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def shared_images() -> Path:
    d = SHARED / "images"
    if not (d / "MANIFEST.csv").exists():
        pytest.skip("../shared/data is not present beside the checkout")
    return d


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    d = SHARED / "videos"
    if not (d / "MANIFEST.csv").exists():
        pytest.skip("../shared/data is not present beside the checkout")
    return d


@pytest.fixture(scope="session")
def mk():
    """The builders above, as a fixture (test modules cannot import conftest in importlib mode)."""
    import types

    return types.SimpleNamespace(camera_exif=camera_exif, exif_block=exif_block, jpeg_bytes=jpeg_bytes,
                                 thumbnail_of=thumbnail_of)
