"""The tracker's cost per phone does not grow with the phones (issue #16).

Counted, never timed: calls of ``is_known`` (a scan of every phone for room
made each new phone cost the whole table once 512 phones were tracked) and
the IP binding staying one address per phone.
"""

from __future__ import annotations

from custom_components.cisco_ip_phone.provisioning.tracking.tracker import (
    MAX_PHONES,
    PhoneTracker,
)
from tests.support.tracker import fetch


def _mac(index: int) -> str:
    return f"0011AA{index:06X}"


def _ip(index: int) -> str:
    return f"10.1.{index // 250}.{index % 250 + 1}"


def test_first_boots_of_many_known_phones_stay_linear() -> None:
    phones = 2 * MAX_PHONES
    known = {_mac(i) for i in range(phones)}
    calls = 0

    def is_known(mac: str) -> bool:
        nonlocal calls
        calls += 1
        return mac in known

    tracker = PhoneTracker(is_known=is_known)
    for index in range(phones):
        fetch(tracker, f"SEP{_mac(index)}.cnf.xml", 1.0, ip=_ip(index))
        fetch(tracker, "SIPDefault.cnf", 2.0, ip=_ip(index))
    assert tracker.count() == phones
    assert calls <= 4 * phones  # a few per phone, never one per tracked phone
    assert all(tracker.mac_for_ip(_ip(i)) == _mac(i) for i in range(phones))


def test_an_address_moves_between_phones_and_strangers_are_forgotten() -> None:
    tracker = PhoneTracker(is_known=lambda mac: mac == _mac(0))
    fetch(tracker, f"SEP{_mac(0)}.cnf.xml", 1.0, ip="10.0.0.1")
    fetch(tracker, f"SEP{_mac(0)}.cnf.xml", 2.0, ip="10.0.0.2")  # DHCP moved it
    assert tracker.mac_for_ip("10.0.0.1") is None
    assert tracker.mac_for_ip("10.0.0.2") == _mac(0)
    fetch(tracker, f"SEP{_mac(1)}.cnf.xml", 3.0, ip="10.0.0.2")  # address reused
    assert tracker.mac_for_ip("10.0.0.2") == _mac(1)
    fetch(tracker, f"SEP{_mac(0)}.cnf.xml", 4.0, ip="10.0.0.3")
    assert tracker.mac_for_ip("10.0.0.3") == _mac(0)
    assert tracker.mac_for_ip("10.0.0.2") == _mac(1)
    for index in range(2, MAX_PHONES + 10):  # strangers: the oldest go
        fetch(tracker, f"SEP{_mac(index)}.cnf.xml", 10.0 + index, ip=_ip(index))
    assert tracker.count() == MAX_PHONES
    assert tracker.observation(_mac(0)) is not None  # known: kept
    assert tracker.mac_for_ip("10.0.0.2") is None  # its stranger was forgotten
    assert tracker.mac_for_ip(_ip(MAX_PHONES + 9)) == _mac(MAX_PHONES + 9)
