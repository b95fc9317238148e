"""Detectors, one folder per evidence family and one module per method.

`load_all()` imports every module below this package so that their `@register` decorators run.
"""

from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for family in ("provenance", "physical", "fingerprint", "physiological", "temporal"):
        pkg = importlib.import_module(f"{__name__}.{family}")
        for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{pkg.__name__}.{mod.name}")
    _loaded = True
