"""provenance.generator_text: front-end chunks, XMP DigitalSourceType, service names, AIGC label."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, PngImagePlugin

from huiyan.detectors.base import get_detector

DET = get_detector("provenance.generator_text")

A1111 = ("a lighthouse at dusk\nNegative prompt: blurry\nSteps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, "
         "Seed: 1234567, Size: 512x512, Model hash: abcdef1234, Model: dreamshaper_8")
XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
       'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/{}"/></rdf:RDF></x:xmpmeta>')


def _png(arr, chunks: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in chunks.items():
        info.add_itxt(k, v) if not v.isascii() or k.startswith("XML") else info.add_text(k, v)
    b = io.BytesIO()
    Image.fromarray(arr).save(b, "PNG", pnginfo=info)
    return b.getvalue()


def test_a1111_parameters_chunk_names_generator_and_parameters(photo, item_from):
    f = DET.run(item_from(_png(photo, {"parameters": A1111}), "a.png"))
    assert f.applicable and f.llr == DET.LLR_CHUNK and not f.decisive
    assert f.category == "fully_generated"
    assert f.details["parameters"]["Seed"] == "1234567"
    assert f.details["parameters"]["Model"] == "dreamshaper_8"
    assert "AUTOMATIC1111" in f.explanation["en"] and f.explanation["zh"]


def test_xmp_digital_source_type(photo, item_from):
    gen = DET.run(item_from(_png(photo, {"XML:com.adobe.xmp": XMP.format("trainedAlgorithmicMedia")}), "g.png"))
    assert gen.llr > 0 and gen.category == "fully_generated"
    comp = DET.run(item_from(_png(photo, {"XML:com.adobe.xmp": XMP.format("compositeWithTrainedAlgorithmicMedia")}),
                             "c.png"))
    assert comp.llr > 0 and comp.category == "locally_edited"
    cam = DET.run(item_from(_png(photo, {"XML:com.adobe.xmp": XMP.format("digitalCapture")}), "d.png"))
    assert cam.applicable and cam.llr == 0  # a forgeable capture claim is reported, not counted


def test_service_name_in_exif_and_aigc_label(photo, item_from, mk):
    ex = mk.exif_block([(0x0131, 2, "Midjourney v6")], [])
    f = DET.run(item_from(mk.jpeg_bytes(photo, exif=ex), "mj.jpg"))
    assert f.llr == DET.LLR_NAME and f.details["signatures"][0]["kind"] == "service_name"
    aigc = '{"AIGC": {"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000"}}'
    g = DET.run(item_from(_png(photo, {"Comment": aigc}), "aigc.png"))
    assert g.llr > 0 and any(h["kind"] == "aigc_label" for h in g.details["signatures"])


def test_unrelated_text_and_no_metadata(photo, item_from):
    f = DET.run(item_from(_png(photo, {"Title": "holiday", "Software": "GIMP 2.10"}), "t.png"))
    assert f.applicable and f.llr == 0 and f.score is None  # absence of a signature: no statistic
    g = DET.run(item_from(_png(np.zeros((4, 4, 3), np.uint8), {}), "n.png"))
    assert not g.applicable and "not evidence" in g.reason


def test_shared_generated_and_camera_files(shared_images):
    from huiyan.media.item import Item

    gen = DET.run(Item(shared_images / "a1111_controlnet_ext" / "samples__dog_rel.png"))
    assert gen.llr > 0 and gen.details["parameters"].get("Steps") == "20"
    comfy = DET.run(Item(shared_images / "comfyui_examples" / "flux__flux_schnell_example.png"))
    assert comfy.llr > 0 and "flux1-schnell" in comfy.details["parameters"]["models"]
    dalle = DET.run(Item(shared_images / "dalle2_preview" / "assets__Model2_smoke_rising_from_a_building.png"))
    assert dalle.llr > 0
    cam = DET.run(Item(shared_images / "metadata_extractor_images" / "jpg__Nikon_D1X.jpg"))
    assert cam.applicable and cam.llr == 0
