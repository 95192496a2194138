"""The phone's device-information page, fetched from the simulated phone.

Issue #12 item 2: where TFTP and the SIP User-Agent cannot tell the exact
image, the phone's own web page can (79x1 class; 79x0 on SCCP).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import socket

import pytest

from custom_components.cisco_ip_phone.provisioning.phoneinfo.device_info import (
    DeviceInfo,
    DeviceInfoError,
    fetch_device_info,
    parse_device_information_html,
    parse_device_information_xml,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import SettingsError
from tests.support.macs import JAVA_PHONE_MAC
from tests.support.simphone import SimulatedPhone

MAC = JAVA_PHONE_MAC

type Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def web() -> AsyncIterator[Callable[[Handler], Awaitable[int]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def _phone_page(model: str, firmware: str) -> DeviceInfo:
    phone = SimulatedPhone(MAC, model=model, firmware=firmware)
    phone.line1_name = "1001"
    port = await phone.start_web()
    try:
        return await fetch_device_info("127.0.0.1", port=port, timeout=5)
    finally:
        await phone.stop()


async def test_a_7961_names_its_load() -> None:
    info = await _phone_page("7961", "SIP41.8-5-4S")
    assert info.path == "/DeviceInformationX"
    assert info.app_load_id == "jar41sip.8-5-4S"
    assert info.model == "CP-7961G-GE"
    assert info.mac == MAC
    assert info.host_name == f"SEP{MAC}"
    assert info.phone_dn == "1001"


async def test_a_7940_on_sccp_names_its_image() -> None:
    info = await _phone_page("7940", "P00308010200")
    assert info.app_load_id == "P00308010200"
    assert info.boot_load_id == "PC03A300"
    assert info.model == "CP-7940"


async def test_a_7960_on_sip_has_no_page() -> None:
    with pytest.raises(DeviceInfoError, match="HTTP 404.*HTTP 404"):
        await _phone_page("7960", "P0S3-8-12-00")


def test_html_page_is_read_by_its_labels() -> None:
    page = (
        b"<html><table><tr><td>MAC Address:</td><td>001122334455</td></tr>"
        b"<tr><td><b>App Load ID</b></td><td></td><td><b>P0S3-08-12-00</b></td></tr>"
        b"<tr><td>Model Number</td><td>CP-7960G</td></tr></table></html>"
    )
    info = parse_device_information_html(page)
    assert (info.mac, info.app_load_id, info.model) == (
        "001122334455",
        "P0S3-08-12-00",
        "CP-7960G",
    )
    with pytest.raises(DeviceInfoError, match="no App Load ID"):
        parse_device_information_html(b"<html><td>Hello</td></html>")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"<a><b>", "not XML"),
        (b"<DeviceInformation><x/></DeviceInformation>", "no appLoadID"),
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaa">]><DeviceInformation/>',
            "document type",
        ),
    ],
)
def test_bad_xml_is_a_clear_error(data: bytes, match: str) -> None:
    with pytest.raises(DeviceInfoError, match=match):
        parse_device_information_xml(data)


async def test_html_fallback_when_the_xml_page_is_missing(
    web: Callable[[Handler], Awaitable[int]],
) -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        if request.startswith(b"GET /DeviceInformationX "):
            writer.write(b"HTTP/1.1 404 Not Found\r\n\r\n")
        else:
            writer.write(
                b"HTTP/1.0 200 OK\r\n\r\n<table><tr><td>App Load ID</td>"
                b"<td>P0S3-08-12-00</td></tr></table>"
            )
        await writer.drain()
        writer.close()

    info = await fetch_device_info("127.0.0.1", port=await web(handler))
    assert info.path == "/DeviceInformation"
    assert info.app_load_id == "P0S3-08-12-00"


async def test_an_endless_page_is_cut_off(
    web: Callable[[Handler], Awaitable[int]],
) -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 5000)
        await writer.drain()
        writer.close()

    with pytest.raises(DeviceInfoError, match="larger than 1000 bytes"):
        await fetch_device_info("127.0.0.1", port=await web(handler), max_bytes=1000)


async def test_a_silent_server_is_bounded_by_the_timeout(
    web: Callable[[Handler], Awaitable[int]],
) -> None:
    release = asyncio.Event()

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await release.wait()
        writer.close()

    port = await web(handler)
    try:
        with pytest.raises(DeviceInfoError, match="no complete answer within 0.2 s"):
            await fetch_device_info("127.0.0.1", port=port, timeout=0.2)
    finally:
        release.set()


async def test_garbage_and_refused_connections_are_clear_errors(
    web: Callable[[Handler], Awaitable[int]],
) -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()
        writer.close()

    with pytest.raises(DeviceInfoError, match="not an HTTP answer"):
        await fetch_device_info("127.0.0.1", port=await web(handler))
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(DeviceInfoError, match="cannot connect"):
        await fetch_device_info("127.0.0.1", port=port)
    with pytest.raises(SettingsError):
        await fetch_device_info("bad host")
