"""Serve a large file from disk in bounded chunks instead of holding it whole.

Files over the resolver's streaming threshold are not cached: each transfer
keeps the file open (so a replacement mid-transfer cannot mix two versions)
and holds one chunk of it, read in the executor, never on the event loop.
Memory per transfer is one chunk whatever the file size, so 20 phones
fetching an 80 MiB file cost 20 chunks, not 1.6 GB.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
import os

from .events import TransferOutcome
from .packets import ErrorCode, encode_error
from .session import ReadSession, SessionOwner, TransferInfo

_LOGGER = logging.getLogger(__name__)

CHUNK_BYTES = 128 * 1024


@dataclass(slots=True)
class OpenedFile:
    """A file opened for streaming: the descriptor and the size it had."""

    fd: int
    size: int
    closed: bool = False

    def close(self) -> None:
        """Close the descriptor once."""
        if not self.closed:
            self.closed = True
            os.close(self.fd)


def open_for_streaming(path: str) -> OpenedFile:
    """Open a file and record its size (runs in the executor)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        size = os.fstat(fd).st_size
    except OSError:  # pragma: no cover - fstat of an open descriptor
        os.close(fd)
        raise
    return OpenedFile(fd, size)


class StreamReadSession(ReadSession):
    """A ``ReadSession`` whose bytes come from an open file, a chunk at a time."""

    def __init__(
        self,
        owner: SessionOwner,
        client: tuple[str, int],
        info: TransferInfo,
        opened: OpenedFile,
        *,
        blksize: int,
        windowsize: int,
        oack: bytes | None,
        timeout: float,
        retries: int,
        unverified_retries: int | None = None,
    ) -> None:
        super().__init__(
            owner,
            client,
            info,
            b"",
            blksize=blksize,
            windowsize=windowsize,
            oack=oack,
            timeout=timeout,
            retries=retries,
            unverified_retries=unverified_retries,
            size=opened.size,
        )
        self._file = opened
        self._chunk = max(CHUNK_BYTES, blksize * windowsize)
        self._loading: asyncio.Future[bytes] | None = None

    def ensure_loaded(self, start: int, end: int) -> bool:
        """Whether [start, end) is in memory; if not, read it and send after."""
        if self._base <= start and end <= self._limit:
            return True
        if self._loading is None and not self.finished:
            length = min(self._chunk, self.size - start)
            future = self.loop.run_in_executor(
                None, os.pread, self._file.fd, length, start
            )
            self._loading = future
            future.add_done_callback(lambda done: self._loaded(done, start, length))
        return False

    def _loaded(self, done: asyncio.Future[bytes], start: int, length: int) -> None:
        self._loading = None
        if self.finished:
            self._file.close()  # finish() left it open for the pending read
            return
        error = None if done.cancelled() else done.exception()
        if done.cancelled() or error is not None:
            self._fail(f"read failed: {error!r}")
            return
        data = done.result()
        if len(data) != length:
            self._fail("file shrank while being served")
            return
        self._view = memoryview(data)
        self._base = start
        self._limit = start + len(data)
        self._send_window()

    def _fail(self, why: str) -> None:
        self.send(encode_error(ErrorCode.NOT_DEFINED, "Server error"))
        self.finish(TransferOutcome.SERVER_ERROR, why)

    def close_file(self) -> None:
        """Close the file of a session that never started."""
        self._file.close()

    def finish(self, outcome: TransferOutcome, error: str | None = None) -> None:
        """End as usual; close the file now, or once a pending read returns."""
        super().finish(outcome, error)
        self._view = memoryview(b"")
        self._limit = 0
        if self._loading is None:
            # A read still running would use a recycled descriptor number.
            self._file.close()
