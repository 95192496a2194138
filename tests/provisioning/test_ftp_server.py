"""The FTP upload server against real clients (ftplib, curl) on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import errno
import ftplib
import io
import os
from pathlib import Path
import socket
import stat
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from custom_components.cisco_ip_phone.provisioning.ftp import server as ftp_module
from custom_components.cisco_ip_phone.provisioning.ftp.server import (
    THREAD_NAME,
    FtpBindError,
    FtpEvent,
    FtpEventKind,
    FtpServer,
    FtpSettings,
)
from custom_components.cisco_ip_phone.provisioning.ftp.settings import (
    FtpSettingsError,
)
from custom_components.cisco_ip_phone.provisioning.ftp.transfer import (
    AtomicDTPHandler,
)

USER, PASSWORD = "phoneadmin", "s3cret-pw"


def make_settings(**overrides: Any) -> FtpSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "users": {USER: PASSWORD},
        "auth_failed_delay": 0.0,
    }
    values.update(overrides)
    return FtpSettings(**values)


@contextlib.asynccontextmanager
async def running(
    root: Path, settings: FtpSettings | None = None, **kwargs: Any
) -> AsyncIterator[tuple[FtpServer, list[FtpEvent]]]:
    events: list[FtpEvent] = []
    server = FtpServer(
        root, settings or make_settings(), on_event=events.append, **kwargs
    )
    await server.start()
    try:
        yield server, events
    finally:
        await server.stop()
        assert not [t for t in threading.enumerate() if t.name == THREAD_NAME]


def connect(server: FtpServer, *, login: bool = True) -> ftplib.FTP:
    client = ftplib.FTP()
    client.connect("127.0.0.1", server.port, timeout=10)
    if login:
        client.login(USER, PASSWORD)
    return client


async def in_thread(func: Callable[[], Any]) -> Any:
    """Run a blocking client off the event loop (the server's events need it)."""
    return await asyncio.to_thread(func)


async def settle(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds (bounded), yielding to the loop."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


def partials(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".partial-" in p.name]


def upload(server: FtpServer, name: str, data: bytes) -> str:
    client = connect(server)
    try:
        return client.storbinary(f"STOR {name}", io.BytesIO(data))
    finally:
        client.quit()


def download(server: FtpServer, name: str) -> bytes:
    client = connect(server)
    chunks: list[bytes] = []
    try:
        client.retrbinary(f"RETR {name}", chunks.append)
    finally:
        client.quit()
    return b"".join(chunks)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "tftproot"
    folder.mkdir()
    return folder


# --- login -------------------------------------------------------------------


async def test_login_upload_list_download_and_event(root: Path) -> None:
    async with running(root) as (server, events):
        data = os.urandom(300_000)
        reply = await in_thread(lambda: upload(server, "P0S3-08-12-00.sb2", data))
        assert reply.startswith("226")
        assert (root / "P0S3-08-12-00.sb2").read_bytes() == data
        assert await in_thread(lambda: download(server, "P0S3-08-12-00.sb2")) == data

        def listing() -> list[str]:
            client = connect(server)
            try:
                return client.nlst()
            finally:
                client.quit()

        assert await in_thread(listing) == ["P0S3-08-12-00.sb2"]
        await settle(lambda: len(events) == 1)
        event = events[0]
        assert event.kind is FtpEventKind.UPLOAD_COMPLETED
        assert (event.path, event.size, event.user) == (
            "P0S3-08-12-00.sb2",
            len(data),
            USER,
        )
        assert event.client[0] == "127.0.0.1"
        assert server.stats.uploads == 1
        assert server.stats.upload_bytes == len(data)
        assert server.stats.downloads == 1
        assert server.running


async def test_wrong_password_and_unknown_user_are_refused(root: Path) -> None:
    async with running(root, make_settings(max_login_attempts=10)) as (
        server,
        events,
    ):

        def attempt(user: str, password: str) -> str:
            client = connect(server, login=False)
            try:
                with pytest.raises(ftplib.error_perm) as err:
                    client.login(user, password)
                return str(err.value)
            finally:
                client.close()

        assert (await in_thread(lambda: attempt(USER, "wrong"))).startswith("530")
        assert (await in_thread(lambda: attempt("nobody", "x"))).startswith("530")
        await settle(lambda: len(events) == 2)
        assert [e.kind for e in events] == [FtpEventKind.LOGIN_FAILED] * 2
        # An unknown name may be a mistyped password: never reported (#11).
        assert [e.user for e in events] == [USER, None]
        assert server.stats.login_failures == 2


async def test_anonymous_login_is_refused(root: Path) -> None:
    async with running(root) as (server, _events):

        def anonymous() -> str:
            client = connect(server, login=False)
            try:
                with pytest.raises(ftplib.error_perm) as err:
                    client.login()  # ftplib's anonymous login
                return str(err.value)
            finally:
                client.close()

        assert (await in_thread(anonymous)).startswith("530")
        # curl's default is anonymous too.
        result = await asyncio.create_subprocess_exec(
            "curl",
            "-sS",
            f"ftp://127.0.0.1:{server.port}/",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await result.communicate()
        assert result.returncode == 67, err  # CURLE_LOGIN_DENIED


async def test_commands_need_a_login(root: Path) -> None:
    async with running(root) as (server, _events):

        def nlst_without_login() -> str:
            client = connect(server, login=False)
            try:
                with pytest.raises(ftplib.error_perm) as err:
                    client.nlst()
                return str(err.value)
            finally:
                client.close()

        assert (await in_thread(nlst_without_login)).startswith("530")


# --- the jail ----------------------------------------------------------------


async def test_nothing_outside_the_root_is_reachable(
    root: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    (root / "escape.txt").symlink_to(secret)
    (root / "escape-dir").symlink_to(outside_dir)
    (root / "firmware").mkdir()
    (root / "firmware" / "inside.bin").write_bytes(b"ok")
    (root / "alias.bin").symlink_to(root / "firmware" / "inside.bin")

    async with running(root) as (server, _events):

        def probe() -> dict[str, str]:
            client = connect(server)
            client.voidcmd("TYPE I")
            results: dict[str, str] = {}

            def code(call: Callable[[], Any]) -> str:
                try:
                    return str(call())[:3]
                except ftplib.Error as err:
                    return str(err)[:3]

            sink: list[bytes] = []
            results["dotdot"] = code(
                lambda: client.retrbinary("RETR ../secret.txt", sink.append)
            )
            results["deep"] = code(
                lambda: client.retrbinary("RETR ../../../../etc/passwd", sink.append)
            )
            results["absolute"] = code(
                lambda: client.retrbinary(f"RETR {secret}", sink.append)
            )
            results["symlink"] = code(
                lambda: client.retrbinary("RETR escape.txt", sink.append)
            )
            results["symlink_dir"] = code(lambda: client.cwd("escape-dir"))
            results["store_via_link"] = code(
                lambda: client.storbinary(
                    "STOR escape-dir/planted.bin", io.BytesIO(b"x")
                )
            )
            results["cwd_up"] = code(lambda: client.cwd("../../.."))
            results["pwd"] = client.pwd()
            results["inside_link"] = code(
                lambda: client.retrbinary("RETR alias.bin", sink.append)
            )
            results["nul"] = code(lambda: client.sendcmd("SIZE bad\x00name"))
            client.quit()
            results["data"] = b"".join(sink).decode()
            return results

        results = await in_thread(probe)
    assert results["dotdot"] == "550"
    assert results["deep"] == "550"
    assert results["absolute"] == "550"
    assert results["symlink"] == "550"
    assert results["symlink_dir"] == "550"
    assert results["store_via_link"] == "550"
    assert results["cwd_up"] == "250"
    assert results["pwd"] == "/"
    assert results["inside_link"] == "226"
    assert results["nul"] in ("501", "550")
    assert results["data"] == "ok"  # only the link that stays inside
    assert not (outside_dir / "planted.bin").exists()
    assert secret.read_text() == "outside"


# --- permissions -------------------------------------------------------------


async def test_permissions_and_modes(root: Path) -> None:
    (root / "old.cnf").write_text("old")
    old_umask = os.umask(0o077)  # the server must not inherit a strict umask
    try:
        async with running(root) as (server, _events):

            def session() -> dict[str, str]:
                client = connect(server)
                out: dict[str, str] = {}

                def code(call: Callable[[], Any]) -> str:
                    try:
                        return str(call())[:3]
                    except ftplib.Error as err:
                        return str(err)[:3]

                out["mkd"] = code(lambda: client.sendcmd("MKD ringtones"))
                out["stor"] = code(
                    lambda: client.storbinary(
                        "STOR ringtones/ring1.raw", io.BytesIO(b"r" * 10)
                    )
                )
                out["rename"] = code(
                    lambda: client.rename("ringtones/ring1.raw", "ringtones/a.raw")
                )
                out["dele"] = code(lambda: client.delete("old.cnf"))
                out["rmd"] = code(lambda: client.rmd("ringtones"))
                out["appe"] = code(
                    lambda: client.storbinary("APPE old.cnf", io.BytesIO(b"x"))
                )
                out["stou"] = code(lambda: client.sendcmd("STOU"))
                out["chmod"] = code(lambda: client.sendcmd("SITE CHMOD 777 old.cnf"))
                client.voidcmd("TYPE I")
                out["rest"] = code(
                    lambda: client.storbinary("STOR old.cnf", io.BytesIO(b"y"), rest=1)
                )
                out["stor_dir"] = code(
                    lambda: client.storbinary("STOR ringtones", io.BytesIO(b"z"))
                )
                out["port"] = code(lambda: client.sendcmd("PORT 127,0,0,1,200,10"))
                out["eprt"] = code(lambda: client.sendcmd("EPRT |1|127.0.0.1|5000|"))
                client.quit()
                return out

            out = await in_thread(session)
    finally:
        os.umask(old_umask)
    assert out["mkd"] == "257"
    assert out["stor"] == "226"
    assert out["rename"] == "250"
    assert out["dele"] == "550"  # delete is off by default
    assert out["rmd"] == "550"
    assert out["appe"] == "550"
    assert out["stou"] == "502"
    assert out["chmod"] == "550"
    assert out["rest"] == "550"
    assert out["stor_dir"] == "550"
    assert out["port"] == "502"  # active mode is off by default
    assert out["eprt"] == "502"
    assert (root / "old.cnf").read_text() == "old"
    assert stat.S_IMODE((root / "ringtones").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "ringtones" / "a.raw").stat().st_mode) == 0o644


async def test_delete_is_an_option(root: Path) -> None:
    (root / "old.cnf").write_text("old")
    (root / "empty").mkdir()
    async with running(root, make_settings(allow_delete=True)) as (server, _e):

        def session() -> tuple[str, str]:
            client = connect(server)
            try:
                return client.delete("old.cnf"), client.rmd("empty")
            finally:
                client.quit()

        dele, rmd = await in_thread(session)
    assert dele.startswith("250")
    assert rmd.startswith("250")
    assert not (root / "old.cnf").exists()
    assert not (root / "empty").exists()


async def test_active_mode_when_enabled(root: Path) -> None:
    (root / "f.bin").write_bytes(b"active")
    async with running(root, make_settings(allow_active=True)) as (server, _e):

        def active_download() -> bytes:
            client = connect(server)
            client.set_pasv(False)
            chunks: list[bytes] = []
            try:
                client.retrbinary("RETR f.bin", chunks.append)
            finally:
                client.quit()
            return b"".join(chunks)

        assert await in_thread(active_download) == b"active"


async def test_passive_range_and_masquerade_address(root: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        low = probe.getsockname()[1]
    settings = make_settings(passive_ports=(low, low), masquerade_address="192.0.2.7")
    async with running(root, settings) as (server, _e):

        def pasv() -> str:
            client = connect(server)
            try:
                return client.sendcmd("PASV")
            finally:
                client.close()

        reply = await in_thread(pasv)
    numbers = reply[reply.index("(") + 1 : reply.index(")")].split(",")
    assert ".".join(numbers[:4]) == "192.0.2.7"
    assert int(numbers[4]) * 256 + int(numbers[5]) == low


# --- atomic uploads ------------------------------------------------------------

_SLOW_UPLOADER = """
import ftplib, socket, struct, sys, time
client = ftplib.FTP()
client.connect("127.0.0.1", int(sys.argv[1]), timeout=30)
client.login(sys.argv[2], sys.argv[3])
client.voidcmd("TYPE I")
conn = client.transfercmd("STOR firmware.bin")
if sys.argv[4] == "reset":  # abortive close: the kernel sends RST, not FIN
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.sendall(b"N" * 200_000)
print("sent", flush=True)
time.sleep(60)
"""


async def tftp_get(port: int, name: str, dest: Path) -> bytes | None:
    """Fetch with tftp-hpa (a real, independent TFTP client)."""
    dest.unlink(missing_ok=True)
    proc = await asyncio.create_subprocess_exec(
        "tftp",
        "-m",
        "binary",
        "127.0.0.1",
        str(port),
        "-c",
        "get",
        name,
        str(dest),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 20)
    if b"Error" in output or not dest.exists():
        return None
    return dest.read_bytes()


@pytest.fixture
def patient_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give a killed client's exit time to close both sockets.

    A kill -9 closes the data connection (FIN) and the control connection
    within microseconds, in either order; under a loaded test machine the
    exiting child can stall between the two for longer than the default
    grace, which would make these tests flaky rather than wrong.
    """
    monkeypatch.setattr(AtomicDTPHandler, "commit_grace", 0.3)


async def kill_mid_upload(
    server: FtpServer,
    root: Path,
    during: Callable[[], Any] | None = None,
    *,
    close: str = "fin",
) -> None:
    """Start an upload in a child process, check ``during``, kill -9 it."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SLOW_UPLOADER,
        str(server.port),
        USER,
        PASSWORD,
        close,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 20)
        assert line.strip() == b"sent"
        await settle(lambda: bool(partials(root)))
        if during is not None:
            await during()
    finally:
        child.kill()
        await child.wait()
    await settle(lambda: not partials(root))
    await settle(lambda: server.stats.failed_uploads == 1)


@pytest.mark.usefixtures("patient_commit")
async def test_killed_upload_leaves_only_complete_files(root: Path) -> None:
    old = b"OLD-FIRMWARE" * 1000
    (root / "firmware.bin").write_bytes(old)
    async with running(root) as (server, events):

        async def during() -> None:
            # What the TFTP resolver lists: the old file under its final name;
            # the partial data only under a hidden name FTP clients cannot see.
            assert (root / "firmware.bin").read_bytes() == old
            hidden = partials(root)
            assert len(hidden) == 1
            assert hidden[0].startswith(".firmware.bin.partial-")

        await kill_mid_upload(server, root, during)
        assert sorted(p.name for p in root.iterdir()) == ["firmware.bin"]
        assert (root / "firmware.bin").read_bytes() == old
        assert not [e for e in events if e.kind is FtpEventKind.UPLOAD_COMPLETED]


async def test_killed_upload_with_reset_is_discarded_at_once(root: Path) -> None:
    old = b"OLD" * 1000
    (root / "firmware.bin").write_bytes(old)
    async with running(root) as (server, events):
        await kill_mid_upload(server, root, close="reset")
        assert (root / "firmware.bin").read_bytes() == old
        assert not events


@pytest.mark.usefixtures("patient_commit")
async def test_tftp_serves_the_old_file_during_and_after_a_killed_upload(
    root: Path, tmp_path: Path
) -> None:
    tftp_module = pytest.importorskip(
        "custom_components.cisco_ip_phone.provisioning.tftp"
    )
    old = b"OLD-FIRMWARE" * 1000
    (root / "firmware.bin").write_bytes(old)
    resolver = tftp_module.ContentResolver(root)
    tftp = tftp_module.TftpServer(resolver, host="127.0.0.1", port=0)
    await tftp.start()
    try:
        async with running(root) as (server, _events):

            async def during() -> None:
                got = await tftp_get(tftp.port, "firmware.bin", tmp_path / "a")
                assert got == old

            await kill_mid_upload(server, root, during)
            resolver.invalidate()
            assert await tftp_get(tftp.port, "firmware.bin", tmp_path / "b") == old

            new = b"NEW-FIRMWARE" * 1000
            await in_thread(lambda: upload(server, "firmware.bin", new))
            resolver.invalidate()  # what the hub does on upload_completed
            assert await tftp_get(tftp.port, "firmware.bin", tmp_path / "c") == new
    finally:
        await tftp.stop()


async def test_aborted_upload_leaves_nothing(root: Path) -> None:
    async with running(root) as (server, events):

        def abort_midway() -> str:
            client = connect(server)
            client.voidcmd("TYPE I")
            conn = client.transfercmd("STOR new.bin")
            conn.sendall(b"x" * 100_000)
            # Give the server the data before aborting.
            deadline = time.monotonic() + 5
            while not partials(root) and time.monotonic() < deadline:
                time.sleep(0.01)
            reply = client.abort()
            conn.close()
            with contextlib.suppress(ftplib.Error):
                client.voidresp()
            client.quit()
            return reply

        reply = await in_thread(abort_midway)
        assert reply[:3] in ("225", "226", "426")
        await settle(lambda: not partials(root))
        assert not (root / "new.bin").exists()
        assert not events


async def test_unused_upload_slot_is_cleaned_when_session_ends(root: Path) -> None:
    async with running(root) as (server, _events):

        def stor_without_data() -> None:
            client = connect(server)
            client.voidcmd("TYPE I")
            client.sendcmd("PASV")
            reply = client.sendcmd("STOR never.bin")
            assert reply.startswith("150")
            client.close()  # never opens the data connection

        await in_thread(stor_without_data)
        await settle(lambda: not partials(root))
        await settle(lambda: server.stats.failed_uploads == 1)
        assert not (root / "never.bin").exists()


async def test_partial_names_are_invisible_and_reserved(root: Path) -> None:
    (root / ".fw.bin.partial-abc123").write_bytes(b"half")
    async with running(root) as (server, _events):

        def session() -> dict[str, Any]:
            client = connect(server)
            out: dict[str, Any] = {"nlst": client.nlst()}

            def code(call: Callable[[], Any]) -> str:
                try:
                    return str(call())[:3]
                except ftplib.Error as err:
                    return str(err)[:3]

            sink: list[bytes] = []
            client.voidcmd("TYPE I")
            name = ".fw.bin.partial-abc123"
            out["retr"] = code(lambda: client.retrbinary(f"RETR {name}", sink.append))
            out["size"] = code(lambda: client.size(name))
            out["stor"] = code(
                lambda: client.storbinary(f"STOR {name}", io.BytesIO(b"x"))
            )
            out["rnfr"] = code(lambda: client.sendcmd(f"RNFR {name}"))
            client.storbinary("STOR ok.bin", io.BytesIO(b"ok"))
            out["rnto"] = code(lambda: client.rename("ok.bin", ".x.partial-1"))
            out["mkd"] = code(lambda: client.sendcmd("MKD .d.partial-1"))
            out["cwd"] = code(lambda: client.cwd(name))
            out["mlsd"] = [entry for entry, _facts in client.mlsd()]
            client.quit()
            return out

        out = await in_thread(session)
    assert out["nlst"] == []
    assert out["retr"] == "550"
    assert out["size"] == "550"
    assert out["stor"] == "550"
    assert out["rnfr"] == "550"
    assert out["rnto"] == "550"
    assert out["mkd"] == "550"
    assert out["cwd"] == "550"
    assert out["mlsd"] == ["ok.bin"]


async def test_target_replaced_by_folder_mid_upload_gives_an_error(
    root: Path,
) -> None:
    async with running(root) as (server, events):

        def race() -> str:
            client = connect(server)
            client.voidcmd("TYPE I")
            conn = client.transfercmd("STOR target")
            conn.sendall(b"x" * 1000)
            (root / "target").mkdir()
            (root / "target" / "keep").write_text("keep")
            conn.close()
            try:
                return client.voidresp()
            except ftplib.Error as err:
                return str(err)
            finally:
                client.quit()

        reply = await in_thread(race)
        assert reply.startswith("451")
        assert (root / "target" / "keep").read_text() == "keep"
        await settle(lambda: not partials(root))
        assert not events


@pytest.fixture
def small_fs(tmp_path: Path) -> Any:
    """A 1 MiB tmpfs (root only), unmounted again whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        result = subprocess.run(["umount", str(mount)], check=False)
        if result.returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_disk_full_and_read_only_keep_the_old_file(small_fs: Path) -> None:
    old = b"old" * 1000
    (small_fs / "fw.bin").write_bytes(old)
    async with running(small_fs) as (server, events):

        def store(data: bytes) -> str:
            client = connect(server)
            client.voidcmd("TYPE I")
            try:
                conn = client.transfercmd("STOR fw.bin")
            except ftplib.Error as err:
                client.quit()
                return str(err)
            # The server may reset the data connection when the disk fills.
            with contextlib.suppress(OSError):
                conn.sendall(data)
            conn.close()
            try:
                return client.voidresp()
            except ftplib.Error as err:
                return str(err)
            finally:
                with contextlib.suppress(ftplib.Error, OSError):
                    client.quit()

        reply = await in_thread(lambda: store(b"x" * (3 * 1024 * 1024)))
        assert reply[:1] in ("4", "5"), reply
        assert "No space left" in reply
        await settle(lambda: not partials(small_fs))
        assert (small_fs / "fw.bin").read_bytes() == old

        subprocess.run(
            ["mount", "-o", "remount,ro", str(small_fs)], check=True, timeout=10
        )
        reply = await in_thread(lambda: store(b"small"))
        assert reply.startswith("550"), reply
        assert (small_fs / "fw.bin").read_bytes() == old
        assert not events


# --- brute force -------------------------------------------------------------


async def test_repeated_failures_lock_the_address_out(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(max_login_attempts=3, lockout_seconds=1.0)
    async with running(root, settings) as (server, events):

        def fail_once() -> str:
            client = connect(server, login=False)
            try:
                client.login(USER, "guess")
            except ftplib.Error as err:
                reply = str(err)
            else:  # pragma: no cover - would be a bug
                reply = "logged in"
            with contextlib.suppress(OSError, EOFError, ftplib.Error):
                client.quit()
            client.close()
            return reply

        def refused() -> str:
            try:
                client = connect(server, login=False)
            except ftplib.error_temp as err:
                return str(err)
            client.close()
            return "connected"

        replies = [await in_thread(fail_once) for _ in range(3)]
        assert all(reply.startswith("530") for reply in replies)
        await settle(lambda: server.stats.lockouts == 1)
        await settle(lambda: FtpEventKind.LOCKOUT in [e.kind for e in events])
        assert (await in_thread(refused)).startswith("421")
        assert server.stats.refused_connections >= 1
        lockouts = [e for e in events if e.kind is FtpEventKind.LOCKOUT]
        assert len(lockouts) == 1
        assert lockouts[0].lockout_seconds == pytest.approx(1.0)
        assert "locked out" in caplog.text
        assert "guess" not in caplog.text  # never the password

        # After the lockout the right password works; a new round doubles it.
        await settle(
            lambda: server._context is not None
            and server._context.guard.refused_for("127.0.0.1") == 0
        )
        for _ in range(3):
            await in_thread(fail_once)
        await settle(lambda: server.stats.lockouts == 2)
        await settle(
            lambda: len([e for e in events if e.kind is FtpEventKind.LOCKOUT]) == 2
        )
        second = [e for e in events if e.kind is FtpEventKind.LOCKOUT][1]
        assert second.lockout_seconds == pytest.approx(2.0)


async def test_lockout_across_one_session(root: Path) -> None:
    settings = make_settings(max_login_attempts=2, lockout_seconds=30)
    async with running(root, settings) as (server, events):

        def two_failures_one_session() -> list[str]:
            client = connect(server, login=False)
            replies = []
            for _ in range(2):
                try:
                    client.login(USER, "nope")
                except ftplib.Error as err:
                    replies.append(str(err))
            with contextlib.suppress(OSError, EOFError, ftplib.Error):
                replies.append(client.sendcmd("NOOP"))
            client.close()
            return replies

        replies = await in_thread(two_failures_one_session)
        assert replies[0].startswith("530")
        assert replies[1].startswith("530")
        await settle(lambda: server.stats.lockouts == 1)
        # The event crosses from the FTP thread to the loop after the count.
        await settle(lambda: FtpEventKind.LOCKOUT in [e.kind for e in events])
        assert [e.kind for e in events].count(FtpEventKind.LOCKOUT) == 1


async def test_login_success_clears_failures(root: Path) -> None:
    settings = make_settings(max_login_attempts=2, lockout_seconds=30)
    async with running(root, settings) as (server, _events):

        def fail_then_succeed() -> None:
            client = connect(server, login=False)
            with pytest.raises(ftplib.error_perm):
                client.login(USER, "nope")
            client.login(USER, PASSWORD)
            client.quit()

        await in_thread(fail_then_succeed)
        await in_thread(fail_then_succeed)
        assert server.stats.lockouts == 0
        assert server.stats.logins == 2


# --- lifecycle -----------------------------------------------------------------


async def test_stop_closes_open_sessions_and_joins(root: Path) -> None:
    (root / "fw.bin").write_bytes(b"old")
    server = FtpServer(root, make_settings())
    await server.start()
    assert [t for t in threading.enumerate() if t.name == THREAD_NAME]

    idle = await in_thread(lambda: connect(server))
    busy = await in_thread(lambda: connect(server))

    def start_upload() -> socket.socket:
        busy.voidcmd("TYPE I")
        conn = busy.transfercmd("STOR fw.bin")
        conn.sendall(b"partial" * 1000)
        return conn

    data_conn = await in_thread(start_upload)
    await settle(lambda: bool(partials(root)))
    await server.stop()
    assert not [t for t in threading.enumerate() if t.name == THREAD_NAME]
    assert not server.running
    with pytest.raises(RuntimeError):
        _ = server.port

    def closed(client: ftplib.FTP) -> bool:
        try:
            client.sendcmd("NOOP")
        except (OSError, EOFError, ftplib.Error):
            return True
        return False

    assert await in_thread(lambda: closed(idle))
    data_conn.close()
    idle.close()
    busy.close()
    assert not partials(root)
    assert (root / "fw.bin").read_bytes() == b"old"
    await server.stop()  # stopping twice is harmless


async def test_start_twice_is_refused_and_restart_works(root: Path) -> None:
    server = FtpServer(root, make_settings())
    await server.start()
    try:
        with pytest.raises(RuntimeError):
            await server.start()
    finally:
        await server.stop()
    await server.start()
    await server.stop()


async def test_events_without_listener_and_failing_listener(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = FtpServer(root, make_settings())
    await quiet.start()
    try:
        await in_thread(lambda: upload(quiet, "a.bin", b"a"))
        assert quiet.stats.uploads == 1
    finally:
        await quiet.stop()

    def broken(_event: FtpEvent) -> None:
        raise ValueError("listener bug")

    loud = FtpServer(root, make_settings(), on_event=broken)
    await loud.start()
    try:
        await in_thread(lambda: upload(loud, "b.bin", b"b"))
        await settle(lambda: "listener failed" in caplog.text)
    finally:
        await loud.stop()
    assert (root / "b.bin").read_bytes() == b"b"


async def test_root_must_be_a_folder(tmp_path: Path) -> None:
    server = FtpServer(tmp_path / "missing", make_settings())
    with pytest.raises(FtpSettingsError):
        await server.start()
    assert not server.running


async def test_port_in_use_is_a_precise_error(root: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = FtpServer(root, make_settings(port=port))
        with pytest.raises(FtpBindError) as err:
            await server.start()
    assert err.value.reason == "in_use"
    assert err.value.port == port
    assert str(port) in str(err.value)
    assert not server.running


async def test_privileged_port_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root may bind port 21, so the refusal a normal user gets is simulated.
    real_socket = socket.socket

    class NoPrivilegedPorts(real_socket):
        def bind(self, address: Any) -> None:
            if address[1] < 1024:
                raise PermissionError(errno.EACCES, "Permission denied")
            super().bind(address)

    monkeypatch.setattr(ftp_module.socket, "socket", NoPrivilegedPorts)
    server = FtpServer(root, make_settings(port=21))
    with pytest.raises(FtpBindError) as err:
        await server.start()
    assert err.value.reason == "permission"
    assert "1024" in str(err.value)


@pytest.mark.parametrize("host", ["192.0.2.1", "no-such-host.invalid"])
async def test_unusable_address_error(root: Path, host: str) -> None:
    server = FtpServer(root, make_settings(host=host))
    with pytest.raises(FtpBindError) as err:
        await server.start()
    assert err.value.reason == "address"


async def test_curl_upload_and_download(root: Path, tmp_path: Path) -> None:
    source = tmp_path / "ring.raw"
    source.write_bytes(os.urandom(50_000))
    async with running(root) as (server, events):
        base = f"ftp://127.0.0.1:{server.port}/"
        auth = f"{USER}:{PASSWORD}"
        put = await asyncio.create_subprocess_exec(
            "curl", "-sS", "-u", auth, "-T", str(source), base + "ring.raw"
        )
        assert await put.wait() == 0
        # The file is renamed into place a moment after curl's exit.
        await settle(lambda: len(events) == 1)
        get = await asyncio.create_subprocess_exec(
            "curl",
            "-sS",
            "-u",
            auth,
            base + "ring.raw",
            stdout=asyncio.subprocess.PIPE,
        )
        body, _ = await get.communicate()
        assert body == source.read_bytes()
    assert (root / "ring.raw").read_bytes() == source.read_bytes()


# --- robustness ----------------------------------------------------------------


async def test_special_files_and_stray_commands(root: Path) -> None:
    os.mkfifo(root / "pipe")  # would block a plain open() forever
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        async with running(root, make_settings(allow_active=True)) as (server, _e):

            def session() -> dict[str, str]:
                client = connect(server)
                client.voidcmd("TYPE I")
                out: dict[str, str] = {}
                try:
                    client.retrbinary("RETR pipe", lambda _b: None)
                except ftplib.Error as err:
                    out["fifo"] = str(err)
                out["abor"] = client.sendcmd("ABOR")
                out["eprt"] = client.sendcmd(f"EPRT |1|127.0.0.1|{port}|")
                client.quit()
                return out

            out = await in_thread(session)
    assert out["fifo"].startswith("550")
    assert out["abor"].startswith("225")
    assert out["eprt"].startswith("200")


async def test_a_failing_poll_does_not_stop_the_server(
    root: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failures = {"left": 1}

    class FlakyLoop(ftp_module.IOLoop):  # type: ignore[name-defined,misc]
        def poll(self, timeout: float | None) -> None:
            if failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("simulated pyftpdlib bug")
            super().poll(timeout)

    monkeypatch.setattr(ftp_module, "IOLoop", FlakyLoop)
    async with running(root) as (server, _events):
        await in_thread(lambda: upload(server, "ok.bin", b"still works"))
    assert "unexpected error in the FTP server loop" in caplog.text
    assert (root / "ok.bin").read_bytes() == b"still works"


async def test_server_construction_failure_releases_the_port(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("simulated")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(ftp_module, "FTPServer", broken)
    with pytest.raises(RuntimeError):
        await FtpServer(root, make_settings(port=port)).start()
    with socket.socket() as again:  # the listening socket was closed
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


async def test_unexpected_write_failure_is_an_internal_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.cisco_ip_phone.provisioning.ftp import fs as ftp_fs

    def buggy_write(self: Any, data: bytes) -> int:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(ftp_fs.PartialUpload, "write", buggy_write)
    async with running(root) as (server, events):

        def store() -> str:
            try:
                return upload(server, "x.bin", b"data")
            except ftplib.Error as err:
                return str(err)

        reply = await in_thread(store)
        assert reply.startswith("426")
        await settle(lambda: not partials(root))
        assert not (root / "x.bin").exists()
        assert not events


def test_hung_up_check_on_a_closed_socket() -> None:
    from types import SimpleNamespace

    from custom_components.cisco_ip_phone.provisioning.ftp.transfer import (
        _client_hung_up,
    )

    closed = socket.socket()
    closed.close()
    assert _client_hung_up(SimpleNamespace(_closed=False, socket=closed))
    assert not AtomicDTPHandler._peer_reset(SimpleNamespace(socket=closed))
    assert _client_hung_up(SimpleNamespace(_closed=True, socket=None))
    left, right = socket.socketpair()
    with left, right:
        assert not _client_hung_up(SimpleNamespace(_closed=False, socket=left))
        right.close()
        assert _client_hung_up(SimpleNamespace(_closed=False, socket=left))
