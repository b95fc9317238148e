"""Write the leave-one-out results of the learned detector as Markdown tables (docs/LEARNED.md).

The tables go between the markers `<!-- results:begin -->` and `<!-- results:end -->`; the text
around them (the hand-written discussion) is kept when the file already exists.

    python -m huiyan.learn.report models/learned_patch_logo.json src/huiyan/data/models/learned_patch.json docs/LEARNED.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _f(x: float | None, nd: int = 3) -> str:
    if x is None or x != x:
        return "–"
    return f"{x:.{nd}f}"


def _group_table(lines: list[str], s: dict, protos: list[str], title: str, first: str,
                 a: tuple[str, str, int], b: tuple[str, str, int]) -> None:
    """One row per held-out group that carries metric `a[1]`: columns a then b for every protocol,
    largest group first. a and b are (column label, key in per_group, decimals)."""
    lines += [f"### {title}", "",
              f"| {first} | n | " + " | ".join(f"{a[0]} {p}" for p in protos) + " | "
              + " | ".join(f"{b[0]} {p}" for p in protos) + " |",
              "|---|---|" + "---|" * (2 * len(protos))]
    groups = s[protos[0]]["per_group"]
    for g in sorted((g for g, v in groups.items() if a[1] in v), key=lambda g: -groups[g]["n"]):
        row = [g, str(groups[g]["n"])]
        row += [_f(s[p]["per_group"][g][a[1]], a[2]) for p in protos]
        row += [_f(s[p]["per_group"][g][b[1]], b[2]) for p in protos]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")


def results_tables(results: dict, meta: dict) -> str:
    s = results["summary"]
    protos = list(s)
    lines = []
    lines.append(
        f"Data: `shared/data/images/MANIFEST.csv` sha256 `{results['data_version']}`; "
        f"{s[protos[0]]['n_real']} camera/real and {s[protos[0]]['n_generated']} generated images, every one scored "
        "by a model that never saw its generator family (generated) or its source repository (real). "
        "*Delivered* equals *stripped* for this method (it reads pixels only). Columns marked @ 0.5 use the neutral threshold 0.5."
    )
    lines.append("")
    lines.append("### Overall (out of sample)")
    lines.append("")
    lines.append("| protocol | AUC | EER | TPR @ 1% FPR | FPR on real @ 0.5 | TPR @ 0.5 |")
    lines.append("|---|---|---|---|---|---|")
    for p in protos:
        m = s[p]
        lines.append(
            f"| {p} | {_f(m['auc'])} | {_f(m['eer'])} | {_f(m['tpr_at_1pct_fpr'])} | {_f(m['fpr_at_threshold'])} | {_f(m['tpr_at_threshold'])} |"
        )
    lines.append("")
    op = meta.get("operating_point")
    if op:
        lines.append(
            f"Shipped threshold (lowest score with out-of-sample FPR <= {op['max_fpr']:.0%} on real images under every protocol): "
            f"**{op['threshold']:.3f}**; at it: "
            + "; ".join(f"{p} FPR {_f(v['fpr'])}, TPR {_f(v['tpr'])}" for p, v in op["protocols"].items())
            + "."
        )
        lines.append("")
    _group_table(lines, s, protos, "Per held-out generator family (AUC against all out-of-sample real images; TPR at 0.5)",
                 "generator", ("AUC", "auc_vs_all_real", 3), ("TPR", "tpr_at_threshold", 2))
    _group_table(lines, s, protos,
                 "Per held-out real source (false-positive rate at 0.5; AUC of all generated against this source)",
                 "real source", ("FPR", "fpr_at_threshold", 2), ("AUC", "auc_all_generated_vs_this", 3))
    lines.append("### Within one source format (does the score only read the format?)")
    lines.append("")
    lines.append("| source format | generated | real | " + " | ".join(f"AUC {p}" for p in protos) + " |")
    lines.append("|---|---|---|" + "---|" * len(protos))
    for fmt, v in s[protos[0]]["per_format"].items():
        lines.append(
            f"| {fmt} | {v['n_generated']} | {v['n_real']} | "
            + " | ".join(_f(s[p]["per_format"][fmt]["auc_within_format"]) for p in protos)
            + " |"
        )
    lines.append("")
    lines.append("### Folds")
    lines.append("")
    lines.append("| fold | held out | images | seconds (train + score) | final training loss |")
    lines.append("|---|---|---|---|---|")
    for f in results["folds"]:
        lines.append(
            f"| {f['fold']} | {', '.join(f['held_out'])} | {f['n_test']} | {f['seconds']} | {_f(f['final_loss'])} |"
        )
    lines.append("")
    sec = meta.get("seconds", {})
    lines.append(
        f"Shipped model: `{meta.get('onnx')}` ({meta.get('onnx_bytes')} bytes), trained on all images in "
        f"{sec.get('final_fit')} s (pool {sec.get('pool')} s; whole `make train` run incl. the leave-one-out folds "
        f"{sec.get('total')} s) with torch {meta.get('torch')}."
    )
    return "\n".join(lines)


def write_learned_md(results: dict, meta: dict, path: Path) -> Path:
    block = f"{BEGIN}\n{results_tables(results, meta)}\n{END}"
    path = Path(path)
    if path.exists() and BEGIN in (text := path.read_text()) and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        new = head + block + tail
    else:
        new = "# The small learned detector: leave-one-generator-out results\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)
    return path


if __name__ == "__main__":
    res, meta, out = sys.argv[1:4]
    write_learned_md(json.loads(Path(res).read_text()), json.loads(Path(meta).read_text()), Path(out))
