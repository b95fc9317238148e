"""Camera metadata consistency (EXIF / XMP): device identity, capture fields, software tags,
timestamps, recorded versus actual dimensions, and the EXIF thumbnail versus the image.

What it measures
    A camera writes a coherent block at capture: make and model, exposure fields (exposure time,
    aperture, ISO, focal length), `DateTimeOriginal`, usually a MakerNote and an IFD1 thumbnail
    that is a downscaled copy of the image as captured. Later processing leaves traces in the
    same block: an editing application in `Software` / XMP `CreatorTool` / `xmpMM:History`, a
    `ModifyDate` after (or before) the capture time, XMP history events dated before the capture,
    a GPS time that no time zone reconciles with the capture time, make / model / lens naming
    different manufacturers, `ExifImageWidth/Height` that no longer match the pixels,
    and — the strongest of these — a thumbnail that no longer matches the image, because most
    editors rewrite the main image but carry the original EXIF (and its thumbnail) over.

Why it separates
    Generators write no camera block; an edited photo keeps the camera block but contradicts it.
    A complete, self-consistent camera block is modest evidence of camera origin (negative LLR,
    |LLR| <= 1), contradictions are evidence of change after capture (`locally_edited` when an
    editor or a thumbnail mismatch says so). Absence of EXIF is never evidence: not applicable.

Reference
    Kee, Johnson & Farid, "Digital image authentication from JPEG headers", IEEE TIFS 6(3), 2011,
    doi:10.1109/TIFS.2011.2146251; JEITA CP-3451 (Exif 2.32) for the fields and the IFD1
    thumbnail; Adobe XMP specification part 2 (xmpMM:History).

Known failure cases
    Everything here is forgeable (exiftool rewrites any field, a thumbnail can be regenerated), so
    the LLR stays modest and never decisive. Publishers often resize or re-save camera originals
    (dimension mismatch, Lightroom/Bridge tags): these count as processing, not manipulation, and
    carry a small LLR. Thumbnails of some cameras are letterboxed or taken before in-camera
    cropping / digital zoom; a cropped image has a mismatched thumbnail by design.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np

from huiyan.detectors.base import Detector, register
from huiyan.detectors.provenance._util import (
    EDITING_SOFTWARE,
    PROCESSING_SOFTWARE,
    score_from_llr,
    xmp_history,
    xmp_values,
)
from huiyan.media.color import luma

_CAPTURE_FIELDS = ("ExposureTime", "FNumber", "ISOSpeedRatings", "PhotographicSensitivity", "FocalLength",
                   "ExposureProgram", "MeteringMode", "Flash", "ShutterSpeedValue", "ApertureValue")
_TS_FMT = "%Y:%m:%d %H:%M:%S"

# Thumbnail agreement (Pearson correlation of luma after removing letterbox bars). Measured on
# the camera originals of ../shared/data: consistent thumbnails correlate above 0.9.
THUMB_MATCH = 0.85
THUMB_MISMATCH = 0.6

LLR_CAMERA = -1.0
LLR_EDITOR = 1.0
LLR_PROCESSING = 0.3
LLR_THUMB_MISMATCH = 1.5
LLR_THUMB_CROP = 0.5
LLR_TIME_CONFLICT = 0.7
LLR_DIMENSIONS = 0.3
LLR_CORRUPT = 0.3
LLR_CAP = 3.0


def _ts(v) -> dt.datetime | None:
    if not isinstance(v, str):
        return None
    try:
        return dt.datetime.strptime(v.strip()[:19], _TS_FMT)
    except ValueError:
        return None


def _offset(v) -> dt.timedelta | None:
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", str(v or "").strip())
    if not m:
        return None
    d = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return d if m.group(1) == "+" else -d


def _xmp_ts(v) -> dt.datetime | None:
    """An XMP date (ISO 8601, time zone dropped) as a naive datetime."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?", str(v or ""))
    if not m:
        return None
    try:
        return dt.datetime(*(int(x or 0) for x in m.groups()))
    except ValueError:
        return None


# Camera makers whose names identify a body; a model or lens naming another maker contradicts Make.
# Lens makers that build for other mounts (Sigma, Tamron, Tokina, Samyang, Zeiss, Voigtlander,
# Laowa, Viltrox) are deliberately absent.
_MAKERS = {
    "canon": ("canon",), "nikon": ("nikon", "nikkor"), "sony": ("sony", "cyber-shot", "dsc-", "ilce-"),
    "fujifilm": ("fujifilm", "finepix", "fujinon"), "olympus": ("olympus", "zuiko"),
    "panasonic": ("panasonic", "lumix"), "pentax": ("pentax", "ricoh"), "ricoh": ("ricoh", "pentax"),
    "leica": ("leica", "summicron", "summilux", "elmarit"), "apple": ("apple", "iphone", "ipad"),
    "samsung": ("samsung", "galaxy", "sm-", "gt-"), "google": ("google", "pixel"),
    "huawei": ("huawei",), "xiaomi": ("xiaomi", "redmi"), "hasselblad": ("hasselblad",),
}


def _brand_conflict(make: str | None, model: str | None, lens: str) -> str | None:
    if not make:
        return None
    mk = make.lower()
    own = next((k for k in _MAKERS if k in mk), None)
    if own is None:
        return None
    for field, text in (("Model", model or ""), ("Lens", lens)):
        t = text.lower()
        for other, words in _MAKERS.items():
            if other == own or own in words or any(w in _MAKERS[own] for w in words):
                continue
            if any(w in t for w in words[:2]):  # brand names only, not short model prefixes
                return f"Make '{make}' but {field} '{text}'"
    return None


def _gps_time(gps: dict) -> dt.datetime | None:
    ds, ts = gps.get("GPSDateStamp"), gps.get("GPSTimeStamp")
    if not isinstance(ds, str) or not isinstance(ts, list) or len(ts) != 3:
        return None
    try:
        day = dt.datetime.strptime(ds.strip()[:10], "%Y:%m:%d")
        h, m, s = (float(x or 0) for x in ts)
        return day + dt.timedelta(hours=h, minutes=m, seconds=s)
    except (ValueError, TypeError):
        return None


def exif_thumbnail(exif_raw: bytes | None) -> bytes | None:
    """The JPEG thumbnail stored in IFD1 of an EXIF block, or None."""
    if not exif_raw:
        return None
    from PIL import ExifTags, Image

    base = 6 if exif_raw.startswith(b"Exif\x00\x00") else 0
    try:
        ex = Image.Exif()
        ex.load(exif_raw)
        ifd1 = ex.get_ifd(ExifTags.IFD.IFD1)
    except Exception:
        return None
    off, n = ifd1.get(0x0201), ifd1.get(0x0202)
    if not isinstance(off, int) or not isinstance(n, int) or n <= 0:
        return None
    data = exif_raw[base + off: base + off + n]
    return data if data[:2] == b"\xff\xd8" and len(data) == n else None


def _corr(a: np.ndarray, b: np.ndarray) -> float | None:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-6 else None


def thumbnail_agreement(thumb_jpeg: bytes, pixels: np.ndarray) -> dict:
    """Compare an EXIF thumbnail with the main image downscaled to the thumbnail's grid.

    Cameras letterbox a 3:2 image into a 160x120 thumbnail with black bars; both the full
    thumbnail and the thumbnail without bars are tried and the one whose aspect ratio matches the
    image is compared (Pearson correlation of luma). When neither matches well, the image is
    searched for inside the thumbnail at smaller scales (template matching): a hit means the
    image is a crop of the captured frame.
    """
    import cv2
    from PIL import Image

    with Image.open(io.BytesIO(thumb_jpeg)) as im:
        t_full = luma(np.asarray(im.convert("RGB")))
    th, tw = t_full.shape
    r0, r1, c0, c1 = 0, th, 0, tw

    def bar(v):
        return v.mean() < 20 and v.std() < 6

    while r1 - r0 > 8 and bar(t_full[r0]):
        r0 += 1
    while r1 - r0 > 8 and bar(t_full[r1 - 1]):
        r1 -= 1
    while c1 - c0 > 8 and bar(t_full[:, c0]):
        c0 += 1
    while c1 - c0 > 8 and bar(t_full[:, c1 - 1]):
        c1 -= 1
    h, w = pixels.shape[:2]
    img_aspect = w / h
    step = max(1, min(h // (4 * th), w // (4 * tw)))
    base = luma(np.ascontiguousarray(pixels[::step, ::step]))
    out: dict = {"thumb_size": [tw, th], "image_aspect": round(img_aspect, 3), "correlation": None,
                 "aspect_mismatch": True, "crop_match": None}
    for t in (t_full, t_full[r0:r1, c0:c1]):
        ta = t.shape[1] / t.shape[0]
        if abs(np.log(ta / img_aspect)) > 0.08:
            continue
        small = cv2.resize(base, (t.shape[1], t.shape[0]), interpolation=cv2.INTER_AREA)
        c = _corr(small, t)
        out["aspect_mismatch"] = False
        if c is not None and (out["correlation"] is None or c > out["correlation"]):
            out["correlation"] = round(c, 4)
            out["thumb_aspect"] = round(ta, 3)
    if out["correlation"] is not None and out["correlation"] >= THUMB_MATCH:
        return out
    # rotated losslessly after capture (thumbnail left in the sensor orientation)?
    if abs(np.log((th / tw) / img_aspect)) <= 0.08:
        for k in (1, 3):
            t = np.rot90(t_full, k)
            small = cv2.resize(base, (t.shape[1], t.shape[0]), interpolation=cv2.INTER_AREA)
            c = _corr(small, t)
            if c is not None and c >= THUMB_MATCH:
                out["rotated_match"] = round(c, 4)
                return out
    # is the image a crop of the captured frame?
    fit = min(tw / w, th / h)
    best = -1.0
    for s in np.arange(0.95, 0.39, -0.05):
        sw, sh = int(round(w * fit * s)), int(round(h * fit * s))
        if sw < 16 or sh < 16:
            break
        tmpl = cv2.resize(base, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)
        if tmpl.std() < 1e-3:
            continue
        res = cv2.matchTemplate(t_full.astype(np.float32), tmpl, cv2.TM_CCOEFF_NORMED)
        best = max(best, float(res.max()))
    out["crop_match"] = round(best, 4) if best > -1 else None
    return out


@register
class CameraExifConsistency(Detector):
    method = "provenance.camera_exif"
    version = "0.2"  # 0.2: uninformative findings carry no score
    family = "provenance"
    media_types = ("image",)
    inputs = ("metadata", "pixels")
    category = "locally_edited"
    summary = {
        "zh": "相机元数据一致性（设备信息、拍摄参数、软件标记、时间戳、EXIF 缩略图与图像比对）",
        "en": "camera metadata consistency (device, capture fields, software tags, timestamps, EXIF "
              "thumbnail versus image)",
    }

    def not_applicable_reason(self, item):
        m = item.metadata
        if not m.exif and not m.exif_raw and not m.exif_error and not m.xmp:
            return "no EXIF or XMP metadata in the file (absence of camera metadata is not evidence)"
        return None

    def analyze(self, item):
        m = item.metadata
        e, xmp = m.exif, m.xmp or ""
        flags: list[dict] = []  # each: code, llr, zh, en

        def flag(code, llr, zh, en, **kw):
            flags.append({"code": code, "llr": llr, "zh": zh, "en": en, **kw})

        details: dict = {}
        if m.exif_error or (m.exif_raw and not e):
            flag("corrupt_exif", LLR_CORRUPT, "EXIF 数据块损坏，无法解析", "the EXIF block is corrupt and cannot be parsed",
                 error=m.exif_error)

        make = str(e.get("Make") or "").strip() or None
        model = str(e.get("Model") or "").strip() or None
        capture = [k for k in _CAPTURE_FIELDS if e.get(k) not in (None, "", [])]
        details.update(make=make, model=model, capture_fields=capture,
                       makernote="MakerNote" in e, software=e.get("Software"))

        # software and edit history ------------------------------------------------------
        agents = [str(e.get("Software") or ""), *xmp_values(xmp, "xmp:CreatorTool")]
        history = xmp_history(xmp)
        agents += [h.get("softwareAgent", "") for h in history if h.get("action") in
                   ("saved", "derived", "converted", "edited", "produced", "created")]
        editors = sorted({a for a in agents if a and EDITING_SOFTWARE.search(a)})
        processors = sorted({a for a in agents if a and PROCESSING_SOFTWARE.search(a)} - set(editors))
        if history:
            details["xmp_history"] = history[:20]
        if editors:
            flag("editing_software", LLR_EDITOR, f"元数据记录了图像编辑软件：{'、'.join(editors)}",
                 f"metadata records image-editing software: {', '.join(editors)}", software=editors)
        elif processors:
            flag("processing_software", LLR_PROCESSING, f"元数据记录了转换/处理软件：{'、'.join(processors)}（重新保存，不等于篡改）",
                 f"metadata records conversion/processing software: {', '.join(processors)} (re-saved, not "
                 "necessarily manipulated)", software=processors)

        # timestamps ---------------------------------------------------------------------
        t_orig = _ts(e.get("DateTimeOriginal"))
        t_dig = _ts(e.get("DateTimeDigitized"))
        t_mod = _ts(e.get("DateTime"))
        details["times"] = {"DateTimeOriginal": e.get("DateTimeOriginal"), "DateTimeDigitized": e.get("DateTimeDigitized"),
                            "ModifyDate": e.get("DateTime")}
        if t_orig and t_mod:
            delta = (t_mod - t_orig).total_seconds()
            details["times"]["modify_minus_original_s"] = delta
            if delta > 120:
                flag("modified_after_capture", LLR_TIME_CONFLICT / 2,
                     "修改时间晚于拍摄时间，文件在拍摄后被重新保存",
                     "ModifyDate is later than DateTimeOriginal: the file was re-saved after capture")
            elif delta < -120:
                flag("modify_before_capture", LLR_TIME_CONFLICT, "修改时间早于拍摄时间，时间戳相互矛盾",
                     "ModifyDate is earlier than DateTimeOriginal: contradictory timestamps")
        if t_orig and t_dig and abs((t_dig - t_orig).total_seconds()) > 120:
            details["times"]["digitized_minus_original_s"] = (t_dig - t_orig).total_seconds()
        gps_t = _gps_time(m.gps)
        if t_orig and gps_t:
            off = _offset(e.get("OffsetTimeOriginal") or e.get("OffsetTime"))
            diff = (t_orig - gps_t).total_seconds()
            details["times"]["local_minus_gps_s"] = diff
            bad = abs(diff - off.total_seconds()) > 900 if off is not None else abs(diff) > 14.5 * 3600
            if bad:
                flag("gps_time_conflict", LLR_TIME_CONFLICT, "GPS 时间与拍摄时间不符（超出时区范围）",
                     "GPS time and capture time disagree beyond any time-zone offset")

        # XMP history events dated before the capture ----------------------------------------
        if t_orig and history:
            early = [h for h in history if _xmp_ts(h.get("when")) and _xmp_ts(h["when"]) < t_orig - dt.timedelta(days=1)]
            if early:
                flag("history_before_capture", LLR_TIME_CONFLICT, "XMP 编辑历史中的事件早于拍摄时间，时间戳相互矛盾",
                     "XMP history records events before the capture time: contradictory timestamps")

        # device plausibility: make, model and lens name the same maker ----------------------
        conflict = _brand_conflict(make, model, str(e.get("LensModel") or e.get("LensMake") or ""))
        if conflict:
            details["brand_conflict"] = conflict
            flag("make_model_conflict", LLR_TIME_CONFLICT, f"设备信息自相矛盾：{conflict}",
                 f"the device fields contradict each other: {conflict}")

        # recorded versus actual dimensions ----------------------------------------------------
        ew, eh = e.get("ExifImageWidth"), e.get("ExifImageHeight")
        if isinstance(ew, int | float) and isinstance(eh, int | float) and ew > 0 and eh > 0:
            w, h = m.width, m.height
            same = (abs(ew - w) <= 16 and abs(eh - h) <= 16) or (abs(ew - h) <= 16 and abs(eh - w) <= 16)
            details["exif_dimensions"] = [int(ew), int(eh)]
            if not same:
                flag("dimensions_changed", LLR_DIMENSIONS,
                     f"EXIF 记录尺寸 {int(ew)}x{int(eh)} 与实际 {w}x{h} 不符，图像被缩放或裁剪",
                     f"EXIF records {int(ew)}x{int(eh)} but the image is {w}x{h}: resized or cropped after capture")

        # thumbnail ------------------------------------------------------------------------
        thumb = exif_thumbnail(m.exif_raw)
        thumb_ok = None
        if thumb is not None:
            try:
                ta = thumbnail_agreement(thumb, item.pixels)
            except Exception as ex:  # undecodable thumbnail: report, do not guess
                ta = {"error": f"thumbnail cannot be decoded: {type(ex).__name__}"}
            details["thumbnail"] = ta
            c = ta.get("correlation")
            crop = ta.get("crop_match")
            if c is not None and c >= THUMB_MATCH:
                thumb_ok = True
            elif ta.get("rotated_match"):
                thumb_ok = True
                flag("thumbnail_rotated", LLR_PROCESSING, "图像在拍摄后被旋转（缩略图未随之旋转），属处理而非篡改",
                     "the image was rotated after capture (the thumbnail was not): processing, not manipulation")
            elif crop is not None and crop >= THUMB_MATCH:
                thumb_ok = False
                flag("thumbnail_crop", LLR_THUMB_CROP, "图像是 EXIF 缩略图所示画面的一部分：拍摄后被裁剪（或相机裁剪/数码变焦模式）",
                     "the image is a part of the frame shown by the EXIF thumbnail: cropped after capture "
                     "(or an in-camera crop / digital-zoom mode)", crop_match=crop)
            elif ta.get("aspect_mismatch") or (c is not None and c < THUMB_MISMATCH):
                thumb_ok = False
                what = f"相关系数 {c:.2f}" if c is not None else "宽高比不同"
                what_en = f"correlation {c:.2f}" if c is not None else "different aspect ratio"
                flag("thumbnail_mismatch", LLR_THUMB_MISMATCH,
                     f"EXIF 缩略图与图像内容不符（{what}），图像在拍摄后被修改或替换",
                     f"the EXIF thumbnail does not match the image ({what_en}): the image was changed or replaced "
                     "after capture")

        # verdict ---------------------------------------------------------------------------
        camera_like = bool(make and model and len(capture) >= 3 and t_orig)
        details["camera_block_complete"] = camera_like
        details["flags"] = [{k: v for k, v in f.items() if k not in ("zh", "en")} for f in flags]
        pos = min(LLR_CAP, sum(f["llr"] for f in flags))
        if pos > 0:
            edited = any(f["code"] in ("editing_software", "thumbnail_mismatch") for f in flags)
            return self.finding(
                score_from_llr(pos),
                zh="；".join(f["zh"] for f in flags) + "（元数据可被伪造，属弱至中等证据）",
                en="; ".join(f["en"] for f in flags) + " (metadata can be forged: weak to moderate evidence)",
                details=details, llr=round(pos, 3), category="locally_edited" if edited else None,
            )
        if camera_like:
            tz = "，缩略图与图像一致" if thumb_ok else ""
            te = ", thumbnail matches the image" if thumb_ok else ""
            return self.finding(
                score_from_llr(LLR_CAMERA),
                zh=f"相机元数据完整且自洽（{make} {model}，含拍摄参数与拍摄时间{tz}），支持相机原始来源；元数据可被伪造，证据有限",
                en=f"complete, self-consistent camera metadata ({make} {model}, capture fields and capture time{te}) "
                   "supports camera origin; metadata can be forged, so the weight is limited",
                details=details, llr=LLR_CAMERA, category=None,
            )
        return self.finding(
            None,  # not evidence: no statistic for calibration to map
            zh="EXIF/XMP 存在但不含完整的相机信息，也无矛盾之处，不作证据",
            en="EXIF/XMP present but without a complete camera block and without contradictions: uninformative",
            details=details, llr=0.0, category=None,
        )
