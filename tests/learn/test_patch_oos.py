"""The learned-patch scores of tampered and deepfake images come from models that saw neither the
image's source repository nor its generator family."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from huiyan.learn.dataset import Sample
from huiyan.learn.train_patch_oos import exclusion_sets


def _s(i, label, generator, source):
    return Sample(Path(f"/x/{i}.png"), label, "g", generator, source, "PNG")


def test_a_refit_excludes_the_source_and_the_generator_family():
    samples = [
        _s(0, 1, "flux1-dev", "github:comfyanonymous/ComfyUI_examples"),
        _s(1, 1, "flux1-schnell", "github:other/repo"),       # same family, other source
        _s(2, 1, "sdxl-base", "github:other/repo"),
        _s(3, 0, "camera:NIKON D90", "github:comfyanonymous/ComfyUI_examples"),  # same source, real
        _s(4, 0, "camera:Canon", "github:cameras/repo"),
    ]
    flux_inpaint = SimpleNamespace(source="github:comfyanonymous/ComfyUI_examples", gen_key="flux")
    splice = SimpleNamespace(source="github:proteus1991/PSCC-Net", gen_key=None)
    sets = exclusion_sets(samples, [flux_inpaint, splice, flux_inpaint])
    assert sets[(flux_inpaint.source, "flux")] == [2, 4]
    assert sets[(splice.source, None)] == [0, 1, 2, 3, 4]  # nothing shared: the shipped model is out of sample
    assert len(sets) == 2
