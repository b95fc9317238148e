"""The harness runner: pixel-only findings are copied from `delivered` to `stripped` (same pixels),
which is only valid if those methods really give the same finding on both files."""

from __future__ import annotations

import hashlib

from huiyan.bench import runner
from huiyan.bench.manifest import Entry
from huiyan.bench.protocols import prepare


def _sig(rec):
    return {f["method"]: (f["applicable"], f["score"], f["reason"]) for f in rec["findings"]}


def test_pixel_only_methods_are_declared_and_exclude_format_readers():
    pix = runner.pixel_only_methods("image")
    assert "physical.noise_residual" in pix
    # methods reading JPEG tables or metadata must never be copied between protocols
    assert not pix & {"physical.jpeg_double", "physical.cfa", "physical.local_edit", "provenance.camera_exif",
                      "provenance.jpeg_qtables", "provenance.sd_watermark"}


def test_pixel_only_findings_equal_on_delivered_and_stripped(tmp_path, jpeg_with_exif):
    stripped = prepare(jpeg_with_exif, "cd" * 32, "image", "stripped", tmp_path / "cache")
    only = runner.pixel_only_methods("image")
    a, b = runner.analyse_path(jpeg_with_exif, only=only), runner.analyse_path(stripped, only=only)
    assert not a["errors"] and not b["errors"]
    assert set(_sig(a)) == only
    assert _sig(a) == _sig(b)


def test_stripped_record_reuses_pixel_findings_and_runs_the_rest(tmp_path, jpeg_with_exif):
    sha = hashlib.sha256(jpeg_with_exif.read_bytes()).hexdigest()
    e = Entry(media="images", relative_path="x/in.jpg", path=str(jpeg_with_exif), label="real", y=0,
              generator="camera:test", gen_key=None, source="test", source_format="JPEG", sha256=sha)
    recs = runner.run_entries([e], ["delivered", "stripped"], tmp_path / "bench", workers=1, progress=False)
    by = {r["protocol"]: r for r in recs}
    assert set(by) == {"delivered", "stripped"}
    d, s = by["delivered"], by["stripped"]
    assert {f["method"] for f in d["findings"]} == {f["method"] for f in s["findings"]}
    pix = runner.pixel_only_methods("image")
    for f in s["findings"]:
        assert (f.get("reused_from") == "delivered") == (f["method"] in pix), f["method"]
    # metadata is gone in the stripped file: the EXIF method is computed there and differs
    exif = {r: next(f for f in by[r]["findings"] if f["method"] == "provenance.camera_exif") for r in by}
    assert exif["delivered"]["applicable"] != exif["stripped"]["applicable"] or \
        exif["delivered"]["score"] != exif["stripped"]["score"]


def test_a_protocol_copy_made_again_is_analysed_again(tmp_path, jpeg_with_exif):
    """Cached findings are kept only for the bytes they were computed on: if the protocol copy in the
    cache changes (an encoder that does not reproduce its output), the record is recomputed."""
    from PIL import Image

    sha = hashlib.sha256(jpeg_with_exif.read_bytes()).hexdigest()
    e = Entry(media="images", relative_path="x/in.jpg", path=str(jpeg_with_exif), label="real", y=0,
              generator="camera:test", gen_key=None, source="test", source_format="JPEG", sha256=sha)
    out = tmp_path / "bench"
    first = {r["protocol"]: r for r in runner.run_entries([e], ["delivered", "laundered"], out, workers=1, progress=False)}
    copy = prepare(jpeg_with_exif, sha, "image", "laundered", out / "cache")
    assert first["laundered"]["analysed_sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert first["delivered"]["analysed_sha256"] == sha
    # unchanged copy: reused as it was
    again = {r["protocol"]: r for r in runner.run_entries([e], ["delivered", "laundered"], out, workers=1, progress=False)}
    assert again["laundered"]["analysed_sha256"] == first["laundered"]["analysed_sha256"]
    assert _sig(again["laundered"]) == _sig(first["laundered"])
    # the cached copy is replaced by different bytes: analysed again, and the record says which bytes
    Image.open(copy).convert("L").convert("RGB").save(copy, quality=40)
    new_sha = hashlib.sha256(copy.read_bytes()).hexdigest()
    third = {r["protocol"]: r for r in runner.run_entries([e], ["delivered", "laundered"], out, workers=1, progress=False)}
    assert third["laundered"]["analysed_sha256"] == new_sha != first["laundered"]["analysed_sha256"]
    assert _sig(third["laundered"]) != _sig(first["laundered"])
    assert third["delivered"]["analysed_sha256"] == sha


def test_records_of_an_older_transform_version_are_computed_again(tmp_path, jpeg_with_exif, monkeypatch):
    """A record made from a copy of an older transform version (e.g. the re-encode before it was made
    reproducible) is not reused, even when it cannot be checked by hash; records of a transform that
    did not change (version 1, written before the field existed) are."""
    import json

    from huiyan.bench import protocols

    sha = hashlib.sha256(jpeg_with_exif.read_bytes()).hexdigest()
    e = Entry(media="images", relative_path="x/in.jpg", path=str(jpeg_with_exif), label="real", y=0,
              generator="camera:test", gen_key=None, source="test", source_format="JPEG", sha256=sha)
    out = tmp_path / "bench"
    first = {r["protocol"]: r for r in runner.run_entries([e], ["delivered", "laundered"], out, workers=1, progress=False)}
    assert first["laundered"]["transform_version"] == 1
    # records as written before `transform_version` and `analysed_sha256` existed: still reused
    raw = out / "raw" / "images_laundered.jsonl"
    rec = json.loads(raw.read_text())
    del rec["transform_version"], rec["analysed_sha256"]
    raw.write_text(json.dumps(rec) + "\n")
    runner.run_entries([e], ["delivered", "laundered"], out, workers=1, progress=False)
    assert runner.LAST_STATS == {"run": 0, "cached": 2}
    # the laundered transform changes: a new copy is made and the record computed again on it
    monkeypatch.setitem(protocols.TRANSFORM_VERSIONS, "laundered", 2)
    raw.write_text(json.dumps(rec) + "\n")
    for stale in (False, True):
        third = {r["protocol"]: r for r in runner.run_entries([e], ["delivered", "laundered"], out, workers=1,
                                                              progress=False, reuse_stale=stale)}
        if not stale:
            assert runner.LAST_STATS == {"run": 1, "cached": 1}
        new_copy = protocols.copy_path(sha, "laundered", out / "cache")
        assert new_copy.name.endswith(".v2.jpg") and new_copy.exists()
        assert third["laundered"]["transform_version"] == 2
        assert third["laundered"]["analysed_sha256"] == hashlib.sha256(new_copy.read_bytes()).hexdigest()
        assert "seconds" in third["laundered"] and third["laundered"]["findings"]
        raw.write_text(json.dumps(rec) + "\n")  # the old record again, for the reuse_stale run
    assert runner.LAST_STATS == {"run": 1, "cached": 1}  # reuse_stale does not take an older transform


class _Learned:
    """A stand-in learned detector (not registered): counts how often its model runs."""

    runs = 0

    @classmethod
    def make(cls):
        from huiyan.detectors.base import Detector

        class Fake(Detector):
            method = "fingerprint.fake_learned"
            version = "1"
            family = "fingerprint"
            media_types = ("image",)
            inputs = ("pixels",)

            def not_applicable_reason(self, item):
                return "image too small" if min(item.pixels.shape[:2]) < 8 else None

            def analyze(self, item):
                cls.runs += 1
                return self.finding(0.123, zh="模型", en="model")

        return Fake()


def _learned_setup(tmp_path, monkeypatch, jpeg_with_exif, *, trained_here: bool):
    import json
    import shutil

    from huiyan.bench import evaluate

    root = tmp_path / "data"
    (root / "x").mkdir(parents=True)
    shutil.copy(jpeg_with_exif, root / "x" / "in.jpg")
    (root / "MANIFEST.csv").write_text("path,label\nx/in.jpg,real\n")
    trained = hashlib.sha256((root / "MANIFEST.csv").read_bytes()).hexdigest() if trained_here else "0" * 64
    monkeypatch.setattr(evaluate, "_trained_on", lambda name: trained if name == "fake_learned" else None)
    work = tmp_path / "work"
    (work / "models").mkdir(parents=True)
    sha = hashlib.sha256((root / "x" / "in.jpg").read_bytes()).hexdigest()
    rows = [{"path": "x/in.jpg", "sha256": sha, "protocol": "stripped", "score": 0.9}]
    (work / "models" / "fake_learned_logo.json").write_text(json.dumps({"rows": rows}))
    monkeypatch.chdir(work)
    monkeypatch.setattr(runner, "_DETECTORS", [_Learned.make()])
    monkeypatch.setattr(runner, "_PUBLISHED", {})
    _Learned.runs = 0
    return Entry(media="images", relative_path="x/in.jpg", path=str(root / "x" / "in.jpg"), label="real", y=0,
                 generator="camera:test", gen_key=None, source="test", source_format="JPEG", sha256=sha)


def test_a_learned_model_is_not_run_where_it_publishes_an_out_of_fold_score(tmp_path, monkeypatch, jpeg_with_exif):
    e = _learned_setup(tmp_path, monkeypatch, jpeg_with_exif, trained_here=True)
    recs = runner.run_entries([e], ["delivered", "stripped"], tmp_path / "bench", workers=1, progress=False)
    for r in recs:
        (f,) = r["findings"]
        assert f["applicable"] and f["score"] == 0.9 and f["details"] == {"oos_score_from": "logo", "model_run": False}
    assert _Learned.runs == 0
    # --run-learned: the cached stand-in findings are not reused, the model runs
    recs = runner.run_entries([e], ["delivered", "stripped"], tmp_path / "bench", workers=1, progress=False,
                              published=False)
    assert [f["score"] for r in recs for f in r["findings"]] == [0.123, 0.123]
    assert _Learned.runs == 1  # stripped copies the delivered finding (pixel-only method)


def test_published_scores_apply_to_every_root_of_the_data_a_model_was_trained_from(
        tmp_path, monkeypatch, jpeg_with_exif):
    """The out-of-fold rows of a model trained on images/ also cover videos/ of the same data (the
    CLIP probe's video rows): the guard is on the data evaluated, not on each root."""
    import json

    e = _learned_setup(tmp_path, monkeypatch, jpeg_with_exif, trained_here=True)
    other = tmp_path / "data2"
    (other / "y").mkdir(parents=True)
    (other / "y" / "second.jpg").write_bytes(jpeg_with_exif.read_bytes() + b"\0")  # other bytes, same pixels
    (other / "MANIFEST.csv").write_text("path,label\ny/second.jpg,real\n")
    sha2 = hashlib.sha256((other / "y" / "second.jpg").read_bytes()).hexdigest()
    logo = tmp_path / "work" / "models" / "fake_learned_logo.json"
    rows = json.loads(logo.read_text())["rows"] + [{"path": "y/second.jpg", "sha256": sha2, "protocol": "stripped",
                                                    "score": 0.7}]
    logo.write_text(json.dumps({"rows": rows}))
    e2 = Entry(**{**e.to_dict(), "relative_path": "y/second.jpg", "path": str(other / "y" / "second.jpg"),
                  "sha256": sha2})
    recs = runner.run_entries([e, e2], ["delivered"], tmp_path / "bench", workers=1, progress=False)
    assert sorted(f["score"] for r in recs for f in r["findings"]) == [0.7, 0.9] and _Learned.runs == 0
    # the second root alone is not the data the model was trained from
    monkeypatch.setattr(runner, "_PUBLISHED", {})
    (rec,) = runner.run_entries([e2], ["delivered"], tmp_path / "bench2", workers=1, progress=False)
    assert rec["findings"][0]["score"] == 0.123 and _Learned.runs == 1


def test_a_row_is_matched_by_content_not_by_name(tmp_path, monkeypatch, jpeg_with_exif):
    import json

    e = _learned_setup(tmp_path, monkeypatch, jpeg_with_exif, trained_here=True)
    logo = tmp_path / "work" / "models" / "fake_learned_logo.json"
    # a row with the file's name but other content's hash: not this file's score
    logo.write_text(json.dumps({"rows": [{"path": "x/in.jpg", "sha256": "0" * 64, "protocol": "stripped", "score": 0.9},
                                         {"path": "x/in.jpg", "protocol": "stripped", "score": 0.8}]}))  # no hash
    (rec,) = runner.run_entries([e], ["delivered"], tmp_path / "bench", workers=1, progress=False)
    assert rec["findings"][0]["score"] == 0.123 and _Learned.runs == 1


def test_write_logo_adds_each_rows_file_hash(tmp_path):
    import json

    from huiyan.bench.manifest import write_logo

    for sub, rel, sha in (("images", "a/x.png", "1" * 64), ("images", "b/x.png", "2" * 64), ("videos", "c/v.mp4", "3" * 64)):
        (tmp_path / sub).mkdir(exist_ok=True)
        m = tmp_path / sub / "MANIFEST.csv"
        m.write_text((m.read_text() if m.exists() else "relative_path,label,sha256\n") + f"{rel},real,{sha}\n")
    rows = [{"path": "a/x.png"}, {"path": "v.mp4"}, {"path": "x.png"}, {"path": "gone.png"}]
    assert write_logo(tmp_path / "out" / "l.json", {"rows": rows}, tmp_path) == 2  # x.png is ambiguous, gone.png unknown
    got = json.loads((tmp_path / "out" / "l.json").read_text())["rows"]
    assert [r.get("sha256") for r in got] == ["1" * 64, "3" * 64, None, None]


def test_on_other_data_a_file_sharing_a_name_with_a_training_file_gets_the_model_score(
        tmp_path, monkeypatch, jpeg_with_exif):
    e = _learned_setup(tmp_path, monkeypatch, jpeg_with_exif, trained_here=False)
    (rec,) = runner.run_entries([e], ["delivered"], tmp_path / "bench", workers=1, progress=False)
    assert rec["findings"][0]["score"] == 0.123 and _Learned.runs == 1


def test_a_cached_published_score_is_dropped_when_the_row_or_the_data_changes(tmp_path, monkeypatch, jpeg_with_exif):
    import json

    e = _learned_setup(tmp_path, monkeypatch, jpeg_with_exif, trained_here=True)
    out = tmp_path / "bench"
    (rec,) = runner.run_entries([e], ["delivered"], out, workers=1, progress=False)
    assert rec["findings"][0]["score"] == 0.9
    # the published row changes (the logo file was regenerated): the same cache gives the new score
    logo = tmp_path / "work" / "models" / "fake_learned_logo.json"
    logo.write_text(json.dumps({"rows": [{"path": "x/in.jpg", "sha256": e.sha256, "protocol": "stripped", "score": 0.4}]}))
    monkeypatch.setattr(runner, "_PUBLISHED", {})
    (rec,) = runner.run_entries([e], ["delivered"], out, workers=1, progress=False)
    assert rec["findings"][0]["score"] == 0.4 and _Learned.runs == 0
    # the data is no longer the data the model was trained from: the model runs, same cache
    manifest = tmp_path / "data" / "MANIFEST.csv"
    manifest.write_text(manifest.read_text() + "x/other.jpg,real\n")
    monkeypatch.setattr(runner, "_PUBLISHED", {})
    (rec,) = runner.run_entries([e], ["delivered"], out, workers=1, progress=False)
    assert rec["findings"][0]["score"] == 0.123 and _Learned.runs == 1
    assert "model_run" not in (rec["findings"][0]["details"] or {})


def test_manifest_hashes_are_those_of_each_root(tmp_path):
    import types

    from huiyan.bench.manifest import manifest_hashes

    for name, text in (("a", "path\nx/1.png\n"), ("b", "path\ny/2.png\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "MANIFEST.csv").write_text(text)
    es = [types.SimpleNamespace(path=str(tmp_path / "a" / "x" / "1.png"), relative_path="x/1.png"),
          types.SimpleNamespace(path=str(tmp_path / "b" / "y" / "2.png"), relative_path="y/2.png"),
          types.SimpleNamespace(path=str(tmp_path / "a" / "x" / "3.png"), relative_path="x/3.png")]
    want = {hashlib.sha256(t.encode()).hexdigest() for t in ("path\nx/1.png\n", "path\ny/2.png\n")}
    assert manifest_hashes(es) == want
