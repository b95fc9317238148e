"""`huiyan report PATH... -o OUT [--lang zh|en] [--format pdf|html] [--case DIR] [case fields]`.

Analyses the given files or folders through the pipeline in the case folder (so every item is
taken in and logged on the custody chain), builds the report, writes it, and appends the
report's SHA-256 to the custody log (action `report`). With `--results FILE` instead of PATHs
it reuses the output of `huiyan analyze --json` made in the same case (items not in that case's
evidence store are reported as errors).

Case fields come from `--case-file FILE` (JSON object with `case_number`, `commissioner`,
`examiners`, `received`, `description`; dashes are accepted for underscores) and are
overridden by the options of the same names. The report time is now (UTC), or
`SOURCE_DATE_EPOCH` when that variable is set, so that builds can be reproduced byte for byte.

Exit codes: 0 report written; 1 usage error, or the report could not be made (e.g. the PDF font is
missing: never a PDF of empty boxes) or written; 2 report written but some item had an error (the
errors are in the report); 3 the custody log is broken (the report is still written and says so).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huiyan.report.build import CASE_FIELDS


def load_case_fields(args) -> dict[str, str]:
    fields: dict[str, str] = {}
    if getattr(args, "case_file", None):
        data = json.loads(Path(args.case_file).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{args.case_file}: a JSON object with the case fields is expected")
        for k, v in data.items():
            key = str(k).replace("-", "_")
            if key in CASE_FIELDS and v not in (None, ""):
                fields[key] = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
    for k in CASE_FIELDS:
        v = getattr(args, k, None)
        if v:
            fields[k] = str(v)
    return fields


def report_time() -> datetime:
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde and sde.strip().isdigit():
        return datetime.fromtimestamp(int(sde), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def output_format(args) -> str:
    if getattr(args, "format", None):
        return args.format
    return "html" if str(args.output).lower().endswith((".html", ".htm")) else "pdf"


def analyse(paths: list[str], case) -> list[dict[str, Any]]:
    from huiyan.detectors.base import registry
    from huiyan.pipeline import analyze_file, expand_inputs

    detectors = [cls() for cls in registry().values()]
    return [analyze_file(p, case, detectors=detectors, precheck_error=err) for p, err in expand_inputs(paths)]


def load_results(path: str, case) -> list[dict[str, Any]]:
    """Results written by `huiyan analyze --json` (one JSON object per line), checked against the case.

    An item is reported only from the case's read-only store: a result whose SHA-256 was never
    taken into this case, or whose stored copy no longer matches, gets an error instead of figures.
    """
    from huiyan.intake.custody import sha256_file

    entries = case.log.entries()
    taken = {e.get("sha256") for e in entries if e.get("action") == "intake"}
    # (verdict, score) of every analysis the custody log recorded, per SHA-256: a results file whose
    # opinion was edited after `analyze` must not become a report
    analysed: dict[str, set] = {}
    for e in entries:
        if e.get("action") == "analysis" and e.get("sha256"):
            analysed.setdefault(e["sha256"], set()).add((e.get("verdict"), e.get("score")))
    results = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: line {n} is not JSON ({e.msg})") from e
        if not isinstance(r, dict) or "path" not in r:
            raise ValueError(f"{path}: line {n} is not a result of `huiyan analyze --json`")
        r.setdefault("errors", [])
        r.setdefault("findings", [])
        sha = r.get("sha256")
        if sha:
            stored = case.root / "evidence" / sha[:2] / sha
            if sha not in taken or not stored.exists():
                r["errors"].append(f"{r['path']}: not in the evidence store of case {case.root}; analyse it there first")
                r["verdict"] = None
            elif sha256_file(stored)[0] != sha:
                r["errors"].append(f"{r['path']}: the stored copy no longer matches its SHA-256")
                r["verdict"] = None
            elif (r.get("verdict"), r.get("score")) not in analysed.get(sha, set()):
                r["errors"].append(f"{r['path']}: its verdict and score do not match any analysis recorded in the "
                                   f"custody log of case {case.root}; the results file was edited or comes from "
                                   "elsewhere")
                r["verdict"] = None
        results.append(r)
    return results


def render(results: list[dict[str, Any]], *, lang: str, fmt: str, case, case_fields: dict[str, str],
           generated_at: datetime) -> bytes:
    """The report bytes for analysed `results` (the case supplies the custody state)."""
    from huiyan.fusion.combine import load_calibration
    from huiyan.report.build import ReportInput, build_document

    inp = ReportInput(
        results=results,
        lang=lang,
        case_fields=case_fields,
        generated_at=generated_at,
        case_root=case.root if case is not None else None,
        custody_entries=case.log.entries() if case is not None else None,
        custody_problems=case.verify() if case is not None else None,
        calibration=load_calibration(),
    )
    doc = build_document(inp)
    if fmt == "html":
        from huiyan.report.html import render_html

        return render_html(doc)
    from huiyan.report.pdf import render_pdf

    return render_pdf(doc)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def run(args) -> int:
    from huiyan.intake import Case

    try:
        fields = load_case_fields(args)
    except (OSError, ValueError) as e:
        print(f"huiyan report: case file cannot be used: {e}", file=sys.stderr)
        return 1
    try:
        case = Case(args.case, actor=args.actor)
    except OSError as e:
        print(f"huiyan report: case folder {args.case} cannot be used: {e}", file=sys.stderr)
        return 1
    fmt = output_format(args)
    out = Path(args.output)
    if getattr(args, "results", None):
        if args.paths:
            print("huiyan report: give PATHs or --results, not both", file=sys.stderr)
            return 1
        try:
            results = load_results(args.results, case)
        except (OSError, ValueError) as e:
            print(f"huiyan report: results cannot be used: {e}", file=sys.stderr)
            return 1
    elif args.paths:
        results = analyse(args.paths, case)
    else:
        print("huiyan report: no PATH given (or --results FILE)", file=sys.stderr)
        return 1
    from huiyan.report.pdf import ReportRenderError

    try:
        data = render(results, lang=args.lang, fmt=fmt, case=case, case_fields=fields, generated_at=report_time())
    except ReportRenderError as e:
        print(f"huiyan report: the {fmt.upper()} report cannot be made: {e}", file=sys.stderr)
        return 1
    try:
        write_atomic(out, data)
    except OSError as e:
        print(f"huiyan report: {out} cannot be written: {e}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(data).hexdigest()
    case.record(
        "report",
        sha256=digest,
        output=str(out),
        format=fmt,
        lang=args.lang,
        size=len(data),
        items=[r["sha256"] for r in results if r.get("sha256")],
        case_number=fields.get("case_number"),
        results_file=getattr(args, "results", None),
    )
    print(f"report written: {out} ({fmt}, {args.lang}, {len(data):,} bytes, SHA-256 {digest})")
    for r in results:
        for e in r.get("errors") or []:
            print(f"error: {e}", file=sys.stderr)
    if case.verify():
        return 3
    return 2 if any(r.get("errors") for r in results) else 0
