"""Every registered detector instantiates, declares a valid contract, and runs on small synthetic
inputs without raising (STYLE.md: keep a test that instantiates every registered detector)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from huiyan.detectors.base import FAMILIES, INPUTS, MEDIA_TYPES, Finding, registry
from huiyan.media.item import Item
from huiyan.samples import write_test_video

REG = registry()


def test_registry_is_not_empty_and_ids_match():
    assert REG
    for method, cls in REG.items():
        assert cls.method == method
        assert cls.family in FAMILIES
        assert set(cls.inputs) <= set(INPUTS)
        assert set(cls.media_types) <= set(MEDIA_TYPES)
        assert cls.summary.get("en") and cls.summary.get("zh"), f"{method} lacks a bilingual summary"
        assert (cls.__doc__ or "").strip() or (__import__(cls.__module__).__doc__ or ""), method


@pytest.fixture(scope="module")
def synthetic_items(tmp_path_factory, photo_rgb):
    d = tmp_path_factory.mktemp("reg")
    img = d / "photo.jpg"
    Image.fromarray(photo_rgb).save(img, quality=90)
    png = d / "flat.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(png)
    vid = write_test_video(d / "clip.mp4", seconds=2.0, fps=15, size=(160, 120))
    return {
        "jpeg": Item(img, artifact_dir=d / "art1"),
        "flat": Item(png, artifact_dir=d / "art2"),
        "video": Item(vid, artifact_dir=d / "art3"),
    }


def _check(f: Finding, cls):
    assert isinstance(f, Finding)
    assert f.method == cls.method and f.family == cls.family and f.method_version == cls.version
    assert f.explanation.get("zh") is not None and f.explanation.get("en") is not None
    if f.applicable:
        assert f.score is None or math.isfinite(f.score)
        assert math.isfinite(f.llr)
    else:
        assert f.reason


@pytest.mark.parametrize("method", sorted(REG))
def test_every_detector_runs_on_synthetic_inputs(method, synthetic_items):
    cls = REG[method]
    for item in synthetic_items.values():
        if item.media_type not in cls.media_types:
            continue
        _check(cls().run(item), cls)


def test_not_applicable_reasons_have_chinese_wording(synthetic_items):
    """Every not-applicable reason met on the synthetic inputs is worded in Chinese too."""
    import re

    untranslated = []
    for cls in REG.values():
        for item in synthetic_items.values():
            if item.media_type not in cls.media_types:
                continue
            f = cls().run(item)
            if not f.applicable and not re.search(r"[\u4e00-\u9fff]", f.explanation["zh"].replace("不适用", "")):
                untranslated.append((cls.method, f.reason))
    assert untranslated == []


def test_reason_catalogue_carries_numbers():
    from huiyan.detectors.reasons_zh import reason_zh

    assert reason_zh("clip too short (3 frames)") == "视频过短（3 帧）"
    assert reason_zh("no frontal face of at least 64 px found") == "未找到不小于 64 像素的正面人脸"
    # jpeg_double 0.2 also looks for a JPEG history in the pixels; the Chinese says so too
    assert "像素" in reason_zh("not a JPEG file, and no earlier JPEG compression visible in the pixels "
                               "(confidence 0.03 < 0.15)")
    assert reason_zh("an entirely new reason") is None
