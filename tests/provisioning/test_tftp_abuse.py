"""Issue #11 items 3, 4, 10 and 12: what a hostile or careless client can do to TFTP.

Real sockets on loopback; other loopback addresses (127.0.0.2 ...) stand for
other hosts, and ``exempt_loopback=False`` holds them to the per-address
limits as if they came from the LAN.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import os
from pathlib import Path
import random
import shutil
import threading

import pytest

from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    TftpServer,
    TftpSettings,
    packets,
    resolver as resolver_module,
)
from custom_components.cisco_ip_phone.provisioning.tftp.settings import (
    TftpSettingsError,
)
from custom_components.cisco_ip_phone.provisioning.tftp.stream import (
    CHUNK_BYTES,
    StreamReadSession,
)
from tests.support.tftp_packets import (
    LOCALHOST,
    RawClient,
    ack,
    block_of,
    error_of,
    oack_options,
    opcode,
    rrq,
)

FIRMWARE = random.Random(11).randbytes(300_000)
TEXT = b"line one\nline two\r\n" * 40_000  # ~760 KB of text

Start = Callable[..., Awaitable[TftpServer]]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    served = tmp_path / "root"
    served.mkdir()
    (served / "P0S3-8-12-00.sb2").write_bytes(FIRMWARE)
    (served / "big.txt").write_bytes(TEXT)
    return served


@pytest.fixture
async def start(root: Path) -> AsyncIterator[Start]:
    servers: list[TftpServer] = []

    async def _start(
        settings: TftpSettings | None = None,
        resolver: ContentResolver | None = None,
        **kw: object,
    ) -> TftpServer:
        server = TftpServer(
            resolver or ContentResolver(root, stat_ttl=0),
            host=LOCALHOST,
            port=0,
            settings=settings
            or TftpSettings(timeout=0.3, retries=3, exempt_loopback=False),
            **kw,  # type: ignore[arg-type]
        )
        await server.start()
        servers.append(server)
        return server

    yield _start
    for server in servers:
        await server.stop()


async def _fetch(port: int, name: str, source: str, **options: object) -> bytes:
    with RawClient(port, source=source) as client:
        return await client.download(name, **options)


# -- item 3: one burst must not take TFTP down ----------------------------------


async def test_one_address_cannot_hold_every_slot(start: Start) -> None:
    settings = TftpSettings(
        timeout=5, retries=5, max_sessions_per_source=4, exempt_loopback=False
    )
    server = await start(settings)
    hogs = [RawClient(server.port, source="127.0.0.2") for _ in range(30)]
    try:
        for hog in hogs:
            hog.send(rrq("P0S3-8-12-00.sb2", timeout=255), hog.server)
        replies = [await hog.recv() for hog in hogs]
        refused = [p for p, _ in replies if opcode(p) == 5]
        assert len(refused) == 26
        assert all(
            error_of(p) == (0, "Too many transfers from your address") for p in refused
        )
        assert server.stats.active == 4
        assert server.stats.source_limited == 26
        # A phone elsewhere is served at once.
        assert await _fetch(server.port, "P0S3-8-12-00.sb2", "127.0.0.3") == FIRMWARE
    finally:
        for hog in hogs:
            hog.close()


async def test_huge_timeout_option_is_declined(start: Start) -> None:
    server = await start()
    with RawClient(server.port) as client:
        reply = await client.request(rrq("P0S3-8-12-00.sb2", timeout=255, blksize=1024))
        assert oack_options(reply) == {"blksize": "1024"}
    with RawClient(server.port) as client:
        reply = await client.request(rrq("P0S3-8-12-00.sb2", timeout=3))
        assert oack_options(reply) == {"timeout": "3"}


async def test_port_unreachable_frees_the_slot_at_once(start: Start) -> None:
    settings = TftpSettings(
        timeout=0.2, retries=50, unverified_retries=50, exempt_loopback=False
    )
    server = await start(settings)
    client = RawClient(server.port, source="127.0.0.2")
    reply = await client.request(rrq("P0S3-8-12-00.sb2"))
    assert block_of(reply) == 1
    assert server.stats.active == 1
    client.close()  # the next resend bounces: ICMP port unreachable
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(5):
        while server.stats.active:
            await asyncio.sleep(0.02)
    # 50 retries x 0.2 s would be 10 s; the first bounce ends it.
    assert loop.time() - began < 5
    assert server.stats.unreachable == 1


def test_only_our_clients_bounce_ends_a_transfer() -> None:
    import socket

    from custom_components.cisco_ip_phone.provisioning.tftp import net

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    net.report_icmp_errors(sock, socket.AF_INET)
    sock.bind((LOCALHOST, 0))
    gone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gone.bind(("127.0.0.2", 0))
    address = gone.getsockname()
    gone.close()
    sock.sendto(b"x", address)
    sock.settimeout(2)
    with pytest.raises(ConnectionRefusedError):
        sock.recvfrom(16)
    sock.sendto(b"x", address)
    import time

    time.sleep(0.05)
    assert set(net.unreachable_peers(sock)) == {address}
    assert net.unreachable_peers(sock) == []
    sock.close()


async def test_known_phones_keep_a_reserve(start: Start) -> None:
    settings = TftpSettings(
        timeout=5,
        retries=5,
        max_sessions=10,
        reserved_sessions=4,
        exempt_loopback=False,
    )
    asked: list[str] = []

    def known(ip: str) -> bool:
        asked.append(ip)
        return ip == "127.0.0.9"

    server = await start(settings, is_known_client=known)
    hogs = [RawClient(server.port, source=f"127.0.1.{i}") for i in range(8)]
    try:
        for hog in hogs:
            hog.send(rrq("P0S3-8-12-00.sb2"), hog.server)
        replies = [(await hog.recv())[0] for hog in hogs]
        assert sum(opcode(p) == 3 for p in replies) == 6
        assert [error_of(p) for p in replies if opcode(p) == 5] == [
            (0, "Server busy, try again later")
        ] * 2
        assert await _fetch(server.port, "P0S3-8-12-00.sb2", "127.0.0.9") == FIRMWARE
        assert "127.0.0.9" in asked
    finally:
        for hog in hogs:
            hog.close()


async def test_failing_known_client_hook_counts_as_unknown(start: Start) -> None:
    def broken(ip: str) -> bool:
        raise RuntimeError("tracker bug")

    settings = TftpSettings(max_sessions=2, reserved_sessions=1, exempt_loopback=False)
    server = await start(settings, is_known_client=broken)
    with (
        RawClient(server.port, source="127.0.0.2") as a,
        RawClient(server.port, source="127.0.0.3") as b,
    ):
        assert opcode(await a.request(rrq("P0S3-8-12-00.sb2"))) == 3
        assert error_of(await b.request(rrq("P0S3-8-12-00.sb2")))[0] == 0


def test_limits_are_validated() -> None:
    for bad in (
        {"max_sessions_per_source": 0},
        {"reserved_sessions": -1},
        {"unverified_retries": 9},
        {"max_option_timeout": 300},
        {"timeout": 0},
        {"max_unacked_bytes_per_source": True},
    ):
        with pytest.raises(TftpSettingsError) as caught:
            TftpSettings(**bad)  # type: ignore[arg-type]
        assert caught.value.field == next(iter(bad))


async def test_loopback_is_exempt_by_default(start: Start) -> None:
    server = await start(TftpSettings(timeout=2, max_sessions_per_source=1))
    clients = [RawClient(server.port) for _ in range(3)]
    try:
        for client in clients:
            assert opcode(await client.request(rrq("P0S3-8-12-00.sb2"))) == 3
    finally:
        for client in clients:
            client.close()


# -- item 12: no amplification toward a spoofed source --------------------------


async def test_unacknowledged_source_gets_a_bounded_amount(start: Start) -> None:
    settings = TftpSettings(timeout=1.0, retries=5, exempt_loopback=False)
    server = await start(settings)
    victims = [RawClient(server.port, source="127.0.0.2") for _ in range(200)]
    sent = received = data_bytes = 0
    try:
        for victim in victims:  # never acknowledges: it did not ask
            packet = rrq("P0S3-8-12-00.sb2")
            victim.send(packet, victim.server)
            sent += len(packet)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.5  # past the one resend: all sends are in
        while loop.time() < deadline:
            for victim in victims:
                try:
                    packet, _ = victim.sock.recvfrom(2048)
                except BlockingIOError:
                    continue
                received += len(packet)
                if opcode(packet) == 3:
                    data_bytes += len(packet)
            await asyncio.sleep(0.01)
    finally:
        for victim in victims:
            victim.close()
    # Before issue #11: 200 x 6 x 516 bytes (~124x). Now: bounded.
    assert data_bytes <= 2 * settings.max_unacked_bytes_per_source
    assert received / sent < 10


async def test_acknowledging_client_gets_all_retries(start: Start) -> None:
    server = await start(TftpSettings(timeout=0.3, retries=3, unverified_retries=0))
    with RawClient(server.port, source="127.0.0.2") as client:
        first = await client.request(rrq("P0S3-8-12-00.sb2"))
        assert block_of(first) == 1
        client.send(ack(1))
        for _ in range(4):  # block 2, then 3 resends of it
            assert block_of((await client.recv())[0]) == 2


# -- item 4: memory is bounded whatever the requests are ------------------------


async def test_netascii_copies_are_shared(start: Start, root: Path) -> None:
    resolver = ContentResolver(root, stat_ttl=60)
    server = await start(TftpSettings(timeout=2), resolver=resolver)
    clients = [RawClient(server.port) for _ in range(20)]
    try:
        for client in clients:
            client.send(rrq("big.txt", "netascii"), client.server)
        for client in clients:
            await client.recv()
        views = [s._view.obj for s in server._clients.values()]  # type: ignore[union-attr]
        assert len(views) == 20
        assert len({id(v) for v in views}) == 1
    finally:
        for client in clients:
            client.close()
    stats = resolver.stats
    assert stats.disk_reads == 1
    assert stats.cached_files == 2  # the file and one netascii copy
    expected = TEXT.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
    assert stats.cached_bytes == len(TEXT) + len(expected)
    with RawClient(server.port) as client:
        got = await client.download("big.txt", mode="netascii")
    assert got == expected


async def test_large_netascii_conversion_runs_off_the_loop(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = resolver_module.to_netascii

    def spy(data: bytes) -> bytes:
        threads.append(threading.current_thread().name)
        return real(data)

    monkeypatch.setattr(resolver_module, "to_netascii", spy)
    server = await start(TftpSettings(timeout=2))
    with RawClient(server.port) as client:
        assert opcode(await client.request(rrq("big.txt", "netascii"))) == 3
    assert threads
    assert threads[0] != threading.main_thread().name


async def test_files_over_the_threshold_are_streamed(start: Start, root: Path) -> None:
    image = random.Random(4).randbytes(1_000_000)
    (root / "huge.bin").write_bytes(image)
    resolver = ContentResolver(root, stat_ttl=60, stream_threshold=100_000)
    server = await start(TftpSettings(timeout=2), resolver=resolver)
    fds_before = len(list(Path("/proc/self/fd").iterdir()))
    clients = [RawClient(server.port) for _ in range(10)]
    try:
        for client in clients:
            client.send(rrq("huge.bin", blksize=1400), client.server)
        for client in clients:
            await client.recv()
        sessions = list(server._clients.values())
        assert all(isinstance(s, StreamReadSession) for s in sessions)
        results = await asyncio.gather(
            *(
                _fetch(server.port, "huge.bin", LOCALHOST, windowsize=8)
                for _ in range(5)
            )
        )
        assert all(r == image for r in results)
        for session in sessions:
            assert len(session._view) <= CHUNK_BYTES  # type: ignore[union-attr]
    finally:
        for client in clients:
            client.close()
    assert resolver.stats.cached_bytes == 0
    await server.stop()
    assert len(list(Path("/proc/self/fd").iterdir())) <= fds_before


async def test_streamed_file_replaced_mid_transfer_stays_whole(
    start: Start, root: Path
) -> None:
    old = random.Random(5).randbytes(500_000)
    (root / "swap.bin").write_bytes(old)
    resolver = ContentResolver(root, stat_ttl=0, stream_threshold=100_000)
    server = await start(TftpSettings(timeout=2), resolver=resolver)
    with RawClient(server.port) as client:
        reply = await client.request(rrq("swap.bin"))
        chunks = [reply[4:]]
        (root / "new.bin").write_bytes(b"n" * 500_000)
        (root / "new.bin").replace(root / "swap.bin")
        block = 1
        while len(chunks[-1]) == 512:
            client.send(ack(block))
            reply, _ = await client.recv()
            block += 1
            chunks.append(reply[4:])
        client.send(ack(block))
    assert b"".join(chunks) == old


async def test_netascii_of_a_streamed_file_is_refused(start: Start, root: Path) -> None:
    resolver = ContentResolver(root, stat_ttl=0, stream_threshold=1000)
    server = await start(TftpSettings(timeout=2), resolver=resolver)
    with RawClient(server.port) as client:
        assert error_of(await client.request(rrq("big.txt", "netascii"))) == (
            2,
            "File too large for netascii; use octet mode",
        )


async def test_streamed_file_that_shrinks_ends_cleanly(
    start: Start, root: Path
) -> None:
    path = root / "shrink.bin"
    path.write_bytes(b"s" * 400_000)
    resolver = ContentResolver(root, stat_ttl=0, stream_threshold=100_000)
    server = await start(TftpSettings(timeout=2), resolver=resolver)
    with RawClient(server.port) as client:
        assert opcode(await client.request(rrq("shrink.bin", blksize=1400))) == 6
        os.truncate(path, 1000)  # in place: the open descriptor sees it
        block = 0
        while True:
            client.send(ack(block))
            reply, _ = await client.recv()
            if opcode(reply) == 5:
                break
            block += 1
        assert error_of(reply) == (0, "Server error")
    assert server.stats.active == 0


async def test_unusual_requests_do_not_fill_the_parse_cache(start: Start) -> None:
    server = await start()
    before = len(packets._PARSED)
    with RawClient(server.port) as client:
        for i in range(50):
            client.send(rrq(f"{i:05d}" + "x" * 60_000), client.server)
            await client.recv()
    assert len(packets._PARSED) == before


# -- item 10: a file replaced in place with the same size and mtime ------------


async def test_same_size_and_mtime_replacement_is_served_new(
    start: Start, root: Path
) -> None:
    path = root / "SIPDefault.cnf"
    path.write_bytes(b"old config AAAA\n")
    stamp = path.stat()
    resolver = ContentResolver(root, stat_ttl=0)
    server = await start(resolver=resolver)
    assert (
        await _fetch(server.port, "SIPDefault.cnf", LOCALHOST) == b"old config AAAA\n"
    )
    # Like Samba or ``cp -p``: same inode, same size, mtime put back.
    with path.open("r+b") as handle:
        handle.write(b"new config BBBB\n")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert (
        await _fetch(server.port, "SIPDefault.cnf", LOCALHOST) == b"new config BBBB\n"
    )
    # And a copy that keeps the mtime (a new inode) is seen too.
    shutil.copy2(root / "P0S3-8-12-00.sb2", root / "copy.sb2")
    (root / "copy.sb2").replace(path)
    assert await _fetch(server.port, "SIPDefault.cnf", LOCALHOST) == FIRMWARE
