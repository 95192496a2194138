"""Transfer sockets kept for reuse: who may take one, when, and what is dropped."""

from __future__ import annotations

import asyncio
from pathlib import Path
import socket

import pytest

from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    server as server_module,
)
from custom_components.cisco_ip_phone.provisioning.tftp.net import unreachable_peers
from custom_components.cisco_ip_phone.provisioning.tftp.ports import TransferSockets
from custom_components.cisco_ip_phone.provisioning.tftp.server import TftpServer
from custom_components.cisco_ip_phone.provisioning.tftp.settings import TftpSettings
from tests.support.tftp_packets import (
    LOCALHOST,
    RawClient,
    ack,
    error_of,
    rrq,
)

CONFIG = b"image_version: P0S3-08-12-00\n"
A = (LOCALHOST, 40001)
B = (LOCALHOST, 40002)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "SIPDefault.cnf").write_bytes(CONFIG)
    return tmp_path


def _pool(clock: Clock, **kw: int) -> TransferSockets:
    return TransferSockets(socket.AF_INET, LOCALHOST, quiet=1.0, clock=clock, **kw)


async def test_a_socket_is_reused_after_its_quiet_spell_by_another_client() -> None:
    clock = Clock()
    pool = _pool(clock)
    try:
        first = pool.take(A)
        port = first.getsockname()[1]
        pool.give_back(first, A)
        assert pool.idle == 1
        # Too soon: a new socket, the idle one keeps waiting.
        second = pool.take(B)
        assert second is not first
        pool.give_back(second, B)
        clock.now += 1.5
        # The client it served last never gets it back (late duplicates)...
        third = pool.take(A)
        assert third is second  # ...the next oldest quiet one goes to it
        fourth = pool.take(B)
        assert fourth is first
        assert fourth.getsockname()[1] == port
        assert (pool.opened, pool.reused) == (2, 2)
    finally:
        pool.close()
    assert first.fileno() == -1
    assert second.fileno() == -1


async def test_the_same_client_twice_in_a_row_gets_a_new_socket() -> None:
    clock = Clock()
    pool = _pool(clock)
    try:
        first = pool.take(A)
        pool.give_back(first, A)
        clock.now += 5
        assert pool.take(A) is not first
        assert pool.idle == 1
    finally:
        pool.close()


async def test_at_most_keep_sockets_wait_the_rest_are_closed() -> None:
    pool = _pool(Clock(), keep=1)
    try:
        one, two = pool.take(A), pool.take(B)
        pool.give_back(one, A)
        pool.give_back(two, B)
        assert pool.idle == 1
        assert two.fileno() == -1  # closed, not kept
        pool.give_back(two, B)  # a socket it no longer owns: ignored
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        pool.give_back(stranger, B)  # never ours: ignored, left open
        assert stranger.fileno() != -1
        stranger.close()
    finally:
        pool.close()


async def test_the_owner_reads_and_an_idle_socket_drops_what_arrives() -> None:
    pool = _pool(Clock())
    log: list[str] = []
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock = pool.take(A)
        # The owner registers itself as the reader, as a session does.
        asyncio.get_running_loop().add_reader(
            sock.fileno(), lambda: log.append(sock.recv(100).hex())
        )
        target = sock.getsockname()
        sender.sendto(b"\x00\x04\x00\x01", target)
        for _ in range(50):
            if log:
                break
            await asyncio.sleep(0.01)
        assert log == ["00040001"]  # the owner reads its own datagrams
        pool.give_back(sock, A)
        sender.sendto(b"\x00\x04\x00\x02", target)  # a late duplicate
        await asyncio.sleep(0.05)
        assert log == ["00040001"]  # not the owner any more
        with pytest.raises(BlockingIOError):  # read and dropped by the pool
            sock.recv(100)
    finally:
        sender.close()
        pool.close()


async def test_an_icmp_error_for_an_idle_socket_is_drained_not_spun_on() -> None:
    pool = _pool(Clock())
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind((LOCALHOST, 0))
    gone = closed.getsockname()
    closed.close()
    try:
        sock = pool.take(A)
        sock.sendto(b"x", gone)  # the port is closed: an ICMP error comes back
        pool.give_back(sock, A)
        await asyncio.sleep(0.05)
        assert unreachable_peers(sock) == []  # the pool drained the queue
        with pytest.raises(BlockingIOError):
            sock.recv(100)
    finally:
        pool.close()


async def test_the_server_reuses_sockets_and_a_late_packet_is_a_foreign_tid(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reused socket answers the old client as a stranger; the new one is served."""
    pools: list[TransferSockets] = []

    def quick(family: socket.AddressFamily, host: str) -> TransferSockets:
        pools.append(TransferSockets(family, host, quiet=0.0))
        return pools[-1]

    monkeypatch.setattr(server_module, "TransferSockets", quick)
    server = TftpServer(
        ContentResolver(root, stat_ttl=0),
        host=LOCALHOST,
        port=0,
        settings=TftpSettings(timeout=0.3, retries=3),
    )
    await server.start()
    try:
        with RawClient(server.port) as old, RawClient(server.port) as new:
            assert await old.download("SIPDefault.cnf") == CONFIG
            tid = old.peer
            reply = await new.request(rrq("SIPDefault.cnf"))
            assert new.peer == tid  # the same server port serves the new client
            old.send(ack(1), tid)  # the old client's late duplicate ACK
            assert error_of((await old.recv())[0])[0] == 5  # unknown TID
            assert reply[4:] == CONFIG  # the new transfer is untouched
            new.send(ack(1))
        assert pools[0].reused >= 1
    finally:
        await server.stop()
    assert pools[0].idle == 0


async def test_a_socket_that_cannot_be_bound_is_an_error_and_leaves_nothing() -> None:
    pool = TransferSockets(socket.AF_INET, "192.0.2.1")  # not an address of ours
    with pytest.raises(OSError):
        pool.take(A)
    assert (pool.opened, pool.idle) == (0, 0)
    pool.close()


async def test_a_wake_up_without_a_datagram_is_ignored() -> None:
    pool = _pool(Clock())
    try:
        sock = pool.take(A)
        pool.give_back(sock, A)
        pool._drop(sock)  # nothing queued: no error, still idle
        assert pool.idle == 1
    finally:
        pool.close()
