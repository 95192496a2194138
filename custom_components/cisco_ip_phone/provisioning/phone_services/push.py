"""Push an object to a 79x1/79x2/79x5/797x phone: ``POST /CGI/Execute``.

The phone checks the Basic credentials of a push by calling its
``authenticationURL`` with ``UserID``, ``Password`` and ``devicename``; that
URL is ours, so the credentials are made up per push here (random, one
phone, short-lived) and only they are approved: nobody else can push to a
phone that trusts us, and our approval is worthless after the push.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
import re
import secrets
import time
from urllib.parse import quote_plus

from .objects import MAX_PUSH_BYTES, Execute, ExecuteItem, ObjectError, render

PUSH_USER = "homeassistant"
CREDENTIAL_TTL = 30.0
MAX_PENDING = 64
MAX_RESPONSE = 8192
AUTHORIZED = b"AUTHORIZED"
UNAUTHORIZED = b"UN-AUTHORIZED"
_ERROR = re.compile(rb'CiscoIPPhoneError\s+Number="(\d+)"')
_STATUS = re.compile(rb'ResponseItem[^>]*Status="(\d+)"')


@dataclass(frozen=True, slots=True)
class _Grant:
    devicename: str
    password: str
    expires: float


class PushBook:
    """The credentials of pushes in flight; each approves one phone, briefly."""

    def __init__(self, clock: object = time.monotonic) -> None:
        self._clock = clock if callable(clock) else time.monotonic
        self._grants: dict[str, _Grant] = {}

    def issue(self, mac: str) -> tuple[str, str]:
        """Return a fresh ``(user, password)`` valid for ``SEP<mac>`` only."""
        now = float(self._clock())
        self._grants = {k: g for k, g in self._grants.items() if g.expires > now}
        while len(self._grants) >= MAX_PENDING:
            self._grants.pop(next(iter(self._grants)))
        user = f"{PUSH_USER}-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(24)
        self._grants[user] = _Grant(f"SEP{mac}", password, now + CREDENTIAL_TTL)
        return user, password

    def check(self, user: str, password: str, devicename: str) -> bool:
        """Return whether these are live credentials we issued for this phone."""
        grant = self._grants.get(user)
        if grant is None or grant.expires <= float(self._clock()):
            return False
        return secrets.compare_digest(
            grant.password.encode(), password.encode()
        ) and secrets.compare_digest(grant.devicename.upper(), devicename.upper())

    def revoke(self, user: str) -> None:
        """Forget the credentials of a finished push."""
        self._grants.pop(user, None)


def execute_for(url: str, *, beep: str | None = None, priority: int = 0) -> bytes:
    """Return the Execute object that makes the phone fetch ``url`` (and beep)."""
    items = [ExecuteItem(url, priority)]
    if beep:
        items.append(ExecuteItem(f"Play:{beep}"))
    data = render(Execute(items))
    if len(data) > MAX_PUSH_BYTES:
        raise ObjectError(f"a push is at most {MAX_PUSH_BYTES} bytes")
    return data


@dataclass(frozen=True, slots=True)
class PushResult:
    """What the phone answered: HTTP status, and a CiscoIPPhoneError number."""

    status: int
    error: int | None
    ok: bool


async def push(
    host: str,
    port: int,
    xml: bytes,
    user: str,
    password: str,
    *,
    wait: float = 10.0,
) -> PushResult:
    """POST ``XML=<xml>`` with Basic auth; raise ``OSError`` when unreachable.

    Written with plain streams: HTTP/1.0, ``Connection: close``, no
    ``Expect: 100-continue`` (which phones answer with error 6), and a
    bounded read of the answer.
    """
    body = b"XML=" + quote_plus(xml).encode()
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    head = (
        f"POST /CGI/Execute HTTP/1.0\r\nHost: {host}\r\n"
        f"Authorization: Basic {auth}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    async with asyncio.timeout(wait):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(head + body)
            await writer.drain()
            answer = await reader.read(MAX_RESPONSE)
        finally:
            writer.close()
            await writer.wait_closed()
    status_line = answer.split(b"\r\n", 1)[0].split()
    status = (
        int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    )
    error = _ERROR.search(answer)
    statuses = _STATUS.findall(answer)
    ok = status == 200 and error is None and all(s == b"0" for s in statuses)
    return PushResult(status, int(error.group(1)) if error else None, ok)
