"""Out-of-sample folds, nested bands and the `huiyan bench` command on a tiny labelled folder."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from huiyan.bench.evaluate import Row, _excluded, evaluate
from huiyan.bench.manifest import generator_key, load_manifest


def _row(i, y, source, gen_key, score, protocol="delivered"):
    f = {"method": "physical.m", "method_version": "1", "family": "physical", "applicable": True,
         "score": score, "llr": 0.0, "decisive": False, "category": "fully_generated", "reason": None,
         "explanation": {"zh": "z", "en": "e"}}
    return Row(item=f"i{i}", media_type="image", protocol=protocol, y=y, label="generated" if y else "real",
               generator=gen_key or "", gen_key=gen_key, source=source, source_format="PNG", findings=[f])


def test_fold_excludes_source_and_generator():
    held = [_row(0, 1, "s1", "sdxl", 0.9)]
    train = [_row(1, 1, "s1", "flux", 0.9), _row(2, 1, "s2", "sdxl", 0.9), _row(3, 1, "s3", "flux", 0.9),
             _row(4, 0, "s4", None, 0.1)]
    kept = _excluded(train, held)
    assert [r.item for r in kept] == ["i3", "i4"]


def test_one_out_of_sample_rule_for_every_fit():
    """The harness, the CLIP probe's and the learned detector's out-of-fold fits share one rule."""
    from huiyan.bench.manifest import shares_neither

    assert shares_neither("s3", "flux", {"s1"}, {"sdxl"})
    assert not shares_neither("s1", "flux", {"s1"}, {"sdxl"})  # same source
    assert not shares_neither("s2", "sdxl", {"s1"}, {"sdxl"})  # same family
    assert shares_neither("s2", None, {"s1"}, {"sdxl"})  # unknown family: kept
    assert shares_neither("s2", "sdxl", {"s1"}, {None})  # held-out family unknown: only its source out


def test_evaluate_separable_data_out_of_sample():
    rng = np.random.default_rng(0)
    rows = []
    for s in range(12):
        for k in range(10):
            y = int(k < 5)
            rows.append(_row(len(rows), y, f"src{s}", f"gen{s % 4}" if y else None,
                             float(rng.normal(3.0 if y else 0.0, 1.0))))
    ev = evaluate(rows)
    ys = np.array([r.y for r in ev["rows"]])
    llr = np.array([r.llr for r in ev["rows"]])
    from huiyan.bench.metrics import auc

    assert auc(ys, llr) > 0.95  # the classes separate (d' = 3) on items whose source was never fitted
    # the calibration is conservative (a prior on its slope, huiyan.fusion.calibrate.fit_logistic_llr:
    # about +-1.6 at the class means here), and an image examined for one kind of manipulation only
    # has its likelihood ratio shared among the three kinds in scope (mixture, -ln 3)
    assert llr[ys == 1].mean() > 0.0 and llr[ys == 0].mean() < -1.5
    assert all(r.verdict is not None for r in ev["rows"])
    # nested bands: few false positives among the 60 reals even though thresholds were not fitted on them
    fp = sum(r.verdict in ("synthetic", "likely_synthetic") for r in ev["rows"] if r.y == 0)
    assert fp <= 3
    b = ev["bands"]
    assert b["synthetic"] > b["likely_synthetic"] > b["likely_authentic"] > b["authentic"]


def test_generator_key_groups_families():
    assert generator_key("generated", "sdxl (+ip-adapter)") == generator_key("generated", "sdxl-inpainting")
    assert generator_key("generated", "chatgpt-image (gpt-4o era)") == "gpt-4o"
    assert generator_key("real", "camera:unknown") is None
    assert generator_key("real", "camera:NIKON D90") == "camera:nikon d90"
    assert generator_key("tampered", "splicing") is None
    assert generator_key("tampered", "copy-move") is None
    # version suffixes are not part of the family name
    assert generator_key("generated_t2v", "mochi-1 (t2v)") == "mochi"
    assert generator_key("generated_t2v", "TF-T2V + VideoComposer") == "tf-t2v"


def test_manipulation_kind_splits_face_swap_and_reenactment():
    from huiyan.bench.report import manipulation_kind

    assert manipulation_kind("deepfake_face", "FF++ Face2Face (expression reenactment)") == "reenactment"
    assert manipulation_kind("deepfake_face", "FF++ FaceSwap") == "face swap"
    assert manipulation_kind("deepfake", "ff++ Deepfakes (autoencoder face swap)") == "face swap (still)"
    assert manipulation_kind("deepfake", "ff++ NeuralTextures") == "reenactment (still)"
    assert manipulation_kind("generated_i2v", "SEINE") == "image-to-video"
    assert manipulation_kind("real", "camera") == "camera originals"


def test_manifest_of_shared_data(shared_data):
    es = load_manifest(shared_data / "images")
    assert len(es) > 100 and {e.y for e in es} == {0, 1}
    assert all(e.sha256 and e.source for e in es)
    from huiyan.bench.manifest import KIND_OF_LABEL

    for media in ("images", "videos"):  # every manipulated label has a kind to be calibrated on
        assert all(e.label in KIND_OF_LABEL for e in load_manifest(shared_data / media) if e.y == 1)


@pytest.fixture
def tiny_root(tmp_path, photo_rgb):
    from PIL import Image

    root = tmp_path / "data"
    root.mkdir()
    rows = []
    rng = np.random.default_rng(5)
    for i in range(6):
        y = i % 2
        if y:  # smooth gradient: "generated"
            arr = np.tile(np.linspace(0, 255, 96, dtype=np.uint8)[None, :, None], (96, 1, 3))
        else:
            arr = np.clip(photo_rgb[i * 40:i * 40 + 96, i * 40:i * 40 + 96] + rng.normal(0, 3, (96, 96, 3)), 0, 255)
            arr = arr.astype(np.uint8)
        name = f"f{i}.png"
        Image.fromarray(arr).save(root / name)
        from huiyan.bench.runner import sha256_file

        rows.append({"relative_path": name, "label": "generated" if y else "real",
                     "generator": "sdxl" if y else "camera:unknown", "source": f"github:s/{i}",
                     "format": "PNG", "sha256": sha256_file(root / name)})
    with open(root / "MANIFEST.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return root


def test_bench_command(tiny_root, tmp_path):
    from huiyan.cli import main

    out = tmp_path / "out"
    rc = main(["bench", str(tiny_root), "--protocol", "laundered", "--out", str(out), "--workers", "1"])
    assert rc == 0
    items = [json.loads(x) for x in (out / "items.jsonl").read_text().splitlines()]
    assert len(items) == 6 and {i["protocol"] for i in items} == {"laundered"}
    assert all(i["verdict"] in ("synthetic", "likely_synthetic", "inconclusive", "likely_authentic", "authentic")
               for i in items)
    summary = json.loads((out / "summary.json").read_text())
    assert "laundered" in summary["image"]["protocols"]
    assert (out / "roc_images_laundered.png").stat().st_size > 1000
    # cached: a second run computes nothing
    from huiyan.bench import runner

    main(["bench", str(tiny_root), "--protocol", "laundered", "--out", str(out), "--workers", "1"])
    assert runner.LAST_STATS["run"] == 0


def test_bench_command_missing_manifest(tmp_path):
    from huiyan.cli import main

    assert main(["bench", str(tmp_path), "--out", str(tmp_path / "o")]) == 1


def test_make_all_writes_docs(tiny_root, tmp_path):
    from huiyan.bench.make_all import main

    docs = tmp_path / "docs"
    assert main(["--data", str(tiny_root), "--out", str(tmp_path / "o"), "--docs", str(docs), "--workers", "1"]) == 0
    md = (docs / "BENCHMARKS.md").read_text()
    for s in ("## Images", "laundered", "Fused vs the best single family", "## Runtime", "out of sample",
              "## Method and family weights across the outer folds", "### Category of the flagged items"):
        assert s in md
    assert sorted(p.name for p in docs.glob("roc_*.png")) == [
        "roc_images_delivered.png", "roc_images_laundered.png", "roc_images_resized.png", "roc_images_stripped.png"]


def _learned_row(path: str, protocol: str):
    """make_rows on one cached record holding one learned finding (score 0.99), with a published
    out-of-fold score of 0.2 for the file src/a.png as delivered only. Returns (row, record)."""
    import hashlib
    from types import SimpleNamespace

    from huiyan.bench.evaluate import make_rows

    sha = hashlib.sha256(path.encode()).hexdigest()  # stands in for the file's hash
    rec = {"media": "images", "relative_path": path, "protocol": protocol, "errors": [], "sha256": sha,
           "findings": [{"method": "fingerprint.learned_patch", "method_version": "1", "family": "fingerprint",
                         "applicable": True, "score": 0.99, "llr": 0.0, "details": {}}]}
    e = SimpleNamespace(y=0, label="real", generator="", gen_key=None, source="s", source_format="PNG")
    oos = {"fingerprint.learned_patch": {(hashlib.sha256(b"src/a.png").hexdigest(), "delivered"): 0.2}}
    return make_rows([rec], {("images", path): e}, oos=oos)[0], rec


def test_learned_method_scored_out_of_fold():
    row, rec = _learned_row("src/a.png", "delivered")
    assert row.findings[0]["score"] == 0.2 and row.findings[0]["details"]["oos_score_from"] == "logo"
    assert rec["findings"][0]["score"] == 0.99  # the cached record is not modified


def test_learned_finding_without_out_of_fold_score_is_reported(capsys):
    row, _ = _learned_row("src/b.png", "laundered")
    assert row.findings[0]["score"] == 0.99 and "oos_score_from" not in row.findings[0]["details"]
    err = capsys.readouterr().err
    assert "1 applicable findings of fingerprint.learned_patch" in err and "src/b.png (laundered)" in err


def test_category_table_counts_flagged_items_against_their_label():
    from huiyan.bench.report import category_table

    rows = [_row(i, 1, "s", "g", 0.9) for i in range(3)] + [_row(9, 0, "s", None, 0.1)]
    rows[0].label, rows[0].verdict, rows[0].category = "generated", "synthetic", "fully_generated"
    rows[1].label, rows[1].verdict, rows[1].category = "tampered", "likely_synthetic", "fully_generated"
    rows[2].label, rows[2].verdict, rows[2].category = "tampered", "inconclusive", "locally_edited"  # not flagged
    rows[3].verdict = "synthetic"  # a camera original is a false positive, not a category question
    t = category_table(rows)
    assert t["generated"] == {"expected": "fully_generated", "flagged": 1, "correct": 1, "named": {"fully_generated": 1}}
    assert t["tampered"]["flagged"] == 1 and t["tampered"]["correct"] == 0
    assert set(t) == {"generated", "tampered"}


def test_detection_by_kind_counts_and_ranks_each_kind():
    from huiyan.bench.make_all import detection_by_kind

    rows = [_row(i, 1, "s", "g", 0.9) for i in range(4)] + [_row(10 + i, 0, "s", None, 0.1) for i in range(2)]
    for r, lab, v, llr in zip(rows, ["generated", "generated", "tampered", "tampered", "real", "real"],
                              ["synthetic", "inconclusive", "inconclusive", "inconclusive", "inconclusive", "authentic"],
                              [5.0, 1.0, -4.0, 0.5, 0.0, -3.0], strict=True):
        r.label, r.verdict, r.llr = lab, v, llr
    d = detection_by_kind(rows)["image"]
    assert d["fully generated"]["delivered"] == {"n": 2, "flagged": 0.5, "auc": 1.0}
    # local edits: one above both originals, one below both -> AUC 0.5, none flagged
    assert d["local edit"]["delivered"] == {"n": 2, "flagged": 0.0, "auc": 0.5}
    assert "camera originals" not in d
