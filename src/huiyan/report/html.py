"""Render a `Document` to one self-contained HTML file.

Figures are inlined as base64 PNG; the Noto Sans CJK SC font shipped by `noto-cjk-sans-otc` is
subset to the characters the report uses and inlined as a WOFF font, so the page shows the same
glyphs as the PDF on a machine without CJK fonts and needs no network.

If the font cannot be subset (the font package is missing, the file is damaged, fontTools fails),
the page is still written, but never silently: a warning is logged on `huiyan.report`, and the
document itself is restated before it is rendered (`with_font_failure`): a notice paragraph in the
report's language (and in English, which the reader's own fonts can always show) stands under the
title with the error, and the appendix row the builder names "font" says the font is not embedded. Characters the
font has no glyph for are listed in a note under the title (the browser draws them with the
reader's fonts, or as boxes).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import logging

from huiyan import __version__
from huiyan.report.document import Document, Figure, Heading, KeyValues, Para, Table
from huiyan.report.texts import t

log = logging.getLogger("huiyan.report")

CSS = """
@page { size: A4; margin: 16mm; }
body { font-family: 'HuiyanNoto', 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif; color: #141414;
       max-width: 980px; margin: 2em auto; padding: 0 1.2em; font-size: 14px; line-height: 1.55; }
h1.title { text-align: center; color: #12346e; font-size: 26px; margin-bottom: .2em; }
p.subtitle { text-align: center; color: #5f5f5f; font-size: 12.5px; margin-top: 0; }
h2 { color: #12346e; border-bottom: 1.5px solid #12346e; padding-bottom: 2px; margin-top: 1.8em; font-size: 20px; }
h3 { color: #12346e; font-size: 16px; margin: 1.1em 0 .4em; }
h4 { font-size: 14px; margin: .9em 0 .3em; font-weight: normal; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 .9em; font-size: 12.5px; }
th, td { border: 1px solid #b4b4b4; padding: 3px 6px; text-align: left; vertical-align: top;
         word-break: break-all; }
th { background: #e1e8f2; color: #12346e; font-weight: normal; }
table.kv td:first-child { width: 22%; background: #f6f8fb; }
p.muted { color: #5f5f5f; } p.alert { color: #aa1414; } p.ok { color: #146e28; }
p.strong { font-size: 15px; }
p.font-notice { color: #aa1414; border: 1.5px solid #aa1414; padding: 6px 10px; }
figure { margin: .6em 0 1.2em; text-align: center; }
figure img { max-width: 100%; }
figcaption { color: #5f5f5f; font-size: 12px; text-align: left; }
footer { color: #5f5f5f; font-size: 11.5px; text-align: center; margin-top: 3em; }
"""


def font_face(text: str) -> tuple[str, list[int]]:
    """@font-face with the Noto CJK SC subset covering `text`, and the code points of `text` the font
    has no glyph for (the browser draws those with the reader's fonts); raises if it cannot be made."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from huiyan.report.pdf import font_path

    font = TTFont(font_path(), fontNumber=2, lazy=False, recalcTimestamp=False)
    cmap = font.getBestCmap() or {}
    missing = sorted({ord(c) for c in text if ord(c) >= 32 and ord(c) not in cmap})
    opts = subset.Options()
    opts.flavor = "woff"
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(options=opts)
    sub.populate(text="".join(sorted(set(text) | set(" 0123456789"))))
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return ("@font-face { font-family: 'HuiyanNoto'; "
            f"src: url(data:font/woff;base64,{data}) format('woff'); }}\n"), missing


def _text(doc: Document) -> str:
    """Every character the page shows (what the font subset must cover)."""
    seen = [doc.title, doc.subtitle, doc.footer]
    for b in doc.blocks:
        if isinstance(b, Heading | Para):
            seen.append(b.text)
        elif isinstance(b, KeyValues):
            seen.extend(k + v for k, v in b.rows)
        elif isinstance(b, Table):
            seen.extend(b.header)
            seen.extend("".join(map(str, r)) for r in b.rows)
        elif isinstance(b, Figure):
            seen.append(b.caption)
    return "".join(seen)


def with_font_failure(doc: Document, err: str) -> Document:
    """A copy of `doc` that says the report font could not be embedded: a notice before the first
    section, in the report's language and then in English (which the reader's own fonts can always
    show), and the appendix row named "font" restated as not embedded."""
    notices = [Para(t("font_failed", doc.lang, err=err), "font-notice")]
    if doc.lang != "en":
        notices.append(Para(t("font_failed", "en", err=err), "font-notice"))
    blocks = []
    for b in doc.blocks:
        if isinstance(b, Table) and "font" in b.row_keys:
            i = b.row_keys["font"]
            rows = [list(r) for r in b.rows]
            rows[i] = [*rows[i][:-1], t("font_not_embedded", doc.lang)]
            b = dataclasses.replace(b, rows=rows)
        blocks.append(b)
    return dataclasses.replace(doc, blocks=notices + blocks)


def render_html(doc: Document, *, embed_font: bool = True) -> bytes:
    e = html.escape
    font_css = ""
    if embed_font:
        # the note on missing glyphs is added after subsetting: its characters are always in the subset
        text = _text(doc) + t("glyphs_fallback", doc.lang, chars="U+0123456789ABCDEF, ")
        try:
            font_css, missing = font_face(text)
        except Exception as exc:  # the page is still useful, but the reader must be told
            err = f"{type(exc).__name__}: {exc}"
            log.warning("HTML report: the Noto Sans CJK SC font could not be embedded (%s); Chinese text "
                        "depends on the reader's installed fonts and may show as empty boxes", err)
            doc = with_font_failure(doc, err)
        else:
            if missing:
                codes = ", ".join(f"U+{c:04X}" for c in missing)
                log.warning("HTML report: the embedded font has no glyph for %s; the reader's fonts draw them", codes)
                doc = dataclasses.replace(doc, blocks=[Para(t("glyphs_fallback", doc.lang, chars=codes), "muted"),
                                                       *doc.blocks])
    parts: list[str] = []
    in_section = False
    for b in doc.blocks:
        if isinstance(b, Heading):
            if b.level == 1:
                if in_section:
                    parts.append("</section>")
                parts.append("<section>")
                in_section = True
            tag = {1: "h2", 2: "h3"}.get(b.level, "h4")
            parts.append(f"<{tag}>{e(b.text)}</{tag}>")
        elif isinstance(b, Para):
            if b.text:
                role = ' role="alert"' if b.style == "font-notice" else ""
                parts.append(f'<p class="{e(b.style)}"{role}>{e(b.text)}</p>')
        elif isinstance(b, KeyValues):
            rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in b.rows)
            parts.append(f'<table class="kv">{rows}</table>')
        elif isinstance(b, Table):
            head = "".join(f"<th>{e(h)}</th>" for h in b.header)
            body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in b.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(b, Figure):
            data = base64.b64encode(b.data).decode("ascii")
            style = f' style="width:{round(100 * b.width)}%"' if b.width < 1 else ""
            parts.append(f'<figure><img{style} alt="{e(b.caption[:80])}" src="data:{b.mime};base64,{data}">'
                         f"<figcaption>{e(b.caption)}</figcaption></figure>")
    if in_section:
        parts.append("</section>")
    lang = "zh-CN" if doc.lang == "zh" else "en"
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="generator" content="huiyan {e(__version__)}">'
        f"<title>{e(doc.title)}</title><style>{font_css}{CSS}</style></head><body>"
        f'<h1 class="title">{e(doc.title)}</h1><p class="subtitle">{e(doc.subtitle)}</p>'
        + "\n".join(parts)
        + f"<footer>{e(doc.footer)}</footer></body></html>\n"
    )
    return page.encode("utf-8")
