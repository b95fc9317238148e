"""Bundled sample files for `make run`, made on the spot from what dependencies ship.

- `astronaut.png`, `coffee.jpg`: photographs shipped by scikit-image (public domain / CC0 per
  scikit-image's data README); the JPEG is a Pillow re-save at quality 90.
- `chelsea_tagged.png`: scikit-image's cat photo with an AUTOMATIC1111-style `parameters` text
  chunk written by this script — a demonstration fixture for the generator-signature rule, not a
  real generator output.
- `moving_gradient.mp4`: a 2-second synthetic H.264 clip written with PyAV.

`--pick-shared DIR` prints a few paths from ../shared/data (by its MANIFEST.csv) so that
`make run` also analyses real evidence when the folder exists. Nothing is copied from there.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def make_samples(out: Path) -> list[Path]:
    from PIL import Image, PngImagePlugin
    from skimage import data

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    p = out / "astronaut.png"
    if not p.exists():
        Image.fromarray(data.astronaut()).save(p)
    paths.append(p)
    p = out / "coffee.jpg"
    if not p.exists():
        Image.fromarray(data.coffee()).save(p, quality=90)
    paths.append(p)
    p = out / "chelsea_tagged.png"
    if not p.exists():
        info = PngImagePlugin.PngInfo()
        info.add_text(
            "parameters",
            "a cat on a table\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
            "Seed: 1, Size: 451x300, Model: demo-fixture",
        )
        Image.fromarray(data.chelsea()).save(p, pnginfo=info)
    paths.append(p)
    p = out / "moving_gradient.mp4"
    if not p.exists():
        write_test_video(p, seconds=2.0, fps=25, size=(320, 240))
    paths.append(p)
    return paths


def encode_h264(path: Path, frames: Iterable[np.ndarray], fps: int, size: tuple[int, int],
                options: dict[str, str] | None = None) -> Path:
    """Write float or uint8 RGB frames of `size` (w, h) to an H.264 / yuv420p file with PyAV."""
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        if options:
            s.options = options
        for img in frames:
            frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8), format="rgb24")
            for pkt in s.encode(frame):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return path


def write_test_video(path: Path, *, seconds: float, fps: int, size: tuple[int, int], seed: int = 0) -> Path:
    """A synthetic H.264 clip: a moving gradient with fresh sensor-like noise in every frame."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]

    def frames():
        for i in range(int(seconds * fps)):
            base = (xx + 3 * i) % 256
            img = np.stack([base, (yy + i) % 256, (base + yy) // 2 % 256], -1).astype(np.float32)
            img += rng.normal(0, 3, img.shape)  # in place: stays float32
            yield img

    return encode_h264(path, frames(), fps, size)


def pick_shared(root: Path, per_label: int = 1) -> list[Path]:
    picked: list[Path] = []
    for sub in ("images", "videos"):
        man = root / sub / "MANIFEST.csv"
        if not man.exists():
            continue
        seen: dict[str, int] = {}
        with open(man, newline="") as fh:
            for row in csv.DictReader(fh):
                lab = row["label"]
                if seen.get(lab, 0) < per_label:
                    seen[lab] = seen.get(lab, 0) + 1
                    picked.append(root / sub / row["relative_path"])
    return picked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="out/samples")
    ap.add_argument("--pick-shared", metavar="DIR")
    a = ap.parse_args(argv)
    if a.pick_shared:
        print(" ".join(str(p) for p in pick_shared(Path(a.pick_shared))))
        return 0
    for p in make_samples(Path(a.out)):
        print(p, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
