"""Tracker rules replayed on the request sequences of the real logs (reference §1)."""

from __future__ import annotations

import pytest

from custom_components.cisco_ip_phone.provisioning.tftp.events import (
    EventKind,
    TransferOutcome,
)
from custom_components.cisco_ip_phone.provisioning.tracking.tracker import (
    PhoneTracker,
    ProvisioningState as S,
    TrackerTimings,
)
from tests.support.tracker import IP, MAC, fetch, kinds, replay, states, transfer

KNOWN = {MAC, "0015F9175CB0", "0011BB73AD61"}


def tracker(**kwargs: object) -> PhoneTracker:
    return PhoneTracker(KNOWN.__contains__, clock=lambda: 5000.0, **kwargs)  # type: ignore[arg-type]


# LOG-TEO: a 7960 already on P0S3-8-12-00 with a SEP<MAC>.cnf.xml, tftp_cfg_dir "./"
LOG_TEO = [
    (1000.0, "CTLSEP000E84C060A6.tlv", False),
    (1000.1, "SEP000E84C060A6.cnf.xml", True),
    (1000.2, "P0S3-8-12-00.loads", True),
    (1023.0, "SIPDefault.cnf", True),
    (1023.1, "./SIP000E84C060A6.cnf", True),
    (1024.0, "RINGLIST.DAT", True),
    (1024.0, "dialplan.xml", True),
]


def test_log_teo_boot_reaches_configured_and_learns_everything() -> None:
    t = tracker()
    events = replay(t, LOG_TEO)

    assert states(events) == [S.BOOTING, S.CHECKING_IMAGE, S.BOOTING, S.CONFIGURED]
    assert kinds(events).count("booted") == 1
    assert kinds(events)[-1] == "configured"
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.state is S.CONFIGURED
    assert obs.ip == IP
    assert obs.firmware == "P0S3-8-12-00"
    assert obs.last_boot == 1000.0
    assert obs.last_config_fetch == 1023.1
    assert obs.last_seen == 1024.0
    assert obs.error is None
    assert t.mac_for_ip(IP) == MAC


def test_log_teo_second_boot_17_minutes_later_is_a_new_boot() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    later = [(at + 17 * 60, name, found) for at, name, found in LOG_TEO]
    events = replay(t, later)

    assert kinds(events).count("booted") == 1
    assert t.observation(MAC).last_boot == 1000.0 + 17 * 60  # type: ignore[union-attr]
    assert t.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]


def test_user_log_hunt_then_sip_application() -> None:
    """The seed notes: hunt stops at SIP<MAC>.cnf, then the SIP app starts."""
    t = tracker()
    mac = "001122334455"
    events = replay(
        t,
        [
            (32.672, f"CTLSEP{mac}.tlv", False),
            (32.703, f"SEP{mac}.cnf.xml", False),
            (32.719, f"SIP{mac}.cnf", True),
            (32.781, "P0S3-08-2-00.loads", True),
            (54.672, "SIPDefault.cnf", True),
            (54.828, f"SIP{mac}.cnf", True),
            (56.891, "RINGLIST.DAT", True),
            (56.907, "dialplan.xml", True),
        ],
    )
    obs = t.observation(mac)
    assert obs is not None
    assert obs.state is S.CONFIGURED
    assert obs.firmware == "P0S3-08-2-00"
    # the MAC is not configured here: one discovery for the boot, with its IP
    discovered = [e for e in events if e.kind == "discovered"]
    assert len(discovered) == 1
    assert discovered[0].observation.ip == IP
    assert discovered[0].file == f"CTLSEP{mac}.tlv"


def test_hunt_sip_config_not_found_is_not_unprovisioned() -> None:
    t = tracker()
    replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, f"SEP{MAC}.cnf.xml", False),
            (0.2, f"SIP{MAC}.cnf", False),
            (0.3, f"MGC{MAC}.cnf", False),
            (0.4, "XMLDefault.cnf.xml", True),
        ],
    )
    assert t.observation(MAC).state is S.BOOTING  # type: ignore[union-attr]


def test_log_jh_two_stage_upgrade_loader_then_application() -> None:
    """10.200.0.7 on 2021-07-06: .sbn, reboot 29 s later, then the .sb2."""
    t = tracker()
    mac, ip = "0015F9175CB0", "10.200.0.7"
    hunt = [
        f"CTLSEP{mac}.tlv",
        f"SEP{mac}.cnf.xml",
        f"SIP{mac}.cnf",
        f"MGC{mac}.cnf",
        "XMLDefault.cnf.xml",
        "P0S3-8-12-00.loads",
    ]
    events = replay(t, [(0.0, name, "MGC" not in name) for name in hunt], ip=ip)
    events += t.handle(
        transfer("P003-8-12-00.sbn", 2.0, kind=EventKind.REQUEST, ip=ip, port=50320)
    )
    assert t.observation(mac).state is S.DOWNLOADING_LOADER  # type: ignore[union-attr]
    events += t.handle(transfer("P003-8-12-00.sbn", 7.0, ip=ip, port=50320))
    events += replay(t, [(36.0, name, "MGC" not in name) for name in hunt], ip=ip)
    assert kinds(events).count("booted") == 2
    events += t.handle(
        transfer("P0S3-8-12-00.sb2", 39.0, kind=EventKind.REQUEST, ip=ip, port=50400)
    )
    assert t.observation(mac).state is S.DOWNLOADING_APPLICATION  # type: ignore[union-attr]
    events += t.handle(transfer("P0S3-8-12-00.sb2", 46.0, ip=ip, port=50400))
    assert t.observation(mac).firmware is None  # type: ignore[union-attr]
    # the new application reboots the phone once more, then starts
    events += replay(t, [(75.0, name, "MGC" not in name) for name in hunt], ip=ip)
    events += replay(
        t,
        [
            (98.0, "SIPDefault.cnf", True),
            (98.1, f"SIP{mac}.cnf", True),
            (99.0, "RINGLIST.DAT", True),
            (99.0, "dialplan.xml", True),
        ],
        ip=ip,
    )
    obs = t.observation(mac)
    assert obs is not None
    assert obs.state is S.CONFIGURED
    assert obs.firmware == "P0S3-8-12-00"
    assert obs.last_boot == 75.0
    assert "error" not in kinds(events)


def test_missing_application_image_is_firmware_missing_and_old_image_stays() -> None:
    t = tracker()
    replay(t, LOG_TEO)  # running P0S3-8-12-00
    events = replay(
        t,
        [
            (2000.0, f"CTLSEP{MAC}.tlv", False),
            (2000.1, f"SEP{MAC}.cnf.xml", True),
            (2000.2, "P0S3-9-0-00.loads", True),
            (2000.5, "P0S3-9-0-00.sb2", False),
        ],
    )
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.state is S.FIRMWARE_MISSING
    assert obs.error is not None
    assert "P0S3-9-0-00.sb2" in obs.error
    errors = [e for e in events if e.kind == "error"]
    assert errors[-1].file == "P0S3-9-0-00.sb2"
    # the phone gives up and boots its old application
    replay(
        t,
        [
            (2023.0, "SIPDefault.cnf", True),
            (2023.1, f"SIP{MAC}.cnf", True),
            (2024.0, "RINGLIST.DAT", True),
        ],
    )
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.state is S.CONFIGURED
    assert obs.firmware == "P0S3-8-12-00"
    assert obs.error is None


def test_missing_manifest_is_firmware_missing() -> None:
    t = tracker()
    replay(t, [(0.0, f"CTLSEP{MAC}.tlv", False), (0.1, "P0S3-08-2-00.loads", False)])
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.state is S.FIRMWARE_MISSING
    assert "P0S3-08-2-00.loads" in (obs.error or "")


def test_failed_image_transfer_reports_an_error_without_changing_state() -> None:
    t = tracker()
    replay(t, [(0.0, f"CTLSEP{MAC}.tlv", False), (0.1, "P0S3-8-12-00.loads", True)])
    events = fetch(t, "P0S3-8-12-00.sb2", 5.0, outcome=TransferOutcome.TIMEOUT)
    assert kinds(events) == ["state_changed", "error"]
    assert "timeout" in (events[-1].reason or "")
    assert t.observation(MAC).state is S.DOWNLOADING_APPLICATION  # type: ignore[union-attr]


def test_sip_config_not_found_is_unprovisioned_even_after_ringlist() -> None:
    t = tracker()
    events = replay(
        t,
        [
            (0.0, "SIPDefault.cnf", True),
            (0.1, f"./SIP{MAC}.cnf", False),
            (1.0, "RINGLIST.DAT", True),
            (1.0, "dialplan.xml", True),
        ],
    )
    assert t.observation(MAC).state is S.UNPROVISIONED  # type: ignore[union-attr]
    assert "configured" not in kinds(events)


def test_log_jh_sip_config_every_30_s_is_config_rejected() -> None:
    """10.200.0.1 re-requested SIP0011BB73AD61.cnf every ~31 s for minutes."""
    t = tracker()
    mac, ip = "0011BB73AD61", "10.200.0.1"
    replay(t, [(0.0, "SIPDefault.cnf", True), (0.1, f"SIP{mac}.cnf", True)], ip=ip)
    assert t.observation(mac).state is S.BOOTING  # type: ignore[union-attr]
    events = fetch(t, f"SIP{mac}.cnf", 31.0, ip=ip, port=49849)
    assert states(events) == [S.CONFIG_REJECTED]
    assert "error" in kinds(events)
    # it keeps going for minutes: neither a new boot nor a loop
    for n in range(2, 20):
        events = fetch(t, f"SIP{mac}.cnf", 31.0 * n, ip=ip, port=49849 + n)
        assert kinds(events) == []
    assert t.observation(mac).state is S.CONFIG_REJECTED  # type: ignore[union-attr]


def test_quick_sip_config_retransmit_is_not_a_rejection() -> None:
    t = tracker()
    replay(t, [(0.0, "SIPDefault.cnf", True), (0.1, f"SIP{MAC}.cnf", True)])
    replay(t, [(4.1, f"SIP{MAC}.cnf", True), (5.0, "RINGLIST.DAT", True)])
    assert t.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]


def test_config_served_and_nothing_follows_is_rejected_by_tick() -> None:
    t = tracker()
    replay(t, [(0.0, "SIPDefault.cnf", True), (0.1, f"SIP{MAC}.cnf", True)])
    assert t.tick(59.0) == []
    events = t.tick(60.2)
    assert states(events) == [S.CONFIG_REJECTED]
    assert t.tick(200.0) == []


def test_sccp_phone_with_locale_files_is_running_sccp() -> None:
    """LOG-JH SCCP 7960s: SEP<MAC>.cnf.xml, then US/7960-tones.xml and fonts."""
    t = tracker()
    replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, f"SEP{MAC}.cnf.xml", True),
            (0.2, "P00308010200.loads", True),
            (20.0, "US/7960-tones.xml", True),
            (20.1, "/7960-font.xml", False),
        ],
    )
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.state is S.RUNNING_SCCP
    assert obs.model == "7960"
    assert obs.firmware == "P00308010200"


def test_locale_files_after_sip_application_do_not_mean_sccp() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    replay(t, [(1100.0, "US/7960-tones.xml", True)])
    assert t.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]


def test_ten_identical_requests_in_a_row_is_stuck_in_loop() -> None:
    """LOG-JH 2021-07-03: CTLSEP every 4 s, then SEP, in ~55 s cycles."""
    t = tracker()
    events = []
    for n in range(9):
        events += fetch(t, f"CTLSEP{MAC}.tlv", 4.0 * n, found=False, port=49844 + n)
    assert t.observation(MAC).state is S.BOOTING  # type: ignore[union-attr]
    events = fetch(t, f"CTLSEP{MAC}.tlv", 36.0, found=False, port=49900)
    assert states(events) == [S.STUCK_IN_LOOP]
    assert "10 times" in (t.observation(MAC).error or "")  # type: ignore[union-attr]
    # the rest of the cycle, and the next cycle 55 s later: still stuck, quietly
    later = [(40.0 + 4 * n, f"SEP{MAC}.cnf.xml", True) for n in range(15)]
    later += [(155.0 + 4 * n, f"CTLSEP{MAC}.tlv", False) for n in range(15)]
    events = replay(t, later)
    assert events == []
    # progress: the phone finally reaches the image check
    events = fetch(t, "P0S3-8-12-00.loads", 300.0)
    assert states(events) == [S.CHECKING_IMAGE]


def test_application_image_fetched_twice_without_progress_is_an_error() -> None:
    """CSC-FAIL: the .sb2 came twice, then the old application booted."""
    t = tracker()
    replay(t, LOG_TEO)
    boot = [
        (f"CTLSEP{MAC}.tlv", False),
        (f"SEP{MAC}.cnf.xml", True),
        ("P0S3-9-0-00.loads", True),
        ("P0S3-9-0-00.sb2", True),
    ]
    events = replay(t, [(2000.0 + n, name, ok) for n, (name, ok) in enumerate(boot)])
    assert "error" not in kinds(events)
    events = replay(t, [(2100.0 + n, name, ok) for n, (name, ok) in enumerate(boot)])
    errors = [e for e in events if e.kind == "error"]
    assert len(errors) == 1
    assert errors[0].file == "P0S3-9-0-00.sb2"
    replay(t, [(2200.0, "SIPDefault.cnf", True), (2200.1, f"SIP{MAC}.cnf", True)])
    assert t.observation(MAC).firmware == "P0S3-8-12-00"  # type: ignore[union-attr]


def test_loader_without_application_request_is_reported_after_a_while() -> None:
    t = tracker()
    replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, "P0S3-8-12-00.loads", True),
            (0.5, "P003-8-12-00.sbn", True),
        ],
    )
    assert t.tick(299.0) == []
    events = t.tick(300.5)
    assert kinds(events) == ["error"]
    assert "Protocol Application Invalid" in (events[0].reason or "")
    assert t.tick(1000.0) == []


def test_application_request_after_the_loader_cancels_the_timer() -> None:
    t = tracker()
    replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, "P0S3-8-12-00.loads", True),
            (0.5, "P003-8-12-00.sbn", True),
            (30.0, f"CTLSEP{MAC}.tlv", False),
            (30.1, "P0S3-8-12-00.loads", True),
        ],
    )
    t.handle(transfer("P0S3-8-12-00.sb2", 31.0, kind=EventKind.REQUEST, port=7))
    assert t.tick(1000.0) == []


def test_loader_followed_by_application_start_cancels_the_timer() -> None:
    t = tracker()
    replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, "P0S3-8-12-00.loads", True),
            (0.5, "P003-8-12-00.sbn", True),
            (30.0, f"CTLSEP{MAC}.tlv", False),
            (30.1, "P0S3-8-12-00.loads", True),
            (53.0, "SIPDefault.cnf", True),
        ],
    )
    assert t.tick(1000.0) == []


def test_check_sync_answered_then_dialplan_returns_to_configured() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    t.expect_sync(MAC.lower(), now=2000.0)
    events = fetch(t, "syncinfo.xml", 2020.0)
    assert kinds(events) == ["state_changed", "sync_requested"]
    assert t.observation(MAC).state is S.SYNC_CHECK  # type: ignore[union-attr]
    events = fetch(t, "dialplan.xml", 2020.1)
    assert states(events) == [S.CONFIGURED]
    assert t.tick(2100.0) == []  # the NOTIFY was answered: no timeout error


def test_check_sync_followed_by_reboot() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    fetch(t, "syncinfo.xml", 2020.0)
    fetch(t, "syncinfo.xml", 2020.5)  # a retransmit keeps the state
    events = replay(t, [(at + 1040, n, f) for at, n, f in LOG_TEO])
    assert "booted" in kinds(events)
    assert t.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]
    assert t.tick(4000.0) == []


def test_check_sync_without_any_follow_up_reverts_after_timeout() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    fetch(t, "syncinfo.xml", 2020.0)
    fetch(t, "RINGLIST.DAT", 2020.1)  # not the dial plan: still checking
    assert t.tick(2079.0) == []
    assert states(t.tick(2080.0)) == [S.CONFIGURED]


def test_check_sync_not_answered_is_an_error() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    t.expect_sync(MAC)  # uses the injected clock: 5000
    assert t.tick(5059.0) == []
    events = t.tick(5060.0)
    assert kinds(events) == ["error"]
    assert "syncinfo.xml" in (events[0].reason or "")
    assert t.tick(5200.0) == []


def test_discovered_once_per_boot_for_unknown_macs_only() -> None:
    t = tracker()
    stranger = "00AABBCCDDEE"
    hunt = [
        (0.0, f"CTLSEP{stranger}.tlv", False),
        (0.1, f"SEP{stranger}.cnf.xml", False),
        (0.2, f"SIP{stranger}.cnf", False),
    ]
    events = replay(t, hunt, ip="10.0.0.9")
    assert kinds(events).count("discovered") == 1
    events = replay(t, [(at + 600, n, f) for at, n, f in hunt], ip="10.0.0.9")
    assert kinds(events).count("discovered") == 1
    assert "discovered" not in kinds(replay(t, LOG_TEO))


def test_names_with_prefix_and_any_case_are_understood() -> None:
    t = tracker()
    replay(
        t,
        [
            (0.0, f"ctlsep{MAC.lower()}.TLV", False),
            (0.1, "p0s3-8-12-00.LOADS", True),
            (23.0, "/sipdefault.cnf", True),
            (23.1, f"./sip{MAC.lower()}.cnf", True),
            (24.0, "ringlist.dat", True),
        ],
    )
    obs = t.observation(MAC.lower())
    assert obs is not None
    assert obs.state is S.CONFIGURED
    assert obs.firmware == "p0s3-8-12-00"


def test_old_image_boot_without_mac_is_tied_by_ip_once_the_mac_shows() -> None:
    """SIP <= 6.x: OS79XX.TXT and SIPDefault.cnf carry no MAC (reference §1.2)."""
    t = tracker()
    assert fetch(t, "OS79XX.TXT", 0.0, ip="10.0.0.5") == []
    assert fetch(t, "SIPDefault.cnf", 0.5, ip="10.0.0.5") == []
    assert t.mac_for_ip("10.0.0.5") is None
    events = fetch(t, f"SIP{MAC}.cnf", 0.7, ip="10.0.0.5")
    assert kinds(events)[:2] == ["state_changed", "booted"]
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.last_boot == 0.0
    assert obs.ip == "10.0.0.5"
    fetch(t, "RINGLIST.DAT", 1.0, ip="10.0.0.5")
    assert t.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]


def test_stale_mac_less_requests_are_not_replayed() -> None:
    t = tracker()
    fetch(t, "OS79XX.TXT", 0.0, ip="10.0.0.5")
    fetch(t, f"SIP{MAC}.cnf", 500.0, ip="10.0.0.5")
    assert t.observation(MAC).last_boot == 500.0  # type: ignore[union-attr]


def test_sip_default_after_long_silence_is_a_new_boot() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    events = fetch(t, "SIPDefault.cnf", 1500.0)
    assert "booted" in kinds(events)
    assert t.observation(MAC).last_boot == 1500.0  # type: ignore[union-attr]


def test_outcome_only_events_imply_the_request() -> None:
    """A server that reports only the end of a transfer is understood too."""
    t = tracker()
    for at, name, found in LOG_TEO:
        outcome = TransferOutcome.OK if found else TransferOutcome.NOT_FOUND
        kind = EventKind.COMPLETED if found else EventKind.FAILED
        t.handle(transfer(name, at, kind=kind, outcome=outcome))
    assert t.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]


def test_generated_files_fetched_are_recorded_with_their_digest() -> None:
    t = tracker()
    fetch(t, f"CTLSEP{MAC}.tlv", 0.0, found=False)
    fetch(t, f"./SIP{MAC}.cnf", 23.0, digest="abc", port=1)
    t.handle(
        transfer(
            "sipdefault.cnf", 23.1, digest="def", resolved="SIPDefault.cnf", port=2
        )
    )
    assert t.observation(MAC).fetched == {  # type: ignore[union-attr]
        f"./SIP{MAC}.cnf": "abc",
        "SIPDefault.cnf": "def",
    }


def test_ip_moving_to_another_phone_rebinds() -> None:
    t = tracker()
    replay(t, LOG_TEO)
    other = "0011BB73AD61"
    fetch(t, f"CTLSEP{other}.tlv", 3000.0, found=False)
    assert t.mac_for_ip(IP) == other
    fetch(t, f"CTLSEP{MAC}.tlv", 3000.0, found=False, ip="192.168.1.77")
    assert t.mac_for_ip("192.168.1.77") == MAC
    assert t.observation(MAC).ip == "192.168.1.77"  # type: ignore[union-attr]


def test_uploads_and_unknown_event_kinds_are_ignored() -> None:
    t = tracker()
    assert t.handle(transfer(f"SIP{MAC}.cnf", 0.0, direction="write")) == []
    odd = transfer(f"SIP{MAC}.cnf", 0.0, kind="bogus")  # type: ignore[arg-type]
    assert t.handle(odd) == []
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.state is S.UNKNOWN


def test_bad_timestamp_falls_back_to_the_clock() -> None:
    t = tracker()
    fetch(t, f"CTLSEP{MAC}.tlv", float("nan"), found=False)
    assert t.observation(MAC).last_boot == 5000.0  # type: ignore[union-attr]


def test_unknown_macs_are_forgotten_when_the_table_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from custom_components.cisco_ip_phone.provisioning.tracking import tracker as module

    monkeypatch.setattr(module, "MAX_PHONES", 3)
    t = tracker()
    fetch(t, f"CTLSEP{MAC}.tlv", 0.0, found=False, ip="10.0.0.1")
    fetch(t, "CTLSEP00AABBCCDD01.tlv", 1.0, found=False, ip="10.0.0.2")
    fetch(t, "CTLSEP00AABBCCDD02.tlv", 2.0, found=False, ip="10.0.0.3")
    fetch(t, "CTLSEP00AABBCCDD03.tlv", 3.0, found=False, ip="10.0.0.4")
    assert t.observation("00AABBCCDD01") is None
    assert t.mac_for_ip("10.0.0.2") is None
    assert t.observation(MAC) is not None
    assert set(t.observations()) == {MAC, "00AABBCCDD02", "00AABBCCDD03"}


def test_a_full_table_of_known_phones_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from custom_components.cisco_ip_phone.provisioning.tracking import tracker as module

    monkeypatch.setattr(module, "MAX_PHONES", 1)
    t = PhoneTracker(lambda mac: True)
    fetch(t, f"CTLSEP{MAC}.tlv", 0.0, found=False)
    fetch(t, "CTLSEP00AABBCCDD01.tlv", 1.0, found=False, ip="10.0.0.2")
    assert len(t.observations()) == 2


def test_pending_requests_of_unknown_ips_are_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from custom_components.cisco_ip_phone.provisioning.tracking import boot as module

    monkeypatch.setattr(module, "MAX_PENDING_IPS", 2)
    t = tracker()
    for n in range(5):
        fetch(t, "SIPDefault.cnf", float(n), ip=f"10.0.1.{n}")
    for n in range(40):
        fetch(t, "RINGLIST.DAT", 10.0, ip="10.0.1.4", port=n)
    # the oldest IPs' requests were dropped; the newest one still replays
    fetch(t, f"SIP{MAC}.cnf", 11.0, ip="10.0.1.0")
    assert t.observation(MAC).last_boot == 11.0  # type: ignore[union-attr]


def test_many_open_requests_do_not_grow_without_bound() -> None:
    t = tracker()
    for port in range(200):
        t.handle(transfer(f"SEP{MAC}.cnf.xml", 0.0, kind=EventKind.REQUEST, port=port))
    assert t.observation(MAC) is not None


def test_custom_timings_are_honoured() -> None:
    t = tracker(timings=TrackerTimings(loop_threshold=3))
    for n in range(3):
        fetch(t, f"CTLSEP{MAC}.tlv", 4.0 * n, found=False, port=n)
    assert t.observation(MAC).state is S.STUCK_IN_LOOP  # type: ignore[union-attr]


def test_users_walk_from_sccp3_through_sip63_seen_by_ip_then_mac() -> None:
    """SCCP 3.x: OS79XX.TXT and the .bin carry no MAC; SIP 6.3 then names it."""
    t = tracker()
    ip = "10.0.0.8"
    early = [
        (0.0, "OS79XX.TXT", True),
        (0.2, "P0S3-06-3-00.bin", True),
        (40.0, "OS79XX.TXT", True),
        (63.0, "SIPDefault.cnf", True),
    ]
    assert replay(t, early, ip=ip) == []
    events = fetch(t, f"./SIP{MAC}.cnf", 63.1, found=False, ip=ip)
    assert kinds(events).count("booted") == 2
    assert S.DOWNLOADING_APPLICATION in states(events)
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.state is S.UNPROVISIONED
    assert obs.firmware == "P0S3-06-3-00"
    assert obs.last_boot == 40.0


def test_xml_phone_configured_by_its_sep_file() -> None:
    """79x1-class (chan-sccp issue #79 order): trust lists, SEP, loads, dial plan."""
    t = tracker()
    events = replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, f"ITLSEP{MAC}.tlv", False),
            (0.2, "ITLFile.tlv", False),
            (0.3, f"SEP{MAC}.cnf.xml", True),
            (0.4, "SIP41.9-4-2SR3-1S.loads", True),
            (9.0, "dialplan.xml", True),
            (9.1, "Ringlist.xml", True),
        ],
    )
    assert states(events) == [S.BOOTING, S.CHECKING_IMAGE, S.CONFIGURED]
    assert kinds(events).count("configured") == 1
    obs = t.observation(MAC)
    assert obs is not None
    assert obs.firmware == "SIP41.9-4-2SR3-1S"
    assert obs.last_config_fetch == 0.3


def test_sccp_phone_served_its_sep_file_is_not_mistaken_for_xml() -> None:
    t = tracker()
    replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, f"SEP{MAC}.cnf.xml", True),
            (0.2, "US/7960-tones.xml", True),
            (0.3, "dialplan.xml", True),
        ],
    )
    assert t.observation(MAC).state is S.RUNNING_SCCP  # type: ignore[union-attr]


def test_refused_hostile_names_create_no_phone() -> None:
    t = tracker()
    name = "../SEP00AABBCCDDEE.cnf.xml"
    events = fetch(t, name, 0.0, outcome=TransferOutcome.ACCESS_VIOLATION)
    assert events == []
    assert t.observations() == {}


def test_a_hunt_right_after_a_download_is_a_new_boot() -> None:
    """Reboots can be quick; a hunt after the image check is never a retransmit."""
    t = tracker()
    events = replay(
        t,
        [
            (0.0, f"CTLSEP{MAC}.tlv", False),
            (0.1, "P0S3-8-12-00.loads", True),
            (0.2, "P003-8-12-00.sbn", True),
            (0.3, f"CTLSEP{MAC}.tlv", False),
            (0.4, f"CTLSEP{MAC}.tlv", False),  # a retransmit: same boot
        ],
    )
    assert kinds(events).count("booted") == 2
    assert t.observation(MAC).last_boot == 0.3  # type: ignore[union-attr]


def test_ringlist_asked_before_the_config_finished_is_configured() -> None:
    """Issue #12: RINGLIST.DAT's request came 1 ms before SIP<MAC>.cnf ended."""
    t = tracker()
    replay(t, [(0.0, "SIPDefault.cnf", True)])
    config = f"SIP{MAC}.cnf"
    t.handle(transfer(config, 0.1, kind=EventKind.REQUEST))
    t.handle(transfer("RINGLIST.DAT", 0.2, kind=EventKind.REQUEST, port=50001))
    events = t.handle(transfer(config, 0.201, kind=EventKind.COMPLETED))
    assert states(events) == [S.CONFIGURED]
    assert "configured" in kinds(events)
    t.handle(transfer("RINGLIST.DAT", 0.3, kind=EventKind.COMPLETED, port=50001))
    assert t.tick(120.0) == []  # never "Config rejected" later
    assert t.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]


def test_both_orders_of_overlapping_transfers_end_the_same() -> None:
    config = f"SIP{MAC}.cnf"
    ends = []
    for early in (True, False):
        t = tracker()
        replay(t, [(0.0, "SIPDefault.cnf", True)])
        t.handle(transfer(config, 0.1, kind=EventKind.REQUEST))
        if early:
            t.handle(transfer("RINGLIST.DAT", 0.2, kind=EventKind.REQUEST, port=2))
            t.handle(transfer(config, 0.201, kind=EventKind.COMPLETED))
        else:
            t.handle(transfer(config, 0.199, kind=EventKind.COMPLETED))
            t.handle(transfer("RINGLIST.DAT", 0.2, kind=EventKind.REQUEST, port=2))
        t.handle(transfer("RINGLIST.DAT", 0.3, kind=EventKind.COMPLETED, port=2))
        t.tick(120.0)
        ends.append(t.observation(MAC).state)  # type: ignore[union-attr]
    assert ends == [S.CONFIGURED, S.CONFIGURED]


def test_retries_of_a_slow_server_are_not_a_loop() -> None:
    """Issue #16: a phone re-asks before it got an answer: a retry, not a loop."""
    t = tracker()
    name = f"CTLSEP{MAC}.tlv"
    for n in range(30):  # asked again and again, never answered in time
        t.handle(transfer(name, 0.5 * n, kind=EventKind.REQUEST, port=40000 + n))
    for n in range(29):
        t.handle(
            transfer(
                name,
                20.0,
                kind=EventKind.FAILED,
                outcome=TransferOutcome.TIMEOUT,
                port=40000 + n,
            )
        )
    t.handle(transfer(name, 20.0, kind=EventKind.COMPLETED, port=40029))
    observation = t.observation(MAC)
    assert observation is not None
    assert observation.state is S.BOOTING
    # Answered requests still count: ten answers in a row are a loop.
    for n in range(10):
        fetch(t, name, 30.0 + n, found=False, port=41000 + n)
    assert t.observation(MAC).state is S.STUCK_IN_LOOP  # type: ignore[union-attr]


def test_flood_of_unknown_macs_costs_constant_work_per_request() -> None:
    """Issue #11: a full table evicts in O(1), never by scanning every phone.

    Counted, not timed: before, each new MAC of a flood asked ``is_known``
    about every phone in the table (512 calls per request).
    """
    calls = 0

    def is_known(mac: str) -> bool:
        nonlocal calls
        calls += 1
        return mac == MAC

    tracker = PhoneTracker(is_known)
    tracker.handle(transfer(f"SEP{MAC}.cnf.xml", 1.0))
    for index in range(3000):
        mac = f"001E4A{index:06X}"
        ip = f"10.1.{index // 250}.{index % 250 + 1}"
        tracker.handle(
            transfer(
                f"SEP{mac}.cnf.xml",
                2.0 + index,
                ip=ip,
                kind=EventKind.FAILED,
                outcome=TransferOutcome.NOT_FOUND,
            )
        )
    assert calls < 3000 * 10
    assert len(tracker.observations()) <= 512
    # The configured phone is never evicted, and the newest strangers stay.
    assert tracker.observation(MAC) is not None
    assert tracker.observation("001E4A000BB7") is not None
    assert tracker.observation("001E4A000000") is None
    assert tracker.mac_for_ip("10.1.0.1") is None  # its MAC was forgotten
