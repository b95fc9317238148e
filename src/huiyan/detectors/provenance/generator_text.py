"""Generator signatures in image metadata: front-end text chunks, IPTC/XMP DigitalSourceType,
fields written by image services, and the implicit AIGC label of GB 45438-2025.

What it measures
    Generation front ends write their parameters into the file: AUTOMATIC1111/Forge a
    `parameters` PNG chunk ("Steps: .., Sampler: .., CFG scale: .., Seed: .."), ComfyUI `prompt`
    and `workflow` JSON, NovelAI `Comment`/`Software`, InvokeAI `invokeai_metadata`, Fooocus and
    SwarmUI their own keys, Midjourney a `Description` with a job id. Image services mark their
    output with the IPTC NewsCodes `DigitalSourceType` (`trainedAlgorithmicMedia`,
    `compositeWithTrainedAlgorithmicMedia`, ...) in XMP, with their name in EXIF `Software`,
    `UserComment`, `MakerNote` ("OpenAI--ImageGeneration", "Made with OpenAI Labs") or XMP
    `CreatorTool`, and, for services operating in China, with the implicit `AIGC` label required
    by GB 45438-2025 (网络安全技术 人工智能生成合成内容标识方法).

Why it separates
    A camera never writes these fields; a generator front end writes them by default. Presence is
    strong evidence of generation (category `fully_generated`) or of generative editing
    (`locally_edited` for composite source types). Absence is no evidence at all: metadata is
    removed by every upload service, so the method is not applicable when the file carries no
    text, XMP or EXIF metadata.

Reference
    IPTC Photo Metadata Standard 2023.2, DigitalSourceType vocabulary
    (https://cv.iptc.org/newscodes/digitalsourcetype/); GB 45438-2025 section 5 (implicit labels);
    the front ends' own writers (AUTOMATIC1111 `modules/images.py`, ComfyUI `nodes.py` SaveImage).

Known failure cases
    Forgeable both ways: anyone can add such a chunk to a real photo or strip it from a generated
    image, so the evidence is statistical, never `decisive`. A real photo used as the input of an
    img2img / inpainting workflow carries the same chunks as a fully generated image.
"""

from __future__ import annotations

import re

from huiyan.detectors.base import Detector, register
from huiyan.detectors.provenance._util import (
    AI_SOURCE_TYPES,
    CAPTURE_SOURCE_TYPES,
    GENERATOR_NAMES,
    digital_source_types,
    score_from_llr,
    xmp_values,
)

# (tool, metadata key, pattern the value must match)
_SIGNATURES = [
    ("AUTOMATIC1111/Forge", "parameters", re.compile(r"Steps:\s*\d+.*(Sampler|CFG scale|Seed):", re.S)),
    ("SwarmUI", "parameters", re.compile(r'"sui_image_params"\s*:')),
    ("Fooocus", "parameters", re.compile(r'"(fooocus|Fooocus)|"base_model"\s*:.*"guidance_scale"', re.S)),
    ("Fooocus", "fooocus_scheme", re.compile(r".")),
    ("ComfyUI", "prompt", re.compile(r'"class_type"\s*:')),
    ("ComfyUI", "workflow", re.compile(r'"nodes"\s*:')),
    ("InvokeAI", "invokeai_metadata", re.compile(r".")),
    ("InvokeAI", "invokeai_graph", re.compile(r".")),
    ("InvokeAI/Dream", "sd-metadata", re.compile(r".")),
    ("InvokeAI/Dream", "Dream", re.compile(r"-s\s*\d+|-S\s*\d+|sampler", re.I)),
    ("NovelAI", "Software", re.compile(r"NovelAI", re.I)),
    ("NovelAI", "Comment", re.compile(r'"(steps|sampler|n_samples)"\s*:')),
    ("Midjourney", "Description", re.compile(r"Job ID:\s*[0-9a-f-]{8,}", re.I)),
    ("Civitai/Tensor.art", "generation_data", re.compile(r".")),
]

# EXIF fields and PNG text keys where services write their name.
_NAME_FIELDS_EXIF = ("Software", "ImageDescription", "UserComment", "MakerNote", "Artist", "XPComment",
                     "XPAuthor", "Copyright", "HostComputer")
_NAME_FIELDS_TEXT = ("Software", "Description", "Comment", "comment", "Author", "Source", "Title")
_NAME_FIELDS_XMP = ("xmp:CreatorTool", "photoshop:Credit", "dc:creator", "dc:description", "tiff:Software",
                    "Iptc4xmpExt:DigitalSourceFileType", "xmpMM:History")

_AIGC_RE = re.compile(r"AIGC[\"'>:=\s{]{1,6}.{0,40}?Label[\"']?\s*[:=]\s*[\"']?([0-9])", re.S)


@register
class GeneratorTextChunks(Detector):
    method = "provenance.generator_text"
    version = "0.3"  # 0.3: no signature found carries no score
    family = "provenance"
    media_types = ("image",)
    inputs = ("metadata",)
    category = "fully_generated"
    summary = {
        "zh": "元数据中的生成器标记（前端参数文本块、XMP DigitalSourceType、服务名称、AIGC 隐式标识）",
        "en": "generator signatures in metadata (front-end parameter chunks, XMP DigitalSourceType, "
              "service names, AIGC implicit label)",
    }
    LLR_CHUNK = 4.0  # front-end parameter chunk: strong but forgeable
    LLR_SOURCE_TYPE = 4.0  # IPTC DigitalSourceType / AIGC label naming generation
    LLR_NAME = 3.0  # a service name in a free-text field

    def not_applicable_reason(self, item):
        m = item.metadata
        if not m.text and not m.xmp and not m.exif and not m.exif_raw:
            return "no text, XMP or EXIF metadata in the file (absence of a signature is not evidence)"
        return None

    def analyze(self, item):
        m = item.metadata
        text = dict(m.text)
        xmp = m.xmp or text.get("XML:com.adobe.xmp") or ""
        hits: list[dict] = []
        for tool, key, pat in _SIGNATURES:
            val = text.get(key)
            if val and pat.search(val):
                hits.append({"kind": "parameter_chunk", "tool": tool, "key": key, "excerpt": val[:300]})

        # ComfyUI's animated/still WebP writer stores the graph in EXIF Make/Model ("workflow:", "prompt:")
        for key in ("Make", "Model", "ImageDescription"):
            v = m.exif.get(key)
            if isinstance(v, str) and re.match(r"\s*(prompt|workflow):\s*\{", v):
                hits.append({"kind": "parameter_chunk", "tool": "ComfyUI", "key": f"EXIF {key}", "excerpt": v[:300]})
                text.setdefault(v.split(":", 1)[0].strip(), v.split(":", 1)[1])

        categories = set()
        dsts = digital_source_types(xmp) + [
            v for v in digital_source_types(" ".join(f'DigitalSourceType="{x}"' for x in text.values()
                                                     if "digitalsourcetype" in x.lower()))
        ]
        ai_dst = [d for d in dsts if d in AI_SOURCE_TYPES]
        for d in ai_dst:
            hits.append({"kind": "digital_source_type", "tool": "IPTC/XMP", "key": "DigitalSourceType", "excerpt": d})
            categories.add(AI_SOURCE_TYPES[d])

        blob = " ".join([xmp, *(str(v) for v in text.values()), str(m.exif.get("UserComment", "")),
                         str(m.exif.get("ImageDescription", ""))])
        aigc = _AIGC_RE.search(blob)
        if aigc and aigc.group(1) in ("1", "2"):
            hits.append({"kind": "aigc_label", "tool": "GB 45438-2025 AIGC label", "key": "AIGC",
                         "excerpt": blob[max(0, aigc.start() - 20): aigc.end() + 200]})

        names = []
        for key in _NAME_FIELDS_EXIF:
            v = m.exif.get(key)
            if isinstance(v, str) and GENERATOR_NAMES.search(v):
                names.append(("EXIF " + key, v))
        for key in _NAME_FIELDS_TEXT:
            v = text.get(key)
            if v and GENERATOR_NAMES.search(v) and not any(h["key"] == key for h in hits):
                names.append(("text " + key, v))
        for key in _NAME_FIELDS_XMP:
            for v in xmp_values(xmp, key):
                if GENERATOR_NAMES.search(v):
                    names.append(("XMP " + key, v))
        for where, v in names:
            hits.append({"kind": "service_name", "tool": GENERATOR_NAMES.search(v).group(0), "key": where,
                         "excerpt": v[:300]})

        details = {"digital_source_types": dsts, "keys": sorted(text), "signatures": hits}
        if not hits:
            claim = [d for d in dsts if d in CAPTURE_SOURCE_TYPES]
            zh = "元数据中未见生成器标记" + (f"（XMP 声明来源类型 {claim[0]}，可被伪造，不作证据）" if claim else "")
            en = "metadata present but holds no generator signature" + (
                f" (XMP declares source type {claim[0]}; forgeable, not counted)" if claim else "")
            return self.finding(None, zh=zh, en=en, details=details)  # absence is not evidence

        kinds = {h["kind"] for h in hits}
        llr = self.LLR_CHUNK if "parameter_chunk" in kinds else 0.0
        if kinds & {"digital_source_type", "aigc_label"}:
            llr = max(llr, self.LLR_SOURCE_TYPE)
        if "service_name" in kinds:
            llr = max(llr, self.LLR_NAME)
        category = "locally_edited" if categories == {"locally_edited"} else "fully_generated"
        tools = sorted({h["tool"] for h in hits})
        params = _parameters(text)
        if params:
            details["parameters"] = params
        what_zh = "生成式编辑" if category == "locally_edited" else "生成软件输出"
        what_en = "edited with a generator" if category == "locally_edited" else "written by a generation tool"
        return self.finding(
            score_from_llr(llr),
            zh=f"文件元数据含生成器标记（{'、'.join(tools)}），表明为{what_zh}；元数据可被伪造或删除，属强但非决定性证据",
            en=f"file metadata carries generator signatures ({', '.join(tools)}): {what_en}; metadata can be "
               "forged or removed, so this is strong but not decisive evidence",
            details=details,
            llr=llr,
            category=category,
        )


def _parameters(text: dict[str, str]) -> dict[str, str]:
    """Generator parameters where a front end wrote them: model, sampler, steps, seed, size."""
    out: dict[str, str] = {}
    a1111 = text.get("parameters", "")
    for key in ("Steps", "Sampler", "CFG scale", "Seed", "Size", "Model", "Model hash", "Version"):
        mm = re.search(rf"\b{re.escape(key)}:\s*([^,\n]+)", a1111)
        if mm:
            out[key] = mm.group(1).strip()
    comfy = text.get("prompt", "")
    models = re.findall(r'"(?:ckpt_name|unet_name|model_name|clip_name1?)"\s*:\s*"([^"]+)"', comfy)
    if models:
        out["models"] = ", ".join(dict.fromkeys(models))
    for key in ("seed", "noise_seed", "steps", "cfg", "sampler_name"):
        mm = re.search(rf'"{key}"\s*:\s*("?[^",}}]+)', comfy)
        if mm:
            out[key] = mm.group(1).strip('"')
    return out
