"""provenance.c2pa_manifest: valid, invalid and trusted states on the C2PA test files of
../shared/data, plus inputs built from them (pixels changed after signing, manifest stripped)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from huiyan.detectors.base import get_detector
from huiyan.media.item import Item

DET = get_detector("provenance.c2pa_manifest")


@pytest.fixture(scope="module")
def c2pa_dir(shared_images):
    return shared_images / "c2pa_public_testfiles"


def test_generator_manifest_is_decisive_and_untrusted(shared_images):
    f = DET.run(Item(shared_images / "firefly_c2pa" / "assets__jpg__butteryfly.jpg"))
    assert f.applicable and f.decisive and f.llr > 0 and f.category == "fully_generated"
    d = f.details
    assert d["signature_valid"] and d["content_intact"] and not d["signer_trusted"]
    assert "trainedAlgorithmicMedia" in {a["digitalSourceType"] for a in d["actions"]}
    assert "Firefly" in d["claim_generator"] and d["signer"]["issuer"] == "Adobe Inc."


def test_generative_fill_is_a_local_edit(shared_images):
    f = DET.run(Item(shared_images / "firefly_c2pa" / "tools__testing__fixtures__images__gen-fill.jpg"))
    assert f.decisive and f.category == "locally_edited"


def test_valid_invalid_states(c2pa_dir):
    ok = DET.run(Item(c2pa_dir / "image__jpeg__adobe-20220124-CA.jpg"))
    assert ok.details["validation_state"] == "Valid" and ok.details["signature_valid"] and ok.details["content_intact"]
    assert not ok.decisive and abs(ok.llr) < 1
    sig = DET.run(Item(c2pa_dir / "image__jpeg__adobe-20220124-E-sig-CA.jpg"))
    assert sig.details["validation_state"] == "Invalid" and not sig.details["signature_valid"]
    assert not sig.decisive
    hashed = DET.run(Item(c2pa_dir / "image__jpeg__adobe-20220124-XCA.jpg"))
    assert hashed.details["signature_valid"] and not hashed.details["content_intact"]
    assert hashed.category == "locally_edited" and hashed.llr > 0 and not hashed.decisive
    edit = DET.run(Item(c2pa_dir / "image__jpeg__adobe-20220124-CAI.jpg"))
    assert edit.category == "locally_edited" and not edit.decisive  # c2pa.placed in a valid manifest
    nikon = DET.run(Item(c2pa_dir / "image__jpeg__nikon-20221019-building.jpeg"))
    assert nikon.llr < 0 and nikon.details["credential_expired"] and not nikon.decisive


def _test_root_pem(data: bytes) -> str:
    """The C2PA test root certificate, taken from the x5chain embedded in a test file."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    for m in re.finditer(rb"\x30\x82(..)\x30\x82", data, re.S):
        der = data[m.start(): m.start() + int.from_bytes(m.group(1), "big") + 4]
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            continue
        if cert.subject == cert.issuer and "C2PA Test Root CA" in cert.subject.rfc4514_string():
            return cert.public_bytes(Encoding.PEM).decode()
    pytest.skip("test root certificate not found in the file")


def test_trusted_only_with_a_configured_anchor(c2pa_dir, tmp_path):
    path = c2pa_dir / "image__jpeg__adobe-20220124-CA.jpg"
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(_test_root_pem(path.read_bytes()))
    f = DET.run(Item(path, options={"c2pa_trust_anchors": str(anchors)}))
    assert f.details["signer_trusted"] and f.details["validation_state"] == "Trusted"
    assert "on the trust list" in f.explanation["en"]
    plain = DET.run(Item(path))
    assert not plain.details["signer_trusted"] and plain.details["signature_valid"]


def test_pixels_changed_after_signing(c2pa_dir, tmp_path):
    data = bytearray((c2pa_dir / "image__jpeg__adobe-20220124-CA.jpg").read_bytes())
    sos = data.rfind(b"\xff\xda")  # flip bytes in the entropy-coded scan, after the manifest
    for i in range(sos + 400, sos + 420):
        data[i] ^= 0x01
    p = tmp_path / "changed.jpg"
    p.write_bytes(bytes(data))
    f = DET.run(Item(p))
    assert not f.details["content_intact"] and f.category == "locally_edited" and not f.decisive


def test_stripped_and_fake_marker(c2pa_dir, tmp_path, photo):
    im = Image.open(c2pa_dir / "image__jpeg__adobe-20220124-CA.jpg")
    p = tmp_path / "resaved.jpg"
    im.save(p, quality=90)  # Pillow drops the manifest
    assert not DET.run(Item(p)).applicable
    b = io.BytesIO()
    Image.fromarray(photo).save(b, "JPEG", comment=b"c2pa manifest? no")
    q = tmp_path / "fake.jpg"
    q.write_bytes(b.getvalue())
    f = DET.run(Item(q))  # the marker string alone is not a manifest: no crash, no evidence
    assert (not f.applicable) or (f.llr <= 0.5 and not f.decisive)
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tiny)
    assert not DET.run(Item(tiny)).applicable


def test_no_decisive_finding_on_camera_originals(shared_images):
    import csv

    with open(shared_images / "MANIFEST.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["source"].endswith("c2pa-org/public-testfiles") and r["label"] == "real"]
    assert rows
    for r in rows:
        f = DET.run(Item(shared_images / r["relative_path"]))
        assert not f.decisive, r["relative_path"]
