"""Remote photoplethysmography (rPPG): is there a pulse in the skin colour, more than in the background?

What it measures: over the face track (`item.frames.face_track`, up to 10 s of consecutive frames),
the mean colour of the cheeks and nose (skin-coloured pixels of the central face box) is turned
into a pulse signal with POS, the plane-orthogonal-to-skin projection of Wang, den Brinker, Stuijk
and de Haan, "Algorithmic principles of remote PPG", IEEE TBME 64(7), 2017,
doi:10.1109/TBME.2016.2609282 (CHROM, de Haan and Jeanne, "Robust pulse rate from
chrominance-based rPPG", IEEE TBME 60(10), 2013, doi:10.1109/TBME.2013.2266196, is computed
alongside and reported). The signal quality is the SNR of de Haan and Jeanne: power within
+-0.1 Hz of the spectral peak in 0.7-4 Hz (42-240 bpm) and its first harmonic over the rest of
the band. The same is done on the frame border (no skin). The score is the background SNR minus
the face SNR in dB: higher = the face carries no more pulse than the wall behind it.

Why it separates: blood volume changes tint real skin at the heart rate; face swaps, reenactment,
talking heads and generated people re-synthesise the skin texture per frame and lose or scramble
that tint (Ciftci, Demir and Yin, "FakeCatcher", IEEE TPAMI 2020, doi:10.1109/TPAMI.2020.3009287).
Known failures: strong compression (FF++ c40) and GIF palettes erase the 0.1 % colour change from
real faces too; motion, talking and lighting flicker add power in the band; dark skin and low light
lower the SNR; a face shorter than 4 s or smaller than 64 px is not applicable.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import publish_track_segments, squash, track_reason
from huiyan.detectors.base import Detector, register

BAND = (0.7, 4.0)


def skin_means(crops: np.ndarray, margin: float) -> np.ndarray:
    """(n, 3) mean RGB of skin-coloured pixels on the cheeks and nose of each face crop."""
    import cv2

    s = crops.shape[1]
    side = s / margin
    o = (s - side) / 2
    y0, y1 = int(o + 0.40 * side), int(o + 0.85 * side)
    x0, x1 = int(o + 0.20 * side), int(o + 0.80 * side)
    roi = crops[:, y0:y1, x0:x1].astype(np.float32)
    out = np.zeros((len(crops), 3))
    for i, r in enumerate(roi):
        ycc = cv2.cvtColor(r.astype(np.uint8), cv2.COLOR_RGB2YCrCb)
        m = (ycc[..., 1] > 133) & (ycc[..., 1] < 180) & (ycc[..., 2] > 77) & (ycc[..., 2] < 135)
        out[i] = r[m].mean(0) if m.sum() > 20 else r.reshape(-1, 3).mean(0)
    return out


def pos_signal(rgb: np.ndarray, fps: float) -> np.ndarray:
    """POS pulse signal (Wang et al. 2017, algorithm 1) with overlap-add over 1.6 s windows."""
    n = len(rgb)
    L = max(4, int(round(1.6 * fps)))
    h = np.zeros(n)
    P = np.array([[0.0, 1.0, -1.0], [-2.0, 1.0, 1.0]])
    for t in range(0, n - L + 1):
        c = rgb[t:t + L].T
        cn = c / (c.mean(1, keepdims=True) + 1e-9)
        s = P @ cn
        sd1 = s[1].std()
        p = s[0] + (s[0].std() / sd1 if sd1 > 1e-12 else 0.0) * s[1]
        h[t:t + L] += p - p.mean()
    return h


def chrom_signal(rgb: np.ndarray, fps: float) -> np.ndarray:
    """CHROM pulse signal (de Haan and Jeanne 2013) on band-passed normalised colour."""
    cn = rgb / (rgb.mean(0, keepdims=True) + 1e-9)
    x = 3 * cn[:, 0] - 2 * cn[:, 1]
    y = 1.5 * cn[:, 0] + cn[:, 1] - 1.5 * cn[:, 2]
    x, y = bandpass(x, fps), bandpass(y, fps)
    a = x.std() / (y.std() + 1e-12)
    return x - a * y


def bandpass(x: np.ndarray, fps: float) -> np.ndarray:
    f = np.fft.rfftfreq(len(x), 1.0 / fps)
    X = np.fft.rfft(x - x.mean())
    X[(f < BAND[0]) | (f > BAND[1])] = 0
    return np.fft.irfft(X, len(x))


def pulse_snr(sig: np.ndarray, fps: float) -> tuple[float, float]:
    """(SNR in dB, peak frequency in Hz) of a pulse signal (de Haan and Jeanne 2013, eq. 8)."""
    n = max(len(sig), int(fps * 20))  # zero-pad to 0.05 Hz resolution
    sig = (sig - sig.mean()) * np.hanning(len(sig))
    f = np.fft.rfftfreq(n, 1.0 / fps)
    p = np.abs(np.fft.rfft(sig, n)) ** 2
    band = (f >= BAND[0]) & (f <= BAND[1])
    if band.sum() < 4 or p[band].sum() <= 0:
        return float("-inf"), 0.0
    f0 = float(f[band][np.argmax(p[band])])
    sigm = band & ((np.abs(f - f0) <= 0.1) | (np.abs(f - 2 * f0) <= 0.2))
    num, den = p[sigm].sum(), p[band & ~sigm].sum()
    return float(10 * np.log10((num + 1e-20) / (den + 1e-20))), f0


@register
class RemotePPG(Detector):
    method = "physiological.rppg"
    version = "0.1"
    family = "physiological"
    media_types = ("video",)
    inputs = ("frames", "faces")
    category = "face_manipulated"
    summary = {"zh": "面部肤色中的脉搏信号（rPPG，POS/CHROM）",
               "en": "pulse in the facial skin colour (rPPG, POS/CHROM)"}

    def not_applicable_reason(self, item):
        return track_reason(item, "rppg")

    def analyze(self, item):
        tr = item.frames.face_track
        fps = tr.fps
        if fps < 2 * BAND[1] * 0.9:
            return self.not_applicable(f"frame rate {fps:.1f} fps too low to sample a pulse (needs ~8 fps)")
        face = skin_means(tr.crops, tr.crop_margin)
        snr_face, f_face = pulse_snr(pos_signal(face, fps), fps)
        snr_chrom, _ = pulse_snr(chrom_signal(face, fps), fps)
        snr_bg, _ = pulse_snr(pos_signal(tr.bg_means + 1.0, fps), fps)
        if not (np.isfinite(snr_face) and np.isfinite(snr_bg)):
            return self.not_applicable("the face or background colour does not vary at all (no signal to measure)")
        score = float(snr_bg - snr_face)
        publish_track_segments(item, self.method, squash(score, 0.0, 2.0), zh="面部缺少脉搏信号", en="no pulse in the face")
        return self.finding(
            score,
            zh=f"面部脉搏信噪比 {snr_face:.1f} dB（背景 {snr_bg:.1f} dB），估计心率 {f_face * 60:.0f} 次/分",
            en=f"facial pulse SNR {snr_face:.1f} dB (background {snr_bg:.1f} dB), estimated heart rate "
               f"{f_face * 60:.0f} bpm",
            details={"snr_pos_db": round(snr_face, 3), "snr_chrom_db": round(snr_chrom, 3),
                     "snr_background_db": round(snr_bg, 3), "heart_rate_bpm": round(f_face * 60, 1),
                     "seconds": round(tr.seconds, 2), "fps": round(fps, 2), "face_px": round(tr.face_side)},
        )
