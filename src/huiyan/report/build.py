"""Build the appraisal report (a `Document`) from analysed items, in the order of GB/T 45430-2025.

Sections: 检材固定保全 (preservation) → 样本提取 (sample extraction) → 元数据检验 (metadata) →
特征检测 / 特征分析 / 特征比对 / 特征评估 (feature detection, analysis, comparison, evaluation) →
综合分析 (combined analysis) → 鉴定意见 (opinion) → 局限性 (limitations) → 附录 (appendix).

The builder is a pure function of its `ReportInput` (results, custody state, calibration, case
fields and the generation time), except that it reads the read-only stored copies of the items
to draw figures. It never decides anything: every number comes from the analysis results, the
custody log or the calibration file. Items with errors are rendered with their errors.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from huiyan import __version__
from huiyan.fusion.combine import KINDS, calibration_entry, calibration_key
from huiyan.report.document import Document, Figure, Heading, KeyValues, Para, Table
from huiyan.report.kinds import kind_table
from huiyan.report.texts import category_text, family_text, media_text, t, verdict_text

CASE_FIELDS = ("case_number", "commissioner", "examiners", "received", "description")
CUSTODY_EXCERPT = 15
VERDICT_ORDER = ("synthetic", "likely_synthetic", "inconclusive", "likely_authentic", "authentic")
_RATE_SKIP = {"x", "y", "kind", "method_version"}

log = logging.getLogger("huiyan.report")


@dataclass
class ReportInput:
    results: list[dict[str, Any]]
    lang: str = "zh"
    case_fields: dict[str, str] = field(default_factory=dict)
    generated_at: datetime | None = None
    case_root: Path | None = None
    custody_entries: list[dict[str, Any]] | None = None
    custody_problems: list[Any] | None = None  # huiyan.intake.custody.Problem
    calibration: dict[str, Any] = field(default_factory=dict)


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


# helpers ----------------------------------------------------------------------------------------


def _name(res: dict[str, Any]) -> str:
    return Path(str(res.get("path") or "?")).name


def _fmt_num(v: Any, nd: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.{nd}f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:.4g}"
    return str(v)


def _fmt_rate(v: Any) -> str:
    """Error rates keep four significant digits (0.0042 must not print as 0.004)."""
    return f"{v:.4g}" if isinstance(v, float) else _fmt_num(v)


def _compact(details: Any, limit: int = 600) -> str:
    """Details of a finding as compact JSON, numbers rounded, cut at `limit` characters."""

    def rnd(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 4)
        if isinstance(v, dict):
            return {str(k): rnd(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [rnd(x) for x in v[:24]] + (["…"] if len(v) > 24 else [])
        return v

    text = json.dumps(rnd(details), ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _evidence_path(res: dict[str, Any], case_root: Path | None) -> Path | None:
    """The read-only stored copy of the item (falls back to the submitted path)."""
    sha = res.get("sha256")
    if sha and case_root is not None:
        p = case_root / "evidence" / sha[:2] / sha
        if p.exists():
            return p
    p = Path(str(res.get("path") or ""))
    return p if sha and p.is_file() else None


def _detector_classes() -> tuple[dict[str, Any], str | None]:
    """The registered detector classes, and the error if some detector module could not be imported
    (then the classes registered so far; the report says the method list may be incomplete)."""
    from huiyan.detectors.base import registry

    try:
        return registry(), None
    except Exception as e:  # a broken detector module must not stop the report, but is stated
        from huiyan.detectors.base import _REGISTRY

        err = f"{type(e).__name__}: {e}"
        log.warning("report: a detector module could not be imported (%s); method descriptions may be missing", err)
        return dict(sorted(_REGISTRY.items())), err


def _summary(cls: Any, lang: str) -> str:
    s = getattr(cls, "summary", None) or {}
    return s.get(lang) or s.get("en") or ""


def _explanation(f: dict[str, Any], lang: str) -> str:
    e = f.get("explanation") or {}
    text = e.get(lang) or e.get("en") or ""
    if not text and not f.get("applicable"):
        text = f.get("reason") or ""
    return text


def _bands(calib: dict[str, Any], media_type: str | None = None) -> dict[str, float]:
    from huiyan.fusion.combine import DEFAULT_BANDS, bands_for

    b = bands_for(calib, media_type)
    return {k: float(b.get(k, v)) for k, v in DEFAULT_BANDS.items()}


def _rates_text(rates: Any, lang: str = "en") -> str:
    """Measured rates as text: the entry's own sentence in `lang` when it has one (the evaluation
    harness writes `zh` and `en`), else its numbers."""
    if not rates:
        return ""
    if isinstance(rates, dict):
        if isinstance(rates.get(lang), str) and rates[lang]:
            return rates[lang]
        parts = []
        for k in sorted(rates):
            v = rates[k]
            if k in ("zh", "en"):
                continue
            if isinstance(v, dict):
                parts.append(f"{k}: " + ", ".join(f"{kk} {_fmt_rate(vv)}" for kk, vv in sorted(v.items())))
            elif isinstance(v, list | tuple):
                parts.append(f"{k} [" + ", ".join(_fmt_rate(x) for x in v) + "]")
            else:
                parts.append(f"{k} {_fmt_rate(v)}")
        return "; ".join(parts)
    return str(rates)


_METRIC_WORDS = ("auc", "eer", "fpr", "tpr", "fnr", "error", "accuracy", "rate", "precision", "recall")


def _method_rates(method: str, calib: dict[str, Any], lang: str, media_type: str | None = None) -> str:
    """A method's measured error rates from the calibration file, and what its map was fitted on.
    A method calibrated per media type (`method@media`) is read for `media_type`, and only the
    rates measured on that media type are shown."""
    key = calibration_key(calib, method, media_type)
    entry = (calib.get("methods") or {}).get(key) or {}
    vals = {k: v for k, v in entry.items() if k not in _RATE_SKIP and any(w in k.lower() for w in _METRIC_WORDS)}
    extra = (calib.get("method_metrics") or calib.get("metrics") or {}).get(method)
    if isinstance(extra, dict):
        if key != method:  # per media type: that type's rates only
            extra = {k: v for k, v in extra.items() if f"_{media_type}_" in k}
        vals.update(extra)
    text = _rates_text(vals, lang) or t("not_measured", lang)
    if entry.get("n_manipulated") is not None and entry.get("n_real") is not None:
        kind = entry.get("positives")
        if kind in KINDS:  # a map fitted on the kind the method points to (docs/DECISIONS.md)
            text += t("fitted_on_kind", lang, pos=entry["n_manipulated"], neg=entry["n_real"], kind=t(f"c_{kind}", lang))
        else:
            text += t("fitted_on", lang, pos=entry["n_manipulated"], neg=entry["n_real"])
    return text


def _calibration_version(calib: dict[str, Any]) -> str:
    keys = ("version", "calibration_version", "created", "fitted_at", "huiyan_version", "tool_version")
    parts = [f"{k} {calib[k]}" for k in keys if calib.get(k)]
    return ", ".join(parts)


def _reference_version(calib: dict[str, Any]) -> str:
    for k in ("data_version", "reference_data", "reference_data_version", "data"):
        v = calib.get(k)
        if v:
            text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)[:300]
            of = calib.get(f"{k}_of")
            return f"{text} ({of})" if isinstance(of, str) and of else text
    return ""


def _intake_time(sha: str | None, entries: list[dict[str, Any]] | None) -> str:
    for e in entries or []:
        if e.get("action") == "intake" and e.get("sha256") == sha:
            return str(e.get("time", ""))
    return ""


def _about(e: dict[str, Any], shas: set[str]) -> bool:
    if e.get("sha256") in shas:
        return True
    items = e.get("items")
    return isinstance(items, list) and bool(shas & set(items))


# the builder ------------------------------------------------------------------------------------


def build_document(inp: ReportInput) -> Document:
    """The whole report in `inp.lang`."""
    from datetime import UTC

    lang = inp.lang
    gen = inp.generated_at or datetime.now(UTC)
    fields = {k: str(v) for k, v in (inp.case_fields or {}).items() if v}
    doc = Document(
        lang=lang,
        title=t("title", lang),
        subtitle=t("subtitle", lang),
        generated_at=gen,
        author=fields.get("examiners", ""),
        footer=" · ".join(x for x in (fields.get("case_number", ""), f"huiyan {__version__}") if x),
    )
    classes, registry_error = _detector_classes()
    figs = _Counter()
    images: dict[int, Any] = {}  # item index -> decoded pixels (or None), loaded once
    ctx = _Ctx(inp, doc, classes, figs, images)
    ctx.registry_error = registry_error
    ctx.title_page()
    ctx.preservation()
    ctx.extraction()
    ctx.metadata()
    ctx.detection()
    ctx.analysis()
    ctx.comparison()
    ctx.evaluation()
    ctx.synthesis()
    ctx.opinion()
    ctx.limitations()
    ctx.appendix()
    return doc


class _Ctx:
    def __init__(self, inp: ReportInput, doc: Document, classes, figs: _Counter, images: dict) -> None:
        self.inp = inp
        self.lang = inp.lang
        self.doc = doc
        self.classes = classes
        self.figs = figs
        self.images = images
        self.results = inp.results
        self.calib = inp.calibration or {}
        self.registry_error: str | None = None

    # shared pieces ------------------------------------------------------------------------
    def t(self, key: str, **kw) -> str:
        return t(key, self.lang, **kw)

    def item_heading(self, i: int, res: dict[str, Any]) -> None:
        self.doc.add(Heading(2, self.t("item_label", n=i + 1, name=_name(res))))

    def item_errors(self, res: dict[str, Any]) -> None:
        for e in res.get("errors") or []:
            self.doc.add(Para(self.t("item_error", err=e), "alert"))

    def cols(self, key: str) -> list[str]:
        return self.t(key).split("|")

    def pixels(self, i: int, res: dict[str, Any]):
        """Decoded RGB of an image item (or the first still of a video), None if unavailable."""
        if i in self.images:
            return self.images[i]
        rgb = None
        if res.get("media_type") == "image" and res.get("verdict") is not None:
            p = _evidence_path(res, self.inp.case_root)
            err = None
            if p is None:
                err = self.t("stored_copy_missing")
            else:
                from huiyan.media.image import decode_rgb

                try:
                    rgb = decode_rgb(p)
                except Exception as e:
                    err = f"{type(e).__name__}: {e}".replace(str(p), _name(res))
            if err is not None:  # said once, where the item's first figure would have been
                log.warning("report: item %d (%s) cannot be shown in the figures: %s", i + 1, _name(res), err)
                self.doc.add(Para(self.t("pixels_failed", err=err), "muted"))
        self.images[i] = rgb
        return rgb

    def figure(self, make, caption_key: str, width: float = 1.0, **kw) -> None:
        """Draw a figure; a failure is reported in the text instead of stopping the report."""
        try:
            png = make()
        except Exception as e:  # a figure is an aid: say it failed, keep going
            self.doc.add(Para(self.t("figure_failed", err=f"{type(e).__name__}: {e}"), "muted"))
            return
        if png is None:
            return
        self.doc.add(Figure(png, self.t(caption_key, n=self.figs.next(), **kw), width))

    def meaning(self, grade: str, media_type: str | None = None) -> str:
        """What a grade means, with the likelihood ratios of its band (bands of the media type)."""
        import math

        if grade not in VERDICT_ORDER:
            return ""
        b = _bands(self.calib, media_type)

        def odds(x: float) -> str:
            return f"{math.exp(abs(x)):.0f}"

        return self.t(f"m_{grade}", s=odds(b["synthetic"]), l=odds(b["likely_synthetic"]),
                      a=odds(b["authentic"]), la=odds(b["likely_authentic"]))

    def _item_no(self, r: dict[str, Any]) -> int:
        return next((k + 1 for k, x in enumerate(self.results) if x is r), 0)

    # title ---------------------------------------------------------------------------------
    def title_page(self) -> None:
        f = self.inp.case_fields or {}
        ng = self.t("not_given")
        rows = [(self.t(k), str(f.get(k) or ng)) for k in CASE_FIELDS]
        rows += [
            (self.t("generated_at"), self.doc.generated_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()),
            (self.t("software"), f"huiyan {__version__}"),
            (self.t("items_count"), str(len(self.results))),
        ]
        if self.inp.case_root is not None:
            rows.append((self.t("case_folder"), str(self.inp.case_root)))
        self.doc.add(KeyValues(rows))
        self.doc.add(Heading(2, self.t("summary_heading")))
        if not self.results:
            self.doc.add(Para(self.t("no_items")))
            return
        rows2 = []
        for i, r in enumerate(self.results):
            verdict = verdict_text(r.get("verdict"), self.lang) if r.get("verdict") else self.t("unknown")
            rows2.append([str(i + 1), _name(r), (r.get("sha256") or "-")[:16], verdict])
        head = ["#", self.t("file_name"), self.t("sha_prefix"), self.t("opinion_col")]
        self.doc.add(Table(head, rows2, (0.6, 3.2, 2.4, 3.8)))

    # 1 -----------------------------------------------------------------------------------------
    def preservation(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_preservation")), Para(self.t("preservation_intro")))
        entries = self.inp.custody_entries
        for i, r in enumerate(self.results):
            self.item_heading(i, r)
            rows = [
                (self.t("file_name"), _name(r)),
                (self.t("source_path"), str(r.get("path"))),
                (self.t("size"), self.t("bytes", n=f"{r['size_bytes']:,}") if r.get("size_bytes") is not None else "-"),
                ("SHA-256", r.get("sha256") or "-"),
                ("MD5", r.get("md5") or "-"),
                (self.t("intake_time"), _intake_time(r.get("sha256"), entries) or "-"),
            ]
            if r.get("sha256"):
                rows.append((self.t("stored_copy"), f"evidence/{r['sha256'][:2]}/{r['sha256']}"))
            d.add(KeyValues(rows))
            if not r.get("sha256"):
                self.item_errors(r)
        if entries is None:
            d.add(Para(self.t("custody_unavailable"), "alert"))
            return
        shas = {r["sha256"] for r in self.results if r.get("sha256")}
        about = [e for e in entries if _about(e, shas)][-CUSTODY_EXCERPT:]
        d.add(Heading(2, self.t("custody_excerpt", n=len(about), total=len(entries))))
        rows = [
            [str(e.get("seq", "")), str(e.get("time", ""))[:26], str(e.get("actor", "")), str(e.get("action", "")),
             str(e.get("sha256") or "")[:16]]
            for e in about
        ]
        d.add(Table(self.cols("custody_cols"), rows, (0.7, 3.3, 1.6, 1.3, 2.3)), Para(self.t("custody_note"), "muted"))
        probs = self.inp.custody_problems or []
        if not probs:
            d.add(Para(self.t("custody_ok", n=len(entries)), "ok"))
        else:
            d.add(Para(self.t("custody_broken", n=len(probs), first=probs[0].message), "alert"))
            for p in probs[1:6]:
                d.add(Para("· " + p.message, "alert"))

    # 2 -----------------------------------------------------------------------------------------
    def extraction(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_extraction")), Para(self.t("extraction_intro")))
        for i, r in enumerate(self.results):
            self.item_heading(i, r)
            m = r.get("media") or {}
            mt = r.get("media_type")
            rows = [
                (self.t("media_type"), self.t(mt) if mt in ("image", "video") else self.t("unknown")),
                (self.t("format"), str(r.get("format") or m.get("format") or "-")),
            ]
            if m.get("width"):
                rows.append((self.t("resolution"), f"{m.get('width')} × {m.get('height')}"))
            if mt == "image" and m.get("mode"):
                rows.append((self.t("mode"), str(m["mode"])))
            for key in ("metadata_warnings", "decode_warnings"):
                if m.get(key):
                    rows.append((self.t(key), "; ".join(map(str, m[key]))[:400]))
            if mt == "video":
                for key, label in (("container_format", "container"), ("codec", "codec"), ("fps", "fps"),
                                   ("duration_s", "duration"), ("frames", "frames"),
                                   ("decoded_frames", "decoded_frames"), ("sampled_windows", "sampled_windows"),
                                   ("keyframes", "keyframes"), ("bit_rate", "bit_rate")):
                    if m.get(key) not in (None, ""):
                        v = m[key]
                        if key == "duration_s":
                            v = f"{v} s"
                        elif key == "fps":
                            v = f"{v} fps"
                        elif key == "bit_rate":
                            v = f"{int(v):,} bit/s"
                        rows.append((self.t(label), str(v)))
                if "has_audio" in m:
                    rows.append((self.t("audio"), self.t("yes") if m["has_audio"] else self.t("no")))
            if "faces" in m:
                rows.append((self.t("faces"), str(m["faces"])))
            d.add(KeyValues(rows))
            if r.get("verdict") is None:
                if r.get("sha256"):
                    d.add(Para(self.t("not_decoded"), "muted"))
                self.item_errors(r)
                continue
            rgb = self.pixels(i, r)
            if rgb is not None:
                from huiyan.report import figures

                self.figure(lambda rgb=rgb: figures.image_figure(rgb), "fig_image", 0.45, item=i + 1)
            elif mt == "video":
                self.figure(lambda r=r: self._timeline(r), "fig_timeline", 1.0, item=i + 1,
                            seg=self.t("fig_timeline_seg") if r.get("segments") else "")

    def _video_sample(self, r: dict[str, Any]):
        """(VideoInfo, FrameSample with six stills) of a video item, decoded once per report; a
        failure is remembered too, so a broken video is not decoded again for the next figure."""
        from huiyan.media.video import probe_video, sample_frames

        key = r.get("sha256")
        cache = self.__dict__.setdefault("_video_cache", {})
        if key not in cache:
            try:
                p = _evidence_path(r, self.inp.case_root)
                if p is None:  # raised, not None: the figure that needed it says so
                    raise FileNotFoundError(self.t("stored_copy_missing"))
                info = probe_video(p, str(r.get("format") or ""))
                cache[key] = (info, sample_frames(p, info, windows=1, window_len=1, stills=6, face_track=False))
            except Exception as e:  # noqa: BLE001 - re-raised below, to every caller
                cache[key] = e
        if isinstance(cache[key], Exception):
            raise cache[key]
        return cache[key]

    def _timeline(self, r: dict[str, Any]) -> bytes | None:
        from huiyan.report import figures

        info, sample = self._video_sample(r)
        return figures.timeline_figure(sample.stills, info.packet_times, info.packet_sizes, info.packet_keys,
                                       float(info.duration or 0.0), r.get("segments"))

    # 3 -----------------------------------------------------------------------------------------
    def metadata(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_metadata")), Para(self.t("metadata_intro")))
        for i, r in enumerate(self.results):
            self.item_heading(i, r)
            if not r.get("sha256"):
                self.item_errors(r)
                continue
            d.add(KeyValues(self._metadata_rows(r)))
            prov = [f for f in r.get("findings") or [] if f.get("family") == "provenance"]
            if not prov:
                d.add(Para(self.t("no_provenance"), "muted"))
                continue
            d.add(Heading(3, self.t("meta_findings")))
            for f in prov:
                if f.get("applicable"):
                    self._method_block(i, r, f, figures_too=True)
            self._not_applicable_table(prov)

    def _not_applicable_table(self, fs: list[dict[str, Any]]) -> None:
        na = [f for f in fs if not f.get("applicable")]
        if na:
            self.doc.add(Heading(3, self.t("na_methods")))
            rows = [[str(f.get("method")), _explanation(f, self.lang) or str(f.get("reason") or "")] for f in na]
            self.doc.add(Table(self.cols("na_cols"), rows, (2.6, 6.4)))

    def _metadata_rows(self, r: dict[str, Any]) -> list[tuple[str, str]]:
        present, absent = self.t("meta_present"), self.t("meta_absent")
        p = _evidence_path(r, self.inp.case_root)
        if r.get("media_type") == "video":
            m = r.get("media") or {}
            tags = {**(m.get("metadata") or {}), **(m.get("stream_metadata") or {})}
            return [(self.t("meta_container"), _compact(tags, 500) if tags else absent)]
        if p is None or r.get("media_type") != "image":
            return [(self.t("format"), str(r.get("format") or "-"))]
        from huiyan.media.image import read_metadata

        try:
            md = read_metadata(p)
        except Exception as e:
            return [(self.t("meta_exif"), self.t("meta_unreadable", err=str(e).replace(str(p), _name(r))))]
        exif_keys = ("Make", "Model", "Software", "DateTimeOriginal", "DateTime", "LensModel", "Artist")
        exif = {k: md.exif[k] for k in exif_keys if k in md.exif}
        rows = [
            (self.t("meta_exif"), (_compact(exif, 400) + self.t("n_tags", n=len(md.exif))) if md.exif else absent),
            (self.t("meta_gps"), present if md.gps else absent),
            (self.t("meta_xmp"), present + self.t("n_chars", n=len(md.xmp)) if md.xmp else absent),
            (self.t("meta_icc"), present + self.t("n_bytes_paren", n=len(md.icc)) if md.icc else absent),
            (self.t("meta_text"), ", ".join(sorted(md.text)) if md.text else absent),
        ]
        if md.format == "JPEG":
            q = md.quantization or {}
            q0 = q.get(0) or []
            rows.append((self.t("meta_jpeg"),
                         self.t("jpeg_params", tables=len(q), sub=md.subsampling or "-",
                                prog=self.t("yes") if md.progressive else self.t("no"))
                         + (self.t("jpeg_luma", q=list(q0[:8])) if q0 else "")))
        return rows

    # the block of one method, shared by sections 3 and 5 ---------------------------------------
    def _method_block(self, i: int, r: dict[str, Any], f: dict[str, Any], *, figures_too: bool,
                      panel: tuple[int | None, str | None] = (None, None)) -> None:
        d = self.doc
        cls = self.classes.get(f.get("method"))
        d.add(Heading(3, f"{f.get('method')}  ·  {family_text(str(f.get('family')), self.lang)}"))
        rows = [
            (self.t("measures"), _summary(cls, self.lang) or "-"),
            (self.t("result"), _explanation(f, self.lang) or "-"),
        ]
        if f.get("applicable"):
            rows.append((self.t("score"), _fmt_num(f.get("score"), 4)))
            rows.append((self.t("llr"), f"{float(f.get('llr') or 0.0):+.3f}"))
        rows.append((self.t("version"), str(f.get("method_version") or "-")))
        if f.get("details"):
            rows.append((self.t("parameters"), _compact(f["details"])))
        if panel[0] is not None and panel[1] is not None:
            rows.append((self.t("figure"), self.t("figure_ref", n=panel[0], panel=panel[1])))
        elif f.get("heatmap") and not figures_too:
            hp = self._heatmap_path(f)
            self.doc.add(Para(self.t("heatmap_missing", path=hp.name if hp else "?"), "muted"))
        d.add(KeyValues(rows))
        if figures_too and f.get("heatmap"):
            self._heatmap(i, r, f)

    def _heatmap_path(self, f: dict[str, Any]) -> Path | None:
        if not f.get("heatmap"):
            return None
        hp = Path(str(f["heatmap"]))
        if not hp.is_absolute() and self.inp.case_root is not None and not hp.exists():
            hp = self.inp.case_root / hp
        return hp

    def _panels(self, fs: list[dict[str, Any]]) -> dict[str, str]:
        """Panel letters of the heatmap grid, for the methods whose heatmap file exists."""
        out: dict[str, str] = {}
        for f in fs:
            hp = self._heatmap_path(f)
            if hp is not None and hp.exists():
                k = len(out)
                out[f["method"]] = chr(97 + k) if k < 26 else str(k + 1)
        return out

    def _heatmap_grid(self, i: int, r: dict[str, Any], fs: list[dict[str, Any]], number: int) -> None:
        from huiyan.report import figures

        maps = [(f["method"], self._heatmap_path(f)) for f in fs if f["method"] in self._panels([f])]
        try:
            data, over = figures.heatmap_grid(self.pixels(i, r), maps)
        except Exception as e:
            self.doc.add(Para(self.t("figure_failed", err=f"{type(e).__name__}: {e}"), "muted"))
            return
        self.doc.add(Figure(data, self.t("fig_grid", n=number, item=i + 1), 1.0))

    def _heatmap(self, i: int, r: dict[str, Any], f: dict[str, Any]) -> None:
        from huiyan.report import figures

        hp = Path(str(f["heatmap"]))
        if not hp.is_absolute() and self.inp.case_root is not None and not hp.exists():
            hp = self.inp.case_root / hp
        if not hp.exists():
            self.doc.add(Para(self.t("heatmap_missing", path=hp.name), "muted"))
            return
        rgb = self.pixels(i, r)
        try:  # whether the map is overlaid is decided by what it is (figures.load_map), not its name
            png, overlaid = figures.heatmap_figure(rgb, hp, f["method"])
        except Exception as e:
            self.doc.add(Para(self.t("figure_failed", err=f"{type(e).__name__}: {e}"), "muted"))
            return
        key = "fig_heatmap" if overlaid else "fig_method"
        self.doc.add(Figure(png, self.t(key, n=self.figs.next(), item=i + 1, method=f["method"]),
                            0.75 if overlaid else 0.55))

    # 4 -----------------------------------------------------------------------------------------
    def detection(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_detection")), Para(self.t("detection_intro")))
        for i, r in enumerate(self.results):
            self.item_heading(i, r)
            fs = r.get("findings") or []
            if not fs:
                d.add(Para(self.t("no_methods"), "muted"))
                self.item_errors(r)
                continue
            rows = []
            for f in fs:
                ok = bool(f.get("applicable"))
                note = _explanation(f, self.lang) if ok else (f.get("reason") or _explanation(f, self.lang))
                rows.append([str(f.get("method")), family_text(str(f.get("family")), self.lang),
                             str(f.get("method_version")), self.t("yes") if ok else self.t("no"), note])
            d.add(Table(self.cols("detection_cols"), rows, (2.6, 1.5, 0.8, 0.8, 4.3)))
            self.item_errors(r)

    # 5 -----------------------------------------------------------------------------------------
    def analysis(self) -> None:
        from huiyan.report import figures

        d = self.doc
        d.add(Heading(1, self.t("sec_analysis")), Para(self.t("analysis_intro")))
        for i, r in enumerate(self.results):
            self.item_heading(i, r)
            if r.get("verdict") is None:
                self.item_errors(r)
                continue
            d.add(Heading(3, self.t("exhibits")))
            rgb = self.pixels(i, r)
            if rgb is None and r.get("media_type") == "video":
                rgb = self._first_still(r)
            if rgb is not None and min(rgb.shape[:2]) >= 16:
                holder: dict[str, Any] = {}

                def make(rgb=rgb, holder=holder):
                    png, (w, h) = figures.residual_figure(rgb)
                    holder.update(w=w, h=h)
                    return png

                try:
                    png = make()
                    d.add(Figure(png, self.t("fig_residual", n=self.figs.next(), item=i + 1, **holder), 1.0))
                except Exception as e:
                    d.add(Para(self.t("figure_failed", err=f"{type(e).__name__}: {e}"), "muted"))
            rest = [f for f in r.get("findings") or [] if f.get("family") != "provenance" and f.get("applicable")]
            if not rest:
                d.add(Para(self.t("no_applicable"), "muted"))
            panels = self._panels(rest)
            grid_no = self.figs.next() if panels else None
            for f in rest:
                self._method_block(i, r, f, figures_too=False, panel=(grid_no, panels.get(f["method"])))
            if panels:
                self._heatmap_grid(i, r, rest, grid_no)
            self._segments(r)
            self.item_errors(r)

    def _segments(self, r: dict[str, Any]) -> None:
        segs = [g for g in r.get("segments") or [] if isinstance(g, dict)]
        if not segs:
            return
        self.doc.add(Heading(3, self.t("segments")))
        rows = []
        for g in segs:
            reason = g.get("reason") or {}
            text = reason.get(self.lang) or reason.get("en") or "" if isinstance(reason, dict) else str(reason)
            who = reason.get("method", "") if isinstance(reason, dict) else ""
            rows.append([_fmt_num(g.get("start")), _fmt_num(g.get("end")), _fmt_num(g.get("score"), 3),
                         f"{who}: {text}" if who else text])
        self.doc.add(Table(self.cols("segment_cols"), rows, (1.0, 1.0, 1.0, 6.0)))
        named = [g for g in segs if g.get("frame")]
        gone = [Path(str(g["frame"])).name for g in named if not Path(str(g["frame"])).is_file()]
        if gone:
            self.doc.add(Para(self.t("frames_missing", names=", ".join(gone)), "muted"))
        shown = [g for g in named if Path(str(g["frame"])).is_file()][:4]
        if shown:
            from PIL import Image

            from huiyan.report import figures

            def make(shown=shown):
                frames = []
                for g in shown:
                    with Image.open(str(g["frame"])) as im:
                        rgb = np.asarray(im.convert("RGB"))
                    frames.append((f"{_fmt_num(g.get('start'))}-{_fmt_num(g.get('end'))} s, {_fmt_num(g.get('score'))}", rgb))
                return figures.frames_figure(frames)

            self.figure(make, "fig_segment_frames", 0.8, item=self._item_no(r))

    def _first_still(self, r: dict[str, Any]):
        try:
            got = self._video_sample(r)
        except Exception:  # the timeline figure of section 2 already reported why decoding failed
            return None
        if not got[1].stills:
            return None
        return got[1].stills[0][1]

    # 6 -----------------------------------------------------------------------------------------
    def comparison(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_comparison")), Para(self.t("comparison_intro")))
        for i, r in enumerate(self.results):
            self.item_heading(i, r)
            fs = [f for f in r.get("findings") or [] if f.get("applicable")]
            if not fs:
                d.add(Para(self.t("no_applicable"), "muted"))
                self.item_errors(r)
                continue
            rows = []
            for f in fs:
                m = calibration_entry(self.calib, f.get("method"), r.get("media_type"))
                if f.get("decisive"):
                    basis = self.t("decisive")
                elif m and m.get("method_version", f.get("method_version")) == f.get("method_version"):
                    basis = self.t("calibrated")
                else:
                    basis = self.t("uncalibrated")
                rows.append([str(f.get("method")), _fmt_num(f.get("score"), 4), f"{float(f.get('llr') or 0):+.3f}", basis])
            d.add(Table(self.cols("comparison_cols"), rows, (3.0, 1.2, 1.2, 4.0)))

    # 7 -----------------------------------------------------------------------------------------
    def evaluation(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_evaluation")), Para(self.t("evaluation_intro")))
        used: dict[str, tuple[str, str | None, dict[str, Any]]] = {}  # calibration key -> method, media, finding
        for r in self.results:
            for f in r.get("findings") or []:
                m = str(f.get("method"))
                used.setdefault(calibration_key(self.calib, m, r.get("media_type")), (m, r.get("media_type"), f))
        rows = []
        for key in sorted(used):
            m, media, f = used[key]
            cls = self.classes.get(m)
            inputs = ", ".join(getattr(cls, "inputs", ()) or ()) if cls else "-"
            rates = _method_rates(m, self.calib, self.lang, media)
            rows.append([key, str(f.get("method_version")), inputs, rates])
        if rows:
            d.add(Table(self.cols("evaluation_cols"), rows, (2.8, 0.8, 1.6, 4.2)))
        else:
            d.add(Para(self.t("no_methods"), "muted"))

    # 8 -----------------------------------------------------------------------------------------
    def synthesis(self) -> None:
        import math

        from huiyan.fusion import combine
        from huiyan.report import figures

        d = self.doc
        cap = float(self.calib.get("family_cap", combine.FAMILY_CAP))
        # the within-family rule follows the fusion module in use (strongest for and against, or sum)
        key = "synthesis_intro_max" if hasattr(combine, "family_llr") else "synthesis_intro"
        d.add(Heading(1, self.t("sec_synthesis")), Para(self.t(key, cap=cap, odds=math.exp(cap))))
        weights = self.calib.get("family_weights") or {}
        if weights:
            listed = ", ".join(f"{family_text(k, self.lang)} {float(v):.2f}" for k, v in sorted(weights.items()))
            d.add(Para(self.t("family_weights", weights=listed)))
        mweights = self.calib.get("method_weights") or {}
        if mweights:
            listed = ", ".join(f"{k} {float(v):.2f}" for k, v in sorted(mweights.items()))
            d.add(Para(self.t("method_weights", weights=listed)))
        for i, r in enumerate(self.results):
            bands = _bands(self.calib, r.get("media_type"))
            self.item_heading(i, r)
            if r.get("verdict") is None:
                self.item_errors(r)
                continue
            fam = r.get("family_llr") or {}
            rows = [[family_text(k, self.lang) + f" ({k})", f"{float(v):+.3f}"] for k, v in sorted(fam.items())]
            rows.append([self.t("total_llr"), f"{float(r.get('llr') or 0.0):+.3f}"])
            rows.append([self.t("posterior"), _fmt_num(r.get("score"), 4)])
            d.add(Table(self.cols("family_cols"), rows, (5.0, 3.0)))
            self.kind_llrs(r)
            reasons = r.get("reasons") or []
            d.add(Heading(3, self.t("reasons")))
            if not reasons:
                d.add(Para(self.t("no_reasons"), "muted"))
            for x in reasons:
                text = x.get(self.lang) or x.get("en") or ""
                d.add(Para(f"· {x.get('method')} (LLR {float(x.get('llr') or 0):+.2f}): {text}"))
            self.figure(
                lambda r=r, fam=fam, bands=bands: figures.llr_figure(r.get("findings") or [], fam,
                                                                     float(r.get("llr") or 0.0), bands),
                "fig_llr", 1.0, item=i + 1,
            )

    def kind_llrs(self, r: dict[str, Any]) -> None:
        """The LLR of each kind of manipulation in scope for the item's media type (the fused LLR is
        their mixture), and the kinds that could not be examined."""
        from huiyan.fusion.combine import KINDS, scope_of

        hyp = r.get("hypothesis_llr")
        if not hyp:  # results written before the mixture fusion, or decided by verified provenance
            return
        if set(hyp) == {"any"}:  # no method naming a kind applied
            self.doc.add(Para(self.t("kind_any", llr=f"{float(hyp['any']):+.3f}"), "muted"))
            return
        kinds = [k for k in KINDS if k in scope_of(r.get("media_type"))]
        rows = [[category_text(k, self.lang), f"{float(hyp[k]):+.3f}"] for k in kinds if k in hyp]
        if rows:
            self.doc.add(Table(self.cols("kind_cols"), rows, (5.0, 3.0)))
        for k in kinds:
            if k not in hyp:
                self.doc.add(Para(self.t("kind_not_examined", kind=category_text(k, self.lang)), "muted"))

    # 9 -----------------------------------------------------------------------------------------
    def opinion(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_opinion")), Para(self.t("opinion_intro")))
        band_rates = self.calib.get("band_error_rates") or {}
        for i, r in enumerate(self.results):
            v = r.get("verdict")
            if v is None:
                errs = "; ".join(r.get("errors") or []) or self.t("unknown")
                d.add(Para(self.t("opinion_none", n=i + 1, name=_name(r), err=errs), "alert"))
                continue
            d.add(Para(self.t("opinion_item", n=i + 1, name=_name(r), sha=r.get("sha256"),
                              verdict=verdict_text(v, self.lang)), "strong"))
            cat = category_text(r.get("category"), self.lang)
            d.add(Para(self.t("opinion_detail", llr=float(r.get("llr") or 0.0), score=float(r.get("score") or 0.0),
                              cat=self.t("opinion_category", cat=cat) if cat else "")))
            d.add(Para(self.meaning(v, r.get("media_type"))))
            rates = r.get("band_error_rates") or band_rates.get(v)
            d.add(Para(self.t("band_rates_item", rates=_rates_text(rates, self.lang)) if rates else self.t("band_rates_none"),
                       "muted"))
        # one table of grades per media type in the case (images and videos have their own bands)
        for mt in sorted({r.get("media_type") for r in self.results if r.get("media_type")}) or [None]:
            bands = _bands(self.calib, mt)
            if mt:
                d.add(Para(media_text(mt, self.lang), "strong"))
            lo = {"synthetic": f"≥ {bands['synthetic']:+.2f}",
                  "likely_synthetic": f"[{bands['likely_synthetic']:+.2f}, {bands['synthetic']:+.2f})",
                  "inconclusive": f"({bands['likely_authentic']:+.2f}, {bands['likely_synthetic']:+.2f})",
                  "likely_authentic": f"({bands['authentic']:+.2f}, {bands['likely_authentic']:+.2f}]",
                  "authentic": f"≤ {bands['authentic']:+.2f}"}
            rates = (self.calib.get("band_error_rates_by_media") or {}).get(mt) or band_rates
            rows = [[verdict_text(g, self.lang), lo[g], self.meaning(g, mt), _rates_text(rates.get(g), self.lang) or "-"]
                    for g in VERDICT_ORDER]
            d.add(Table(self.cols("grade_cols"), rows, (1.8, 1.6, 4.6, 1.8)))

    # 10 ----------------------------------------------------------------------------------------
    def limitations(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_limitations")))
        for line in self.t("limitations").split("\n"):
            d.add(Para(line))
        # what an inconclusive grade means for each kind of manipulation, measured on the development data
        for mt in sorted({r.get("media_type") for r in self.results if r.get("media_type")}):
            table = kind_table(self.calib, mt, self.lang)
            if table:
                d.add(Para(self.t("limit_kinds", media=self.t(mt) if mt in ("image", "video") else mt,
                                  grade=verdict_text("likely_synthetic", self.lang)), "strong"))
                d.add(Table(table[0], table[1], (2.6, 1.0, 1.8, 2.6, 1.6)))
        for i, r in enumerate(self.results):
            parts = []
            fs = r.get("findings") or []
            na = [f["method"] for f in fs if not f.get("applicable")]
            if na:
                parts.append(self.t("limit_na", k=len(na), methods=", ".join(na)))
            unc = [f["method"] for f in fs if f.get("applicable") and not f.get("decisive")
                   and not calibration_entry(self.calib, f["method"], r.get("media_type"))]
            if unc:
                parts.append(self.t("limit_uncal", k=len(unc), methods=", ".join(unc)))
            if r.get("media_type") not in ("image", "video"):
                # no kind table, no per-media bands, rates or method maps apply to it: say so
                parts.append(self.t("limit_no_media"))
            if r.get("errors"):
                parts.append(self.t("limit_err", err="; ".join(r["errors"])))
            if parts:
                sep = "；" if self.lang == "zh" else "; "
                d.add(Para(self.t("limit_item", n=i + 1, text=sep.join(parts)), "muted"))

    # appendix ---------------------------------------------------------------------------------
    def appendix(self) -> None:
        d = self.doc
        d.add(Heading(1, self.t("sec_appendix")))
        libs = []
        for name in ("numpy", "pillow", "av", "opencv-python-headless", "scipy", "matplotlib", "fpdf2",
                     "noto-cjk-sans-otc"):
            try:
                libs.append(f"{name} {importlib_metadata.version(name)}")
            except importlib_metadata.PackageNotFoundError:
                libs.append(f"{name} ({self.t('not_installed')})")
        rows = [
            [self.t("app_software"), f"huiyan {__version__}"],
            [self.t("app_python"), sys.version.split()[0] + f" ({platform.python_implementation()})"],
            [self.t("app_platform"), f"{platform.system()} {platform.release()} {platform.machine()}"],
            [self.t("app_libraries"), ", ".join(libs)],
            [self.t("app_reference"), _reference_version(self.calib) or self.t("app_no_calibration")],
            [self.t("app_calibration"), _calibration_version(self.calib) or self.t("app_no_calibration")],
            [self.t("app_font"), self.t("font_note")],
        ]
        d.add(Table(self.cols("appendix_cols"), rows, (2.2, 7.0), row_keys={"font": len(rows) - 1}))
        d.add(Heading(2, self.t("app_methods")))
        rows2 = [[m, family_text(c.family, self.lang), c.version, ", ".join(c.media_types)]
                 for m, c in sorted(self.classes.items())]
        d.add(Table(self.cols("app_methods_cols"), rows2, (3.5, 2.0, 1.0, 1.6)))
        if self.registry_error:
            d.add(Para(self.t("registry_failed", err=self.registry_error), "alert"))
        d.add(Para(self.t("app_report_hash")), Para(self.t("reproducible"), "muted"))

