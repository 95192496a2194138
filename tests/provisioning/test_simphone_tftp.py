"""The simulated phone's TFTP client against a scripted, misbehaving server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import struct

import pytest

from tests.support.simphone_tftp import build_rrq, tftp_read

Script = Callable[[asyncio.DatagramTransport, tuple[str, int]], None]


def data(block: int, payload: bytes) -> bytes:
    return struct.pack("!HH", 3, block) + payload


def error(code: int, message: str) -> bytes:
    return struct.pack("!HH", 5, code) + message.encode() + b"\0"


class Recorder(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[tuple[bytes, tuple[str, int]]] = []

    def datagram_received(self, payload: bytes, addr: tuple[str, int]) -> None:
        self.received.append((payload, addr))


class Scripted:
    """Answers the first RRQ from a transfer port by running ``script``."""

    def __init__(self) -> None:
        self.listener: asyncio.DatagramTransport | None = None
        self.transfer: asyncio.DatagramTransport | None = None
        self.stray: asyncio.DatagramTransport | None = None
        self.recorder = Recorder()
        self.script: Script = lambda transfer, client: None
        self.rrqs: list[bytes] = []

    @property
    def address(self) -> tuple[str, int]:
        assert self.listener is not None
        return self.listener.get_extra_info("sockname")[:2]  # type: ignore[no-any-return]

    def on_rrq(self, payload: bytes, client: tuple[str, int]) -> None:
        self.rrqs.append(payload)
        assert self.transfer is not None
        self.script(self.transfer, client)


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    loop = asyncio.get_running_loop()
    server = Scripted()

    class Listener(asyncio.DatagramProtocol):
        def datagram_received(self, payload: bytes, addr: tuple[str, int]) -> None:
            server.on_rrq(payload, addr)

    server.listener, _ = await loop.create_datagram_endpoint(
        Listener, local_addr=("127.0.0.1", 0)
    )
    server.transfer, _ = await loop.create_datagram_endpoint(
        lambda: server.recorder, local_addr=("127.0.0.1", 0)
    )
    server.stray, _ = await loop.create_datagram_endpoint(
        Recorder, local_addr=("127.0.0.1", 0)
    )
    yield server
    for transport in (server.listener, server.transfer, server.stray):
        transport.close()
    await asyncio.sleep(0)


async def read(server: Scripted, **kwargs: float) -> object:
    async with asyncio.timeout(5):
        return await tftp_read(server.address, "SIPDefault.cnf", **kwargs)  # type: ignore[arg-type]


async def test_duplicates_and_strangers_are_handled(scripted: Scripted) -> None:
    def script(transfer: asyncio.DatagramTransport, client: tuple[str, int]) -> None:
        assert scripted.stray is not None
        transfer.sendto(data(1, b"a" * 512), client)
        scripted.stray.sendto(data(2, b"intruder"), client)  # wrong TID
        transfer.sendto(data(1, b"a" * 512), client)  # duplicate
        transfer.sendto(data(2, b"end"), client)

    scripted.script = script
    result = await read(scripted)
    assert result.outcome == "ok"  # type: ignore[attr-defined]
    assert result.data == b"a" * 512 + b"end"  # type: ignore[attr-defined]
    assert result.blocks == 2  # type: ignore[attr-defined]
    async with asyncio.timeout(5):  # let the last ACKs arrive
        while len(scripted.recorder.received) < 3:
            await asyncio.sleep(0.01)
    acks = [p for p, _ in scripted.recorder.received]
    assert acks.count(struct.pack("!HH", 4, 1)) == 2  # re-ACK of the duplicate
    assert scripted.rrqs == [build_rrq("SIPDefault.cnf")]


@pytest.mark.parametrize(
    ("packet", "outcome", "message"),
    [
        (error(1, "File not found"), "not_found", "File not found"),
        (error(2, "Access violation"), "access_violation", "Access violation"),
        (error(0, "Server busy"), "error", "error 0: Server busy"),
        (struct.pack("!HH", 6, 0) + b"tsize\x003\x00", "error", "unexpected opcode 6"),
        (data(1, b"x" * 600), "error", "block 1 is 600 bytes"),
        (b"\x00", "error", "short packet"),
    ],
)
async def test_server_answers_are_understood(
    scripted: Scripted, packet: bytes, outcome: str, message: str
) -> None:
    scripted.script = lambda transfer, client: transfer.sendto(packet, client)
    result = await read(scripted)
    assert result.outcome == outcome  # type: ignore[attr-defined]
    assert message in result.message  # type: ignore[attr-defined]
    assert result.data == b""  # type: ignore[attr-defined]


async def test_a_file_larger_than_the_flash_is_refused(scripted: Scripted) -> None:
    scripted.script = lambda transfer, client: transfer.sendto(
        data(1, b"z" * 512), client
    )
    result = await read(scripted, max_size=100)
    assert result.outcome == "error"  # type: ignore[attr-defined]
    assert result.message == "file larger than the flash"  # type: ignore[attr-defined]


async def test_silence_resends_the_request_then_times_out(scripted: Scripted) -> None:
    result = await read(scripted, timeout=0.05, retries=3)
    assert result.outcome == "timeout"  # type: ignore[attr-defined]
    assert result.retransmits == 2  # type: ignore[attr-defined]
    assert len(scripted.rrqs) == 3
