"""The custody log catches edited, deleted and reordered entries and changed stored originals;
concurrent runs on one case do not corrupt it (issue 2, item 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from huiyan.cli import main
from huiyan.intake import Case, sha256_file


@pytest.fixture
def filled_case(tmp_path, photo_rgb) -> Case:
    case = Case(tmp_path / "case", actor="examiner-a")
    for i in range(3):
        p = tmp_path / f"img{i}.png"
        Image.fromarray(photo_rgb[i * 10 :, :]).save(p)
        case.intake(p)
    case.record("analysis", sha256="x" * 64, verdict="inconclusive")
    return case


def _lines(case: Case) -> list[str]:
    return case.log.path.read_text().splitlines()


def _write(case: Case, lines: list[str]) -> None:
    case.log.path.write_text("".join(line + "\n" for line in lines))


def test_intact_log_verifies(filled_case, capsys):
    assert filled_case.verify() == []
    assert main(["custody", "verify", "--case", str(filled_case.root)]) == 0
    assert "intact" in capsys.readouterr().out
    entries = filled_case.log.entries()
    assert [e["seq"] for e in entries] == [0, 1, 2, 3]
    assert all(e["actor"] == "examiner-a" and e["tool"].startswith("huiyan ") for e in entries)
    assert entries[0]["prev"] == "0" * 64


def test_intake_copy_is_content_addressed_and_read_only(filled_case, tmp_path):
    e = filled_case.log.entries()[0]
    stored = filled_case.root / e["stored"]
    assert stored.name == e["sha256"]
    assert sha256_file(stored)[0] == e["sha256"] == sha256_file(tmp_path / "img0.png")[0]
    assert not (stored.stat().st_mode & 0o222)


def test_edited_entry_is_caught(filled_case, capsys):
    lines = _lines(filled_case)
    e = json.loads(lines[1])
    e["actor"] = "someone-else"
    lines[1] = json.dumps(e, ensure_ascii=False, sort_keys=True)
    _write(filled_case, lines)
    problems = filled_case.verify()
    assert problems and problems[0].seq == 2
    assert main(["custody", "verify", "--case", str(filled_case.root)]) == 3
    assert "first broken entry: 2" in capsys.readouterr().out


def test_edited_last_entry_is_caught(filled_case):
    lines = _lines(filled_case)
    e = json.loads(lines[-1])
    e["verdict"] = "authentic"
    lines[-1] = json.dumps(e, sort_keys=True)
    _write(filled_case, lines)
    assert filled_case.verify()


def test_deleted_entry_is_caught(filled_case):
    lines = _lines(filled_case)
    del lines[1]
    _write(filled_case, lines)
    problems = filled_case.verify()
    assert problems and problems[0].seq == 2


def test_deleted_last_entry_is_caught(filled_case):
    _write(filled_case, _lines(filled_case)[:-1])
    assert filled_case.verify()


def test_reordered_entries_are_caught(filled_case):
    lines = _lines(filled_case)
    lines[1], lines[2] = lines[2], lines[1]
    _write(filled_case, lines)
    problems = filled_case.verify()
    assert problems and problems[0].seq in (1, 2)


def test_changed_stored_original_is_caught(filled_case, capsys):
    e = filled_case.log.entries()[0]
    stored = filled_case.root / e["stored"]
    os.chmod(stored, 0o644)
    data = bytearray(stored.read_bytes())
    data[-100] ^= 0xFF
    stored.write_bytes(bytes(data))
    problems = filled_case.verify()
    assert any("no longer matches" in p.message for p in problems)
    assert main(["custody", "verify", "--case", str(filled_case.root)]) == 3


def test_deleted_stored_original_is_caught(filled_case):
    e = filled_case.log.entries()[0]
    (filled_case.root / e["stored"]).unlink()
    assert any("missing" in p.message for p in filled_case.verify())


def test_same_bytes_stored_once(tmp_path, photo_rgb):
    case = Case(tmp_path / "case")
    p = tmp_path / "a.png"
    Image.fromarray(photo_rgb).save(p)
    first, second = case.intake(p), case.intake(p)
    assert first.new and not second.new and first.stored == second.stored
    assert len(list((case.root / "evidence").rglob("*"))) == 2  # one folder, one file


def test_concurrent_analyze_runs_keep_log_intact(tmp_path, photo_rgb):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(photo_rgb[i * 5 :, i * 5 :]).save(folder / f"{i}.png")
    case = tmp_path / "case"
    cmd = [sys.executable, "-m", "huiyan", "analyze", "--json", "--no-progress", "--case", str(case), str(folder)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        assert len(out.decode().splitlines()) == 6
    c = Case(case)
    assert c.verify() == []
    entries = c.log.entries()
    assert len(entries) == 3 * 6 * 2  # intake + analysis per file per run
    assert len([p for p in (case / "evidence").rglob("*") if p.is_file()]) == 6


def test_evidence_without_its_log_is_not_intact(filled_case, capsys):
    """Deleting the log and its head must not leave a store that verifies as intact."""
    filled_case.log.path.unlink()
    filled_case.log.head_path.unlink()
    problems = filled_case.verify()
    assert problems and all("not recorded in the custody log" in p.message for p in problems)
    assert main(["custody", "verify", "--case", str(filled_case.root)]) == 3


def test_custody_commands_on_a_missing_or_unusable_case(tmp_path, capsys):
    missing = tmp_path / "no-such-case"
    assert main(["custody", "verify", "--case", str(missing)]) == 1
    assert main(["custody", "show", "--case", str(missing)]) == 1
    assert not missing.exists()  # verifying never creates a case
    assert "no case at" in capsys.readouterr().err
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert main(["analyze", "--case", str(not_a_dir), str(not_a_dir)]) == 1
    assert "cannot be used" in capsys.readouterr().err


def test_show_on_a_corrupt_log_is_an_error_not_a_traceback(filled_case, capsys):
    with open(filled_case.log.path, "a") as fh:
        fh.write("{not json\n")
    assert main(["custody", "show", "--case", str(filled_case.root)]) == 3
    assert "corrupt" in capsys.readouterr().err
    assert main(["custody", "verify", "--case", str(filled_case.root)]) == 3
