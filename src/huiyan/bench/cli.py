"""`huiyan bench ROOT [--protocol P|all] [--out DIR] [--limit N]`: evaluate one labelled folder.

ROOT holds MANIFEST.csv (the format of ../shared/data/images or ../shared/data/videos), or is a
folder with images/ and videos/ below it. Protocols that do not apply to an item's media type are
skipped (images: delivered, stripped, laundered, resized; videos: delivered, reencoded). Writes
per-item (items.jsonl), per-method (methods.json) and summary (summary.json) results and one ROC
plot per media type and protocol into --out. Exit codes: 0 done, 1 usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path


def run(args) -> int:
    from huiyan.bench.make_all import bench, collect
    from huiyan.bench.protocols import ALL_PROTOCOLS

    root = Path(args.root)
    if not (root / "MANIFEST.csv").exists() and not any((root / f / "MANIFEST.csv").exists() for f in ("images", "videos")):
        print(f"huiyan bench: {root}/MANIFEST.csv not found", file=sys.stderr)
        return 1
    protocols = ALL_PROTOCOLS if args.protocol == "all" else (args.protocol,)
    workers = getattr(args, "workers", 2) or 1
    out = Path(args.out)
    ds = collect(root, out, limit=args.limit, workers=workers, protocols=protocols)
    if not ds.records:
        print("huiyan bench: no item applies to the chosen protocol", file=sys.stderr)
        return 1
    summary = bench(ds, out, None)
    for mt, d in summary.items():
        if isinstance(d, dict) and "protocols" in d:
            for p, s in d["protocols"].items():
                f = s["fused"]
                fp = f["fpr_likely_synthetic_or_above_count"]
                tp = f["tpr_likely_synthetic_or_above_count"]
                print(f"{mt:5s} {p:9s} n={f['n_real']}+{f['n_manipulated']} AUC {f['auc']} EER {f['eer']} "
                      f"TPR@1%FPR {f['tpr_at_1pct_fpr']} FP {fp[0]}/{fp[1]} TP {tp[0]}/{tp[1]}")
    print(f"results in {out}/ (items.jsonl, methods.json, summary.json, roc_*.png)")
    return 0
