"""Out-of-sample learned-patch scores for the images the trainer's leave-one-out run does not
score: tampered and deepfake images.

`python -m huiyan.learn.train` publishes out-of-fold scores (models/learned_patch_logo.json) for
the real and generated images it trains on. The shipped model, fitted on all of them, would
otherwise score the remaining images itself, and most of them come from a source repository that
also gave training images (a FLUX inpainting from ComfyUI_examples, a ChatGPT edit from
ai-image-filter, FF++ stills from icpr2020dfdc) or were made by a generator family it trained on.
The harness rule (DESIGN.md section 5) is that a learned component is never scored on a
generator, camera or source it was fitted on. So each such image is scored by a model refitted,
with the shipped recipe (patch pool, steps, batch, seed), on the training images that share
neither its source repository nor its generator family (the harness's `gen_key`); an image whose
source and family gave no training image is scored by the shipped model, which never saw either.
Rows are appended to the logo file (`fold` says which model scored them).

    python -m huiyan.learn.train_patch_oos --data ../shared/data     # after huiyan.learn.train

Needs the optional `train` extra (CPU torch); about one minute per refitted model on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from huiyan.bench.manifest import generator_key, load_manifest, shares_neither, write_logo

OTHER_LABELS = ("tampered", "deepfake")


def exclusion_sets(samples, targets) -> dict[tuple[str, str | None], list[int]]:
    """For each (source, gen_key) of the target entries, the indices of the training samples that
    share neither that source nor that generator family."""
    keys = [generator_key("generated" if s.label else "real", s.generator) for s in samples]
    out: dict[tuple[str, str | None], list[int]] = {}
    for e in targets:
        k = (e.source, e.gen_key)
        if k not in out:
            out[k] = [i for i, s in enumerate(samples) if shares_neither(s.source, keys[i], {e.source}, {e.gen_key})]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m huiyan.learn.train_patch_oos", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (holds images/MANIFEST.csv)")
    ap.add_argument("--logo", type=Path, default=Path("models/learned_patch_logo.json"))
    ap.add_argument("--work", type=Path, default=Path("out/patch_oos"), help="where the refitted models go")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)

    import torch

    from huiyan.learn import train as tr
    from huiyan.learn.dataset import AugmentRecipe, build_pool, load_samples, manifest_sha256
    from huiyan.learn.evaluate import PROTOCOLS, OnnxPatchScorer, apply_protocol
    from huiyan.media.image import decode_rgb

    torch.set_num_threads(a.threads)
    t0 = time.time()
    shipped = json.loads((tr.SHIP_DIR / f"{tr.MODEL_NAME}.json").read_text())
    recipe = shipped["recipe"]
    if shipped["data_version"]["sha256"] != manifest_sha256(a.data):
        raise SystemExit("the shipped model was trained on another MANIFEST.csv: run `make train` first")
    samples = load_samples(a.data)
    targets = [e for e in load_manifest(a.data / "images") if e.label in OTHER_LABELS]
    sets = exclusion_sets(samples, targets)
    refit = {k: idx for k, idx in sets.items() if len(idx) < len(samples)}
    print(f"[patch_oos] {len(targets)} images, {len(sets)} (source, family) keys, {len(refit)} need a refitted model",
          flush=True)
    pool = owner = labels = None
    if refit:
        pool, owner = build_pool(samples, recipe["per_image"], seed=recipe["seed"], recipe=AugmentRecipe())
        labels = np.array([samples[i].label for i in owner], np.float32)
    scorers: dict[tuple[str, str | None], tuple[str, OnnxPatchScorer]] = {}
    shipped_path = tr.SHIP_DIR / f"{tr.MODEL_NAME}.onnx"
    rows = []
    for e in targets:
        k = (e.source, e.gen_key)
        if k not in scorers:
            if k in refit:
                idx = refit[k]
                w = tr.sample_weights(samples, owner, set(idx))
                model, _ = tr.fit(pool, labels, w, recipe["steps"], recipe["batch"], seed=recipe["seed"], log=None)
                name = hashlib.sha256(repr(k).encode()).hexdigest()[:12]
                path = tr.export_onnx(model, a.work / f"excl_{name}.onnx")
                scorers[k] = (f"refit without source {e.source} and family {e.gen_key} ({len(idx)} of "
                              f"{len(samples)} images)", OnnxPatchScorer(path))
            else:
                scorers[k] = ("shipped model (neither source nor family in training)", OnnxPatchScorer(shipped_path))
            print(f"[patch_oos {time.time() - t0:5.0f}s] {scorers[k][0]}", flush=True)
        how, scorer = scorers[k]
        rgb = decode_rgb(Path(e.path))
        for proto in PROTOCOLS:
            r = scorer.score(apply_protocol(rgb, proto))
            rows.append({"path": Path(e.relative_path).name, "label": e.label, "group": e.gen_key or "", "fold": how,
                         "protocol": proto, **r})
    logo = json.loads(a.logo.read_text())
    known = {(r["path"], r["protocol"]) for r in rows}
    logo["rows"] = [r for r in logo["rows"] if (r["path"], r["protocol"]) not in known] + rows
    logo["extra_rows_by"] = ("huiyan.learn.train_patch_oos: tampered and deepfake images, each scored by a model refitted "
                             "without its source and generator family (shipped recipe), or by the shipped model when "
                             "neither gave a training image")
    write_logo(a.logo, logo, a.data)
    print(f"[patch_oos {time.time() - t0:5.0f}s] {len(rows)} rows written to {a.logo}", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
