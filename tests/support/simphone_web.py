"""The simulated phone's built-in web server: its device-information page.

From public sources (research/13 phone_identity §b): 79x1-class phones
serve ``/DeviceInformationX`` (XML) and ``/DeviceInformation`` (HTML); a
7940/7960 on SCCP serves the XML (POIP's CP-7940 capture, reproduced in
shape); for a 7940/7960 on SIP no page is documented, so it answers 404.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

_XML = """<?xml version="1.0" encoding="iso-8859-1"?>
<DeviceInformation>
   <MACAddress>{mac}</MACAddress>
   <HostName>SEP{mac}</HostName>
   <phoneDN>{dn}</phoneDN>
   <appLoadID>{app}</appLoadID>
   <bootLoadID>{boot}</bootLoadID>
   <versionID>{version}</versionID>
   <hardwareRevision>1.0</hardwareRevision>
   <serialNumber>FCH1234ABCD</serialNumber>
   <modelNumber>{model}</modelNumber>
</DeviceInformation>
"""
_HTML = """<HTML><BODY><TABLE>
<TR><TD><B>MAC Address</B></TD><TD></TD><TD><B>{mac}</B></TD></TR>
<TR><TD><B>Host Name</B></TD><TD></TD><TD><B>SEP{mac}</B></TD></TR>
<TR><TD><B>Phone DN</B></TD><TD></TD><TD><B>{dn}</B></TD></TR>
<TR><TD><B>App Load ID</B></TD><TD></TD><TD><B>{app}</B></TD></TR>
<TR><TD><B>Boot Load ID</B></TD><TD></TD><TD><B>{boot}</B></TD></TR>
<TR><TD><B>Version</B></TD><TD></TD><TD><B>{version}</B></TD></TR>
<TR><TD><B>Model Number</B></TD><TD></TD><TD><B>{model}</B></TD></TR>
</TABLE></BODY></HTML>
"""


class WebPhone(Protocol):
    """What the web server needs from the simulated phone."""

    mac: str
    model: str
    firmware: str
    java: bool
    line1_name: str | None


def pages(phone: WebPhone) -> dict[str, tuple[str, str]]:
    """Return path -> (content type, body) for what this phone serves."""
    if phone.java:
        # App load: jar<prefix>sip.<version> (reference §4.3); the load name
        # SIP41.8-5-4S carries the version after its dot.
        version = phone.firmware.split(".", 1)[1]
        app = f"jar{phone.firmware[3:5]}sip.{version}"
        model = f"CP-{phone.model}G" + (
            "-GE" if phone.model in ("7941", "7961") else ""
        )
        boot = f"tnp{phone.firmware[3:5]}.8-3-1-21a.bin"
    elif phone.firmware.upper().startswith("P003"):
        app, boot, model, version = phone.firmware, "PC03A300", f"CP-{phone.model}", ""
    else:
        return {}  # SIP 79x0: no device page is documented
    values = {
        "mac": phone.mac,
        "dn": phone.line1_name or "",
        "app": app,
        "boot": boot,
        "version": version or "8.1(2.0)",
        "model": model,
    }
    return {
        "/DeviceInformationX": ("text/xml", _XML.format(**values)),
        "/DeviceInformation": ("text/html", _HTML.format(**values)),
    }


async def serve(phone: WebPhone, host: str = "127.0.0.1") -> asyncio.Server:
    """Start the phone's HTTP server on ``host``, port 0."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            path = request.split(b" ", 2)[1].decode("ascii", "replace")
            page = pages(phone).get(path)
            if page is None:
                status, kind, body = "404 Not Found", "text/html", "<HTML>404</HTML>"
            else:
                status, (kind, body) = "200 OK", page
            data = body.encode("latin-1")
            writer.write(
                f"HTTP/1.0 {status}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, IndexError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, 0)
