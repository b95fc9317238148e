"""The evaluation protocols of DESIGN.md section 5, applied by the harness itself into a cache
folder (never into the data folder).

images: delivered (as is), stripped (decoded, re-saved as PNG without any metadata), laundered
(stripped, then JPEG quality 90, 4:2:0), resized (half size with a Lanczos filter, then JPEG
quality 90). videos: delivered (as is), reencoded (every frame re-encoded as H.264 CRF 23 in
MP4, no metadata; animated GIF/WebP become MP4).

Each transform has a version (`TRANSFORM_VERSIONS`). When what a protocol writes changes (encoder,
settings), its version goes up: `copy_path()` then names the copies differently, so a copy made by
the older transform is never taken for a current one, and the harness records carry the version
(`transform_version`), so findings computed on an older copy are computed again. A transform that
did not change keeps its version and its copies' names (version 1 copies have no suffix).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from pathlib import Path

IMAGE_PROTOCOLS = ("delivered", "stripped", "laundered", "resized")
VIDEO_PROTOCOLS = ("delivered", "reencoded")
ALL_PROTOCOLS = ("delivered", "stripped", "laundered", "resized", "reencoded")
# reencoded 3: libx264 without its AVX-512 code and in one thread (`reencode_video`). Version 1 (all
# of x264's CPU code paths, one sliced thread per core) did not give the same bytes for the same
# frames: 14 of 98 clips differed between two runs. Version 2 (one thread, AVX-512 still used) was
# never committed but made `.v2` copies in a harness run from the shared working tree; it is not
# reproducible either, so those copies must not be taken for current ones
TRANSFORM_VERSIONS = {"delivered": 1, "stripped": 1, "laundered": 1, "resized": 1, "reencoded": 3}


def transform_version(protocol: str) -> int:
    """Version of the transform that makes `protocol` copies (1 for a protocol never changed)."""
    return TRANSFORM_VERSIONS[protocol]


def protocols_for(media_type: str) -> tuple[str, ...]:
    return IMAGE_PROTOCOLS if media_type == "image" else VIDEO_PROTOCOLS


def copy_path(sha256: str, protocol: str, cache: str | Path) -> Path:
    """Where `prepare` keeps the transformed copy of the file with this SHA-256 under `protocol`:
    `<sha256[:24]>.<ext>`, with `.v<N>` before the extension once the transform's version N > 1."""
    ext = {"stripped": ".png", "laundered": ".jpg", "resized": ".jpg", "reencoded": ".mp4"}[protocol]
    v = transform_version(protocol)
    return Path(cache) / protocol / f"{sha256[:24]}{f'.v{v}' if v > 1 else ''}{ext}"


def prepare(src: str | Path, sha256: str, media_type: str, protocol: str, cache: str | Path) -> Path:
    """Path of the file to analyse under `protocol`, creating the transformed copy once."""
    src = Path(src)
    if protocol == "delivered":
        return src
    if protocol not in protocols_for(media_type):
        raise ValueError(f"protocol {protocol} does not apply to {media_type}")
    out = copy_path(sha256, protocol, cache)
    ext = out.suffix
    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".part" + ext)
    if media_type == "image":
        _image(src, protocol, tmp)
    else:
        reencode_video(src, tmp)
    tmp.replace(out)
    return out


IMAGE_TRANSFORMS = ("delivered", "stripped", "laundered", "resized")


def _protocol_bytes(rgb, protocol: str) -> bytes | None:
    """The file bytes an image protocol produces from decoded pixels (None: pixels unchanged).
    The single definition of the image transforms: resized = half size (w // 2, h // 2) with a
    Lanczos filter, then like laundered = Pillow JPEG quality 90, 4:2:0, not optimised."""
    import io

    import numpy as np
    from PIL import Image

    if protocol in ("delivered", "stripped"):
        return None
    if protocol not in IMAGE_TRANSFORMS:
        raise ValueError(f"unknown image protocol {protocol!r}")
    im = Image.fromarray(np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)[..., :3]))
    if protocol == "resized":
        w, h = im.size
        im = im.resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=90, subsampling="4:2:0", optimize=False)
    return buf.getvalue()


def protocol_pixels(rgb, protocol: str):
    """In memory: the H x W x 3 uint8 pixels a method sees under an image `protocol` (delivered
    and stripped: `rgb` itself, unchanged; laundered and resized: the decoded JPEG). The same
    transform `prepare()` writes to disk, so trainers and the harness cannot drift apart."""
    import io

    import numpy as np
    from PIL import Image

    data = _protocol_bytes(rgb, protocol)
    if data is None:
        return rgb
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _image(src: Path, protocol: str, out: Path) -> None:
    from PIL import Image

    from huiyan.media.image import decode_rgb

    rgb = decode_rgb(src)
    if protocol == "stripped":
        # fresh image: no EXIF, XMP, ICC or text chunks; lossless, level 1 is fast
        Image.fromarray(rgb).save(out, format="PNG", compress_level=1)
        return
    out.write_bytes(_protocol_bytes(rgb, protocol))


def _frames(src: Path):
    """Yield (RGB array, duration in seconds) for every frame."""
    import numpy as np

    from huiyan.media.probe import sniff

    fmt = sniff(src).format
    if fmt in ("GIF", "WEBP"):
        from PIL import Image, ImageSequence

        with Image.open(src) as im:
            for fr in ImageSequence.Iterator(im):
                d = float(fr.info.get("duration", 100) or 100) / 1000.0
                yield np.asarray(fr.convert("RGB"), dtype=np.uint8), d
        return
    import av

    with av.open(str(src)) as c:
        vs = c.streams.video[0]
        rate = float(vs.average_rate or vs.guessed_rate or 25)
        for fr in c.decode(vs):
            yield fr.to_ndarray(format="rgb24"), 1.0 / rate


@lru_cache(maxsize=1)
def x264_params() -> str | None:
    """The `x264-params` that make libx264 reproducible on this machine: x264's own CPU detection
    minus AVX-512, or None when x264 would use no AVX-512 code anyway (or did not say what it uses).

    Measured with the libx264 PyAV ships (core 165) on an AMD EPYC with AVX-512: with its AVX-512
    functions, the same frames gave different bytes depending on the process's memory layout (the
    size of the environment, the clips encoded before in the same process); without them (AVX2 and
    older, which gave the same bytes as SSE4.2 alone) the output did not change. The flag names are
    the ones x264 prints, so no instruction set the CPU lacks is ever requested."""
    import io

    import av
    import av.logging
    import numpy as np

    level = av.logging.get_level()
    av.logging.set_level(av.logging.INFO)  # x264 prints its CPU capabilities at INFO when it opens
    try:
        with av.logging.Capture() as logs:
            with av.open(io.BytesIO(), "w", format="mp4") as c:
                st = c.add_stream("libx264", rate=25)
                st.width, st.height, st.pix_fmt = 16, 16, "yuv420p"
                st.codec_context.thread_count = 1
                for pkt in st.encode(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")):
                    c.mux(pkt)
                for pkt in st.encode():
                    c.mux(pkt)
    finally:
        av.logging.set_level(level)
    for _, _, msg in logs:
        if "using cpu capabilities:" in msg:
            caps = msg.split(":", 1)[1].split()
            if "AVX512" in caps:
                return "asm=" + ",".join(c for c in caps if c != "AVX512")
    return None


def reencode_video(src: Path, out: Path, crf: int = 23) -> None:
    """Re-encode every frame as H.264 (libx264, CRF `crf`, preset medium, yuv420p) in MP4, without
    metadata. The frame rate is the median of the source frame durations; odd sizes lose one pixel.
    libx264 runs in one thread and without its AVX-512 code (`x264_params`), so that the same frames
    give the same bytes whatever the process did before and however many cores the machine has."""
    import av
    import numpy as np

    frames = _frames(src)
    first = next(frames, None)
    if first is None:
        raise ValueError(f"{src}: no frames")
    buf = [first]
    durs = [first[1]]
    for fr in frames:  # frame durations are needed up front for the rate; videos here are short
        buf.append(fr)
        durs.append(fr[1])
        if len(buf) >= 3000:
            break
    fps = 1.0 / max(1e-3, float(np.median(durs)))
    rate = Fraction(round(fps * 1000), 1000).limit_denominator(1001)
    h, w = first[0].shape[:2]
    w2, h2 = max(2, w - w % 2), max(2, h - h % 2)
    with av.open(str(out), "w", format="mp4", options={"fflags": "+bitexact"}) as c:
        c.metadata.clear()
        st = c.add_stream("libx264", rate=rate)
        st.width, st.height, st.pix_fmt = w2, h2, "yuv420p"
        opts = {"crf": str(crf), "preset": "medium"}
        if x264_params():
            opts["x264-params"] = x264_params()
        st.options = opts
        # one thread: PyAV's default (0) gives one slice per core, so the bytes depend on the machine
        st.codec_context.thread_count = 1
        for arr, _ in buf:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr[:h2, :w2]), format="rgb24")
            for pkt in st.encode(vf):
                c.mux(pkt)
        for pkt in st.encode():
            c.mux(pkt)
