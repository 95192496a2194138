"""How the TFTP server answers refusals and reports what happened.

The counters, the error replies sent from the listening port and the typed
events (plus the debug log line) live here, apart from the request flow in
``server.py``, so each file reads as one job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import time

from .events import EventKind, TransferEvent, TransferOutcome, format_log_line
from .packets import OP_WRQ, ErrorCode, Request, encode_error
from .resolver import ContentResolver, TftpAccessError, TftpFileNotFoundError
from .session import Session, TransferInfo
from .settings import TftpStats

_LOGGER = logging.getLogger(__name__.rpartition(".")[0] + ".server")

_NOT_FOUND = encode_error(ErrorCode.FILE_NOT_FOUND, "File not found")

EventCallback = Callable[[TransferEvent], None]


class ServerReports:
    """Counters, refusals and events shared by the server's request paths."""

    def __init__(
        self, resolver: ContentResolver, on_event: EventCallback | None
    ) -> None:
        self._resolver = resolver
        self._on_event = on_event
        self._listener: asyncio.DatagramTransport | None = None
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
        self._source_limited = 0
        self._unreachable = 0

    def _active(self) -> int:
        raise NotImplementedError

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
            active=self._active(),
            retransmits=self._retransmits,
            receive_buffer=self._receive_buffer,
            resolver=self._resolver.stats,
            source_limited=self._source_limited,
            unreachable=self._unreachable,
        )

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

    def _account(
        self, session: Session, outcome: TransferOutcome, error: str | None
    ) -> None:
        """Count a transfer that ended and report it."""
        self._retransmits += session.retransmits
        if session.info.direction == "read":
            self._bytes_sent += session.bytes_done
        if error is not None and error.startswith("client unreachable"):
            self._unreachable += 1
        if outcome is TransferOutcome.OK:
            self._completed += 1
            kind = EventKind.COMPLETED
        else:
            self._failed += 1
            kind = EventKind.FAILED
        self._emit(kind, session.client, session.info, session, outcome, error)

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
