"""Stream and codec history: GOP structure, frame timing, duplicated and interpolated frames.

What it measures, from the demuxed packets (`item.video.packet_*`), the decoded picture types
(`item.frames.pict_types`) and the per-frame thumbnail differences (`item.frames.stats`):

- irregular GOPs: the coefficient of variation of the distance between keyframes (a camera or a
  single encoder pass writes a fixed or scene-cut-driven GOP; edits spliced from several encodes,
  or a re-encode that keeps old keyframes, leave a mixture);
- double-compression hints: periodic peaks in P-frame sizes at a period other than the GOP
  (Vazquez-Padin et al., "Detection of video double encoding with GOP size estimation", WIFS 2012,
  doi:10.1109/WIFS.2012.6412640);
- variable or unusual frame rates: jitter of the packet timestamps and rates that cameras never
  record (below 20 fps, e.g. the 8 fps of many text-to-video models);
- duplicated frames (thumbnail difference ~0 while neighbours move) and interpolated frames (an
  alternating pattern of small and large differences, as frame interpolation halves the motion of
  every other frame).

Why it separates: camera footage has a steady capture rate and one coding history; generated clips
are short, often at 8-16 fps and padded with repeated or interpolated frames. Known failures:
screen recordings, time-lapse and slow-motion exports, GIF conversions by publishers (no packets),
and real clips re-timed by an editor all trigger the timing cues; a re-encode erases the GOP cues.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors._video import squash
from huiyan.detectors.base import Detector, register

CAMERA_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 120.0, 240.0)


def gop_lengths(keys: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(keys)
    return np.diff(idx) if idx.size >= 2 else np.zeros(0, int)


def duplicate_fraction(diffs: np.ndarray) -> float:
    """Share of frames whose thumbnail equals the previous one while the clip moves otherwise."""
    d = diffs[np.isfinite(diffs)]
    if d.size < 4:
        return 0.0
    moving = np.quantile(d, 0.9)
    if moving < 0.5:  # a still scene: repeats are not informative
        return 0.0
    return float(np.mean(d < 0.1 * moving))


def interpolation_score(diffs: np.ndarray) -> float:
    """Strength of an alternating small/large difference pattern (0 none, 1 strong)."""
    d = diffs[np.isfinite(diffs)]
    if d.size < 8 or np.median(d) < 0.05:
        return 0.0
    even, odd = d[0::2], d[1::2]
    m = min(even.size, odd.size)
    lo, hi = np.minimum(even[:m], odd[:m]), np.maximum(even[:m], odd[:m])
    # the fraction of pairs where one of two consecutive differences is under half the other,
    # consistently on the same parity
    same_parity = abs(float(np.mean(even[:m] < odd[:m])) - 0.5) * 2
    ratio = float(np.median(lo / np.maximum(hi, 1e-6)))
    return float(same_parity * max(0.0, 1.0 - ratio))


@register
class StreamHistory(Detector):
    method = "temporal.stream_history"
    version = "0.1"
    family = "temporal"
    media_types = ("video",)
    inputs = ("stream", "frames")
    category = "fully_generated"
    summary = {"zh": "码流历史：GOP 结构、帧率、重复帧与插值帧",
               "en": "stream history: GOP structure, frame rate, duplicated and interpolated frames"}

    def not_applicable_reason(self, item):
        if item.video.n_frames < 4:
            return f"clip too short ({item.video.n_frames} frames)"
        return None

    def analyze(self, item):
        v = item.video
        st = item.frames.stats
        cues: dict[str, float] = {}
        det: dict[str, object] = {"fps": round(v.fps, 3), "frames": v.n_frames, "codec": v.codec}
        # frame timing
        if v.frame_durations is not None:
            dt = v.frame_durations
        else:
            t = np.sort(v.packet_times[np.isfinite(v.packet_times)])
            dt = np.diff(t)
        dt = dt[dt > 0]
        jitter = float(np.std(dt) / np.mean(dt)) if dt.size > 2 else 0.0
        det["timestamp_jitter"] = round(jitter, 4)
        cues["variable_rate"] = squash(jitter, 0.15, 0.05)
        fps = v.fps
        near_camera = min(abs(fps - r) / r for r in CAMERA_RATES) if fps > 0 else 1.0
        det["fps_off_camera_rates"] = round(near_camera, 4)
        cues["low_rate"] = squash(-fps, -18.0, 2.0) if fps > 0 else 0.5
        cues["odd_rate"] = 0.0 if near_camera < 0.01 else 0.6
        # GOP
        gops = gop_lengths(v.packet_keys)
        if gops.size >= 3:
            g = gops[:-1]
            cv = float(np.std(g) / max(np.mean(g), 1e-9))
            det["gop_mean"] = round(float(np.mean(gops)), 2)
            det["gop_cv"] = round(cv, 3)
            cues["irregular_gop"] = squash(cv, 0.6, 0.15)
        if v.packet_sizes.size >= 30 and v.packet_keys.any():
            sizes = v.packet_sizes.astype(float)
            p = sizes[~v.packet_keys]
            if p.size >= 30:
                x = (p - np.median(p)) / (np.median(np.abs(p - np.median(p))) + 1e-9)
                spec = np.abs(np.fft.rfft(np.clip(x, -10, 10) - np.clip(x, -10, 10).mean()))
                if spec.size > 4:
                    peak = float(spec[2:].max() / (np.median(spec[2:]) + 1e-9))
                    det["p_size_periodicity"] = round(peak, 2)
                    cues["double_compression"] = squash(peak, 12.0, 3.0)
        # duplicated / interpolated frames
        if st is not None and len(st) >= 4:
            dup = duplicate_fraction(st.thumb_diffs)
            interp = interpolation_score(st.thumb_diffs)
            det["duplicate_fraction"] = round(dup, 4)
            det["interpolation"] = round(interp, 4)
            cues["duplicates"] = squash(dup, 0.1, 0.04)
            cues["interpolation"] = squash(interp, 0.4, 0.1)
        det["cues"] = {k: round(c, 3) for k, c in cues.items()}
        score = float(max(cues.values())) if cues else 0.0
        top = max(cues, key=cues.get) if cues else "none"
        names = {
            "variable_rate": ("时间戳不均匀（可变帧率）", "uneven timestamps (variable frame rate)"),
            "low_rate": ("帧率低于摄像设备常见值", "frame rate below what cameras record"),
            "odd_rate": ("帧率不是常见的摄像帧率", "frame rate is not a usual camera rate"),
            "irregular_gop": ("关键帧间隔不规则", "irregular keyframe (GOP) spacing"),
            "double_compression": ("P 帧大小呈周期性（二次压缩迹象）", "periodic P-frame sizes (double compression)"),
            "duplicates": ("存在重复帧", "duplicated frames"),
            "interpolation": ("存在插值帧模式", "an interpolated-frame pattern"),
            "none": ("无", "none"),
        }
        zh, en = names[top]
        return self.finding(
            score,
            zh=f"最强码流线索：{zh}（强度 {score:.2f}）",
            en=f"strongest stream cue: {en} (strength {score:.2f})",
            details=det,
        )
