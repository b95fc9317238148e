"""How often each kind of manipulation was caught on the development data, for the report's
limitations section: an `inconclusive` grade means something different for a text-to-video clip
(mostly caught) than for a locally edited photograph without metadata (caught at chance level).
The figures come from calibration.json (`detection_by_kind`, written by `make bench` / `make
calibrate`, out of sample)."""

from __future__ import annotations

import math
from typing import Any

KIND_ZH = {
    "fully generated": "完全生成",
    "text-to-video": "文本生成视频",
    "image-to-video": "图像生成视频",
    "local edit": "局部篡改",
    "face swap": "换脸",
    "reenactment": "表情/动作重演",
    "talking head": "音频驱动说话人像",
    "face swap (still)": "换脸（静态图像）",
    "reenactment (still)": "表情重演（静态图像）",
}
PROTOCOL_ZH = {"delivered": "原样", "stripped": "去元数据", "laundered": "去元数据+JPEG 重压缩",
               "resized": "缩小一半+JPEG", "reencoded": "H.264 重编码"}


def kind_table(calib: dict[str, Any], media_type: str | None, lang: str) -> tuple[list[str], list[list[str]]] | None:
    """(column headers, rows) of the measured detection per kind of manipulation for one media
    type, or None when the calibration file carries no such figures. Each row: kind, items,
    share reaching `likely_synthetic` or above on the file as delivered, the lowest such share
    over the other protocols (with the protocol's name), and the AUC range over the protocols."""
    all_kinds = calib.get("detection_by_kind")
    by_kind = all_kinds.get(media_type or "") if isinstance(all_kinds, dict) else None
    if not isinstance(by_kind, dict) or not by_kind:
        return None
    zh = lang == "zh"
    head = (["篡改类型", "样本数", "原样文件检出率", "最差处理后检出率", "AUC 范围"] if zh else
            ["kind of manipulation", "items", "flagged as delivered", "flagged, worst protocol", "AUC range"])
    rows = []
    for kind, per in sorted(by_kind.items()):
        # a hand-edited or partial calibration file: entries that are not dicts or lack a figure
        # are shown as "-", never raise (the report must still be written)
        per = {p: d for p, d in per.items() if isinstance(d, dict)} if isinstance(per, dict) else {}
        if not per:
            continue
        n = max((_number(d.get("n")) or 0.0) for d in per.values())
        flagged = {p: v for p, d in per.items() if (v := _number(d.get("flagged"))) is not None}
        delivered = flagged.get("delivered")
        others = {p: v for p, v in flagged.items() if p != "delivered"}
        worst_p = min(others, key=others.__getitem__) if others else None
        aucs = [v for d in per.values() if (v := _number(d.get("auc"))) is not None]
        name = KIND_ZH.get(kind, kind) if zh else kind
        pname = (PROTOCOL_ZH.get(worst_p, worst_p) if zh else worst_p) if worst_p else ""
        rows.append([
            name, str(int(n)),
            f"{100 * delivered:.0f}%" if delivered is not None else "-",
            f"{100 * others[worst_p]:.0f}% ({pname})" if worst_p else "-",
            f"{min(aucs):.2f}–{max(aucs):.2f}" if aucs else "-",
        ])
    return (head, rows) if rows else None


def _number(v: Any) -> float | None:
    """A finite number from the calibration file, else None (missing, null, NaN, text)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(v) else None
