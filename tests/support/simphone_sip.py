"""The simulated phone's SIP stack: what Cisco's own code does with a request.

Follows Cisco's SIP stack as Mozilla published it (sipcc
``SIPTaskProcessSIPNotify``, ``…ServiceControl``,
``sippmh_parse_service_control_body``; research/13 resync_and_hops.md
a.1-a.2) for the 79x1 class, and the same checks for a 7940/7960 (the
research's "safe choice"):

* NOTIFY without ``Event`` -> 400; Request-URI without a user -> 400; a user
  that is not line 1's name (or contact) -> 404; ``To`` without a user -> 400;
* ``check-sync``: 200; a 7940/7960 then reads syncinfo.xml (reference §4.1),
  a 79x1-class phone does nothing else;
* ``service-control`` (79x1 class only): 400 without a text/plain body, a
  braced ``RegisterCallId`` equal to its REGISTER Call-ID, or outside CCM
  mode; else 200 and ``restart`` (re-reads ``SEP<MAC>.cnf.xml``) or
  ``reset`` (reboot);
* OPTIONS: 200 with ``Server: Cisco-CP<model>G/<version>`` (sipcc copies the
  User-Agent into Server; a 7940/7960 says ``/8.0`` on every 8.x).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import re
from typing import Protocol
import uuid

_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "o": "event",
    "c": "content-type",
}
_URI_USER = re.compile(r"sip:(?:([^@;>\s]*)@)?")
_SERVICE_FIELD = re.compile(r"^\s*([A-Za-z-]+)\s*=\s*(.*?)\s*$")


class SipPhone(Protocol):
    """What the SIP stack needs from the simulated phone."""

    model: str
    java: bool
    line1_name: str | None
    ccm_mode: bool
    register_call_id: str

    @property
    def server_header(self) -> str:
        """Return the Server/User-Agent value."""

    def _notified(self) -> None: ...

    def _restart(self, full: bool) -> None: ...


def headers_of(lines: Sequence[str]) -> dict[str, str]:
    """Return the headers (names lower-case, compact forms expanded)."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers[_COMPACT.get(key, key)] = value.strip()
    return headers


def _user(uri: str) -> str | None:
    match = _URI_USER.search(uri)
    return match.group(1) if match else None


def parse_service_control(body: str) -> dict[str, str]:
    """Parse ``Name=value`` lines; braced values lose their braces (sipcc)."""
    fields: dict[str, str] = {}
    for line in body.splitlines():
        match = _SERVICE_FIELD.match(line)
        if match is None:
            continue
        name, value = match.group(1).lower(), match.group(2)
        if name == "action":
            fields[name] = value.lower()
        elif value.startswith("{") and value.endswith("}"):
            fields[name] = value[1:-1]
    return fields


class SipListener(asyncio.DatagramProtocol):
    """The phone's UDP SIP port."""

    def __init__(self, phone: SipPhone) -> None:
        self.phone = phone
        self.transport: asyncio.DatagramTransport | None = None
        self.received: list[str] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode("utf-8", "replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("SIP/2.0"):
            return  # not a SIP request: a real phone drops it
        self.received.append(parts[0])
        headers = headers_of(lines[1:])
        if parts[0] == "OPTIONS":
            self.answer(addr, headers, "200 OK", allow=True)
        elif parts[0] != "NOTIFY":
            self.answer(addr, headers, "501 Not Implemented")
        else:
            status, action = self._notify(parts[1], headers, body)
            self.answer(addr, headers, status)
            if action is not None:
                action()

    def _notify(
        self, uri: str, headers: dict[str, str], body: str
    ) -> tuple[str, object]:
        phone = self.phone
        event = headers.get("event", "").split(";")[0].strip().lower()
        if not event:
            return "400 Bad Request", None
        user = _user(uri)
        if not user:
            return "400 Bad Request", None
        if phone.line1_name is not None and user != phone.line1_name:
            return "404 Not Found", None
        if not _user(headers.get("to", "")):
            return "400 Bad Request", None
        if event == "check-sync":
            # sipcc answers 200 and does nothing else on the 79x1 class.
            return "200 OK", None if phone.java else phone._notified
        if event == "service-control" and phone.java:
            return self._service_control(headers, body)
        return "489 Bad Event", None

    def _service_control(
        self, headers: dict[str, str], body: str
    ) -> tuple[str, object]:
        phone = self.phone
        if not body or headers.get("content-type", "").lower() != "text/plain":
            return "400 Bad Request", None
        fields = parse_service_control(body)
        if "registercallid" not in fields:
            return "400 Bad Request", None
        if fields["registercallid"] != phone.register_call_id:
            return "400 Bad Request", None  # "callid doesn't match"
        if not phone.ccm_mode:
            return "400 Bad Request", None  # "Received NOTIFY in non CCM mode"
        action = fields.get("action")
        if action in ("restart", "reset"):
            full = action == "reset"
            return "200 OK", lambda: phone._restart(full)
        return "200 OK", None  # INVALID: answered, nothing done (sipcc)

    def answer(
        self,
        addr: tuple[str, int],
        headers: dict[str, str],
        status: str,
        *,
        allow: bool = False,
    ) -> None:
        """Send a response echoing the transaction's headers."""
        assert self.transport is not None
        to = headers.get("to", "")
        if to and ";tag=" not in to:
            to += f";tag={uuid.uuid4().hex[:8]}"
        reply = [f"SIP/2.0 {status}"]
        for name, value in (
            ("Via", headers.get("via", "")),
            ("From", headers.get("from", "")),
            ("To", to),
            ("Call-ID", headers.get("call-id", "")),
            ("CSeq", headers.get("cseq", "")),
        ):
            if value:
                reply.append(f"{name}: {value}")
        reply.append(f"Server: {self.phone.server_header}")
        if allow:
            reply.append(
                "Allow: ACK,BYE,CANCEL,INVITE,NOTIFY,OPTIONS,REFER,REGISTER,UPDATE"
            )
        reply.append("Content-Length: 0")
        self.transport.sendto(("\r\n".join(reply) + "\r\n\r\n").encode(), addr)
