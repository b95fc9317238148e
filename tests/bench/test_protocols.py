"""Protocol transforms: metadata gone, format and size as specified, cache reused."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from huiyan.bench.protocols import prepare, protocol_pixels, protocols_for
from huiyan.media.probe import sniff


def test_image_protocols(tmp_path, jpeg_with_exif):
    cache = tmp_path / "cache"
    out = {p: prepare(jpeg_with_exif, "ab" * 32, "image", p, cache) for p in protocols_for("image")}
    assert out["delivered"] == jpeg_with_exif
    assert sniff(out["stripped"]).format == "PNG"
    assert sniff(out["laundered"]).format == "JPEG"
    with Image.open(out["stripped"]) as a, Image.open(jpeg_with_exif) as b:
        assert not a.getexif() and "icc_profile" not in a.info
        assert np.array_equal(np.asarray(a), np.asarray(b.convert("RGB")))  # same pixels, lossless
    with Image.open(out["laundered"]) as a:
        assert not a.getexif()
        assert a.size == (512, 512)
    with Image.open(out["resized"]) as a:
        assert a.size == (256, 256)
    # second call reuses the cached file
    mtime = out["laundered"].stat().st_mtime_ns
    assert prepare(jpeg_with_exif, "ab" * 32, "image", "laundered", cache).stat().st_mtime_ns == mtime


def test_video_protocol_rejects_image_protocol(tmp_path, jpeg_with_exif):
    with pytest.raises(ValueError):
        prepare(jpeg_with_exif, "cd" * 32, "video", "laundered", tmp_path)


def test_gif_reencoded_to_h264(tmp_path):
    import av

    frames = [Image.fromarray(np.full((33, 47, 3), 20 * i, np.uint8)) for i in range(6)]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = prepare(src, "ef" * 32, "video", "reencoded", tmp_path / "c")
    assert sniff(out).format == "MP4"
    with av.open(str(out)) as c:
        st = c.streams.video[0]
        assert st.codec_context.name == "h264"
        assert (st.codec_context.width, st.codec_context.height) == (46, 32)  # even size
        assert sum(1 for _ in c.decode(st)) == 6


def test_in_memory_protocol_matches_the_files(tmp_path):
    from huiyan.media.image import decode_rgb

    rgb = np.random.default_rng(2).integers(0, 256, (75, 99, 3), dtype=np.uint8)
    src = tmp_path / "odd.png"
    Image.fromarray(rgb).save(src)
    assert protocol_pixels(rgb, "stripped") is rgb
    for p in ("laundered", "resized"):
        on_disk = decode_rgb(prepare(src, "12" * 32, "image", p, tmp_path / "c"))
        assert np.array_equal(protocol_pixels(rgb, p), on_disk)
    assert protocol_pixels(rgb, "resized").shape == (37, 49, 3)
    assert not np.array_equal(protocol_pixels(rgb, "laundered"), rgb)  # lossy
    with pytest.raises(ValueError):
        protocol_pixels(rgb, "reencoded")
