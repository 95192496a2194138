"""The TFTP server: one listening endpoint, one endpoint (TID) per transfer.

Everything runs on the caller's event loop. A request is parsed and, when the
resolver can answer from memory, refused or started without touching the
disk; otherwise the lookup runs in the executor. Refusals (file not found,
access violation, bad options, busy) are answered from the listening port at
once: no endpoint is created for a transfer that never starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
import errno
import ipaddress
import logging
from pathlib import Path
import socket
import time
from typing import Any

from .events import (
    EventKind,
    TransferEvent,
    TransferOutcome,
    format_log_line,
)
from .options import OptionError, negotiate
from .packets import (
    OP_WRQ,
    ErrorCode,
    MalformedPacketError,
    Request,
    encode_error,
    encode_oack,
    parse_request,
    to_netascii,
)
from .resolver import (
    ContentResolver,
    ResolvedFile,
    ResolverStats,
    TftpAccessError,
    TftpFileNotFoundError,
)
from .session import ReadSession, Session, TransferInfo, WriteSession

_LOGGER = logging.getLogger(__name__)

MODES = frozenset({"octet", "netascii"})
_ILLEGAL = encode_error(ErrorCode.ILLEGAL_OPERATION, "Illegal TFTP operation")
_NOT_FOUND = encode_error(ErrorCode.FILE_NOT_FOUND, "File not found")


@dataclass(frozen=True, slots=True)
class TftpSettings:
    """Tunables; the defaults suit a LAN of Cisco phones."""

    timeout: float = 1.0
    retries: int = 5
    max_sessions: int = 2000
    max_blksize: int = 1468  # Ethernet MTU 1500 - IP 20 - UDP 8 - TFTP 4
    max_windowsize: int = 64
    receive_buffer: int = 8 * 1024 * 1024
    allow_write_dir: Path | None = None
    max_upload_size: int = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TftpStats:
    """Counters since start."""

    requests: int
    completed: int
    failed: int
    not_found: int
    access_denied: int
    malformed: int
    busy: int
    bytes_sent: int
    active: int
    retransmits: int
    receive_buffer: int
    resolver: ResolverStats

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON and diagnostics)."""
        return asdict(self)


EventCallback = Callable[[TransferEvent], None]


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, server: TftpServer) -> None:
        self._server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._server.handle_request(data, addr)

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("TFTP listener socket error: %s", exc)


def _address_family(host: str) -> socket.AddressFamily:
    try:
        address = ipaddress.ip_address(host)
    except ValueError as err:
        raise OSError(errno.EADDRNOTAVAIL, f"not an IP address: {host!r}") from err
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


# Linux getsockopt names, not exported by the socket module on every build.
_IP_MTU = getattr(socket, "IP_MTU", 14)
_IPV6_MTU = getattr(socket, "IPV6_MTU", 24)
_IP_UDP_TFTP_OVERHEAD = {socket.AF_INET: 20 + 8 + 4, socket.AF_INET6: 40 + 8 + 4}


def path_mtu(family: socket.AddressFamily, addr: tuple[str, int]) -> int | None:
    """Return the route's MTU towards ``addr`` (asked via a connected UDP socket)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(addr)
            if family == socket.AF_INET6:
                return int(probe.getsockopt(socket.IPPROTO_IPV6, _IPV6_MTU))
            return int(probe.getsockopt(socket.IPPROTO_IP, _IP_MTU))
    except OSError:
        return None


def _size_receive_buffer(sock: socket.socket, size: int) -> int:
    """Make room for a boot storm of requests; FORCE needs root, then fall back."""
    options = [socket.SO_RCVBUF]
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:
        options.insert(0, force)
    for option in options:
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
            break
        except OSError:
            continue
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


class TftpServer:
    """Serve the resolver's files over TFTP on the running event loop."""

    def __init__(
        self,
        resolver: ContentResolver,
        *,
        host: str = "0.0.0.0",
        port: int = 69,
        settings: TftpSettings | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self._resolver = resolver
        self._host = host
        self._requested_port = port
        self._settings = settings or TftpSettings()
        self._on_event = on_event
        self._family = socket.AF_INET
        self._listener: asyncio.DatagramTransport | None = None
        self._port = 0
        self._clients: dict[tuple[str, int], Session | asyncio.Task[None]] = {}
        self._receive_buffer = 0
        self._requests = 0
        self._completed = 0
        self._failed = 0
        self._not_found = 0
        self._access_denied = 0
        self._malformed = 0
        self._busy = 0
        self._bytes_sent = 0
        self._retransmits = 0

    # -- lifecycle
    async def start(self) -> None:
        """Bind the listening port; raises OSError (with errno) when it cannot."""
        if self._listener is not None:
            raise RuntimeError("TFTP server already started")
        self._family = _address_family(self._host)
        sock = socket.socket(self._family, socket.SOCK_DGRAM)
        try:
            self._receive_buffer = _size_receive_buffer(
                sock, self._settings.receive_buffer
            )
            sock.setblocking(False)
            sock.bind((self._host, self._requested_port))
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Listener(self), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        self._listener = transport
        self._port = int(sock.getsockname()[1])
        _LOGGER.debug(
            "TFTP server listening on %s:%s (receive buffer %d bytes)",
            self._host,
            self._port,
            self._receive_buffer,
        )

    async def stop(self) -> None:
        """Close every endpoint, cancel every timer and pending lookup."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        tasks: list[asyncio.Task[None]] = []
        for entry in list(self._clients.values()):
            if isinstance(entry, asyncio.Task):
                entry.cancel()
                tasks.append(entry)
            else:
                if isinstance(entry, WriteSession) and entry.commit_task is not None:
                    # Let the rename finish: the file is then whole, never half.
                    tasks.append(entry.commit_task)
                entry.finish(TransferOutcome.SERVER_ERROR, "server stopped")
        self._clients.clear()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        # Let the closed transports run connection_lost and release sockets.
        await asyncio.sleep(0)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return self._port

    @property
    def stats(self) -> TftpStats:
        """Snapshot of the counters."""
        return TftpStats(
            requests=self._requests,
            completed=self._completed,
            failed=self._failed,
            not_found=self._not_found,
            access_denied=self._access_denied,
            malformed=self._malformed,
            busy=self._busy,
            bytes_sent=self._bytes_sent,
            active=len(self._clients),
            retransmits=self._retransmits,
            receive_buffer=self._receive_buffer,
            resolver=self._resolver.stats,
        )

    # -- requests
    def handle_request(self, data: bytes, addr: tuple[str, int]) -> None:
        """Handle one datagram on the listening port."""
        if addr in self._clients:
            return  # a retransmitted request for a transfer already running
        started = time.monotonic()
        try:
            request = parse_request(data)
        except MalformedPacketError as err:
            self._malformed += 1
            _LOGGER.debug("Malformed request from %s: %s", addr, err)
            self._reply(_ILLEGAL, addr)
            return
        self._requests += 1
        if request.mode not in MODES:
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.ILLEGAL_OPERATION,
                f"Unsupported mode {request.mode[:20]!r}",
                TransferOutcome.CLIENT_ERROR,
            )
            return
        if len(self._clients) >= self._settings.max_sessions:
            self._busy += 1
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.NOT_DEFINED,
                "Server busy, try again later",
                TransferOutcome.SERVER_ERROR,
            )
            return
        if request.opcode == OP_WRQ:
            self._start_write(request, addr, started)
            return
        try:
            resolved = self._resolver.resolve_nowait(request.filename, addr[0])
        except (TftpFileNotFoundError, TftpAccessError) as err:
            self._refuse_lookup(request, addr, started, err)
            return
        except Exception as err:  # e.g. a failing client hook: answer, keep serving
            self._lookup_failed(request, addr, started, err)
            return
        if resolved is not None:
            self._start_read(request, addr, resolved, started)
            return
        loop = asyncio.get_running_loop()
        self._clients[addr] = loop.create_task(
            self._resolve_and_start(request, addr, started)
        )

    async def _resolve_and_start(
        self, request: Request, addr: tuple[str, int], started: float
    ) -> None:
        """Look the name up on disk (in the executor), then start the transfer."""
        try:
            resolved = await self._resolver.resolve(request.filename, addr[0])
        except (TftpFileNotFoundError, TftpAccessError) as err:
            self._clients.pop(addr, None)
            self._refuse_lookup(request, addr, started, err)
            return
        except Exception as err:  # a bug must not take the server down
            self._clients.pop(addr, None)
            self._lookup_failed(request, addr, started, err)
            return
        self._clients.pop(addr, None)
        self._start_read(request, addr, resolved, started)

    def _max_blksize(self, request: Request, addr: tuple[str, int]) -> int:
        """Return the configured limit, lowered to what the route can carry."""
        limit = self._settings.max_blksize
        if "blksize" not in request.options:
            return limit
        mtu = path_mtu(self._family, addr)
        if mtu is None:
            return limit
        return max(8, min(limit, mtu - _IP_UDP_TFTP_OVERHEAD[self._family]))

    def _lookup_failed(
        self, request: Request, addr: tuple[str, int], started: float, err: Exception
    ) -> None:
        _LOGGER.error(
            "TFTP lookup of %r for %s failed", request.filename, addr, exc_info=err
        )
        self._refuse(
            request,
            addr,
            started,
            ErrorCode.NOT_DEFINED,
            "Server error",
            TransferOutcome.SERVER_ERROR,
            detail=f"lookup failed: {err!r}",
        )

    def _start_read(
        self,
        request: Request,
        addr: tuple[str, int],
        resolved: ResolvedFile,
        started: float,
    ) -> None:
        content = resolved.content
        if request.mode == "netascii":
            content = to_netascii(content)
        info = TransferInfo(
            request.filename,
            resolved.name,
            resolved.source,
            resolved.digest,
            len(content),
        )
        try:
            agreed = negotiate(
                request.options,
                size=len(content),
                max_blksize=self._max_blksize(request, addr),
                max_windowsize=self._settings.max_windowsize,
            )
        except OptionError as err:
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.OPTION_NEGOTIATION,
                str(err),
                TransferOutcome.CLIENT_ERROR,
                info,
            )
            return
        session = ReadSession(
            self,
            addr,
            info,
            content,
            blksize=agreed.blksize,
            windowsize=agreed.windowsize,
            oack=encode_oack(dict(agreed.oack)) if agreed.oack else None,
            timeout=agreed.timeout or self._settings.timeout,
            retries=self._settings.retries,
        )
        self._open(session, request, started)

    def _start_write(
        self, request: Request, addr: tuple[str, int], started: float
    ) -> None:
        folder = self._settings.allow_write_dir
        if folder is None:
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.ACCESS_VIOLATION,
                "Access violation: uploads go through FTP",
                TransferOutcome.ACCESS_VIOLATION,
            )
            return
        try:
            ContentResolver.normalize(request.filename)
        except TftpAccessError as err:
            self._refuse_lookup(request, addr, started, err)
            return
        parts = [p for p in request.filename.split("/") if p not in ("", ".")]
        if len(parts) != 1 or parts[0].startswith("."):
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.ACCESS_VIOLATION,
                "Access violation: uploads go into the upload folder only",
                TransferOutcome.ACCESS_VIOLATION,
            )
            return
        target = folder / parts[0]
        info = TransferInfo(request.filename, parts[0], None, None, None, "write")
        try:
            agreed = negotiate(
                request.options,
                size=None,
                max_blksize=self._max_blksize(request, addr),
                max_windowsize=1,
            )
        except OptionError as err:
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.OPTION_NEGOTIATION,
                str(err),
                TransferOutcome.CLIENT_ERROR,
                info,
            )
            return
        if agreed.tsize is not None and agreed.tsize > self._settings.max_upload_size:
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.DISK_FULL,
                "Upload too large",
                TransferOutcome.ACCESS_VIOLATION,
                info,
            )
            return
        session = WriteSession(
            self,
            addr,
            info,
            target,
            blksize=agreed.blksize,
            oack=encode_oack(agreed.oack) if agreed.oack else None,
            timeout=agreed.timeout or self._settings.timeout,
            retries=self._settings.retries,
            max_size=self._settings.max_upload_size,
            netascii=request.mode == "netascii",
            on_written=lambda _path: self._resolver.invalidate(),
        )
        self._open(session, request, started)

    def _open(self, session: Session, request: Request, started: float) -> None:
        """Give the session its own socket (a new TID) and start it."""
        addr = session.client
        sock = socket.socket(self._family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind((self._host, 0))
            session.attach(sock)
        except OSError as err:
            sock.close()
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.NOT_DEFINED,
                "Server error",
                TransferOutcome.SERVER_ERROR,
                session.info,
                detail=f"cannot open transfer socket: {err}",
            )
            return
        self._clients[addr] = session
        self._emit(
            EventKind.REQUEST, addr, session.info, session, TransferOutcome.OK, None
        )

    # -- outcomes
    def session_finished(
        self, session: Session, outcome: TransferOutcome, error: str | None
    ) -> None:
        """Account for a transfer that ended (called by the session, once)."""
        # New requests from a client with a live session are ignored, so the
        # entry under its address is always this session.
        self._clients.pop(session.client, None)
        self._retransmits += session.retransmits
        if session.info.direction == "read":
            self._bytes_sent += session.bytes_done
        if outcome is TransferOutcome.OK:
            self._completed += 1
            kind = EventKind.COMPLETED
        else:
            self._failed += 1
            kind = EventKind.FAILED
        self._emit(kind, session.client, session.info, session, outcome, error)

    def _refuse_lookup(
        self,
        request: Request,
        addr: tuple[str, int],
        started: float,
        err: TftpFileNotFoundError | TftpAccessError,
    ) -> None:
        if isinstance(err, TftpFileNotFoundError):
            self._not_found += 1
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.FILE_NOT_FOUND,
                "File not found",
                TransferOutcome.NOT_FOUND,
            )
        else:
            self._access_denied += 1
            self._refuse(
                request,
                addr,
                started,
                ErrorCode.ACCESS_VIOLATION,
                str(err),
                TransferOutcome.ACCESS_VIOLATION,
            )

    def _refuse(
        self,
        request: Request,
        addr: tuple[str, int],
        started: float,
        code: ErrorCode,
        message: str,
        outcome: TransferOutcome,
        info: TransferInfo | None = None,
        *,
        detail: str | None = None,
    ) -> None:
        """Answer a request with an error from the listening port, and report it."""
        if code is ErrorCode.FILE_NOT_FOUND:
            self._reply(_NOT_FOUND, addr)
        else:
            self._reply(encode_error(code, message), addr)
        self._failed += 1
        if self._on_event is None and not _LOGGER.isEnabledFor(logging.DEBUG):
            return
        if info is None:
            direction = "write" if request.opcode == OP_WRQ else "read"
            info = TransferInfo(request.filename, None, None, None, None, direction)
        self._emit(EventKind.REQUEST, addr, info, None, outcome, detail or message)
        self._emit(
            EventKind.FAILED,
            addr,
            info,
            None,
            outcome,
            detail or message,
            time.monotonic() - started,
        )

    def _reply(self, packet: bytes, addr: tuple[str, int]) -> None:
        if self._listener is not None:
            self._listener.sendto(packet, addr)

    def _emit(
        self,
        kind: EventKind,
        addr: tuple[str, int],
        info: TransferInfo,
        session: Session | None,
        outcome: TransferOutcome,
        error: str | None,
        duration: float = 0.0,
    ) -> None:
        callback = self._on_event
        debug = _LOGGER.isEnabledFor(logging.DEBUG)
        if callback is None and not debug:
            return
        if session is not None and kind is not EventKind.REQUEST:
            duration = time.monotonic() - session.started
        event = TransferEvent(
            kind=kind,
            client=(addr[0], addr[1]),
            requested_name=info.requested_name,
            resolved_name=info.resolved_name,
            source=info.source,
            digest=info.digest,
            size=info.size,
            bytes_sent=session.bytes_done if session is not None else 0,
            blocks=session.blocks if session is not None else 0,
            retransmits=session.retransmits if session is not None else 0,
            duration=duration,
            outcome=outcome,
            error=error,
            timestamp=time.time(),
            direction=info.direction,
        )
        if debug:
            _LOGGER.debug("%s", format_log_line(event))
        if callback is not None:
            try:
                callback(event)
            except Exception:
                _LOGGER.exception("TFTP event callback failed for %s", event)
