"""One transfer on its own UDP endpoint (its TID): lock-step or windowed DATA/ACK.

Timers are lazy: one ``call_later`` per timeout period that re-arms itself if
the transfer made progress meanwhile, instead of a new timer per block.
Duplicate or stale ACKs are ignored (no Sorcerer's Apprentice resends); only
the timer retransmits, a bounded number of times.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
import socket
import time
from typing import Protocol

from .events import ContentSource, TransferOutcome
from .net import UNREACHABLE_ERRNOS, report_icmp_errors, unreachable_peers
from .packets import (
    HEADER,
    OP_ACK,
    OP_DATA,
    OP_ERROR,
    ErrorCode,
    decode_error,
    encode_error,
)
from .ports import TransferSockets

_LOGGER = logging.getLogger(__name__)

_PACK_HEADER = HEADER.pack
_UNKNOWN_TID = encode_error(ErrorCode.UNKNOWN_TID, "Unknown transfer ID")
_ILLEGAL = encode_error(ErrorCode.ILLEGAL_OPERATION, "Illegal TFTP operation")


@dataclass(frozen=True, slots=True)
class TransferInfo:
    """What a transfer is about, for its events."""

    requested_name: str
    resolved_name: str | None
    source: ContentSource | None
    digest: str | None
    size: int | None
    direction: str = "read"


class SessionOwner(Protocol):
    """What a session reports back to (the server)."""

    def session_finished(
        self, session: Session, outcome: TransferOutcome, error: str | None
    ) -> None: ...


class Session:
    """Shared plumbing: own socket, lazy retransmit timer, foreign TIDs, ending.

    The per-transfer socket is registered with ``loop.add_reader`` instead of
    wrapping it in an asyncio datagram transport: a transport costs ~40 us to
    set up and tear down (a coroutine, a waiter future, three callbacks),
    which is a third of the CPU a phone boot costs, and starting a transfer
    without awaiting anything means no task per request either.
    """

    def __init__(
        self,
        owner: SessionOwner,
        client: tuple[str, int],
        info: TransferInfo,
        *,
        timeout: float,
        retries: int,
        unverified_retries: int | None = None,
    ) -> None:
        self.owner = owner
        self.client = client
        self.info = info
        self.timeout = timeout
        self.retries = retries
        # Until the client answers from its TID it may be a spoofed source:
        # resend less, and count what we sent it (the server bounds that).
        self.unverified_retries = (
            retries if unverified_retries is None else unverified_retries
        )
        self.verified = False
        self.unverified_bytes = 0
        self.retransmits = 0
        self._blocks = 0
        self._bytes = 0
        self.finished = False
        self.loop = asyncio.get_running_loop()
        self.started = time.monotonic()
        self._sock: socket.socket | None = None
        self._sockets: TransferSockets | None = None
        self._recv_size = 516
        self._timer: asyncio.TimerHandle | None = None
        self._last_tx = self.started
        self._tries = 0

    @property
    def blocks(self) -> int:
        """DATA blocks transferred so far."""
        return self._blocks

    @property
    def bytes_done(self) -> int:
        """Payload bytes transferred so far."""
        return self._bytes

    def attach(
        self, sock: socket.socket, sockets: TransferSockets | None = None
    ) -> None:
        """Take a bound non-blocking socket and start the transfer.

        With ``sockets`` the socket came from that pool and goes back to it
        at the end; without, the session closes it at the end.
        """
        self._sock = sock
        self._sockets = sockets
        if sockets is None:
            report_icmp_errors(sock, sock.family)
        self.loop.add_reader(sock.fileno(), self.on_readable)
        self._timer = self.loop.call_later(self.timeout, self._on_timer)
        self.begin()

    def on_readable(self) -> None:
        sock = self._sock
        if sock is None:  # pragma: no cover - the reader is removed on finish
            return
        try:
            data, addr = sock.recvfrom(self._recv_size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as err:
            self.socket_error(err)
            return
        self.datagram_received(data, addr)  # same tuple form as the listener saw

    def socket_error(self, err: OSError) -> None:
        """End the transfer when ICMP says our client's port or host is gone."""
        sock = self._sock
        if sock is None or err.errno not in UNREACHABLE_ERRNOS:
            _LOGGER.debug("Socket error in transfer with %s: %s", self.client, err)
            return
        if self.client in unreachable_peers(sock):
            self.finish(TransferOutcome.CLIENT_ERROR, f"client unreachable: {err}")

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if addr != self.client:
            if data[1:2] != b"\x05":  # never answer an error with an error
                self.send_to(_UNKNOWN_TID, addr)
            return
        self.verified = True
        if len(data) < 4 or data[0] != 0:
            self.send(_ILLEGAL)
            self.finish(TransferOutcome.CLIENT_ERROR, "malformed packet")
            return
        opcode = data[1]
        if opcode == OP_ERROR:
            code, message = decode_error(data)
            self.finish(TransferOutcome.CLIENT_ERROR, f"client error {code}: {message}")
            return
        self.packet(opcode, data)

    # -- helpers for subclasses
    def send(self, packet: bytes | bytearray) -> None:
        self.send_to(packet, self.client)

    def send_to(self, packet: bytes | bytearray, addr: tuple[str, int]) -> None:
        sock = self._sock
        if sock is None:
            return
        if not self.verified and addr == self.client:
            self.unverified_bytes += len(packet)
        try:
            sock.sendto(packet, addr)
        except (BlockingIOError, InterruptedError):
            pass  # send buffer full: as good as lost, the timer resends
        except OSError as err:
            _LOGGER.debug("Cannot send to %s: %s", addr, err)

    def progressed(self) -> None:
        """Note a send that is not a retransmission: restart the retry budget."""
        self._last_tx = time.monotonic()
        self._tries = 0

    def illegal(self, what: str) -> None:
        self.send(_ILLEGAL)
        self.finish(TransferOutcome.CLIENT_ERROR, what)

    def _on_timer(self) -> None:
        idle = time.monotonic() - self._last_tx
        if idle < self.timeout * 0.99:
            self._timer = self.loop.call_later(self.timeout - idle, self._on_timer)
            return
        if self._tries >= (self.retries if self.verified else self.unverified_retries):
            self.finish(TransferOutcome.TIMEOUT, f"no answer after {self._tries} tries")
            return
        self._tries += 1
        self._last_tx = time.monotonic()
        self.resend()
        self._timer = self.loop.call_later(self.timeout, self._on_timer)

    def finish(self, outcome: TransferOutcome, error: str | None = None) -> None:
        """End the transfer once: cancel the timer, close the endpoint, report."""
        if self.finished:
            return
        self.finished = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        sock, self._sock = self._sock, None
        if sock is not None and self._sockets is not None:
            self._sockets.give_back(sock, self.client)
        elif sock is not None:
            self.loop.remove_reader(sock.fileno())
            sock.close()
        self.owner.session_finished(self, outcome, error)

    # -- protocol hooks
    def begin(self) -> None:
        raise NotImplementedError

    def packet(self, opcode: int, data: bytes) -> None:
        raise NotImplementedError

    def resend(self) -> None:
        raise NotImplementedError


class ReadSession(Session):
    """Serve one file: OACK (if options), then DATA windows until the last ACK."""

    def __init__(
        self,
        owner: SessionOwner,
        client: tuple[str, int],
        info: TransferInfo,
        content: bytes,
        *,
        blksize: int,
        windowsize: int,
        oack: bytes | None,
        timeout: float,
        retries: int,
        unverified_retries: int | None = None,
        size: int | None = None,
    ) -> None:
        super().__init__(
            owner,
            client,
            info,
            timeout=timeout,
            retries=retries,
            unverified_retries=unverified_retries,
        )
        self.size = len(content) if size is None else size
        # The bytes in memory are file[_base:_limit]: the whole file, or the
        # chunk a streaming subclass has loaded.
        self._view = memoryview(content)
        self._base = 0
        self._limit = len(content)
        self._blksize = blksize
        self._window = windowsize
        self._oack = oack
        # Always ends with a short block: an empty one when size % blksize == 0.
        self._last_block = self.size // blksize + 1
        self._acked = 0
        self._sent = 0

    def begin(self) -> None:
        if self._oack is not None:
            self.send(self._oack)
        else:
            self._send_window()
        self.progressed()

    def on_readable(self) -> None:
        """Receive one datagram; the next lock-step block is sent inline.

        A 4 MiB download at 512 B is 8192 round trips, each paying this
        method: the common case (the expected ACK from our client, one block
        per window) skips the general dispatch to save a few microseconds.
        """
        sock = self._sock
        if sock is None:  # pragma: no cover - the reader is removed on finish
            return
        try:
            data, addr = sock.recvfrom(516)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as err:
            self.socket_error(err)
            return
        acked = self._acked + 1
        offset = acked * self._blksize
        if (
            len(data) == 4
            and data[1] == OP_ACK
            and data[0] == 0
            and addr == self.client
            and self._window == 1
            and self._oack is None
            and self._sent == acked
            and ((data[2] << 8) | data[3]) == acked & 0xFFFF
            and acked < self._last_block
            and self._base <= offset
            and min(offset + self._blksize, self.size) <= self._limit
        ):
            self._acked = acked
            self._sent = acked + 1
            self.verified = True
            start = offset - self._base
            try:
                sock.sendto(
                    _PACK_HEADER(OP_DATA, (acked + 1) & 0xFFFF)
                    + self._view[start : start + self._blksize],
                    addr,
                )
            except OSError as err:  # lost like any packet: the timer resends
                _LOGGER.debug("Cannot send to %s: %s", addr, err)
            self._last_tx = time.monotonic()
            self._tries = 0
            return
        self.datagram_received(data, addr)

    @property
    def bytes_done(self) -> int:
        """Bytes the client has acknowledged."""
        return min(self._acked * self._blksize, self.size)

    @property
    def blocks(self) -> int:
        """Blocks the client has acknowledged."""
        return self._acked

    def resend(self) -> None:
        if self._oack is not None:
            self.retransmits += 1
            self.send(self._oack)
        else:
            self._send_window()

    def ensure_loaded(self, start: int, end: int) -> bool:
        """Whether file bytes [start, end) are in memory (always, here)."""
        return True

    def _send_window(self) -> None:
        bs = self._blksize
        first = self._acked + 1
        last = min(self._acked + self._window, self._last_block)
        base = (first - 1) * bs
        if not self.ensure_loaded(base, min(last * bs, self.size)):
            return  # a streaming subclass sends once the chunk is read
        view = self._view
        base -= self._base
        if first == last:  # lock-step: the hot path, keep it short
            self.send(_PACK_HEADER(OP_DATA, first & 0xFFFF) + view[base : base + bs])
        else:
            for block in range(first, last + 1):
                offset = base + (block - first) * bs
                self.send(
                    _PACK_HEADER(OP_DATA, block & 0xFFFF) + view[offset : offset + bs]
                )
        if first <= self._sent:
            self.retransmits += min(last, self._sent) - first + 1
        self._sent = max(self._sent, last)

    def packet(self, opcode: int, data: bytes) -> None:
        if opcode != OP_ACK:
            self.illegal(f"unexpected opcode {opcode} during read")
            return
        block = (data[2] << 8) | data[3]
        if self._oack is not None:
            if block == 0:
                self._oack = None
                self._send_window()
                self.progressed()
            return
        delta = (block - self._acked) & 0xFFFF
        if delta == 0 or delta > self._sent - self._acked:
            return  # duplicate or stale ACK: never answered with a resend
        self._acked += delta
        if self._acked >= self._last_block:
            self.finish(TransferOutcome.OK)
            return
        self._send_window()
        self.progressed()
