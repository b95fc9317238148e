"""Render a `Document` to PDF with fpdf2 and the Noto Sans CJK font shipped by `noto-cjk-sans-otc`.

Only that font is used (its Latin glyphs serve the English text), so every font in the PDF is an
embedded subset and nothing depends on fonts installed on the machine. Output is reproducible:
the creation date is the document's generation time, the producer names huiyan and fpdf2, and
figures are embedded as the deterministic PNGs drawn by `huiyan.report.figures`.

Glyphs are never lost silently. If the font cannot be loaded (package missing, file damaged) or
its subset cannot be written, `render_pdf` raises `ReportFontError` with the cause instead of
writing a PDF whose text would be empty boxes. A character the font has no glyph for (an emoji or a
rare character in a file name, say) is written as its code point, e.g. ``[U+1F600]``, and a notice
under the title lists every character so replaced; a warning is logged on `huiyan.report` too.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from datetime import UTC

from huiyan import __version__
from huiyan.report.document import Document, Figure, Heading, KeyValues, Para, Table
from huiyan.report.texts import t

log = logging.getLogger("huiyan.report")

FONT = "NotoSC"
MARGIN = 16.0
COLOURS = {
    "body": (20, 20, 20),
    "muted": (95, 95, 95),
    "alert": (170, 20, 20),
    "ok": (20, 110, 40),
    "strong": (10, 10, 10),
    "heading": (18, 52, 110),
}


class ReportRenderError(RuntimeError):
    """The report could not be rendered; the message says why (shown to the examiner as is)."""


class ReportFontError(ReportRenderError):
    """The embedded report font could not be used, so the PDF would lose its glyphs."""


FONT_HELP = ("the PDF report needs the Noto Sans CJK SC font of the Python package noto-cjk-sans-otc "
             "(pip install noto-cjk-sans-otc); without it Chinese text would print as empty boxes")


def font_path() -> str:
    import noto_cjk_sans_otc

    return str(noto_cjk_sans_otc.FONT_PATH)


def _pdf_class():
    from fpdf import FPDF

    class _ReportPDF(FPDF):
        footer_text = ""
        report_lang = "zh"

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, size=7.5)
            self.set_text_color(*COLOURS["muted"])
            page = t("page", self.report_lang, page=self.page_no(), pages="{nb}")
            self.cell(0, 5, f"{self.footer_text}    {page}", align="C")

    return _ReportPDF


def render_pdf(doc: Document) -> bytes:
    from fpdf.enums import WrapMode

    pdf = _pdf_class()(format="A4", unit="mm")
    pdf.report_lang = doc.lang
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    try:
        pdf.add_font(FONT, fname=font_path(), collection_font_number=2)  # 2 = Simplified Chinese
    except Exception as e:
        raise ReportFontError(f"the report font cannot be loaded ({type(e).__name__}: {e}); {FONT_HELP}") from e
    doc, missing = replace_missing_glyphs(doc, set(pdf.fonts[FONT.lower()].cmap))
    if missing:
        codes = ", ".join(f"U+{c:04X}" for c in missing)
        log.warning("PDF report: the font has no glyph for %s; written as code points", codes)
        doc = dataclasses.replace(doc, blocks=[Para(t("glyphs_replaced", doc.lang, chars=codes), "alert"),
                                               *doc.blocks])
    pdf.footer_text = doc.footer  # drawn on every page, the last one inside pdf.output()
    created = doc.generated_at if doc.generated_at.tzinfo else doc.generated_at.replace(tzinfo=UTC)
    pdf.set_creation_date(created)
    pdf.set_producer(f"huiyan {__version__} (fpdf2)")
    pdf.set_creator(f"huiyan {__version__}")
    pdf.set_title(doc.title)
    pdf.set_subject(doc.subtitle)
    if doc.author:
        pdf.set_author(doc.author)
    pdf.set_lang("zh-CN" if doc.lang == "zh" else "en")
    wrap = WrapMode.CHAR if doc.lang == "zh" else WrapMode.WORD
    pdf.add_page()
    width = pdf.w - 2 * MARGIN

    pdf.set_font(FONT, size=18)
    pdf.set_text_color(*COLOURS["heading"])
    pdf.multi_cell(width, 10, doc.title, align="C", new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*COLOURS["muted"])
    pdf.multi_cell(width, 5, doc.subtitle, align="C", new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
    pdf.ln(4)

    blocks = doc.blocks
    for k, b in enumerate(blocks):
        if isinstance(b, Heading):
            # keep a heading with what follows it: the next figure whole, else a few lines
            nxt = next((x for x in blocks[k + 1 :] if not isinstance(x, Heading)), None)
            need = _figure_size(pdf, nxt, width)[1] + 22 if isinstance(nxt, Figure) else 0
            _heading(pdf, b, width, wrap, need)
        elif isinstance(b, Para):
            _para(pdf, b, width, wrap)
        elif isinstance(b, KeyValues):
            _table(pdf, None, [list(r) for r in b.rows], (1.0, 3.2), width, size=8.5, wrap=wrap)
        elif isinstance(b, Table):
            _table(pdf, b.header, b.rows, b.widths, width, size=8, wrap=wrap)
        elif isinstance(b, Figure):
            _figure(pdf, b, width, wrap)
    try:
        data = bytes(pdf.output())
    except Exception as e:  # the font subset is made here
        raise ReportFontError(f"the PDF could not be assembled; the embedded font subset is made at this "
                              f"step ({type(e).__name__}: {e})") from e
    lost = pdf.fonts[FONT.lower()].missing_glyphs
    if lost:  # replace_missing_glyphs should have left none: never hand out a PDF with boxes
        raise ReportFontError("the report font has no glyph for " + ", ".join(f"U+{c:04X}" for c in lost))
    return data


def _code_points(text: str, cmap: set[int], missing: set[int]) -> str:
    """`text` with every character the font lacks written as [U+XXXX] (control characters kept)."""
    if all(ord(c) in cmap or ord(c) < 32 for c in text):
        return text
    out = []
    for c in text:
        if ord(c) in cmap or ord(c) < 32:
            out.append(c)
        else:
            missing.add(ord(c))
            out.append(f"[U+{ord(c):04X}]")
    return "".join(out)


def replace_missing_glyphs(doc: Document, cmap: set[int]) -> tuple[Document, list[int]]:
    """A copy of `doc` whose text uses only characters in `cmap`, and the code points replaced."""
    missing: set[int] = set()

    def f(x) -> str:
        return _code_points(str(x), cmap, missing)

    blocks = []
    for b in doc.blocks:
        if isinstance(b, Heading | Para):
            b = dataclasses.replace(b, text=f(b.text))
        elif isinstance(b, KeyValues):
            b = dataclasses.replace(b, rows=[(f(k), f(v)) for k, v in b.rows])
        elif isinstance(b, Table):
            b = dataclasses.replace(b, header=[f(h) for h in b.header], rows=[[f(c) for c in r] for r in b.rows])
        elif isinstance(b, Figure):
            b = dataclasses.replace(b, caption=f(b.caption))
        blocks.append(b)
    out = dataclasses.replace(doc, title=f(doc.title), subtitle=f(doc.subtitle), author=f(doc.author),
                              footer=f(doc.footer), blocks=blocks)
    return out, sorted(missing)


def _heading(pdf, b: Heading, width: float, wrap, need: float = 0.0) -> None:
    size = {1: 13.5, 2: 11.0, 3: 9.5}.get(b.level, 9.5)
    need = max(need, {1: 40, 2: 30, 3: 24}.get(b.level, 24))
    if pdf.get_y() > pdf.h - pdf.b_margin - need and pdf.get_y() > pdf.t_margin + 1:
        pdf.add_page()
    if b.level == 1 and pdf.get_y() > pdf.t_margin + 1:
        pdf.ln(4)
    else:
        pdf.ln(1.5)
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*(COLOURS["heading"] if b.level < 3 else COLOURS["body"]))
    pdf.multi_cell(width, size * 0.55, b.text, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
    if b.level == 1:
        pdf.set_draw_color(*COLOURS["heading"])
        pdf.set_line_width(0.3)
        y = pdf.get_y() + 0.6
        pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
        pdf.ln(2)
    else:
        pdf.ln(0.8)


def _para(pdf, b: Para, width: float, wrap) -> None:
    if not b.text:
        return
    pdf.set_font(FONT, size=10 if b.style == "strong" else 9)
    pdf.set_text_color(*COLOURS.get(b.style, COLOURS["body"]))
    pdf.multi_cell(width, 5.0, b.text, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap, align="L")
    pdf.ln(1.2)


def _table(pdf, header, rows, widths, width: float, *, size: float, wrap) -> None:
    from fpdf.fonts import FontFace

    if not rows and not header:
        return
    n = len(header) if header else max(len(r) for r in rows)
    rel = widths if widths and len(widths) == n else (1.0,) * n
    tot = sum(rel)
    cols = tuple(width * w / tot for w in rel)
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*COLOURS["body"])
    pdf.set_draw_color(180, 180, 180)
    pdf.set_line_width(0.2)
    head_style = FontFace(emphasis="", fill_color=(225, 232, 242), color=COLOURS["heading"])
    with pdf.table(
        col_widths=cols,
        width=width,
        first_row_as_headings=bool(header),
        headings_style=head_style,
        line_height=size * 0.5,
        text_align="LEFT",
        wrapmode=wrap,
        padding=(0.8, 1.2, 0.8, 1.2),
    ) as tbl:
        if header:
            row = tbl.row()
            for h in header:
                row.cell(h)
        for r in rows:
            row = tbl.row()
            for k in range(n):
                row.cell(str(r[k]) if k < len(r) else "")
    pdf.ln(2.5)


def _figure_size(pdf, b: Figure, width: float) -> tuple[float, float]:
    """Width and height (mm) the figure takes on the page."""
    from PIL import Image

    with Image.open(io.BytesIO(b.data)) as im:
        pw, ph = im.size
    w = width * b.width
    h = w * ph / pw
    max_h = pdf.h - pdf.t_margin - pdf.b_margin - 20
    if h > max_h:
        h = max_h
        w = h * pw / ph
    return w, h


def _figure(pdf, b: Figure, width: float, wrap) -> None:
    w, h = _figure_size(pdf, b, width)
    if pdf.get_y() + h + 12 > pdf.h - pdf.b_margin:
        pdf.add_page()
    x = pdf.l_margin + (width - w) / 2
    pdf.image(io.BytesIO(b.data), x=x, y=pdf.get_y(), w=w, h=h)
    pdf.set_y(pdf.get_y() + h + 1.5)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*COLOURS["muted"])
    pdf.multi_cell(width, 4.2, b.caption, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap, align="L")
    pdf.ln(2.5)
