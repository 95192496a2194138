"""One upload (WRQ) into memory, then written atomically beside its target.

Kept apart from the read path: uploads are off by default (FTP is the way
files arrive) and share only the endpoint plumbing of ``Session``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import os
from pathlib import Path
import tempfile

from .events import TransferOutcome
from .packets import HEADER, OP_ACK, OP_DATA, ErrorCode, encode_error, from_netascii
from .session import Session, SessionOwner, TransferInfo

_PACK_HEADER = HEADER.pack


class WriteSession(Session):
    """Receive one upload into memory, then write it atomically (temp + rename)."""

    def __init__(
        self,
        owner: SessionOwner,
        client: tuple[str, int],
        info: TransferInfo,
        target: Path,
        *,
        blksize: int,
        oack: bytes | None,
        timeout: float,
        retries: int,
        max_size: int,
        netascii: bool = False,
        on_written: Callable[[Path], None] | None = None,
    ) -> None:
        super().__init__(owner, client, info, timeout=timeout, retries=retries)
        self.target = target
        self._blksize = blksize
        self._recv_size = blksize + 5  # one byte more shows an oversized block
        self._oack = oack
        self._max_size = max_size
        self._buffer = bytearray()
        self._expect = 1
        self._last_sent: bytes = oack if oack is not None else _PACK_HEADER(OP_ACK, 0)
        self._on_written = on_written
        self._netascii = netascii
        self._writing = False
        self.commit_task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        self.send(self._last_sent)
        self.progressed()

    def resend(self) -> None:
        self.retransmits += 1
        self.send(self._last_sent)

    def packet(self, opcode: int, data: bytes) -> None:
        if opcode != OP_DATA:
            self.illegal(f"unexpected opcode {opcode} during write")
            return
        if self._writing:
            return
        block = (data[2] << 8) | data[3]
        if block == ((self._expect - 1) & 0xFFFF):
            self.send(self._last_sent)  # our ACK was lost: repeat it
            return
        if block != (self._expect & 0xFFFF):
            return
        payload = data[4:]
        if len(payload) > self._blksize:
            self.illegal("DATA block larger than blksize")
            return
        if len(self._buffer) + len(payload) > self._max_size:
            self.send(encode_error(ErrorCode.DISK_FULL, "Upload too large"))
            self.finish(TransferOutcome.ACCESS_VIOLATION, "upload too large")
            return
        self._buffer += payload
        self._blocks = self._expect
        self._bytes = len(self._buffer)
        self._last_sent = _PACK_HEADER(OP_ACK, self._expect & 0xFFFF)
        self._expect += 1
        self.progressed()
        if len(payload) < self._blksize:
            self._writing = True
            self.commit_task = self.loop.create_task(self._commit())
        else:
            self.send(self._last_sent)

    async def _commit(self) -> None:
        data = bytes(self._buffer)
        if self._netascii:
            data = from_netascii(data)
        try:
            await self.loop.run_in_executor(None, _write_atomically, self.target, data)
        except OSError as err:
            self.send(encode_error(ErrorCode.DISK_FULL, "Cannot store the file"))
            self.finish(TransferOutcome.SERVER_ERROR, f"write failed: {err.strerror}")
            return
        if self.finished:
            return
        self.send(self._last_sent)
        if self._on_written is not None:
            self._on_written(self.target)
        self.finish(TransferOutcome.OK)


def _write_atomically(target: Path, data: bytes) -> None:
    """Write to a temp file beside the target, then rename: never a partial file."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tftp-upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # noqa: PTH101
        os.replace(temp, target)  # noqa: PTH105
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)  # noqa: PTH108
        raise
