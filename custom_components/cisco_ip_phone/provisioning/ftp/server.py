"""FTP uploads into the TFTP root: pyftpdlib in one thread the engine owns.

pyftpdlib has its own blocking I/O loop, so it runs in a single named
thread (``cisco_ip_phone-ftp``). ``start()`` binds the socket first, so a
port in use or a privileged port surfaces as ``FtpBindError`` before any
thread exists; ``stop()`` wakes the loop, closes every session and joins
the thread. Events cross to the event loop only via
``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import errno
import logging
import os
from pathlib import Path
import socket
import threading
from typing import Any

from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from ..settings.checks import may_resolve
from .events import (
    BindFailure,
    FtpBindError,
    FtpEvent,
    FtpEventKind,
    FtpStats,
    StatsCounter,
)
from .handler import SessionContext, build_handler
from .lockout import LoginGuard
from .settings import FtpSettings, FtpSettingsError, TlsMode

__all__ = [
    "FtpBindError",
    "FtpEvent",
    "FtpEventKind",
    "FtpServer",
    "FtpSettings",
    "FtpSettingsError",
    "FtpStats",
    "TlsMode",
]

_LOGGER = logging.getLogger(__name__)

THREAD_NAME = "cisco_ip_phone-ftp"
LISTEN_BACKLOG = 128
# Longest the loop sleeps when nothing is scheduled; stop() wakes it anyway.
MAX_POLL_SECONDS = 5.0
JOIN_TIMEOUT = 5.0


class _Waker:
    """A socket pair in the pyftpdlib loop so another thread can wake it."""

    def __init__(self, ioloop: Any) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._fileno = self._reader.fileno()
        self._ioloop = ioloop
        ioloop.register(self._fileno, self, ioloop.READ)

    def wake(self) -> None:
        # A full buffer means it is awake already; closed means it is gone.
        with contextlib.suppress(OSError):
            self._writer.send(b"\x00")

    def readable(self) -> bool:
        return True

    def handle_read_event(self) -> None:
        # Drain until the socket would block; the wake-up itself is the point.
        with contextlib.suppress(OSError):
            while self._reader.recv(4096):
                pass

    def close(self) -> None:
        self._ioloop.unregister(self._fileno)
        self._reader.close()
        self._writer.close()


def _bind_error(err: OSError, host: str, port: int) -> FtpBindError:
    where = f"{host}:{port}"
    if err.errno == errno.EADDRINUSE:
        return FtpBindError(
            BindFailure.IN_USE,
            f"FTP port {where} is already in use by another program",
            host=host,
            port=port,
            errno_value=err.errno,
        )
    if err.errno in (errno.EACCES, errno.EPERM):
        return FtpBindError(
            BindFailure.PERMISSION,
            f"no permission to listen on FTP port {where} "
            "(ports below 1024 need extra rights; use e.g. 2121)",
            host=host,
            port=port,
            errno_value=err.errno,
        )
    return FtpBindError(
        BindFailure.ADDRESS,
        f"cannot listen on {where}: {err.strerror or err}",
        host=host,
        port=port,
        errno_value=err.errno,
    )


def _listen_addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    """Resolve the listen address; what no resolver could answer needs no look-up."""
    if not may_resolve(host):
        raise socket.gaierror(socket.EAI_NONAME, "not a host name or address")
    return socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )


def bind_listener(host: str, port: int) -> socket.socket:
    """Return a listening TCP socket or raise a precise ``FtpBindError``."""
    try:
        infos = _listen_addresses(host, port)
    except (socket.gaierror, UnicodeError) as err:
        raise FtpBindError(
            BindFailure.ADDRESS,
            f"cannot listen on {host}:{port}: the address is not valid here",
            host=host,
            port=port,
        ) from err
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except OSError as err:
        sock.close()
        raise _bind_error(err, host, port) from err
    sock.setblocking(False)
    return sock


class FtpServer:
    """The FTP upload server for one TFTP root."""

    def __init__(
        self,
        root: Path,
        settings: FtpSettings,
        *,
        on_event: Callable[[FtpEvent], None] | None = None,
        storage_dir: Path | None = None,
    ) -> None:
        self._root = root
        self._settings = settings
        self._on_event = on_event
        self._storage_dir = storage_dir
        self._stats = StatsCounter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._ioloop: Any = None
        self._waker: _Waker | None = None
        self._context: SessionContext | None = None
        self._stopping = threading.Event()
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound TCP port (useful with port 0)."""
        if self._port is None:
            raise RuntimeError("the FTP server is not running")
        return self._port

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stats(self) -> FtpStats:
        """Counters since start (logins, lockouts, uploads, ...)."""
        return self._stats.snapshot()

    async def start(self) -> None:
        """Bind, then serve in the FTP thread; raise ``FtpBindError`` on failure."""
        if self._thread is not None:
            raise RuntimeError("the FTP server is already running")
        loop = asyncio.get_running_loop()
        self._loop = loop
        await loop.run_in_executor(None, self._prepare)
        self._stopping.clear()
        thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread = thread
        thread.start()
        settings = self._settings
        _LOGGER.info(
            "FTP server listening on %s:%d (TLS %s)",
            settings.host,
            self.port,
            settings.tls,
        )

    def _tls_files(self) -> tuple[str | None, str | None]:
        settings = self._settings
        if settings.tls is TlsMode.OFF:
            return None, None
        if settings.certfile:
            return settings.certfile, settings.keyfile or settings.certfile
        if self._storage_dir is None:
            raise FtpBindError(
                BindFailure.TLS,
                "FTPS needs a certificate file or a storage folder to create one in",
                host=settings.host,
                port=settings.port,
            )
        from .tls import ensure_self_signed_cert

        cert, key = ensure_self_signed_cert(self._storage_dir)
        return str(cert), str(key)

    def _prepare(self) -> None:
        """Blocking part of ``start``: resolve root, certificate, bind."""
        settings = self._settings
        root = os.path.realpath(self._root)
        if not Path(root).is_dir():
            raise FtpSettingsError(f"FTP root {root} is not a folder", field="root")
        context = SessionContext(
            root=root,
            guard=LoginGuard(
                max_attempts=settings.max_login_attempts,
                base_seconds=settings.lockout_seconds,
                max_seconds=settings.max_lockout_seconds,
            ),
            stats=self._stats,
            emit=self._emit,
        )
        try:
            certfile, keyfile = self._tls_files()
            handler = build_handler(
                settings, context, certfile=certfile, keyfile=keyfile
            )
        except FtpBindError:
            raise
        except Exception as err:
            raise FtpBindError(
                BindFailure.TLS,
                f"FTPS certificate or key cannot be used: {err}",
                host=settings.host,
                port=settings.port,
            ) from err
        sock = bind_listener(settings.host, settings.port)
        ioloop = IOLoop()
        try:
            server = FTPServer(sock, handler, ioloop=ioloop, backlog=LISTEN_BACKLOG)
        except BaseException:
            sock.close()
            ioloop.close()
            raise
        server.max_cons = settings.max_connections
        self._port = int(sock.getsockname()[1])
        self._waker = _Waker(ioloop)
        self._ioloop = ioloop
        self._server = server
        self._context = context

    def _run(self) -> None:
        """Poll until asked to stop, then close everything (the FTP thread)."""
        ioloop = self._ioloop
        sched = ioloop.sched
        try:
            while not self._stopping.is_set():
                try:
                    soonest = sched.poll()
                    if self._stopping.is_set():
                        break
                    wait = MAX_POLL_SECONDS if soonest is None else min(soonest, 1.0)
                    ioloop.poll(wait)
                except Exception:
                    # One broken session must not take FTP down for everyone.
                    _LOGGER.exception("unexpected error in the FTP server loop")
        finally:
            self._shutdown_sessions()

    def _shutdown_sessions(self) -> None:
        context = self._context
        if context is not None:
            for session in list(context.sessions):
                try:
                    session.close()
                except Exception:  # pragma: no cover - pyftpdlib internals
                    _LOGGER.exception("error closing an FTP session")
        try:
            self._server.close_all()
        except Exception:  # pragma: no cover - pyftpdlib internals
            _LOGGER.exception("error closing the FTP server")

    def _emit(self, event: FtpEvent) -> None:
        """Hand an event to the event loop (called in the FTP thread)."""
        if self._on_event is None or self._loop is None:
            return
        # A closed loop means nobody is listening any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: FtpEvent) -> None:
        assert self._on_event is not None  # _emit checked it
        try:
            self._on_event(event)
        except Exception:
            _LOGGER.exception("FTP event listener failed for %s", event.kind)

    async def stop(self) -> None:
        """Close every session, stop the thread and wait for it."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        assert self._waker is not None  # set together with the thread
        self._waker.wake()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, thread.join, JOIN_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - only if pyftpdlib hangs
            _LOGGER.error("FTP thread did not stop within %s s", JOIN_TIMEOUT)
        self._thread = None
        self._server = None
        self._ioloop = None
        self._waker = None
        self._context = None
        self._port = None
        _LOGGER.info("FTP server stopped")
