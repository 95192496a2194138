"""Hop planner: every rule of HOP_RULES, the user's own walk, and the edges."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.cisco_ip_phone.provisioning.firmware import (
    HOP_RULES,
    MAX_HOPS,
    FirmwareCatalog,
    FirmwareVersion,
    Hop,
    HopRule,
    Mechanism,
    PlanError,
    Protocol,
    StepKind,
    next_hop,
    parse_image_name,
    plan_hops,
    scan_catalog,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    ProvisioningError,
)

from .test_firmware_catalog import put_sip_812, sip_812_loads, write
from .test_firmware_loads import make_loads

SIP_812_SET = ("P0S3-8-12-00.loads", "P003-8-12-00.sbn", "P0S3-8-12-00.sb2")
EMPTY = FirmwareCatalog(Path("/nonexistent"))


def rule(rule_id: str) -> HopRule:
    return next(item for item in HOP_RULES if item.rule_id == rule_id)


def summary(hops: list[Hop]) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(hop.image, hop.mechanism, hop.files, hop.rule) for hop in hops]


@pytest.fixture
def full_root(tmp_path: Path) -> Path:
    """A root with SIP 6.3 (both forms) and the complete SIP 8.12 package."""
    write(tmp_path, "P0S3-06-3-00.bin", 800_000)
    write(tmp_path, "P0S3-06-3-00.sbn", 800_400)
    put_sip_812(tmp_path)
    return tmp_path


# --------------------------------------------------------------- user's walk


def test_users_walk_from_sccp_3(full_root: Path) -> None:
    hops = plan_hops("P00303020214", "P0S3-8-12-00", scan_catalog(full_root))
    assert summary(hops) == [
        ("P0S3-06-3-00", Mechanism.OS79XX, ("P0S3-06-3-00.bin",), "sccp-below-5"),
        ("P003-8-12-00", Mechanism.OS79XX, ("P003-8-12-00.sbn",), "sip-6-loader"),
        ("P0S3-8-12-00", Mechanism.CONFIG, SIP_812_SET, "loader-to-target"),
    ]
    assert all(hop.ready for hop in hops)
    assert hops[0].reason.startswith("P00303020214 → P0S3-06-3-00: go to SIP 6.3.0")
    assert "OS79XX.TXT" in hops[0].reason
    assert "Load ID Incorrect" in hops[0].reason
    assert "universal loader P003-8-12-00" in hops[1].reason
    assert "configuration" in hops[2].reason


def test_users_walk_with_padded_loader_spelling(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-06-3-00.bin", 10)
    write(tmp_path, "P003-08-12-00.sbn", 10)
    write(tmp_path, "P003-08-12-00.bin", 10)
    write(tmp_path, "P0S3-8-12-00.loads", sip_812_loads())
    write(tmp_path, "P0S3-8-12-00.sb2", 10)
    hops = plan_hops("P00303020214", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert [hop.image for hop in hops] == [
        "P0S3-06-3-00",
        "P003-08-12-00",
        "P0S3-8-12-00",
    ]
    assert hops[1].files == ("P003-08-12-00.sbn",)
    # The manifest names the unpadded loader: that exact file must be uploaded.
    assert hops[2].missing == ("P003-8-12-00.sbn",)
    assert "Upload first: P003-8-12-00.sbn." in hops[2].reason


def test_users_walk_on_an_empty_server_says_what_to_upload() -> None:
    hops = plan_hops("P00303020214", "P0S3-8-12-00", EMPTY)
    assert [(hop.image, hop.missing) for hop in hops] == [
        ("P0S3-06-3-00", ("P0S3-06-3-00.bin",)),
        ("P003-8-12-00", ("P003-8-12-00.sbn",)),
        ("P0S3-8-12-00", SIP_812_SET),
    ]
    assert not any(hop.ready for hop in hops)


# ------------------------------------------------------------ every hop rule


def test_rule_sip_below_4_4_walks_cisco_path() -> None:
    hops = plan_hops("P0S3-03-1-00", "P0S3-8-12-00", EMPTY)
    assert summary(hops) == [
        ("P0S3-04-4-00", Mechanism.OS79XX, ("P0S3-04-4-00.bin",), "sip-below-4.4"),
        ("P0S3-05-3-00", Mechanism.OS79XX, ("P0S3-05-3-00.bin",), "sip-4.4-to-5.3"),
        ("P0S3-06-3-00", Mechanism.OS79XX, ("P0S3-06-3-00.sbn",), "sip-5-to-6.3"),
        ("P003-8-12-00", Mechanism.OS79XX, ("P003-8-12-00.sbn",), "sip-6-loader"),
        ("P0S3-8-12-00", Mechanism.CONFIG, SIP_812_SET, "loader-to-target"),
    ]


def test_rule_sip_4_4_to_5_3(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-05-3-00.bin", 10)
    hop = next_hop("P0S3-04-4-00", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert (hop.image, hop.files, hop.rule, hop.ready) == (
        "P0S3-05-3-00",
        ("P0S3-05-3-00.bin",),
        "sip-4.4-to-5.3",
        True,
    )


@pytest.mark.parametrize("current", ["P0S3-06-0-00", "P0S3-06-3-00"])
def test_rule_sip_6_goes_through_the_loader(full_root: Path, current: str) -> None:
    hops = plan_hops(current, "P0S3-8-12-00", scan_catalog(full_root))
    assert summary(hops) == [
        ("P003-8-12-00", Mechanism.OS79XX, ("P003-8-12-00.sbn",), "sip-6-loader"),
        ("P0S3-8-12-00", Mechanism.CONFIG, SIP_812_SET, "loader-to-target"),
    ]


def test_rule_sip_5_goes_to_6_3_first(full_root: Path) -> None:
    """CME-INST: 5.3 → 6.x → 7.x; no source sends 5.x to the loader directly."""
    hops = plan_hops("P0S3-05-3-00", "P0S3-8-12-00", scan_catalog(full_root))
    assert [hop.rule for hop in hops] == [
        "sip-5-to-6.3",
        "sip-6-loader",
        "loader-to-target",
    ]
    assert hops[0].image == "P0S3-06-3-00"
    assert "named in image_version" in hops[0].reason
    assert "named in OS79XX.TXT" in hops[1].reason


def test_rule_sip_6_direct_is_a_switch(full_root: Path) -> None:
    assert not rule("sip-6-direct").enabled
    switched = tuple(
        dataclasses.replace(item, enabled=True)
        if item.rule_id == "sip-6-direct"
        else item
        for item in HOP_RULES
    )
    catalog = scan_catalog(full_root)
    hops = plan_hops("P0S3-06-3-00", "P0S3-8-12-00", catalog, rules=switched)
    assert summary(hops) == [
        ("P0S3-8-12-00", Mechanism.OS79XX, SIP_812_SET, "sip-6-direct"),
    ]
    # SIP 5.x still goes to 6.3 first: the switch is only about 6.x.
    five = plan_hops("P0S3-05-3-00", "P0S3-8-12-00", catalog, rules=switched)
    assert [hop.rule for hop in five] == ["sip-5-to-6.3", "sip-6-direct"]


@pytest.mark.parametrize("current", ["P003-8-12-00", "P003-08-2-00.sbn"])
def test_rule_loader_to_target(full_root: Path, current: str) -> None:
    hops = plan_hops(current, "P0S3-8-12-00", scan_catalog(full_root))
    assert summary(hops) == [
        ("P0S3-8-12-00", Mechanism.CONFIG, SIP_812_SET, "loader-to-target"),
    ]


@pytest.mark.parametrize("current", ["P0S3-07-4-00", "P0S3-08-2-00", "P0S3-8-11-00"])
def test_rule_sip_7_plus_is_direct(full_root: Path, current: str) -> None:
    hops = plan_hops(current, "P0S3-8-12-00", scan_catalog(full_root))
    assert summary(hops) == [
        ("P0S3-8-12-00", Mechanism.CONFIG, SIP_812_SET, "sip-7-plus"),
    ]


def test_rule_sccp_5_goes_through_the_loader_in_load_information(
    full_root: Path,
) -> None:
    """Issue #13 item 3: never P0S3-8-12-00 through OS79XX.TXT (no such file)."""
    hops = plan_hops("P00305000300", "P0S3-8-12-00", scan_catalog(full_root))
    assert summary(hops) == [
        ("P003-8-12-00", Mechanism.CONFIG, ("P003-8-12-00.sbn",), "sccp-5-loader"),
        ("P0S3-8-12-00", Mechanism.CONFIG, SIP_812_SET, "loader-to-target"),
    ]
    assert all(hop.mechanism is not Mechanism.OS79XX for hop in hops)


def test_every_enabled_hop_rule_names_its_source() -> None:
    for rule in HOP_RULES:
        assert rule.source.strip(), rule.rule_id
        if rule.source.startswith(("no source", "unconfirmed")):
            assert not rule.enabled, rule.rule_id


@pytest.mark.parametrize("current", ["P00306000400", "P00308010200", "P0030801SR02"])
def test_rule_sccp_6_plus_is_direct(full_root: Path, current: str) -> None:
    hops = plan_hops(current, "P0S3-8-12-00", scan_catalog(full_root))
    assert summary(hops) == [
        ("P0S3-8-12-00", Mechanism.CONFIG, SIP_812_SET, "sccp-6-plus"),
    ]


def test_rule_java_direct(tmp_path: Path) -> None:
    parts = ["jar41sip.9-4-2ES26.sbn", "apps41.9-4-2ES26.sbn"]
    write(
        tmp_path,
        "SIP41.9-4-2SR3-1S.loads",
        make_loads("SIP41.9-4-2SR3-1S.loads", *parts),
    )
    write(tmp_path, parts[0], 10)
    hops = plan_hops("SIP41.8-5-4S", "SIP41.9-4-2SR3-1S", scan_catalog(tmp_path))
    assert summary(hops) == [
        (
            "SIP41.9-4-2SR3-1S",
            Mechanism.CONFIG,
            ("SIP41.9-4-2SR3-1S.loads", *parts),
            "java-direct",
        ),
    ]
    assert hops[0].missing == ("apps41.9-4-2ES26.sbn",)
    # Nothing on the server: only the manifest name is known.
    assert plan_hops("SCCP41.8-5-4S", "SIP41.9-4-2SR3-1S", EMPTY)[0].files == (
        "SIP41.9-4-2SR3-1S.loads",
    )


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("P0S3-8-12-00", "P0S3-8-12-00"),
        ("P0S3-8-12-00", "P0S3-08-12-00"),
        ("P0S3-8-12-00.sb2", "P0S3-08-11-00"),
        ("P0030801SR02", "P00308010200"),
        ("SIP45.9-4-2SR3-1S", "SIP45.8-5-4S"),
    ],
)
def test_same_or_newer_needs_no_hop(current: str, target: str) -> None:
    assert plan_hops(current, target, EMPTY) == []
    assert next_hop(current, target, EMPTY) is None


def test_sip_back_to_sccp(tmp_path: Path) -> None:
    loads = make_loads("P00308010200.loads", "P00308010200.sbn", "P00308010200.sb2")
    write(tmp_path, "P00308010200.loads", loads)
    write(tmp_path, "P00308010200.sbn", 10)
    write(tmp_path, "P00308010200.sb2", 10)
    hops = plan_hops("P0S3-8-12-00", "P00308010200", scan_catalog(tmp_path))
    assert summary(hops) == [
        (
            "P00308010200",
            Mechanism.CONFIG,
            ("P00308010200.loads", "P00308010200.sbn", "P00308010200.sb2"),
            "sip-7-plus",
        ),
    ]
    # From SIP 6.3 the SCCP package's own .sbn is the loader OS79XX.TXT names.
    hops = plan_hops("P0S3-06-3-00", "P00308010200", scan_catalog(tmp_path))
    assert summary(hops) == [
        (
            "P00308010200",
            Mechanism.OS79XX,
            ("P00308010200.sbn", "P00308010200.loads", "P00308010200.sb2"),
            "sip-6-loader",
        ),
    ]
    assert "own .sbn is the universal loader" in hops[0].reason


# ----------------------------------------------------- choosing from catalog


def test_release_step_takes_a_usable_spelling(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-06-3-00.sbn", 10)  # signed: an SCCP 3.x phone cannot
    write(tmp_path, "P0S30603.bin", 10)
    hop = next_hop("P00303020214", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert (hop.image, hop.files, hop.ready) == ("P0S30603", ("P0S30603.bin",), True)


def test_release_step_prefers_the_newest_usable(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-06-3-00.bin", 10)
    write(tmp_path, "P0S3-06-3-01.bin", 10)
    write(tmp_path, "P0S3-06-3-02.sbn", 10)  # newest but not loadable from 3.x
    write(tmp_path, "P0S3-06-2-00.bin", 10)  # not 6.3
    hop = next_hop("P00303020214", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert hop.image == "P0S3-06-3-01"


def test_release_step_falls_back_to_a_manifest_form(tmp_path: Path) -> None:
    write(
        tmp_path,
        "P0S3-06-3-00.loads",
        make_loads("P0S3-06-3-00.loads", "P0S3-06-3-00.sb2"),
    )
    write(tmp_path, "P0S3-06-3-00.sb2", 10)
    hop = next_hop("P00303020214", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert hop.files == ("P0S3-06-3-00.loads", "P0S3-06-3-00.sb2")
    assert hop.ready


def test_release_step_ignores_subdirectories(tmp_path: Path) -> None:
    write(tmp_path, "old/P0S3-06-3-00.bin", 10)
    hop = next_hop("P00303020214", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert hop.missing == ("P0S3-06-3-00.bin",)


def test_target_uses_the_spelling_on_disk(full_root: Path) -> None:
    hops = plan_hops("P0S3-07-4-00", "P0S3-08-12-00", scan_catalog(full_root))
    assert [hop.image for hop in hops] == ["P0S3-8-12-00"]
    assert hops[0].ready


def test_target_extension_is_ignored(full_root: Path) -> None:
    hops = plan_hops("P0S3-07-4-00", "P0S3-8-12-00.loads", scan_catalog(full_root))
    assert [hop.image for hop in hops] == ["P0S3-8-12-00"]


def test_target_with_a_broken_manifest_needs_a_new_one(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-8-12-00.loads", b"\x00garbage")
    hop = next_hop("P0S3-07-4-00", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert hop.missing == ("P0S3-8-12-00.loads",)


def test_config_hop_to_a_single_signed_image(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-07-5-00.sbn", 10)
    hop = next_hop("P0S3-07-4-00", "P0S3-07-5-00", scan_catalog(tmp_path))
    assert hop is not None
    assert (hop.files, hop.ready) == (("P0S3-07-5-00.sbn",), True)


def test_os79xx_hop_to_an_unknown_old_image_asks_for_its_signed_file() -> None:
    hops = plan_hops("P0S3-05-3-00", "P0S3-06-3-00", EMPTY)
    # The loader is not needed for an old target: it loads straight away.
    assert summary(hops) == [
        ("P0S3-06-3-00", Mechanism.OS79XX, ("P0S3-06-3-00.sbn",), "sip-5-to-6.3"),
    ]


def test_release_step_never_overshoots_the_target() -> None:
    hops = plan_hops("P0S3-03-1-00", "P0S3-04-4-00", EMPTY)
    assert [hop.image for hop in hops] == ["P0S3-04-4-00"]
    hops = plan_hops("P0S3-03-1-00", "P0S3-05-0-00", EMPTY)
    assert [hop.image for hop in hops] == ["P0S3-04-4-00", "P0S3-05-0-00"]


def test_loader_newest_on_server_when_target_manifest_absent(tmp_path: Path) -> None:
    for name in ["P003-8-9-00", "P003-8-11-00", "P003-7-4-00"]:
        write(tmp_path, f"{name}.sbn", 10)
    hop = next_hop("P0S3-06-3-00", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert (hop.image, hop.ready) == ("P003-8-11-00", True)


def test_loader_present_only_unsigned_is_reported_missing(tmp_path: Path) -> None:
    write(tmp_path, "P003-8-12-00.bin", 10)
    hop = next_hop("P0S3-06-3-00", "P0S3-8-12-00", scan_catalog(tmp_path))
    assert hop is not None
    assert (hop.image, hop.missing) == ("P003-8-12-00", ("P003-8-12-00.sbn",))


def test_eight_three_style_target_is_an_old_single_image() -> None:
    hop = next_hop("P0S3-06-3-00", "P0S30801", EMPTY)
    assert hop is not None
    assert (hop.image, hop.files, hop.rule) == (
        "P0S30801",
        ("P0S30801.sbn",),
        "sip-6-loader",
    )
    hop = next_hop("P0S3-07-4-00", "P0S30801", EMPTY)
    assert hop is not None
    assert (hop.files, hop.mechanism) == (("P0S30801.sbn",), Mechanism.CONFIG)


def test_config_hop_when_only_an_unsigned_file_exists(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-07-5-00.bin", 10)
    hop = next_hop("P0S3-07-4-00", "P0S3-07-5-00", scan_catalog(tmp_path))
    assert hop is not None
    assert hop.missing == (
        "P0S3-07-5-00.loads",
        "P003-07-5-00.sbn",
        "P0S3-07-5-00.sb2",
    )


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize("current", [None, "", "  "])
def test_unknown_current_firmware_is_a_clear_error(current: str | None) -> None:
    with pytest.raises(PlanError, match="current firmware is unknown") as caught:
        plan_hops(current, "P0S3-8-12-00", EMPTY)
    assert caught.value.field == "current"
    assert isinstance(caught.value, ProvisioningError)


@pytest.mark.parametrize(
    ("current", "target", "fragment", "field"),
    [
        ("P0S3-8-12", "P0S3-8-12-00", "current firmware: ", "current"),
        ("jar41sip.8-5-4S.sbn", "SIP41.8-5-4S", "not an image a phone runs", "current"),
        (
            "term41.default.loads",
            "SIP41.8-5-4S",
            "not an image a phone runs",
            "current",
        ),
        ("P0S3-07-4-00", "nonsense", "target firmware: ", "target"),
        ("P0S3-07-4-00", "P003-8-12-00", "not an application image", "target"),
        ("P0S3-07-4-00", "apps41.8-5-4S.sbn", "not an application image", "target"),
        ("SIP41.8-5-4S", "P0S3-8-12-00", "firmware for 79x0 phones", "target"),
        ("SIP41.8-5-4S", "SIP42.9-4-2SR3-1S", "firmware for 79x2 phones", "target"),
        ("P0M3-08-1-00", "P0S3-8-12-00", "no hop rule covers", "current"),
    ],
)
def test_plan_errors(current: str, target: str, fragment: str, field: str) -> None:
    with pytest.raises(PlanError, match=fragment) as caught:
        plan_hops(current, target, EMPTY)
    assert caught.value.field == field


def test_rules_that_loop_are_caught() -> None:
    loop = HopRule(
        "loop",
        frozenset({Protocol.SIP}),
        None,
        None,
        StepKind.RELEASE,
        Mechanism.OS79XX,
        "test",
        release=(Protocol.SIP, 6, 3),
    )
    with pytest.raises(PlanError, match="loop at P0S3-06-3-00"):
        plan_hops("P0S3-06-3-00", "P0S3-8-12-00", EMPTY, rules=(loop,))


def test_plans_longer_than_max_hops_are_refused() -> None:
    ladder = tuple(
        HopRule(
            f"step-{major}",
            frozenset({Protocol.SIP}),
            FirmwareVersion(major, 0),
            FirmwareVersion(major + 1, 0),
            StepKind.RELEASE,
            Mechanism.OS79XX,
            "test",
            release=(Protocol.SIP, major + 1, 0),
        )
        for major in range(1, 20)
    )
    with pytest.raises(PlanError, match="loop"):
        plan_hops("P0S3-01-0-00", "P0S3-15-0-00", EMPTY, rules=ladder)
    short = plan_hops("P0S3-01-0-00", f"P0S3-{MAX_HOPS:02d}-0-00", EMPTY, rules=ladder)
    assert len(short) == MAX_HOPS - 1


def test_release_names_for_other_protocols() -> None:
    rules = (
        HopRule(
            "sccp-up",
            frozenset({Protocol.SCCP}),
            None,
            FirmwareVersion(5, 0),
            StepKind.RELEASE,
            Mechanism.OS79XX,
            "test",
            release=(Protocol.SCCP, 5, 0),
        ),
        HopRule(
            "to-mgcp",
            frozenset({Protocol.SCCP}),
            FirmwareVersion(5, 0),
            None,
            StepKind.RELEASE,
            Mechanism.OS79XX,
            "test",
            release=(Protocol.MGCP, 8, 0),
        ),
        HopRule(
            "mgcp-on",
            frozenset({Protocol.MGCP}),
            None,
            None,
            StepKind.TARGET,
            Mechanism.CONFIG,
            "test",
        ),
    )
    hops = plan_hops("P00303020214", "P0S3-8-12-00", EMPTY, rules=rules)
    assert [hop.image for hop in hops] == [
        "P00305000000",
        "P0M3-08-0-00",
        "P0S3-8-12-00",
    ]
    assert parse_image_name(hops[1].image).protocol is Protocol.MGCP


@pytest.mark.parametrize(
    ("step", "release"),
    [(StepKind.RELEASE, None), (StepKind.TARGET, (Protocol.SIP, 6, 3))],
)
def test_rule_table_rows_are_checked(
    step: StepKind, release: tuple[Protocol, int, int] | None
) -> None:
    with pytest.raises(ValueError, match="release step needs release="):
        HopRule(
            "bad",
            frozenset({Protocol.SIP}),
            None,
            None,
            step,
            Mechanism.OS79XX,
            "x",
            release=release,
        )


def test_every_rule_has_a_source_and_a_unique_id() -> None:
    ids = [item.rule_id for item in HOP_RULES]
    assert len(ids) == len(set(ids))
    assert all(item.source for item in HOP_RULES)


_CURRENT = st.one_of(
    st.builds(
        "P0S3-{:02d}-{}-{:02d}".format,
        st.integers(1, 9),
        st.integers(0, 12),
        st.integers(0, 3),
    ),
    st.builds(
        "P003{:02d}{:02d}{:02d}{:02d}".format,
        st.integers(1, 9),
        st.integers(0, 5),
        st.integers(0, 9),
        st.integers(0, 20),
    ),
    st.builds("P003-{}-{}-00".format, st.integers(5, 9), st.integers(0, 12)),
)
_TARGET = st.one_of(
    st.builds("P0S3-{}-{}-00".format, st.integers(4, 9), st.integers(0, 12)),
    st.builds("P003{:02d}{:02d}0200".format, st.integers(6, 9), st.integers(0, 3)),
)


@settings(max_examples=200, deadline=None)
@given(_CURRENT, _TARGET)
def test_any_walk_ends_at_the_target_or_explains_why(current: str, target: str) -> None:
    try:
        hops = plan_hops(current, target, EMPTY)
    except PlanError as err:  # only a rule gap may stop a plan
        message = str(err)
        assert "no hop rule" in message
        return
    goal = parse_image_name(target)
    assert len(hops) <= MAX_HOPS
    if hops:
        assert hops[-1].firmware.same_release(goal)
        assert {hop.rule for hop in hops} <= {item.rule_id for item in HOP_RULES}
        assert all(hop.missing == hop.files for hop in hops)  # empty server
    else:
        running = parse_image_name(current)
        assert running.protocol is goal.protocol
        assert running.version >= goal.version
