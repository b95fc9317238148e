"""physical.local_edit: a spliced region located by the fused map, a uniform image scoring low,
bad input, and the real tampered file that has a ground-truth mask in ../shared/data."""

from __future__ import annotations

import numpy as np

from huiyan.detectors.physical.local_edit import BLOCK, LocalEditMap, block_map_for_mask, component_maps, fuse
from huiyan.media.item import Item


def test_spliced_region_is_localised(spliced_scene, noisy_scene, pixel_item):
    img, (ys, xs) = spliced_scene
    det = LocalEditMap()
    spliced = det.run(pixel_item(img))
    uniform = det.run(pixel_item(noisy_scene))
    assert spliced.applicable and spliced.heatmap and spliced.heatmap.endswith(".png")
    assert spliced.score > uniform.score
    fused = fuse(component_maps(pixel_item(img)))
    truth = np.zeros(img.shape[:2])
    truth[ys, xs] = 1
    tb = block_map_for_mask(fused, truth) > 0.5
    assert fused[tb].mean() > 3 * fused[~tb].mean()
    iy, ix = np.unravel_index(np.argmax(fused), fused.shape)
    assert tb[iy, ix]


def test_bad_input(pixel_item):
    det = LocalEditMap()
    assert not det.run(pixel_item(np.full((512, 512, 3), 50.0))).applicable
    f = det.run(pixel_item(np.zeros((64, 64, 3))))
    assert not f.applicable and str(4 * BLOCK) in f.reason


def test_real_tampered_file(shared_images, tmp_path):
    # ../shared/data has no tampered image with a matching mask (noiseprint/masks/NC2016_2564_gt.png
    # is 3488x2616 and belongs to an image that is not in the collection): check the real files
    # give a map on the image's aspect ratio and a finite score.
    from PIL import Image

    for p in shared_images("tampered", n=3):
        f = LocalEditMap().run(Item(p, artifact_dir=tmp_path / p.stem))
        if not f.applicable:
            assert "too small" in f.reason
            continue
        assert np.isfinite(f.score) and f.heatmap
        w, h = Image.open(f.heatmap).size
        H, W = Item(p).pixels.shape[:2]
        assert abs(w / h - W / H) < 0.05
