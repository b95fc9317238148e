"""Shared fixtures. `shared_data` is ../shared/data beside the checkout; tests that need it skip
cleanly when it is absent (CI has it, a bare clone may not)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "images" / "MANIFEST.csv").exists():
        pytest.skip("../shared/data is not present beside the checkout")
    return SHARED_DATA


def manifest_rows(sub: str) -> list[dict[str, str]]:
    with open(SHARED_DATA / sub / "MANIFEST.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def case_dir(tmp_path) -> Path:
    return tmp_path / "case"


@pytest.fixture(scope="session")
def photo_rgb() -> np.ndarray:
    """A real photograph shipped by scikit-image (the astronaut, 512x512)."""
    from skimage import data

    return data.astronaut()
