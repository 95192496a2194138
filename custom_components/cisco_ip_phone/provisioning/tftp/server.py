"""The TFTP server: one listening endpoint, one endpoint (TID) per transfer.

Everything runs on the caller's event loop. A request is parsed, judged by
the admission (slots per address, reserve for known phones, unacknowledged
bytes; see ``admission.py``) and, when the resolver can answer from memory,
refused or started without touching the disk; otherwise the lookup runs in
the executor. Refusals (file not found, access violation, bad options,
busy) are answered from the listening port at once: no endpoint is created
for a transfer that never starts. Files too large to cache are streamed
from disk a chunk at a time (``stream.py``).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time

from . import net
from .admission import Admission, KnownClientHook, Verdict
from .events import EventKind, TransferOutcome
from .options import OptionError, negotiate
from .packets import (
    OP_WRQ,
    ErrorCode,
    MalformedPacketError,
    Request,
    encode_error,
    encode_oack,
    parse_request,
)
from .ports import TransferSockets
from .reports import EventCallback, ServerReports
from .resolver import (
    ContentResolver,
    ResolvedFile,
    TftpAccessError,
    TftpFileNotFoundError,
)
from .session import ReadSession, Session, TransferInfo
from .settings import TftpSettings, TftpStats
from .stream import StreamReadSession
from .turns import Turns
from .upload import WriteSession

_LOGGER = logging.getLogger(__name__)

MODES = frozenset({"octet", "netascii"})
_ILLEGAL = encode_error(ErrorCode.ILLEGAL_OPERATION, "Illegal TFTP operation")
_BUSY = "Server busy, try again later"
_TOO_MANY = "Too many transfers from your address"
# Refusals a flood triggers thousands of times: encoded once.
_REFUSALS = {
    message: encode_error(ErrorCode.NOT_DEFINED, message)
    for message in (_BUSY, _TOO_MANY)
}

# Kept importable from here (older callers and tests).
path_mtu = net.path_mtu
__all__ = ["EventCallback", "TftpServer", "TftpSettings", "TftpStats", "path_mtu"]


# Requests read per wake-up of the listening socket: at most LISTEN_BATCH,
# for at most LISTEN_SECONDS. asyncio reads one datagram per event-loop
# turn, and inside a busy Home Assistant a turn takes tens of milliseconds
# (entity writes of a storm batch, the recorder holding the GIL): a
# 1,000-phone boot storm's first requests were read a few hundred per
# second while phones resend after 4 s. The time bound keeps the turn short
# when each request is costly (a phone's entities written at once): 64 at
# once held the loop for up to 0.4 s. bench/run_ha_storm.py, N = 1,000,
# three runs each: 5 ms let phones resend in one run of three, 20 ms in
# none (websocket ping p99 0.51-0.67 s; 0.38-0.89 s without a time bound).
LISTEN_BATCH = 64
LISTEN_SECONDS = 0.02
_MAX_DATAGRAM = 65536


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, server: TftpServer, sock: socket.socket) -> None:
        self._server = server
        self._sock = sock

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._server.handle_request(data, addr)
        until = time.monotonic() + LISTEN_SECONDS
        for _ in range(LISTEN_BATCH - 1):
            if time.monotonic() >= until:
                return
            try:
                data, addr = self._sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # ICMP errors, or closed meanwhile
                self.error_received(exc)
                return
            self._server.handle_request(data, addr)

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("TFTP listener socket error: %s", exc)


class TftpServer(ServerReports):
    """Serve the resolver's files over TFTP on the running event loop.

    ``is_known_client(ip)`` (optional) says whether an address belongs to a
    known phone; only those may take the ``reserved_sessions`` slots. It is
    called on the event loop, only when the server is nearly full, and must
    answer from memory.
    """

    def __init__(
        self,
        resolver: ContentResolver,
        *,
        host: str = "0.0.0.0",
        port: int = 69,
        settings: TftpSettings | None = None,
        on_event: EventCallback | None = None,
        is_known_client: KnownClientHook | None = None,
    ) -> None:
        super().__init__(resolver, on_event)
        self._host = host
        self._requested_port = port
        self._settings = settings or TftpSettings()
        self._family = socket.AF_INET
        self._port = 0
        self._clients: dict[tuple[str, int], Session | asyncio.Task[None]] = {}
        self._turns = Turns()
        self._admission = Admission(self._settings, is_known_client)
        # Transfer sockets, reused between transfers (see ports.py).
        self._sockets: TransferSockets | None = None

    # -- lifecycle
    async def start(self) -> None:
        """Bind the listening port; raises OSError (with errno) when it cannot."""
        if self._listener is not None:
            raise RuntimeError("TFTP server already started")
        self._family = net.address_family(self._host)
        sock = socket.socket(self._family, socket.SOCK_DGRAM)
        try:
            self._receive_buffer = net.size_receive_buffer(
                sock, self._settings.receive_buffer
            )
            sock.setblocking(False)
            sock.bind((self._host, self._requested_port))
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Listener(self, sock), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        self._listener = transport
        self._sockets = TransferSockets(self._family, self._host)
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
        self._admission.clear()
        sockets, self._sockets = self._sockets, None
        if sockets is not None:
            sockets.close()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        # Let the closed transports run connection_lost and release sockets.
        await asyncio.sleep(0)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return self._port

    def _active(self) -> int:
        return len(self._clients)

    def _hold(self, addr: tuple[str, int], entry: Session | asyncio.Task[None]) -> None:
        self._clients[addr] = entry
        self._admission.hold(addr)

    def _release(self, addr: tuple[str, int]) -> None:
        self._clients.pop(addr, None)
        self._admission.release(addr)

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
        verdict = self._admission.judge(addr, self._clients)
        if verdict is not Verdict.ADMIT:
            self._turn_away(verdict, request, addr, started)
            return
        if request.opcode == OP_WRQ:
            self._start_write(request, addr, started)
            return
        netascii = request.mode == "netascii"
        try:
            resolved = self._resolver.resolve_nowait(
                request.filename, addr[0], netascii=netascii
            )
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
        self._hold(
            addr, loop.create_task(self._resolve_and_start(request, addr, started))
        )

    def _turn_away(
        self, verdict: Verdict, request: Request, addr: tuple[str, int], started: float
    ) -> None:
        if verdict is Verdict.BUSY:
            self._busy += 1
            message = _BUSY
        else:
            self._source_limited += 1
            if verdict is Verdict.DROP:
                self._failed += 1
                return  # no answer: the source may be spoofed
            message = _TOO_MANY
        if self._on_event is None and not _LOGGER.isEnabledFor(logging.DEBUG):
            self._failed += 1
            self._reply(_REFUSALS[message], addr)
            return
        self._refuse(
            request,
            addr,
            started,
            ErrorCode.NOT_DEFINED,
            message,
            TransferOutcome.SERVER_ERROR,
        )

    async def _resolve_and_start(
        self, request: Request, addr: tuple[str, int], started: float
    ) -> None:
        """Look the name up on disk (in the executor), then start the transfer."""
        try:
            resolved = await self._resolver.resolve(
                request.filename, addr[0], netascii=request.mode == "netascii"
            )
        except (TftpFileNotFoundError, TftpAccessError) as err:
            await self._turns.take()
            self._release(addr)
            self._refuse_lookup(request, addr, started, err)
            return
        except Exception as err:  # a bug must not take the server down
            await self._turns.take()
            self._release(addr)
            self._lookup_failed(request, addr, started, err)
            return
        await self._turns.take()  # a shared disk job wakes all its waiters at once
        self._release(addr)
        self._start_read(request, addr, resolved, started)

    def max_blksize(self, request: Request, addr: tuple[str, int]) -> int:
        """Return the configured limit, lowered to what the route can carry."""
        limit = self._settings.max_blksize
        if "blksize" not in request.options:
            return limit
        mtu = path_mtu(self._family, addr)
        if mtu is None:
            return limit
        return max(8, min(limit, mtu - net.IP_UDP_TFTP_OVERHEAD[self._family]))

    def _start_read(
        self,
        request: Request,
        addr: tuple[str, int],
        resolved: ResolvedFile,
        started: float,
    ) -> None:
        settings = self._settings
        info = TransferInfo(
            request.filename,
            resolved.name,
            resolved.source,
            resolved.digest,
            resolved.size,
        )
        try:
            agreed = negotiate(
                request.options,
                size=resolved.size,
                max_blksize=self.max_blksize(request, addr),
                max_windowsize=settings.max_windowsize,
                max_timeout=settings.max_option_timeout,
            )
        except OptionError as err:
            if resolved.opened is not None:
                resolved.opened.close()
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
        common = {
            "blksize": agreed.blksize,
            "windowsize": agreed.windowsize,
            "oack": encode_oack(dict(agreed.oack)) if agreed.oack else None,
            "timeout": agreed.timeout or settings.timeout,
            "retries": settings.retries,
            "unverified_retries": settings.unverified_retries,
        }
        session: ReadSession
        if resolved.opened is not None:
            session = StreamReadSession(self, addr, info, resolved.opened, **common)  # type: ignore[arg-type]
        else:
            session = ReadSession(self, addr, info, resolved.content, **common)  # type: ignore[arg-type]
        self.open_session(session, request, started)

    def _transfer_sockets(self) -> TransferSockets:
        if self._sockets is None:  # stop() came between a lookup and its reply
            raise OSError(errno.ESHUTDOWN, "the server is stopping")
        return self._sockets

    def open_session(self, session: Session, request: Request, started: float) -> None:
        """Give the session a socket of its own (a TID) and start it."""
        addr = session.client
        try:
            sockets = self._transfer_sockets()
            sock = sockets.take(addr)
        except OSError as err:
            if isinstance(session, StreamReadSession):
                session.close_file()
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
        session.attach(sock, sockets)
        self._hold(addr, session)
        self._emit(
            EventKind.REQUEST, addr, session.info, session, TransferOutcome.OK, None
        )

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
        info = TransferInfo(request.filename, parts[0], None, None, None, "write")
        try:
            agreed = negotiate(
                request.options,
                size=None,
                max_blksize=self.max_blksize(request, addr),
                max_windowsize=1,
                max_timeout=self._settings.max_option_timeout,
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
            folder / parts[0],
            blksize=agreed.blksize,
            oack=encode_oack(agreed.oack) if agreed.oack else None,
            timeout=agreed.timeout or self._settings.timeout,
            retries=self._settings.retries,
            max_size=self._settings.max_upload_size,
            netascii=request.mode == "netascii",
            on_written=lambda _path: self._resolver.invalidate(),
        )
        self.open_session(session, request, started)

    # -- outcomes
    def session_finished(
        self, session: Session, outcome: TransferOutcome, error: str | None
    ) -> None:
        """Account for a transfer that ended (called by the session, once)."""
        # New requests from a client with a live session are ignored, so the
        # entry under its address is always this session.
        self._release(session.client)
        self._account(session, outcome, error)
