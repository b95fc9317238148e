"""Media are identified by content, not by extension."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from huiyan.media.item import Item
from huiyan.media.probe import MediaError, sniff
from huiyan.samples import write_test_video


@pytest.mark.parametrize(
    "fmt,kw",
    [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 90}), ("TIFF", {}), ("BMP", {}), ("GIF", {})],
)
def test_image_formats_by_content(tmp_path, photo_rgb, fmt, kw):
    p = tmp_path / "misnamed.dat"
    Image.fromarray(photo_rgb).save(p, format=fmt, **kw)
    probe = sniff(p)
    assert probe.media_type == "image" and probe.format == fmt
    px = Item(p).pixels
    assert px.shape == photo_rgb.shape and px.dtype == np.uint8


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heif_avif(tmp_path, photo_rgb, fmt):
    import pillow_heif

    pillow_heif.register_heif_opener()
    p = tmp_path / "x.bin"
    try:
        Image.fromarray(photo_rgb).save(p, format=fmt, quality=90)
    except (KeyError, ValueError, OSError) as e:
        pytest.skip(f"this pillow-heif build cannot encode {fmt}: {e}")
    probe = sniff(p)
    assert probe.media_type == "image" and probe.format == fmt
    assert Item(p).pixels.shape == photo_rgb.shape


def test_animated_gif_and_webp_are_videos(tmp_path, photo_rgb):
    frames = [Image.fromarray(np.roll(photo_rgb, 8 * i, axis=1)) for i in range(5)]
    for fmt in ("GIF", "WEBP"):
        p = tmp_path / f"anim.{fmt.lower()}"
        frames[0].save(p, format=fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
        probe = sniff(p)
        assert probe.media_type == "video" and probe.format == fmt
        it = Item(p)
        assert it.video.n_frames == 5
        assert abs(it.video.duration - 0.5) < 1e-6
        assert it.frames.windows and it.frames.stills


@pytest.mark.parametrize("container,codec", [("mp4", "libx264"), ("mov", "libx264"), ("mkv", "libx264"),
                                             ("webm", "libvpx-vp9"), ("avi", "mpeg4")])
def test_video_containers(tmp_path, container, codec):
    import av

    p = tmp_path / f"clip.{container}"
    with av.open(str(p), "w") as c:
        s = c.add_stream(codec, rate=10)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        for i in range(20):
            arr = np.full((64, 96, 3), (i * 10) % 255, np.uint8)
            for pkt in s.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    p2 = tmp_path / "renamed.jpg"
    p.rename(p2)
    probe = sniff(p2)
    assert probe.media_type == "video"
    it = Item(p2)
    assert it.video.n_frames == 20
    assert it.frames.decoded_frames == 20


def test_video_sampling_is_bounded(tmp_path):
    p = write_test_video(tmp_path / "long.mp4", seconds=20, fps=25, size=(64, 48))
    it = Item(p, options={"windows": 4, "window_len": 3, "stills": 2})
    fs = it.frames
    assert fs.decoded_frames == 500
    assert len(fs.windows) == 4 and all(len(w.frames) == 3 for w in fs.windows)
    assert all(np.diff(w.indices).tolist() == [1, 1] for w in fs.windows)
    assert len(fs.stills) == 2


def test_empty_and_unknown(tmp_path):
    e = tmp_path / "e"
    e.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        sniff(e)
    u = tmp_path / "u"
    u.write_bytes(bytes(range(256)))
    with pytest.raises(MediaError, match="unrecognised"):
        sniff(u)


def test_exif_and_qtables_exposed(tmp_path, photo_rgb):
    im = Image.fromarray(photo_rgb)
    exif = Image.Exif()
    exif[0x010F] = "TestMake"
    exif[0x0110] = "TestModel"
    p = tmp_path / "e.jpg"
    im.save(p, quality=75, exif=exif)
    m = Item(p).metadata
    assert m.exif["Make"] == "TestMake" and m.exif["Model"] == "TestModel"
    assert m.quantization and len(m.quantization[0]) == 64
    assert m.subsampling == "4:2:0"


def test_mpo_jpeg_exposes_tables(shared_data):
    p = shared_data / "images" / "c2pa_public_testfiles" / "image__jpeg__nikon-20221019-building.jpeg"
    if not p.exists():
        pytest.skip("Nikon MPO file not in this data version")
    m = Item(p).metadata
    assert m.format == "MPO"
    assert m.quantization and m.subsampling


def _exif_with_dangling_ifd_pointers() -> bytes:
    """A little-endian EXIF block whose IFD0 names a camera but points its Exif and GPS IFDs far
    past the end of the block (a truncated or hand-edited EXIF segment)."""
    import struct

    entries = [(0x010F, 2, 4, b"Cam\0"), (0x8769, 4, 1, struct.pack("<I", 0xFFFF00)),
               (0x8825, 4, 1, struct.pack("<I", 0xFFFF00))]
    b = b"II*\x00" + struct.pack("<IH", 8, len(entries))
    for tag, typ, cnt, val in entries:
        b += struct.pack("<HHI", tag, typ, cnt) + val.ljust(4, b"\0")
    return b"Exif\x00\x00" + b + struct.pack("<I", 0)


def test_unreadable_exif_sub_ifds_are_recorded_not_silent(tmp_path):
    p = tmp_path / "x.jpg"
    Image.fromarray(np.full((64, 64, 3), 100, np.uint8)).save(p, exif=_exif_with_dangling_ifd_pointers())
    item = Item(p)
    m = item.metadata
    assert m.exif.get("Make") == "Cam"  # what could be read is kept
    assert m.read_warnings and all(w.startswith("EXIF:") for w in m.read_warnings)
    assert item.describe()["metadata_warnings"] == m.read_warnings
    clean = tmp_path / "clean.jpg"
    Image.fromarray(np.full((64, 64, 3), 100, np.uint8)).save(clean)
    assert Item(clean).metadata.read_warnings == [] and "metadata_warnings" not in Item(clean).describe()
