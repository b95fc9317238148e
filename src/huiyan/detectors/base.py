"""The detector contract: `Finding`, `Detector` and the registry decorator.

Every method is a `Detector` subclass registered with `@register` next to its class. A detector
declares which media types it applies to and which inputs it needs; the runner
(`huiyan.pipeline`) builds each input once on a shared `Item` and hands the same `Item` to every
detector. A detector never opens files, never writes outside its `Finding` (except artifacts
through `item.artifact_path`), and can be run alone::

    finding = get_detector("provenance.camera_exif").run(item)

A Finding's `score` is the method's own evidence value (higher = more evidence of generation or
manipulation); `llr` is the calibrated log-likelihood ratio (manipulated vs camera original),
0 when uninformative. Calibration (huiyan.fusion) fills `llr` from `score` when the method itself
does not state one.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from huiyan.media.item import Item

FAMILIES = ("provenance", "physical", "fingerprint", "physiological", "temporal")
MEDIA_TYPES = ("image", "video")
INPUTS = ("metadata", "pixels", "jpeg", "frames", "stream", "faces", "bytes")


@dataclass
class Finding:
    """One detector's result on one item (DESIGN.md section 4)."""

    method: str
    method_version: str
    family: str
    applicable: bool
    score: float | None = None
    llr: float = 0.0
    reason: str | None = None
    explanation: dict[str, str] = field(default_factory=lambda: {"zh": "", "en": ""})
    heatmap: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # Cryptographically verified provenance (valid C2PA claim, decoded watermark) may decide on
    # its own; statistical evidence never sets this.
    decisive: bool = False
    # What kind of manipulation the evidence points to when it fires.
    category: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Detector:
    """Base class of every method.

    Subclasses set the class attributes and implement `analyze`. `not_applicable_reason`
    may be overridden to say, before any work, why the method does not apply (e.g. "image
    resized, watermark cannot be read"); it returns None when the method applies.
    """

    method: ClassVar[str] = ""
    version: ClassVar[str] = "0.1"
    family: ClassVar[str] = ""
    media_types: ClassVar[tuple[str, ...]] = ("image",)
    inputs: ClassVar[tuple[str, ...]] = ()
    category: ClassVar[str | None] = None
    summary: ClassVar[dict[str, str]] = {"zh": "", "en": ""}

    def not_applicable_reason(self, item: Item) -> str | None:
        return None

    def analyze(self, item: Item) -> Finding:  # pragma: no cover - abstract
        raise NotImplementedError

    # helpers for subclasses -------------------------------------------------------------
    def finding(self, score: float | None, *, zh: str, en: str, **kw: Any) -> Finding:
        kw.setdefault("category", self.category)
        return Finding(
            method=self.method,
            method_version=self.version,
            family=self.family,
            applicable=True,
            score=None if score is None else float(score),
            explanation={"zh": zh, "en": en},
            **kw,
        )

    def not_applicable(self, reason: str, *, zh: str | None = None, **details: Any) -> Finding:
        if zh is None:
            from huiyan.detectors.reasons_zh import reason_zh

            translated = reason_zh(reason)
            zh = f"不适用：{translated}" if translated else None
        return Finding(
            method=self.method,
            method_version=self.version,
            family=self.family,
            applicable=False,
            reason=reason,
            explanation={"zh": zh or f"不适用：{reason}", "en": f"Not applicable: {reason}"},
            details=details,
        )

    def run(self, item: Item) -> Finding:
        """Check applicability, analyze, and time the call. Exceptions propagate."""
        t0 = time.perf_counter()
        if item.media_type not in self.media_types:
            f = self.not_applicable(f"method applies to {', '.join(self.media_types)} only")
        else:
            reason = self.not_applicable_reason(item)
            f = self.not_applicable(reason) if reason else self.analyze(item)
        f.seconds = round(time.perf_counter() - t0, 4)
        return f


_REGISTRY: dict[str, type[Detector]] = {}


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: add a detector to the registry under its `method` id."""
    if not cls.method or cls.family not in FAMILIES:
        raise ValueError(f"{cls.__name__}: method id and a family from {FAMILIES} are required")
    bad = [i for i in cls.inputs if i not in INPUTS]
    if bad or not set(cls.media_types) <= set(MEDIA_TYPES):
        raise ValueError(f"{cls.__name__}: unknown inputs {bad} or media types {cls.media_types}")
    if cls.method in _REGISTRY and _REGISTRY[cls.method] is not cls:
        raise ValueError(f"duplicate detector id {cls.method}")
    _REGISTRY[cls.method] = cls
    return cls


def registry() -> dict[str, type[Detector]]:
    """All registered detectors, importing every detector module first."""
    from huiyan.detectors import load_all

    load_all()
    return dict(sorted(_REGISTRY.items()))


def get_detector(method: str) -> Detector:
    return registry()[method]()
