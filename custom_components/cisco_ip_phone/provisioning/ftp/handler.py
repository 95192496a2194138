"""pyftpdlib handlers: accounts, lockout, atomic uploads and events.

Everything here runs in the FTP thread. The only ways out of it are the
thread-safe ``SessionContext.emit`` (events for the event loop) and the
locked counters, so no handler ever touches the asyncio loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import errno
import hmac
import ipaddress
import logging
import math
import os
import time
from typing import Any

from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer
from pyftpdlib.handlers import FTPHandler

from .events import FtpEvent, FtpEventKind, StatsCounter
from .fs import JailedFS, PartialUpload, is_partial_name
from .lockout import LoginGuard
from .settings import FtpSettings, TlsMode
from .transfer import AtomicDTPHandler

_LOGGER = logging.getLogger(__name__)

BANNER = "Cisco IP Phone provisioning FTP server ready."
# list, read, upload, make folders, rename; "d" (delete) is an option.
BASE_PERMISSIONS = "elrwmf"


@dataclass(slots=True)
class SessionContext:
    """What every session of one server shares (FTP thread only)."""

    root: str
    guard: LoginGuard
    stats: StatsCounter
    emit: Callable[[FtpEvent], None]
    sessions: set[Any] = field(default_factory=set)

    def relative(self, path: str) -> str:
        """Return ``path`` relative to the root, with ``/`` separators."""
        return os.path.relpath(path, self.root).replace(os.sep, "/")


class AccountAuthorizer(DummyAuthorizer):  # type: ignore[misc]
    """The configured accounts, all jailed in the root; no anonymous login."""

    def __init__(self, users: dict[str, str], root: str, perm: str) -> None:
        super().__init__()
        self._passwords = {name: password.encode() for name, password in users.items()}
        for name in users:
            self.add_user(name, "", root, perm=perm)

    def validate_authentication(
        self, username: str, password: str, handler: Any
    ) -> None:
        """Compare in constant time; unknown users cost the same as known."""
        expected = self._passwords.get(username)
        given = password.encode("utf-8", "surrogateescape")
        match = hmac.compare_digest(given, expected or b"\x00" * 16)
        if expected is None or not match:
            raise AuthenticationFailed("Authentication failed.")


class SessionMixin:
    """Behaviour shared by the plain and the TLS control channel."""

    context: SessionContext
    allow_active = False

    # Attributes provided by FTPHandler (declared for the type checker).
    remote_ip: str
    remote_port: int
    username: str
    authenticated: bool
    authorizer: Any
    ioloop: Any
    login_timeout: float
    max_connections_per_address: int
    exempt_loopback: bool
    handle_error: Callable[[], None]
    # pyftpdlib's prefix carries the user name, which may be a mistyped
    # password: the address is enough to tell sessions apart.
    log_prefix = "%(remote_ip)s:%(remote_port)s"
    fs: Any
    _restart_position: int
    _closed: bool
    _closing: bool
    _uploads: set[PartialUpload]

    respond: Callable[..., None]
    close_when_done: Callable[[], None]

    def handle(self) -> None:
        context = self.context
        context.stats.add(connections=1)
        context.sessions.add(self)
        self._uploads = set()
        self._lockout_started: float | None = None
        self._login_timer: Any = None
        if self._refuse_if_locked() or self._refuse_if_crowded():
            return
        super().handle()  # type: ignore[misc]
        if not self._closed and not self._closing:
            # Idle until login is short: a crowd of connections that never
            # log in cannot hold the slots for the whole idle timeout.
            self._login_timer = self.ioloop.call_later(
                self.login_timeout, self._login_expired, _errback=self.handle_error
            )

    def _refuse_if_locked(self) -> bool:
        remaining = self.context.guard.refused_for(self.remote_ip)
        if remaining <= 0:
            return False
        self.context.stats.add(refused_connections=1)
        self.respond(
            "421 Too many failed logins from your address; "
            f"try again in {math.ceil(remaining)} s."
        )
        self.close_when_done()
        return True

    def _refuse_if_crowded(self) -> bool:
        """One address may hold ``max_connections_per_address`` connections.

        Loopback is exempt: it can only be this host (local tools, the
        benchmark), and the lockout still applies to it.
        """
        ip = self.remote_ip
        if self.exempt_loopback and ipaddress.ip_address(ip).is_loopback:
            return False
        held = sum(1 for s in self.context.sessions if s.remote_ip == ip)
        if held <= self.max_connections_per_address:
            return False
        self.context.stats.add(refused_connections=1)
        self.respond("421 Too many connections from your address.")
        self.close_when_done()
        return True

    def _login_expired(self) -> None:
        self._login_timer = None
        if not self.authenticated and not self._closed and not self._closing:
            self.respond("421 Login timed out.")
            self.close_when_done()

    def close(self) -> None:
        timer = getattr(self, "_login_timer", None)
        if timer is not None and not timer.cancelled:
            timer.cancel()
        super().close()  # type: ignore[misc]
        self.context.sessions.discard(self)
        for upload in getattr(self, "_uploads", ()):
            if upload.discard():
                self.context.stats.add(failed_uploads=1)
        self._uploads = set()

    def _client(self) -> tuple[str, int]:
        return (str(self.remote_ip), int(self.remote_port or 0))

    def on_login(self, username: str) -> None:
        timer, self._login_timer = self._login_timer, None
        if timer is not None and not timer.cancelled:
            timer.cancel()
        self.context.guard.record_success(self.remote_ip)
        self.context.stats.add(logins=1)

    def ftp_PASS(self, line: str) -> None:  # noqa: N802
        # A locked-out address tests no password, on any of its connections,
        # so the right password cannot end (or reveal itself during) a lockout.
        if not self.authenticated and self._refuse_if_locked():
            return
        super().ftp_PASS(line)  # type: ignore[misc]

    def handle_auth_failed(self, msg: str, password: str) -> None:
        """Count the failure now, not after the delayed reply (pyftpdlib's)."""
        duration = self.context.guard.record_failure(self.remote_ip)
        if duration is not None:
            self._lockout_started = duration
            self._close_siblings(duration)
        super().handle_auth_failed(msg, password)  # type: ignore[misc]

    def _close_siblings(self, duration: float) -> None:
        """End the address's other connections that have not logged in."""
        for session in list(self.context.sessions):
            if (
                session is not self
                and session.remote_ip == self.remote_ip
                and not session.authenticated
                and not session._closed
                and not session._closing
            ):
                session.respond(
                    "421 Too many failed logins from your address; "
                    f"try again in {math.ceil(duration)} s."
                )
                session.close_when_done()

    def log(self, msg: str, logfun: Any = None) -> None:
        """Pyftpdlib's log line, without what a user typed as a user name."""
        if msg.startswith("USER '") and msg.endswith("' failed login."):
            msg = "failed login."
        if logfun is None:
            super().log(msg)  # type: ignore[misc]
        else:
            super().log(msg, logfun)  # type: ignore[misc]

    def logline(self, msg: str, logfun: Any = None) -> None:
        """Debug lines: the USER argument (maybe a password) is masked."""
        if msg[:7].upper() == "<- USER":
            msg = "<- USER ******"
        if logfun is None:
            super().logline(msg)  # type: ignore[misc]
        else:
            super().logline(msg, logfun)  # type: ignore[misc]

    def on_login_failed(self, username: str, password: str) -> None:
        context = self.context
        context.stats.add(login_failures=1)
        now = time.time()
        client = self._client()
        # Only a real account name is reported: a password typed into the
        # user-name field must not reach events or logs.
        user = username if self.authorizer.has_user(username) else None
        context.emit(FtpEvent(FtpEventKind.LOGIN_FAILED, None, None, user, client, now))
        duration, self._lockout_started = self._lockout_started, None
        if duration is None:
            return
        context.stats.add(lockouts=1)
        _LOGGER.warning(
            "FTP: %s locked out for %d s after repeated failed logins",
            self.remote_ip,
            duration,
        )
        context.emit(
            FtpEvent(
                FtpEventKind.LOCKOUT,
                None,
                None,
                user,
                client,
                now,
                lockout_seconds=duration,
            )
        )
        if not self._closed and not self._closing:
            self.respond(
                f"421 Too many failed logins; try again in {math.ceil(duration)} s."
            )
            self.close_when_done()

    def upload_committed(self, path: str, size: int) -> None:
        """Count a published upload and tell the engine (called by the DTP)."""
        context = self.context
        context.stats.add(uploads=1, upload_bytes=size)
        context.emit(
            FtpEvent(
                FtpEventKind.UPLOAD_COMPLETED,
                context.relative(path),
                size,
                self.username,
                self._client(),
                time.time(),
            )
        )

    def on_file_sent(self, file: str) -> None:
        self.context.stats.add(downloads=1)

    def ftp_STOR(self, file: str, mode: str = "w") -> str | None:  # noqa: N802
        if self._restart_position:
            self._restart_position = 0
            self.respond("550 Resuming uploads is not supported; send the whole file.")
            return None
        if is_partial_name(file.rpartition(os.sep)[2]):
            self.respond("550 That name is reserved for uploads in progress.")
            return None
        if self.fs.isdir(file):
            self.respond("550 Is a directory.")
            return None
        self._uploads = {u for u in self._uploads if not (u.committed or u.discarded)}
        result: str | None = super().ftp_STOR(file, mode)  # type: ignore[misc]
        queued = getattr(self, "_in_dtp_queue", None)
        data = getattr(self, "data_channel", None)
        for candidate in (
            queued[0] if queued else None,
            getattr(data, "file_obj", None),
        ):
            if isinstance(candidate, PartialUpload):
                self._uploads.add(candidate)
        return result

    def ftp_ABOR(self, line: str) -> None:  # noqa: N802
        data = getattr(self, "data_channel", None)
        if data is not None:
            data.aborted = True  # never publish what an ABOR interrupted
        super().ftp_ABOR(line)  # type: ignore[misc]

    def ftp_STOU(self, line: str) -> None:  # noqa: N802
        self.respond("502 STOU is not supported; use STOR with a file name.")

    def ftp_CWD(self, path: str) -> str | None:  # noqa: N802
        # pyftpdlib's version changes the process-wide working folder.
        try:
            self.fs.chdir(path)
        except OSError as err:
            self.respond(f"550 {os.strerror(err.errno or errno.EIO)}.")
            return None
        self.respond(f'250 "{self.fs.cwd}" is the current directory.')
        return path

    def ftp_PORT(self, line: str) -> None:  # noqa: N802
        if not self.allow_active:
            self.respond("502 Active mode is disabled; use passive mode (PASV).")
            return
        super().ftp_PORT(line)  # type: ignore[misc]

    def ftp_EPRT(self, line: str) -> None:  # noqa: N802
        if not self.allow_active:
            self.respond("502 Active mode is disabled; use passive mode (EPSV).")
            return
        super().ftp_EPRT(line)  # type: ignore[misc]


class PlainSessionHandler(SessionMixin, FTPHandler):  # type: ignore[misc]
    """Control channel without TLS."""

    dtp_handler = AtomicDTPHandler


def build_handler(
    settings: FtpSettings,
    context: SessionContext,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> type[Any]:
    """Return a handler class configured for one server instance."""
    perm = BASE_PERMISSIONS + ("d" if settings.allow_delete else "")
    fs_class = type(
        "ServerJailedFS",
        (JailedFS,),
        {
            "fsync_uploads": settings.fsync_uploads,
            "allow_replace": settings.allow_delete,
        },
    )
    attrs: dict[str, Any] = {
        "context": context,
        "authorizer": AccountAuthorizer(dict(settings.users), context.root, perm),
        "abstracted_fs": fs_class,
        "banner": BANNER,
        "timeout": settings.idle_timeout,
        "login_timeout": settings.login_timeout,
        "max_connections_per_address": settings.max_connections_per_address,
        "exempt_loopback": settings.exempt_loopback,
        "auth_failed_timeout": settings.auth_failed_delay,
        "max_login_attempts": settings.max_login_attempts,
        "masquerade_address": settings.masquerade_address,
        "passive_ports": (
            range(settings.passive_ports[0], settings.passive_ports[1] + 1)
            if settings.passive_ports
            else None
        ),
        "allow_active": settings.allow_active,
        "permit_foreign_addresses": False,
        "permit_privileged_ports": False,
    }
    if settings.tls is TlsMode.OFF:
        return type("FtpSessionHandler", (PlainSessionHandler,), attrs)
    from .tls_handler import TlsSessionHandler

    required = settings.tls is TlsMode.REQUIRED
    attrs.update(
        certfile=certfile,
        keyfile=keyfile,
        ssl_context=None,
        tls_control_required=required,
        tls_data_required=required,
    )
    handler: type[Any] = type("FtpsSessionHandler", (TlsSessionHandler,), attrs)
    handler.get_ssl_context()
    return handler
