"""Out-of-sample calibration, fusion and verdicts over cached detector records.

Folds: every source repository (the `source` column) is held out in turn; the maps used to score
it are fitted on the items of the other sources that also share no generator family or camera
model with it (leave-source-and-generator-out), so no source, generator or camera is both fitted
and scored. Each item (with all its protocol variants) is scored exactly once.

Verdict bands are fitted out of sample as well (nested): inside each outer fold the training
sources are split again into groups, out-of-sample fused LLRs of the training sources are
computed, and the band thresholds are chosen on them; the held-out source then gets its verdict
from those thresholds. The shipped bands (calibration.json) are chosen on the outer
out-of-sample LLRs of all sources.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from huiyan.bench.manifest import KIND_OF_LABEL, shares_neither
from huiyan.detectors.base import Finding
from huiyan.fusion.calibrate import choose_bands, fit_methods
from huiyan.fusion.combine import DEFAULT_BANDS, FAMILY_CAP, fuse, fused_llr

INNER_FOLDS = 8


@dataclass
class Row:
    """One item under one protocol, with its ground truth and raw findings."""

    item: str  # media folder / relative path
    media_type: str
    protocol: str
    y: int
    label: str
    generator: str
    gen_key: str | None
    source: str
    source_format: str
    findings: list[dict[str, Any]]
    errors: list[str] = field(default_factory=list)
    # filled by the evaluation
    llr: float = 0.0
    verdict: str | None = None
    category: str | None = None
    disagreement: bool = False
    family_llr: dict[str, float] = field(default_factory=dict)
    method_llr: dict[str, float] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)


def _trained_on(name: str) -> str | None:
    """SHA-256 of the MANIFEST.csv a shipped learned model was trained from (its JSON's
    `data_version`), or None when the model records none."""
    import json
    from pathlib import Path

    f = Path(__file__).resolve().parents[1] / "data" / "models" / f"{name}.json"
    try:
        v = json.loads(f.read_text()).get("data_version")
    except (OSError, ValueError):
        return None
    return v.get("sha256") if isinstance(v, dict) else v


_WARNED: set[str] = set()


def _warn_once(msg: str) -> None:
    if msg not in _WARNED:
        _WARNED.add(msg)
        print(msg, file=sys.stderr, flush=True)


def learned_oos_scores(methods: set[str], manifests: set[str] | None = None) -> dict[str, dict[tuple[str, str], float]]:
    """Out-of-fold scores published by learned methods (`models/<name>_logo.json`, rows with
    path, sha256, protocol, score), keyed by (SHA-256 of the file, protocol), so that a detector
    trained on the evaluation data is scored on items it was not trained on. Files are matched by
    content, never by name; rows without a SHA-256 are ignored, and said. Pixel-only models score
    `delivered` as `stripped` (same pixels).

    With `manifests` (see huiyan.bench.manifest.manifest_hashes), a model's rows are used only when the data evaluated
    includes the data it was trained from (its recorded MANIFEST.csv hash): on any other data
    (a held-out set) the shipped model is out of sample already and is what gets measured."""
    import json
    from pathlib import Path

    out: dict[str, dict[tuple[str, str], float]] = {}
    roots = [Path.cwd() / "models", Path(__file__).resolve().parents[3] / "models"]
    for m in methods:
        name = m.split(".")[-1]
        for root in roots:
            f = root / f"{name}_logo.json"
            if f.exists() and manifests is not None and (trained := _trained_on(name)) not in manifests:
                _warn_once(f"[bench] note: {f} is not used: the data evaluated does not include the data {m} was "
                           f"trained from (MANIFEST.csv {(trained or 'not recorded')[:16]}...), so the shipped "
                           f"model scores these files itself")
                break
            if f.exists():
                try:
                    rows = json.loads(f.read_text()).get("rows", [])
                except (OSError, ValueError):
                    continue
                d = {(r["sha256"], r["protocol"]): float(r["score"]) for r in rows
                     if r.get("score") is not None and r.get("sha256")}
                if n := sum(1 for r in rows if not r.get("sha256")):
                    _warn_once(f"[bench] note: {n} rows of {f} carry no sha256 and are not used "
                               f"(huiyan.bench.manifest.write_logo adds it)")
                for (sha, proto), s in list(d.items()):
                    if proto == "stripped":
                        d.setdefault((sha, "delivered"), s)
                out[m] = d
                break
    return out


def make_rows(records: list[dict[str, Any]], entries: dict[tuple[str, str], Any],
              oos: dict[str, dict[tuple[str, str], float]] | None = None) -> list[Row]:
    """Rows from cached records; findings of learned methods get their out-of-fold score where
    one is published (`details.oos_score_from` says so)."""
    if oos is None:
        from huiyan.bench.manifest import manifest_hashes

        oos = learned_oos_scores({f["method"] for r in records for f in r.get("findings", [])},
                                 manifest_hashes(entries.values()))
    rows = []
    missing: dict[str, list[str]] = {}  # learned method -> applicable findings without a published row
    for r in records:
        e = entries[(r["media"], r["relative_path"])]
        if oos:
            fs = []
            for f in r.get("findings", []):
                s = oos.get(f["method"], {}).get((r.get("sha256"), r["protocol"]))
                if s is not None and f.get("applicable"):
                    f = {**f, "score": s, "details": {**(f.get("details") or {}), "oos_score_from": "logo"}}
                elif f["method"] in oos and f.get("applicable"):
                    missing.setdefault(f["method"], []).append(f"{r['relative_path']} ({r['protocol']})")
                fs.append(f)
            r = {**r, "findings": fs}
        rows.append(Row(
            item=f"{r['media']}/{r['relative_path']}",
            media_type=r.get("media_type") or ("image" if r["media"] == "images" else "video"),
            protocol=r["protocol"],
            y=e.y,
            label=e.label,
            generator=e.generator,
            gen_key=e.gen_key,
            source=e.source,
            source_format=e.source_format,
            findings=r.get("findings", []),
            errors=r.get("errors", []),
        ))
    for m, items in sorted(missing.items()):  # said, not silent: these are scored by the shipped model
        print(f"[bench] warning: {len(items)} applicable findings of {m} have no published out-of-fold score "
              f"and keep the shipped model's (possibly in-sample) score, e.g. {', '.join(items[:3])}",
              file=sys.stderr, flush=True)
    # one order whatever order the worker processes finished in: the fits downstream (the weights'
    # optimiser above all) then see their rows in the same order on every run
    rows.sort(key=lambda r: (r.item, r.protocol))
    return rows


def _fit_rows(rows: list[Row]) -> list[dict[str, Any]]:
    return [{**f, "y": r.y, "media_type": r.media_type, "item_kind": KIND_OF_LABEL.get(r.label)}
            for r in rows for f in r.findings]


def fit_calibration(rows: list[Row]) -> dict[str, Any]:
    return {**fit_methods(_fit_rows(rows)), "family_cap": FAMILY_CAP, "bands": DEFAULT_BANDS}


def findings_of(row: Row) -> list[Finding]:
    keys = ("method", "method_version", "family", "applicable", "score", "llr", "decisive", "category",
            "reason", "explanation")
    return [Finding(**{k: f.get(k) for k in keys if k in f}) for f in row.findings]


def fuse_row(row: Row, calib: dict[str, Any]):
    """The fused result of one row and its methods' calibrated LLRs (before method weights), by
    method name."""
    fused = fuse(findings_of(row), calib=calib, media_type=row.media_type)
    return fused, {k.split("@", 1)[0]: v for k, v in fused.method_llr.items()}


def _excluded(train: list[Row], held: list[Row]) -> list[Row]:
    """Training rows that share neither a source nor a generator/camera family with `held`."""
    sources = {r.source for r in held}
    keys = {r.gen_key for r in held if r.gen_key}
    return [r for r in train if shares_neither(r.source, r.gen_key, sources, keys)]


def _groups(rows: list[Row], k: int) -> list[set[str]]:
    """Split the sources of `rows` into at most k groups of similar size (largest first)."""
    sizes: dict[str, int] = {}
    for r in rows:
        sizes[r.source] = sizes.get(r.source, 0) + 1
    bins: list[tuple[int, set[str]]] = [(0, set()) for _ in range(min(k, len(sizes)))]
    for s, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = min(range(len(bins)), key=lambda j: bins[j][0])
        bins[i] = (bins[i][0] + n, bins[i][1] | {s})
    return [b for _, b in bins if b]


def _band_groups(rows: list[Row], llrs: list[float]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out: dict[str, tuple[list[int], list[float]]] = {}
    for r, v in zip(rows, llrs, strict=True):
        ys, vs = out.setdefault(f"{r.media_type}/{r.protocol}", ([], []))
        ys.append(r.y)
        vs.append(v)
    return {k: (np.asarray(a), np.asarray(b)) for k, (a, b) in out.items()}


@dataclass
class Stacked:
    """Out-of-sample evidence of a set of rows, from which the weights are fitted: per row its
    methods' calibrated LLRs (before weights), their families and the kind of manipulation each
    finding names, or the fused LLR of a decisive finding (which no weight touches)."""

    rows: list[Row]
    method_llr: list[dict[str, float] | None]
    families: dict[str, str]
    decisive_llr: list[float | None]
    categories: list[dict[str, str | None]]


def _oos_methods(rows: list[Row], k: int) -> Stacked:
    """Out-of-sample (unweighted) method LLRs of `rows` from a k-group split by source."""
    mll: dict[int, dict[str, float] | None] = {}
    dec: dict[int, float | None] = {}
    cats: dict[int, dict[str, str | None]] = {}
    families: dict[str, str] = {}
    for grp in _groups(rows, k):
        held = [r for r in rows if r.source in grp]
        calib = fit_calibration(_excluded(rows, held))
        for r in held:
            fused, _ = fuse_row(r, calib)
            decisive = _decisive(r)
            mll[id(r)] = None if decisive else fused.method_llr  # by calibration key (method@media where split)
            dec[id(r)] = fused.llr if decisive else None
            cats[id(r)] = fused.method_category
            families.update(fused.method_family)
    return Stacked(rows, [mll[id(r)] for r in rows], families, [dec[id(r)] for r in rows],
                   [cats[id(r)] for r in rows])


def _decisive(r: Row) -> bool:
    return any(f.get("decisive") and f.get("applicable") for f in r.findings)


def fit_weights_and_bands(st: Stacked, *, weighted: bool = True) -> dict[str, Any]:
    """Method and family weights fitted together on the out-of-sample LLRs, on the likelihood of
    the fused mixture LLR itself (huiyan.fusion.calibrate.fit_mixture_weights), and verdict bands
    chosen on the resulting fused LLRs of the same rows (as huiyan.fusion.combine.fuse forms them)."""
    from huiyan.fusion.calibrate import fit_mixture_weights

    keep = [i for i, d in enumerate(st.method_llr) if d is not None]
    mw: dict[str, float] = {}
    fw: dict[str, float] = {}
    if weighted and keep:
        mw, fw = fit_mixture_weights([st.method_llr[i] for i in keep], [st.categories[i] for i in keep],
                                     st.families, [st.rows[i].y for i in keep],
                                     [st.rows[i].media_type for i in keep], cap=FAMILY_CAP)
    fused = [dec if d is None else fused_llr(d, st.families, c, mw, fw, FAMILY_CAP, r.media_type)
             for d, c, dec, r in zip(st.method_llr, st.categories, st.decisive_llr, st.rows, strict=True)]
    return {"method_weights": mw, "family_weights": fw, **bands_by_media(_band_groups(st.rows, fused))}


def bands_by_media(groups: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """Verdict bands per media type, each chosen on that type's own protocol groups (a video's
    camera originals must not set the threshold for images, nor the reverse), and the pooled
    bands over every group (shown where no media type applies)."""
    media = sorted({k.split("/", 1)[0] for k in groups})
    return {"bands": choose_bands(groups),
            "bands_by_media": {m: choose_bands({k: v for k, v in groups.items() if k.split("/", 1)[0] == m}) for m in media}}


def evaluate(rows: list[Row], *, nested: bool = True, weighted: bool = True, progress: bool = False) -> dict[str, Any]:
    """Fill every row's out-of-sample LLR, verdict, family and method LLRs; return the bands
    chosen on all out-of-sample LLRs (for shipping) and the per-fold bands used."""
    rows = [r for r in rows if not r.errors or r.findings]
    sources = sorted({r.source for r in rows})
    fold_fit: dict[str, dict[str, Any]] = {}
    for i, s in enumerate(sources):
        held = [r for r in rows if r.source == s]
        train = _excluded(rows, held)
        calib = fit_calibration(train)
        if nested and train:
            fit = fit_weights_and_bands(_oos_methods(train, INNER_FOLDS), weighted=weighted)
        else:
            fit = {"method_weights": {}, "family_weights": {}, "bands": DEFAULT_BANDS, "bands_by_media": {}}
        fold_fit[s] = fit
        calib.update(fit)
        for r in held:
            fused, mllr = fuse_row(r, calib)
            r.llr = fused.llr
            r.disagreement = fused.disagreement
            r.verdict = fused.verdict
            r.category = fused.category
            r.family_llr = fused.family_llr
            r.method_llr = mllr
            r.reasons = fused.reasons
        if progress:
            print(f"[eval] fold {i + 1}/{len(sources)} {s}: train {len(train)} held {len(held)}", flush=True)
    # shipped fusion: weights fitted on the out-of-sample (unweighted) LLRs of every source; bands
    # chosen on the out-of-sample fused LLRs of the outer folds
    shipped = fit_weights_and_bands(_oos_methods(rows, len(sources)), weighted=weighted)
    shipped_bands = bands_by_media(_band_groups(rows, [r.llr for r in rows]))
    return {**shipped_bands, "family_weights": shipped["family_weights"],
            "method_weights": shipped["method_weights"],
            "fold_bands": {s: f["bands_by_media"] or f["bands"] for s, f in fold_fit.items()},
            "fold_weights": {s: f["family_weights"] for s, f in fold_fit.items()},
            "fold_method_weights": {s: f["method_weights"] for s, f in fold_fit.items()},
            "rows": rows}
