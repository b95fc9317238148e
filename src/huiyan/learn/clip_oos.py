"""Out-of-sample CLIP-probe scores for the items the probe's own leave-one-group-out run does not
score: tampered and deepfake images, and every video.

`python -m huiyan.learn.clip_probe` publishes out-of-fold scores (models/clip_probe_logo.json) for
the real and generated images it trains on. The shipped probe, fitted on all of them, would
otherwise score the remaining items itself: a tampered image inpainted by FLUX, or a Hotshot-XL
(SDXL) clip, or an animated WebP from ComfyUI_examples, by a probe that saw its generator family or
its source repository. The harness rule (DESIGN.md section 5) is that a learned component is never
scored on a generator, camera or source it was fitted on. This module scores each such item with a
probe refitted without every training image that shares the item's generator family (the
harness's `gen_key`) or its source repository, using the shipped crop recipe and L2 strength (chosen
on the real and generated images only, never on these items), and appends the rows to the logo file.

    python -m huiyan.learn.clip_oos --data ../shared/data          # after huiyan.learn.clip_probe

Video stills are taken exactly as the detector takes them (`Item.frames.stills`; the face track,
which does not change which stills are kept, is switched off to save time) under the harness's
protocols: `delivered` and `reencoded` (the harness's own re-encoded copy, cached).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from huiyan.bench.manifest import load_manifest, shares_neither, write_logo
from huiyan.detectors.fingerprint import clip_probe as cp
from huiyan.learn import clip_probe as lp

IMAGE_PROTOCOLS = {"stripped": "delivered", "laundered": "laundered", "resized": "resized"}  # harness -> trainer
VIDEO_PROTOCOLS = ("delivered", "reencoded")


def video_stills(path: Path, protocol: str, sha256: str, cache: Path) -> list[np.ndarray]:
    from huiyan.bench.protocols import prepare
    from huiyan.media.item import Item

    src = prepare(path, sha256, "video", protocol, cache)
    return [s for _, s in Item(src, options={"face_track": False}).frames.stills]


def cached_video_embedding(entry, protocol: str, recipe: str, work: Path, bench_cache: Path) -> np.ndarray:
    f = work / f"{entry.sha256}_{protocol}_{recipe}-{lp.CACHE_VERSION}.npy"  # v2: float32 encoder arithmetic
    if f.is_file():
        return np.load(f)
    e = cp.video_embedding(video_stills(Path(entry.path), protocol, entry.sha256, bench_cache), cp.encoder_path(), recipe)
    work.mkdir(parents=True, exist_ok=True)
    np.save(f, e.astype(np.float32))
    return e


def excluded_probe(train: list[tuple[dict, object]], emb: dict, gen_key: str | None, source: str, l2: float):
    """A probe fitted on the training images that share neither `gen_key` nor `source`."""
    keep = [i for i, (_, e) in enumerate(train) if shares_neither(e.source, e.gen_key, {source}, {gen_key})]
    rows = [r for r, _ in train]
    protos = [f"aug{k}" for k in range(lp.AUG_COPIES)]
    X, y, w = lp._design(rows, keep, emb, protos)
    return lp.fit_logreg(X, y, l2, w), len(keep)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m huiyan.learn.clip_oos", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("out/clip_cache"), help="image embedding cache of clip_probe")
    ap.add_argument("--work", type=Path, default=Path("out/clip_oos"), help="video embedding cache")
    ap.add_argument("--bench-cache", type=Path, default=Path("out/bench/cache"), help="harness protocol copies")
    ap.add_argument("--logo", type=Path, default=Path("models/clip_probe_logo.json"))
    a = ap.parse_args(argv)

    t0 = time.time()
    meta = cp._probe_json()
    recipe, l2 = meta["recipe"]["crop_recipe"], float(meta["recipe"]["l2_final"])
    img_entries = {e.relative_path: e for e in load_manifest(a.data / "images")}
    rows = lp.load_rows(a.data)
    train = [(r, img_entries[r["name"]]) for r in rows if r["y"] >= 0]
    others = [(r, img_entries[r["name"]]) for r in rows if r["y"] < 0]
    emb = {}
    for i, (r, _) in enumerate(train):
        for k in range(lp.AUG_COPIES):
            emb[(i, f"aug{k}")] = lp.cached_embedding(r, f"aug{k}", a.cache, recipe=recipe)
    targets: list[tuple[object, str, np.ndarray]] = []  # (entry, harness protocol, embedding)
    for r, e in others:
        for hp, tp in IMAGE_PROTOCOLS.items():
            targets.append((e, hp, lp.cached_embedding(r, tp, a.cache, recipe=recipe)))
    videos = load_manifest(a.data / "videos") if (a.data / "videos" / "MANIFEST.csv").exists() else []
    for n, e in enumerate(videos):
        for p in VIDEO_PROTOCOLS:
            try:
                targets.append((e, p, cached_video_embedding(e, p, recipe, a.work, a.bench_cache)))
            except Exception as exc:  # recorded: the harness then has no out-of-sample score for it
                print(f"[clip_oos] {e.relative_path} ({p}): not embedded: {type(exc).__name__}: {exc}", flush=True)
        if n % 10 == 0:
            print(f"[{time.time() - t0:6.0f}s] videos embedded {n + 1}/{len(videos)}", flush=True)
    probes: dict[tuple[str | None, str], object] = {}
    out_rows = []
    for e, p, x in targets:
        key = (e.gen_key, e.source)
        if key not in probes:
            probes[key], n_train = excluded_probe(train, emb, e.gen_key, e.source, l2)
            print(f"[{time.time() - t0:6.0f}s] probe without gen={e.gen_key} source={e.source}: {n_train} images", flush=True)
        out_rows.append({"path": e.relative_path, "protocol": p, "score": float(1 / (1 + np.exp(-lp.image_logit(probes[key], x)))),
                         "media": e.media, "excluded": {"gen_key": e.gen_key, "source": e.source}})
    logo = json.loads(a.logo.read_text())
    known = {(r["path"], r["protocol"]) for r in out_rows}
    logo["rows"] = [r for r in logo["rows"] if (r["path"], r["protocol"]) not in known] + out_rows
    logo["extra_rows_by"] = ("huiyan.learn.clip_oos: tampered/deepfake images and videos, each scored by a probe "
                             "refitted without its generator family and source (shipped recipe and L2)")
    write_logo(a.logo, logo, a.data)
    print(f"[{time.time() - t0:6.0f}s] {len(out_rows)} rows appended to {a.logo}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
