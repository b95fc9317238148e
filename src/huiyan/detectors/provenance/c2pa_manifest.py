"""C2PA (Content Credentials) manifests: read and validate with c2pa-python, report the claim
generator, signer, actions and digital source type, and keep "signature valid" apart from
"signer trusted".

What it measures
    A C2PA manifest is a signed statement, embedded in the file (JUMBF), of how the content was
    made: the claim generator (the application), the actions (`c2pa.created`, `c2pa.edited`,
    `c2pa.placed`, ...), their IPTC `digitalSourceType` (`trainedAlgorithmicMedia` for generator
    output, `compositeWithTrainedAlgorithmicMedia` for generative fill, `digitalCapture` for a
    camera), the ingredients, and a hard binding (data hash) over the content bytes. The SDK
    verifies the claim signature, the assertion hashes and the content binding; separately it
    checks the signing certificate against the trust anchors configured in
    `huiyan/data/c2pa_trust/` (see its README: none are shipped).

Why it separates
    A manifest that validates, whose signer is on the configured trust list and whose actions say
    a generator made or changed the content is cryptographically verified, self-declared
    generation: `decisive`. The same claim from a signer that is *not* on the trust list is strong
    but not decisive evidence (stated LLR +4, calibrated by the harness, fused with the rest):
    anyone can make a certificate and sign a claim of AI generation over a genuine photograph to
    discredit it (the "liar's dividend"), so an unverified identity must not override the pixels.
    The project ships no trust anchors, so out of the box every AI claim is of this kind.
    A manifest whose signature verifies but whose content hash no longer matches means the bytes
    were changed after signing: evidence of editing (`locally_edited`). A manifest whose claim
    signature fails, or whose C2PA data cannot be parsed, is reported but not counted (not
    applicable): nothing in it can be relied on, and the failure speaks of the manifest, not of the
    pixels, so it is treated like an absent manifest (docs/DECISIONS.md). A valid capture claim
    (camera manifests such as Nikon, Leica, Truepic) is modest evidence of camera origin, stronger
    when the signer is on the configured trust list. Absence of a manifest is never evidence.

Reference
    C2PA Technical Specification 2.1 (https://c2pa.org/specifications/), sections 14-15
    (validation, status codes); IPTC NewsCodes digitalsourcetype; c2pa-python 0.38 (c2pa-rs 0.91).

Known failure cases
    Any re-save by a tool without C2PA support removes the manifest (then: not applicable). A
    metadata-only rewrite (e.g. exiftool) also breaks the data hash although the pixels are
    unchanged, so a hash mismatch is moderate, not decisive, evidence of editing. An untrusted
    signer with a capture claim proves nothing about the device; an expired credential does not
    invalidate the signature when a trusted timestamp is present. Remote (cloud) manifests are
    not fetched: the tool works offline.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from functools import lru_cache
from pathlib import Path

from huiyan.detectors.base import Detector, register
from huiyan.detectors.provenance._util import AI_SOURCE_TYPES, CAPTURE_SOURCE_TYPES, GENERATOR_NAMES

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff",
         "HEIF": "image/heic", "AVIF": "image/avif", "GIF": "image/gif", "MP4": "video/mp4",
         "MOV": "video/quicktime", "AVI": "video/avi", "WEBM": "video/webm"}
_CONTENT_BINDING = ("assertion.dataHash.mismatch", "assertion.bmffHash.mismatch", "assertion.boxesHash.mismatch",
                    "assertion.collectionHash.mismatch")
_SIGNATURE_FAIL = ("claimSignature.mismatch", "claimSignature.missing", "claimSignature.outsideValidity",
                   "assertion.hashedURI.mismatch", "assertion.missing", "assertion.cbor.invalid",
                   "signingCredential.invalid", "signingCredential.revoked", "claim.malformed")
_EDIT_ACTIONS = {"c2pa.edited", "c2pa.placed", "c2pa.removed", "c2pa.drawing", "c2pa.filtered", "c2pa.deleted"}
_PROCESSING_ACTIONS = {"c2pa.color_adjustments", "c2pa.cropped", "c2pa.resized", "c2pa.orientation",
                       "c2pa.converted", "c2pa.transcoded", "c2pa.repackaged", "c2pa.published", "c2pa.opened",
                       "c2pa.edited.metadata", "c2pa.watermarked"}

LLR_HASH_MISMATCH = 2.0
LLR_HASH_MISMATCH_AI = 4.0
LLR_AI_CLAIM_UNTRUSTED = 4.0  # valid signature, unknown signer: strong, never decisive
LLR_LAYOUT_CHANGED = 1.0
LLR_EDIT_CLAIM = 2.0
LLR_PROCESSING_CLAIM = 0.3
LLR_CAPTURE = -1.0
LLR_CAPTURE_TRUSTED = -2.0

TRUST_DIR = Path(__file__).resolve().parents[2] / "data" / "c2pa_trust"


def _pem_files(p: Path) -> list[Path]:
    if p.is_dir():
        return sorted(list(p.glob("*.pem")) + list(p.glob("*.crt")))
    return [p] if p.is_file() else []


def trust_anchors(extra: str | os.PathLike | None = None) -> str:
    """PEM text of the configured trust anchors: the package folder, $HUIYAN_C2PA_TRUST_ANCHORS
    and an explicit path (item option `c2pa_trust_anchors`), combined."""
    paths = _pem_files(TRUST_DIR)
    for src in (os.environ.get("HUIYAN_C2PA_TRUST_ANCHORS"), extra):
        if src:
            paths += _pem_files(Path(src))
    pems = []
    for p in paths:
        text = p.read_text(errors="replace")
        if "BEGIN CERTIFICATE" in text:
            pems.append(text.strip())
    return "\n".join(pems)


@lru_cache(maxsize=4)
def _context(anchors: str):
    import c2pa

    if not anchors:
        return None
    return c2pa.Context(c2pa.Settings.from_dict({"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors}}))


def _short_dst(v: str | None) -> str | None:
    return v.rstrip("/").rsplit("/", 1)[-1] if v else None


def _actions(manifest: dict) -> list[dict]:
    out = []
    for a in manifest.get("assertions", []):
        if str(a.get("label", "")).startswith("c2pa.actions"):
            for act in (a.get("data") or {}).get("actions", []):
                agent = act.get("softwareAgent")
                if isinstance(agent, dict):
                    agent = agent.get("name")
                out.append({"action": act.get("action"), "digitalSourceType": _short_dst(act.get("digitalSourceType")),
                            "softwareAgent": agent})
    return out


def _generator_names(manifest: dict) -> list[str]:
    names = [str(manifest.get("claim_generator") or "")]
    for info in manifest.get("claim_generator_info") or []:
        if isinstance(info, dict):
            names.append(str(info.get("name") or ""))
    return [n for n in names if n and GENERATOR_NAMES.search(n.replace("_", " "))]


def read_manifest(raw: bytes | None, fmt: str, anchors: str, path: Path | None = None) -> dict:
    """Validate the embedded manifest store; returns a plain summary (raises c2pa.C2paError).

    Images are read from their bytes; videos are streamed by the SDK from `path` (their bytes are
    not loaded into memory)."""
    import c2pa

    ctx = _context(anchors)
    mime = _MIME.get(fmt, "application/octet-stream")
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open(path, "rb")) if raw is None else io.BytesIO(raw)
        r = stack.enter_context(c2pa.Reader(mime, stream, context=ctx))
        store = json.loads(r.json())
        state = r.get_validation_state()
        try:
            results = r.get_validation_results() or {}
        except Exception:  # older SDKs
            results = {}
    active = store.get("manifests", {}).get(store.get("active_manifest"), {})
    am = results.get("activeManifest") or {}
    fail_items = am.get("failure") or [s for s in store.get("validation_status", []) if s.get("code")]
    failures = [s.get("code") for s in fail_items]
    explanations = {s.get("code"): s.get("explanation") for s in fail_items}
    successes = [s.get("code") for s in am.get("success", [])]
    ingredient_failures = []
    for delta in results.get("ingredientDeltas", []) or []:
        for s in (delta.get("validationDeltas") or {}).get("failure", []):
            ingredient_failures.append(s.get("code"))
    acts = _actions(active)
    # generative ingredients (e.g. a Firefly image placed into a photo)
    ingredient_ai = []
    for ing in active.get("ingredients", []):
        ref = store.get("manifests", {}).get(ing.get("active_manifest") or "", {})
        for a in _actions(ref):
            if a["digitalSourceType"] in AI_SOURCE_TYPES:
                ingredient_ai.append({"ingredient": ing.get("title"), **a})
        if _generator_names(ref):
            ingredient_ai.append({"ingredient": ing.get("title"), "claim_generator": ref.get("claim_generator")})
    labels = [a.get("label") for a in active.get("assertions", [])]
    sig = active.get("signature_info") or {}
    return {
        "validation_state": state,
        "failures": failures,
        "failure_explanations": explanations,
        "successes": successes,
        "ingredient_failures": ingredient_failures,
        "claim_generator": active.get("claim_generator") or ", ".join(
            str(i.get("name")) for i in active.get("claim_generator_info") or [] if isinstance(i, dict)),
        "generator_names": _generator_names(active),
        "signer": {"issuer": sig.get("issuer"), "common_name": sig.get("common_name"), "time": sig.get("time"),
                   "alg": sig.get("alg")},
        "actions": acts,
        "assertions": labels,
        "ingredients": [{"title": i.get("title"), "relationship": i.get("relationship")}
                        for i in active.get("ingredients", [])],
        "ingredient_ai": ingredient_ai,
        "manifests": len(store.get("manifests", {})),
    }


@register
class C2paManifest(Detector):
    method = "provenance.c2pa_manifest"
    version = "0.3"
    family = "provenance"
    media_types = ("image", "video")
    inputs = ("bytes",)
    category = "fully_generated"
    summary = {
        "zh": "C2PA 内容凭证：签名验证、签名者信任、声明的生成器、操作与来源类型",
        "en": "C2PA Content Credentials: signature validation, signer trust, claimed generator, actions and "
              "digital source type",
    }

    def not_applicable_reason(self, item):
        if item.format not in _MIME:
            return f"C2PA reading is not supported for {item.format}"
        if item.media_type == "video":
            return None  # streamed by the SDK in analyze(); a long clip is not read into memory
        raw = item.raw_bytes
        if b"c2pa" not in raw and b"C2PA" not in raw:
            return "no C2PA manifest in the file (absence of Content Credentials is not evidence)"
        return None

    def analyze(self, item):
        import c2pa

        anchors = trust_anchors(item.options.get("c2pa_trust_anchors"))
        try:
            if item.media_type == "video":
                s = read_manifest(None, item.format, anchors, path=item.path)
            else:
                s = read_manifest(item.raw_bytes, item.format, anchors)
        except c2pa.C2paError as e:
            msg = str(e)
            if "ManifestNotFound" in msg or "not found" in msg.lower():
                return self.not_applicable("no C2PA manifest in the file (absence of Content Credentials is not evidence)")
            if "unsupported" in msg.lower() or "notsupported" in msg.lower():
                return self.not_applicable(f"the C2PA SDK does not read {item.format} files ({msg[:120]})")
            return self.not_applicable(
                f"the file holds C2PA data that cannot be parsed ({msg[:120]}): damaged or altered; an unverifiable "
                "manifest is treated like an absent one (not evidence)",
                zh=f"不适用：文件含 C2PA 数据但无法解析（{msg[:120]}），可能已损坏或被改动；无法验证的清单按无清单处理（不作为证据）",
                error=msg[:500],
            )
        s["trust_list_configured"] = bool(anchors)
        fails = s["failures"]
        signature_valid = not any(f in _SIGNATURE_FAIL for f in fails)
        content_intact = not any(f in _CONTENT_BINDING for f in fails)
        trusted = s["validation_state"] == "Trusted" or "signingCredential.trusted" in s["successes"]
        s.update(signature_valid=signature_valid, content_intact=content_intact, signer_trusted=trusted,
                 credential_expired="signingCredential.expired" in fails)
        ai_acts = [a for a in s["actions"] if a["digitalSourceType"] in AI_SOURCE_TYPES]
        ai_claim = bool(ai_acts or s["generator_names"] or "com.adobe.generative-ai" in s["assertions"]
                        or s["ingredient_ai"])
        if ai_acts:
            kinds = {AI_SOURCE_TYPES[a["digitalSourceType"]] for a in ai_acts}
            created = any(a["action"] == "c2pa.created" and AI_SOURCE_TYPES[a["digitalSourceType"]] == "fully_generated"
                          for a in ai_acts)
            category = "fully_generated" if created or kinds == {"fully_generated"} and not any(
                a["action"] in _EDIT_ACTIONS for a in ai_acts) else "locally_edited"
        elif s["ingredient_ai"] and not s["generator_names"]:
            category = "locally_edited"
        else:
            category = "fully_generated"
        action_names = {a["action"] for a in s["actions"]}
        capture = any(a["digitalSourceType"] in CAPTURE_SOURCE_TYPES for a in s["actions"]) or (
            "stds.exif" in s["assertions"] and not action_names & _EDIT_ACTIONS and not ai_claim)

        signer = s["signer"].get("issuer") or s["signer"].get("common_name") or "?"
        trust_zh = "签名者在信任列表中" if trusted else (
            "签名者不在所配置的信任列表中" if anchors else "未配置信任列表，签名者未经信任核验")
        trust_en = "signer is on the trust list" if trusted else (
            "signer is not on the configured trust list" if anchors else "no trust list configured: signer not vouched for")
        gen = s["claim_generator"] or "?"
        what = ", ".join(sorted({f"{a['action']}" + (f" ({a['digitalSourceType']})" if a["digitalSourceType"] else "")
                                 for a in s["actions"]})) or "no actions"
        head_zh = f"C2PA 清单（生成程序 {gen}，签名者 {signer}；{trust_zh}）"
        head_en = f"C2PA manifest (claim generator {gen}, signer {signer}; {trust_en})"
        details = s

        if not signature_valid:
            codes = ", ".join(f for f in fails if f in _SIGNATURE_FAIL)
            return self.not_applicable(
                f"{head_en}: signature does not verify ({codes}); the manifest was altered, damaged or forged and "
                "nothing in it can be relied on; an unverifiable manifest is treated like an absent one (not evidence)",
                zh=f"不适用：{head_zh}：签名验证失败（{codes}），清单被改动、损坏或伪造，其内容均不可采信；"
                   "无法验证的清单按无清单处理（不作为证据）",
                **details,
            )
        layout_only = not content_intact and all(
            "exclusion" in str(s["failure_explanations"].get(f) or "") for f in fails if f in _CONTENT_BINDING)
        if layout_only and not ai_claim:
            return self.finding(
                0.73,
                zh=f"{head_zh}：签名有效，但哈希排除区与清单在文件中的位置不符：文件字节布局在签名后被改变"
                   "（如元数据被重写），像素未必改变",
                en=f"{head_en}: signature valid but the hash exclusion range no longer matches the manifest's position: "
                   "the byte layout changed after signing (e.g. metadata rewritten); the pixels may be unchanged",
                details=details, llr=LLR_LAYOUT_CHANGED, category=None,
            )
        if not content_intact:
            llr = LLR_HASH_MISMATCH_AI if ai_claim else LLR_HASH_MISMATCH
            ai_zh = "；签名的清单声明了生成式 AI 来源" if ai_claim else ""
            ai_en = "; the signed manifest declares generative-AI origin" if ai_claim else ""
            return self.finding(
                0.9 if not ai_claim else 0.98,
                zh=f"{head_zh}：签名有效，但内容哈希与当前文件不符，文件在签名后被修改{ai_zh}",
                en=f"{head_en}: signature valid but the content hash no longer matches the file: it was changed after "
                   f"signing{ai_en}",
                details=details, llr=llr, category="locally_edited",
            )
        if ai_claim:
            src = ", ".join(sorted({a["digitalSourceType"] for a in ai_acts})) or ", ".join(s["generator_names"]) or \
                "generative-AI ingredient"
            if trusted:
                return self.finding(
                    1.0,
                    zh=f"{head_zh}：签名有效且内容完整，签名者可信，清单声明由生成式 AI 生成或编辑（{src}；操作：{what}）",
                    en=f"{head_en}: signature valid, content intact and signer trusted; the manifest declares "
                       f"generative-AI creation or editing ({src}; actions: {what})",
                    details=details, llr=9.2, decisive=True, category=category,
                )
            return self.finding(
                0.97,
                zh=f"{head_zh}：签名有效且内容完整，清单声明由生成式 AI 生成或编辑（{src}；操作：{what}）；"
                   "签名者不在信任列表中，该声明是有力但非决定性的证据（任何人都能自签此类声明）",
                en=f"{head_en}: signature valid and content intact; the manifest declares generative-AI creation or "
                   f"editing ({src}; actions: {what}); the signer is not on the trust list, so the claim is strong "
                   "but not decisive evidence (anyone can sign such a claim)",
                details=details, llr=LLR_AI_CLAIM_UNTRUSTED, category=category,
            )
        if action_names & _EDIT_ACTIONS:
            return self.finding(
                0.88, zh=f"{head_zh}：签名有效，清单记录了编辑操作（{what}）",
                en=f"{head_en}: signature valid; the manifest records editing actions ({what})",
                details=details, llr=LLR_EDIT_CLAIM, category="locally_edited",
            )
        if capture:
            llr = LLR_CAPTURE_TRUSTED if trusted else LLR_CAPTURE
            return self.finding(
                0.12 if trusted else 0.27,
                zh=f"{head_zh}：签名有效且内容完整，清单声明为设备拍摄",
                en=f"{head_en}: signature valid and content intact; the manifest declares device capture",
                details=details, llr=llr, category=None,
            )
        return self.finding(
            0.57 if action_names & _PROCESSING_ACTIONS else 0.5,
            zh=f"{head_zh}：签名有效且内容完整，清单仅记录常规处理（{what}）",
            en=f"{head_en}: signature valid and content intact; the manifest records only routine processing ({what})",
            details=details, llr=LLR_PROCESSING_CLAIM if action_names & _PROCESSING_ACTIONS else 0.0, category=None,
        )
