"""Synthetic clips whose answer is known by construction, for the video tests.

Test modules import it by path (pytest runs in importlib mode)::

    spec = importlib.util.spec_from_file_location("video_clips", REPO / "tests/media/video_clips.py")

Nothing here reads ../shared/data.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np

CONTAINER_CODECS = {
    ".mp4": ("libx264", "yuv420p"),
    ".mov": ("libx264", "yuv420p"),
    ".mkv": ("libx264", "yuv420p"),
    ".webm": ("libvpx-vp9", "yuv420p"),
    ".avi": ("mpeg4", "yuv420p"),
}


def write_clip(path: Path, frames: Iterable[np.ndarray], fps: float, *, crf: int = 18, gop: int | None = None,
               durations_ms: list[int] | None = None, times: list[float] | None = None) -> Path:
    """Write RGB uint8 frames to `path`; the container follows the extension.

    `.gif` / `.webp` are written with Pillow (`durations_ms` per frame), the others with PyAV;
    `times` (seconds, increasing) gives variable-frame-rate timestamps.
    """
    ext = path.suffix.lower()
    if ext in (".gif", ".webp"):
        from PIL import Image

        ims = [Image.fromarray(f) for f in frames]
        dur = durations_ms or [round(1000 / fps)] * len(ims)
        kw = {"lossless": False, "quality": 90} if ext == ".webp" else {}
        ims[0].save(path, save_all=True, append_images=ims[1:], duration=dur, loop=0, **kw)
        return path
    import av

    codec, pix = CONTAINER_CODECS[ext]
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=rate)
        s.pix_fmt = pix
        if codec == "libx264":
            s.options = {"crf": str(crf), "preset": "ultrafast", **({"g": str(gop)} if gop else {})}
        elif codec == "libvpx-vp9":
            s.options = {"crf": "30", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        first = True
        for i, f in enumerate(frames):
            if first:
                s.width, s.height = f.shape[1], f.shape[0]
                if times is not None:
                    s.codec_context.time_base = Fraction(1, 1000)
                first = False
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")
            if times is not None:
                vf.pts = int(round(times[i] * 1000))
                vf.time_base = Fraction(1, 1000)
            for pkt in s.encode(vf):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return path


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth random RGB texture (blurred noise) with edges, larger than the frame for panning."""
    import cv2

    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    t = cv2.GaussianBlur(t, (0, 0), 3)
    t = (t - t.min()) / (np.ptp(t) + 1e-6) * 200 + 25
    return t


def panning(n: int, size: tuple[int, int], *, seed: int = 0, noise: float = 3.0, fresh_noise: bool = True,
            speed: int = 2) -> Iterable[np.ndarray]:
    """A texture panning right by `speed` px per frame, plus Gaussian noise that is drawn anew for
    every frame (`fresh_noise=True`, like a sensor) or the same in every frame (static noise)."""
    w, h = size
    tex = texture(h, w + speed * n + 8, seed)
    rng = np.random.default_rng(seed + 1)
    fixed = rng.normal(0, noise, (h, w, 3)).astype(np.float32)
    for i in range(n):
        z = rng.normal(0, noise, (h, w, 3)).astype(np.float32) if fresh_noise else fixed
        yield np.clip(tex[:, i * speed:i * speed + w] + z, 0, 255).astype(np.uint8)


def with_duplicates(frames: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    """Every frame shown twice (a 2x frame-rate padding with repeated frames)."""
    for f in frames:
        yield f
        yield f


def pulse_face(n: int, fps: float, *, bpm: float = 72.0, amplitude: float = 0.012, seed: int = 0,
               noise: float = 1.5) -> Iterable[np.ndarray]:
    """scikit-image's astronaut portrait (512x512, a real face) with a planted pulse.

    The skin-coloured pixels of the face box are modulated by `amplitude` (relative) at `bpm` with
    the blood-volume colour signature of skin (0.33, 0.77, 0.53 for R, G, B; de Haan and van Leest,
    doi:10.1088/0967-3334/35/9/1913); the rest of the frame only gets fresh noise.
    `amplitude=0` gives the same clip without a pulse.
    """
    import cv2
    from skimage import data

    img = data.astronaut().astype(np.float32)
    x, y, s = 179, 83, 88  # face box of the HOG detector on this image
    ycc = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2YCrCb)
    skin = (ycc[..., 1] > 133) & (ycc[..., 1] < 180) & (ycc[..., 2] > 77) & (ycc[..., 2] < 135)
    box = np.zeros(skin.shape, bool)
    box[y - 10:y + s + 20, x - 10:x + s + 10] = True
    m = (skin & box).astype(np.float32)[..., None] * np.array([0.33, 0.77, 0.53], np.float32)
    rng = np.random.default_rng(seed)
    for i in range(n):
        p = amplitude * np.sin(2 * np.pi * bpm / 60 * i / fps)
        f = img * (1 + p * m) + rng.normal(0, noise, img.shape)
        yield np.clip(f, 0, 255).astype(np.uint8)


def item_for(path: Path, artifact_dir: Path | None = None, **options):
    from huiyan.media.item import Item

    return Item(path, artifact_dir=artifact_dir, options=options)
