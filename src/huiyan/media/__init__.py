"""The one place that opens media: probing by content, image and video decoding, faces."""

from huiyan.media.probe import MediaError, Probe, sniff

__all__ = ["MediaError", "Probe", "sniff"]
