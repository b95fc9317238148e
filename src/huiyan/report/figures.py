"""Figures of the appraisal report, drawn with matplotlib (Agg) into PNG (charts) or JPEG (photographic
figures) bytes.

Every figure is deterministic: no randomness, a fixed SVG hash salt, and PNG metadata without a
software stamp, so the same input gives the same bytes. Text inside the figures is kept
language-neutral (method ids, numbers, units); the bilingual captions live in the document.

The noise residual and its spectrum drawn here are exhibits for the reader, computed the same
way for every image (image minus its 3x3 median, FFT of the Hann-windowed residual); they are not
a method result and do not enter the fusion.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from huiyan.media.color import luma

DPI = 110
FAMILY_COLOURS = {
    "provenance": "#4c72b0",
    "physical": "#dd8452",
    "fingerprint": "#55a868",
    "physiological": "#c44e52",
    "temporal": "#8172b3",
}
BAND_COLOURS = {
    "synthetic": "#f4b6b6",
    "likely_synthetic": "#fbdcc4",
    "inconclusive": "#eeeeee",
    "likely_authentic": "#cfe3f1",
    "authentic": "#a9cbe8",
}
_RC = {
    "svg.hashsalt": "huiyan-report",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 8,
    "figure.dpi": DPI,
}


def _new_figure(w_in: float, h_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w_in, h_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    """A chart as PNG (lossless, small for flat colours), without a software stamp."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def _jpeg(fig, quality: int = 85) -> bytes:
    """A photographic figure as baseline JPEG (a PNG of a photo is ten times larger)."""
    from PIL import Image

    fig.set_facecolor("white")
    canvas = fig.canvas
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="JPEG", quality=quality, subsampling=0)
    return buf.getvalue()


def _rc():
    import matplotlib

    return matplotlib.rc_context(_RC)


def downscale(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Area-downscale an H x W (x C) uint8 array so that its longer side is at most `max_side`."""
    from PIL import Image

    h, w = rgb.shape[:2]
    s = max(h, w)
    if s <= max_side:
        return rgb
    f = max_side / s
    im = Image.fromarray(rgb)
    return np.asarray(im.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.BOX))


def image_figure(rgb: np.ndarray) -> bytes:
    """The item as a picture (scaled for display)."""
    small = downscale(rgb, 900)
    h, w = small.shape[:2]
    with _rc():
        fig = _new_figure(6.0, 6.0 * h / w if w else 4.0)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(small, interpolation="antialiased")
        ax.set_axis_off()
        return _jpeg(fig)


@dataclass(frozen=True)
class HeatMap:
    """A method's saved map as the report draws it.

    `scalar`: one value per pixel in [0, 1], drawn with a colour scale (else an RGB picture drawn as
    is). `geometry`: "image" (on the item's pixel grid, may be overlaid), "other" (own axes: a
    spectrum, a plot; shown on its own) or "unknown" (an artifact written before maps carried
    their kind; then the aspect ratio decides). `source`: "metadata" or "content", how this was
    known.
    """

    data: np.ndarray
    scalar: bool
    geometry: str
    source: str


def _normalise(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float32)
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def centred_spectrum_like(a: np.ndarray) -> bool:
    """True when a 2-D map is point-symmetric about its centre as an fftshift-ed spectrum is.

    The magnitude spectrum of a real image satisfies |F(-u, -v)| = |F(u, v)|, and the per-pixel
    monotone scaling to 8 bits keeps that equality exact; a map on the image grid (noise, ELA,
    CFA, ...) is not symmetric that way. Used only for maps saved without their kind.
    """
    if a.ndim != 2 or min(a.shape) < 8 or float(a.max()) == float(a.min()):
        return False
    h, w = a.shape
    iy = (2 * (h // 2) - np.arange(h)) % h
    ix = (2 * (w // 2) - np.arange(w)) % w
    return float(np.mean(np.isclose(a, a[iy][:, ix], atol=1e-3))) >= 0.99


def load_map(path: Path) -> HeatMap:
    """Read a heatmap PNG and what it is: from its `huiyan:kind` / `huiyan:geometry` text chunks
    (written by `huiyan.detectors._residual.save_heatmap`), else from its contents."""
    from PIL import Image

    from huiyan.detectors._residual import HEATMAP_GEOMETRY, HEATMAP_KIND

    with Image.open(path) as im:
        im.load()
        info = {str(k): str(v) for k, v in (getattr(im, "text", None) or {}).items()}
        kind = info.get(HEATMAP_KIND, "").strip().lower()
        geometry = info.get(HEATMAP_GEOMETRY, "").strip().lower()
        if kind == "scalar":
            return HeatMap(_normalise(np.asarray(im.convert("F"))), True, geometry or "unknown", "metadata")
        if kind == "rgb":
            return HeatMap(np.asarray(im.convert("RGB")), False, geometry or "unknown", "metadata")
        # an artifact without its kind (older than the chunks): decide by what the pixels are
        if im.mode in ("L", "I", "I;16", "F", "1", "LA"):
            a, scalar = np.asarray(im.convert("F"), dtype=np.float32), True
        else:
            rgb = np.asarray(im.convert("RGB"))
            scalar = bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))
            a = rgb[..., 0].astype(np.float32) if scalar else rgb
    if not scalar:
        return HeatMap(a, False, "unknown", "content")
    return HeatMap(_normalise(a), True, "other" if centred_spectrum_like(a) else "unknown", "content")


def _overlay(rgb: np.ndarray | None, hm: HeatMap) -> bool:
    """Whether to draw `hm` over the image: never for a map on its own axes, and only when the
    aspect ratios agree (a map on the image grid has the image's aspect ratio by construction)."""
    if rgb is None or hm.geometry == "other":
        return False
    ih, iw = rgb.shape[:2]
    mh, mw = hm.data.shape[:2]
    return abs(iw / ih - mw / mh) <= 0.02 * (iw / ih)


def heatmap_figure(rgb: np.ndarray | None, heatmap: Path, title: str) -> tuple[bytes, bool]:
    """The image with a method's heatmap overlaid: (JPEG, overlaid).

    A map on its own axes (a spectrum, a plot: see `HeatMap.geometry`), a map whose aspect ratio
    differs from the image's, or no image: the map is shown on its own and `overlaid` is False.
    """
    from PIL import Image

    loaded = load_map(heatmap)
    hm, scalar = loaded.data, loaded.scalar
    overlay = _overlay(rgb, loaded)
    with _rc():
        if overlay:
            base = downscale(rgb, 900)
            h, w = base.shape[:2]
            fig = _new_figure(6.0, 6.0 * h / w + 0.3)
            ax = fig.add_axes((0.0, 0.0, 0.88, 1 - 0.3 / (6.0 * h / w + 0.3)))
            ax.imshow(base, interpolation="antialiased")
            if scalar:
                m = np.asarray(Image.fromarray(hm.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR))
                im = ax.imshow(m, cmap="inferno", alpha=0.55, vmin=0.0, vmax=1.0, interpolation="nearest")
                cax = fig.add_axes((0.90, 0.1, 0.025, 0.7))
                fig.colorbar(im, cax=cax)
            else:
                m = np.asarray(Image.fromarray(hm).resize((w, h), Image.Resampling.BILINEAR))
                ax.imshow(m, alpha=0.5, interpolation="nearest")
        else:
            h, w = hm.shape[:2]
            fig = _new_figure(5.0, min(7.0, 5.0 * h / w) + 0.3)
            ax = fig.add_axes((0.02, 0.02, 0.86, 0.9))
            if scalar:
                im = ax.imshow(hm, cmap="inferno", interpolation="antialiased")
                cax = fig.add_axes((0.90, 0.1, 0.025, 0.7))
                fig.colorbar(im, cax=cax)
            else:
                ax.imshow(hm, interpolation="antialiased")
        ax.set_title(title)
        ax.set_axis_off()
        return _jpeg(fig), overlay


def heatmap_grid(rgb: np.ndarray | None, maps: list[tuple[str, Path]], cols: int = 2) -> tuple[bytes, list[bool]]:
    """Several methods' heatmaps, each overlaid on the image, in one grid: (JPEG, overlaid per map).

    A map on its own axes (a spectrum, a plot: see `HeatMap.geometry`) or whose aspect ratio
    differs from the image's is shown on its own in its panel, titled "[map]".
    """
    from PIL import Image

    loaded = [(title, load_map(p)) for title, p in maps]
    base = downscale(rgb, 700) if rgb is not None else None
    n = len(loaded)
    cols = max(1, min(3 if n > 4 else cols, n))
    rows = (n + cols - 1) // cols
    aspect = (base.shape[0] / base.shape[1]) if base is not None else 1.0
    panel_h = (7.0 / cols) * 0.85 * min(1.4, max(0.5, aspect))
    overlaid: list[bool] = []
    with _rc():
        fig = _new_figure(7.0, rows * (panel_h + 0.35))
        for k, (title, loaded_map) in enumerate(loaded):
            hm, scalar = loaded_map.data, loaded_map.scalar
            ax = fig.add_subplot(rows, cols, k + 1)
            over = _overlay(base, loaded_map)
            overlaid.append(over)
            if over:
                h, w = base.shape[:2]
                ax.imshow(base, interpolation="antialiased")
                if scalar:
                    m = np.asarray(Image.fromarray(hm.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR))
                    im = ax.imshow(m, cmap="inferno", alpha=0.55, vmin=0.0, vmax=1.0, interpolation="nearest")
                else:
                    m = np.asarray(Image.fromarray(hm).resize((w, h), Image.Resampling.BILINEAR))
                    im = ax.imshow(m, alpha=0.5, interpolation="nearest")
            else:
                im = ax.imshow(hm, cmap="inferno" if scalar else None, interpolation="antialiased")
            if scalar:
                fig.colorbar(im, ax=ax, fraction=0.035, pad=0.02)
            ax.set_title(f"({chr(97 + k) if k < 26 else k + 1}) {title}" + ("" if over else " [map]"),
                         fontsize=7 if cols > 2 else 8)
            ax.set_axis_off()
        fig.tight_layout()
        return _jpeg(fig), overlaid


def noise_residual(gray: np.ndarray) -> np.ndarray:
    """The image minus its 3x3 median: what is left is mostly sensor noise and fine texture."""
    from scipy.ndimage import median_filter

    g = gray.astype(np.float32)
    return g - median_filter(g, size=3, mode="reflect")


def residual_spectrum(res: np.ndarray) -> np.ndarray:
    """Log magnitude of the centred 2-D FFT of the Hann-windowed residual."""
    h, w = res.shape
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    f = np.fft.fftshift(np.fft.fft2((res - res.mean()) * win))
    return np.log1p(np.abs(f)).astype(np.float32)


def centre_crop(a: np.ndarray, side: int) -> np.ndarray:
    h, w = a.shape[:2]
    y0 = max(0, (h - side) // 2)
    x0 = max(0, (w - side) // 2)
    return a[y0 : y0 + side, x0 : x0 + side]


def residual_figure(rgb: np.ndarray, crop: int = 768) -> tuple[bytes, tuple[int, int]]:
    """Noise residual and its spectrum on the central crop at the original resolution."""
    gray = luma(centre_crop(rgb, crop))
    res = noise_residual(gray)
    spec = residual_spectrum(res)
    s = float(res.std()) or 1.0
    lo, hi = np.percentile(spec, [1.0, 99.8])
    h, w = res.shape
    with _rc():
        fig = _new_figure(7.0, 3.6 * max(0.4, min(1.5, h / w)) + 0.3)
        ax1 = fig.add_subplot(1, 2, 1)
        ax1.imshow(res, cmap="gray", vmin=-3 * s, vmax=3 * s, interpolation="antialiased")
        ax1.set_title(f"noise residual (std {s:.2f})")
        ax1.set_axis_off()
        ax2 = fig.add_subplot(1, 2, 2)
        ax2.imshow(spec, cmap="magma", vmin=lo, vmax=hi, interpolation="antialiased",
                   extent=(-0.5, 0.5, 0.5, -0.5))
        ax2.set_title("residual spectrum (log |F|)")
        ax2.set_xlabel("cycles / pixel")
        ax2.tick_params(labelsize=7)
        fig.tight_layout()
        return _jpeg(fig), (w, h)


def _segment_span(seg: dict[str, Any]) -> tuple[float, float, float | None] | None:
    """(start, end, value) of a segment dict, tolerant of the key names methods use."""
    start = next((seg[k] for k in ("start", "start_s", "t0", "begin") if k in seg), None)
    end = next((seg[k] for k in ("end", "end_s", "t1", "stop") if k in seg), None)
    val = next((seg[k] for k in ("score", "llr", "value") if k in seg), None)
    try:
        start = float(start)
        end = float(end) if end is not None else start
        val = float(val) if val is not None else None
    except (TypeError, ValueError):
        return None
    return start, end, val


def timeline_figure(
    stills: list[tuple[float, np.ndarray]],
    packet_times: np.ndarray,
    packet_sizes: np.ndarray,
    packet_keys: np.ndarray,
    duration: float,
    segments: list[dict[str, Any]] | None = None,
) -> bytes:
    """Sampled frames over the clip, packet sizes with key frames, and segment scores."""
    n = max(1, len(stills))
    with _rc():
        fig = _new_figure(7.0, 3.8)
        for i, (t, rgb) in enumerate(stills):
            ax = fig.add_axes((0.02 + i * 0.96 / n, 0.55, 0.96 / n - 0.01, 0.4))
            ax.imshow(downscale(rgb, 240), interpolation="antialiased")
            ax.set_title(f"t = {t:.2f} s", fontsize=7)
            ax.set_axis_off()
        ax = fig.add_axes((0.08, 0.12, 0.84, 0.33))
        t = np.asarray(packet_times, dtype=float)
        sz = np.asarray(packet_sizes, dtype=float) / 1024.0
        keys = np.asarray(packet_keys, dtype=bool)
        if t.size:
            order = np.argsort(t, kind="stable")
            ax.plot(t[order], sz[order], lw=0.8, color="#4c72b0")
            for kt in t[keys]:
                ax.axvline(float(kt), color="#c44e52", lw=0.8, alpha=0.8)
        spans = [sp for sp in (_segment_span(g) for g in segments or [] if isinstance(g, dict)) if sp]
        if spans:
            ax_s = ax.twinx()
            for s0, s1, val in spans:
                if val is None:
                    continue
                ax_s.plot([s0, max(s1, s0 + 1e-3)], [val, val], color="#dd8452", lw=2.0)
                if val >= 0.5:
                    ax_s.axvspan(s0, max(s1, s0 + 1e-3), color="#dd8452", alpha=0.18, lw=0)
            ax_s.set_ylim(0, 1.05)
            ax_s.set_ylabel("segment score", color="#b0602a")
        ax.set_xlim(0, max(duration, float(t.max()) if t.size else 0.0, 1e-3))
        ax.set_xlabel("time (s)")
        ax.set_ylabel("packet size (KiB)")
        return _jpeg(fig)


def frames_figure(frames: list[tuple[str, np.ndarray]]) -> bytes:
    """A row of video frames with their titles (e.g. the frames of the strongest segments)."""
    n = max(1, len(frames))
    with _rc():
        fig = _new_figure(7.0, 7.0 / n * 0.75 + 0.4)
        for k, (title, rgb) in enumerate(frames):
            ax = fig.add_subplot(1, n, k + 1)
            ax.imshow(downscale(rgb, 480), interpolation="antialiased")
            ax.set_title(title)
            ax.set_axis_off()
        fig.tight_layout()
        return _jpeg(fig)


def llr_figure(
    findings: list[dict[str, Any]],
    family_llr: dict[str, float],
    total: float,
    bands: dict[str, float],
) -> bytes:
    """Per-method LLRs (left) and capped family LLRs with the combined LLR on the grade bands."""
    rows = [f for f in findings if f.get("applicable")]
    rows.sort(key=lambda f: (f.get("family", ""), f.get("method", "")))
    with _rc():
        fig = _new_figure(7.0, max(2.4, 0.28 * max(len(rows), len(family_llr) + 1) + 1.0))
        ax1 = fig.add_subplot(1, 2, 1)
        if rows:
            y = np.arange(len(rows))
            vals = [float(f.get("llr") or 0.0) for f in rows]
            ax1.barh(y, vals, color=[FAMILY_COLOURS.get(f.get("family"), "#999999") for f in rows])
            ax1.set_yticks(y, [f["method"] for f in rows], fontsize=6.5)
            ax1.invert_yaxis()
            lim = max(1.0, max(abs(v) for v in vals) * 1.15)
            ax1.set_xlim(-lim, lim)
        else:
            ax1.set_yticks([])
            ax1.text(0.5, 0.5, "no applicable method", ha="center", va="center", transform=ax1.transAxes)
        ax1.axvline(0, color="black", lw=0.6)
        ax1.set_xlabel("LLR per method")
        ax2 = fig.add_subplot(1, 2, 2)
        lim = max(6.0, abs(total) * 1.15, *(abs(v) * 1.15 for v in family_llr.values()))
        edges = [
            ("authentic", -lim, bands["authentic"]),
            ("likely_authentic", bands["authentic"], bands["likely_authentic"]),
            ("inconclusive", bands["likely_authentic"], bands["likely_synthetic"]),
            ("likely_synthetic", bands["likely_synthetic"], bands["synthetic"]),
            ("synthetic", bands["synthetic"], lim),
        ]
        for name, a, b in edges:
            ax2.axvspan(a, b, color=BAND_COLOURS[name], lw=0)
        fams = sorted(family_llr)
        labels = fams + ["combined"]
        vals = [family_llr[f] for f in fams] + [total]
        colours = [FAMILY_COLOURS.get(f, "#999999") for f in fams] + ["#222222"]
        y = np.arange(len(labels))
        ax2.barh(y, vals, color=colours, height=0.6)
        ax2.set_yticks(y, labels, fontsize=7)
        ax2.invert_yaxis()
        ax2.set_xlim(-lim, lim)
        ax2.axvline(0, color="black", lw=0.6)
        ax2.set_xlabel("LLR (family capped, combined)")
        fig.tight_layout()
        return _png(fig)
