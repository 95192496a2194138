"""Restart and qualify against the simulated phone's SIP stack (sipcc rules).

Issue #13 item 2: a 79x1-class phone answers check-sync 200 and does
nothing; it restarts on service-control with its REGISTER Call-ID in CCM
mode. Issue #12 items 2-3: OPTIONS tells whether a phone is up, how fast,
and what it is; a restart to an offline phone fails at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import socket

import pytest

from custom_components.cisco_ip_phone.provisioning.settings.models import SettingsError
from custom_components.cisco_ip_phone.provisioning.sip.identity import (
    PhoneIdentity,
    identity_from_headers,
    parse_load,
    parse_user_agent,
)
from custom_components.cisco_ip_phone.provisioning.sip.notify import send_check_sync
from custom_components.cisco_ip_phone.provisioning.sip.qualify import (
    build_options,
    qualify,
)
from custom_components.cisco_ip_phone.provisioning.sip.restart import (
    RestartBlocker,
    RestartMethod,
    RestartOutcome,
    can_restart_remotely,
    restart_phone,
)
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    TftpServer,
)
from tests.support.macs import JAVA_PHONE_MAC
from tests.support.simphone import PhoneState, SimulatedPhone

MAC = JAVA_PHONE_MAC
LOAD_7961 = "SIP41.8-5-4S"


def sep_7961(proxy: str = "USECALLMANAGER", name: str = "1001") -> bytes:
    return (
        "<device><deviceProtocol>SIP</deviceProtocol>"
        f"<loadInformation>{LOAD_7961}</loadInformation>"
        "<sipProfile><sipLines>"
        f'<line button="1"><name>{name}</name><proxy>{proxy}</proxy></line>'
        "</sipLines></sipProfile></device>"
    ).encode()


SIP_MAC = b'line1_name: "1001"\nproxy1_address: "pbx.example"\n'
SYNCINFO = b'<SYNCINFO><IMAGE VERSION="*" SYNC="2"/></SYNCINFO>'


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    (tmp_path / f"SEP{MAC}.cnf.xml").write_bytes(sep_7961())
    (tmp_path / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    (tmp_path / "syncinfo.xml").write_bytes(SYNCINFO)
    tftp = TftpServer(ContentResolver(tmp_path, stat_ttl=0.0), host="127.0.0.1", port=0)
    await tftp.start()
    try:
        yield ("127.0.0.1", tftp.port)
    finally:
        await tftp.stop()


@pytest.fixture
async def phone_7961(server: tuple[str, int]) -> AsyncIterator[SimulatedPhone]:
    phone = SimulatedPhone(MAC, model="7961", firmware=LOAD_7961, server=server)
    report = await asyncio.wait_for(phone.boot(), 30)
    assert report.state is PhoneState.REGISTERED, report.error
    await phone.start_sip()
    try:
        yield phone
    finally:
        await phone.stop()


# ------------------------------------------------------------------ identity


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Cisco-CP7960G/8.0", PhoneIdentity("7960", "8.0")),
        ("Cisco-CP7940G/8.0", PhoneIdentity("7940", "8.0")),
        ("Cisco-CP7961G-GE/8.0", PhoneIdentity("7961", "8.0", None, True)),
        ("Cisco-CP7970G/8.4.0", PhoneIdentity("7970", "8.4.0")),
        ("Cisco-CP7975G/9.3.1", PhoneIdentity("7975", "9.3.1")),
        ("cisco-cp7942g/9.4.2 extra", PhoneIdentity("7942", "9.4.2")),
    ],
)
def test_user_agents_seen_on_real_phones(header: str, expected: PhoneIdentity) -> None:
    assert parse_user_agent(header) == expected


@pytest.mark.parametrize(
    "header",
    [None, "", "Cisco-SIPGateway/IOS-12.x", "Asterisk PBX 20", "x" * 600, 7960],
)
def test_other_agents_are_not_phones(header: object) -> None:
    assert parse_user_agent(header) is None  # type: ignore[arg-type]


def test_load_from_the_reason_header_of_a_register() -> None:
    reason = (
        'SIP;cause=200;text="cisco-alarm:23 Name=SEP001B2A893698 '
        'Load=SIP70.8-4-2-30S Last=reset-restart"'
    )
    assert parse_load(reason) == "SIP70.8-4-2-30S"
    assert parse_load(None) is None
    identity = identity_from_headers(
        {"user-agent": "Cisco-CP7970G/8.4.0", "reason": reason}
    )
    assert identity == PhoneIdentity("7970", "8.4.0", "SIP70.8-4-2-30S")
    assert identity.precise
    assert identity.major == 8
    assert not PhoneIdentity("7960", "8.0").precise  # /8.0 on every 8.x
    assert identity_from_headers({"server": "Cisco-CP7960G/8.0"}) == PhoneIdentity(
        "7960", "8.0"
    )
    assert identity_from_headers({"server": "Asterisk"}) is None


# ------------------------------------------------------------------- qualify


async def test_qualify_a_7961_reports_rtt_and_identity(
    phone_7961: SimulatedPhone,
) -> None:
    result = await qualify("127.0.0.1", port=phone_7961.sip_port, timeout=2)
    assert result.reachable
    assert result.status == 200
    assert result.rtt is not None
    assert result.rtt >= 0
    assert result.identity == PhoneIdentity("7961", "8.5.4", None, True)


async def test_qualify_a_7960(server: tuple[str, int]) -> None:
    phone = SimulatedPhone(MAC, model="7960", server=server)
    await phone.start_sip()
    try:
        result = await qualify("127.0.0.1", port=phone.sip_port, user="1001")
    finally:
        await phone.stop()
    assert result.reachable
    assert result.identity == PhoneIdentity("7960", "8.0")


async def test_qualify_an_offline_phone_is_bounded() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        result = await qualify("127.0.0.1", port=port, timeout=0.3, t1=0.05)
    assert not result.reachable
    assert result.status is None
    assert result.rtt is None
    assert result.reason.startswith("no answer within 0.3 s")
    assert 1 < result.attempts <= 11


def test_options_layout_and_checks() -> None:
    message = build_options(
        "10.0.0.5", local_host="10.0.0.1", call_id="c@10.0.0.1", branch="b", tag="t"
    ).decode()
    assert message.startswith("OPTIONS sip:10.0.0.5:5060 SIP/2.0\r\n")
    assert "CSeq: 1 OPTIONS\r\n" in message
    assert message.endswith("Content-Length: 0\r\n\r\n")
    with_user = build_options("10.0.0.5", user="1001", local_host="10.0.0.1")
    assert with_user.startswith(b"OPTIONS sip:1001@10.0.0.5:5060 SIP/2.0\r\n")
    with pytest.raises(SettingsError):
        build_options("10.0.0.5\r\nX: y", local_host="10.0.0.1")


async def test_qualify_validates_before_sending() -> None:
    with pytest.raises(SettingsError):
        await qualify("127.0.0.1", user="a b")
    with pytest.raises(SettingsError):
        await qualify("127.0.0.1", timeout=0)


# ---------------------------------------------------------------- capability


@pytest.mark.parametrize(
    ("model", "firmware", "call_id", "method", "blocker"),
    [
        ("7960", "P0S3-8-12-00", None, RestartMethod.CHECK_SYNC, None),
        ("7940", None, None, RestartMethod.CHECK_SYNC, None),
        ("7960", "P0030801SR02", None, None, RestartBlocker.NOT_SIP),
        ("7960", "P003-8-12-00", None, None, RestartBlocker.NOT_SIP),
        ("7961", "SCCP41.9-4-2SR3-1S", "x", None, RestartBlocker.NOT_SIP),
        ("7961", "SIP41.7-0-1S", "x", None, RestartBlocker.FIRMWARE_TOO_OLD),
        ("7961", LOAD_7961, None, None, RestartBlocker.NEEDS_REGISTER_CALL_ID),
        ("7961", LOAD_7961, "a@b", RestartMethod.SERVICE_CONTROL, None),
        ("7975", None, "a@b", RestartMethod.SERVICE_CONTROL, None),
        ("7906", LOAD_7961, "a@b", None, RestartBlocker.UNKNOWN_MODEL),
        (None, None, None, None, RestartBlocker.UNKNOWN_MODEL),
    ],
)
def test_can_restart_remotely(
    model: str | None,
    firmware: str | None,
    call_id: str | None,
    method: RestartMethod | None,
    blocker: RestartBlocker | None,
) -> None:
    capability = can_restart_remotely(model, firmware, register_call_id=call_id)
    assert (capability.method, capability.blocker) == (method, blocker)
    assert capability.possible is (method is not None)
    assert bool(capability.reason) is (method is None)


# ------------------------------------------------------------------- restart


async def test_check_sync_does_nothing_on_a_7961(phone_7961: SimulatedPhone) -> None:
    """The defect on main: check-sync is answered 200 and then nothing."""
    answer = await send_check_sync("127.0.0.1", port=phone_7961.sip_port, user="1001")
    assert answer.status == 200
    await asyncio.sleep(0.2)
    assert phone_7961.sync_reports.empty()


async def test_resync_of_a_7961_completes_end_to_end(
    phone_7961: SimulatedPhone,
) -> None:
    result = await restart_phone(
        "127.0.0.1",
        model="7961",
        firmware=LOAD_7961,
        user="1001",
        port=phone_7961.sip_port,
        register_call_id=phone_7961.register_call_id,
    )
    assert result.outcome is RestartOutcome.SENT, result.reason
    assert result.method is RestartMethod.SERVICE_CONTROL
    assert result.sent
    assert result.status == 200
    report = await asyncio.wait_for(phone_7961.sync_reports.get(), 10)
    assert report.rebooted
    assert report.boot is not None
    assert report.boot.names[:2] == [f"CTLSEP{MAC}.tlv", f"SEP{MAC}.cnf.xml"]
    assert report.boot.state is PhoneState.REGISTERED


async def test_a_full_reset_reboots_a_7961(phone_7961: SimulatedPhone) -> None:
    result = await restart_phone(
        "127.0.0.1",
        model="7961",
        firmware=LOAD_7961,
        user="1001",
        port=phone_7961.sip_port,
        register_call_id=phone_7961.register_call_id,
        full=True,
    )
    assert result.sent
    report = await asyncio.wait_for(phone_7961.sync_reports.get(), 10)
    assert report.boot is not None
    assert report.boot.state is PhoneState.REGISTERED


@pytest.mark.parametrize(
    ("user", "call_id", "status"),
    [
        ("1001", "not-its-call-id@x", 400),  # "callid doesn't match"
        ("2002", None, 404),  # not line 1
    ],
)
async def test_a_7961_refuses_what_sipcc_refuses(
    phone_7961: SimulatedPhone, user: str, call_id: str | None, status: int
) -> None:
    result = await restart_phone(
        "127.0.0.1",
        model="7961",
        firmware=LOAD_7961,
        user=user,
        port=phone_7961.sip_port,
        register_call_id=call_id or phone_7961.register_call_id,
    )
    assert result.outcome is RestartOutcome.REFUSED
    assert result.status == status
    assert result.reason.startswith(str(status))
    await asyncio.sleep(0.1)
    assert phone_7961.sync_reports.empty()


async def test_a_7961_outside_ccm_mode_refuses(
    server: tuple[str, int], tmp_path: Path
) -> None:
    (tmp_path / f"SEP{MAC}.cnf.xml").write_bytes(sep_7961(proxy="pbx.example"))
    phone = SimulatedPhone(MAC, model="7961", firmware=LOAD_7961, server=server)
    report = await asyncio.wait_for(phone.boot(), 30)
    assert report.state is PhoneState.REGISTERED
    await phone.start_sip()
    try:
        result = await restart_phone(
            "127.0.0.1",
            model="7961",
            firmware=LOAD_7961,
            user="1001",
            port=phone.sip_port,
            register_call_id=phone.register_call_id,
        )
    finally:
        await phone.stop()
    assert result.outcome is RestartOutcome.REFUSED
    assert result.status == 400


async def test_a_7960_restarts_through_check_sync(server: tuple[str, int]) -> None:
    phone = SimulatedPhone(MAC, model="7960", server=server)
    await phone.start_sip()
    phone.line1_name = "1001"
    try:
        result = await restart_phone(
            "127.0.0.1",
            model="7960",
            firmware="P0S3-8-12-00",
            user="1001",
            port=phone.sip_port,
        )
        report = await asyncio.wait_for(phone.sync_reports.get(), 10)
    finally:
        await phone.stop()
    assert result.sent
    assert result.method is RestartMethod.CHECK_SYNC
    assert report.fetched == ["syncinfo.xml", "dialplan.xml"]


async def test_restart_without_a_way_sends_nothing() -> None:
    result = await restart_phone(
        "127.0.0.1", model="7961", firmware=LOAD_7961, user="1001", port=9
    )
    assert result.outcome is RestartOutcome.UNSUPPORTED
    assert result.method is None
    assert "power-cycle" in result.reason
    no_line = await restart_phone(
        "127.0.0.1", model="7960", firmware=None, user="", port=9
    )
    assert no_line.outcome is RestartOutcome.UNSUPPORTED
    assert "line 1" in no_line.reason


async def test_restart_of_an_offline_phone_fails_at_once() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        result = await restart_phone(
            "127.0.0.1",
            model="7960",
            firmware="P0S3-8-12-00",
            user="1001",
            port=port,
            timeout=0.3,
            t1=0.05,
        )
    assert result.outcome is RestartOutcome.UNREACHABLE
    assert "did not answer" in result.reason
