"""The video head of the CLIP probe: every clip is scored by a head fitted without its source and
generator family, the nested choice picks the candidate whose training data carries the signal,
and a tie keeps the image probe."""

from __future__ import annotations

import numpy as np
import pytest

from huiyan.learn import clip_video as cv


def _unit(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def _data(video_signal=2.0, image_signal=2.0, n_src=8, per_src=6, seed=0, dim=16):
    """Clips from `n_src` sources (real and manipulated in each, a generator family per source) whose
    embeddings are shifted along direction 0 by +-video_signal; images shifted along direction 1
    by +-image_signal (so image training data says nothing about the video direction)."""
    rng = np.random.default_rng(seed)
    vids, vemb, imgs, iemb = [], {}, [], {}
    for s in range(n_src):
        for j in range(per_src):
            y = j % 2
            i = len(vids)
            vids.append({"name": f"s{s}/c{j}.mp4", "y": y, "label": "generated_t2v" if y else "real",
                         "gen": f"g{s % 4}" if y else "", "src": f"src{s}"})
            for p in cv.VIDEO_PROTOCOLS:
                e = rng.normal(0, 1, (3, dim))
                e[:, 0] += video_signal if y else -video_signal
                vemb[(i, p)] = _unit(e)
    for k in range(40):
        y = k % 2
        n = len(imgs)
        imgs.append({"name": f"img{k}.png", "y": y, "gen": f"g{k % 4}" if y else "", "src": f"isrc{k % 5}"})
        for a in range(cv.lp.AUG_COPIES):
            e = rng.normal(0, 1, (3, dim))
            e[:, 1] += image_signal if y else -image_signal
            iemb[(n, f"aug{a}")] = _unit(e)
    return cv.Data(vids, vemb, imgs, iemb)


def test_exclusion_leaves_out_source_and_generator():
    d = _data()
    allv = list(range(len(d.vids)))
    kept = d.videos_without(allv, {"g1"}, {"src0"})
    assert kept and all(d.vids[i]["src"] != "src0" for i in kept)
    assert all(not (d.vids[i]["y"] == 1 and d.vids[i]["gen"] == "g1") for i in kept)
    # real clips of other sources stay even when their source held g1 positives
    assert any(d.vids[i]["y"] == 0 and d.vids[i]["src"] == "src1" for i in kept)
    imgs = d.images_without({"g1"}, {"isrc0"})
    assert all(d.imgs[i]["src"] != "isrc0" and not (d.imgs[i]["y"] == 1 and d.imgs[i]["gen"] == "g1") for i in imgs)


def test_logo_scores_every_clip_out_of_its_groups_and_picks_video_training():
    d = _data()
    probs, folds = cv.logo(d, log=lambda m: None)
    assert set(probs) == {(i, p) for i in range(len(d.vids)) for p in cv.VIDEO_PROTOCOLS}
    keys = {(f["gen"], f["source"]) for f in folds}
    assert keys == set(cv.outer_keys(d))
    # the signal lives only in the video embeddings: the image-only candidate cannot find it
    assert all(f["candidate"] in ("video", "video+image") for f in folds)
    res = cv.summary(d, probs)
    assert res["delivered"]["auc"] > 0.95 and res["reencoded"]["auc"] > 0.95
    thr = cv.operating_threshold(d, probs)
    assert thr > res["delivered"]["max_real"] and thr > res["reencoded"]["max_real"]


def test_no_video_signal_keeps_the_image_probe_on_ties():
    # identical clips of both classes: every candidate gives inner AUC 0.5 on videos, and the tie
    # must go to the strongest L2 of the first candidate ("image", the 0.3 behaviour)
    d = _data(video_signal=0.0)
    for i in range(len(d.vids)):
        for p in cv.VIDEO_PROTOCOLS:
            d.vemb[(i, p)] = np.ones((3, 16)) / 4.0
    table = cv.inner_auc_table(d, list(range(len(d.vids))), list(range(len(d.imgs))))
    assert all(v == pytest.approx(0.5) for v in table.values())
    assert cv.choose(table) == ("image", max(cv.lp.L2_GRID))


def test_design_weights_each_part_equally_and_refuses_a_missing_class():
    d = _data()
    v = list(range(len(d.vids)))
    i = list(range(len(d.imgs)))
    X, y, w = d.design("video+image", v, i)
    n_video_rows = sum(len(d.vemb[(k, p)]) for k in v for p in cv.VIDEO_PROTOCOLS)
    assert w[:n_video_rows].sum() == pytest.approx(0.5) and w[n_video_rows:].sum() == pytest.approx(0.5)
    only_real = [k for k in v if d.vids[k]["y"] == 0]
    assert d.design("video", only_real, i) is None
    with pytest.raises(ValueError):
        cv.fit(d, "video", 1.0, only_real, i)
