"""Issue #11 item 8 (engine part): only plausible phones are discovered, slowly."""

from __future__ import annotations

import random

import pytest

from custom_components.cisco_ip_phone.provisioning.tracking.cisco_oui import (
    CISCO_OUIS,
)
from custom_components.cisco_ip_phone.provisioning.tracking.discovery import (
    DiscoveryGate,
    DiscoveryLimits,
)

PHONE = "000E84C060A6"  # a real 7960 from the reference logs


def test_real_phone_macs_from_the_logs_are_cisco() -> None:
    assert {"000E84", "0011BB", "0015F9"} <= CISCO_OUIS
    assert all(len(o) == 6 and o == o.upper() for o in CISCO_OUIS)


def test_plausible_phone_is_admitted_and_remembered() -> None:
    gate = DiscoveryGate(DiscoveryLimits(rate=0.001, burst=1))
    assert gate.admit(PHONE, None, f"SEP{PHONE}.cnf.xml", 0.0)
    # Its next files cost no token (the bucket is empty now).
    assert gate.admit(PHONE.lower(), "7960", f"SIP{PHONE}.cnf", 1.0)
    assert gate.remembered == 1


@pytest.mark.parametrize(
    ("mac", "model", "file"),
    [
        ("123456789ABC", None, "SEP123456789ABC.cnf.xml"),  # not a Cisco OUI
        (PHONE, None, "SEP000E84000000.cnf.xml"),  # file names another MAC
        (PHONE, None, "SIPDefault.cnf"),  # not a per-phone file
        (PHONE, "7941", f"SIP{PHONE}.cnf"),  # a 7941 never reads SIP<MAC>.cnf
        (PHONE, "9999", f"SEP{PHONE}.cnf.xml"),  # no such model
        ("000E84", None, "SEP000E84.cnf.xml"),  # not a MAC
    ],
)
def test_implausible_requests_are_refused(
    mac: str, model: str | None, file: str
) -> None:
    gate = DiscoveryGate()
    assert not gate.admit(mac, model, file, 0.0)
    assert gate.refused_implausible == 1


def test_flood_of_random_cisco_macs_is_rate_bounded() -> None:
    rng = random.Random(8)
    ouis = sorted(CISCO_OUIS)
    limits = DiscoveryLimits(rate=0.2, burst=20, max_entries=1024)
    gate = DiscoveryGate(limits)
    admitted = 0
    for i in range(5000):  # the flood, in 50 s
        mac = rng.choice(ouis) + f"{rng.getrandbits(24):06X}"
        admitted += gate.admit(mac, None, f"SEP{mac}.cnf.xml", i * 0.01)
    assert admitted <= limits.burst + 50 * limits.rate + 1  # before #11: 1,254
    assert gate.remembered <= limits.max_entries
    assert gate.refused_rate >= 5000 - admitted - 1


def test_tokens_come_back_over_time() -> None:
    gate = DiscoveryGate(DiscoveryLimits(rate=1.0, burst=1))
    macs = [f"000E84{n:06X}" for n in range(3)]
    assert gate.admit(macs[0], None, f"SEP{macs[0]}.cnf.xml", 10.0)
    assert not gate.admit(macs[1], None, f"SEP{macs[1]}.cnf.xml", 10.5)
    assert gate.admit(macs[1], None, f"SEP{macs[1]}.cnf.xml", 11.6)
    assert not gate.admit(macs[2], None, f"SEP{macs[2]}.cnf.xml", 5.0)  # clock back


def test_memory_is_an_lru_and_forget_works() -> None:
    gate = DiscoveryGate(DiscoveryLimits(rate=1000, burst=1000, max_entries=3))
    macs = [f"000E84{n:06X}" for n in range(5)]
    for mac in macs:
        gate.admit(mac, None, f"SEP{mac}.cnf.xml", 0.0)
    assert gate.remembered == 3
    gate.forget(macs[-1])
    assert gate.remembered == 2


def test_extra_ouis_and_validation() -> None:
    gate = DiscoveryGate(extra_ouis=frozenset({"abcdef"}))
    assert gate.admit("ABCDEF000001", None, "SEPABCDEF000001.cnf.xml", 0.0)
    for bad in ({"rate": 0}, {"burst": 0}, {"max_entries": 0}):
        with pytest.raises(ValueError, match="positive"):
            DiscoveryLimits(**bad)  # type: ignore[arg-type]
