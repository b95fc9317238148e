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
# the kind of manipulation each manipulated label is (huiyan.fusion.combine.KINDS): what the fused
# `category` should name, and which items a method naming that kind is calibrated on
KIND_OF_LABEL = {
    "generated": "fully_generated", "generated_t2v": "fully_generated", "generated_i2v": "fully_generated",
    "tampered": "locally_edited", "deepfake": "face_manipulated", "deepfake_face": "face_manipulated",
    "talking_head": "face_manipulated",
}


def shares_neither(source: str, gen_key: str | None, held_sources: set[str], held_keys: set[str | None]) -> bool:
    """The out-of-sample rule of every fit here: a training item (its `source` and generator or
    camera family `gen_key`) may be used to score held-out items only if it shares neither a source
    nor a family with them. An item of unknown family (None) is kept; a held-out item of unknown
    family excludes only its source. One predicate for the evaluation harness
    (huiyan.bench.evaluate), the CLIP probe's out-of-fold scores (huiyan.learn.clip_oos) and the
    learned detector's (huiyan.learn.train_patch_oos)."""
    return source not in held_sources and (gen_key is None or gen_key not in held_keys)


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


def manifest_hashes(entries) -> set[str]:
    """SHA-256 of the MANIFEST.csv of every data root the entries come from (what
    `data_version` hashes together, one hash per root)."""
    roots = {str(e.path)[: -len(e.relative_path)] if str(e.path).endswith(e.relative_path) else None for e in entries}
    out = set()
    for r in roots - {None}:
        m = Path(r) / "MANIFEST.csv"
        if m.exists():
            out.add(hashlib.sha256(m.read_bytes()).hexdigest())
    return out


def add_sha256(rows: list[dict], data_dir: str | Path) -> int:
    """Give each published out-of-fold row (its `path`: a path relative to images/ or videos/, or
    a bare file name) the SHA-256 of its file, from the MANIFEST.csv files of `data_dir`, so that
    the harness matches rows to files by content, never by name. Rows that already carry one are
    left alone. Returns how many rows are left without one (a path not in the manifests, or a bare
    name that several files share)."""
    by_rel: dict[str, str] = {}
    by_name: dict[str, set[str]] = {}
    for sub in ("images", "videos"):
        if not (Path(data_dir) / sub / "MANIFEST.csv").exists():
            continue
        for e in load_manifest(Path(data_dir) / sub):
            if e.sha256:
                by_rel[e.relative_path] = e.sha256
                by_name.setdefault(Path(e.relative_path).name, set()).add(e.sha256)
    missing = 0
    for r in rows:
        if r.get("sha256"):
            continue
        sha = by_rel.get(r["path"])
        if sha is None and len(cands := by_name.get(Path(r["path"]).name, set())) == 1:
            sha = next(iter(cands))
        if sha is None:
            missing += 1
        else:
            r["sha256"] = sha
    return missing


def write_logo(path: str | Path, logo: dict, data_dir: str | Path) -> int:
    """Write a learned method's out-of-fold rows (`logo["rows"]`) for the evaluation harness, each
    with the SHA-256 of its file (add_sha256), atomically (a harness reading meanwhile never sees
    half a file). Returns the number of rows left without a SHA-256, which the harness ignores."""
    import json

    missing = add_sha256(logo.get("rows", []), data_dir)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(logo, indent=0) + "\n")
    tmp.replace(path)
    return missing
