"""How often each kind of manipulation was caught on the development data, for the report's
limitations section: an `inconclusive` grade means something different for a text-to-video clip
(mostly caught) than for a locally edited photograph without metadata (caught at chance level).
The figures come from calibration.json (`detection_by_kind`, written by `make bench` / `make
calibrate`, out of sample)."""

from __future__ import annotations

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
    by_kind = (calib.get("detection_by_kind") or {}).get(media_type or "")
    if not by_kind:
        return None
    zh = lang == "zh"
    head = (["篡改类型", "样本数", "原样文件检出率", "最差处理后检出率", "AUC 范围"] if zh else
            ["kind of manipulation", "items", "flagged as delivered", "flagged, worst protocol", "AUC range"])
    rows = []
    for kind, per in sorted(by_kind.items()):
        if not per:
            continue
        n = max(int(d.get("n", 0)) for d in per.values())
        delivered = per.get("delivered")
        others = {p: d for p, d in per.items() if p != "delivered"}
        worst_p = min(others, key=lambda p: others[p].get("flagged", 0.0)) if others else None
        aucs = [d["auc"] for d in per.values() if d.get("auc") is not None]
        name = KIND_ZH.get(kind, kind) if zh else kind
        pname = (PROTOCOL_ZH.get(worst_p, worst_p) if zh else worst_p) if worst_p else ""
        rows.append([
            name, str(n),
            f"{100 * delivered['flagged']:.0f}%" if delivered else "-",
            f"{100 * others[worst_p]['flagged']:.0f}% ({pname})" if worst_p else "-",
            f"{min(aucs):.2f}–{max(aucs):.2f}" if aucs else "-",
        ])
    return head, rows
