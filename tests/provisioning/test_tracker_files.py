"""Requested names -> their role in a boot, as phones really spell them."""

from __future__ import annotations

import pytest

from custom_components.cisco_ip_phone.provisioning.tracking.files import (
    FileKind as K,
    classify_request,
    normalize_request_name,
)
from tests.support.macs import FIELD_7960_MAC

MAC = FIELD_7960_MAC


@pytest.mark.parametrize(
    ("name", "kind", "mac", "image"),
    [
        (f"CTLSEP{MAC}.tlv", K.TRUST_LIST, MAC, None),
        (f"ITLSEP{MAC}.tlv", K.TRUST_LIST, MAC, None),
        (f"SEP{MAC}.cnf.xml", K.SEP_CONFIG, MAC, None),
        (f"./SIP{MAC}.cnf", K.SIP_CONFIG, MAC, None),
        (f"phones/sip{MAC.lower()}.cnf", K.SIP_CONFIG, MAC, None),
        (f"MGC{MAC}.cnf", K.MGCP_CONFIG, MAC, None),
        ("XMLDefault.cnf.xml", K.XML_DEFAULT, None, None),
        ("/SIPDefault.cnf", K.SIP_DEFAULT, None, None),
        ("OS79XX.TXT", K.OS79XX, None, None),
        ("RINGLIST.DAT", K.RING_LIST, None, None),
        ("dialplan.xml", K.DIAL_TEMPLATE, None, None),
        ("syncinfo.xml", K.SYNC_INFO, None, None),
        ("US/7960-tones.xml", K.LOCALE, None, None),
        ("/7940-font.xml", K.LOCALE, None, None),
        ("P0S3-8-12-00.loads", K.IMAGE_MANIFEST, None, "P0S3-8-12-00"),
        ("P003-8-12-00.sbn", K.LOADER_IMAGE, None, "P003-8-12-00"),
        ("P003-8-12-00.bin", K.LOADER_IMAGE, None, "P003-8-12-00"),
        ("P0S3-8-12-00.sb2", K.APP_IMAGE, None, "P0S3-8-12-00"),
        ("P0S3-06-3-00.bin", K.APP_IMAGE, None, "P0S3-06-3-00"),
        ("P00308010200.sbn", K.LOADER_IMAGE, None, "P00308010200"),
        ("foo.bin", K.OTHER, None, None),
        ("CTU.raw", K.OTHER, None, None),
        ("ITLFile.tlv", K.OTHER, None, None),
        ("Desktops/320x212/List.xml", K.OTHER, None, None),
        ("", K.OTHER, None, None),
    ],
)
def test_classify(name: str, kind: K, mac: str | None, image: str | None) -> None:
    request = classify_request(name)
    assert (request.kind, request.mac, request.image) == (kind, mac, image)
    assert request.name == name


def test_locale_names_reveal_the_model() -> None:
    assert classify_request("US/7960-tones.xml").model == "7960"


def test_identical_requests_share_a_key_whatever_the_spelling() -> None:
    assert (
        classify_request(f"./SIP{MAC}.cnf").key
        == classify_request(f"sip{MAC.lower()}.cnf").key
    )


def test_normalize_strips_every_leading_prefix() -> None:
    assert normalize_request_name(" .//./SIPDefault.cnf ") == "SIPDefault.cnf"
