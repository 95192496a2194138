"""A hand-driven TFTP peer on a real UDP socket, for protocol-level tests."""

from __future__ import annotations

import asyncio
import socket
import struct

LOCALHOST = "127.0.0.1"


def rrq(name: str | bytes, mode: str = "octet", **options: object) -> bytes:
    raw = name.encode() if isinstance(name, str) else name
    packet = b"\x00\x01" + raw + b"\x00" + mode.encode() + b"\x00"
    for key, value in options.items():
        packet += key.encode() + b"\x00" + str(value).encode() + b"\x00"
    return packet


def wrq(name: str, mode: str = "octet", **options: object) -> bytes:
    return b"\x00\x02" + rrq(name, mode, **options)[2:]


def ack(block: int) -> bytes:
    return struct.pack("!HH", 4, block & 0xFFFF)


def data(block: int, payload: bytes) -> bytes:
    return struct.pack("!HH", 3, block & 0xFFFF) + payload


def error(code: int, message: str) -> bytes:
    return struct.pack("!HH", 5, code) + message.encode() + b"\x00"


def opcode(packet: bytes) -> int:
    return int.from_bytes(packet[:2])


def block_of(packet: bytes) -> int:
    return int.from_bytes(packet[2:4])


def error_of(packet: bytes) -> tuple[int, str]:
    assert opcode(packet) == 5, packet[:40]
    return int.from_bytes(packet[2:4]), packet[4:].split(b"\x00")[0].decode()


def oack_options(packet: bytes) -> dict[str, str]:
    assert opcode(packet) == 6, packet[:40]
    parts = packet[2:].split(b"\x00")[:-1]
    return {parts[i].decode(): parts[i + 1].decode() for i in range(0, len(parts), 2)}


class RawClient:
    """One UDP socket (one client TID) talking to the server by hand."""

    def __init__(
        self, server_port: int, host: str = LOCALHOST, *, source: str | None = None
    ) -> None:
        """``source``: another loopback address (127.0.0.2 ...) to act as a host."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind((source or host, 0))
        self.server = (host, server_port)
        self.peer: tuple[str, int] | None = None

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, packet: bytes, addr: tuple[str, int] | None = None) -> None:
        self.sock.sendto(packet, addr or self.peer or self.server)

    async def recv(self, timeout: float = 5.0) -> tuple[bytes, tuple[str, int]]:
        loop = asyncio.get_running_loop()
        packet, addr = await asyncio.wait_for(
            loop.sock_recvfrom(self.sock, 70000), timeout
        )
        return packet, (addr[0], addr[1])

    async def request(self, packet: bytes) -> bytes:
        """Send a request to the listening port; remember the reply's TID."""
        self.peer = None
        self.send(packet, self.server)
        reply, addr = await self.recv()
        self.peer = addr
        return reply

    async def download(
        self,
        name: str,
        *,
        mode: str = "octet",
        windowsize: int = 1,
        **options: object,
    ) -> bytes:
        """Fetch a file with RFC 7440 acknowledgement rules; return its bytes."""
        if windowsize != 1:
            options["windowsize"] = windowsize
        reply = await self.request(rrq(name, mode, **options))
        blksize = 512
        if opcode(reply) == 6:
            agreed = oack_options(reply)
            blksize = int(agreed.get("blksize", 512))
            windowsize = int(agreed.get("windowsize", 1))
            self.send(ack(0))
            reply, _ = await self.recv()
        chunks: list[bytes] = []
        expected = 1
        in_window = 0
        while True:
            assert opcode(reply) == 3, reply[:40]
            if block_of(reply) == expected & 0xFFFF:
                payload = reply[4:]
                chunks.append(payload)
                expected += 1
                in_window += 1
                if len(payload) < blksize:
                    self.send(ack(expected - 1))
                    return b"".join(chunks)
                if in_window == windowsize:
                    self.send(ack(expected - 1))
                    in_window = 0
            else:
                self.send(ack(expected - 1))
                in_window = 0
            reply, _ = await self.recv()


def download_blocking(
    server_port: int, name: str, blksize: int, windowsize: int
) -> tuple[bytes, int]:
    """Windowed download on a blocking socket (run in a thread: fast per packet).

    Returns the content and the number of DATA blocks received.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.bind((LOCALHOST, 0))
        request = rrq(name, blksize=blksize, windowsize=windowsize)
        sock.sendto(request, (LOCALHOST, server_port))
        reply, peer = sock.recvfrom(70000)
        agreed = oack_options(reply)
        assert agreed == {"blksize": str(blksize), "windowsize": str(windowsize)}
        sock.sendto(ack(0), peer)
        chunks: list[bytes] = []
        expected = 1
        in_window = 0
        while True:
            reply, _ = sock.recvfrom(70000)
            assert opcode(reply) == 3
            if block_of(reply) != expected & 0xFFFF:
                sock.sendto(ack(expected - 1), peer)
                in_window = 0
                continue
            chunks.append(reply[4:])
            expected += 1
            in_window += 1
            if len(reply) - 4 < blksize:
                sock.sendto(ack(expected - 1), peer)
                return b"".join(chunks), expected - 1
            if in_window == windowsize:
                sock.sendto(ack(expected - 1), peer)
                in_window = 0
