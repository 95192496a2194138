"""The simulated phone against a real TFTP server serving hand-written files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
import logging
from pathlib import Path
import threading

import pytest
import tftpy

from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    TftpServer,
)
from tests.support.macs import FIELD_7960_MAC
from tests.support.simphone import (
    BootReport,
    Image,
    PhoneState,
    PhoneTimings,
    SimulatedPhone,
    main,
    parse_cnf,
    parse_image,
    parse_load_information,
    parse_loads,
    parse_syncinfo,
    uses_universal_loader,
)

MAC = FIELD_7960_MAC
SEP_SIP = (
    b"<device><deviceProtocol>SIP</deviceProtocol>"
    b'<loadInformation model="IP Phone 7960">P0S3-8-12-00</loadInformation></device>'
)
XML_DEFAULT = (
    b"<Default><callManagerGroup/>"
    b'<loadInformation8 model="IP Phone 7940">P0S3-8-12-00</loadInformation8>'
    b'<loadInformation7 model="IP Phone 7960">P0S3-8-12-00</loadInformation7>'
    b"</Default>"
)
LOADS = (
    b"\x00\x01\x02signature\x00P0S3-8-12-00.loads\x00P003-8-12-00.sbn\x00"
    b"P0S3-8-12-00.sb2\x00LA_VERSION=PAS30830\x00"
)
SIP_DEFAULT = (
    b"# global settings\r\n"
    b"image_version: P0S3-8-12-00\r\n"
    b"proxy_register: 1 ; register\r\n"
    b'dial_template: "dialplan"\r\n'
    b'tftp_cfg_dir: "./"\r\n'
    b"sync: 1\r\n"
)
SIP_MAC = (
    b'line1_name: "1001"\nline1_authname: "1001"\nline1_password: "s3cret"\n'
    b'proxy1_address: "pbx.example"\nproxy1_port: 5060\n'
)


@pytest.fixture
def tftp_root(tmp_path: Path) -> Path:
    files = {
        "P0S3-8-12-00.loads": LOADS,
        "P003-8-12-00.sbn": bytes(range(256)) * 6,  # 3 blocks
        "P0S3-8-12-00.sb2": bytes(range(256)) * 12 + b"end",  # 7 blocks
        "SIPDefault.cnf": SIP_DEFAULT,
        "RINGLIST.DAT": b"CTU\tCTU.raw\n",
        "dialplan.xml": b'<DIALTEMPLATE><TEMPLATE MATCH="*"/></DIALTEMPLATE>',
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


@pytest.fixture(params=["tftpy", "ours"])
async def server(
    request: pytest.FixtureRequest, tftp_root: Path
) -> AsyncIterator[tuple[str, int]]:
    """A real TFTP server: tftpy in a thread (independent), or the engine's."""
    if request.param == "ours":
        resolver = ContentResolver(tftp_root, stat_ttl=0.0)
        ours = TftpServer(resolver, host="127.0.0.1", port=0)
        await ours.start()
        try:
            yield ("127.0.0.1", ours.port)
        finally:
            await ours.stop()
        return
    with run_tftpy(tftp_root) as address:
        yield address


@contextmanager
def run_tftpy(root: Path) -> Iterator[tuple[str, int]]:
    """Serve ``root`` with tftpy in a thread; stop and join it afterwards."""
    logging.getLogger("tftpy").setLevel(logging.WARNING)
    tftp = tftpy.TftpServer(str(root))
    thread = threading.Thread(
        target=tftp.listen,
        kwargs={"listenip": "127.0.0.1", "listenport": 0, "timeout": 0.05},
        name="tftpy-test-server",
    )
    thread.start()
    assert tftp.is_running.wait(5)
    try:
        yield ("127.0.0.1", tftp.listenport)
    finally:
        tftp.stop(now=True)
        thread.join(5)
    assert not thread.is_alive()


def phone(server: tuple[str, int], **kwargs: object) -> SimulatedPhone:
    return SimulatedPhone(MAC, server=server, **kwargs)  # type: ignore[arg-type]


async def boot(target: SimulatedPhone) -> BootReport:
    async with asyncio.timeout(30):
        return await target.boot()


async def test_normal_boot_follows_log_teo(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    report = await boot(phone(server))

    assert report.names[:5] == [
        f"CTLSEP{MAC}.tlv",
        f"SEP{MAC}.cnf.xml",
        "P0S3-8-12-00.loads",
        "SIPDefault.cnf",
        f"./SIP{MAC}.cnf",
    ]
    assert sorted(report.names[5:]) == ["RINGLIST.DAT", "dialplan.xml"]
    assert [r.outcome for r in report.requests[:2]] == ["not_found", "ok"]
    assert report.state is PhoneState.REGISTERED
    assert report.reboots == 0
    assert report.firmware == "P0S3-8-12-00"
    sizes = {r.name: r.size for r in report.requests}
    assert sizes["SIPDefault.cnf"] == len(SIP_DEFAULT)
    assert "Read request for file <SIPDefault.cnf>" in "\n".join(
        report.requests[3].log_lines()
    )


async def test_sccp_8_phone_upgrades_in_two_stages(
    server: tuple[str, int], tftp_root: Path
) -> None:
    """LOG-JH: loader .sbn, reboot, application .sb2, reboot, SIP app."""
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    target = phone(server, firmware="P00308010200")
    report = await boot(target)

    assert report.state is PhoneState.REGISTERED
    assert report.reboots == 2
    assert target.firmware == "P0S3-8-12-00"
    assert target.loader == "P003-8-12-00"
    downloads = [n for n in report.names if n.endswith((".sbn", ".sb2"))]
    assert downloads == ["P003-8-12-00.sbn", "P0S3-8-12-00.sb2"]
    assert report.names.count(f"CTLSEP{MAC}.tlv") == 3


async def test_users_firmware_walk_sccp3_to_sip63_to_loader_to_812(
    server: tuple[str, int], tftp_root: Path
) -> None:
    """The seed notes, step by step, with the server files edited in between."""
    (tftp_root / "SIPDefault.cnf").write_bytes(b'dial_template: "dialplan"\n')
    (tftp_root / "OS79XX.TXT").write_bytes(b"P0S3-06-3-00\r\n")
    (tftp_root / "P0S3-06-3-00.bin").write_bytes(b"sip 6.3 image" * 100)
    target = phone(server, model="7940", firmware="P00303020214")

    first = await boot(target)
    assert first.names[:2] == ["OS79XX.TXT", "P0S3-06-3-00.bin"]
    assert first.reboots == 1
    assert target.firmware == "P0S3-06-3-00"
    assert first.state is PhoneState.UNPROVISIONED  # "Phone Unprovisioned"

    # "P0S3-08-2-00 didn't help": a SIP phone ignores an OS79XX.TXT whose
    # first four characters are its own (P0S3) and boots on (MATRIX).
    (tftp_root / "OS79XX.TXT").write_bytes(b"P0S3-08-2-00\r\n")
    second = await boot(target)
    assert second.names[:2] == ["OS79XX.TXT", "SIPDefault.cnf"]
    assert not any(name.startswith("P0S3-08-2-00") for name in second.names)
    assert second.state is PhoneState.UNPROVISIONED
    assert target.firmware == "P0S3-06-3-00"

    # "P003-08-2-00 did the trick": the universal loader, then the hunt
    (tftp_root / "OS79XX.TXT").write_bytes(b"P003-8-12-00\r\n")
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(
        b"image_version: P0S3-8-12-00\n" + SIP_MAC
    )
    third = await boot(target)
    assert third.names[:2] == ["OS79XX.TXT", "P003-8-12-00.sbn"]
    assert third.names[2:7] == [
        f"CTLSEP{MAC}.tlv",
        f"SEP{MAC}.cnf.xml",
        f"SIP{MAC}.cnf",
        "P0S3-8-12-00.loads",
        "P0S3-8-12-00.sb2",
    ]
    assert third.state is PhoneState.REGISTERED
    assert third.reboots == 2
    assert target.firmware == "P0S3-8-12-00"


async def test_sccp3_cannot_jump_to_sip_7(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / "OS79XX.TXT").write_bytes(b"P0S3-07-4-00\n")
    (tftp_root / "P0S3-07-4-00.bin").write_bytes(b"sip 7.4" * 10)
    target = phone(server, firmware="P00303020214")
    report = await boot(target)
    assert report.state is PhoneState.LOAD_ID_INCORRECT
    assert target.firmware == "P00303020214"


async def test_trailing_space_in_os79xx_asks_for_a_missing_name(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / "OS79XX.TXT").write_bytes(b"P0S3-06-3-00 \r\n")
    (tftp_root / "P0S3-06-3-00.bin").write_bytes(b"sip 6.3")
    report = await boot(phone(server, firmware="P00303020214"))
    assert report.names[1] == "P0S3-06-3-00 .bin"
    assert report.state is PhoneState.FIRMWARE_ERROR


async def test_missing_application_image_is_an_error_not_a_hang(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / "P0S3-8-12-00.sb2").unlink()
    target = phone(server, firmware="P00308010200")
    report = await boot(target)

    assert report.state is PhoneState.FIRMWARE_ERROR
    assert "P0S3-8-12-00.sb2" in (report.error or "")
    assert target.firmware == "P00308010200"  # flash unchanged
    assert target.loader == "P003-8-12-00"  # the loader did install
    assert report.requests[-1].outcome == "not_found"


async def test_missing_manifest_of_a_new_image_is_an_error(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / "P0S3-8-12-00.loads").unlink()
    report = await boot(phone(server, firmware="P0S3-8-11-00"))
    assert report.state is PhoneState.FIRMWARE_ERROR
    assert report.names[-1] == "P0S3-8-12-00.loads"
    assert report.firmware == "P0S3-8-11-00"


async def test_missing_manifest_of_the_running_image_boots_from_flash(
    server: tuple[str, int], tftp_root: Path
) -> None:
    """The phone keeps running what its flash holds and starts the application."""
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    (tftp_root / "P0S3-8-12-00.loads").unlink()
    report = await boot(phone(server))
    assert report.requests[2].name == "P0S3-8-12-00.loads"
    assert report.requests[2].outcome == "not_found"
    assert "SIPDefault.cnf" in report.names
    assert report.firmware == "P0S3-8-12-00"
    assert report.state is PhoneState.REGISTERED


async def test_unknown_mac_hunts_everything_and_ends_unprovisioned(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / "XMLDefault.cnf.xml").write_bytes(XML_DEFAULT)
    report = await boot(phone(server))
    assert report.names[:6] == [
        f"CTLSEP{MAC}.tlv",
        f"SEP{MAC}.cnf.xml",
        f"SIP{MAC}.cnf",
        f"MGC{MAC}.cnf",
        "XMLDefault.cnf.xml",
        "P0S3-8-12-00.loads",
    ]
    assert report.state is PhoneState.UNPROVISIONED
    assert report.error == "W362 No Valid Line Names Provisioned"


async def test_config_without_line_name_is_unprovisioned(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(b'proxy1_address: "pbx"\n')
    report = await boot(phone(server))
    assert report.state is PhoneState.UNPROVISIONED


async def test_sccp_application_fetches_locale_files(
    server: tuple[str, int], tftp_root: Path
) -> None:
    sccp = SEP_SIP.replace(b"SIP<", b"SCCP<").replace(b"P0S3-8-12-00", b"P00308010200")
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(sccp)
    (tftp_root / "P00308010200.loads").write_bytes(
        b"P00308010200.loads\0P00308010200.sbn\0P00308010200.sb2\0"
    )
    report = await boot(phone(server, firmware="P00308010200"))
    assert report.state is PhoneState.SCCP_RUNNING
    assert report.names[-2:] == ["/7960-font.xml", "US/7960-tones.xml"]


async def test_config_naming_another_image_than_the_hunt_loops_until_limit(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(b"image_version: P0S3-9-9-00\n")
    report = await boot(phone(server, max_reboots=2))
    assert report.state is PhoneState.REBOOT_LIMIT
    assert report.reboots == 3


async def test_no_server_is_a_tftp_timeout() -> None:
    import socket

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        timings = PhoneTimings(rrq_timeout=0.05, rrq_retries=2, app_start_delay=0)
        report = await boot(phone(silent.getsockname(), timings=timings))
    finally:
        silent.close()
    assert report.state is PhoneState.TFTP_ERROR
    assert report.requests[0].retransmits == 1


async def _notify(port: int, event: str = "check-sync", method: str = "NOTIFY") -> str:
    loop = asyncio.get_running_loop()
    answers: asyncio.Queue[bytes] = asyncio.Queue()

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            answers.put_nowait(data)

    transport, _ = await loop.create_datagram_endpoint(
        Client, remote_addr=("127.0.0.1", port)
    )
    try:
        transport.sendto(
            (
                f"{method} sip:1001@127.0.0.1:{port} SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc\r\n"
                "From: <sip:provisioner@127.0.0.1>;tag=1\r\n"
                "To: <sip:1001@127.0.0.1>\r\n"
                "Call-ID: abc@127.0.0.1\r\nCSeq: 1 NOTIFY\r\n"
                f"o: {event}\r\nContent-Length: 0\r\n\r\n"
            ).encode()
        )
        async with asyncio.timeout(5):
            return (await answers.get()).decode()
    finally:
        transport.close()


@pytest.mark.parametrize(("sync", "rebooted"), [("1", False), ("2", True)])
async def test_check_sync_reboots_only_when_sync_differs(
    server: tuple[str, int], tftp_root: Path, sync: str, rebooted: bool
) -> None:
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    (tftp_root / "syncinfo.xml").write_bytes(
        f'<SYNCINFO><IMAGE VERSION="P0S3-8-8-00" SYNC="9"/>'
        f'<IMAGE VERSION="*" SYNC="{sync}"/></SYNCINFO>'.encode()
    )
    target = phone(server)
    await boot(target)
    await target.start_sip()
    try:
        answer = await _notify(target.sip_port)
        assert answer.startswith("SIP/2.0 200 OK\r\n")
        assert "Call-ID: abc@127.0.0.1" in answer
        assert "To: <sip:1001@127.0.0.1>;tag=" in answer
        async with asyncio.timeout(20):
            report = await target.sync_reports.get()
    finally:
        await target.stop()
    assert report.fetched == ["syncinfo.xml", "dialplan.xml"]
    assert report.rebooted is rebooted
    if rebooted:
        assert report.boot is not None
        assert report.boot.state is PhoneState.REGISTERED


async def test_sip_listener_rejects_other_requests(server: tuple[str, int]) -> None:
    target = phone(server)
    await target.start_sip()
    try:
        assert (await _notify(target.sip_port, event="message-summary")).startswith(
            "SIP/2.0 489 Bad Event"
        )
        assert (await _notify(target.sip_port, method="INVITE")).startswith(
            "SIP/2.0 501"
        )
    finally:
        await target.stop()
    with pytest.raises(RuntimeError):
        _ = target.sip_port


def test_bad_identity_is_refused() -> None:
    with pytest.raises(ValueError, match="MAC"):
        SimulatedPhone("00:11")
    with pytest.raises(ValueError, match="7940/7960"):
        SimulatedPhone(MAC, model="7906")
    with pytest.raises(ValueError, match="79x1-class"):
        SimulatedPhone(MAC, model="7961", firmware="P0S3-8-12-00")
    with pytest.raises(ValueError, match="image"):
        SimulatedPhone(MAC, firmware="firmware")


def test_command_line_boots_and_prints_a_log(
    tftp_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    with run_tftpy(tftp_root) as server:
        code = main(
            ["--server", f"{server[0]}:{server[1]}", "--mac", "00:0e:84:c0:60:a6"]
        )
    out = capsys.readouterr().out
    assert code == 0
    assert "Connection received from 127.0.0.1 on port " in out
    assert f"Read request for file <CTLSEP{MAC}.tlv>. Mode octet" in out
    assert f"File <CTLSEP{MAC}.tlv> : not_found" in out
    assert "<SIPDefault.cnf>: received 1 blk," in out
    assert f"Phone {MAC} (7960): registered, firmware P0S3-8-12-00" in out


def test_command_line_refuses_bad_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--mac", "nonsense"]) == 2
    assert "not a MAC" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--mac", MAC, "--server", "nohost"])


def test_image_names_decode_like_the_reference() -> None:
    assert parse_image("P0S3-8-12-00") == Image("P0S3-8-12-00", "sip", 8, 12)
    assert parse_image("P003-08-2-00").protocol == "loader"
    assert parse_image("P00303020214") == Image("P00303020214", "sccp", 3, 2)
    assert parse_image("P0S30203") == Image("P0S30203", "sip", 2, 3)
    assert uses_universal_loader(parse_image("P003-8-12-00"))
    assert not uses_universal_loader(parse_image("P0M3-06-0-00"))


def test_cnf_parser_reads_what_working_files_contain() -> None:
    text = (
        b"# comment\n\n"
        b'proxy1_port:"5060"\n'
        b"cnf_join_enable : 0 ; trailing comment\n"
        b'phone_label: "a;b"\n'
        b"no separator here\n"
        b"bad key: 1\n"
        b': "no key"\n'
    )
    assert parse_cnf(text) == {
        "proxy1_port": "5060",
        "cnf_join_enable": "0",
        "phone_label": "a;b",
    }


def test_broken_xml_names_no_image() -> None:
    assert parse_load_information(b"<device>", 7) is None
    assert parse_load_information(b"<device/>", 7) is None
    assert parse_syncinfo(b"<SYNCINFO>") == {}
    assert parse_loads(b"nothing listed") == (None, None)


async def test_old_phone_without_os79xx_runs_its_image(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / "SIPDefault.cnf").write_bytes(b"image_version: P0S3-06-1-00\n")
    (tftp_root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    report = await boot(phone(server, firmware="P0S3-06-3-00"))
    assert report.names[0] == "OS79XX.TXT"
    assert report.requests[0].outcome == "not_found"
    assert report.state is PhoneState.REGISTERED  # an older image_version is kept


async def test_old_sip_phone_loads_image_version_from_its_config(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / "SIPDefault.cnf").write_bytes(b"image_version: P0S3-06-4-00\n")
    (tftp_root / "P0S3-06-4-00.bin").write_bytes(b"sip 6.4")
    report = await boot(phone(server, firmware="P0S3-06-3-00"))
    assert "P0S3-06-4-00.bin" in report.names
    assert report.firmware == "P0S3-06-4-00"
    assert report.reboots == 1


async def test_sccp_ignores_os79xx_with_its_own_prefix(
    server: tuple[str, int], tftp_root: Path
) -> None:
    """MATRIX: P003… is the SCCP phone's own prefix, so no switch happens."""
    (tftp_root / "OS79XX.TXT").write_bytes(b"P00305000300\n")
    (tftp_root / "P00305000300.bin").write_bytes(b"sccp 5")
    report = await boot(phone(server, firmware="P00303020214"))
    assert "P00305000300.bin" not in report.names
    assert report.firmware == "P00303020214"
    assert report.state is PhoneState.SCCP_RUNNING


async def test_empty_image_or_unparsable_manifest_is_an_error(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / "OS79XX.TXT").write_bytes(b"garbage\n")
    (tftp_root / "garbage.bin").write_bytes(b"x")
    report = await boot(phone(server, firmware="P00303020214"))
    assert report.state is PhoneState.FIRMWARE_ERROR
    (tftp_root / f"SEP{MAC}.cnf.xml").write_bytes(SEP_SIP)
    (tftp_root / "P0S3-8-12-00.loads").write_bytes(b"no file names")
    report = await boot(phone(server))
    assert report.error == "P0S3-8-12-00.loads lists no images"


async def test_non_sip_datagrams_are_dropped(server: tuple[str, int]) -> None:
    target = phone(server)
    await target.start_sip()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, remote_addr=("127.0.0.1", target.sip_port)
    )
    try:
        transport.sendto(b"hello")
        answer = await _notify(target.sip_port)  # still alive, answers SIP
        assert answer.startswith("SIP/2.0 200 OK")
    finally:
        transport.close()
        await target.stop()


async def test_old_phone_loads_a_6x_image_shipped_as_loads_and_sb2(
    server: tuple[str, int], tftp_root: Path
) -> None:
    # SIP to SIP goes through image_version: OS79XX.TXT with P0S3 is ignored.
    (tftp_root / "SIPDefault.cnf").write_bytes(b"image_version: P0S3-06-3-00\n")
    (tftp_root / "P0S3-06-3-00.loads").write_bytes(
        b"P0S3-06-3-00.loads\0P003-06-3-00.sbn\0P0S3-06-3-00.sb2\0"
    )
    (tftp_root / "P0S3-06-3-00.sb2").write_bytes(b"sip 6.3" * 100)
    target = phone(server, firmware="P0S3-05-3-00")
    report = await boot(target)
    start = report.names.index("P0S3-06-3-00.bin")
    assert report.names[start : start + 3] == [
        "P0S3-06-3-00.bin",
        "P0S3-06-3-00.loads",
        "P0S3-06-3-00.sb2",
    ]
    assert target.firmware == "P0S3-06-3-00"
    assert report.reboots == 1


async def test_6x_manifest_without_application_is_an_error(
    server: tuple[str, int], tftp_root: Path
) -> None:
    (tftp_root / "SIPDefault.cnf").write_bytes(b"image_version: P0S3-06-3-00\n")
    (tftp_root / "P0S3-06-3-00.loads").write_bytes(b"nothing")
    report = await boot(phone(server, firmware="P0S3-05-3-00"))
    assert report.state is PhoneState.FIRMWARE_ERROR
    assert report.error == "P0S3-06-3-00.loads: error"
