"""A video head for the CLIP probe (`fingerprint.clip_probe` on videos): an experiment, measured
leave-one-group-out on ../shared/data/videos and NOT shipped (session 5: it lowered the fused
video AUC from 0.782 / 0.726 to 0.688 / 0.599 and doubled the video false positives; figures in
docs/CLIP_PROBE.md). Kept so that the negative result can be reproduced and the idea retried on
more real footage:

    OPENBLAS_NUM_THREADS=1 python -m huiyan.learn.clip_video --data ../shared/data \
        [--write-logo models/clip_probe_logo.json]   # then `make bench` for the fused figures

The shipped probe (0.3) scores a video with the *image* probe, applied to the averaged CLIP
embeddings of four stills (`clip_probe.video_embedding`). A video still is not a photograph: it
is smaller, motion-blurred and compressed by a video codec, and the real footage of the data
(newsroom, stock and webcam clips) is not the real photography the image probe learned. This
module fits a head for videos and lets a nested cross-validation choose, among three candidates
fixed before any run, which head to use:

- `image`: the image probe (trained on the augmented copies of the real and generated images,
  as `huiyan.learn.clip_probe` does), i.e. the 0.3 behaviour;
- `video`: a probe trained on the video embeddings only (both protocols of each training clip,
  delivered and the harness's own re-encoded copy, as training copies);
- `video+image`: both training sets together, each carrying half of the total weight.

Every candidate is the same model: L2-regularised logistic regression on standardised crop
embeddings (`huiyan.learn.clip_probe.fit_logreg`), class-balanced weights, each clip or image the
same total weight over its copies and crops; the score is the sigmoid of the mean crop logit.

Out-of-sample scheme (the harness's rule, DESIGN.md section 5): every clip is scored by a probe
fitted without any clip or image of its source repository and, for a manipulated clip, without
any clip or image of its generator family (the harness's `gen_key`; e.g. Hotshot-XL clips are
scored without the SDXL images). The candidate and the L2 strength are chosen inside each outer
training set by a 4-fold source-grouped inner CV (pooled inner AUC, mean over the two video
protocols; ties go to the stronger L2, then to the earlier candidate, `image` first, so that a
tie keeps the old behaviour). The out-of-fold scores go to out/clip_video_results.json and,
with `--write-logo`, replace the video rows of a logo file that the harness reads.

Labels: every manipulated clip (text-to-video, image-to-video, face swap, reenactment, talking
head) is a positive; the probe is evidence of a whole generated picture, so face swaps in real
footage are expected to score low and are kept only so that the head is fitted on the task the
harness scores.

References: the same as `fingerprint.clip_probe`: UnivFD (Ojha et al., arXiv 2302.10174),
Cozzolino et al. (arXiv 2312.00195), CLIP (Radford et al., arXiv 2103.00020).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from huiyan.detectors.fingerprint import clip_probe as cp
from huiyan.learn import clip_probe as lp
from huiyan.learn.clip_oos import cached_video_embedding

CANDIDATES = ("image", "video", "video+image")  # fixed before any run; order breaks ties
VIDEO_PROTOCOLS = ("delivered", "reencoded")
INNER_FOLDS = 4


class Data:
    """Video clips (rows with y, src, gen, name) with their embeddings per protocol, and the
    image training set (aug copies) of the image probe, with the harness's gen_key and source."""

    def __init__(self, vids: list[dict], vemb: dict, imgs: list[dict], iemb: dict):
        self.vids, self.vemb, self.imgs, self.iemb = vids, vemb, imgs, iemb
        self.img_protos = [f"aug{k}" for k in range(lp.AUG_COPIES)]

    @staticmethod
    def _without(rows: list[dict], idx, gens: set[str], srcs: set[str]) -> list[int]:
        """The indices in `idx` whose row is of none of the sources and, if manipulated, of none of the families."""
        return [i for i in idx if rows[i]["src"] not in srcs and not (rows[i]["y"] == 1 and rows[i]["gen"] in gens)]

    def images_without(self, gens: set[str], srcs: set[str]) -> list[int]:
        return self._without(self.imgs, range(len(self.imgs)), gens, srcs)

    def videos_without(self, idx: list[int], gens: set[str], srcs: set[str]) -> list[int]:
        return self._without(self.vids, idx, gens, srcs)

    def design(self, cand: str, vid_idx: list[int], img_idx: list[int]):
        """Crop rows, labels and weights of a candidate's training set (None if one class is missing)."""
        parts = []
        if cand in ("video", "video+image"):
            parts.append(self._part(self.vids, self.vemb, vid_idx, VIDEO_PROTOCOLS))
        if cand in ("image", "video+image"):
            parts.append(self._part(self.imgs, self.iemb, img_idx, self.img_protos))
        if any(p is None for p in parts):
            return None
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        w = np.concatenate([p[2] / len(parts) for p in parts])  # each part the same total weight
        return X, y, w

    @staticmethod
    def _part(rows, emb, idx, protos):
        """The image probe's design (`clip_probe._design`), or None when a class is missing."""
        if not any(rows[i]["y"] == 1 for i in idx) or not any(rows[i]["y"] == 0 for i in idx):
            return None
        return lp._design(rows, idx, emb, protos)


def inner_auc_table(d: Data, train: list[int], img_allowed: list[int]) -> dict:
    """{(candidate, l2): mean over the video protocols of the pooled AUC of a source-grouped inner
    CV over the training clips `train` (images limited to `img_allowed` and, per inner fold, also
    without the inner test clips' sources and generator families)."""
    inner = lp.inner_split(d.vids, train, INNER_FOLDS)
    scores = {(c, l2): {p: ([], []) for p in VIDEO_PROTOCOLS} for c in CANDIDATES for l2 in lp.L2_GRID}
    for k in range(INNER_FOLDS):
        te = [i for i, f in zip(train, inner, strict=True) if f == k]
        if not te:
            continue
        srcs = {d.vids[i]["src"] for i in te}
        gens = {d.vids[i]["gen"] for i in te if d.vids[i]["y"] == 1}
        tr = d.videos_without([i for i, f in zip(train, inner, strict=True) if f != k], gens, srcs)
        ok = set(d.images_without(gens, srcs))
        imgs = [i for i in img_allowed if i in ok]
        for c in CANDIDATES:
            des = d.design(c, tr, imgs)
            if des is None:
                continue
            probe = None
            for l2 in sorted(lp.L2_GRID, reverse=True):  # strong to weak, warm-started
                probe = lp.fit_logreg(des[0], des[1], l2, des[2], init=probe)
                for i in te:
                    for p in VIDEO_PROTOCOLS:
                        scores[(c, l2)][p][0 if d.vids[i]["y"] == 1 else 1].append(lp.image_logit(probe, d.vemb[(i, p)]))
    table = {}
    for key, per in scores.items():
        aucs = [lp.auc(*per[p]) for p in VIDEO_PROTOCOLS]
        table[key] = float(np.nanmean(aucs)) if not all(np.isnan(aucs)) else float("nan")
    return table


def choose(table: dict) -> tuple[str, float]:
    best = max(table, key=lambda k: (np.nan_to_num(table[k], nan=-1.0), k[1], -CANDIDATES.index(k[0])))
    return best


def fit(d: Data, cand: str, l2: float, vid_idx: list[int], img_idx: list[int]) -> cp.LinearProbe:
    des = d.design(cand, vid_idx, img_idx)
    if des is None:
        raise ValueError(f"candidate {cand}: a class is missing from the training set")
    return lp.fit_logreg(des[0], des[1], l2, des[2])


def outer_keys(d: Data) -> list[tuple[str | None, str]]:
    """One outer fold per (generator family, source) pair of the clips (None for real clips)."""
    return sorted({(r["gen"] if r["y"] == 1 else None, r["src"]) for r in d.vids}, key=lambda k: (k[1], k[0] or ""))


def logo(d: Data, log=print) -> tuple[dict, list[dict]]:
    """Out-of-fold probabilities {(clip, protocol): p} and the choices made per outer fold."""
    probs: dict = {}
    folds = []
    all_v = list(range(len(d.vids)))
    for gen, src in outer_keys(d):
        test = [i for i, r in enumerate(d.vids) if r["src"] == src and (r["gen"] if r["y"] == 1 else None) == gen]
        gens = {gen} if gen else set()
        train = d.videos_without(all_v, gens, {src})
        imgs = d.images_without(gens, {src})
        table = inner_auc_table(d, train, imgs)
        cand, l2 = choose(table)
        probe = fit(d, cand, l2, train, imgs)
        for i in test:
            for p in VIDEO_PROTOCOLS:
                probs[(i, p)] = cp._sigmoid(lp.image_logit(probe, d.vemb[(i, p)]))
        folds.append({"gen": gen, "source": src, "n_test": len(test), "n_train_clips": len(train), "n_train_images": len(imgs),
                      "candidate": cand, "l2": l2, "inner_best": round(table[(cand, l2)], 4)})
        log(f"fold gen={gen} src={src}: test {len(test)} train {len(train)} clips/{len(imgs)} images -> {cand} l2={l2} inner {table[(cand, l2)]:.3f}")
    return probs, folds


def summary(d: Data, probs: dict) -> dict:
    out = {}
    for p in VIDEO_PROTOCOLS:
        neg = [probs[(i, p)] for i, r in enumerate(d.vids) if r["y"] == 0]
        pos = [probs[(i, p)] for i, r in enumerate(d.vids) if r["y"] == 1]
        per = {lab: lp.auc([probs[(i, p)] for i, r in enumerate(d.vids) if r["label"] == lab], neg)
               for lab in sorted({r["label"] for r in d.vids if r["y"] == 1})}
        out[p] = {"auc": lp.auc(pos, neg), "n_pos": len(pos), "n_real": len(neg), "max_real": max(neg), "per_label": per}
    return out


def operating_threshold(d: Data, probs: dict) -> float:
    """The smallest 6-decimal value strictly above every real clip's out-of-sample probability
    (the 1 % FPR rule with fewer than 100 real clips)."""
    top = max(probs[(i, p)] for i, r in enumerate(d.vids) if r["y"] == 0 for p in VIDEO_PROTOCOLS)
    return float(np.floor(top * 1e6) + 1) / 1e6


def load(data: Path, cache: Path, work: Path, bench_cache: Path, recipe: str, log=print) -> Data:
    from huiyan.bench.manifest import load_manifest

    vids = []
    vemb = {}
    for e in load_manifest(data / "videos"):
        i = len(vids)
        try:
            embs = {p: cached_video_embedding(e, p, recipe, work, bench_cache) for p in VIDEO_PROTOCOLS}
        except Exception as exc:  # noqa: BLE001 - said, and the clip keeps no out-of-fold row
            log(f"{e.relative_path}: not embedded ({type(exc).__name__}: {exc}); left out")
            continue
        for p, x in embs.items():
            vemb[(i, p)] = x
        vids.append({"name": e.relative_path, "y": e.y, "label": e.label, "gen": e.gen_key or "", "src": e.source})
        if i % 10 == 0:
            log(f"videos embedded {i + 1}")
    img_entries = {e.relative_path: e for e in load_manifest(data / "images")}
    imgs, iemb = [], {}
    for r in lp.load_rows(data):
        if r["y"] < 0:
            continue
        e = img_entries[r["name"]]
        n = len(imgs)
        for k in range(lp.AUG_COPIES):
            iemb[(n, f"aug{k}")] = lp.cached_embedding(r, f"aug{k}", cache, recipe=recipe)
        imgs.append({"name": r["name"], "y": r["y"], "gen": e.gen_key or "", "src": e.source})
    log(f"{len(vids)} clips, {len(imgs)} images")
    return Data(vids, vemb, imgs, iemb)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m huiyan.learn.clip_video", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("out/clip_cache"), help="image embedding cache of clip_probe")
    ap.add_argument("--work", type=Path, default=Path("out/clip_oos"), help="video embedding cache")
    ap.add_argument("--bench-cache", type=Path, default=Path("out/bench/cache"), help="harness protocol copies")
    ap.add_argument("--results", type=Path, default=Path("out/clip_video_results.json"))
    ap.add_argument("--write-logo", type=Path, default=None,
                    help="also replace the video rows of this logo file with the out-of-fold scores (to measure the "
                         "fused effect with `make bench`; the shipped models/clip_probe_logo.json is left alone unless named)")
    a = ap.parse_args(argv)
    t0 = time.time()

    def log(msg):
        print(f"[{time.time() - t0:6.0f}s] {msg}", flush=True)

    recipe = cp._probe_json()["recipe"]["crop_recipe"]
    d = load(a.data, a.cache, a.work, a.bench_cache, recipe, log)
    probs, folds = logo(d, log)
    res = summary(d, probs)
    for p, r in res.items():
        log(f"{p}: AUC {r['auc']:.3f} (n {r['n_pos']}/{r['n_real']}); per label " + ", ".join(f"{k} {v:.2f}" for k, v in r["per_label"].items()))
    table = inner_auc_table(d, list(range(len(d.vids))), list(range(len(d.imgs))))
    cand, l2 = choose(table)
    log(f"the head the same inner CV picks on all clips: {cand}, l2 {l2} (inner {table[(cand, l2)]:.3f})")
    out = {"recipe": recipe, "candidates": list(CANDIDATES), "l2_grid": list(lp.L2_GRID), "folds": folds, "summary": res,
           "fold_choices": {c: sum(f["candidate"] == c for f in folds) for c in CANDIDATES},
           "final_choice": {"candidate": cand, "l2": l2, "inner": {f"{c}|{v}": round(t, 4) for (c, v), t in table.items()}},
           "threshold_above_every_real": operating_threshold(d, probs),
           "per_clip": [{**r, **{p: probs[(i, p)] for p in VIDEO_PROTOCOLS}} for i, r in enumerate(d.vids)]}
    a.results.parent.mkdir(parents=True, exist_ok=True)
    a.results.write_text(json.dumps(out, indent=1) + "\n")
    if a.write_logo:
        logo_json = json.loads(a.write_logo.read_text())
        rows = [{"path": r["name"], "protocol": p, "score": probs[(i, p)], "media": "videos",
                 "excluded": {"gen_key": r["gen"] or None, "source": r["src"]}} for i, r in enumerate(d.vids) for p in VIDEO_PROTOCOLS]
        # every video row is replaced (a clip that could not be embedded keeps no stale row)
        logo_json["rows"] = [r for r in logo_json["rows"] if r.get("media") != "videos"] + rows
        from huiyan.bench.manifest import write_logo

        write_logo(a.write_logo, logo_json, a.data)
        log(f"replaced the video rows of {a.write_logo} ({len(rows)} rows)")
    log(f"wrote {a.results}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
