"""Out-of-sample CLIP-probe rows for items outside the probe's own LOGO run: the probe that scores
an item must have seen neither its generator family nor its source."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from huiyan.learn import clip_oos


def _train(n=24, seed=0):
    rng = np.random.default_rng(seed)
    rows, emb = [], {}
    for i in range(n):
        y = i % 2
        gen = ("sdxl", "flux", "gan")[i % 3] if y else None
        rows.append(({"y": y}, SimpleNamespace(gen_key=gen, source=f"src{i % 4}")))
        for k in range(clip_oos.lp.AUG_COPIES):
            e = rng.normal(0, 1, (3, 8)) + (1.5 if y else -1.5)
            emb[(i, f"aug{k}")] = e / np.linalg.norm(e, axis=1, keepdims=True)
    return rows, emb


def test_excluded_probe_leaves_out_generator_and_source():
    rows, emb = _train()
    _, n_all = clip_oos.excluded_probe(rows, emb, None, "nowhere", 1.0)
    _, n_src = clip_oos.excluded_probe(rows, emb, None, "src0", 1.0)
    _, n_both = clip_oos.excluded_probe(rows, emb, "sdxl", "src0", 1.0)
    assert n_all == 24
    assert n_src == 24 - sum(e.source == "src0" for _, e in rows)
    assert n_both == sum(e.source != "src0" and e.gen_key != "sdxl" for _, e in rows)
    assert n_both < n_src < n_all


def test_excluded_probe_still_separates_the_classes():
    rows, emb = _train()
    probe, _ = clip_oos.excluded_probe(rows, emb, "flux", "src1", 1.0)
    pos = np.full((3, 8), 1.0) / np.sqrt(8)
    assert clip_oos.lp.image_logit(probe, pos) > clip_oos.lp.image_logit(probe, -pos)
