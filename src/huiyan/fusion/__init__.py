"""Fusion: calibrated log-likelihood ratios per method, combined per family, then across families."""

from huiyan.fusion.combine import VERDICTS, Fused, fuse

__all__ = ["VERDICTS", "Fused", "fuse"]
