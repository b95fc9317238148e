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


def test_generator_manifest_from_an_untrusted_signer_is_strong_not_decisive(shared_images):
    f = DET.run(Item(shared_images / "firefly_c2pa" / "assets__jpg__butteryfly.jpg"))
    assert f.applicable and not f.decisive and f.llr >= 4 and f.category == "fully_generated"
    d = f.details
    assert d["signature_valid"] and d["content_intact"] and not d["signer_trusted"]
    assert "trainedAlgorithmicMedia" in {a["digitalSourceType"] for a in d["actions"]}
    assert "Firefly" in d["claim_generator"] and d["signer"]["issuer"] == "Adobe Inc."


def test_generative_fill_is_a_local_edit(shared_images):
    f = DET.run(Item(shared_images / "firefly_c2pa" / "tools__testing__fixtures__images__gen-fill.jpg"))
    assert f.llr >= 4 and f.category == "locally_edited"


def test_valid_invalid_states(c2pa_dir):
    ok = DET.run(Item(c2pa_dir / "image__jpeg__adobe-20220124-CA.jpg"))
    assert ok.details["validation_state"] == "Valid" and ok.details["signature_valid"] and ok.details["content_intact"]
    assert not ok.decisive and abs(ok.llr) < 1
    sig = DET.run(Item(c2pa_dir / "image__jpeg__adobe-20220124-E-sig-CA.jpg"))
    # reported (validation details kept) but not counted: an unverifiable manifest is like none
    assert not sig.applicable and "signature does not verify" in sig.reason
    assert sig.details["validation_state"] == "Invalid" and not sig.details["signature_valid"]
    assert not sig.decisive and sig.llr == 0.0
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


def _scan_changed(src, tmp_path):
    """A copy of a signed JPEG with 20 bytes of its entropy-coded scan flipped (after the manifest)."""
    data = bytearray(src.read_bytes())
    sos = data.rfind(b"\xff\xda")
    for i in range(sos + 400, sos + 420):
        data[i] ^= 0x01
    p = tmp_path / "changed.jpg"
    p.write_bytes(bytes(data))
    return p


def test_pixels_changed_after_signing(c2pa_dir, tmp_path):
    f = DET.run(Item(_scan_changed(c2pa_dir / "image__jpeg__adobe-20220124-CA.jpg", tmp_path)))
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
    assert not f.applicable and f.llr == 0.0 and not f.decisive
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


# Files signed here, with a test CA made here: these run without ../shared/data ----------------
_DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@pytest.fixture(scope="module")
def test_ca():
    """(root certificate PEM, leaf chain PEM, leaf private key PEM): an ES256 CA and signer made for
    the test, never on any trust list unless the test configures it."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Huiyan test")])

    def usage(sign: bool, ca: bool):
        return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                             encipher_only=False, decipher_only=False)

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Huiyan Test Root")).issuer_name(name("Huiyan Test Root"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(usage(False, True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("Huiyan Test Signer")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(True, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem), leaf.public_bytes(pem) + ca.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _sign(test_ca, tmp_path, photo, source_type: str, name: str = "signed.jpg"):
    import c2pa

    _, chain, key = test_ca
    src = io.BytesIO()
    Image.fromarray(photo).save(src, "JPEG", quality=92)
    src.seek(0)
    manifest = {"claim_generator_info": [{"name": "Huiyan test tool", "version": "1"}], "title": name,
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": _DST + source_type}]}}]}
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain, private_key=key, ta_url=None))
    out = io.BytesIO()
    c2pa.Builder(manifest).sign(signer, "image/jpeg", src, out)
    p = tmp_path / name
    p.write_bytes(out.getvalue())
    return p


def test_signed_generation_claim_is_decisive_only_from_a_trusted_signer(test_ca, tmp_path, photo):
    p = _sign(test_ca, tmp_path, photo, "trainedAlgorithmicMedia")
    f = DET.run(Item(p))  # anyone can sign this over a real photo: strong, not decisive
    assert f.applicable and not f.decisive and f.category == "fully_generated" and f.llr >= 4
    assert f.details["signature_valid"] and f.details["content_intact"]
    assert not f.details["signer_trusted"] and f.details["signer"]["common_name"] == "Huiyan Test Signer"
    anchors = tmp_path / "root.pem"
    anchors.write_bytes(test_ca[0])
    t = DET.run(Item(p, options={"c2pa_trust_anchors": str(anchors)}))
    assert t.details["signer_trusted"] and t.decisive and t.llr > 9


def test_signed_capture_claim_supports_camera_origin_and_trust_needs_an_anchor(test_ca, tmp_path, photo):
    p = _sign(test_ca, tmp_path, photo, "digitalCapture")
    plain = DET.run(Item(p))
    assert plain.applicable and not plain.decisive and plain.llr < 0 and not plain.details["signer_trusted"]
    anchors = tmp_path / "root.pem"
    anchors.write_bytes(test_ca[0])
    trusted = DET.run(Item(p, options={"c2pa_trust_anchors": str(anchors)}))
    assert trusted.details["signer_trusted"] and trusted.llr < plain.llr


def test_pixels_changed_after_signing_a_synthetic_file(test_ca, tmp_path, photo):
    f = DET.run(Item(_scan_changed(_sign(test_ca, tmp_path, photo, "trainedAlgorithmicMedia"), tmp_path)))
    assert not f.details["content_intact"] and f.category == "locally_edited" and not f.decisive


def test_bad_inputs_without_shared_data(tmp_path, photo):
    b = io.BytesIO()
    Image.fromarray(photo).save(b, "JPEG", comment=b"c2pa manifest? no")
    q = tmp_path / "fake.jpg"
    q.write_bytes(b.getvalue())
    f = DET.run(Item(q))  # the marker string alone is not a manifest
    assert not f.applicable and not f.decisive and f.llr == 0.0
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tiny)
    assert not DET.run(Item(tiny)).applicable


def _signature_broken(p, tmp_path):
    """A copy of a signed JPEG with one bit flipped near the end of the COSE signature box
    (inside the ES256 signature bytes): the claim no longer verifies."""
    b = bytearray(p.read_bytes())
    j = b.find(b"cbor", b.find(b"c2pa.signature"))
    end = j - 4 + int.from_bytes(b[j - 4:j], "big")
    b[end - 20] ^= 0x01
    q = tmp_path / ("sigbroken_" + p.name)
    q.write_bytes(bytes(b))
    return q


@pytest.mark.parametrize("source_type", ["trainedAlgorithmicMedia", "digitalCapture"])
def test_a_manifest_whose_signature_fails_is_not_evidence(test_ca, tmp_path, photo, source_type):
    """Whatever the manifest claims (generation or capture), once its signature fails nothing in it
    counts, in either direction; the finding says why and keeps the validation details."""
    p = _sign(test_ca, tmp_path, photo, source_type)
    assert DET.run(Item(p)).applicable  # the intact file is read
    f = DET.run(Item(_signature_broken(p, tmp_path)))
    assert not f.applicable and f.llr == 0.0 and not f.decisive
    assert "claimSignature.mismatch" in f.details["failures"] and not f.details["signature_valid"]
    assert "signature does not verify" in f.reason and "签名验证失败" in f.explanation["zh"]


def test_c2pa_data_that_cannot_be_parsed_is_not_evidence(test_ca, tmp_path, photo):
    """A manifest whose claim is no longer valid CBOR: reported (with the SDK's error), not counted."""
    p = _sign(test_ca, tmp_path, photo, "trainedAlgorithmicMedia")
    b = p.read_bytes()
    j = b.find(b"cbor", b.find(b"c2pa.claim"))
    q = tmp_path / "unparseable.jpg"
    q.write_bytes(b[:j + 4] + b"\xff" * 40 + b[j + 44:])
    f = DET.run(Item(q))
    assert not f.applicable and f.llr == 0.0 and not f.decisive
    assert "cannot be parsed" in f.reason and "CBOR" in f.details["error"] and "无法解析" in f.explanation["zh"]
