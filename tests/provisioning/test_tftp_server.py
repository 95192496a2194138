"""TftpServer on loopback against real clients: tftpy, curl, tftp-hpa, raw sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
import errno
import hashlib
import io
import logging
from pathlib import Path
import random
import shutil
import socket
import subprocess
import threading

import pytest
import tftpy

from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    ContentSource,
    EventKind,
    TftpServer,
    TftpSettings,
    TransferEvent,
    TransferOutcome,
    upload as upload_module,
)
from custom_components.cisco_ip_phone.provisioning.tftp.ports import TransferSockets
from custom_components.cisco_ip_phone.provisioning.tftp.upload import WriteSession
from tests.support.tftp_packets import (
    LOCALHOST,
    RawClient,
    ack,
    block_of,
    data,
    download_blocking,
    error,
    error_of,
    oack_options,
    opcode,
    rrq,
    wrq,
)

FIRMWARE = random.Random(7).randbytes(100_000)
CONFIG = b"image_version: P0S3-08-12-00\nproxy1_address: 192.0.2.10\n"


@dataclass(frozen=True)
class Generated:
    name: str
    content: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Running:
    server: TftpServer
    resolver: ContentResolver
    root: Path
    events: list[TransferEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def port(self) -> int:
        return self.server.port

    def record(self, event: TransferEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def wait_for(
        self, predicate: Callable[[list[TransferEvent]], bool], timeout: float = 10
    ) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self.events):
                self.changed.clear()
                await self.changed.wait()

    def finished(self) -> list[TransferEvent]:
        return [e for e in self.events if e.kind is not EventKind.REQUEST]


StartServer = Callable[..., Awaitable[Running]]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    served = tmp_path / "tftproot"
    served.mkdir()
    (served / "P0S3-08-12-00.sb2").write_bytes(FIRMWARE)
    (served / "SIPDefault.cnf").write_bytes(CONFIG)
    (served / "empty.bin").write_bytes(b"")
    (served / "exact.bin").write_bytes(bytes(range(256)) * 4)  # 2 x 512
    (tmp_path / "outside.txt").write_bytes(b"secret")
    return served


@pytest.fixture
async def start_server(root: Path) -> AsyncIterator[StartServer]:
    started: list[TftpServer] = []

    async def _start(
        settings: TftpSettings | None = None, *, host: str = LOCALHOST, **kw: object
    ) -> Running:
        resolver = ContentResolver(root, stat_ttl=0)
        running = Running(None, resolver, root)  # type: ignore[arg-type]
        server = TftpServer(
            resolver,
            host=host,
            port=0,
            settings=settings or TftpSettings(timeout=0.3, retries=3),
            on_event=running.record,
            **kw,  # type: ignore[arg-type]
        )
        await server.start()
        started.append(server)
        running.server = server
        return running

    yield _start
    for server in started:
        await server.stop()


# -- independent clients -------------------------------------------------------


def _tftpy_download(port: int, name: str, options: dict[str, int]) -> bytes:
    logging.getLogger("tftpy").setLevel(logging.WARNING)
    out = io.BytesIO()
    client = tftpy.TftpClient(LOCALHOST, port, options)
    client.download(name, out, timeout=2)
    client.context = None
    return out.getvalue()


@pytest.mark.parametrize("options", [{}, {"blksize": 1024, "tsize": 0}])
async def test_tftpy_client_downloads(
    start_server: StartServer, options: dict[str, int]
) -> None:
    running = await start_server()
    loop = asyncio.get_running_loop()
    got = await loop.run_in_executor(
        None, _tftpy_download, running.port, "p0s3-08-12-00.sb2", options
    )
    assert got == FIRMWARE
    await running.wait_for(lambda ev: len(ev) == 2)
    request, done = running.events
    assert request.kind is EventKind.REQUEST
    assert done.kind is EventKind.COMPLETED
    assert done.outcome is TransferOutcome.OK
    assert done.requested_name == "p0s3-08-12-00.sb2"
    assert done.resolved_name == "P0S3-08-12-00.sb2"
    assert done.source is ContentSource.STATIC
    assert done.bytes_sent == len(FIRMWARE) == done.size
    blksize = options.get("blksize", 512)
    assert done.blocks == len(FIRMWARE) // blksize + 1
    assert done.duration >= 0
    assert running.server.stats.completed == 1
    assert running.server.stats.bytes_sent == len(FIRMWARE)


async def _run(*argv: str) -> subprocess.CompletedProcess[bytes]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
@pytest.mark.parametrize(
    "extra",
    [[], ["--tftp-blksize", "1428"], ["--tftp-blksize", "8"], ["--tftp-no-options"]],
)
async def test_curl_downloads(
    start_server: StartServer, tmp_path: Path, extra: list[str]
) -> None:
    running = await start_server()
    out = tmp_path / "got.bin"
    url = f"tftp://{LOCALHOST}:{running.port}/P0S3-08-12-00.SB2"
    result = await _run("curl", "-sS", *extra, "-o", str(out), url)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == FIRMWARE


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_curl_sees_missing_file(
    start_server: StartServer, tmp_path: Path
) -> None:
    running = await start_server()
    url = f"tftp://{LOCALHOST}:{running.port}/CTLSEP001122334455.tlv"
    result = await _run("curl", "-sS", "-o", str(tmp_path / "x"), url)
    assert result.returncode == 68  # CURLE_TFTP_NOTFOUND


@pytest.mark.skipif(shutil.which("tftp") is None, reason="tftp-hpa not installed")
@pytest.mark.parametrize("name", ["P0S3-08-12-00.sb2", "empty.bin", "exact.bin"])
async def test_tftp_hpa_downloads(
    start_server: StartServer, root: Path, tmp_path: Path, name: str
) -> None:
    running = await start_server()
    out = tmp_path / "got"
    result = await _run(
        "tftp",
        LOCALHOST,
        str(running.port),
        "-m",
        "binary",
        "-c",
        "get",
        name,
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == (root / name).read_bytes()


@pytest.mark.skipif(shutil.which("tftp") is None, reason="tftp-hpa not installed")
async def test_tftp_hpa_netascii(start_server: StartServer, tmp_path: Path) -> None:
    running = await start_server()
    running.resolver.set_generated(
        {"a": Generated("SIP001122334455.cnf", b"line1\nline2\rx\n")}
    )
    out = tmp_path / "got"
    result = await _run(
        "tftp", LOCALHOST, str(running.port), "-m", "ascii", "-c", "get",
        "SIP001122334455.cnf", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == b"line1\nline2\rx\n"
    await running.wait_for(lambda ev: len(ev) == 2)
    done = running.events[-1]
    assert done.source is ContentSource.GENERATED
    assert done.digest == Generated("", b"line1\nline2\rx\n").digest


# -- protocol details on raw sockets --------------------------------------------


async def test_missing_file_is_error_1_at_once(start_server: StartServer) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(rrq("CTLSEP001122334455.tlv"))
        assert error_of(reply) == (1, "File not found")
    await running.wait_for(lambda ev: len(ev) == 2)
    request, failed = running.events
    assert request.kind is EventKind.REQUEST
    assert failed.kind is EventKind.FAILED
    assert failed.outcome is TransferOutcome.NOT_FOUND
    assert failed.resolved_name is None
    assert running.server.stats.not_found == 1


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../outside.txt", 2),
        ("sub/../../outside.txt", 2),
        ("..\\outside.txt", 2),
        ("x" * 300, 2),
        ("/../outside.txt", 2),
        ("link-out", 2),
        ("/etc/passwd", 1),
        ("C:\\windows\\system.ini", 2),
    ],
)
async def test_hostile_paths_never_leave_the_root(
    start_server: StartServer, root: Path, name: str, code: int
) -> None:
    (root / "link-out").symlink_to(root.parent / "outside.txt")
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(rrq(name))
        assert error_of(reply)[0] == code


async def test_absolute_path_to_a_root_file_is_not_served(
    start_server: StartServer, root: Path
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(rrq(str(root.parent / "outside.txt")))
        assert error_of(reply)[0] == 1


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"\x00",
        b"\x00\x01",
        b"\x00\x01name",
        b"\x00\x01name\x00octet",
        b"\x00\x01name\x00",
        b"\x00\x09name\x00octet\x00",
        b"\x01\x01name\x00octet\x00",
        b"\x00\x03\x00\x01data",
        b"\x00\x04\x00\x01",
        b"\x00\x01\xff\xfe\x00octet\x00",
        b"\x00\x01f\x00octet\x00blksize\x00",
        b"\x00\x01f\x00octet\x00\x00",
    ],
)
async def test_malformed_requests_get_error_4(
    start_server: StartServer, packet: bytes
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(packet)
        assert error_of(reply)[0] == 4
        # the server is unharmed
        assert await client.download("SIPDefault.cnf") == CONFIG
    assert running.server.stats.malformed == 1


async def test_unsupported_mode_is_refused(start_server: StartServer) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        code, message = error_of(await client.request(rrq("SIPDefault.cnf", "mail")))
    assert code == 4
    assert "mode" in message


async def test_names_match_whatever_phones_send(start_server: StartServer) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        for name in ("./SIPDefault.cnf", "/sipdefault.CNF", "SIPDEFAULT.CNF"):
            assert await client.download(name) == CONFIG


@pytest.mark.parametrize(
    ("name", "expected"),
    [("empty.bin", b""), ("exact.bin", bytes(range(256)) * 4)],
)
async def test_last_block_is_short_or_empty(
    start_server: StartServer, name: str, expected: bytes
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        first = await client.request(rrq(name))
        got = first[4:]
        block = 1
        packet = first
        while len(packet) - 4 == 512:
            client.send(ack(block))
            packet, _ = await client.recv()
            block += 1
            assert block_of(packet) == block
            got += packet[4:]
        client.send(ack(block))
    assert got == expected
    assert len(packet) == 4  # the last DATA carries nothing when needed
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].blocks == len(expected) // 512 + 1


async def test_options_are_acknowledged(start_server: StartServer) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(
            rrq("P0S3-08-12-00.sb2", blksize=1024, tsize=0, timeout=3, foo="bar")
        )
        assert oack_options(reply) == {
            "blksize": "1024",
            "timeout": "3",
            "tsize": str(len(FIRMWARE)),
        }
        client.send(ack(0))
        packet, _ = await client.recv()
        assert block_of(packet) == 1
        assert len(packet) == 4 + 1024
        client.send(error(0, "enough"))
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].outcome is TransferOutcome.CLIENT_ERROR


async def test_option_names_ignore_case_and_blksize_is_clamped(
    start_server: StartServer,
) -> None:
    running = await start_server(TftpSettings(max_blksize=1468))
    with RawClient(running.port) as client:
        reply = await client.request(rrq("SIPDefault.cnf", BLKSIZE=65464))
        assert oack_options(reply) == {"blksize": "1468"}


async def test_only_unknown_options_means_no_oack(start_server: StartServer) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(rrq("SIPDefault.cnf", multicast="", x="1"))
        assert opcode(reply) == 3


@pytest.mark.parametrize(
    "options",
    [
        {"blksize": 7},
        {"blksize": "abc"},
        {"blksize": "-1"},
        {"timeout": 0},
        {"timeout": 256},
        {"tsize": "x"},
        {"windowsize": 0},
        {"windowsize": 65536},
        {"blksize": ""},
    ],
)
async def test_invalid_option_values_get_error_8(
    start_server: StartServer, options: dict[str, object]
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(rrq("SIPDefault.cnf", **options))
        assert error_of(reply)[0] == 8
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].resolved_name == "SIPDefault.cnf"


async def test_windowsize_and_block_rollover(
    start_server: StartServer, root: Path
) -> None:
    content = random.Random(3).randbytes(65536 * 8 + 5)  # 65537 blocks of 8 bytes
    (root / "big.bin").write_bytes(content)
    running = await start_server(TftpSettings(max_windowsize=256, timeout=2))
    loop = asyncio.get_running_loop()
    got, blocks = await loop.run_in_executor(
        None, download_blocking, running.port, "big.bin", 8, 256
    )
    assert got == content
    assert blocks == 65537  # block numbers wrapped past 65535 to 0, 1
    await running.wait_for(lambda ev: len(ev) == 2)
    done = running.events[-1]
    assert done.blocks == 65537
    assert done.bytes_sent == len(content)


async def test_window_gap_resends_from_the_gap(start_server: StartServer) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        reply = await client.request(rrq("P0S3-08-12-00.sb2", windowsize=4))
        assert oack_options(reply) == {"windowsize": "4"}
        client.send(ack(0))
        window = [(await client.recv())[0] for _ in range(4)]
        assert [block_of(p) for p in window] == [1, 2, 3, 4]
        client.send(ack(2))  # pretend 3 was lost
        again = [(await client.recv())[0] for _ in range(4)]
        assert [block_of(p) for p in again] == [3, 4, 5, 6]
        client.send(error(0, "stop"))
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].retransmits == 2


async def test_duplicate_acks_never_cause_duplicate_data(
    start_server: StartServer,
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        first = await client.request(rrq("P0S3-08-12-00.sb2"))
        assert block_of(first) == 1
        client.send(ack(1))
        second, _ = await client.recv()
        assert block_of(second) == 2
        client.send(ack(1))  # duplicate
        client.send(ack(1))  # and again
        client.send(ack(60000))  # stale / out of window
        client.send(ack(2))
        third, _ = await client.recv()
        # packets on loopback arrive in order: a resent block 2 would come first
        assert block_of(third) == 3
        client.send(error(0, "done"))
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].retransmits == 0


async def test_foreign_tid_gets_error_5_and_transfer_goes_on(
    start_server: StartServer,
) -> None:
    running = await start_server()
    with RawClient(running.port) as client, RawClient(running.port) as intruder:
        first = await client.request(rrq("SIPDefault.cnf", blksize=16))
        assert opcode(first) == 6
        assert client.peer is not None
        assert client.peer[1] != running.port  # a new TID for the transfer
        intruder.send(error(5, "not yours either"), client.peer)  # not answered
        intruder.send(ack(0), client.peer)
        reply, addr = await intruder.recv()
        assert error_of(reply)[0] == 5
        assert addr == client.peer
        client.send(ack(0))
        got = b""
        block = 0
        while True:
            packet, _ = await client.recv()
            block += 1
            assert block_of(packet) == block
            got += packet[4:]
            client.send(ack(block))
            if len(packet) < 4 + 16:
                break
    assert got == CONFIG
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].outcome is TransferOutcome.OK


async def test_lost_packets_are_retransmitted(start_server: StartServer) -> None:
    running = await start_server(TftpSettings(timeout=0.1, retries=5))
    with RawClient(running.port) as client:
        first = await client.request(rrq("SIPDefault.cnf", blksize=32))
        assert opcode(first) == 6
        # drop the OACK: do not answer, the server sends it again
        again, _ = await client.recv()
        assert again == first
        client.send(ack(0))
        one, _ = await client.recv()
        # drop DATA 1 too
        one_again, _ = await client.recv()
        assert one_again == one
        client.send(ack(1))
        packet, _ = await client.recv()
        assert block_of(packet) == 2
        client.send(ack(2))
        while len(packet) == 4 + 32:
            packet, _ = await client.recv()
            client.send(ack(block_of(packet)))
    await running.wait_for(lambda ev: len(ev) == 2)
    done = running.events[-1]
    assert done.outcome is TransferOutcome.OK
    assert done.retransmits >= 2
    assert running.server.stats.retransmits >= 2


async def test_abandoned_transfer_frees_its_session(start_server: StartServer) -> None:
    running = await start_server(
        TftpSettings(timeout=0.05, retries=2, unverified_retries=2)
    )
    with RawClient(running.port) as client:  # open: silent, not unreachable
        first = await client.request(rrq("P0S3-08-12-00.sb2"))
        assert block_of(first) == 1
        assert running.server.stats.active == 1
        await running.wait_for(lambda ev: len(ev) == 2)
    failed = running.events[-1]
    assert failed.kind is EventKind.FAILED
    assert failed.outcome is TransferOutcome.TIMEOUT
    assert failed.retransmits == 2
    assert running.server.stats.active == 0


async def test_client_protocol_errors_end_the_transfer(
    start_server: StartServer,
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        await client.request(rrq("P0S3-08-12-00.sb2"))
        client.send(data(1, b"nope"))
        reply, _ = await client.recv()
        assert error_of(reply)[0] == 4
    with RawClient(running.port) as client:
        await client.request(rrq("P0S3-08-12-00.sb2"))
        client.send(b"\x00\x04")
        reply, _ = await client.recv()
        assert error_of(reply)[0] == 4
    await running.wait_for(lambda ev: len(running.finished()) == 2)
    assert all(e.outcome is TransferOutcome.CLIENT_ERROR for e in running.finished())


async def test_repeated_request_does_not_start_a_second_transfer(
    start_server: StartServer,
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        first = await client.request(rrq("P0S3-08-12-00.sb2"))
        client.send(rrq("P0S3-08-12-00.sb2"), client.server)
        client.send(ack(1))
        second, _ = await client.recv()
        assert block_of(first) == 1
        assert block_of(second) == 2
        assert running.server.stats.requests == 1
        client.send(error(0, "bye"))


async def test_busy_server_refuses_with_error(start_server: StartServer) -> None:
    running = await start_server(TftpSettings(max_sessions=1))
    with RawClient(running.port) as first, RawClient(running.port) as second:
        await first.request(rrq("P0S3-08-12-00.sb2"))
        code, message = error_of(await second.request(rrq("SIPDefault.cnf")))
        assert code == 0
        assert "busy" in message.lower()
        first.send(error(0, "bye"))
    assert running.server.stats.busy == 1


async def test_twenty_downloads_share_one_copy(
    start_server: StartServer, root: Path
) -> None:
    image = random.Random(11).randbytes(2 * 1024 * 1024)
    (root / "P0S3-08-12-00.loads").write_bytes(image)
    running = await start_server(TftpSettings(timeout=2))

    async def fetch() -> bytes:
        with RawClient(running.port) as client:
            return await client.download(
                "P0S3-08-12-00.loads", blksize=1468, windowsize=64
            )

    results = await asyncio.gather(*(fetch() for _ in range(20)))
    assert all(r == image for r in results)
    stats = running.server.stats.resolver
    assert stats.disk_reads == 1
    assert stats.cached_files == 1
    assert stats.cached_bytes == len(image)


async def test_generated_content_takes_precedence(start_server: StartServer) -> None:
    running = await start_server()
    running.resolver.set_generated({"x": Generated("SIPDefault.cnf", b"generated")})
    with RawClient(running.port) as client:
        assert await client.download("sipdefault.cnf") == b"generated"


# -- writes -------------------------------------------------------------------


async def test_writes_are_refused_by_default(start_server: StartServer) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        code, message = error_of(await client.request(wrq("upload.cnf")))
    assert code == 2
    assert "FTP" in message
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].direction == "write"
    assert running.events[-1].outcome is TransferOutcome.ACCESS_VIOLATION


def _tftpy_upload(port: int, name: str, source: Path) -> None:
    logging.getLogger("tftpy").setLevel(logging.WARNING)
    client = tftpy.TftpClient(LOCALHOST, port, {"blksize": 512})
    client.upload(name, str(source), timeout=2)


async def test_allowed_writes_land_atomically(
    start_server: StartServer, tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    running = await start_server(TftpSettings(allow_write_dir=uploads, timeout=0.5))
    payload = random.Random(5).randbytes(5000)
    source = tmp_path / "local.bin"
    source.write_bytes(payload)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(
        None, _tftpy_upload, running.port, "Phone-Log.txt", source
    )
    assert (uploads / "Phone-Log.txt").read_bytes() == payload
    assert sorted(p.name for p in uploads.iterdir()) == ["Phone-Log.txt"]
    await running.wait_for(lambda ev: len(ev) == 2)
    done = running.events[-1]
    assert done.outcome is TransferOutcome.OK
    assert done.direction == "write"
    assert done.bytes_sent == 5000


async def test_write_protocol_details(
    start_server: StartServer, tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    running = await start_server(
        TftpSettings(allow_write_dir=uploads, max_upload_size=600)
    )
    with RawClient(running.port) as client:
        assert error_of(await client.request(wrq("sub/x.txt")))[0] == 2
        assert error_of(await client.request(wrq("../x.txt")))[0] == 2
        assert error_of(await client.request(wrq(".hidden")))[0] == 2
        assert error_of(await client.request(wrq("x.txt", tsize=601)))[0] == 3
        assert error_of(await client.request(wrq("x.txt", blksize=2)))[0] == 8
    with RawClient(running.port) as client:
        reply = await client.request(wrq("a.txt", "netascii"))
        assert reply == ack(0)
        client.send(data(1, b"x" * 512))
        assert (await client.recv())[0] == ack(1)
        client.send(data(1, b"x" * 512))  # our ACK was "lost"
        assert (await client.recv())[0] == ack(1)
        client.send(data(7, b"ignored"))
        client.send(data(2, b"y" * 100))
        assert (await client.recv())[0] == error(3, "Upload too large")
    with RawClient(running.port) as client:
        reply = await client.request(wrq("b.txt", "netascii", tsize=4, blksize=16))
        assert oack_options(reply) == {"blksize": "16", "tsize": "4"}
        client.send(data(1, b"a\r\nb"))
        assert (await client.recv())[0] == ack(1)
    assert (uploads / "b.txt").read_bytes() == b"a\nb"
    with RawClient(running.port) as client:
        await client.request(wrq("c.txt", blksize=16))
        client.send(data(1, b"z" * 17))
        assert error_of((await client.recv())[0])[0] == 4
    with RawClient(running.port) as client:
        await client.request(wrq("d.txt"))
        client.send(ack(1))
        assert error_of((await client.recv())[0])[0] == 4
    assert not (uploads / "a.txt").exists()
    assert sorted(p.name for p in uploads.iterdir()) == ["b.txt"]


async def test_write_failure_is_reported(
    start_server: StartServer, tmp_path: Path
) -> None:
    uploads = tmp_path / "gone"
    running = await start_server(TftpSettings(allow_write_dir=uploads))
    with RawClient(running.port) as client:
        assert await client.request(wrq("a.txt")) == ack(0)
        client.send(data(1, b"short"))
        code, _ = error_of((await client.recv())[0])
    assert code == 3
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].outcome is TransferOutcome.SERVER_ERROR


# -- lifecycle ----------------------------------------------------------------


async def test_bind_errors_carry_errno(start_server: StartServer, root: Path) -> None:
    running = await start_server()
    other = TftpServer(ContentResolver(root), host=LOCALHOST, port=running.port)
    with pytest.raises(OSError) as caught:
        await other.start()
    assert caught.value.errno == errno.EADDRINUSE
    bad = TftpServer(ContentResolver(root), host="not-an-ip", port=0)
    with pytest.raises(OSError) as caught:
        await bad.start()
    assert caught.value.errno == errno.EADDRNOTAVAIL
    with pytest.raises(RuntimeError):
        await running.server.start()


async def test_ipv6_loopback(start_server: StartServer) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        running = await start_server(host="::1")
    except OSError:
        pytest.skip("IPv6 loopback unavailable")
    with RawClient(running.port, host="::1") as client:
        assert await client.download("SIPDefault.cnf") == CONFIG


async def test_receive_buffer_is_sized_for_a_boot_storm(
    start_server: StartServer,
) -> None:
    running = await start_server(TftpSettings(receive_buffer=1024 * 1024))
    assert running.server.stats.receive_buffer >= 1024 * 1024


async def test_stop_ends_everything(start_server: StartServer, root: Path) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        await client.request(rrq("P0S3-08-12-00.sb2"))
        await running.server.stop()
        await running.server.stop()  # idempotent
    assert running.server.stats.active == 0
    failed = running.finished()
    assert [e.outcome for e in failed] == [TransferOutcome.SERVER_ERROR]


async def test_stop_cancels_pending_lookups(root: Path) -> None:
    resolver = ContentResolver(root)
    server = TftpServer(resolver, host=LOCALHOST, port=0)
    await server.start()
    with RawClient(server.port) as client:
        client.send(rrq("SIPDefault.cnf"), client.server)
        for _ in range(100):
            if server.stats.active:
                break
            await asyncio.sleep(0.001)
        await server.stop()
    assert server.stats.active == 0


async def test_event_callback_errors_are_contained(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(event: TransferEvent) -> None:
        raise ValueError("boom")

    server = TftpServer(ContentResolver(root), host=LOCALHOST, port=0, on_event=explode)
    await server.start()
    try:
        with RawClient(server.port) as client:
            assert await client.download("SIPDefault.cnf") == CONFIG
            assert await client.download("SIPDefault.cnf") == CONFIG
    finally:
        await server.stop()
    assert "TFTP event callback failed" in caplog.text


async def test_debug_log_line_per_transfer(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(
        logging.DEBUG, "custom_components.cisco_ip_phone.provisioning.tftp"
    )
    running = await start_server()
    with RawClient(running.port) as client:
        assert await client.download("SIPDefault.cnf") == CONFIG
    await running.wait_for(lambda ev: len(ev) == 2)
    assert (
        f"<SIPDefault.cnf>: sent 1 blks, {len(CONFIG)} bytes in 0 s. 0 blk resent"
        in caplog.text
    )


# -- failures inside the server -------------------------------------------------


async def test_failing_client_hook_is_answered_and_contained(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    running = await start_server()
    calls = {"n": 0}

    def hook(name: str, client_ip: str) -> Generated | None:
        calls["n"] += 1
        if name == "broken.txt" or calls["n"] == 3:
            raise RuntimeError("hook bug")
        return None

    running.resolver.set_client_hook(hook)
    with RawClient(running.port) as client:
        assert error_of(await client.request(rrq("broken.txt"))) == (0, "Server error")
    # the 2nd call (memory-only lookup) passes, the 3rd (after the disk) fails
    running.resolver.invalidate()
    with RawClient(running.port) as client:
        assert error_of(await client.request(rrq("SIPDefault.cnf")))[0] == 0
    with RawClient(running.port) as client:
        assert await client.download("SIPDefault.cnf") == CONFIG
    assert "hook bug" in caplog.text


async def test_transfer_socket_failure_is_answered(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = await start_server()

    def no_socket(self: object) -> socket.socket:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(TransferSockets, "_open", no_socket)
    with RawClient(running.port) as client:
        assert error_of(await client.request(rrq("SIPDefault.cnf"))) == (
            0,
            "Server error",
        )
    await running.wait_for(lambda ev: len(ev) == 2)
    assert "Too many open files" in (running.events[-1].error or "")
    assert running.server.stats.active == 0


async def test_server_without_callback(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = TftpServer(ContentResolver(root), host=LOCALHOST, port=0)
    await server.start()
    try:
        with RawClient(server.port) as client:
            assert error_of(await client.request(rrq("missing")))[0] == 1
            assert await client.download("SIPDefault.cnf") == CONFIG
        caplog.set_level(logging.DEBUG, "custom_components.cisco_ip_phone")
        with RawClient(server.port) as client:
            assert await client.download("SIPDefault.cnf") == CONFIG
        async with asyncio.timeout(5):
            while server.stats.completed < 2:  # the last ACK is still in flight
                await asyncio.sleep(0.001)
    finally:
        await server.stop()
    server._reply(b"late", ("127.0.0.1", 9))  # after stop: dropped quietly
    assert "<SIPDefault.cnf>: sent 1 blks" in caplog.text
    assert server.stats.completed == 2


async def test_ack_other_than_0_before_oack_is_acknowledged(
    start_server: StartServer,
) -> None:
    running = await start_server()
    with RawClient(running.port) as client:
        first = await client.request(rrq("SIPDefault.cnf", blksize=16))
        assert opcode(first) == 6
        client.send(ack(1))  # ignored: the OACK is not acknowledged yet
        client.send(ack(0))
        packet, _ = await client.recv()
        assert block_of(packet) == 1
        client.send(error(0, "bye"))


async def test_stop_during_an_upload_commit(
    start_server: StartServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    release = threading.Event()
    real_write = upload_module._write_atomically

    def slow_write(target: Path, payload: bytes) -> None:
        assert release.wait(5)
        real_write(target, payload)

    monkeypatch.setattr(upload_module, "_write_atomically", slow_write)
    running = await start_server(TftpSettings(allow_write_dir=uploads))
    with RawClient(running.port) as client:
        assert await client.request(wrq("a.txt")) == ack(0)
        client.send(data(1, b"short"))
        async with asyncio.timeout(5):
            while not any(
                isinstance(s, WriteSession) and s.commit_task is not None
                for s in running.server._clients.values()
            ):
                await asyncio.sleep(0.001)
        asyncio.get_running_loop().call_later(0.05, release.set)
        await running.server.stop()
    assert running.server.stats.active == 0
    # stop() let the commit finish: the file is whole and no temp file is left
    assert [p.name for p in uploads.iterdir()] == ["a.txt"]
    assert (uploads / "a.txt").read_bytes() == b"short"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_lock_step_rollover_with_curl(
    start_server: StartServer, root: Path, tmp_path: Path
) -> None:
    content = random.Random(9).randbytes(65536 * 8 + 3)  # 65537 blocks of 8 bytes
    (root / "rollover.bin").write_bytes(content)
    running = await start_server(TftpSettings(timeout=2))
    out = tmp_path / "got.bin"
    url = f"tftp://{LOCALHOST}:{running.port}/rollover.bin"
    result = await _run("curl", "-sS", "--tftp-blksize", "8", "-o", str(out), url)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == content
    await running.wait_for(lambda ev: len(ev) == 2)
    assert running.events[-1].blocks == 65537


@pytest.mark.parametrize(("seconds", "per_turn"), [(60.0, 64), (0.0, 1)])
async def test_a_burst_of_requests_is_read_many_per_loop_turn(
    start_server: StartServer,
    monkeypatch: pytest.MonkeyPatch,
    seconds: float,
    per_turn: int,
) -> None:
    """asyncio reads one datagram per loop turn; a storm must not wait for turns.

    At most ``LISTEN_BATCH`` per turn, for at most ``LISTEN_SECONDS`` (set
    here to "no limit" and to "none left", so the count is exact).
    """
    from custom_components.cisco_ip_phone.provisioning.tftp import server
    from custom_components.cisco_ip_phone.provisioning.tftp.server import (
        LISTEN_BATCH,
    )

    monkeypatch.setattr(server, "LISTEN_SECONDS", seconds)
    assert LISTEN_BATCH == 64
    running = await start_server()
    clients = []
    try:
        for index in range(LISTEN_BATCH + 36):
            client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            client.bind((LOCALHOST, 0))
            clients.append(client)
            client.sendto(rrq(f"missing-{index}.cnf"), (LOCALHOST, running.port))
        for _ in range(2):  # one turn to run the listener, one to come back
            await asyncio.sleep(0)
        assert running.server.stats.requests == per_turn
        await running.wait_for(lambda events: len(events) >= 2 * len(clients))
        assert running.server.stats.requests == len(clients)
        for client in clients:
            client.settimeout(5)
            answer, _ = client.recvfrom(600)
            assert error_of(answer)[0] == 1  # file not found, to every one
    finally:
        for client in clients:
            client.close()


def test_the_listener_stops_reading_at_a_socket_error() -> None:
    """An ICMP error queued on the listening socket ends the batch, reported."""
    from custom_components.cisco_ip_phone.provisioning.tftp.server import _Listener

    handled: list[bytes] = []

    class Server:
        def handle_request(self, packet: bytes, addr: tuple[str, int]) -> None:
            handled.append(packet)

    class RefusingSocket:
        def recvfrom(self, size: int) -> tuple[bytes, tuple[str, int]]:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "refused")

    listener = _Listener(Server(), RefusingSocket())  # type: ignore[arg-type]
    listener.datagram_received(b"first", (LOCALHOST, 5000))
    assert handled == [b"first"]
