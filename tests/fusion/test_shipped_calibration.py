"""The committed calibration file is complete, monotone and says what data it came from."""

from __future__ import annotations

import numpy as np
import pytest

from huiyan.fusion.combine import VERDICTS, load_calibration


@pytest.fixture(scope="module")
def calib():
    c = load_calibration()
    if not c:
        pytest.skip("no calibration.json shipped yet (run `make calibrate`)")
    return c


def test_fields(calib):
    for k in ("data_version", "prior", "bands", "band_error_rates", "methods", "family_cap"):
        assert k in calib
    assert len(calib["data_version"]) == 64
    b = calib["bands"]
    assert b["synthetic"] > b["likely_synthetic"] > 0 > b["likely_authentic"] > b["authentic"]
    assert set(calib["band_error_rates"]) == set(VERDICTS)
    for v in VERDICTS:
        assert calib["band_error_rates"][v]["zh"] and calib["band_error_rates"][v]["en"]


def test_maps_monotone(calib):
    for m, e in calib["methods"].items():
        if e.get("kind") == "logistic":
            assert e["slope"] >= 0 and e["scale"] > 0, m
        else:
            assert np.all(np.diff(e["x"]) > 0), m
            assert np.all(np.diff(e["y"]) >= 0), m


def test_family_and_method_weights_bounded(calib):
    for w in [*calib.get("family_weights", {}).values(), *calib.get("method_weights", {}).values()]:
        assert 0.0 <= w <= 1.0
