"""Transfer sockets (TIDs), kept bound and registered between transfers.

Every transfer needs its own UDP port (RFC 1350's transfer ID). Opening one
per transfer costs seven system calls (socket, bind, two epoll changes,
close, ...) besides the two the transfer needs (DATA out, ACK in). Alone
that is cheap, but inside Home Assistant each call releases the GIL, and
while another thread computes (the recorder writing a boot storm's states)
getting it back takes up to the 5 ms switch interval: measured on this
machine, a send and a receive went from 0.011 ms to 5.4 ms with one busy
thread beside them (issue #16; that wait is not what causes the storm's
longest event-loop stalls, see bench/README.md, but it is paid per call).

So a finished transfer hands its socket back instead of closing it. It
stays bound and registered with the event loop; a later transfer to a
*different* client takes it after a quiet spell, so a late duplicate of the
old transfer can never be read as part of the new one (a datagram from
another address is answered as a foreign TID, as before). The session
that takes a socket registers itself as its reader again: asyncio then
only swaps the callback, the mask is unchanged, so no system call is made.
Datagrams that reach an idle socket are read and dropped. At most ``keep``
sockets wait; more are closed, and ``close()`` closes all of them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import socket
import time
from typing import Final

from .net import report_icmp_errors, unreachable_peers

# A socket waits this long after its transfer before another one takes it:
# longer than a phone takes to repeat its last ACK, short enough for the
# sockets of a storm's first seconds to serve the rest of it.
QUIET_SECONDS: Final = 1.0
# Idle sockets kept at most (each is one file descriptor).
KEEP_SOCKETS: Final = 256
# Datagrams read from idle sockets are at most this large (then dropped).
_DROP_SIZE: Final = 2048


class TransferSockets:
    """Hand out bound, registered UDP sockets and take them back for reuse."""

    def __init__(
        self,
        family: socket.AddressFamily,
        host: str,
        *,
        keep: int = KEEP_SOCKETS,
        quiet: float = QUIET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._family = family
        self._host = host
        self._keep = keep
        self._quiet = quiet
        self._clock = clock
        self._socks: dict[int, socket.socket] = {}  # by descriptor
        # Idle sockets in the order they were given back: (usable from,
        # descriptor, the client it last served).
        self._idle: deque[tuple[float, int, tuple[str, int]]] = deque()
        self.opened = 0  # sockets created, for tests and counters
        self.reused = 0

    @property
    def idle(self) -> int:
        """Return how many sockets wait for a transfer."""
        return len(self._idle)

    def take(self, client: tuple[str, int]) -> socket.socket:
        """Return a registered socket for a transfer with ``client``.

        The caller makes itself the reader (``loop.add_reader``). Raises
        ``OSError`` when no socket can be opened (out of descriptors).
        """
        fd = self._reusable(client)
        if fd is None:
            return self._open()
        self.reused += 1
        return self._socks[fd]

    def give_back(self, sock: socket.socket, client: tuple[str, int]) -> None:
        """Take back a finished transfer's socket: keep it idle, or close it."""
        fd = sock.fileno()
        if self._socks.get(fd) is not sock:  # not ours (or closed): nothing kept
            return
        if len(self._idle) >= self._keep:
            self._discard(fd)
            return
        self._loop.add_reader(fd, self._drop, sock)
        self._idle.append((self._clock() + self._quiet, fd, client))

    def close(self) -> None:
        """Close every socket, idle or not (the server stops)."""
        for fd in list(self._socks):
            self._discard(fd)
        self._idle.clear()

    def _reusable(self, client: tuple[str, int]) -> int | None:
        """Take the oldest idle socket that is quiet and served someone else."""
        now = self._clock()
        for index in range(min(2, len(self._idle))):
            ready, fd, last = self._idle[index]
            if ready > now:
                return None  # younger ones are not quiet either
            if last != client:
                del self._idle[index]
                return fd
        return None

    def _open(self) -> socket.socket:
        # SOCK_NONBLOCK at creation spares the setblocking() system call.
        nonblocking = getattr(socket, "SOCK_NONBLOCK", 0)
        sock = socket.socket(self._family, socket.SOCK_DGRAM | nonblocking)
        try:
            if not nonblocking:  # pragma: no cover - Linux has SOCK_NONBLOCK
                sock.setblocking(False)
            sock.bind((self._host, 0))
            report_icmp_errors(sock, self._family)
            self._loop.add_reader(sock.fileno(), self._drop, sock)
        except BaseException:
            sock.close()
            raise
        self._socks[sock.fileno()] = sock
        self.opened += 1
        return sock

    @staticmethod
    def _drop(sock: socket.socket) -> None:
        """Read what reaches an idle socket (a finished transfer's) and drop it."""
        try:
            sock.recv(_DROP_SIZE)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # an ICMP error about the last client: drain the queue
            unreachable_peers(sock)

    def _discard(self, fd: int) -> None:
        sock = self._socks.pop(fd)
        self._loop.remove_reader(fd)
        sock.close()
