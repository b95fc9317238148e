"""Only huiyan/learn/train*.py may import torch: inference and the CLI run with onnxruntime."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "huiyan"


def test_torch_is_imported_only_by_training_code():
    pat = re.compile(r"^\s*(import torch|from torch)", re.M)
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if pat.search(p.read_text(encoding="utf-8"))
        and not (p.parent.name == "learn" and p.name.startswith("train"))
    ]
    assert offenders == []
