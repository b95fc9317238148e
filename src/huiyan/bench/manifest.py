"""Read a labelled folder (`ROOT/MANIFEST.csv`, the format of ../shared/data) into entries.

The ground truth is used only to score results and to build the out-of-sample folds (source
repository and generator/camera groups); detectors never see it.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

REAL_LABELS = {"real"}


@dataclass
class Entry:
    media: str  # folder name: "images" or "videos" (the harness sniffs the real media type)
    relative_path: str
    path: str
    label: str
    y: int  # 1 manipulated (generated, tampered, deepfake ...), 0 camera original
    generator: str
    gen_key: str | None  # normalised generator family / camera model; None when unknown
    source: str
    source_format: str  # format as delivered (JPEG, PNG, gif, h264 ...)
    sha256: str

    def to_dict(self) -> dict:
        return asdict(self)


_GEN_ALIASES = [
    (r"ff\+\+|faceforensics", "faceforensics"),
    (r"animatediff", "animatediff"),
    (r"lavie", "lavie"),
    (r"videocrafter", "videocrafter"),
    (r"dynamicrafter", "dynamicrafter"),
    (r"open-?sora", "open-sora"),
    (r"sadtalker", "sadtalker"),
    (r"gpt-4o|chatgpt", "gpt-4o"),
    (r"dall-?e ?3|dalle3", "dalle3"),
    (r"dall-?e ?2|dalle2", "dalle2"),
    (r"sdxl|cosxl|hotshot", "sdxl"),
    (r"sd ?3", "sd3"),
    (r"sd ?2", "sd2"),
    (r"sd ?1|sd15|stable diffusion 1", "sd1"),
    (r"flux|chroma", "flux"),
    (r"firefly", "firefly"),
    (r"cascade", "stable-cascade"),
    (r"stylegan", "stylegan"),
    (r"hunyuan", "hunyuan"),
]


def generator_key(label: str, generator: str) -> str | None:
    """A coarse generator (or camera) family used to keep a generator out of the fitting set
    when it is scored. Unknown cameras and unspecified edits give None (no grouping)."""
    g = (generator or "").strip().lower()
    if not g:
        return None
    if label in REAL_LABELS:
        if "unknown" in g or g.startswith("camera ("):
            return None
        return "camera:" + re.sub(r"\s*\(.*", "", g.removeprefix("camera:")).strip()
    for pat, key in _GEN_ALIASES:
        if re.search(pat, g):
            return key
    m = re.match(r"[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*", g)  # "mochi-1" -> mochi, "tf-t2v" -> tf-t2v
    if not m or m.group(0) in ("manual", "splicing", "copy-move", "removal", "inpainting", "photoshop", "face"):
        return None
    return m.group(0)


def load_manifest(root: str | Path) -> list[Entry]:
    root = Path(root)
    rows = list(csv.DictReader(open(root / "MANIFEST.csv", newline="", encoding="utf-8")))
    out = []
    for r in rows:
        gen = r.get("generator") or r.get("generator_method") or ""
        label = r["label"].strip()
        out.append(
            Entry(
                media=root.name,
                relative_path=r["relative_path"],
                path=str(root / r["relative_path"]),
                label=label,
                y=0 if label in REAL_LABELS else 1,
                generator=gen,
                gen_key=generator_key(label, gen),
                source=r.get("source", "").strip() or "unknown",
                source_format=(r.get("format") or r.get("codec") or "").strip(),
                sha256=(r.get("sha256") or "").strip().lower(),
            )
        )
    return out


def data_version(*roots: str | Path) -> str:
    """SHA-256 over the MANIFEST files (the data version a calibration came from)."""
    h = hashlib.sha256()
    for root in roots:
        p = Path(root) / "MANIFEST.csv"
        if p.exists():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()
