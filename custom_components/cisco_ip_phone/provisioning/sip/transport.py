"""One SIP non-INVITE client transaction over UDP (RFC 3261 §17.1.2).

NOTIFY (check-sync, service-control) and OPTIONS (qualify) are the only
requests this integration sends, both to a phone that may be switched off,
so the transaction is bounded in every direction: at most ``MAX_SENDS``
retransmits (Timer E: T1 doubling up to T2), a caller's deadline, at most
``_MAX_QUEUED`` datagrams held, and only datagrams from the phone's address
looked at. Network failures are results, invalid input raises
:class:`SettingsError`.
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
from typing import Final

from ..settings.checks import SettingsError, check_host, check_port

_LOGGER = logging.getLogger(__name__)

T1: Final = 0.5  # RFC 3261 round-trip estimate
T2_FACTOR: Final = 8  # T2 = 4 s = 8 x T1: the retransmit interval cap
MAX_SENDS: Final = 11  # what RFC 3261 timers allow within Timer F (32 s)
_MAX_QUEUED: Final = 64  # datagrams kept while waiting; a flood is dropped

_STATUS_LINE: Final = re.compile(r"^SIP/2\.0 ([1-6][0-9]{2})(?: (.*))?$")
_COMPACT: Final = MappingProxyType(
    {"i": "call-id", "v": "via", "f": "from", "t": "to", "l": "content-length"}
)

# Builds the request once the local address, port and Call-ID are known.
type Builder = Callable[[str, int, str], bytes]


@dataclass(frozen=True, slots=True)
class SipResponse:
    """A parsed SIP response: status line and headers (names lower-case)."""

    status: int
    reason: str
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Transaction:
    """How a transaction ended: the final (or last provisional) answer, if any.

    ``rtt`` is the time from the first send to the answer, in seconds.
    """

    status: int | None
    reason: str
    attempts: int
    response: SipResponse | None = None
    rtt: float | None = None


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


def _matches(response: SipResponse, call_id: str, method: str) -> bool:
    cseq = response.headers.get("cseq", "").split()
    return (
        response.headers.get("call-id") == call_id
        and len(cseq) == 2
        and cseq[1].upper() == method
    )


async def _exchange(
    client: _Client,
    transport: asyncio.DatagramTransport,
    message: bytes,
    remote: tuple[str, int],
    call_id: str,
    method: str,
    wait: float,
    t1: float,
) -> Transaction:
    """Run the non-INVITE client transaction (RFC 3261 §17.1.2) over UDP."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + wait
    interval, t2 = t1, t1 * T2_FACTOR
    sends, next_send = 0, started
    provisional: SipResponse | None = None
    provisional_at = started
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
        if response is None or not _matches(response, call_id, method):
            ignored += 1
            continue
        if response.status >= 200:
            rtt = loop.time() - started
            return Transaction(response.status, response.reason, sends, response, rtt)
        if provisional is None:
            provisional_at = loop.time()
        provisional, interval = response, t2  # Proceeding: retransmit at T2
    if provisional is not None:
        rtt = provisional_at - started
        return Transaction(
            provisional.status, provisional.reason, sends, provisional, rtt
        )
    reason = f"no answer within {wait:g} s"
    if ignored:
        reason += f" ({ignored} unrelated or unparseable datagrams ignored)"
    if client.error is not None:
        error = client.error
        reason += f" (last error: {getattr(error, 'strerror', None) or error})"
    return Transaction(None, reason, sends)


def check_timeout(timeout: float, t1: float) -> None:
    """Refuse a wait or T1 that is not a positive, finite number of seconds."""
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


async def transact(
    host: str,
    port: int,
    local_host: str | None,
    wait: float,
    t1: float,
    build: Builder,
    method: str,
) -> Transaction:
    """Send the request ``build`` makes to ``host:port`` and await its answer.

    ``local_host`` is the address to send from and advertise; by default the
    one the kernel routes to the phone from. The socket is closed before
    this returns, whatever happened.
    """
    host = check_host(host, "host", required=True)
    port = check_port(port, "port")
    if local_host is not None:
        local_host = check_host(local_host, "local_host", required=True)
    check_timeout(wait, t1)
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
        return Transaction(
            None, f"cannot reach {host}:{port}: {err.strerror or err}", 0
        )
    try:
        local_port = int(transport.get_extra_info("sockname")[1])
        call_id = f"{secrets.token_hex(12)}@{source}"
        message = build(source, local_port, call_id)
        result = await _exchange(
            client, transport, message, remote, call_id, method, wait, t1
        )
    finally:
        transport.close()
        await client.closed
    _LOGGER.debug(
        "%s to %s:%s: %s %s", method, host, port, result.status, result.reason
    )
    return result
