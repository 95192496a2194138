"""Read the phone's device-information page: the image it really runs.

TFTP cannot tell what a phone on a current SIP 8.12 image runs (it never
names the image again), and its SIP ``User-Agent`` says ``/8.0`` on every
8.x. Cisco phones with a web server say it exactly: ``/DeviceInformationX``
(XML: ``appLoadID``, ``versionID``, ``modelNumber``, …; DEVNOTES, POIP,
DIX-CODE in research/13 phone_identity §b) and ``/DeviceInformation`` (the
same as an HTML table). 79x1-class phones serve both when web access is on;
a 7940/7960 on SCCP serves the XML; whether SIP 79x0 images serve anything
is unconfirmed, so "no page" is a normal answer, not an error in the phone.

Plain asyncio streams, one request per path, HTTP/1.0 with
``Connection: close``: no blocking, at most ``max_bytes`` read, and the
whole fetch bounded by ``timeout``. The XML is refused when it declares a
DTD (no entity expansion).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import pairwise
import re
from typing import Final
from xml.etree import ElementTree

from ..errors import ProvisioningError
from ..settings.checks import check_host, check_port

MAX_BYTES: Final = 64 * 1024
PATHS: Final = ("/DeviceInformationX", "/DeviceInformation")
_STATUS: Final = re.compile(rb"^HTTP/1\.[01] (\d{3})")

# XML element -> field, and the labels of the HTML table for the same fields.
_XML_FIELDS: Final = {
    "MACAddress": "mac",
    "HostName": "host_name",
    "phoneDN": "phone_dn",
    "appLoadID": "app_load_id",
    "bootLoadID": "boot_load_id",
    "versionID": "version",
    "modelNumber": "model",
    "serialNumber": "serial",
}
_HTML_LABELS: Final = {
    "mac address": "mac",
    "host name": "host_name",
    "phone dn": "phone_dn",
    "app load id": "app_load_id",
    "boot load id": "boot_load_id",
    "version": "version",
    "model number": "model",
    "serial number": "serial",
}


class DeviceInfoError(ProvisioningError):
    """The page could not be read: no web server, no page, too big, garbage."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the page says; empty strings for fields it did not give."""

    path: str
    app_load_id: str = ""
    version: str = ""
    model: str = ""
    mac: str = ""
    host_name: str = ""
    phone_dn: str = ""
    boot_load_id: str = ""
    serial: str = ""


def parse_device_information_xml(data: bytes, path: str = PATHS[0]) -> DeviceInfo:
    """Parse ``/DeviceInformationX`` (raises :class:`DeviceInfoError`)."""
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise DeviceInfoError(f"{path}: a document type declaration is not allowed")
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - DTD refused above, bounded
    except ElementTree.ParseError as err:
        raise DeviceInfoError(f"{path}: not XML ({err})") from err
    values = {
        field: (root.findtext(element) or "").strip()
        for element, field in _XML_FIELDS.items()
    }
    if not values["app_load_id"] and not values["model"]:
        raise DeviceInfoError(f"{path}: no appLoadID or modelNumber in the page")
    return DeviceInfo(path, **values)


class _Cells(HTMLParser):
    """Collects the text of every table cell, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th"):
            self._flush()
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr", "table"):
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def _flush(self) -> None:
        if self._text is not None:
            self.cells.append(" ".join("".join(self._text).split()))
            self._text = None


def parse_device_information_html(data: bytes, path: str = PATHS[1]) -> DeviceInfo:
    """Parse the HTML page: each label cell is followed by its value cell."""
    parser = _Cells()
    parser.feed(data.decode("latin-1"))
    parser.close()
    cells = [cell for cell in parser.cells if cell]
    values: dict[str, str] = {}
    for label, value in pairwise(cells):
        field = _HTML_LABELS.get(label.rstrip(":").strip().lower())
        if field is not None and field not in values:
            values[field] = value
    if not values.get("app_load_id") and not values.get("model"):
        raise DeviceInfoError(f"{path}: no App Load ID or Model Number in the page")
    return DeviceInfo(path, **values)


async def _get(host: str, port: int, path: str, max_bytes: int) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode(
                "ascii"
            )
        )
        await writer.drain()
        data = b""
        while len(data) <= max_bytes and (chunk := await reader.read(16384)):
            data += chunk
    finally:
        writer.close()
        with suppress(OSError):  # a reset after the answer: what was read counts
            await writer.wait_closed()
    if len(data) > max_bytes:
        raise DeviceInfoError(f"{path}: the answer is larger than {max_bytes} bytes")
    head, _, body = data.partition(b"\r\n\r\n")
    match = _STATUS.match(head)
    if match is None:
        raise DeviceInfoError(f"{path}: not an HTTP answer")
    return int(match.group(1)), body


async def fetch_device_info(
    host: str,
    *,
    port: int = 80,
    timeout: float = 5.0,  # noqa: ASYNC109 - the whole fetch, all paths
    max_bytes: int = MAX_BYTES,
) -> DeviceInfo:
    """Return the phone's device information (XML page first, then HTML).

    Raises :class:`DeviceInfoError` with the reason when neither page can be
    read within ``timeout`` seconds (no web server, web access off, a 7940/
    7960 on SIP, a page without the fields), and :class:`SettingsError` for
    an invalid host or port.
    """
    host = check_host(host, "host", required=True)
    port = check_port(port, "port")
    problems: list[str] = []
    try:
        async with asyncio.timeout(timeout):
            for path in PATHS:
                status, body = await _get(host, port, path, max_bytes)
                if status != 200:
                    problems.append(f"{path}: HTTP {status}")
                    continue
                if path.endswith("X"):
                    return parse_device_information_xml(body, path)
                return parse_device_information_html(body, path)
    except TimeoutError:
        problems.append(f"no complete answer within {timeout:g} s")
    except OSError as err:
        problems.append(f"cannot connect to {host}:{port}: {err.strerror or err}")
    raise DeviceInfoError(
        "the phone's device information page could not be read ("
        + "; ".join(problems)
        + ")"
    )
