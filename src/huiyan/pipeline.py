"""The analysis pipeline: intake -> probe/decode -> detectors -> fusion, one item at a time.

`analyze_file` returns the item result of DESIGN.md section 4 as a plain dict. It never raises
for bad input: unreadable or unsupported files give a result with `errors` filled and
`verdict` = None.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from huiyan import __version__
from huiyan.detectors.base import Detector, Finding, registry
from huiyan.media.probe import MediaError

# Inputs a detector may use when the pixels or frames of a file could not be decoded.
_CONTAINER_ONLY = {"metadata", "bytes", "stream"}


def expand_inputs(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """Yield (path to report, error or None) for every file named or found under a folder.

    Folders are walked recursively in sorted order without following directory links; files
    inside are reported with absolute paths. Missing paths and symlink loops are errors.
    """
    for p in paths:
        if not os.path.lexists(p):
            yield p, f"{p}: no such file or directory"
            continue
        try:
            os.stat(p)
        except OSError as e:
            if e.errno == errno.ELOOP:
                yield p, f"{p}: symbolic link loop"
            else:
                yield p, f"{p}: cannot be accessed ({e.strerror})"
            continue
        if os.path.isdir(p):
            root = os.path.abspath(p)
            walk_errors: list[OSError] = []
            for dirpath, dirnames, filenames in os.walk(root, onerror=walk_errors.append):
                dirnames.sort()
                for name in sorted(filenames):
                    fp = os.path.join(dirpath, name)
                    try:
                        os.stat(fp)
                    except OSError as e:
                        reason = "symbolic link loop" if e.errno == errno.ELOOP else (e.strerror or str(e))
                        yield fp, f"{fp}: {reason}"
                        continue
                    yield fp, None
            for e in walk_errors:
                yield str(e.filename), f"{e.filename}: folder cannot be read ({e.strerror})"
        elif not os.path.isfile(p):
            yield p, f"{p}: not a regular file"
        else:
            yield p, None


def _blank(path: str) -> dict[str, Any]:
    return {
        "path": path,
        "sha256": None,
        "md5": None,
        "size_bytes": None,
        "media_type": None,
        "format": None,
        "score": None,
        "verdict": None,
        "category": None,
        "llr": None,
        "reasons": [],
        "findings": [],
        "errors": [],
        "media": {},
        "tool_version": __version__,
    }


def _rename(msg: str, stored: Path, original: str) -> str:
    return msg.replace(str(stored), original)


def run_detectors(item, detectors: list[Detector], decoded: bool) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    errors: list[str] = []
    for det in detectors:
        if not decoded and not set(det.inputs) <= _CONTAINER_ONLY:
            findings.append(det.not_applicable("the file's pixels or frames could not be decoded"))
            continue
        try:
            findings.append(det.run(item))
        except MediaError as e:
            findings.append(det.not_applicable(f"input could not be decoded: {e}"))
        except Exception as e:  # a detector defect: reported, never hidden
            errors.append(f"{det.method} failed: {type(e).__name__}: {e}")
            f = det.not_applicable(f"method failed: {type(e).__name__}")
            findings.append(f)
    return findings, errors


def analyze_file(
    path: str,
    case,
    *,
    detectors: list[Detector] | None = None,
    options: dict[str, Any] | None = None,
    precheck_error: str | None = None,
) -> dict[str, Any]:
    from huiyan.fusion import fuse
    from huiyan.media.item import Item
    from huiyan.media.probe import sniff

    t0 = time.perf_counter()
    res = _blank(path)
    if precheck_error:
        res["errors"].append(precheck_error)
        return res
    try:
        intake = case.intake(Path(path))
    except PermissionError:
        res["errors"].append(f"{path}: permission denied, the file cannot be read")
        return res
    except OSError as e:
        res["errors"].append(f"{path}: cannot be read ({e.strerror or e})")
        return res
    res.update(sha256=intake.sha256, md5=intake.md5, size_bytes=intake.size)
    stored = intake.stored
    try:
        probe = sniff(stored)
    except MediaError as e:
        res["errors"].append(_rename(str(e), stored, path))
        case.record("analysis", sha256=intake.sha256, source=path, error=res["errors"][-1])
        return res
    res.update(media_type=probe.media_type, format=probe.format)
    item = Item(stored, probe=probe, artifact_dir=case.artifact_dir(intake.sha256), sha256=intake.sha256,
                options=options)
    decoded = True
    try:
        if probe.media_type == "image":
            item.metadata  # noqa: B018 - build shared inputs once, surfacing decode errors here
            item.pixels  # noqa: B018
        else:
            item.video  # noqa: B018
            item.frames  # noqa: B018
    except MediaError as e:
        decoded = False
        res["errors"].append(_rename(str(e), stored, path))
    except MemoryError:
        decoded = False
        res["errors"].append(f"{path}: not enough memory to decode")
    if detectors is None:
        detectors = [cls() for cls in registry().values()]
    detectors = [d for d in detectors if probe.media_type in d.media_types]
    findings, det_errors = run_detectors(item, detectors, decoded)
    res["errors"].extend(det_errors)
    fused = fuse(findings, media_type=probe.media_type)
    res.update(
        score=fused.score if decoded else None,
        verdict=fused.verdict if decoded else None,
        category=fused.category if decoded else None,
        llr=fused.llr if decoded else None,
        family_llr=fused.family_llr,
        hypothesis_llr=fused.hypothesis_llr,
        reasons=fused.reasons,
        band_error_rates=fused.band_error_rates,
        prior=fused.prior,
        findings=[f.to_dict() for f in findings],
        media=item.describe(),
    )
    segments = getattr(item, "segments", None)
    if segments is not None:
        res["segments"] = segments
    res["elapsed_s"] = round(time.perf_counter() - t0, 3)
    case.record(
        "analysis",
        sha256=intake.sha256,
        source=path,
        verdict=res["verdict"],
        score=res["score"],
        methods={f.method: f.method_version for f in findings},
        errors=res["errors"],
    )
    return res
