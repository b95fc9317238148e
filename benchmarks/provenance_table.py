"""How often each provenance method fires on ../shared/data, by label, as delivered and with the
metadata stripped (images: pixels decoded and re-saved as PNG, the `stripped` transform of
`huiyan.bench.protocols`; videos: streams remuxed by FFmpeg without any container metadata, and
animated GIF/WebP re-saved frame by frame by Pillow without comments or EXIF), written into a
temporary cache, never into the data folder.

For every `provenance.*` detector and protocol it counts, separately for real files and for
generated/edited files (generated, tampered, deepfake; for videos every non-real label): how many
files the method applies to, how many it fires on towards manipulation (LLR > 0), towards camera
origin (LLR < 0), and decisively. Rule-based methods state their own LLR, so nothing here is
fitted. Writes benchmarks/results/provenance_table.json and prints Markdown tables
(docs/PROVENANCE.md holds a copy).

    nice .venv/bin/python benchmarks/provenance_table.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def _rows(data: Path, sub: str) -> list[dict[str, str]]:
    with open(data / sub / "MANIFEST.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def strip_video(src: Path, fmt: str, out: Path) -> Path:
    """A copy of a clip without metadata: container streams copied packet by packet (no
    re-encoding) into a fresh container of the same kind; GIF/WebP frames re-saved by Pillow."""
    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    if fmt in ("GIF", "WEBP"):
        from PIL import Image, ImageSequence

        with Image.open(src) as im:
            frames = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
            durs = [int(f.info.get("duration", 100) or 100) for f in ImageSequence.Iterator(im)]
        kw = {"lossless": True} if fmt == "WEBP" else {}
        frames[0].save(tmp, format=fmt, save_all=True, append_images=frames[1:], duration=durs, loop=0, **kw)
    else:
        import av

        with av.open(str(src)) as inp, av.open(str(tmp), "w", format=inp.format.name.split(",")[0],
                                               options={"fflags": "+bitexact"}) as o:
            vs = inp.streams.video[0]
            ovs = o.add_stream_from_template(vs)
            ovs.metadata.clear()
            for pkt in inp.demux(vs):
                if pkt.dts is None:
                    continue
                pkt.stream = ovs
                o.mux(pkt)
    tmp.replace(out)
    return out


def run(data: Path, cache: Path, limit: int | None = None) -> dict:
    from huiyan.bench.protocols import prepare
    from huiyan.detectors.base import registry
    from huiyan.media.item import Item
    from huiyan.media.probe import MediaError, sniff

    dets = [cls() for name, cls in registry().items() if name.startswith("provenance.")]
    records = []
    for sub, protocols in (("images", ("delivered", "stripped")), ("videos", ("delivered", "stripped"))):
        rows = _rows(data, sub)[:limit] if limit else _rows(data, sub)
        for r in rows:
            src = data / sub / r["relative_path"]
            media_type = sniff(src).media_type
            for proto in protocols:
                try:
                    if sub == "videos" and proto == "stripped":
                        fmt = sniff(src).format
                        ext = {"GIF": ".gif", "WEBP": ".webp", "AVI": ".avi", "MOV": ".mov", "MKV": ".mkv",
                               "WEBM": ".webm"}.get(fmt, ".mp4")
                        path = strip_video(src, fmt, cache / "video_stripped" / f"{r['sha256'][:24]}{ext}")
                    else:
                        path = prepare(src, r["sha256"], media_type, proto, cache)
                    item = Item(path)
                except (MediaError, OSError) as e:
                    records.append({"file": r["relative_path"], "protocol": proto, "error": str(e)})
                    continue
                for d in dets:
                    if item.media_type not in d.media_types:
                        continue
                    try:
                        f = d.run(item)
                    except MediaError as e:
                        f = d.not_applicable(f"input could not be decoded: {e}")
                    records.append({
                        "set": sub, "file": r["relative_path"], "label": r["label"], "protocol": proto,
                        "format": item.format, "method": d.method, "applicable": f.applicable,
                        "llr": round(f.llr, 3), "decisive": f.decisive, "category": f.category,
                        "seconds": f.seconds, "reason": (f.reason or "")[:60] or None,
                    })
    return {"records": records, "methods": [d.method for d in dets]}


def summarise(records: list[dict]) -> dict:
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    secs: dict = defaultdict(list)
    for r in records:
        if "method" not in r:
            continue
        group = "real" if r["label"] == "real" else "generated_or_edited"
        c = out[f"{r['set']}/{r['protocol']}"][r["method"]]
        c[f"n_{group}"] += 1
        c[f"applicable_{group}"] += r["applicable"]
        c[f"positive_{group}"] += r["applicable"] and r["llr"] > 0
        c[f"negative_{group}"] += r["applicable"] and r["llr"] < 0
        c[f"decisive_{group}"] += r["applicable"] and r["decisive"]
        c[f"abs_llr_max_{group}"] = max(c[f"abs_llr_max_{group}"], abs(r["llr"]) if r["applicable"] else 0)
        c[f"positive_label:{r['label']}"] += r["applicable"] and r["llr"] > 0
        secs[r["method"]].append(r["seconds"])
    timing = {m: {"median_s": round(statistics.median(v), 4), "max_s": round(max(v), 4)} for m, v in secs.items()}
    return {"counts": {k: {m: dict(c) for m, c in v.items()} for k, v in out.items()}, "timing": timing}


def markdown(summary: dict) -> str:
    lines = []
    for key, methods in summary["counts"].items():
        lines += [f"### {key}", "",
                  "| method | applies (real / gen+edit) | fires → manipulated (real / gen+edit) | "
                  "fires → camera (real / gen+edit) | decisive (real / gen+edit) | max abs LLR (real / gen+edit) |",
                  "|---|---|---|---|---|---|"]
        for m, c in sorted(methods.items()):
            def pair(k, c=c):
                return f"{c.get(k + '_real', 0)} / {c.get(k + '_generated_or_edited', 0)}"
            lines.append(f"| {m} | {pair('applicable')} of {pair('n')} | {pair('positive')} | {pair('negative')} | "
                         f"{pair('decisive')} | {pair('abs_llr_max')} |")
        lines.append("")
    return "\n".join(lines)


def write_json(path: Path, doc: dict) -> None:
    """Summary indented for reading, one record per line (the file stays small and diffable)."""
    records = doc.pop("records")
    head = json.dumps(doc, indent=1, ensure_ascii=False)[:-2]
    body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records)
    path.write_text(f'{head},\n "records": [\n{body}\n]\n}}\n')


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--cache", type=Path, default=None, help="folder for stripped copies (default: a temp folder)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "provenance_table.json")
    ap.add_argument("--limit", type=int, default=None, help="first N files of each manifest (smoke runs)")
    ap.add_argument("--from-json", type=Path, default=None, help="re-summarise the records of an earlier run")
    a = ap.parse_args(argv)
    if a.from_json:
        summ = summarise(json.loads(a.from_json.read_text())["records"])
        print(markdown(summ))
        return 0
    if not (a.data / "images" / "MANIFEST.csv").exists():
        print(f"no data at {a.data}", file=sys.stderr)
        return 2
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="huiyan-prov-") as tmp:
        res = run(a.data, a.cache or Path(tmp), a.limit)
    summ = summarise(res["records"])
    import huiyan

    doc = {"schema": "huiyan.provenance_table/1", "tool_version": huiyan.__version__,
           "python": platform.python_version(), "machine": platform.machine(), "elapsed_s": round(time.time() - t0, 1),
           **summ, "records": res["records"]}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(a.out, doc)
    print(markdown(summ))
    print(json.dumps(summ["timing"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
