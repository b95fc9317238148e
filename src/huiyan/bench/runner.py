"""Run every registered detector on every entry under a protocol, with a cache.

Per item and protocol the harness stores one JSON record (JSON Lines, one file per media folder
and protocol) holding each method's raw finding (score, applicable, stated LLR, decisive,
category, scalar details). A record is reused while the file hash, the protocol and the method
versions are unchanged; when methods are added or their version changes only those methods run
again. Work is spread over at most two processes.

The `stripped` image protocol has, by definition, the same decoded pixels as `delivered`; methods
that read nothing but the pixels (and faces found on them) therefore give the same finding on both,
and their delivered findings are copied into the stripped record (marked `reused_from`) instead of
being computed twice. Methods that read the file format, metadata or JPEG tables run on the
stripped file as usual. tests/bench/test_runner.py checks the equality on a JPEG with EXIF.

A learned method that publishes out-of-fold scores for the very data it was trained on
(`models/<name>_logo.json`, see huiyan.bench.evaluate.learned_oos_scores) is not run on a file
that has such a score: the evaluation would replace the shipped model's in-sample score by the
published one anyway. Its applicability check still runs, and its finding carries the published
score (`details.oos_score_from` = "logo", `model_run` false). On any other data the model runs.
A cached published score is reused only while it is still the score published for that file and
that data; otherwise the record is computed again.
`published=False` runs every model regardless (e.g. to time them).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from huiyan.bench.manifest import Entry

_DETECTORS: list | None = None
LAST_STATS: dict[str, int] = {}


def _detectors():
    global _DETECTORS
    if _DETECTORS is None:
        from huiyan.detectors.base import registry

        _DETECTORS = [cls() for cls in registry().values()]
    return _DETECTORS


PIXEL_INPUTS = frozenset({"pixels", "faces"})  # what a method may read to be reused across same-pixel protocols


def pixel_only_methods(media_type: str = "image") -> set[str]:
    """Methods whose findings depend on the decoded pixels alone (declared `inputs`)."""
    return {d.method for d in _detectors() if media_type in d.media_types and set(d.inputs) <= PIXEL_INPUTS}


def method_versions(media_type: str | None = None) -> dict[str, str]:
    return {d.method: d.version for d in _detectors() if media_type is None or media_type in d.media_types}


def _plain_details(d: dict[str, Any], limit: int = 24) -> dict[str, Any]:
    out = {}
    for k, v in list(d.items())[:limit]:
        if isinstance(v, bool | int | str) or v is None:
            out[k] = v if not isinstance(v, str) else v[:120]
        elif isinstance(v, float):
            out[k] = round(v, 6)
    return out


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_PUBLISHED: dict[frozenset, dict[str, dict[tuple[str, str], float]]] = {}  # manifests -> method -> (sha256, protocol) -> score


def published_scores(sha256: str, protocol: str, manifests: frozenset[str]) -> dict[str, float]:
    """Out-of-fold scores that learned methods publish for the file with this SHA-256 under this
    protocol; empty unless the data being evaluated (the MANIFEST.csv hashes of all its roots,
    `manifests`) includes the data the method was trained from."""
    from huiyan.bench.evaluate import learned_oos_scores

    if manifests not in _PUBLISHED:
        _PUBLISHED[manifests] = learned_oos_scores({d.method for d in _detectors()}, set(manifests))
    key = (sha256, protocol)
    return {m: d[key] for m, d in _PUBLISHED[manifests].items() if key in d}


def _stand_in(det, score: float):
    """A copy of a learned detector that checks applicability as usual but, instead of running
    its model, reports the published out-of-fold score."""
    d = copy.copy(det)
    d.analyze = lambda item: det.finding(
        score,
        zh="基准测试：采用该方法公布的留出（out-of-fold）分数，模型未运行",
        en="benchmark: the method's published out-of-fold score; the model was not run",
        details={"oos_score_from": "logo", "model_run": False},
    )
    return d


def analyse_path(path: Path, only: set[str] | None = None, published: dict[str, float] | None = None) -> dict[str, Any]:
    """Run the registered detectors (or the `only` subset) on one file without a case folder;
    methods named in `published` report that score instead of running their model."""
    from huiyan.media.item import Item
    from huiyan.media.probe import MediaError, sniff
    from huiyan.pipeline import run_detectors

    t0 = time.perf_counter()
    rec: dict[str, Any] = {"errors": [], "findings": []}
    try:
        probe = sniff(path)
    except MediaError as e:
        rec["errors"].append(str(e))
        return rec
    rec["media_type"] = probe.media_type
    rec["format"] = probe.format
    item = Item(path, probe=probe, artifact_dir=None)
    decoded = True
    try:
        if probe.media_type == "image":
            item.metadata  # noqa: B018
            item.pixels  # noqa: B018
        else:
            item.video  # noqa: B018
            item.frames  # noqa: B018
    except (MediaError, MemoryError) as e:
        decoded = False
        rec["errors"].append(f"decode: {e}")
    dets = [d for d in _detectors() if probe.media_type in d.media_types and (only is None or d.method in only)]
    dets = [_stand_in(d, published[d.method]) if d.method in (published or {}) else d for d in dets]
    findings, errors = run_detectors(item, dets, decoded)
    rec["errors"].extend(errors)
    rec["findings"] = [
        {
            "method": f.method,
            "method_version": f.method_version,
            "family": f.family,
            "applicable": f.applicable,
            "score": f.score,
            "llr": f.llr,
            "decisive": f.decisive,
            "category": f.category,
            "reason": f.reason,
            "seconds": f.seconds,
            "details": _plain_details(f.details or {}),
            "explanation": f.explanation,
        }
        for f in findings
    ]
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    return rec


def _job(args: tuple[dict, str, str, dict | None, dict | None, dict | None]) -> dict[str, Any]:
    from huiyan.bench.protocols import prepare, transform_version
    from huiyan.media.probe import sniff

    entry, protocol, cache, old, same_pixels, given = args  # given: published scores; None: run every model
    base = {"relative_path": entry["relative_path"], "media": entry["media"], "sha256": entry["sha256"],
            "protocol": protocol}
    try:
        if old is None or old.get("file_sha256") is None:
            actual = sha256_file(entry["path"])
        else:
            actual = old["file_sha256"]
        if entry["sha256"] and actual != entry["sha256"]:
            return {**base, "file_sha256": actual, "errors": ["file hash differs from MANIFEST.csv"], "findings": []}
        media_type = sniff(Path(entry["path"])).media_type
        path = prepare(entry["path"], actual, media_type, protocol, cache)
        # the bytes actually analysed: a protocol copy made again (another encoder run) can differ from
        # the one the cached findings were computed on; then none of them are kept (records written
        # before this field existed cannot be checked and are kept as before)
        analysed = actual if Path(path) == Path(entry["path"]) else sha256_file(path)
        # likewise a record made from a copy of an older transform version (e.g. the re-encode before it
        # was made reproducible), which predates `analysed_sha256` and so cannot be checked by hash
        if old is not None and (old.get("analysed_sha256") not in (None, analysed) or not _same_transform(old)):
            old = None
        versions = method_versions(media_type)
        keep = []
        if old is not None and not old.get("errors"):
            keep = [f for f in old.get("findings", []) if versions.get(f["method"]) == f["method_version"]
                    and _current(f, given)]
        if same_pixels is not None and not same_pixels.get("errors"):  # a record of the same pixels
            have = {f["method"] for f in keep}
            pix = pixel_only_methods(media_type)
            keep += [{**f, "seconds": 0.0, "reused_from": same_pixels["protocol"]} for f in same_pixels.get("findings", [])
                     if f["method"] in pix and f["method"] not in have and versions.get(f["method"]) == f["method_version"]
                     and _current(f, given)]
        only = set(versions) - {f["method"] for f in keep} if keep else None
        rec = (analyse_path(path, only=only, published=given) if only is None or only
               else {"errors": [], "findings": [], "seconds": 0.0})
        if old is not None and only is not None:
            rec["seconds"] = round(float(old.get("seconds", 0.0)) + rec.get("seconds", 0.0), 3)
        rec["findings"] = sorted(keep + rec["findings"], key=lambda f: f["method"])
        rec.update(base, file_sha256=actual, analysed_sha256=analysed, versions=versions, media_type=media_type,
                   transform_version=transform_version(protocol))
        return rec
    except Exception as e:  # a broken transform or file: recorded, never hidden
        return {**base, "errors": [f"harness: {type(e).__name__}: {e}"], "findings": []}


def stood_in(f: dict) -> bool:
    """Whether a cached finding is a published out-of-fold score rather than the model's own run."""
    return (f.get("details") or {}).get("model_run") is False


def _current(f: dict, given: dict[str, float] | None) -> bool:
    """Whether a cached finding may be reused: a model's own run always (its version is checked
    elsewhere); a published score only while it is still the one published for this file and the
    data evaluated (`given`, None when models are to be run)."""
    return not stood_in(f) or (given is not None and given.get(f["method"]) == f.get("score"))


SAME_PIXELS = {"stripped": "delivered"}  # protocol -> protocol with identical decoded pixels (images)


def _valid(old: dict | None) -> bool:
    if not old or old.get("errors"):
        return False
    return old.get("versions") == method_versions(old.get("media_type"))


def _same_transform(old: dict) -> bool:
    """Whether the record was made under the current version of its protocol's transform. Records
    written before `transform_version` existed were made by version 1."""
    from huiyan.bench.protocols import transform_version

    try:
        return old.get("transform_version", 1) == transform_version(old.get("protocol"))
    except KeyError:  # an unknown protocol
        return False


def _same_copy(old: dict, cache: Path) -> bool:
    """Whether the protocol copy in the cache is still the one the record was computed on. Records
    from before `analysed_sha256` existed cannot be checked and count as the same."""
    from huiyan.bench.protocols import copy_path

    want = old.get("analysed_sha256")
    if old.get("protocol") == "delivered" or want is None:
        return True
    p = copy_path(old.get("file_sha256") or old["sha256"], old["protocol"], cache)
    return p.exists() and sha256_file(p) == want


def run_entries(
    entries: list[Entry],
    protocols: list[str],
    out: str | Path,
    *,
    workers: int = 2,
    progress: bool = True,
    reuse_stale: bool = False,
    published: bool = True,
) -> list[dict[str, Any]]:
    """Records for every (entry, protocol) that applies to the entry's media type, from the
    cache when valid, otherwise computed (in up to `workers` processes) and cached. With
    `published`, learned methods report their published out-of-fold score where one exists
    (module docstring) instead of running."""
    from huiyan.bench.protocols import protocols_for
    from huiyan.media.probe import MediaError, sniff

    out = Path(out)
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    cache = out / "cache"
    jobs = []
    done: list[dict[str, Any]] = []
    files: dict[tuple[str, str], Path] = {}
    cached: dict[tuple[str, str], dict[tuple[str, str], dict]] = {}
    # reuse_stale: take cached records even when method versions changed since (a quick re-run
    # of the evaluation only; the docs then list the versions actually measured)
    manifests = None
    if published:  # the data evaluated, by the MANIFEST.csv hashes of all its roots
        from huiyan.bench.manifest import manifest_hashes

        manifests = frozenset(manifest_hashes(entries))
    for e in entries:
        try:
            mt = sniff(Path(e.path)).media_type
        except MediaError:
            mt = "image" if e.media == "images" else "video"
        for p in protocols:
            if p not in protocols_for(mt):
                continue
            key = (e.media, p)
            if key not in cached:
                files[key] = raw / f"{e.media}_{p}.jsonl"
                cached[key] = _read_jsonl(files[key])
            old = cached[key].get((e.relative_path, e.sha256))
            # reuse_stale takes records of older method versions, never those of an older transform
            given = published_scores(e.sha256, p, manifests) if manifests is not None else None
            if old and _same_transform(old) and all(_current(f, given) for f in old.get("findings", [])) and (
                    (_valid(old) and _same_copy(old, cache)) or (reuse_stale and old.get("findings"))):
                done.append(old)
            else:
                jobs.append((e.to_dict(), p, str(cache), old, None, given))
    LAST_STATS.update(run=len(jobs), cached=len(done))
    if jobs:
        _detectors()
        t0 = time.time()
        n_done = 0

        def take(rec: dict) -> None:
            nonlocal n_done
            n_done += 1
            done.append(rec)
            cached[(rec["media"], rec["protocol"])][(rec["relative_path"], rec["sha256"])] = rec
            _tick(progress, n_done, len(jobs), t0, rec)
            if n_done % 25 == 0:  # keep the cache current so an interrupted run loses little
                for key, recs in cached.items():
                    _write_jsonl(files[key], recs.values())

        # two phases: protocols whose pixels equal another protocol's run after that one, so
        # that pixel-only findings can be copied rather than computed again
        later = [j for j in jobs if j[1] in SAME_PIXELS]
        first = [j for j in jobs if j[1] not in SAME_PIXELS]
        pool = None
        if workers > 1 and len(jobs) > 1:
            import multiprocessing as mp

            pool = mp.get_context("fork").Pool(workers, initializer=_init_worker)
        else:
            _init_worker()
        try:
            for phase in (first, later):
                if phase is later:
                    phase = [(e, p, c, old, cached.get((e["media"], SAME_PIXELS[p]), {}).get((e["relative_path"], e["sha256"])), pub)
                             for e, p, c, old, _, pub in later]
                results = pool.imap_unordered(_job, phase, chunksize=1) if pool else map(_job, phase)
                for rec in results:
                    take(rec)
        finally:
            if pool:
                pool.close()
                pool.join()
        for key, recs in cached.items():
            _write_jsonl(files[key], recs.values())
    want = {(e.relative_path, e.sha256) for e in entries}
    return [r for r in done if (r["relative_path"], r["sha256"]) in want]


def _init_worker() -> None:
    try:
        os.nice(5)
    except OSError:
        pass


def _tick(progress: bool, i: int, n: int, t0: float, rec: dict) -> None:
    if not progress:
        return
    el = time.time() - t0
    eta = el / i * (n - i)
    err = " ERROR" if rec.get("errors") else ""
    print(f"[bench] {i}/{n} {rec['protocol']:9s} {rec['relative_path'][:60]:60s} "
          f"{rec.get('seconds', 0):6.2f}s eta {eta:5.0f}s{err}", flush=True)


def _read_jsonl(path: Path) -> dict[tuple[str, str], dict]:
    out = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue
                out[(r["relative_path"], r["sha256"])] = r
    return out


def _write_jsonl(path: Path, recs) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in sorted(recs, key=lambda r: r["relative_path"]):
            fh.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)
