"""The `huiyan` command line. Only argparse is imported at start-up; everything heavy loads inside
the command that needs it, so `huiyan --help` stays fast.

Exit codes: 0 all items analysed; 1 usage error; 2 some item had an error; 3 custody broken.
"""

from __future__ import annotations

import argparse
import sys

from huiyan import __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 1 (argparse would use 2)
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def _add_case(p: argparse.ArgumentParser) -> None:
    p.add_argument("--case", metavar="DIR", help="case folder (default: the user data directory)")
    p.add_argument("--actor", help="examiner name for the custody log (default: $HUIYAN_ACTOR or login)")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="huiyan", description="Huiyan (慧眼): offline authenticity examination of images and videos")
    ap.add_argument("--version", action="version", version=f"huiyan {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    a = sub.add_parser("analyze", help="analyse files or folders (walked recursively)")
    a.add_argument("paths", nargs="+", metavar="PATH")
    a.add_argument("--json", action="store_true", help="one JSON object per input file on stdout")
    _add_case(a)
    a.add_argument("--methods", help="comma-separated method ids to run (default: all)")
    a.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    a.set_defaults(func=cmd_analyze)

    d = sub.add_parser("detectors", help="list the registered methods")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_detectors)

    c = sub.add_parser("custody", help="custody log operations")
    csub = c.add_subparsers(dest="custody_command", metavar="ACTION", parser_class=_Parser, required=True)
    v = csub.add_parser("verify", help="check the custody log and the stored originals")
    _add_case(v)
    v.set_defaults(func=cmd_custody_verify)
    s = csub.add_parser("show", help="print the custody log")
    _add_case(s)
    s.set_defaults(func=cmd_custody_show)

    r = sub.add_parser("report", help="write the forensic appraisal report (鉴定报告)")
    r.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to analyse and report on")
    r.add_argument("-o", "--output", required=True, metavar="OUT", help="output file (.pdf or .html)")
    r.add_argument("--lang", choices=["zh", "en"], default="zh")
    r.add_argument("--format", choices=["pdf", "html"], default=None, help="default: from the output suffix")
    r.add_argument("--results", metavar="FILE",
                   help="reuse the output of `huiyan analyze --json` (same case) instead of analysing again")
    r.add_argument("--case-file", metavar="FILE", help="JSON file with case fields")
    for fld in ("case-number", "commissioner", "examiners", "received", "description"):
        r.add_argument(f"--{fld}")
    _add_case(r)
    r.set_defaults(func=cmd_report)

    b = sub.add_parser("bench", help="evaluate on a labelled folder (MANIFEST.csv) under the four protocols")
    b.add_argument("root", metavar="ROOT")
    b.add_argument(
        "--protocol",
        default="all",
        choices=["delivered", "stripped", "laundered", "resized", "reencoded", "all"],
    )
    b.add_argument("--out", default="out/bench", metavar="DIR")
    b.add_argument("--limit", type=int, default=None, help="analyse at most N files (smoke runs)")
    b.add_argument("--workers", type=int, default=2, help="processes (at most 2 on a shared machine)")
    b.set_defaults(func=cmd_bench)
    return ap


# commands -------------------------------------------------------------------------------------


def cmd_analyze(args) -> int:
    import json

    from rich.console import Console

    from huiyan.detectors.base import registry
    from huiyan.pipeline import analyze_file, expand_inputs

    err = Console(stderr=True)
    reg = registry()
    if args.methods:
        wanted = [m.strip() for m in args.methods.split(",") if m.strip()]
        if not wanted:
            err.print("[red]--methods names no method[/red] (see `huiyan detectors`)")
            return 1
        unknown = [m for m in wanted if m not in reg]
        if unknown:
            err.print(f"[red]unknown method(s): {', '.join(unknown)}[/red] (see `huiyan detectors`)")
            return 1
        detectors = [reg[m]() for m in wanted]
    else:
        detectors = [cls() for cls in reg.values()]
    case = _open_case(args)
    if case is None:
        return 1
    inputs = list(expand_inputs(args.paths))
    results = []
    show_progress = not args.no_progress and len(inputs) > 1
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not show_progress,
        transient=True,
    ) as prog:
        task = prog.add_task("analysing", total=len(inputs))
        for path, pre_err in inputs:
            prog.update(task, description=f"analysing {path[-40:]}")
            res = analyze_file(path, case, detectors=detectors, precheck_error=pre_err)
            results.append(res)
            if args.json:
                sys.stdout.write(json.dumps(res, ensure_ascii=False, default=str) + "\n")
                sys.stdout.flush()
            prog.advance(task)
    if not args.json:
        _print_table(results)
    for r in results:
        for e in r["errors"]:
            err.print(f"[yellow]error:[/yellow] {e}", highlight=False)
    return 2 if any(r["errors"] for r in results) else 0


def _print_table(results) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Huiyan 慧眼 — results")
    for col in ("file", "type", "verdict", "score", "category", "strongest reason"):
        t.add_column(col)
    for r in results:
        reason = r["reasons"][0]["en"] if r.get("reasons") else ("; ".join(r["errors"]) if r["errors"] else "")
        t.add_row(
            r["path"],
            f"{r['media_type'] or '-'} {r['format'] or ''}",
            r["verdict"] or "error",
            "-" if r["score"] is None else f"{r['score']:.3f}",
            r["category"] or "",
            reason[:90],
        )
    Console(width=200).print(t)


def cmd_detectors(args) -> int:
    import json

    from huiyan.detectors.base import registry

    rows = [
        {
            "method": m,
            "family": c.family,
            "version": c.version,
            "media_types": list(c.media_types),
            "inputs": list(c.inputs),
            "summary": c.summary,
        }
        for m, c in registry().items()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table(title="registered methods")
    for col in ("method", "family", "version", "applies to", "inputs", "what it measures"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["method"], r["family"], r["version"], ",".join(r["media_types"]), ",".join(r["inputs"]),
                  r["summary"].get("en", ""))
    Console(width=200).print(t)
    return 0


def _open_case(args, *, existing: bool = False):
    """The case of `--case` (or the default case), or None after saying on stderr why it cannot be
    used. `existing=True` (custody commands) refuses to create a case folder that is not there, so
    a mistyped path is never reported as an intact, empty custody log."""
    from pathlib import Path

    from huiyan.intake import Case
    from huiyan.intake.store import default_case_dir

    root = Path(args.case) if args.case else default_case_dir()
    if existing and not any((root / n).exists() for n in ("custody.jsonl", "custody.head", "evidence")):
        print(f"huiyan: no case at {root} (no custody log, no evidence store)", file=sys.stderr)
        return None
    try:
        return Case(root, actor=args.actor)
    except OSError as e:
        print(f"huiyan: case folder {root} cannot be used: {e}", file=sys.stderr)
        return None


def cmd_custody_verify(args) -> int:
    case = _open_case(args, existing=True)
    if case is None:
        return 1
    problems = case.verify()
    n = len(case.log.entries()) if not problems else None
    if not problems:
        print(f"custody log intact: {n} entries, stored originals match ({case.root})")
        return 0
    print(f"custody BROKEN in {case.root}:", file=sys.stderr)
    first = problems[0]
    print(f"first broken entry: {first.seq if first.seq is not None else '-'}: {first.message}")  # stdout: parsable
    for p in problems[1:]:
        print(f"  also: {p.message}", file=sys.stderr)
    return 3


def cmd_custody_show(args) -> int:
    import json

    case = _open_case(args, existing=True)
    if case is None:
        return 1
    try:
        entries = case.log.entries()
    except json.JSONDecodeError as e:
        print(f"huiyan: custody log {case.log.path} is corrupt ({e}); `huiyan custody verify` names the "
              "broken entry", file=sys.stderr)
        return 3
    for e in entries:
        print(json.dumps(e, ensure_ascii=False))
    return 0


def cmd_report(args) -> int:
    try:
        from huiyan.report.cli import run
    except ImportError as e:  # name the missing module: a broken install must not look like a missing feature
        print(f"huiyan report: the report module cannot be loaded ({e})", file=sys.stderr)
        return 1
    return run(args)


def cmd_bench(args) -> int:
    try:
        from huiyan.bench.cli import run
    except ImportError as e:  # name the missing module: a broken install must not look like a missing feature
        print(f"huiyan bench: the evaluation harness cannot be loaded ({e})", file=sys.stderr)
        return 1
    return run(args)


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 1
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
