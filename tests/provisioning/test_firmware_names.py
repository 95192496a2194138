"""Firmware names: every spelling Cisco used, parsed into meaning."""

from __future__ import annotations

import itertools

from hypothesis import given, strategies as st
import pytest

from custom_components.cisco_ip_phone.provisioning.firmware import (
    FirmwareNameError,
    FirmwareVersion,
    Protocol,
    Role,
    boots_universal_loader,
    expected_loader_name,
    is_firmware_name,
    os79xx_name,
    parse_image_name,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    Family,
    ProvisioningError,
)


@pytest.mark.parametrize(
    ("name", "protocol", "version", "role"),
    [
        ("P0S3-8-12-00", Protocol.SIP, "8.12.0", Role.APPLICATION),
        ("P0S3-08-12-00", Protocol.SIP, "8.12.0", Role.APPLICATION),
        ("P0S3-8-12-00.loads", Protocol.SIP, "8.12.0", Role.MANIFEST),
        ("P0S3-8-12-00.sb2", Protocol.SIP, "8.12.0", Role.APPLICATION),
        ("P003-8-12-00.sbn", Protocol.UNIVERSAL, "8.12.0", Role.LOADER),
        ("P003-8-12-00.bin", Protocol.UNIVERSAL, "8.12.0", Role.LOADER),
        ("P003-08-2-00", Protocol.UNIVERSAL, "8.2.0", Role.LOADER),
        ("P00308010200", Protocol.SCCP, "8.1.2", Role.APPLICATION),
        ("P00308010200.sbn", Protocol.SCCP, "8.1.2", Role.LOADER),
        ("P00308010200.bin", Protocol.SCCP, "8.1.2", Role.LOADER),
        ("P00308010200.loads", Protocol.SCCP, "8.1.2", Role.MANIFEST),
        ("P0030801SR02", Protocol.SCCP, "8.1 SR2", Role.APPLICATION),
        ("P00303020214", Protocol.SCCP, "3.2.2-14", Role.APPLICATION),
        ("P00305000300.sbn", Protocol.SCCP, "5.0.3", Role.IMAGE),
        ("P0S30603.bin", Protocol.SIP, "6.3.0", Role.IMAGE),
        ("P0S3-06-3-00.bin", Protocol.SIP, "6.3.0", Role.IMAGE),
        ("P0S3-06-3-00.sbn", Protocol.SIP, "6.3.0", Role.IMAGE),
        ("P0S3-07-4-00.sbn", Protocol.SIP, "7.4.0", Role.IMAGE),
        ("P0M3-08-1-00", Protocol.MGCP, "8.1.0", Role.APPLICATION),
        ("P0030302.bin", Protocol.SCCP, "3.2.0", Role.IMAGE),
    ],
)
def test_79x0_names(name: str, protocol: Protocol, version: str, role: Role) -> None:
    image = parse_image_name(name)
    assert image.name == name
    assert image.protocol is protocol
    assert str(image.version) == version
    assert image.role is role
    assert image.family is Family.F79X0
    assert image.load_prefix == ""
    assert not image.factory_default


@pytest.mark.parametrize(
    ("name", "meaning"),
    [
        ("SIP41.8-5-4S", "sip 8.5.4 application 79x1 41 S"),
        ("SIP41.8-5-4S.loads", "sip 8.5.4 manifest 79x1 41 S"),
        ("SIP45.9-4-2SR3-1S", "sip 9.4.2 SR3-1 application 79x5 45 S"),
        ("SCCP41.9-4-2SR3-1S", "sccp 9.4.2 SR3-1 application 79x1 41 S"),
        ("SIP42.9-4-2SR3-1S", "sip 9.4.2 SR3-1 application 79x2 42 S"),
        ("SIP70.9-4-2SR3-1S", "sip 9.4.2 SR3-1 application 797x 70 S"),
        ("jar41sip.8-5-4TH1-9.sbn", "sip 8.5.4-9 part 79x1 41 TH1"),
        ("cvm41sip.8-5-4TH1-9.sbn", "sip 8.5.4-9 part 79x1 41 TH1"),
        ("cnu41.8-5-4TH1-9.sbn", "universal 8.5.4-9 part 79x1 41 TH1"),
        ("apps45.9-4-2ES26.sbn", "universal 9.4.2 part 79x5 45 ES26"),
        ("dsp75.9-4-2ES26.sbn", "universal 9.4.2 part 797x 75 ES26"),
        ("jar70sccp.9-4-2ES26.sbn", "sccp 9.4.2 part 797x 70 ES26"),
    ],
)
def test_java_names(name: str, meaning: str) -> None:
    image = parse_image_name(name)
    parts = (image.protocol, image.version, image.role, image.family)
    described = " ".join([*map(str, parts), image.load_prefix, image.version.tag])
    assert described == meaning


@pytest.mark.parametrize(
    ("name", "prefix", "family"),
    [
        ("term41.default.loads", "41", Family.F79X1),
        ("term61.default.loads", "41", Family.F79X1),
        ("term62.default.loads", "42", Family.F79X2),
        ("term65.default.loads", "45", Family.F79X5),
        ("term71.default.loads", "70", Family.F797X),
        ("term75.default.loads", "75", Family.F797X),
    ],
)
def test_factory_default_manifests(name: str, prefix: str, family: Family) -> None:
    image = parse_image_name(name)
    assert image.factory_default
    assert image.role is Role.MANIFEST
    assert (image.load_prefix, image.family) == (prefix, family)
    assert image.version == FirmwareVersion(0, 0)


def test_case_extension_and_directory_are_tolerated() -> None:
    image = parse_image_name("./firmware/p0s3-8-12-00.SB2")
    assert image.name == "p0s3-8-12-00.SB2"
    assert image.base == "p0s3-8-12-00"
    assert image.extension == ".sb2"
    assert image.role is Role.APPLICATION
    assert parse_image_name("dir\\P003-8-12-00.SBN").role is Role.LOADER


def test_spellings_compare_equal_but_stay_distinct_names() -> None:
    padded = parse_image_name("P0S3-08-12-00")
    plain = parse_image_name("P0S3-8-12-00")
    assert padded.version == plain.version
    assert padded.same_release(plain)
    assert padded.name != plain.name
    assert parse_image_name("P0S30603.bin").same_release(
        parse_image_name("P0S3-06-3-00")
    )
    # The loader shares the version but is not the same release as the app.
    assert not parse_image_name("P003-8-12-00").same_release(plain)


def test_versions_order_like_releases() -> None:
    names = [
        "P00303020214",
        "P0S3-04-4-00",
        "P0S3-06-3-00",
        "P0S3-08-2-00",
        "P0S3-8-9-00",
        "P0S3-08-11-00",
        "P0S3-8-12-00",
    ]
    versions = [parse_image_name(name).version for name in names]
    assert versions == sorted(versions)
    assert all(a < b for a, b in itertools.pairwise(versions))
    sr = parse_image_name("P0030801SR02").version
    plain = parse_image_name("P00308010200").version
    assert sr > plain
    assert sr >= plain
    assert plain <= sr
    assert not sr < plain
    assert parse_image_name("SIP45.9-4-2SR3-1S").version > FirmwareVersion(9, 4, 2)


def test_version_text() -> None:
    assert str(FirmwareVersion(8, 12)) == "8.12.0"
    assert str(FirmwareVersion(8, 1, None, 2)) == "8.1 SR2"
    assert str(FirmwareVersion(9, 4, 2, 3, 1)) == "9.4.2 SR3-1"


def test_signed() -> None:
    assert parse_image_name("P0S3-06-3-00.bin").signed is False
    assert parse_image_name("P0S3-06-3-00.sbn").signed is True
    assert parse_image_name("P0S3-8-12-00.sb2").signed is True
    assert parse_image_name("P0S3-8-12-00").signed is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "not a firmware name"),
        ("   ", "whitespace"),
        ("POS3-08-2-00", "letter O"),
        ("P0S3-8-12", "not a Cisco 79xx firmware name"),
        ("P0X3-8-12-00", "not a Cisco 79xx firmware name"),
        ("SIPDefault.cnf", "not a Cisco 79xx firmware name"),
        ("P0S3-8-12-00.zip", "not a Cisco 79xx firmware name"),
        (".loads", "not a Cisco 79xx firmware name"),
        ("P0S3-8-12-00\n", "whitespace"),
        ("P0S3-8-12-00 ", "whitespace"),
        ("P0S3-8-12-00\x00.sb2", "not a firmware name"),
        ("P0S3-8-12-00é", "not a firmware name"),
        ("x" * 200, "not a firmware name"),
        ("SIP11.8-5-4S", "no supported phone uses firmware number 11"),
        ("SIP41.8-5-4S.sbn", "is a .loads manifest"),
        ("jar41sip.8-5-4S.loads", "parts are .sbn"),
        ("term41.default", "factory-default loads are .loads"),
        ("term99.default.loads", "firmware number 99"),
    ],
)
def test_bad_names_raise_a_clear_error(name: str, fragment: str) -> None:
    with pytest.raises(FirmwareNameError, match=fragment) as caught:
        parse_image_name(name)
    assert isinstance(caught.value, ProvisioningError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "image"
    assert not is_firmware_name(name)


def test_non_text_is_rejected() -> None:
    with pytest.raises(FirmwareNameError, match="must be text"):
        parse_image_name(b"P0S3-8-12-00")  # type: ignore[arg-type]


def test_is_firmware_name() -> None:
    assert is_firmware_name("P0S3-8-12-00.loads")
    assert not is_firmware_name("RINGLIST.DAT")


@pytest.mark.parametrize(
    ("name", "loader"),
    [
        ("P0S3-8-12-00", "P003-8-12-00"),
        ("P0S3-08-12-00.loads", "P003-08-12-00"),
        ("P0M3-08-1-00", "P003-08-1-00"),
        ("P00308010200", "P00308010200"),
        ("P003-8-12-00.sbn", "P003-8-12-00"),
    ],
)
def test_expected_loader_name(name: str, loader: str) -> None:
    assert expected_loader_name(parse_image_name(name)) == loader


@pytest.mark.parametrize("name", ["P0S30603.bin", "P0030302", "SIP41.8-5-4S"])
def test_expected_loader_name_rejects_images_without_loader(name: str) -> None:
    with pytest.raises(FirmwareNameError, match="no universal loader"):
        expected_loader_name(parse_image_name(name))


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_cleanly(text: str) -> None:
    try:
        image = parse_image_name(text)
    except FirmwareNameError as err:
        message = str(err)
        assert message
    else:
        assert image.name
        assert image.base


@given(
    st.sampled_from("0SM"),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.booleans(),
)
def test_dashed_names_round_trip(
    char: str, major: int, minor: int, sub: int, pad: bool
) -> None:
    spell = (lambda n: f"{n:02d}") if pad else str
    name = f"P0{char}3-{spell(major)}-{spell(minor)}-{spell(sub)}"
    image = parse_image_name(name)
    assert image.version == FirmwareVersion(major, minor, sub)
    assert image.base == name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("P00303020214", False),
        ("P00305000300", False),
        ("P00306000400", True),
        ("P0S3-06-3-00", False),
        ("P0S3-07-4-00", True),
        ("P0S30801", False),  # 8.3-style names are always single images
        ("P0M3-08-1-00", True),
        ("P003-8-12-00", True),
        ("SIP41.8-5-4S", True),
    ],
)
def test_boots_universal_loader(name: str, expected: bool) -> None:
    assert boots_universal_loader(parse_image_name(name)) is expected


@pytest.mark.parametrize(
    ("configured", "named"),
    [
        # Cisco's 8.12 package names its loader (issue #13 item 1): a SIP
        # phone ignores P0S3-…, and no P0S3-8-12-00.bin/.sbn exists.
        ("P0S3-8-12-00", "P003-8-12-00"),
        ("P0S3-08-12-00", "P003-08-12-00"),
        ("P0S3-8-12-00.loads", "P003-8-12-00"),
        ("P0M3-07-4-00", "P003-07-4-00"),
        # Before the loader era the image itself is the single file.
        ("P0S3-06-3-00", "P0S3-06-3-00"),
        ("P0S30203", "P0S30203"),
        # An SCCP load's own .sbn is its loader (CSC-SCCP).
        ("P00308010200", "P00308010200"),
        ("not-a-cisco-name", "not-a-cisco-name"),
    ],
)
def test_os79xx_names_the_universal_loader(configured: str, named: str) -> None:
    assert os79xx_name(configured) == named
