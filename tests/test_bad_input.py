"""Bad input never crashes: each case gives an item with a clear error naming the file and the
reason, exit code 2, and the other inputs are still analysed (issue 2, item 6)."""

from __future__ import annotations

import builtins
import json
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from huiyan.cli import main
from huiyan.samples import write_test_video


def run_cli(capsys, *args: str) -> tuple[int, list[dict], str]:
    rc = main(["analyze", "--json", "--no-progress", *args])
    out, err = capsys.readouterr()
    items = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert "Traceback" not in err
    return rc, items, err


@pytest.fixture
def good_jpeg(tmp_path, photo_rgb) -> Path:
    p = tmp_path / "good.jpg"
    Image.fromarray(photo_rgb).save(p, quality=92)
    return p


def check_bad(capsys, case_dir, good: Path, bad: Path, *reason_words: str) -> dict:
    rc, items, err = run_cli(capsys, "--case", str(case_dir), str(bad), str(good))
    assert rc == 2
    assert len(items) == 2
    bad_item, good_item = items
    assert bad_item["path"] == str(bad)
    assert bad_item["errors"], bad_item
    msg = bad_item["errors"][0]
    assert str(bad) in msg
    for w in reason_words:
        assert w in msg.lower(), msg
    assert bad_item["verdict"] is None
    assert good_item["errors"] == [] and good_item["verdict"] is not None
    for key in ("path", "sha256", "media_type", "score", "verdict", "category", "findings", "errors"):
        assert key in bad_item
    return bad_item


def test_zero_byte_file(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "empty.jpg"
    bad.write_bytes(b"")
    item = check_bad(capsys, case_dir, good_jpeg, bad, "empty")
    assert item["sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_truncated_jpeg(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "cut.jpg"
    data = good_jpeg.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    check_bad(capsys, case_dir, good_jpeg, bad, "truncated")


def test_truncated_png(capsys, tmp_path, case_dir, good_jpeg, photo_rgb):
    full = tmp_path / "full.png"
    Image.fromarray(photo_rgb).save(full)
    bad = tmp_path / "cut.png"
    bad.write_bytes(full.read_bytes()[:5000])
    check_bad(capsys, case_dir, good_jpeg, bad, "truncated")


def test_truncated_mp4(capsys, tmp_path, case_dir, good_jpeg):
    full = write_test_video(tmp_path / "full.mp4", seconds=1.0, fps=10, size=(64, 48))
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    check_bad(capsys, case_dir, good_jpeg, bad, "video")


def test_random_bytes_named_jpg(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "noise.jpg"
    bad.write_bytes(os.urandom(4096).replace(b"\xff\xd8", b"\x00\x00"))
    check_bad(capsys, case_dir, good_jpeg, bad, "unrecognised")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_decompression_bomb(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "bomb.png"
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))
    check_bad(capsys, case_dir, good_jpeg, bad, "decompression bomb")


def test_pdf(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "document.jpg"
    bad.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    check_bad(capsys, case_dir, good_jpeg, bad, "pdf")


def test_text_file(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "notes.png"
    bad.write_text("this is a text file, not an image\n")
    check_bad(capsys, case_dir, good_jpeg, bad, "text")


def test_unreadable_file(capsys, tmp_path, case_dir, good_jpeg, monkeypatch):
    bad = tmp_path / "secret.jpg"
    bad.write_bytes(good_jpeg.read_bytes())
    os.chmod(bad, 0)
    if os.geteuid() == 0:
        # root reads any file whatever its mode; emulate the kernel's refusal for this one path.
        real_open = builtins.open

        def guarded_open(file, *a, **kw):
            if os.fspath(file) == str(bad):
                raise PermissionError(13, "Permission denied", str(bad))
            return real_open(file, *a, **kw)

        monkeypatch.setattr(builtins, "open", guarded_open)
    try:
        check_bad(capsys, case_dir, good_jpeg, bad, "permission denied")
    finally:
        os.chmod(bad, 0o644)


def test_missing_path(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "does_not_exist.jpg"
    item = check_bad(capsys, case_dir, good_jpeg, bad, "no such file")
    assert item["sha256"] is None


def test_symlink_loop(capsys, tmp_path, case_dir, good_jpeg):
    bad = tmp_path / "loop.jpg"
    os.symlink(bad.name, bad)
    check_bad(capsys, case_dir, good_jpeg, bad, "loop")


def test_folder_with_mixed_content(capsys, tmp_path, case_dir, photo_rgb):
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(photo_rgb).save(folder / "a.jpg", quality=90)
    Image.fromarray(photo_rgb[:200, :300]).save(folder / "sub" / "b.png")
    (folder / "readme.txt").write_text("case notes\n")
    write_test_video(folder / "sub" / "clip.mp4", seconds=1.0, fps=10, size=(64, 48))
    os.symlink("self", folder / "self")  # a loop inside the folder
    rc, items, _ = run_cli(capsys, "--case", str(case_dir), str(folder))
    assert rc == 2
    by_name = {Path(i["path"]).name: i for i in items}
    assert set(by_name) == {"a.jpg", "b.png", "readme.txt", "clip.mp4", "self"}
    assert all(Path(i["path"]).is_absolute() for i in items)
    assert by_name["a.jpg"]["errors"] == [] and by_name["a.jpg"]["media_type"] == "image"
    assert by_name["b.png"]["errors"] == [] and by_name["b.png"]["media_type"] == "image"
    assert by_name["clip.mp4"]["errors"] == [] and by_name["clip.mp4"]["media_type"] == "video"
    assert "text" in by_name["readme.txt"]["errors"][0]
    assert "loop" in by_name["self"]["errors"][0]


def test_non_ascii_file_name(capsys, tmp_path, case_dir, photo_rgb):
    p = tmp_path / "检材_照片 №1.jpg"
    Image.fromarray(photo_rgb).save(p, quality=90)
    rc, items, _ = run_cli(capsys, "--case", str(case_dir), str(p))
    assert rc == 0
    assert items[0]["path"] == str(p)
    assert items[0]["errors"] == [] and items[0]["media_type"] == "image"


def test_usage_error_exit_1(capsys):
    with pytest.raises(SystemExit) as e:
        main(["analyze", "--json"])  # no PATH
    assert e.value.code == 1
    assert "required" in capsys.readouterr().err
