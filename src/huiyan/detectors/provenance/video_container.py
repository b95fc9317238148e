"""Video container metadata: encoder and handler tags, creation times, device-specific atoms,
generator signatures, and the metadata of animated GIF/WebP previews.

What it measures
    A phone or camera writes its own container: QuickTime `com.apple.quicktime.make/model/
    software/creationdate/location.ISO6709` atoms on iPhones, `com.android.version` and
    `com.android.capture.fps` on Android, `firmware` and vendor handler names on action cameras
    (GoPro, DJI, Insta360), a `creation_time` at capture. Every later step that rewrites the file
    replaces these with its own tags: FFmpeg's `Lavf` muxer (used by generator scripts, by
    imageio and by most converters), an editing suite (Premiere, Final Cut, DaVinci Resolve,
    CapCut/剪映), a screen recorder (OBS, Bandicam), a cloud transcoder, or a generator front end
    that writes its prompt (ComfyUI's video writers, services naming themselves).

Why it separates
    Device atoms with no rewriting tag are consistent with a camera original (small negative LLR);
    a generator signature is strong evidence of generation; an editing suite is weak evidence of
    editing. An FFmpeg/Lavf or transcoder tag only says the file was re-muxed or re-encoded,
    which happens to real and generated clips alike: it is reported with LLR 0. Container format
    (MP4 versus GIF) is never used as evidence.

Reference
    Apple QuickTime File Format, "Metadata keys" (com.apple.quicktime.*); ISO/IEC 14496-12
    (ISO BMFF `mvhd` times, `hdlr` names); Gloe, Fischer & Kirchner, "Forensic analysis of video
    file formats", DFRWS EU 2014, doi:10.1016/j.diin.2014.03.009; Xiang et al., "Forensic
    analysis of video file container structures", arXiv:2002.02244 (container signatures of
    devices and editors).

Known failure cases
    Container tags are trivially rewritten (`ffmpeg -metadata`), and every upload platform
    re-encodes and strips them; the evidence is weak either way and never decisive. No metadata
    at all means not applicable.
"""

from __future__ import annotations

import re

from huiyan.detectors.base import Detector, register
from huiyan.detectors.provenance._util import GENERATOR_NAMES, score_from_llr

_DEVICE_KEYS = re.compile(r"com\.apple\.quicktime\.(make|model|software)|com\.android\.(version|capture|manufacturer|model)|"
                          r"^(make|model|firmware)$|location", re.I)
_DEVICE_HANDLERS = re.compile(r"gopro|dji|insta360|ambarella|sony|panasonic|canon|nikon|fujifilm|"
                              r"samsung|huawei|xiaomi|oppo|vivo|hmd|motorola", re.I)
_EDITORS = re.compile(r"premiere|after effects|final cut|davinci|resolve|capcut|剪映|imovie|vegas|"
                      r"shotcut|kdenlive|openshot|filmora|camtasia|avid|edius|lightworks|clipchamp|"
                      r"videoleap|inshot|kinemaster|vn video", re.I)
_RECORDERS = re.compile(r"\bobs\b|obs studio|bandicam|screen ?record|quicktime player screen|sharex|"
                        r"xbox game bar|nvidia shadowplay|geforce", re.I)
_TRANSCODERS = re.compile(r"lavf|lavc|libx26[45]|handbrake|ffmpeg|gstreamer|mencoder|transcod|xcoder|elemental|"
                          r"gif\.?ski|ezgif|imagemagick|giphy|"
                          r"media convert|aliyun|youtube|google|bilibili|tiktok|douyin", re.I)
_GEN_PARAMS = re.compile(r'"class_type"\s*:|"(prompt|workflow)"\s*:\s*\{|Steps:\s*\d+.*Sampler', re.S)

LLR_GENERATOR = 3.0
LLR_EDITOR = 0.7
LLR_RECORDER = 0.5
LLR_DEVICE = -0.5


@register
class VideoContainerMetadata(Detector):
    method = "provenance.video_container"
    version = "0.2"  # 0.2: uninformative findings carry no score
    family = "provenance"
    media_types = ("video",)
    inputs = ("stream", "metadata")
    category = None
    summary = {
        "zh": "视频容器元数据（编码器与处理器标签、设备专有原子、创建时间、生成器标记、动图元数据）",
        "en": "video container metadata (encoder and handler tags, device atoms, creation times, generator "
              "signatures, animated-image metadata)",
    }

    def _tags(self, item) -> dict[str, str]:
        v = item.video
        tags = {f"container:{k}": str(val) for k, val in v.metadata.items()}
        tags.update({f"stream:{k}": str(val) for k, val in v.stream_metadata.items()})
        if item.format in ("GIF", "WEBP"):
            m = item.metadata
            tags.update({f"exif:{k}": str(val) for k, val in m.exif.items()})
            tags.update({f"text:{k}": str(val) for k, val in m.text.items()})
            if m.xmp:
                tags["xmp"] = m.xmp
        # GIF/WebP loop and background values are decoder parameters, not provenance
        return {k: val for k, val in tags.items()
                if k not in ("container:loop", "container:background", "container:major_brand",
                             "container:minor_version", "container:compatible_brands", "stream:language")
                and val.strip()}

    def not_applicable_reason(self, item):
        if not self._tags(item):
            return "no container or stream metadata (absence of metadata is not evidence)"
        return None

    def analyze(self, item):
        v = item.video
        tags = self._tags(item)
        keys = " ".join(tags)
        values = {k: val for k, val in tags.items() if not k.endswith("creation_time")}
        flags: list[tuple[str, float, str, str]] = []
        gen = [(k, val[:200]) for k, val in values.items()
               if _GEN_PARAMS.search(val) or GENERATOR_NAMES.search(val.replace("_", " "))]
        editors = sorted({_EDITORS.search(val).group(0) for val in values.values() if _EDITORS.search(val)})
        recorders = sorted({_RECORDERS.search(val).group(0) for val in values.values() if _RECORDERS.search(val)})
        transcoders = sorted({val for k, val in values.items()
                              if _TRANSCODERS.search(val) and k.split(":")[-1] in ("encoder", "software", "description",
                                                                                      "comment", "handler_name")})
        device_keys = [k for k in tags if _DEVICE_KEYS.search(k.split(":", 1)[-1])]
        device_handlers = [val for k, val in values.items() if k.endswith("handler_name") and _DEVICE_HANDLERS.search(val)]
        created = {k: val for k, val in tags.items() if k.endswith("creation_time") or "creationdate" in k}
        details = {"tags": {k: val[:300] for k, val in tags.items()}, "generator_tags": gen, "editors": editors,
                   "recorders": recorders, "transcoders": transcoders, "device_keys": device_keys,
                   "device_handlers": device_handlers, "creation_times": created,
                   "streams": {"codec": v.codec, "audio": v.has_audio, "pix_fmt": v.pix_fmt, "fps": round(v.fps, 3)}}
        if gen:
            flags.append(("generator", LLR_GENERATOR, f"容器元数据含生成器标记（{gen[0][0]}）",
                          f"container metadata carries a generator signature ({gen[0][0]})"))
        if editors:
            flags.append(("editor", LLR_EDITOR, f"由视频编辑软件写出（{'、'.join(editors)}）",
                          f"written by video-editing software ({', '.join(editors)})"))
        if recorders:
            flags.append(("recorder", LLR_RECORDER, f"由录屏软件写出（{'、'.join(recorders)}），非相机拍摄的原始文件",
                          f"written by a screen recorder ({', '.join(recorders)}): not a camera original file"))
        if flags:
            llr = max(f[1] for f in flags)
            category = "fully_generated" if gen else ("locally_edited" if editors else None)
            return self.finding(
                score_from_llr(llr),
                zh="；".join(f[2] for f in flags) + "（容器元数据易被改写，证据有限）",
                en="; ".join(f[3] for f in flags) + " (container metadata is easily rewritten: limited weight)",
                details=details, llr=llr, category=category,
            )
        if (device_keys or device_handlers) and not transcoders:
            return self.finding(
                score_from_llr(LLR_DEVICE),
                zh=f"容器含设备专有元数据（{', '.join(device_keys or device_handlers)[:120]}）且无转码标记，与相机原始文件一致；可被伪造",
                en=f"the container holds device-specific metadata ({', '.join(device_keys or device_handlers)[:120]}) and no "
                   "re-encoding tag: consistent with a camera original; forgeable",
                details=details, llr=LLR_DEVICE,
            )
        what = ", ".join(transcoders)[:160] if transcoders else ", ".join(sorted(keys.split()))[:160]
        return self.finding(
            None,  # not evidence: no statistic for calibration to map
            zh=f"容器经过重新封装或转码（{what}）：真实与生成视频都常见，不作证据",
            en=f"the container was re-muxed or re-encoded ({what}): common to real and generated clips, not evidence",
            details=details, llr=0.0,
        )
