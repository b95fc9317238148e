"""Huiyan (慧眼): an offline authenticity workstation for images and videos.

The data flow follows ../shared/DESIGN.md section 3:
intake -> media (probe/decode) -> detectors -> fusion -> opinion -> report.
"""

__version__ = "0.1.0"
