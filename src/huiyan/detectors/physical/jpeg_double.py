"""Compression history of a JPEG: aligned and non-aligned double quantisation, and JPEG ghosts;
for a file that is not a JPEG, the history read from its decoded pixels (version 0.2).

What it measures, on the decoded luma (a centre crop of at most 768 x 768 on the JPEG 8x8 grid):
- aligned double quantisation (A-DJPG): the 8x8 DCT coefficients divided by the quantisation
  steps form integer histograms; a single compression gives a smooth, Laplacian-like
  histogram, a second compression with a different step gives periodic gaps or peaks. The
  roughness of the log histogram (second difference) at low frequencies is the measure;
- non-aligned double compression (NA-DJPG): blocking discontinuities at a phase of the 8-pixel
  grid other than the last compression's, left by an earlier compression before a crop;
- JPEG ghosts: the squared difference between the image and its recompression at qualities
  50..100 dips at the quality of an earlier compression; the depth of such a secondary dip, and
  a per-block map at that quality (regions that lack the ghost were pasted in).

Where the table and grid come from: a JPEG file (format JPEG with a quantisation table) uses its
own luma table and the grid at (0, 0), as in 0.1. Any other image (a PNG, TIFF, WebP ... e.g. a
JPEG re-saved losslessly, as the "stripped" protocol does) keeps its compression history in the
pixels: `estimate_jpeg_history` finds the grid offset from blocking and the steps of the 15
lowest frequencies from the periodicity of the DCT coefficients (Fan & de Queiroz 2003), and the
same three measurements run with the estimated table on the estimated grid. The details say
`table_source` "estimated from pixels" with the estimate (grid, steps, IJG quality if a standard
table fits, confidence). Below PIXEL_CONFIDENCE the method is not applicable ("no earlier JPEG
compression visible in the pixels"). Nothing but pixels decides: not the file name or path, and
of the container only whether it is a JPEG file with a table.

Why it matters: an untouched camera JPEG is compressed once. An image that was opened, edited and
saved again carries two compression histories, and a pasted region carries a different one.
This is evidence of processing, NOT of generation: re-saving a camera photo (as publishers and
messaging apps do, and as the laundered protocol does to every file) produces the same trace, and
a camera JPEG re-saved as PNG shows a JPEG history in its pixels like any other decoded JPEG.

Papers: Farid, "Exposing digital forgeries from JPEG ghosts", IEEE TIFS 2009,
doi:10.1109/TIFS.2008.2012215; Bianchi & Piva, "Image forgery localization via block-grained
analysis of JPEG artifacts", IEEE TIFS 2012, doi:10.1109/TIFS.2012.2187516; Lukas & Fridrich 2003
(double quantisation histograms); Fan & de Queiroz, "Identification of bitmap compression
history: JPEG detection and quantizer estimation", IEEE TIP 2003, doi:10.1109/TIP.2002.807361
(the pixel route).

Score (higher = more evidence of a second compression): sum of the three normalised components.
Failure cases: the same quality used twice (no DQ trace), second quality much lower than the first
(the first is erased), resizing between compressions, very small or flat images (too few non-zero
coefficients), chroma-only edits. Pixel route in addition: a last compression at quality >= ~96
(steps of 1 leave no lattice: not applicable; 10 of the 110 development JPEGs, 8 at 96-97); any resize, rotation
or filtering after the last compression (the lattice is gone: not applicable); where an earlier
step is a multiple of the last one (always so when the last step is 1) the coefficients are
exactly those of a single compression at the earlier step, and that is what is read: no DQ trace
at those frequencies (the price of no false trace on single compressions); images that are
mostly flat, graphics or clipped (few usable coefficients: steps of sparse frequencies can be
read as multiples); a table that is not IJG-scaled is estimated frequency by frequency.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register
from huiyan.detectors.provenance.jpeg_qtables import ANNEX_K_LUMA
from huiyan.detectors.provenance.jpeg_qtables import ijg_table as _ijg_table

CROP = 768
GHOST_QUALITIES = tuple(range(50, 101, 5))
DQ_POSITIONS = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2))


def _crop_box8(h: int, w: int, size: int = CROP) -> tuple[slice, slice]:
    """Rows and columns of the centre crop of at most size x size on the image's own 8x8 grid."""
    ch, cw = min(h, size) // 8 * 8, min(w, size) // 8 * 8
    y0, x0 = (h - ch) // 2 // 8 * 8, (w - cw) // 2 // 8 * 8
    return slice(y0, y0 + ch), slice(x0, x0 + cw)


def _center_crop8(gray: np.ndarray, size: int = CROP) -> np.ndarray:
    return gray[_crop_box8(*gray.shape, size)]


def dq_roughness(gray: np.ndarray, qtable: np.ndarray) -> float:
    """Mean |second difference of log histogram| of quantised low-frequency DCT coefficients."""
    coef = R.block_dct8(gray)
    vals = []
    for u, v in DQ_POSITIONS:
        k = np.abs(np.rint(coef[:, :, u, v] / max(float(qtable[u, v]), 1.0))).astype(int).ravel()
        h = np.bincount(k[(k >= 1) & (k <= 24)], minlength=25)[1:]
        keep = np.nonzero(h >= 20)[0]
        n = int(keep[-1]) + 1 if keep.size else 0
        if n < 5:
            continue
        lh = np.log(h[:n] + 1.0)
        d2 = np.abs(lh[2:] - 2 * lh[1:-1] + lh[:-2])
        vals.append(float(np.mean(d2)))
    return float(np.mean(vals)) if vals else 0.0


def ghost_curve(gray: np.ndarray) -> np.ndarray:
    """Mean squared difference between `gray` and its recompression at each GHOST_QUALITIES."""
    return np.array([float(np.mean((gray - R.jpeg_roundtrip(gray, q)) ** 2)) for q in GHOST_QUALITIES])


def ghost_dip(curve: np.ndarray, own_quality: float | None) -> tuple[float, int | None]:
    """Depth of the deepest local minimum of the curve below the file's own quality."""
    best, best_q = 0.0, None
    for i in range(1, len(curve) - 1):
        q = GHOST_QUALITIES[i]
        if own_quality is not None and q >= own_quality - 2:
            continue
        lo = min(curve[i - 1], curve[i + 1])
        if curve[i] < lo:
            depth = (lo - curve[i]) / max(lo, 1e-6)
            if depth > best:
                best, best_q = depth, q
    return float(best), best_q


def nonaligned_grid(gray: np.ndarray) -> dict[str, float]:
    """Strength of an 8-periodic blocking grid at phases other than the file's own (7|0)."""
    rows, cols = R.grid_profiles(gray, 8)
    out = {}
    for name, p in (("rows", rows), ("cols", cols)):
        base = float(np.median(p)) + 1e-6
        other = [p[k] for k in range(8) if k not in (7, 0)]
        out[f"aligned_{name}"] = round(float((p[7] + p[0]) / 2 / base - 1), 4)
        out[f"shifted_{name}"] = round(float(max(other) / base - 1), 4)
    out["shifted"] = round(min(out["shifted_rows"], out["shifted_cols"]), 4)
    return out


def ghost_map(gray: np.ndarray, quality: int, block: int = 16) -> np.ndarray:
    """Per-block recompression difference at `quality`, normalised by local activity.

    Blocks that went through a compression at `quality` before show a low value; a pasted
    region (another history) a high one.
    """

    def strip(x: np.ndarray) -> np.ndarray:
        d = R.block_reduce((x - R.jpeg_roundtrip(x, quality)) ** 2, block)
        act = R.block_reduce(np.abs(R.linear_residual(x)), block)
        return d / (act + 1.0)

    return R.strip_blocks(np.asarray(gray, np.float32), block, strip, rows=1024)


# pixel-only compression history (Fan & de Queiroz 2003) --------------------------------------
# the 15 lowest frequencies in zigzag order (u + v <= 4): enough non-zero coefficients to estimate
# their steps even at moderate quality; they contain every DQ_POSITIONS entry
EST_POSITIONS = tuple(sorted(((u, v) for u in range(8) for v in range(8) if u + v <= 4),
                             key=lambda t: (t[0] + t[1], t[1] if (t[0] + t[1]) % 2 == 0 else t[0])))
MAX_STEP = 64
MAX_BLOCKS = 6000  # blocks used per estimate (a 768 x 768 crop has 9216)
MAX_COEFS = 3000  # coefficients per frequency for the periodicity (its sampling noise ~0.02)
MIN_COEFS = 40  # informative coefficients needed to judge a step at one frequency
PIXEL_CONFIDENCE = 0.15  # below: "no earlier JPEG compression visible in the pixels"
def ijg_table(quality: int) -> np.ndarray:
    """The libjpeg luminance table at `quality` (1..100), baseline-clamped to 1..255, as 8x8."""
    return _ijg_table(ANNEX_K_LUMA, quality).reshape(8, 8).astype(int)


def blockiness_phases(gray: np.ndarray) -> np.ndarray:
    """Fan & de Queiroz's blocking measure per 8x8 phase: the mean of |A - B - C + D| over the
    2x2 pixel windows whose top-left pixel has phase (y mod 8, x mod 8). A window straddling a
    block boundary of a JPEG grid (phase 7 on that axis) is raised."""
    g = np.asarray(gray, np.float32)
    z = np.abs(g[:-1, :-1] - g[:-1, 1:] - g[1:, :-1] + g[1:, 1:])
    h, w = z.shape[0] // 8 * 8, z.shape[1] // 8 * 8
    return z[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(0, 2))


def _block_coefs(gray: np.ndarray, offset: tuple[int, int], max_blocks: int = MAX_BLOCKS,
                 rgb: np.ndarray | None = None) -> np.ndarray:
    """(n, 8, 8) DCT coefficients of the usable blocks on the grid at `offset`: neither clipped
    (a luma at 0 or 255, or with `rgb` any colour channel at 0 or 255: the decoder clipped it and
    the luma left the lattice) nor flat; at most `max_blocks`, evenly spread."""
    oy, ox = offset
    g = np.asarray(gray[oy:, ox:], np.float32)
    h, w = g.shape[0] // 8 * 8, g.shape[1] // 8 * 8
    b = g[:h, :w].reshape(h // 8, 8, w // 8, 8)
    lo, hi = b.min(axis=(1, 3)), b.max(axis=(1, 3))
    ok = (lo > 0.5) & (hi < 254.5) & (hi - lo > 1.0)
    if rgb is not None:
        c = rgb[oy : oy + h, ox : ox + w].reshape(h // 8, 8, w // 8, 8, -1)
        ok &= ~((c == 0) | (c == 255)).any(axis=(1, 3, 4))
    keep = np.flatnonzero(ok.ravel())
    if keep.size > max_blocks:
        keep = keep[np.linspace(0, keep.size - 1, max_blocks).astype(int)]
    blocks = b.transpose(0, 2, 1, 3).reshape(-1, 8, 8)[keep] - 128.0
    return R._D8 @ blocks @ R._D8.T


def _lattice(x: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate step d: how closely the coefficients with |x| >= d/2 sit on the
    multiples of d (mean of cos(2 pi x / d), 1 = exactly, ~0 = unrelated) and how many there are.
    Coefficients below d/2 would quantise to 0 with step d: they say nothing about its lattice
    (but their number does, see `_step`)."""
    x = x[np.abs(x) >= 0.5]  # zeros say nothing about any step >= 2
    if x.size > MAX_COEFS:
        x = x[np.linspace(0, x.size - 1, MAX_COEFS).astype(int)]
    a = np.abs(x)
    out, n = np.full(steps.size, np.nan), np.zeros(steps.size, int)
    for i, d in enumerate(steps):
        y = x[a >= d / 2.0]
        n[i] = y.size
        if y.size < MIN_COEFS:  # fewer still for every larger step
            break
        out[i] = float(np.mean(np.cos((2 * np.pi / d) * y)))
    return out, n


def _implied_noise(p: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The Gaussian noise s around the multiples of d that gives periodicity p:
    p = exp(-2 pi^2 s^2 / d^2); inf where p <= 0 or unknown."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = steps / (2 * np.pi) * np.sqrt(-2 * np.log(np.clip(np.nan_to_num(p, nan=0.0), 1e-9, 1.0)))
    return np.where(np.nan_to_num(p, nan=0.0) > 0, s, np.inf)


def _floor(n: np.ndarray) -> np.ndarray:
    """Periodicity a structureless histogram of n values cannot reach by chance (~4 sigma)."""
    return np.maximum(0.1, 4.0 / np.sqrt(np.maximum(n, 1)))


def noise_level(full: dict, steps: np.ndarray) -> float:
    """The image's lattice noise: median over the AC frequencies of the smallest noise implied by
    any step that reaches periodicity. Rounding of the decoded pixels, the YCbCr -> RGB -> luma
    round trip and clipped colour channels give ~0.35-0.7 depending on the image and decoder."""
    vals = []
    for pos, (p, n) in full.items():
        if pos == (0, 0):
            continue
        ok = np.nan_to_num(p, nan=-1.0) >= _floor(n)
        if ok.any():
            vals.append(float(_implied_noise(p, steps)[ok].min()))
    return float(np.median(vals)) if vals else 0.6


def _accepted(p: np.ndarray, n: np.ndarray, steps: np.ndarray, dc: bool, noise: float) -> np.ndarray:
    """Steps on whose lattice the coefficients sit up to the image's own noise.

    On blocks without clipped colour channels the noise around the lattice is ~0.3-0.5 (AC) at
    any step (with clipped blocks it grows to ~1.2 at step 12: they are left out when the RGB
    pixels are given). A step d is accepted when the noise it implies is at most 1.5 x the
    expected noise (`_expected_noise`) and its periodicity is above chance. A multiple of the true step scores ~0 or below (odd
    multiples sit half-way), a divisor passes too; `_step` picks among the accepted ones."""
    lim = 1.5 * _expected_noise(steps, noise, dc)
    return (np.nan_to_num(p, nan=-1.0) >= _floor(n)) & (_implied_noise(p, steps) <= lim)


def _expected_noise(steps, noise: float, dc: bool):
    """Noise around an exact lattice on unclipped blocks: the image's noise (at least 0.4) for AC,
    ~1.2-1.5 measured for DC (at least 2.6 x the AC noise)."""
    return np.full(np.shape(steps), max(1.2, 2.6 * noise) if dc else max(0.4, noise))


def _step(acc: set[int], sig: dict[int, float], cnt: dict[int, int], noise: float, dc: bool) -> int:
    """The estimated step from the accepted ones (`sig`: the noise each implies, `cnt`: how many
    coefficients reach half of it): the largest accepted step, unless it is an *earlier*
    compression's or a multiple of the true one (1 when none is accepted).

    A single compression at step q leaves its coefficients on the multiples of q and so of every
    divisor of q. After a second compression at q2 the coefficients sit on the multiples of q2
    and, blurred by up to q2/2 (noise variance + q2^2/12), near those of the first step q1. A step
    D that is not a multiple of a smaller accepted step e and is blurred by more than half that
    (variance above expected + e^2/24) is such an earlier step and is passed over; if D is exact,
    e was a chance acceptance. A multiple D of an accepted e is passed over when fewer than half
    of the coefficients that reach e/2 reach D/2: the others (e.g. the +-7 of a step of 7 under
    D = 21) would be zeros of D but are not. Where q1 is a multiple of q2 the coefficients are
    those of a single compression at q1, and q1 is taken (reading q2 there would give a false
    DQ trace on every single-compressed image with that step)."""
    best = 1
    for d in sorted(acc):
        exp2 = float(_expected_noise(np.float64(d), noise, dc)) ** 2
        if all((cnt[d] >= 0.5 * cnt[e]) if d % e == 0 else (sig[d] ** 2 < exp2 + e * e / 24.0)
               for e in acc if e < d):
            best = d
    return best


def _estimate_step(p: np.ndarray, n: np.ndarray, steps: np.ndarray, noise: float, dc: bool) -> int:
    """The step of one frequency from its periodicity `p` and counts `n` per candidate step:
    `_step` over the steps `_accepted` lets through."""
    ok = _accepted(p, n, steps, dc, noise)
    sig = _implied_noise(p, steps)
    return _step({int(d) for d in steps[ok]}, {int(d): float(sig[d - 2]) for d in steps[ok]},
                 {int(d): int(n[d - 2]) for d in steps[ok]}, noise, dc)


def _fit_ijg(per_freq: dict, usable: list) -> tuple[int | None, int, int]:
    """The IJG quality whose table equals the per-frequency estimates at most frequencies (the
    coarsest of equally good ones). Only equality counts: a finer table whose steps merely
    divide the estimated ones would read a single compression as a double one.
    Returns (quality, matches, frequencies)."""
    best, best_m = None, -1
    for q in range(1, 101):
        t = ijg_table(q)
        m = sum(1 for pos in usable if int(t[pos]) == per_freq[pos])
        if m > best_m:
            best, best_m = q, m
    return best, best_m, len(usable)


def _nearest_quality(steps: dict, usable: list) -> int | None:
    """The IJG quality whose steps are closest (sum of |log ratio|) to the estimated steps > 1;
    a rough quality for a non-IJG table (used to leave the last compression out of the ghost)."""
    pos = [p for p in usable if steps[p] > 1]
    if not pos:
        return None
    return min(range(1, 101), key=lambda q: sum(abs(np.log(ijg_table(q)[p] / steps[p])) for p in pos))


def estimate_jpeg_history(gray: np.ndarray, rgb: np.ndarray | None = None) -> dict:
    """Whether decoded pixels went through a JPEG compression, on which 8x8 grid, with which steps.

    Fan & de Queiroz, "Identification of bitmap compression history: JPEG detection and quantizer
    estimation", IEEE TIP 12(2), 2003, doi:10.1109/TIP.2002.807361:
    1. grid: JPEG blocking raises the cross difference |A - B - C + D| of 2x2 windows straddling a
       block boundary (their Z'' vs Z' measure, here as its mean per 8x8 phase rather than a
       comparison of histograms); the row and column phases with the strongest blocking give the
       grid offset (two candidates per axis are kept);
    2. steps: on that grid, the 8x8 DCT coefficients of a decoded JPEG sit on the multiples of
       the quantisation step of their frequency, up to rounding noise. For each of the 15 lowest
       frequencies and each candidate step d = 2..64 the periodicity mean cos(2 pi c / d) over the
       coefficients |c| >= d/2 says how closely they sit on the multiples of d (in place of the
       paper's maximum-likelihood fit of the step); the steps whose implied noise is within the
       image's own noise level pass (`_accepted`), and the largest passing step that is neither
       blurred (an earlier compression) nor refuted as a multiple of a smaller one is the
       estimate (`_step`), 1 where none passes (step 1, or no compression);
    3. table: when one IJG (libjpeg) scaled table equals the estimates at >= 80 % of the
       frequencies it is taken (it also fills the other 49 steps); otherwise the per-frequency
       steps, with the nearest IJG quality as a rough quality.
    Of the four grid candidates, the one with the strongest lattice is kept; confidence is the
    mean over the 15 frequencies of the periodicity at the estimated step minus the same at the
    grid shifted by (4, 4) (a null: no lattice there), in [0, 1].

    `rgb` (the decoded pixels, optional) lets blocks with a clipped colour channel be left out.
    Works on the existing centre crop (<= 768 x 768, at most MAX_BLOCKS blocks), ~0.1-0.2 s
    whatever the image size. Fails (low confidence) for: quality >= ~96 (steps of 1 leave no
    lattice), a resize, rotation or strong filtering after the compression, images mostly flat or
    clipped. Reads an earlier compression's step where it is a multiple of the last (`_step`).
    """
    g = np.asarray(gray, np.float32)
    # centre crop on the image's own 8-grid: offsets found in the crop are offsets in the image
    box = _crop_box8(*g.shape, CROP + 8)
    crop = g[box]
    rgbc = None if rgb is None else np.asarray(rgb)[box]
    if min(crop.shape) < 24:  # fewer than two blocks plus a shift on an axis: nothing to measure
        return {"grid_offset": [0, 0], "blockiness": None, "grid_candidates": {}, "confidence": 0.0,
                "steps": None, "ijg_quality": None, "table_source": None, "blocks": 0, "table": None}
    bt = blockiness_phases(crop)
    rows, cols = bt.mean(axis=1), bt.mean(axis=0)
    # a window at phase 7 straddles the boundary between pixel 7 and 8 of a block at offset 0
    ry = [(int(k) + 1) % 8 for k in np.argsort(-rows)[:2]]
    rx = [(int(k) + 1) % 8 for k in np.argsort(-cols)[:2]]
    blockiness = {
        "rows": round(float(rows.max() / (np.median(rows) + 1e-6) - 1), 4),
        "cols": round(float(cols.max() / (np.median(cols) + 1e-6) - 1), 4),
    }
    steps = np.arange(2, MAX_STEP + 1)

    def lattice_at(off, positions, max_blocks):
        c = _block_coefs(crop, off, max_blocks, rgbc)
        if c.shape[0] < MIN_COEFS:
            return None, c
        return {pos: _lattice(c[:, pos[0], pos[1]], steps) for pos in positions}, c

    def strength(res):
        if res is None:
            return 0.0
        vals, noise = [], noise_level(res, steps)
        for pos, (p, n) in res.items():
            d = _estimate_step(p, n, steps, noise, pos == (0, 0))
            vals.append(float(p[d - 2]) if d > 1 else 0.0)
        return float(np.mean(vals))

    # pick the grid among the candidates on a few frequencies and fewer blocks
    quick = EST_POSITIONS[:6]
    cands = [(oy, ox) for oy in ry for ox in rx]
    scores = [strength(lattice_at(o, quick, 1500)[0]) for o in cands]
    off = cands[int(np.argmax(scores))]
    full, c_full = lattice_at(off, EST_POSITIONS, MAX_BLOCKS)
    out: dict = {"grid_offset": list(off), "blockiness": blockiness, "grid_candidates": {
        f"{o[0]},{o[1]}": round(s, 3) for o, s in zip(cands, scores, strict=True)}}
    if full is None:
        out.update(confidence=0.0, steps=None, ijg_quality=None, table_source=None, blocks=0, table=None)
        return out
    per_freq, usable = {}, []
    noise = noise_level(full, steps)
    for pos, (p, n) in full.items():
        per_freq[pos] = _estimate_step(p, n, steps, noise, pos == (0, 0))
        if np.nanmax(n) >= MIN_COEFS:
            usable.append(pos)
    q, m, k = _fit_ijg(per_freq, usable)
    ijg = q is not None and k >= 5 and m >= 0.8 * k and any(per_freq[p] > 1 for p in usable)
    if ijg:
        t = ijg_table(q)
        # the IJG tables that give the same steps at these frequencies: report the middle
        same = [qq for qq in range(1, 101) if all(ijg_table(qq)[p] == t[p] for p in usable)]
        est = {p: int(t[p]) for p in EST_POSITIONS}
        quality = int(round(float(np.median(same))))
    else:
        est, quality = dict(per_freq), None
    # confidence: periodicity at the estimated steps, aligned grid minus the (4, 4)-shifted null
    null = _block_coefs(crop, ((off[0] + 4) % 8, (off[1] + 4) % 8), MAX_BLOCKS, rgbc)
    gains, lat = [], {}
    for pos in EST_POSITIONS:
        d = est[pos]
        if d < 2:
            gains.append(0.0)
            continue
        a = c_full[:, pos[0], pos[1]]
        a = a[np.abs(a) >= d / 2.0]
        b = null[:, pos[0], pos[1]]
        b = b[np.abs(b) >= d / 2.0]
        pa = float(np.mean(np.cos(2 * np.pi * a / d))) if a.size >= MIN_COEFS else 0.0
        pb = float(np.mean(np.cos(2 * np.pi * b / d))) if b.size >= MIN_COEFS else 0.0
        lat[pos] = round(pa, 3)
        gains.append(max(0.0, pa - max(pb, 0.0)))
    # the full table when an IJG table fits, else the 15 estimated steps and 0 (unknown) elsewhere
    table = ijg_table(quality) if ijg else np.zeros((8, 8), int)
    for p, d in est.items():
        table[p] = d
    out.update(
        confidence=round(float(np.mean(gains)), 4),
        quality_nearest=quality if ijg else _nearest_quality(est, usable),
        steps={f"{u}{v}": int(d) for (u, v), d in est.items()},
        lattice={f"{u}{v}": v2 for (u, v), v2 in lat.items()},
        ijg_quality=quality,
        ijg_match=f"{m}/{k}",
        table_source="ijg_fit" if ijg else "per_frequency",
        lattice_noise=round(noise, 3),
        blocks=int(c_full.shape[0]),
        table=table.tolist(),
    )
    return out


def compression_history(item) -> dict[str, float | int | None]:
    """All three measurements for a JPEG item, with the file's own table and 8x8 grid."""
    from huiyan.detectors.physical.cfa import jpeg_quality_estimate

    quant = item.metadata.quantization
    qt = np.array(quant[0], np.float32).reshape(8, 8)
    own_q = jpeg_quality_estimate(quant)
    d = _measurements(item.gray, qt, own_q)
    d["table_source"] = "file"
    return d


def pixel_estimate(item) -> dict:
    """`estimate_jpeg_history` of the item's luma, computed once per item."""
    return R.cached(item, "jpeg_pixel_estimate", lambda: estimate_jpeg_history(item.gray, item.pixels))


def compression_history_from_pixels(item) -> dict:
    """The same measurements for pixels without a JPEG table: on the estimated grid, with the
    estimated table (its steps at DQ_POSITIONS are always estimated) and IJG quality if one fits."""
    est = pixel_estimate(item)
    oy, ox = est["grid_offset"]
    qt = np.array(est["table"], np.float32)
    d = _measurements(item.gray[oy:, ox:], qt, est["ijg_quality"] or est["quality_nearest"])
    d["table_source"] = "estimated from pixels"
    d["pixel_estimate"] = {k: v for k, v in est.items() if k != "table"}
    return d


def _measurements(gray: np.ndarray, qt: np.ndarray, own_q: float | None) -> dict:
    """DQ roughness, ghost curve and dip, non-aligned grid on the centre crop of `gray`, whose
    JPEG grid starts at (0, 0)."""
    crop = _center_crop8(gray)
    curve = ghost_curve(crop)
    dip, dip_q = ghost_dip(curve, own_q)
    d = {
        "quality_estimate": None if own_q is None else round(float(own_q), 1),
        "dq_roughness": round(dq_roughness(crop, qt), 4),
        "ghost_dip": round(dip, 4),
        "ghost_quality": dip_q,
        "ghost_curve": [round(c, 3) for c in curve],
    }
    d.update(nonaligned_grid(crop))
    return d


def _is_jpeg_file(item) -> bool:
    return item.format == "JPEG" and bool(getattr(item.metadata, "quantization", None))


@register
class DoubleJPEG(Detector):
    method = "physical.jpeg_double"
    version = "0.2"
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels", "jpeg")
    category = "locally_edited"
    summary = {
        "zh": "JPEG 压缩历史：对齐/非对齐双重量化与 JPEG 幽灵（非 JPEG 文件由像素估计量化表）",
        "en": "JPEG compression history: aligned/non-aligned double quantisation and JPEG ghosts "
              "(table estimated from the pixels for non-JPEG files)",
    }

    def not_applicable_reason(self, item):
        small = R.too_small(item.pixels.shape)
        if small:
            return small
        if R.is_flat(item.gray):
            return "image is flat (constant): no DCT coefficients to analyse"
        if _is_jpeg_file(item):
            return None
        est = pixel_estimate(item)
        if est["confidence"] < PIXEL_CONFIDENCE:
            return (f"not a JPEG file, and no earlier JPEG compression visible in the pixels "
                    f"(confidence {est['confidence']:.2f} < {PIXEL_CONFIDENCE})")
        return None

    def analyze(self, item):
        from_file = _is_jpeg_file(item)
        if from_file:
            d = dict(R.cached(item, "jpeg_history", lambda: compression_history(item)))
            oy = ox = 0
        else:
            d = dict(R.cached(item, "jpeg_history_pixels", lambda: compression_history_from_pixels(item)))
            oy, ox = d["pixel_estimate"]["grid_offset"]
        # each component normalised to ~1 at a clear trace
        dq = max(0.0, d["dq_roughness"] - 0.15) / 0.3
        ghost = d["ghost_dip"] / 0.1
        na = max(0.0, d["shifted"]) / 0.3
        score = dq + ghost + na
        d["components"] = {"dq": round(dq, 3), "ghost": round(ghost, 3), "nonaligned": round(na, 3)}
        path = None
        if d["ghost_quality"] is not None:
            q = int(d["ghost_quality"])
            key = f"ghost_map_{q}" if (oy, ox) == (0, 0) else f"ghost_map_{q}_{oy}_{ox}"
            heat = R.cached(item, key, lambda: ghost_map(item.gray[oy:, ox:], q, 16))
            path = R.save_heatmap(item, "physical.jpeg_double.png", heat, item.gray.shape)
        traces = [k for k, v in d["components"].items() if v >= 1.0]
        if traces:
            zh = f"检出二次压缩痕迹（{'、'.join(traces)}）：图像曾被再次保存，本身不能说明内容被生成或篡改"
            en = (f"double-compression traces ({', '.join(traces)}): the image was saved again; this alone "
                  "does not show generation or editing")
        else:
            zh = "未检出二次压缩痕迹（符合单次压缩，或两次质量相同）"
            en = "no double-compression trace (single compression, or the same quality twice)"
        if not from_file:
            e = d["pixel_estimate"]
            qtxt = f"IJG quality ~{e['ijg_quality']}" if e["ijg_quality"] else "not a standard IJG table"
            zh += (f"。本文件不是 JPEG：量化表由像素估计（网格偏移 {oy},{ox}；"
                   f"{'IJG 质量约 ' + str(e['ijg_quality']) if e['ijg_quality'] else '非标准 IJG 表'}；置信度 {e['confidence']:.2f}）")
            en += (f". Not a JPEG file: the quantisation table was estimated from the pixels (grid offset "
                   f"{oy},{ox}; {qtxt}; confidence {e['confidence']:.2f})")
        return self.finding(score, zh=zh, en=en, details=d, heatmap=path)
