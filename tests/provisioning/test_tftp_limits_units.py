"""Corners of the abuse limits: admission, net helpers, streaming, resolver."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import hashlib
import os
from pathlib import Path
import socket

import pytest

from custom_components.cisco_ip_phone.provisioning.tftp import (
    net,
    resolver as resolver_module,
)
from custom_components.cisco_ip_phone.provisioning.tftp.admission import (
    Admission,
    Verdict,
)
from custom_components.cisco_ip_phone.provisioning.tftp.events import TransferOutcome
from custom_components.cisco_ip_phone.provisioning.tftp.resolver import (
    ContentResolver,
    TftpAccessError,
    TftpFileNotFoundError,
)
from custom_components.cisco_ip_phone.provisioning.tftp.session import (
    Session,
    TransferInfo,
)
from custom_components.cisco_ip_phone.provisioning.tftp.settings import TftpSettings
from custom_components.cisco_ip_phone.provisioning.tftp.stream import (
    OpenedFile,
    StreamReadSession,
    open_for_streaming,
)

INFO = TransferInfo("f", "f", None, None, 0)


@dataclass
class Entry:
    verified: bool
    unverified_bytes: int


class Owner:
    def __init__(self) -> None:
        self.ended: list[tuple[TransferOutcome, str | None]] = []

    def session_finished(
        self, session: Session, outcome: TransferOutcome, error: str | None
    ) -> None:
        self.ended.append((outcome, error))


def test_admission_drops_a_source_over_its_unacknowledged_budget() -> None:
    settings = TftpSettings(max_unacked_bytes_per_source=1000, exempt_loopback=False)
    admission = Admission(settings, None)
    clients = {("10.0.0.1", 1): Entry(False, 600), ("10.0.0.1", 2): Entry(False, 600)}
    for addr in clients:
        admission.hold(addr)
    assert admission.sources == 1
    assert admission.judge(("10.0.0.1", 3), clients) is Verdict.DROP
    clients[("10.0.0.1", 2)] = Entry(True, 600)  # it acknowledged: counts no more
    assert admission.judge(("10.0.0.1", 3), clients) is Verdict.ADMIT
    admission.release(("10.0.0.9", 1))  # unknown: ignored


def test_admission_exempt_cache_is_bounded() -> None:
    admission = Admission(TftpSettings(), None)
    for n in range(1100):
        admission.judge((f"10.{n // 256}.{n % 256}.1", 1), {})
    assert len(admission._exempt) <= 1024
    admission.clear()
    assert admission.sources == 0


def test_net_helpers() -> None:
    assert net.is_loopback("127.0.0.2")
    assert not net.is_loopback("not an address")
    assert not net.is_loopback("10.0.0.1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert net.size_receive_buffer(sock, 256 * 1024) >= 256 * 1024
        assert net.unreachable_peers(sock) == []


def _session(
    opened: OpenedFile, owner: Owner, windowsize: int = 1
) -> StreamReadSession:
    return StreamReadSession(
        owner, ("127.0.0.1", 9), INFO, opened, blksize=512,
        windowsize=windowsize, oack=b"\x00\x06", timeout=5, retries=1,
    )  # fmt: skip


async def test_stream_closes_the_file_after_a_pending_read(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(400_000))
    opened = open_for_streaming(str(path))
    owner = Owner()
    session = _session(opened, owner)
    assert not session.ensure_loaded(300_000, 300_512)  # a read starts
    assert not session.ensure_loaded(300_000, 300_512)  # one read at a time
    session.finish(TransferOutcome.SERVER_ERROR, "stopped")
    assert not opened.closed  # the read in flight still uses it
    async with asyncio.timeout(5):
        while not opened.closed:
            await asyncio.sleep(0.01)
    assert owner.ended == [(TransferOutcome.SERVER_ERROR, "stopped")]


async def test_stream_read_error_ends_the_transfer(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)  # a folder: pread fails
    opened = OpenedFile(fd, 10_000)
    owner = Owner()
    session = _session(opened, owner)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    session._sock = sock  # sends go nowhere harmful
    assert not session.ensure_loaded(0, 512)
    async with asyncio.timeout(5):
        while not owner.ended:
            await asyncio.sleep(0.01)
    assert owner.ended[0][0] is TransferOutcome.SERVER_ERROR
    assert "read failed" in (owner.ended[0][1] or "")
    assert opened.closed
    sock.close()


def test_close_file_of_a_session_that_never_started(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 10)
    opened = open_for_streaming(str(path))
    session = StreamReadSession.__new__(StreamReadSession)
    session._file = opened
    session.close_file()
    session.close_file()
    assert opened.closed


@dataclass(frozen=True)
class Generated:
    name: str
    content: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


async def test_generated_netascii_copies_are_bounded(tmp_path: Path) -> None:
    resolver = ContentResolver(tmp_path)
    files = {
        f"g{n}.cnf": Generated(f"g{n}.cnf", f"a\nb{n}\n".encode()) for n in range(70)
    }
    resolver.set_generated(files)
    for name in files:
        got = resolver.resolve_nowait(name, "10.0.0.1", netascii=True)
        assert got is not None
    again = resolver.resolve_nowait("g69.cnf", "10.0.0.1", netascii=True)
    assert again is not None
    assert again.content == b"a\r\nb69\r\n"
    assert len(resolver._ascii_generated) == 64


async def test_small_static_netascii_is_converted_inline(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_bytes(b"a\nb\n")
    resolver = ContentResolver(tmp_path, stat_ttl=60)
    got = await resolver.resolve("t.txt", "10.0.0.1", netascii=True)
    assert got.content == b"a\r\nb\r\n"


async def test_file_gone_after_listing(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 1000)
    (tmp_path / "t.txt").write_bytes(b"a\n")
    resolver = ContentResolver(tmp_path, stat_ttl=60, stream_threshold=100)
    opened = await resolver.resolve("big.bin", "10.0.0.1")
    assert opened.opened is not None
    opened.opened.close()
    (tmp_path / "big.bin").unlink()
    (tmp_path / "t.txt").unlink()
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("big.bin", "10.0.0.1")
    resolver = ContentResolver(tmp_path, stat_ttl=60)
    (tmp_path / "t.txt").write_bytes(b"a\n")
    await resolver.resolve("t.txt", "10.0.0.1")
    resolver._cache.clear()
    (tmp_path / "t.txt").unlink()
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("t.txt", "10.0.0.1", netascii=True)


async def test_open_errors_and_cancellation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 1000)
    resolver = ContentResolver(tmp_path, stat_ttl=60, stream_threshold=100)

    def denied(path: str) -> OpenedFile:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(resolver_module, "open_for_streaming", denied)
    with pytest.raises(TftpAccessError, match="Permission denied"):
        await resolver.resolve("big.bin", "10.0.0.1")

    opened: list[OpenedFile] = []

    def slow(path: str) -> OpenedFile:
        import time

        time.sleep(0.3)
        result = open_for_streaming(path)
        opened.append(result)
        return result

    monkeypatch.setattr(resolver_module, "open_for_streaming", slow)
    task = asyncio.create_task(resolver.resolve("big.bin", "10.0.0.1"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        while not (opened and opened[0].closed):
            await asyncio.sleep(0.02)
