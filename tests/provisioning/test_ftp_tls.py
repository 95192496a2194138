"""Explicit FTPS (AUTH TLS): certificate handling, required TLS, real clients."""

from __future__ import annotations

import asyncio
import ftplib
import io
from pathlib import Path
import ssl
import stat

import pytest

from custom_components.cisco_ip_phone.provisioning.ftp.server import (
    FtpBindError,
    FtpEventKind,
    FtpServer,
    TlsMode,
)
from custom_components.cisco_ip_phone.provisioning.ftp.tls import (
    CERT_NAME,
    KEY_NAME,
    ensure_self_signed_cert,
)

from .test_ftp_server import (
    PASSWORD,
    USER,
    in_thread,
    make_settings,
    running,
    settle,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "tftproot"
    folder.mkdir()
    return folder


def tls_client(port: int) -> ftplib.FTP_TLS:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # self-signed, as users will have it
    client = ftplib.FTP_TLS(context=context)
    client.connect("127.0.0.1", port, timeout=10)
    return client


def test_self_signed_certificate_is_made_once(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    cert, key = ensure_self_signed_cert(storage)
    assert (cert.name, key.name) == (CERT_NAME, KEY_NAME)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    first = cert.read_bytes()
    assert ensure_self_signed_cert(storage) == (cert, key)
    assert cert.read_bytes() == first  # reused, not regenerated
    key.write_text("garbage")
    ensure_self_signed_cert(storage)
    assert cert.read_bytes() != first  # unusable files are replaced
    assert not [p for p in storage.iterdir() if p.name.startswith(".")]


async def test_tls_required_refuses_plain_login_and_accepts_ftps(
    root: Path, tmp_path: Path
) -> None:
    settings = make_settings(tls=TlsMode.REQUIRED)
    storage = tmp_path / "storage"
    async with running(root, settings, storage_dir=storage) as (server, events):

        def plain() -> str:
            client = ftplib.FTP()
            client.connect("127.0.0.1", server.port, timeout=10)
            try:
                with pytest.raises(ftplib.error_perm) as err:
                    client.login(USER, PASSWORD)
                return str(err.value)
            finally:
                client.close()

        assert (await in_thread(plain)).startswith("550")

        def secure() -> bytes:
            client = tls_client(server.port)
            client.login(USER, PASSWORD)  # AUTH TLS first, then USER/PASS
            client.prot_p()
            client.storbinary("STOR fw.bin", io.BytesIO(b"secret firmware"))
            chunks: list[bytes] = []
            client.retrbinary("RETR fw.bin", chunks.append)
            client.quit()
            return b"".join(chunks)

        assert await in_thread(secure) == b"secret firmware"

        def clear_data_channel() -> str:
            client = tls_client(server.port)
            client.login(USER, PASSWORD)
            try:  # no PROT P: the data channel would be in the clear
                with pytest.raises(ftplib.error_perm) as err:
                    client.nlst()
                return str(err.value)
            finally:
                client.close()

        assert (await in_thread(clear_data_channel)).startswith("550")
        await settle(lambda: len(events) == 1)
        assert events[0].kind is FtpEventKind.UPLOAD_COMPLETED
    assert (storage / CERT_NAME).exists()
    assert not list(root.rglob("*.pem"))  # never inside the TFTP root


async def test_curl_ftps_upload_with_tls_required(root: Path, tmp_path: Path) -> None:
    source = tmp_path / "ring.raw"
    source.write_bytes(b"ring" * 5000)
    settings = make_settings(tls=TlsMode.REQUIRED)
    async with running(root, settings, storage_dir=tmp_path / "s") as (
        server,
        events,
    ):
        url = f"ftp://127.0.0.1:{server.port}/ring.raw"
        auth = f"{USER}:{PASSWORD}"
        plain = await asyncio.create_subprocess_exec(
            "curl",
            "-sS",
            "-u",
            auth,
            "-T",
            str(source),
            url,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert await plain.wait() != 0  # refused without TLS
        assert not (root / "ring.raw").exists()
        secure = await asyncio.create_subprocess_exec(
            "curl", "-sS", "--ssl-reqd", "-k", "-u", auth, "-T", str(source), url
        )
        assert await secure.wait() == 0
        # curl is done when the data is sent; the file is renamed into place
        # a moment later (the server checks the client did not vanish).
        await settle(lambda: len(events) == 1)
        assert events[0].kind is FtpEventKind.UPLOAD_COMPLETED
    assert (root / "ring.raw").read_bytes() == source.read_bytes()


async def test_tls_optional_allows_both(root: Path, tmp_path: Path) -> None:
    cert, key = ensure_self_signed_cert(tmp_path / "mine")
    settings = make_settings(tls=TlsMode.OPTIONAL, certfile=str(cert), keyfile=str(key))
    async with running(root, settings) as (server, _events):

        def both() -> tuple[str, str]:
            plain = ftplib.FTP()
            plain.connect("127.0.0.1", server.port, timeout=10)
            first = plain.login(USER, PASSWORD)
            plain.quit()
            secure = tls_client(server.port)
            second = secure.login(USER, PASSWORD)
            secure.quit()
            return first, second

        first, second = await in_thread(both)
    assert first.startswith("230")
    assert second.startswith("230")


async def test_tls_without_certificate_or_storage_is_refused(root: Path) -> None:
    server = FtpServer(root, make_settings(tls=TlsMode.REQUIRED))
    with pytest.raises(FtpBindError) as err:
        await server.start()
    assert err.value.reason == "tls"
    assert not server.running


async def test_unusable_certificate_is_refused(root: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    settings = make_settings(tls=TlsMode.OPTIONAL, certfile=str(bad))
    server = FtpServer(root, settings)
    with pytest.raises(FtpBindError) as err:
        await server.start()
    assert err.value.reason == "tls"
    assert "certificate" in str(err.value)


async def test_certificate_that_cannot_be_written_is_refused(
    root: Path, tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    (storage / KEY_NAME).mkdir(parents=True)  # something in the way
    server = FtpServer(root, make_settings(tls=TlsMode.OPTIONAL), storage_dir=storage)
    with pytest.raises(FtpBindError) as err:
        await server.start()
    assert err.value.reason == "tls"
    assert sorted(p.name for p in storage.iterdir()) == [KEY_NAME]


@pytest.mark.parametrize(
    ("shutdown", "tcp_state", "reset"),
    [
        ("received", 7, False),  # close_notify first: a later reset is ours
        ("none", 7, True),  # no close_notify, then a reset: partial
        ("none", 8, False),  # no close_notify, a FIN: the TCP rule decides
        ("broken", 7, True),  # TLS state unreadable: the TCP rule decides
    ],
)
def test_a_tls_upload_ended_by_close_notify_is_never_a_reset(
    shutdown: str, tcp_state: int, reset: bool
) -> None:
    from OpenSSL import SSL

    from custom_components.cisco_ip_phone.provisioning.ftp.tls_handler import (
        AtomicTlsDTPHandler,
    )

    class Connection:
        def get_shutdown(self) -> int:
            if shutdown == "broken":
                raise SSL.Error("no TLS state")
            return SSL.RECEIVED_SHUTDOWN if shutdown == "received" else 0

        def getsockopt(self, *args: object) -> bytes:
            return bytes([tcp_state]) + bytes(103)

    handler = AtomicTlsDTPHandler.__new__(AtomicTlsDTPHandler)
    handler.socket = Connection()
    assert handler._peer_reset() is reset
