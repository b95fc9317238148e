"""Compression history from the JPEG quantisation tables: standard IJG tables scaled by quality
(software re-save, with the estimated quality) versus tables that no common library produces
(camera firmware), checked against the camera named in EXIF; chroma subsampling reported.

What it measures
    Every JPEG stores the quantisation tables its encoder used. The IJG reference library
    (libjpeg, libjpeg-turbo) — and with it Pillow, OpenCV, ImageMagick, GIMP and most web services
    and generator front ends — derives its tables by scaling the two tables of ITU-T T.81 Annex K
    with the quality factor (`jpeg_quality_scaling`). Camera firmware mostly uses its own tables,
    often adapted per shot. The method tests whether the file's tables are exactly the Annex K
    tables at some quality, estimates the nearest quality otherwise, and compares the result with
    the EXIF camera block.

Why it separates
    A JPEG whose EXIF names a camera but whose tables are the standard library's was re-encoded
    after capture (the camera block was carried over by the editor); a camera block plus
    firmware tables is consistent with an untouched original (modest negative LLR). Without a
    camera block the table family says how the file was last saved, which says nothing on its
    own about generation (generated JPEGs and web copies of photos are both library-saved): it is
    reported with LLR 0.

Reference
    Farid, "Digital image ballistics from JPEG quantization", Dartmouth TR2006-583 (2006);
    Kee, Johnson & Farid, IEEE TIFS 6(3), 2011, doi:10.1109/TIFS.2011.2146251; IJG libjpeg
    `jcparam.c` (jpeg_quality_scaling / jpeg_add_quant_table).

Known failure cases
    Some phones and cameras use the standard tables (a false "re-saved"); some editors
    (Photoshop) have their own non-standard tables (a false "firmware", which is why editing
    software in EXIF cancels the camera-consistent call); tables say nothing about what happened
    before the last save. Not applicable to non-JPEG files.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from huiyan.detectors.base import Detector, register
from huiyan.detectors.provenance._util import EDITING_SOFTWARE, PROCESSING_SOFTWARE, score_from_llr

# ITU-T T.81 Annex K tables K.1 (luminance) and K.2 (chrominance), natural (row-major) order,
# which is the order Pillow reports.
ANNEX_K_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
])
ANNEX_K_CHROMA = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    *([99] * 32),
])

LLR_CAMERA_TABLES = -1.0
LLR_RESAVED_CAMERA = 0.3


def ijg_table(base: np.ndarray, quality: int) -> np.ndarray:
    """The table libjpeg's `jpeg_set_quality(quality, force_baseline=TRUE)` writes."""
    q = min(100, max(1, int(quality)))
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return np.clip((base * scale + 50) // 100, 1, 255)


@lru_cache(maxsize=1)
def _ijg_bank() -> tuple[np.ndarray, np.ndarray]:
    qs = np.arange(1, 101)
    return (np.stack([ijg_table(ANNEX_K_LUMA, q) for q in qs]),
            np.stack([ijg_table(ANNEX_K_CHROMA, q) for q in qs]))


def classify_tables(tables: dict[int, list[int]]) -> dict:
    """Match JPEG quantisation tables against the IJG family.

    Returns `family` ("ijg" when every table equals an Annex K table scaled at one quality,
    "non_standard" otherwise), `quality` (the exact IJG quality, or the nearest one by mean
    absolute difference of the luminance table), and per-table distances.
    """
    luma_bank, chroma_bank = _ijg_bank()
    t0 = np.asarray(tables.get(0, []), dtype=np.int64)
    if t0.size != 64:
        return {"family": "unknown", "quality": None, "tables": len(tables)}
    d0 = np.abs(luma_bank - t0).mean(axis=1)
    # nearest quality by relative error, so that the small entries of high-quality tables count
    rel = (np.abs(luma_bank - t0) / luma_bank).mean(axis=1)
    q_luma = int(np.argmin(rel)) + 1
    exact_luma = {int(q) + 1 for q in np.flatnonzero(d0 == 0)}
    out = {"tables": len(tables), "nearest_quality": q_luma, "luma_mean_abs_diff": round(float(d0.min()), 3)}
    chroma_ok = True
    if 1 in tables and len(tables[1]) == 64:
        t1 = np.asarray(tables[1], dtype=np.int64)
        d1 = np.abs(chroma_bank - t1).mean(axis=1)
        exact_chroma = {int(q) + 1 for q in np.flatnonzero(d1 == 0)}
        out["chroma_mean_abs_diff"] = round(float(d1.min()), 3)
        common = exact_luma & exact_chroma
        chroma_ok = bool(common) or (t1 == t0).all()
        if common:
            exact_luma = common
    extra = [k for k in tables if k not in (0, 1)]
    if exact_luma and chroma_ok and not extra:
        out.update(family="ijg", quality=max(exact_luma))
    else:
        out.update(family="non_standard", quality=q_luma)
    return out


@register
class JpegQuantTables(Detector):
    method = "provenance.jpeg_qtables"
    version = "0.2"  # 0.2: uninformative findings carry no score
    family = "provenance"
    media_types = ("image",)
    inputs = ("metadata",)
    category = None
    summary = {
        "zh": "JPEG 量化表压缩历史（标准 IJG 表与质量估计、相机固件表、与 EXIF 相机的一致性、色度抽样）",
        "en": "JPEG quantisation-table compression history (standard IJG tables with quality, camera "
              "firmware tables, agreement with the EXIF camera, chroma subsampling)",
    }

    def not_applicable_reason(self, item):
        q = item.metadata.quantization
        if not q:
            return "not a JPEG (no quantisation tables)"
        return None

    def analyze(self, item):
        m = item.metadata
        cls = classify_tables(m.quantization)
        e = m.exif
        camera = " ".join(str(e.get(k) or "").strip() for k in ("Make", "Model")).strip()
        software = str(e.get("Software") or "")
        edited = bool(software and (EDITING_SOFTWARE.search(software) or PROCESSING_SOFTWARE.search(software)))
        details = {**cls, "subsampling": m.subsampling, "progressive": m.progressive, "exif_camera": camera or None,
                   "exif_software": software or None,
                   "tables_natural_order": {str(k): list(v) for k, v in m.quantization.items()}}
        fam, q = cls["family"], cls.get("quality")
        sub_zh = f"，色度抽样 {m.subsampling}" if m.subsampling else ""
        sub_en = f", chroma subsampling {m.subsampling}" if m.subsampling else ""
        if fam == "unknown":
            return self.finding(None, zh="量化表格式异常，无法判断", en="unusual quantisation tables, cannot classify",
                                details=details, llr=0.0)
        if fam == "ijg" and camera:
            return self.finding(
                score_from_llr(LLR_RESAVED_CAMERA),
                zh=f"EXIF 记录相机 {camera}，但量化表是标准库（IJG）质量 {q} 的表：文件在拍摄后被软件重新编码"
                   f"（少数相机也使用标准表）{sub_zh}",
                en=f"EXIF names the camera {camera} but the quantisation tables are the standard library's (IJG) at "
                   f"quality {q}: re-encoded by software after capture (a few cameras use the standard tables too){sub_en}",
                details=details, llr=LLR_RESAVED_CAMERA,
            )
        if fam == "ijg":
            return self.finding(
                None,  # not evidence: no statistic for calibration to map
                zh=f"量化表为标准库（IJG）质量 {q} 的表：最后一次由通用软件保存；生成图与网络转存照片皆如此，不作证据{sub_zh}",
                en=f"standard library (IJG) quantisation tables at quality {q}: last saved by common software; "
                   f"generated images and web copies of photos both look like this, so it is not evidence{sub_en}",
                details=details, llr=0.0,
            )
        if camera and not edited:
            return self.finding(
                score_from_llr(LLR_CAMERA_TABLES),
                zh=f"非标准量化表（最接近 IJG 质量 {q}），与 EXIF 相机 {camera} 的固件编码一致，支持相机原始文件；"
                   f"可被伪造，证据有限{sub_zh}",
                en=f"non-standard quantisation tables (nearest IJG quality {q}) consistent with firmware encoding by the "
                   f"EXIF camera {camera}: supports a camera original; forgeable, limited weight{sub_en}",
                details=details, llr=LLR_CAMERA_TABLES,
            )
        return self.finding(
            None,  # not evidence: no statistic for calibration to map
            zh=f"非标准量化表（最接近 IJG 质量 {q}），但无可核对的相机元数据（或记录了编辑软件），不作证据{sub_zh}",
            en=f"non-standard quantisation tables (nearest IJG quality {q}) without a camera block to check against "
               f"(or with editing software recorded): uninformative{sub_en}",
            details=details, llr=0.0,
        )
