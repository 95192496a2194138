"""The observed state survives a restart; corrupt saved data never crashes."""

from __future__ import annotations

import json
import logging

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.cisco_ip_phone.provisioning.tftp.events import (
    EventKind,
    TransferOutcome,
)
from custom_components.cisco_ip_phone.provisioning.tracking.model import (
    SavedStateError,
)
from custom_components.cisco_ip_phone.provisioning.tracking.tracker import (
    PhoneObservation,
    PhoneTracker,
    ProvisioningState,
)
from tests.support.tracker import IP, MAC, fetch, replay, transfer

BOOT = [
    (1000.0, f"CTLSEP{MAC}.tlv", False),
    (1000.1, f"SEP{MAC}.cnf.xml", True),
    (1000.2, "P0S3-8-12-00.loads", True),
    (1023.0, "SIPDefault.cnf", True),
    (1023.1, f"./SIP{MAC}.cnf", True),
    (1024.0, "RINGLIST.DAT", True),
]


def test_round_trip_through_json() -> None:
    t = PhoneTracker(lambda mac: True)
    replay(t, BOOT)
    fetch(t, "dialplan.xml", 1024.1, digest="d1", port=9)
    saved = json.loads(json.dumps(t.as_dict()))

    fresh = PhoneTracker(lambda mac: True)
    fresh.restore(saved)
    assert fresh.observation(MAC) == t.observation(MAC)
    assert fresh.mac_for_ip(IP) == MAC
    assert fresh.observation(MAC).fetched == {"dialplan.xml": "d1"}  # type: ignore[union-attr]
    # after a restart the next hunt is a boot, and MAC-less files map by IP
    fetch(fresh, f"CTLSEP{MAC}.tlv", 5000.0, found=False)
    assert fresh.observation(MAC).last_boot == 5000.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data",
    [None, [], {"version": 99, "phones": []}, {"version": 1, "phones": {}}],
)
def test_unusable_saved_data_is_ignored_with_a_warning(
    data: object, caplog: pytest.LogCaptureFixture
) -> None:
    t = PhoneTracker(lambda mac: True)
    with caplog.at_level(logging.WARNING):
        t.restore(data)  # type: ignore[arg-type]
    assert t.observations() == {}
    assert "Ignoring saved phone states" in caplog.text


def test_bad_entries_are_skipped_good_ones_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = PhoneObservation(MAC, ProvisioningState.CONFIGURED, ip=IP).as_dict()
    bad = [
        "not a mapping",
        {"mac": "short"},
        {"mac": "001122334455", "state": "dancing"},
        {"mac": "001122334455", "fetched": {"a": 1}},
        {"mac": "001122334455", "ip": 7},
        {"mac": "001122334455", "last_boot": "yesterday"},
        {"mac": "001122334455", "last_boot": True},
        {"mac": "001122334455", "last_seen": float("inf")},
    ]
    t = PhoneTracker(lambda mac: True)
    with caplog.at_level(logging.WARNING):
        t.restore({"version": 1, "phones": [*bad, good]})
    assert list(t.observations()) == [MAC]
    assert t.observation(MAC).state is ProvisioningState.CONFIGURED  # type: ignore[union-attr]
    assert caplog.text.count("Skipping a saved phone state") == len(bad)


def test_from_dict_defaults_and_upper_cases() -> None:
    obs = PhoneObservation.from_dict({"mac": MAC.lower()})
    assert obs == PhoneObservation(MAC)
    with pytest.raises(SavedStateError, match="unknown state"):
        PhoneObservation.from_dict({"mac": MAC, "state": "x"})


NAMES = [
    f"CTLSEP{MAC}.tlv",
    f"SEP{MAC}.cnf.xml",
    f"./SIP{MAC}.cnf",
    f"MGC{MAC}.cnf",
    "CTLSEP00AABBCCDDEE.tlv",
    "XMLDefault.cnf.xml",
    "SIPDefault.cnf",
    "OS79XX.TXT",
    "RINGLIST.DAT",
    "dialplan.xml",
    "syncinfo.xml",
    "US/7960-tones.xml",
    "P0S3-8-12-00.loads",
    "P003-8-12-00.sbn",
    "P0S3-8-12-00.sb2",
    "P0S3-06-3-00.bin",
    "CTU.raw",
]
STEP = st.tuples(
    st.one_of(st.sampled_from(NAMES), st.text(max_size=40)),
    st.sampled_from(list(EventKind)),
    st.sampled_from(list(TransferOutcome)),
    st.floats(min_value=0, max_value=120),
    st.sampled_from(["10.0.0.1", "10.0.0.2"]),
    st.integers(min_value=1, max_value=4),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=60), st.booleans())
def test_any_event_sequence_keeps_the_tracker_consistent(
    steps: list[tuple[str, EventKind, TransferOutcome, float, str, int]],
    known: bool,
) -> None:
    t = PhoneTracker(lambda mac: known)
    now = 0.0
    for name, kind, outcome, gap, ip, port in steps:
        now += gap
        events = t.handle(
            transfer(name, now, kind=kind, outcome=outcome, ip=ip, port=port)
        )
        events += t.tick(now)
        for event in events:
            assert event.observation.state in ProvisioningState
            assert event.mac == event.observation.mac
    for ip in ("10.0.0.1", "10.0.0.2"):
        mac = t.mac_for_ip(ip)
        assert mac is None or t.observation(mac).ip == ip  # type: ignore[union-attr]
    restored = PhoneTracker(lambda mac: known)
    restored.restore(json.loads(json.dumps(t.as_dict())))
    assert restored.observations() == t.observations()


def test_an_outcome_from_another_address_moves_the_phone_there() -> None:
    """Found by the property test above: the IP map and the observation agree."""
    t = PhoneTracker(lambda mac: False)
    name = "CTLSEP000E84C060A6.tlv"
    for kind, ip in (
        (EventKind.REQUEST, "10.0.0.1"),
        (EventKind.REQUEST, "10.0.0.1"),
        (EventKind.COMPLETED, "10.0.0.2"),
    ):
        t.handle(transfer(name, 0.0, kind=kind, ip=ip, port=1))
    assert t.mac_for_ip("10.0.0.1") is None
    assert t.mac_for_ip("10.0.0.2") == "000E84C060A6"
    assert t.observation("000E84C060A6").ip == "10.0.0.2"  # type: ignore[union-attr]
