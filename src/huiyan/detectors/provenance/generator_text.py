"""Generator signatures in image text chunks (PNG tEXt/iTXt, EXIF UserComment, XMP).

Front ends of image generators write their parameters into the file: AUTOMATIC1111 and Forge a
`parameters` chunk ("Steps: .., Sampler: .., CFG scale: .., Seed: .."), ComfyUI `prompt` and
`workflow` JSON, NovelAI `Comment`/`Software`, InvokeAI `invokeai_metadata`. Their presence is
strong evidence of generation; their absence is no evidence at all (metadata is easily removed),
so the method is not applicable when no text metadata is present. A forger could add such a chunk
to a real photo, so the evidence is statistical, not cryptographic (never `decisive`).
"""

from __future__ import annotations

import re

from huiyan.detectors.base import Detector, register

_SIGNATURES = [
    ("AUTOMATIC1111/Forge", "parameters", re.compile(r"Steps:\s*\d+.*(Sampler|CFG scale|Seed):", re.S)),
    ("ComfyUI", "prompt", re.compile(r'"class_type"\s*:')),
    ("ComfyUI", "workflow", re.compile(r'"nodes"\s*:')),
    ("InvokeAI", "invokeai_metadata", re.compile(r".")),
    ("InvokeAI", "sd-metadata", re.compile(r".")),
    ("NovelAI", "Software", re.compile(r"NovelAI", re.I)),
    ("NovelAI", "Comment", re.compile(r'"(steps|sampler|n_samples)"\s*:')),
]


@register
class GeneratorTextChunks(Detector):
    method = "provenance.generator_text"
    version = "0.1"
    family = "provenance"
    media_types = ("image",)
    inputs = ("metadata",)
    category = "fully_generated"
    summary = {
        "zh": "图像文本块中的生成器参数（AUTOMATIC1111、ComfyUI、NovelAI、InvokeAI）",
        "en": "generator parameters in image text chunks (AUTOMATIC1111, ComfyUI, NovelAI, InvokeAI)",
    }
    LLR = 4.0  # strong but forgeable evidence

    def not_applicable_reason(self, item):
        if not item.metadata.text:
            return "no text metadata in the file (absence of a signature is not evidence)"
        return None

    def analyze(self, item):
        text = item.metadata.text
        hits = []
        for tool, key, pat in _SIGNATURES:
            val = text.get(key)
            if val and pat.search(val):
                hits.append({"tool": tool, "key": key, "excerpt": val[:300]})
        if not hits:
            return self.finding(
                0.0,
                zh="文本元数据中未见生成器参数",
                en="text metadata present but holds no generator parameters",
                details={"keys": sorted(text)},
            )
        tools = sorted({h["tool"] for h in hits})
        f = self.finding(
            1.0,
            zh=f"文件含生成器参数文本块（{'、'.join(tools)}），表明由生成软件输出",
            en=f"file carries generator parameter chunks ({', '.join(tools)}): written by a generation front end",
            details={"signatures": hits},
        )
        f.llr = self.LLR
        return f
