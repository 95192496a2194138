"""Issue #11 items 5, 6, 9 and 11: brute force, idle crowds, rename, leaks (FTP).

A real FtpServer on loopback and real ftplib clients; other loopback
addresses (127.0.0.2 ...) stand for other hosts.
"""

from __future__ import annotations

import asyncio
import ftplib
import logging
from pathlib import Path
import time

import pytest

from tests.provisioning.test_ftp_server import (
    PASSWORD,
    USER,
    connect,
    in_thread,
    make_settings,
    running,
    settle,
    upload,
)

FIRMWARE = bytes(range(256)) * 2344  # 600,064 bytes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    served = tmp_path / "root"
    served.mkdir()
    return served


def _open(port: int, source: str = "127.0.0.1") -> ftplib.FTP:
    client = ftplib.FTP(source_address=(source, 0))
    client.connect("127.0.0.1", port, timeout=10)
    return client


def _try_password(client: ftplib.FTP, password: str) -> str:
    """Send USER/PASS on an open connection; return the reply (or how it ended)."""
    try:
        client.sendcmd(f"USER {USER}")
        return client.sendcmd(f"PASS {password}")
    except ftplib.Error as err:
        return str(err)
    except (EOFError, OSError) as err:
        return f"closed: {err!r}"


# -- item 5: the lockout holds on every connection of the address --------------


async def test_lockout_applies_to_connections_opened_before(root: Path) -> None:
    settings = make_settings(
        max_login_attempts=3, lockout_seconds=60, max_connections_per_address=20
    )
    async with running(root, settings) as (server, _events):
        early = [await in_thread(lambda: _open(server.port)) for _ in range(10)]
        attacker = early.pop()
        try:
            replies = [
                await in_thread(lambda g=guess: _try_password(attacker, g))
                for guess in ("guess0", "guess1", "guess2")
            ]
            assert all(r.startswith("530") for r in replies[:2]), replies
            # Every connection opened before the lockout: no password tested,
            # not even the right one.
            for client in early:
                reply = await in_thread(lambda c=client: _try_password(c, PASSWORD))
                assert not reply.startswith("230"), reply
            assert server.stats.logins == 0
            assert server.stats.login_failures <= 3
        finally:
            for client in [*early, attacker]:
                client.close()
        # And a fresh connection is refused while the lockout lasts.
        with pytest.raises(ftplib.error_temp, match="421"):
            await in_thread(lambda: connect(server))


async def test_parallel_guesses_are_counted_at_once(root: Path) -> None:
    settings = make_settings(
        max_login_attempts=3,
        lockout_seconds=60,
        auth_failed_delay=1.0,
        max_connections_per_address=50,
    )
    async with running(root, settings) as (server, _events):
        clients = [await in_thread(lambda: _open(server.port)) for _ in range(40)]
        try:
            for client in clients:
                await in_thread(lambda c=client: c.sendcmd(f"USER {USER}"))
            for client in clients:  # 40 guesses in flight at once
                await in_thread(lambda c=client: c.putcmd("PASS wrong"))
            replies = []
            for client in clients:
                try:
                    replies.append(await in_thread(client.getresp))
                except ftplib.Error as err:
                    replies.append(str(err))
                except (EOFError, OSError) as err:
                    replies.append(f"closed: {err!r}")
        finally:
            for client in clients:
                client.close()
        answered = [r for r in replies if r.startswith("530")]
        assert len(answered) <= 3, replies  # before #11: 85 in 3 s
        await settle(lambda: server.stats.lockouts == 1)


# -- item 6: idle connections cannot starve the real user -----------------------


async def test_idle_crowd_cannot_lock_out_the_user(root: Path) -> None:
    settings = make_settings(
        max_connections=12,
        max_connections_per_address=4,
        login_timeout=3,
        exempt_loopback=False,
    )
    async with running(root, settings) as (server, _events):
        crowd: list[ftplib.FTP] = []
        greetings: list[str] = []

        def hog(source: str) -> str:
            client = ftplib.FTP(source_address=(source, 0))
            try:
                greeting = client.connect("127.0.0.1", server.port, timeout=5)
            except ftplib.Error as err:
                client.close()
                return str(err)
            crowd.append(client)
            return greeting

        try:
            for _ in range(6):
                greetings.append(await in_thread(lambda: hog("127.0.0.2")))
            assert [g[:3] for g in greetings] == ["220"] * 4 + ["421"] * 2
            assert "from your address" in greetings[-1]
            for host in range(3, 10):  # fill the server from other addresses
                for _ in range(4):
                    greetings.append(
                        await in_thread(lambda h=host: hog(f"127.0.0.{h}"))
                    )
            assert any("Too many connections." in g for g in greetings)
            # The crowd never logs in: after the login timeout it is gone and
            # the real user gets in (before #11: 300 s of "421").
            deadline = time.monotonic() + 10
            while True:
                try:
                    user = await in_thread(lambda: connect(server))
                    break
                except ftplib.Error:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.1)
            user.quit()
        finally:
            for client in crowd:
                client.close()


async def test_loopback_is_not_held_to_the_address_cap(root: Path) -> None:
    settings = make_settings(max_connections_per_address=2)
    async with running(root, settings) as (server, _events):
        clients = [await in_thread(lambda: connect(server)) for _ in range(5)]
        for client in clients:
            client.quit()


def test_new_limits_are_validated() -> None:
    from custom_components.cisco_ip_phone.provisioning.ftp.settings import (
        FtpSettingsError,
    )

    for bad in (
        {"max_connections_per_address": 0},
        {"max_connections": 4, "max_connections_per_address": 5},
        {"login_timeout": 0},
    ):
        with pytest.raises(FtpSettingsError):
            make_settings(**bad)
    settings = make_settings(max_connections_per_address=3, login_timeout=7.5)
    again = type(settings).from_dict(settings.as_dict())
    assert again.max_connections_per_address == 3
    assert again.login_timeout == 7.5


# -- item 9: with delete off, rename cannot destroy a file ----------------------


async def test_rename_cannot_replace_with_delete_off(root: Path) -> None:
    async with running(root) as (server, _events):
        await in_thread(lambda: upload(server, "P0S3-8-12-00.sb2", FIRMWARE))
        await in_thread(lambda: upload(server, "typo.txt", b"oops\n"))

        def rename(src: str, dst: str) -> str:
            client = connect(server)
            try:
                return client.rename(src, dst)
            except ftplib.Error as err:
                return str(err)
            finally:
                client.close()

        reply = await in_thread(lambda: rename("typo.txt", "P0S3-8-12-00.sb2"))
        assert reply.startswith("550"), reply
        assert (root / "P0S3-8-12-00.sb2").read_bytes() == FIRMWARE
        assert (root / "typo.txt").read_bytes() == b"oops\n"
        (root / "folder").mkdir()
        reply = await in_thread(lambda: rename("folder", "P0S3-8-12-00.sb2"))
        assert reply.startswith("550"), reply
        # Renaming to a free name still works, for files and folders.
        assert (await in_thread(lambda: rename("typo.txt", "notes.txt")))[:3] == "250"
        assert (await in_thread(lambda: rename("folder", "tones")))[:3] == "250"
        assert (root / "notes.txt").read_bytes() == b"oops\n"
        assert not (root / "typo.txt").exists()
        assert (root / "tones").is_dir()


async def test_rename_may_replace_with_delete_on(root: Path) -> None:
    async with running(root, make_settings(allow_delete=True)) as (server, _events):
        await in_thread(lambda: upload(server, "a.txt", b"new"))
        await in_thread(lambda: upload(server, "b.txt", b"old"))
        client = await in_thread(lambda: connect(server))
        try:
            await in_thread(lambda: client.rename("a.txt", "b.txt"))
        finally:
            client.close()
        assert (root / "b.txt").read_bytes() == b"new"


# -- item 11: nothing typed as a user name is logged; links are not followed ----


async def test_password_typed_as_user_name_is_never_logged(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Hunter2-Secret-Pw"
    settings = make_settings(max_login_attempts=2)
    async with running(root, settings) as (_server, events):

        def attempt() -> None:
            client = _open(_server.port)
            try:
                for _ in range(2):
                    _try_password_as_user(client, secret)
            finally:
                client.close()

        await in_thread(attempt)
        await settle(lambda: len(events) >= 3)
    assert secret not in caplog.text
    assert all(secret != e.user for e in events)
    assert "locked out" in caplog.text


def _try_password_as_user(client: ftplib.FTP, secret: str) -> None:
    try:
        client.sendcmd(f"USER {secret}")
        client.sendcmd("PASS x")
    except (ftplib.Error, EOFError, OSError):
        pass


async def test_listing_does_not_show_where_links_point(root: Path) -> None:
    (root / "real.bin").write_bytes(b"x")
    (root / "inside").symlink_to(root / "real.bin")
    (root / "outside").symlink_to("/etc/passwd")
    async with running(root) as (server, _events):

        def listing() -> list[str]:
            client = connect(server)
            lines: list[str] = []
            try:
                client.retrlines("LIST", lines.append)
            finally:
                client.close()
            return lines

        lines = await in_thread(listing)
    text = "\n".join(lines)
    assert "->" not in text
    assert "/etc" not in text
    assert "inside" in text


async def test_upload_over_a_file_still_replaces_it(root: Path) -> None:
    """Delete off keeps the documented upload path: STOR replaces atomically."""
    async with running(root) as (server, _events):
        await in_thread(lambda: upload(server, "f.bin", b"one"))
        await in_thread(lambda: upload(server, "f.bin", b"two"))
        assert (root / "f.bin").read_bytes() == b"two"
