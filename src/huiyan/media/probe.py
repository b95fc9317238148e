"""Identify a file by its content (magic bytes), never by its extension."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MediaError(Exception):
    """A file could not be opened as media. The message names the file and the reason."""


@dataclass(frozen=True)
class Probe:
    media_type: str  # "image" or "video"
    format: str  # JPEG, PNG, GIF, WEBP, TIFF, BMP, HEIF, AVIF, MP4, MOV, MKV, WEBM, AVI


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _is_animated_gif(head: bytes, path: Path) -> bool:
    from PIL import Image

    with Image.open(path) as im:
        return getattr(im, "n_frames", 1) > 1


def _is_animated_webp(head: bytes) -> bool:
    # RIFF....WEBPVP8X with the animation flag (bit 1 of the first flags byte).
    return head[12:16] == b"VP8X" and len(head) > 20 and bool(head[20] & 0x02)


def sniff(path: Path) -> Probe:
    """Return the media type and container format of `path` from its first bytes.

    Raises MediaError for empty, unreadable or unsupported content (PDF, text, unknown).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except PermissionError as e:
        raise MediaError(f"{path}: permission denied, the file cannot be read") from e
    except IsADirectoryError as e:
        raise MediaError(f"{path}: is a directory") from e
    except OSError as e:
        raise MediaError(f"{path}: cannot be read ({e.strerror or e})") from e
    if not head:
        raise MediaError(f"{path}: empty file (0 bytes)")
    if head.startswith(b"\xff\xd8\xff"):
        return Probe("image", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Probe("image", "PNG")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        try:
            animated = _is_animated_gif(head, path)
        except Exception as e:  # truncated GIF header
            raise MediaError(f"{path}: GIF cannot be decoded ({e})") from e
        return Probe("video" if animated else "image", "GIF")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Probe("video" if _is_animated_webp(head) else "image", "WEBP")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Probe("video", "AVI")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Probe("image", "TIFF")
    if head[:2] == b"BM" and len(head) >= 26:
        return Probe("image", "BMP")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Probe("video", "WEBM" if b"webm" in head else "MKV")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        compat = {head[i : i + 4] for i in range(16, min(len(head), 40), 4)}
        if brand in _AVIF_BRANDS:
            return Probe("image", "AVIF")
        if brand in _HEIF_BRANDS or (brand in (b"mif1", b"msf1") and compat & _HEIF_BRANDS):
            return Probe("image", "HEIF")
        return Probe("video", "MOV" if brand == b"qt  " else "MP4")
    if head[4:8] in _QT_ATOMS:
        return Probe("video", "MOV")
    if head.startswith(b"%PDF"):
        raise MediaError(f"{path}: a PDF document, not an image or video")
    if _looks_like_text(head):
        raise MediaError(f"{path}: a text file, not an image or video")
    raise MediaError(f"{path}: unrecognised content (not a supported image or video format)")


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 0x20 or b in b"\t\r\n\f" for b in head)
