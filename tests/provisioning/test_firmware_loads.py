""".loads manifests: names recovered from signed binary files."""

from __future__ import annotations

import os
import random

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.cisco_ip_phone.provisioning.firmware import (
    MAX_LOADS_BYTES,
    FirmwareNameError,
    LoadsError,
    Role,
    parse_image_name,
    parse_loads,
)


def make_loads(*strings: str, seed: int = 1, header: int = 160) -> bytes:
    """Mimic Cisco's layout: a binary signature header, then NUL-ended names."""
    rng = random.Random(seed)
    out = bytearray(rng.randbytes(header))
    for text in strings:
        out += rng.randbytes(rng.randint(0, 6)) + text.encode("ascii") + b"\x00"
    out += rng.randbytes(64)
    return bytes(out)


SIP_812 = make_loads(
    "P0S3-8-12-00.loads", "P003-8-12-00.sbn", "P0S3-8-12-00.sb2", "LA_VERSION=PAS30830"
)


def test_sip_812_manifest() -> None:
    manifest = parse_loads(SIP_812)
    assert manifest.name == "P0S3-8-12-00.loads"
    assert manifest.files == ("P003-8-12-00.sbn", "P0S3-8-12-00.sb2")
    assert manifest.loader_version == "PAS30830"
    assert [image.role for image in manifest.images] == [Role.LOADER, Role.APPLICATION]


def test_sccp_manifest() -> None:
    data = make_loads(
        "P00308010200.loads",
        "P00308010200.sbn",
        "P00308010200.sb2",
        "LA_VERSION=PAS30831",
    )
    manifest = parse_loads(data)
    assert manifest.files == ("P00308010200.sbn", "P00308010200.sb2")
    assert manifest.loader_version == "PAS30831"


def test_java_manifest_lists_every_part() -> None:
    parts = [
        "jar41sip.8-5-4TH1-9.sbn",
        "apps41.8-5-4TH1-9.sbn",
        "cnu41.8-5-4TH1-9.sbn",
        "cvm41sip.8-5-4TH1-9.sbn",
        "dsp41.8-5-4TH1-9.sbn",
    ]
    manifest = parse_loads(make_loads("SIP41.8-5-4S.loads", *parts, seed=7))
    assert manifest.name == "SIP41.8-5-4S.loads"
    assert manifest.files == tuple(parts)
    assert manifest.loader_version is None
    assert all(image.role is Role.PART for image in manifest.images)


def test_printable_junk_glued_to_a_name_is_dropped() -> None:
    data = b"\x01\x02Zq=P0S3-8-12-00.loads\x00xxP003-8-12-00.sbn\x0019P0S3-8-12-00.sb2"
    manifest = parse_loads(data)
    assert manifest.name == "P0S3-8-12-00.loads"
    assert manifest.files == ("P003-8-12-00.sbn", "P0S3-8-12-00.sb2")


def test_repeated_names_are_listed_once_and_order_kept() -> None:
    data = make_loads(
        "P0S3-8-12-00.loads",
        "P0S3-8-12-00.sb2",
        "P003-8-12-00.sbn",
        "p0s3-8-12-00.SB2",
        "P0S3-8-12-00.loads",
    )
    manifest = parse_loads(data)
    assert manifest.files == ("P0S3-8-12-00.sb2", "P003-8-12-00.sbn")


def test_manifest_without_own_name() -> None:
    manifest = parse_loads(make_loads("P003-8-12-00.sbn", "P0S3-8-12-00.sb2"))
    assert manifest.name is None
    assert len(manifest.files) == 2


def test_second_manifest_name_is_a_listed_file() -> None:
    manifest = parse_loads(
        make_loads("A.bin", "P0S3-8-12-00.loads", "P0S3-07-4-00.loads")
    )
    assert manifest.name == "P0S3-8-12-00.loads"
    assert manifest.files == ("P0S3-07-4-00.loads",)


def test_unknown_file_like_strings_are_ignored() -> None:
    data = make_loads(
        "P0S3-8-12-00.loads", "notes.bin", "RINGLIST.DAT", "P0S3-8-12-00.sb2"
    )
    assert parse_loads(data).files == ("P0S3-8-12-00.sb2",)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 458,
        b"P0S3-8-12-00.loads\x00",  # names only itself
        b"LA_VERSION=PAS30830",
        b"hello world, this is a text file.\n",
    ],
)
def test_not_a_manifest(data: bytes) -> None:
    with pytest.raises(LoadsError, match="names no .sbn, .sb2 or .bin") as caught:
        parse_loads(data)
    assert isinstance(caught.value, FirmwareNameError)


def test_huge_input_is_refused_without_scanning() -> None:
    data = b"P003-8-12-00.sbn\x00" * (MAX_LOADS_BYTES // 8)
    with pytest.raises(LoadsError, match="too large"):
        parse_loads(data)


def test_non_bytes_are_refused() -> None:
    with pytest.raises(LoadsError, match="is bytes"):
        parse_loads("P003-8-12-00.sbn")  # type: ignore[arg-type]


def test_bytearray_and_memoryview_are_accepted() -> None:
    assert parse_loads(bytearray(SIP_812)).files == parse_loads(SIP_812).files
    assert parse_loads(memoryview(SIP_812)).files == parse_loads(SIP_812).files


def test_very_long_printable_run_ending_in_a_name() -> None:
    data = b"A" * 5000 + b"P0S3-8-12-00.sb2\x00"
    assert parse_loads(data).files == ("P0S3-8-12-00.sb2",)


@settings(max_examples=150)
@given(st.binary(max_size=2048))
def test_random_bytes_parse_or_raise_cleanly(data: bytes) -> None:
    try:
        manifest = parse_loads(data)
    except LoadsError as err:
        message = str(err)
        assert message
    else:
        assert manifest.files
        for name in manifest.files:
            parse_image_name(name)


@settings(max_examples=60)
@given(
    st.binary(max_size=400),
    st.binary(max_size=400),
    st.sampled_from(["\x00", "\xff", "\n", " "]),
)
def test_names_survive_any_surrounding_bytes(
    head: bytes, tail: bytes, sep: str
) -> None:
    names = ["P0S3-8-12-00.loads", "P003-8-12-00.sbn", "P0S3-8-12-00.sb2"]
    body = sep.encode("latin-1").join(name.encode() for name in names)
    data = head + b"\x00" + body + b"\x00" + tail
    manifest = parse_loads(data)
    assert "P003-8-12-00.sbn" in manifest.files
    assert "P0S3-8-12-00.sb2" in manifest.files


def test_random_megabyte_is_refused_quickly() -> None:
    with pytest.raises(LoadsError):
        parse_loads(os.urandom(MAX_LOADS_BYTES + 1))
