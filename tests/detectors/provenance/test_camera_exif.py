"""provenance.camera_exif: camera block, software tags, timestamps and the EXIF thumbnail."""

from __future__ import annotations

import numpy as np

from huiyan.detectors.base import get_detector
from huiyan.detectors.provenance.camera_exif import exif_thumbnail, thumbnail_agreement
from huiyan.pipeline import run_detectors

DET = get_detector("provenance.camera_exif")


def _photo_4x3(photo):
    return np.ascontiguousarray(photo[64:448, :])  # 512x384, the 4:3 grid of a 160x120 thumbnail


def test_consistent_camera_block_supports_camera_origin(photo, item_from, mk):
    img = _photo_4x3(photo)
    data = mk.jpeg_bytes(img, exif=mk.camera_exif(mk.thumbnail_of(img)))
    f = DET.run(item_from(data, "cam.jpg"))
    assert f.applicable
    assert f.details["thumbnail"]["correlation"] > 0.95
    assert f.details["camera_block_complete"]
    assert -2.0 <= f.llr < 0 and not f.decisive and f.category is None


def test_thumbnail_of_another_scene_means_changed_after_capture(photo, item_from, mk):
    img = _photo_4x3(photo)
    other = np.ascontiguousarray(img[::-1, ::-1])  # the captured frame, rotated 180 degrees
    data = mk.jpeg_bytes(img, exif=mk.camera_exif(mk.thumbnail_of(other)))
    f = DET.run(item_from(data, "edited.jpg"))
    assert f.applicable and f.llr > 0 and not f.decisive
    assert f.category == "locally_edited"
    assert "thumbnail_mismatch" in [x["code"] for x in f.details["flags"]]


def test_crop_after_capture_is_named_as_a_crop(photo, item_from, mk):
    img = _photo_4x3(photo)
    crop = np.ascontiguousarray(img[48:336, 64:448])  # 384x288, same 4:3 aspect, 75 % of the frame
    data = mk.jpeg_bytes(crop, exif=mk.camera_exif(mk.thumbnail_of(img)))
    f = DET.run(item_from(data, "crop.jpg"))
    codes = [x["code"] for x in f.details["flags"]]
    assert "thumbnail_crop" in codes and "thumbnail_mismatch" not in codes


def test_editing_software_and_contradictory_times(photo, item_from, mk):
    img = _photo_4x3(photo)
    data = mk.jpeg_bytes(img, exif=mk.camera_exif(software="Adobe Photoshop 24.0 (Windows)",
                                            modify="2020:01:01 00:00:00", original="2021:06:01 10:00:00"))
    f = DET.run(item_from(data, "ps.jpg"))
    codes = [x["code"] for x in f.details["flags"]]
    assert "editing_software" in codes and "modify_before_capture" in codes
    assert f.category == "locally_edited" and 0 < f.llr <= 3.0


def test_thumbnail_reader_round_trip(photo, mk):
    img = _photo_4x3(photo)
    thumb = mk.thumbnail_of(img)
    assert exif_thumbnail(mk.camera_exif(thumb)) == thumb
    assert exif_thumbnail(mk.camera_exif(None)) is None
    assert thumbnail_agreement(thumb, img)["correlation"] > 0.95


def test_corrupt_exif_block_gives_a_clear_finding(photo, item_from, mk):
    # an APP1 segment that says "Exif" but holds no valid TIFF structure
    bad = b"Exif\x00\x00" + b"MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x13" * 40
    data = mk.jpeg_bytes(photo, exif=bad)
    item = item_from(data, "corrupt.jpg")
    findings, errors = run_detectors(item, [DET], decoded=True)
    assert errors == []
    f = findings[0]
    assert f.applicable
    assert "corrupt_exif" in [x["code"] for x in f.details["flags"]]
    assert "corrupt" in f.explanation["en"] and f.explanation["zh"]
    assert not f.decisive and f.llr <= 1.0


def test_no_metadata_is_not_applicable(photo, item_from, mk):
    f = DET.run(item_from(mk.jpeg_bytes(photo), "plain.jpg"))
    assert not f.applicable and "not evidence" in f.reason
    tiny = DET.run(item_from(mk.jpeg_bytes(np.zeros((8, 8, 3), np.uint8), exif=mk.camera_exif(None)), "tiny.jpg"))
    assert tiny.applicable  # a tiny image with a camera block is read, not refused


def test_real_camera_original(shared_images):
    from huiyan.media.item import Item

    f = DET.run(Item(shared_images / "metadata_extractor_images" / "jpg__Canon_IXUS.jpg"))
    assert f.applicable and f.llr < 0 and not f.decisive
    assert f.details["thumbnail"]["correlation"] > 0.9


def test_device_fields_that_contradict_each_other(photo, item_from, mk):
    ifd0 = [(0x010F, 2, "Canon"), (0x0110, 2, "NIKON D850")]
    exif = [(0x9003, 2, "2021:06:01 10:00:00"), (0x829A, 5, (1, 125)), (0x829D, 5, (56, 10)),
            (0x8827, 3, 200), (0xA434, 2, "EF 50mm f/1.8 STM")]
    f = DET.run(item_from(mk.jpeg_bytes(photo, exif=mk.exif_block(ifd0, exif)), "brand.jpg"))
    assert "make_model_conflict" in [x["code"] for x in f.details["flags"]] and f.llr > 0
    ok = [(0x010F, 2, "Canon"), (0x0110, 2, "Canon EOS 80D")]
    g = DET.run(item_from(mk.jpeg_bytes(photo, exif=mk.exif_block(ok, exif)), "ok.jpg"))
    assert "make_model_conflict" not in [x["code"] for x in g.details["flags"]]


def test_xmp_history_before_capture(photo, item_from, mk, tmp_path):
    from PIL import Image

    from huiyan.media.item import Item

    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" '
           'xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"><xmpMM:History><rdf:Seq>'
           '<rdf:li stEvt:action="saved" stEvt:when="2019-03-01T10:00:00+01:00" '
           'stEvt:softwareAgent="Adobe Photoshop 20.0"/></rdf:Seq></xmpMM:History></rdf:Description>'
           '</rdf:RDF></x:xmpmeta>')
    p = tmp_path / "hist.jpg"
    Image.fromarray(photo).save(p, "JPEG", quality=90, exif=mk.camera_exif(None), xmp=xmp.encode())
    f = DET.run(Item(p))
    codes = [x["code"] for x in f.details["flags"]]
    assert "history_before_capture" in codes and "editing_software" in codes
