"""Ask a phone to re-check its configuration with a SIP NOTIFY.

A 7940/7960 on SIP firmware that receives ``NOTIFY`` with ``Event:
check-sync`` waits until idle, fetches ``syncinfo.xml`` and reboots when its
``sync`` value differs (reference §4.1); 79x1-class phones take
``Event: service-control`` with ``action=restart|reset`` instead. The SIP
answer is only a courtesy: the real acknowledgement is the phone's later
``syncinfo.xml`` request, which the tracker watches. So this module sends one
non-INVITE transaction over UDP, retransmitting per RFC 3261 (Timer E: T1
doubling up to T2), and reports whatever status line came back, or None.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import logging
import math
import re
import secrets
import socket
from types import MappingProxyType
from typing import Final, Literal

from ..settings.checks import SettingsError, check_host, check_port

_LOGGER = logging.getLogger(__name__)

T1: Final = 0.5  # RFC 3261 round-trip estimate
T2_FACTOR: Final = 8  # T2 = 4 s = 8 x T1: the retransmit interval cap
MAX_SENDS: Final = 11  # what RFC 3261 timers allow within Timer F (32 s)
_MAX_QUEUED: Final = 64  # datagrams kept while waiting; a flood is dropped

_USER: Final = re.compile(r"^[A-Za-z0-9._+~!*'()&=$,-]{0,64}$")
_CALL_ID: Final = re.compile(r"^[A-Za-z0-9._+~!*'()%:@/<>\[\]?-]{0,128}$")
_STATUS_LINE: Final = re.compile(r"^SIP/2\.0 ([1-6][0-9]{2})(?: (.*))?$")
_COMPACT: Final = MappingProxyType(
    {"i": "call-id", "v": "via", "f": "from", "t": "to", "l": "content-length"}
)
_ZERO_STAMP: Final = "{00000000-0000-0000-0000-000000000000}"

ServiceAction = Literal["restart", "reset"]
# Builds the request once the local address, port and Call-ID are known.
type _Builder = Callable[[str, int, str], bytes]


@dataclass(frozen=True, slots=True)
class NotifyResult:
    """The phone's answer: ``status`` None means no (valid) answer in time."""

    status: int | None
    reason: str
    attempts: int = 1

    @property
    def accepted(self) -> bool:
        """Tell whether the phone answered with a 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class SipResponse:
    """A parsed SIP response: status line and headers (names lower-case)."""

    status: int
    reason: str
    headers: Mapping[str, str]


# ------------------------------------------------------------------ messages


def _check_user(user: object) -> str:
    if not isinstance(user, str) or not _USER.fullmatch(user):
        raise SettingsError(
            f"user: {user!r} is not a SIP user name (up to 64 letters, digits "
            "and . _ + ~ ! * ' ( ) & = $ , -; no spaces, @ or line breaks)",
            field="user",
        )
    return user


def _check_token(value: object, field: str) -> str:
    if not isinstance(value, str) or not _CALL_ID.fullmatch(value):
        raise SettingsError(
            f"{field}: {value!r} may only hold letters, digits and SIP word "
            "characters (no spaces, braces or line breaks)",
            field=field,
        )
    return value


def _check_service(action: object, register_call_id: object) -> None:
    if action not in ("restart", "reset"):
        raise SettingsError(
            f"action: {action!r} is not 'restart' or 'reset'", field="action"
        )
    _check_token(register_call_id, "register_call_id")


def _notify(
    host: str,
    *,
    port: int,
    user: str,
    local_host: str,
    local_port: int,
    event: str,
    extra: tuple[str, ...] = (),
    body: str = "",
    call_id: str | None = None,
    branch: str | None = None,
    tag: str | None = None,
) -> bytes:
    """Return a NOTIFY in the layout of reference §4.1 (RFC 3261 headers)."""
    host = check_host(host, "host", required=True)
    port = check_port(port, "port")
    user = _check_user(user)
    local_host = check_host(local_host, "local_host", required=True)
    local_port = check_port(local_port, "local_port")
    branch = _check_token(branch or secrets.token_hex(8), "branch")
    tag = _check_token(tag or secrets.token_hex(4), "tag")
    call_id = _check_token(
        call_id or f"{secrets.token_hex(12)}@{local_host}", "call_id"
    )
    at = f"{user}@" if user else ""
    encoded = body.encode("utf-8")
    lines = [
        f"NOTIFY sip:{at}{host}:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP {local_host}:{local_port};branch=z9hG4bK{branch}",
        "Max-Forwards: 70",
        f"From: <sip:provisioner@{local_host}>;tag={tag}",
        f"To: <sip:{at}{host}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 NOTIFY",
        f"Contact: <sip:provisioner@{local_host}:{local_port}>",
        f"Event: {event}",
        *extra,
        f"Content-Length: {len(encoded)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + encoded


def build_check_sync(
    host: str,
    *,
    port: int = 5060,
    user: str,
    local_host: str,
    local_port: int = 5060,
    call_id: str | None = None,
    branch: str | None = None,
    tag: str | None = None,
) -> bytes:
    """Return the check-sync NOTIFY for a 7940/7960 (random ids unless given)."""
    return _notify(
        host,
        port=port,
        user=user,
        local_host=local_host,
        local_port=local_port,
        event="check-sync",
        call_id=call_id,
        branch=branch,
        tag=tag,
    )


def build_service_control(
    host: str,
    *,
    action: ServiceAction,
    port: int = 5060,
    user: str,
    local_host: str,
    local_port: int = 5060,
    register_call_id: str = "",
    call_id: str | None = None,
    branch: str | None = None,
    tag: str | None = None,
) -> bytes:
    """Return a service-control NOTIFY for 79x1-class phones.

    ``restart`` re-reads the configuration, ``reset`` is a full reboot. The
    phone compares ``register_call_id`` with the Call-ID of its own REGISTER
    and refuses a mismatch, so pass it when the registrar is known; all-zero
    version stamps mark every cached file as stale.
    """
    _check_service(action, register_call_id)
    body = "\r\n".join(
        [
            f"action={action}",
            f"RegisterCallId={{{register_call_id}}}",
            f"ConfigVersionStamp={_ZERO_STAMP}",
            f"DialplanVersionStamp={_ZERO_STAMP}",
            f"SoftkeyVersionStamp={_ZERO_STAMP}",
            f"FeatureControlVersionStamp={_ZERO_STAMP}",
        ]
    )
    return _notify(
        host,
        port=port,
        user=user,
        local_host=local_host,
        local_port=local_port,
        event="service-control",
        extra=("Subscription-State: active", "Content-Type: text/plain"),
        body=body + "\r\n",
        call_id=call_id,
        branch=branch,
        tag=tag,
    )


def parse_response(data: bytes) -> SipResponse | None:
    """Return the SIP response in ``data``, or None if it is not one."""
    text = data.decode("utf-8", errors="replace")
    head = re.split(r"\r?\n\r?\n", text, maxsplit=1)[0]
    lines = head.splitlines()
    match = _STATUS_LINE.match(lines[0]) if lines else None
    if match is None:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key = name.strip().lower()
        headers.setdefault(_COMPACT.get(key, key), value.strip())
    return SipResponse(
        int(match.group(1)), (match.group(2) or "").strip(), MappingProxyType(headers)
    )


# ---------------------------------------------------------------- transport


class _Client(asyncio.DatagramProtocol):
    """Collects datagrams from the phone's address until the caller is done."""

    def __init__(self, remote_ip: str) -> None:
        self.remote_ip = remote_ip
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(_MAX_QUEUED)
        self.error: Exception | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if addr[0] == self.remote_ip and not self.queue.full():
            self.queue.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        self.error = exc  # e.g. a refused send; reported if nothing answers

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set_result(None)


def _source_address(remote: tuple[str, int]) -> str:
    """Return the local address the kernel routes ``remote`` from (no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(remote)
        address: str = probe.getsockname()[0]
        return address


def _matches(response: SipResponse, call_id: str) -> bool:
    cseq = response.headers.get("cseq", "").split()
    return (
        response.headers.get("call-id") == call_id
        and len(cseq) == 2
        and cseq[1].upper() == "NOTIFY"
    )


async def _exchange(
    client: _Client,
    transport: asyncio.DatagramTransport,
    message: bytes,
    remote: tuple[str, int],
    call_id: str,
    wait: float,
    t1: float,
) -> NotifyResult:
    """Run the non-INVITE client transaction (RFC 3261 §17.1.2) over UDP."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    interval, t2 = t1, t1 * T2_FACTOR
    sends, next_send = 0, loop.time()
    provisional: SipResponse | None = None
    ignored = 0
    while (now := loop.time()) < deadline:
        if sends < MAX_SENDS and now >= next_send:
            transport.sendto(message, remote)
            sends += 1
            next_send, interval = now + interval, min(interval * 2, t2)
        wake = min(deadline, next_send) if sends < MAX_SENDS else deadline
        try:
            async with asyncio.timeout(max(0.0, wake - now)):
                data = await client.queue.get()
        except TimeoutError:
            continue
        response = parse_response(data)
        if response is None or not _matches(response, call_id):
            ignored += 1
            continue
        if response.status >= 200:
            return NotifyResult(response.status, response.reason, sends)
        provisional, interval = response, t2  # Proceeding: retransmit at T2
    if provisional is not None:
        return NotifyResult(provisional.status, provisional.reason, sends)
    reason = f"no answer within {wait:g} s"
    if ignored:
        reason += f" ({ignored} unrelated or unparseable datagrams ignored)"
    if client.error is not None:
        error = client.error
        reason += f" (last error: {getattr(error, 'strerror', None) or error})"
    return NotifyResult(None, reason, sends)


def _check_timeout(timeout: float, t1: float) -> None:
    for name, value in (("timeout", timeout), ("t1", t1)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise SettingsError(
                f"{name} must be a positive number of seconds", field=name
            )


async def _send(
    host: str,
    port: int,
    local_host: str | None,
    wait: float,
    t1: float,
    build: _Builder,
) -> NotifyResult:
    host = check_host(host, "host", required=True)
    port = check_port(port, "port")
    if local_host is not None:
        local_host = check_host(local_host, "local_host", required=True)
    _check_timeout(wait, t1)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(
            host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM
        )
        remote_ip = str(infos[0][4][0])
        remote = (remote_ip, port)
        source = local_host or _source_address(remote)
        transport, client = await loop.create_datagram_endpoint(
            lambda: _Client(remote_ip), local_addr=(source, 0), family=socket.AF_INET
        )
    except OSError as err:
        return NotifyResult(
            None, f"cannot reach {host}:{port}: {err.strerror or err}", 0
        )
    try:
        local_port = int(transport.get_extra_info("sockname")[1])
        call_id = f"{secrets.token_hex(12)}@{source}"
        message = build(source, local_port, call_id)
        result = await _exchange(client, transport, message, remote, call_id, wait, t1)
    finally:
        transport.close()
        await client.closed
    _LOGGER.debug("NOTIFY to %s:%s: %s %s", host, port, result.status, result.reason)
    return result


async def send_check_sync(
    host: str,
    *,
    port: int = 5060,
    user: str,
    local_host: str | None = None,
    timeout: float = 2.0,  # noqa: ASYNC109 - how long to wait for an answer
    t1: float = T1,
) -> NotifyResult:
    """Send a check-sync NOTIFY and return the phone's answer (None if none).

    ``local_host`` is the address to send from and advertise; by default the
    one the kernel routes to the phone from. Network failures are reported
    in the result, invalid input raises :class:`SettingsError`.
    """
    _check_user(user)

    def build(local: str, local_port: int, call_id: str) -> bytes:
        return build_check_sync(
            host,
            port=port,
            user=user,
            local_host=local,
            local_port=local_port,
            call_id=call_id,
        )

    return await _send(host, port, local_host, timeout, t1, build)


async def send_service_control(
    host: str,
    *,
    action: ServiceAction,
    port: int = 5060,
    user: str,
    register_call_id: str = "",
    local_host: str | None = None,
    timeout: float = 2.0,  # noqa: ASYNC109 - how long to wait for an answer
    t1: float = T1,
) -> NotifyResult:
    """Send a service-control NOTIFY (79x1-class phones) and return the answer."""
    _check_user(user)

    def build(local: str, local_port: int, call_id: str) -> bytes:
        return build_service_control(
            host,
            action=action,
            port=port,
            user=user,
            local_host=local,
            local_port=local_port,
            register_call_id=register_call_id,
            call_id=call_id,
        )

    _check_service(action, register_call_id)
    return await _send(host, port, local_host, timeout, t1, build)
