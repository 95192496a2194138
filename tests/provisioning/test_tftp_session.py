"""Transfer sessions driven directly: socket failures, timers, write commits."""

from __future__ import annotations

import asyncio
from pathlib import Path
import socket
from typing import Any

import pytest

from custom_components.cisco_ip_phone.provisioning.tftp import server as server_module
from custom_components.cisco_ip_phone.provisioning.tftp.events import TransferOutcome
from custom_components.cisco_ip_phone.provisioning.tftp.session import (
    ReadSession,
    Session,
    TransferInfo,
)
from custom_components.cisco_ip_phone.provisioning.tftp.upload import (
    WriteSession,
    _write_atomically,
)
from tests.support.tftp_packets import LOCALHOST, ack, data, error

INFO = TransferInfo("x", "x", None, None, None)


class Owner:
    def __init__(self) -> None:
        self.ended: list[tuple[Session, TransferOutcome, str | None]] = []

    def session_finished(
        self, session: Session, outcome: TransferOutcome, error: str | None
    ) -> None:
        self.ended.append((session, outcome, error))


class FailingSocket(socket.socket):
    """A real socket whose send/receive fail the way a kernel can make them fail."""

    recv_error: type[OSError] = BlockingIOError
    send_error: type[OSError] | None = None

    def recvfrom(self, *args: Any) -> Any:
        raise self.recv_error

    def sendto(self, *args: Any) -> Any:
        if self.send_error is not None:
            raise self.send_error
        return super().sendto(*args)


def _bound(kind: type[socket.socket] = socket.socket) -> socket.socket:
    sock = kind(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind((LOCALHOST, 0))
    return sock


def _client() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOCALHOST, 0))
    sock.settimeout(5)
    return sock


async def _recv(sock: socket.socket) -> bytes:
    loop = asyncio.get_running_loop()
    sock.setblocking(False)
    packet, _ = await asyncio.wait_for(loop.sock_recvfrom(sock, 2000), 5)
    return packet


@pytest.mark.parametrize("failure", [BlockingIOError, ConnectionRefusedError])
async def test_receive_failures_are_survived(failure: type[OSError]) -> None:
    owner = Owner()
    session = ReadSession(
        owner, ("127.0.0.1", 9), INFO, b"abc", blksize=512, windowsize=1,
        oack=None, timeout=5, retries=1,
    )  # fmt: skip
    sock = _bound(FailingSocket)
    assert isinstance(sock, FailingSocket)
    sock.recv_error = failure
    sock.send_error = failure
    session.attach(sock)  # the first DATA cannot be sent: treated as lost
    session.on_readable()
    assert not session.finished
    session.finish(TransferOutcome.SERVER_ERROR, "test over")
    session.send(b"late")  # after the end: dropped quietly
    assert owner.ended[0][1] is TransferOutcome.SERVER_ERROR
    assert sock.fileno() == -1


async def test_finish_before_attach_and_only_once() -> None:
    owner = Owner()
    session = ReadSession(
        owner, ("127.0.0.1", 9), INFO, b"", blksize=512, windowsize=1,
        oack=None, timeout=5, retries=1,
    )  # fmt: skip
    session.finish(TransferOutcome.SERVER_ERROR, "never started")
    session.finish(TransferOutcome.OK)
    assert len(owner.ended) == 1


async def test_write_commit_waits_and_ignores_late_packets(tmp_path: Path) -> None:
    owner = Owner()
    with _client() as client:
        addr = client.getsockname()
        session = WriteSession(
            owner, addr, INFO, tmp_path / "up.bin", blksize=512, oack=None,
            timeout=5, retries=1, max_size=10_000,
        )  # fmt: skip
        session.attach(_bound())
        assert await _recv(client) == ack(0)
        session.datagram_received(data(1, b"final"), addr)
        session.datagram_received(data(1, b"final"), addr)  # while writing: ignored
        assert session.commit_task is not None
        await session.commit_task
        assert await _recv(client) == ack(1)  # exactly one final ACK, after the write
    assert (tmp_path / "up.bin").read_bytes() == b"final"
    assert owner.ended[0][1] is TransferOutcome.OK


async def test_write_aborted_by_client_during_commit_sends_nothing(
    tmp_path: Path,
) -> None:
    owner = Owner()
    with _client() as client:
        addr = client.getsockname()
        session = WriteSession(
            owner, addr, INFO, tmp_path / "up.bin", blksize=512, oack=None,
            timeout=5, retries=1, max_size=10_000,
        )  # fmt: skip
        session.attach(_bound())
        assert await _recv(client) == ack(0)
        session.datagram_received(data(1, b"final"), addr)
        session.datagram_received(error(0, "changed my mind"), addr)
        assert session.commit_task is not None
        await session.commit_task
    assert owner.ended[0][1] is TransferOutcome.CLIENT_ERROR


async def test_write_resends_its_ack_on_timeout(tmp_path: Path) -> None:
    owner = Owner()
    with _client() as client:
        addr = client.getsockname()
        session = WriteSession(
            owner, addr, INFO, tmp_path / "up.bin", blksize=512, oack=None,
            timeout=0.05, retries=1, max_size=10_000,
        )  # fmt: skip
        session.attach(_bound())
        assert await _recv(client) == ack(0)
        assert await _recv(client) == ack(0)  # resent: our ACK may have been lost
        while not owner.ended:
            await asyncio.sleep(0.01)
    assert owner.ended[0][1] is TransferOutcome.TIMEOUT
    assert session.retransmits == 1


def test_atomic_write_leaves_no_temp_file_on_failure(tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "inner").write_bytes(b"x")
    with pytest.raises(OSError):
        _write_atomically(tmp_path / "target", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


class PickySocket(socket.socket):
    refused: set[int] = set()

    def setsockopt(self, level: int, option: int, value: Any, *rest: Any) -> None:
        if option in self.refused:
            raise PermissionError(1, "not allowed")
        super().setsockopt(level, option, value, *rest)


@pytest.mark.parametrize("refuse_plain", [False, True])
def test_receive_buffer_falls_back_without_privileges(refuse_plain: bool) -> None:
    with PickySocket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        force = getattr(socket, "SO_RCVBUFFORCE", -1)
        sock.refused = {force} | ({socket.SO_RCVBUF} if refuse_plain else set())
        size = server_module.net.size_receive_buffer(sock, 1024 * 1024)
    assert size > 0


def test_listener_socket_errors_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", server_module.__name__)
    server_module._Listener(None, None).error_received(OSError("icmp"))  # type: ignore[arg-type]
    assert "listener socket error" in caplog.text


def test_path_mtu_of_loopback() -> None:
    mtu = server_module.path_mtu(socket.AF_INET, (LOCALHOST, 9))
    assert mtu is not None
    assert mtu >= 1500
    assert server_module.path_mtu(socket.AF_INET6, (LOCALHOST, 9)) is None


async def test_blksize_is_clamped_to_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.cisco_ip_phone.provisioning.tftp import (
        ContentResolver,
        TftpServer,
        TftpSettings,
    )
    from tests.support.tftp_packets import RawClient, oack_options, rrq

    (tmp_path / "f").write_bytes(b"x" * 3000)
    monkeypatch.setattr(server_module, "path_mtu", lambda family, addr: 1400)
    server = TftpServer(
        ContentResolver(tmp_path),
        host=LOCALHOST,
        port=0,
        settings=TftpSettings(max_blksize=65464),
    )
    await server.start()
    try:
        with RawClient(server.port) as client:
            reply = await client.request(rrq("f", blksize=65464))
            assert oack_options(reply) == {"blksize": str(1400 - 32)}
            client.send(error(0, "enough"))
        monkeypatch.setattr(server_module, "path_mtu", lambda family, addr: None)
        with RawClient(server.port) as client:
            reply = await client.request(rrq("f", blksize=65464))
            assert oack_options(reply) == {"blksize": "65464"}
            client.send(error(0, "enough"))
    finally:
        await server.stop()
