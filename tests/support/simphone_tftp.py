"""The TFTP client inside the simulated Cisco phone (RFC 1350, octet, no options).

Written from the RFC and the behaviour seen in LOG-JH (reference §1.7, §5):
one new UDP source port per file, the RRQ resent every 4 s while nothing
answers, every DATA block acknowledged, ERROR packets understood. It does
not share code with the server it tests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import struct
import time
from typing import Literal

OP_RRQ, OP_DATA, OP_ACK, OP_ERROR, OP_OACK = 1, 3, 4, 5, 6
BLOCK = 512
ERR_NOT_FOUND, ERR_ACCESS, ERR_UNKNOWN_TID = 1, 2, 5

Outcome = Literal["ok", "not_found", "access_violation", "error", "timeout"]


@dataclass(frozen=True, slots=True)
class TftpResult:
    """How one read went: what came back and how long it took."""

    name: str
    outcome: Outcome
    data: bytes
    port: int
    blocks: int
    retransmits: int
    duration: float
    message: str = ""

    @property
    def ok(self) -> bool:
        """Tell whether the whole file arrived."""
        return self.outcome == "ok"


class _Endpoint(asyncio.DatagramProtocol):
    """Queue every datagram received on the phone's per-file port."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queue.put_nowait((data, addr))

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable
        self.queue.put_nowait((b"", ("", 0)))


def build_rrq(name: str) -> bytes:
    """Return a read request for ``name`` in octet mode, exactly as sent."""
    return struct.pack("!H", OP_RRQ) + name.encode("latin-1") + b"\0octet\0"


def _error_packet(code: int, message: str) -> bytes:
    return struct.pack("!HH", OP_ERROR, code) + message.encode() + b"\0"


async def tftp_read(
    server: tuple[str, int],
    name: str,
    *,
    timeout: float = 4.0,
    retries: int = 5,
    max_size: int = 16 * 1024 * 1024,
) -> TftpResult:
    """Read one file from ``server`` on a fresh source port; never raises."""
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    transport, endpoint = await loop.create_datagram_endpoint(
        _Endpoint, local_addr=(server[0], 0)
    )
    port = int(transport.get_extra_info("sockname")[1])
    received = bytearray()
    blocks = retransmits = 0
    expected = 1
    peer: tuple[str, int] | None = None
    last_sent, last_to = build_rrq(name), server
    tries = 0

    def result(outcome: Outcome, message: str = "") -> TftpResult:
        return TftpResult(
            name,
            outcome,
            bytes(received) if outcome == "ok" else b"",
            port,
            blocks,
            retransmits,
            time.monotonic() - started,
            message,
        )

    try:
        transport.sendto(last_sent, last_to)
        while True:
            try:
                data, addr = await asyncio.wait_for(endpoint.queue.get(), timeout)
            except TimeoutError:
                tries += 1
                if tries >= retries:
                    return result("timeout", f"no answer after {tries} tries")
                retransmits += 1
                transport.sendto(last_sent, last_to)
                continue
            if not data:
                continue  # an ICMP error: keep waiting, the timer decides
            if peer is None and addr[0] == server[0]:
                peer = addr  # the server's transfer ID (its new port)
            if addr != peer:
                transport.sendto(_error_packet(ERR_UNKNOWN_TID, "Unknown TID"), addr)
                continue
            if len(data) < 4:
                return result("error", "short packet from the server")
            opcode, number = struct.unpack("!HH", data[:4])
            if opcode == OP_ERROR:
                message = data[4:].split(b"\0", 1)[0].decode("utf-8", "replace")
                if number == ERR_NOT_FOUND:
                    return result("not_found", message)
                if number == ERR_ACCESS:
                    return result("access_violation", message)
                return result("error", f"error {number}: {message}")
            if opcode != OP_DATA:
                transport.sendto(_error_packet(4, "Illegal TFTP operation"), addr)
                return result("error", f"unexpected opcode {opcode}")
            payload = data[4:]
            if len(payload) > BLOCK:
                return result("error", f"block {number} is {len(payload)} bytes")
            if number == expected:
                received += payload
                blocks += 1
                tries = 0
                if len(received) > max_size:
                    transport.sendto(_error_packet(3, "Disk full"), addr)
                    return result("error", "file larger than the flash")
                last_sent, last_to = struct.pack("!HH", OP_ACK, number), addr
                transport.sendto(last_sent, last_to)
                if len(payload) < BLOCK:
                    return result("ok")
                expected = (expected + 1) & 0xFFFF
            else:  # a duplicate: our ACK was lost, say it again
                transport.sendto(struct.pack("!HH", OP_ACK, number), addr)
    finally:
        transport.close()
