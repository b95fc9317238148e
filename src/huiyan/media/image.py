"""Image decoding with Pillow (and pillow-heif for HEIF/AVIF).

Exposes RGB pixels as a numpy array and the metadata an examiner needs: EXIF (as a tag-name
dictionary, with the raw block kept), XMP, ICC, PNG text chunks, JPEG quantisation tables and
chroma subsampling. Decompression bombs are refused before any pixel is decoded.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from huiyan.media.probe import MediaError

MAX_PIXELS = 250_000_000  # above this the image is refused as a decompression bomb

_heif_registered = False


def _pil():
    global _heif_registered
    from PIL import Image

    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # pragma: no cover - declared dependency
            pass
        _heif_registered = True
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


@dataclass
class ImageMetadata:
    """Everything Pillow reads from an image container, kept as plain Python values."""

    format: str
    width: int
    height: int
    mode: str
    exif: dict[str, Any] = field(default_factory=dict)
    exif_raw: bytes | None = None
    exif_error: str | None = None
    gps: dict[str, Any] = field(default_factory=dict)
    xmp: str | None = None
    icc: bytes | None = None
    text: dict[str, str] = field(default_factory=dict)  # PNG tEXt/iTXt/zTXt and similar
    quantization: dict[int, list[int]] | None = None  # JPEG tables, natural order of Pillow
    subsampling: str | None = None  # "4:4:4", "4:2:2", "4:2:0"
    progressive: bool = False
    n_frames: int = 1
    info_keys: list[str] = field(default_factory=list)
    read_warnings: list[str] = field(default_factory=list)  # parts of the container that could not be read


_SUBSAMPLING = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}


def _exif_dict(im, warnings_out: list[str]) -> tuple[dict[str, Any], dict[str, Any], bytes | None, str | None]:
    """(tags, GPS tags, raw block, error). A sub-IFD (Exif, Interop, GPS) that cannot be read is
    skipped and named in `warnings_out`, so the loss is recorded rather than silent."""
    from PIL import ExifTags

    raw = im.info.get("exif")
    tags: dict[str, Any] = {}
    gps: dict[str, Any] = {}
    try:
        exif = im.getexif()
        ifds = [exif]
        for ifd_id in (ExifTags.IFD.Exif, ExifTags.IFD.Interop):
            try:
                ifds.append(exif.get_ifd(ifd_id))
            except Exception as e:
                warnings_out.append(f"EXIF {ifd_id.name} IFD cannot be read ({type(e).__name__}: {e})")
        for ifd in ifds:
            for k, v in ifd.items():
                name = ExifTags.TAGS.get(k, f"Tag0x{k:04X}")
                tags[name] = _plain(v)
        try:
            for k, v in exif.get_ifd(ExifTags.IFD.GPSInfo).items():
                gps[ExifTags.GPSTAGS.get(k, f"Tag0x{k:04X}")] = _plain(v)
        except Exception as e:
            warnings_out.append(f"EXIF GPSInfo IFD cannot be read ({type(e).__name__}: {e})")
        return tags, gps, raw, None
    except Exception as e:  # corrupt EXIF block: keep the pixels, report the defect
        return tags, gps, raw, f"EXIF block cannot be parsed: {e}"


def _plain(v: Any) -> Any:
    """Turn Pillow's EXIF values (IFDRational, bytes, tuples) into JSON-friendly values."""
    if isinstance(v, bytes):
        s = v.rstrip(b"\x00")
        if len(s) <= 256:
            try:
                return s.decode("utf-8")
            except UnicodeDecodeError:
                return s.hex()
        return f"<{len(v)} bytes>"
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, str):
        return v.replace("\x00", "").strip()
    if hasattr(v, "numerator") and hasattr(v, "denominator"):
        try:
            return float(v)
        except (ZeroDivisionError, ValueError):
            return None
    if isinstance(v, int | float):
        return v
    return str(v)


def _open(path: Path):
    Image = _pil()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError as e:
        raise MediaError(f"{path}: refused as a decompression bomb ({e})") from e
    except Image.DecompressionBombWarning as e:
        raise MediaError(f"{path}: refused as a decompression bomb ({e})") from e
    except Exception as e:
        raise MediaError(f"{path}: image cannot be opened ({e})") from e
    w, h = im.size
    if w * h > MAX_PIXELS or w <= 0 or h <= 0:
        im.close()
        raise MediaError(
            f"{path}: refused as a decompression bomb ({w} x {h} pixels declared, limit {MAX_PIXELS})"
        )
    return im


def read_metadata(path: Path) -> ImageMetadata:
    """Read container metadata without decoding pixels (PNG text after the pixels is read too)."""
    try:
        return _read_metadata(path)
    except MediaError:
        raise
    except Exception as e:
        raise MediaError(f"{path}: image data is truncated or corrupt ({e})") from e


def _read_metadata(path: Path) -> ImageMetadata:
    with _open(path) as im:
        warns: list[str] = []
        with warnings.catch_warnings(record=True) as caught:  # Pillow warns (not raises) on bad IFD offsets
            warnings.simplefilter("always")
            tags, gps, raw, err = _exif_dict(im, warns)
        warns += sorted({f"EXIF: {w.message}" for w in caught})
        text: dict[str, str] = {}
        for k, v in (getattr(im, "text", None) or {}).items():
            text[str(k)] = str(v)
        for k, v in im.info.items():
            if k in ("parameters", "prompt", "workflow", "Comment", "comment", "Software", "Description"):
                if isinstance(v, bytes):
                    v = v.decode("utf-8", "replace")
                text.setdefault(str(k), str(v))
        xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
        if isinstance(xmp, bytes):
            xmp = xmp.decode("utf-8", "replace")
        q = None
        sub = None
        if im.format in ("JPEG", "MPO"):  # MPO: multi-picture JPEG (Pillow subclass)
            q = {int(k): list(v) for k, v in getattr(im, "quantization", {}).items()}
            try:
                from PIL import JpegImagePlugin

                sub = _SUBSAMPLING.get(JpegImagePlugin.get_sampling(im))
            except Exception as e:
                sub = None
                warns.append(f"JPEG chroma subsampling cannot be read ({type(e).__name__}: {e})")
        return ImageMetadata(
            format=im.format or "",
            width=im.size[0],
            height=im.size[1],
            mode=im.mode,
            exif=tags,
            exif_raw=raw,
            exif_error=err,
            gps=gps,
            xmp=xmp,
            icc=im.info.get("icc_profile"),
            text=text,
            quantization=q,
            subsampling=sub,
            progressive=bool(im.info.get("progressive") or im.info.get("progression")),
            n_frames=getattr(im, "n_frames", 1),
            info_keys=sorted(str(k) for k in im.info),
            read_warnings=warns,
        )


def decode_rgb(path: Path) -> np.ndarray:
    """Decode the (first frame of the) image to an H x W x 3 uint8 RGB array.

    Truncated files raise MediaError; EXIF orientation is not applied (forensic traces live in
    the stored pixel grid).
    """
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with _open(path) as im:
        try:
            im.load()
            if im.mode not in ("RGB",):
                if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                    im = im.convert("RGBA").convert("RGB")
                else:
                    im = im.convert("RGB")
            arr = np.asarray(im, dtype=np.uint8)
        except MediaError:
            raise
        except Exception as e:
            raise MediaError(f"{path}: image data is truncated or corrupt ({e})") from e
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise MediaError(f"{path}: unexpected pixel layout {arr.shape}")
    return arr
