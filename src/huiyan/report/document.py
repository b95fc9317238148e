"""The report as a renderer-neutral document: a flat list of blocks.

The builder (`huiyan.report.build`) produces a `Document` in one language; the PDF and HTML
renderers walk the same blocks, so both formats say exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Heading:
    level: int  # 1 section, 2 item, 3 method
    text: str


@dataclass
class Para:
    text: str
    style: str = "body"  # body | muted | alert | ok | strong | font-notice (HTML: the font could not be embedded)


@dataclass
class KeyValues:
    rows: list[tuple[str, str]]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: tuple[float, ...] | None = None  # relative column widths
    # rows a renderer may have to restate, by name -> row index (e.g. "font": the appendix row that
    # says how the report font is embedded; the HTML renderer rewrites it when it cannot embed it)
    row_keys: dict[str, int] = field(default_factory=dict)


@dataclass
class Figure:
    data: bytes  # PNG or JPEG
    caption: str
    width: float = 1.0  # fraction of the text width

    @property
    def mime(self) -> str:
        return "image/jpeg" if self.data[:2] == b"\xff\xd8" else "image/png"


Block = Heading | Para | KeyValues | Table | Figure


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str
    generated_at: datetime
    author: str = ""
    footer: str = ""
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)
