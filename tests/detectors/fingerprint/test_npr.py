"""fingerprint.npr: planted nearest up-sampling, a CFA image (symmetric, must not fire), JPEG
blocking excluded, bad input, real file."""

from __future__ import annotations

import numpy as np

from huiyan.detectors.fingerprint.npr import NeighbouringPixelRelations, npr_features
from huiyan.media.item import Item


def test_planted_upsampling_lattice(upsampled_scene, noisy_scene, pixel_item):
    det = NeighbouringPixelRelations()
    up = det.run(pixel_item(upsampled_scene))
    plain = det.run(pixel_item(noisy_scene))
    assert abs(up.details["asym2_x"]) > 0.3 and abs(up.details["asym2_y"]) > 0.3
    assert up.score > 3 * plain.score


def test_cfa_demosaicing_is_symmetric(camera_like):
    f = npr_features(camera_like.mean(axis=2).astype(np.float32))
    assert abs(f["asym2_x"]) < 0.05 and abs(f["asym2_y"]) < 0.05


def test_jpeg_block_boundaries_are_excluded(noisy_scene, pixel_item):
    f = NeighbouringPixelRelations().run(pixel_item(noisy_scene, "JPEG", quality=60))
    assert abs(f.details["asym2_x"]) < 0.1


def test_bad_input(pixel_item):
    det = NeighbouringPixelRelations()
    assert not det.run(pixel_item(np.full((100, 100, 3), 1.0))).applicable
    assert not det.run(pixel_item(np.zeros((5, 5, 3)))).applicable


def test_real_file(shared_images):
    for p in shared_images("generated", "PNG", n=1) + shared_images("real", "JPEG", n=1):
        f = NeighbouringPixelRelations().run(Item(p))
        assert f.applicable and f.score >= 0 and f.details["tiles"] >= 1
