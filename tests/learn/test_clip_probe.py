"""huiyan.learn.clip_probe: the numpy/scipy logistic regression recovers a separable synthetic
problem, the leave-one-group-out folds never put a generator family or a source on both sides,
the inner split keeps sources whole, and the training augmentation is deterministic."""

from __future__ import annotations

import numpy as np

from huiyan.learn import clip_probe as lcp


def test_logreg_recovers_planted_direction():
    rng = np.random.default_rng(0)
    d = rng.normal(size=20)
    d /= np.linalg.norm(d)
    X = rng.normal(size=(400, 20))
    y = (X @ d > 0).astype(int)
    X += 0.5 * np.outer(2 * y - 1, d)  # margin
    probe = lcp.fit_logreg(X, y, l2=1e-3)
    z = probe.logits(X)
    assert ((z > 0) == (y == 1)).mean() == 1.0
    w_raw = probe.weight / probe.std
    assert w_raw @ d / np.linalg.norm(w_raw) > 0.95
    # heavy regularisation shrinks the weights
    assert np.linalg.norm(lcp.fit_logreg(X, y, l2=100.0).weight) < 0.2 * np.linalg.norm(probe.weight)


def test_logreg_sample_weights_matter():
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    y = np.array([0, 1, 1, 1])
    heavy_neg = lcp.fit_logreg(X, y, 1e-3, np.array([10.0, 1.0, 1.0, 1.0]))
    heavy_pos = lcp.fit_logreg(X, y, 1e-3, np.array([1.0, 10.0, 1.0, 1.0]))
    assert heavy_neg.logits(np.array([0.0]))[0] < 0 < heavy_pos.logits(np.array([0.0]))[0]


def _rows():
    rows = []
    for gen, src, n in [("SDXL", "a", 3), ("SDXL", "b", 2), ("FLUX", "b", 2), ("GPT-4o image", "c", 3)]:
        rows += [{"y": 1, "gen": gen, "src": src} for _ in range(n)]
    for src, n in [("a", 2), ("cam", 5), ("d", 3)]:
        rows += [{"y": 0, "gen": "", "src": src} for _ in range(n)]
    return rows


def test_outer_folds_never_share_generator_or_source():
    rows = _rows()
    folds = lcp.outer_folds(rows)
    scored = [i for _, test, _ in folds for i in test]
    assert sorted(scored) == list(range(len(rows)))  # every image scored exactly once
    for _, test, train in folds:
        assert not set(test) & set(train)
        test_srcs = {rows[i]["src"] for i in test}
        test_gens = {rows[i]["gen"] for i in test if rows[i]["y"] == 1}
        for i in train:
            assert rows[i]["src"] not in test_srcs
            assert not (rows[i]["y"] == 1 and rows[i]["gen"] in test_gens)
    sdxl = next(t for n, t, _ in folds if n == "gen:SDXL")
    train_sdxl = next(tr for n, _, tr in folds if n == "gen:SDXL")
    assert len(sdxl) == 5 and all(rows[i]["src"] not in {"a", "b"} for i in train_sdxl)


def test_inner_split_keeps_sources_whole():
    rows = _rows()
    idx = list(range(len(rows)))
    inner = lcp.inner_split(rows, idx, k=3)
    by_src = {}
    for i, f in zip(idx, inner, strict=True):
        by_src.setdefault(rows[i]["src"], set()).add(f)
    assert all(len(v) == 1 for v in by_src.values())
    assert len(set(inner)) == 3


def test_augmentation_is_deterministic_and_recompresses():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    a = lcp.apply_protocol(rgb, "aug0", "k")
    assert np.array_equal(a, lcp.apply_protocol(rgb, "aug0", "k"))
    assert 60 <= a.shape[0] <= 180 and not np.array_equal(a, lcp.apply_protocol(rgb, "aug1", "k"))
    r = lcp.apply_protocol(rgb, "resized")
    assert r.shape == (60, 80, 3)
    assert lcp.apply_protocol(rgb, "stripped") is rgb


def test_nested_choice_prefers_the_recipe_that_carries_the_signal():
    rng = np.random.default_rng(5)
    rows = []
    for k, gen in enumerate(["A", "B", "C", "D"]):
        rows += [{"y": 1, "gen": gen, "src": f"g{k}"} for _ in range(6)]
    rows += [{"y": 0, "gen": "", "src": f"r{k}"} for k in range(4) for _ in range(6)]
    d = np.zeros(16)
    d[0] = 1.0
    emb = {"noise": {}, "signal": {}}
    for i, r in enumerate(rows):
        for p in ["aug0", "aug1", *lcp.PROTOCOLS]:
            emb["noise"][(i, p)] = rng.normal(size=(3, 16))
            emb["signal"][(i, p)] = rng.normal(size=(3, 16)) + 2.0 * (2 * r["y"] - 1) * d
    recipe, l2, table = lcp.choose(rows, list(range(len(rows))), emb, ["aug0", "aug1"])
    assert recipe == "signal" and l2 in lcp.L2_GRID
    assert len(table) == 2 * len(lcp.L2_GRID)
    assert min(t["mean_auc"] for t in table.values() if t["recipe"] == "signal") > 0.9
    assert max(t["mean_auc"] for t in table.values() if t["recipe"] == "noise") < 0.8


def test_test_protocols_are_the_harness_transform():
    from huiyan.bench.protocols import protocol_pixels

    rgb = np.random.default_rng(4).integers(0, 256, (101, 151, 3), dtype=np.uint8)
    for p in ("laundered", "resized"):
        assert np.array_equal(lcp.apply_protocol(rgb, p), protocol_pixels(rgb, p))
    assert lcp.apply_protocol(rgb, "resized").shape == (50, 75, 3)  # w // 2, not rounded


def test_native_views_are_cached_together_from_one_call(tmp_path, monkeypatch):
    """A native or native_cls cache miss fills both caches from one encoder call; a second view of
    the same copy is then read from disk, not encoded again."""
    from PIL import Image

    from huiyan.detectors.fingerprint import clip_probe as cp

    img = tmp_path / "x.png"
    Image.fromarray(np.random.default_rng(7).integers(0, 256, (240, 260, 3), dtype=np.uint8)).save(img)
    row = {"path": img, "sha256": "ab" * 32, "odd_size": False}
    calls = []

    def fake_encode(x, path=None, blocks=False):
        calls.append((x.shape, blocks))
        return {"native": np.full((3, 512), 0.5), "native_cls": np.full((3, 12 * 768), 0.25)}

    monkeypatch.setattr(cp, "encode_crops", fake_encode)
    cls = lcp.cached_view(row, "laundered", "native_cls", tmp_path / "c")
    nat = lcp.cached_view(row, "laundered", "native", tmp_path / "c")
    assert calls == [((3, 3, 224, 224), True)]
    assert cls.shape == (3, 12 * 768) and np.all(cls == 0.25) and np.all(nat == 0.5)
    assert len(set(lcp.VIEW_CACHE.values())) == len(lcp.VIEW_CACHE)  # no two views share a cache key
