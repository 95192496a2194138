"""Data channel for uploads: publish only what really arrived in full.

A stream-mode FTP upload ends with the data connection's EOF, which a
killed client produces too. So an upload is published (renamed into
place) only if the data connection ended with a FIN, not a reset, and the
control connection is still up ``COMMIT_GRACE_SECONDS`` later to hear the
reply (a killed client's two FINs can arrive in either order). This is
best effort by nature: a client whose exit stalls for longer than the
grace between closing its two sockets cannot be told from a live one.
A failed write or rename becomes a proper 451/452 reply instead of a
half-written file. Runs in the FTP thread.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import sys
from typing import Any

from pyftpdlib.exceptions import _FileReadWriteError
from pyftpdlib.handlers.ftp.data import DTPHandler
from pyftpdlib.ioloop import _ERRNOS_DISCONNECTED

from .fs import PartialUpload

_LOGGER = logging.getLogger(__name__)

# How long after an upload's data EOF the control connection must still be
# up for the upload to count (see AtomicDTPHandler).
COMMIT_GRACE_SECONDS = 0.003
# tcpi_state after a reset (a FIN leaves the socket in CLOSE_WAIT instead).
_TCP_CLOSE = 7
_HANGUP = select.POLLRDHUP | select.POLLHUP | select.POLLERR | select.POLLNVAL
# Reads per I/O-loop turn before other sessions get their turn (fairness).
_MAX_READS_PER_TURN = 16


def _client_hung_up(channel: Any) -> bool:
    """Whether the control connection's peer has gone (killed client)."""
    if getattr(channel, "_closed", True):
        return True
    poller = select.poll()
    try:
        poller.register(channel.socket, _HANGUP)
    except (OSError, ValueError):  # socket already closed underneath
        return True
    return bool(poller.poll(0))


def _store_error(err: OSError, outcome: str) -> str:
    """FTP reply for a failed write: 452 when the disk is full, else 451."""
    code = 452 if err.errno in (errno.ENOSPC, errno.EDQUOT) else 451
    reason = os.strerror(err.errno) if err.errno else str(err)
    return f"{code} {reason}; {outcome}."


class AtomicDTPHandler(DTPHandler):  # type: ignore[misc]
    """Data channel that publishes an upload only when it really completed.

    A stream-mode upload ends with the data connection's EOF, which a
    killed client also produces; so the upload only counts as complete if
    the control connection is still there to hear the reply. The two FINs
    of a killed client can arrive in either order, so the check waits a
    few milliseconds (``commit_grace``) after the data EOF.
    """

    commit_grace = COMMIT_GRACE_SECONDS
    # Bigger than pyftpdlib's 64 KiB: a 256 MiB firmware then takes a few
    # hundred loop turns instead of 4096 each way (recv size, sendfile size).
    ac_in_buffer_size = 256 * 1024
    ac_out_buffer_size = 1024 * 1024
    aborted = False
    _grace_pending = False
    _read_view: memoryview | None = None

    def handle_read(self) -> None:
        """Drain the socket into one reused buffer per wake-up (plain uploads).

        pyftpdlib reads one chunk per I/O-loop turn into a new ``bytes``, so a
        256 MiB firmware upload pays thousands of polls and allocations;
        reading until the socket is empty (bounded, for fairness) into a
        preallocated buffer keeps uploads at vsftpd's speed (bench/run_ftp.py).
        TLS and ASCII-mode transfers keep pyftpdlib's own path.
        """
        sock = self.socket
        if type(sock) is not socket.socket or self._data_wrapper is not None:
            super().handle_read()
            return
        view = self._read_view
        if view is None:
            view = self._read_view = memoryview(bytearray(self.ac_in_buffer_size))
        for _ in range(_MAX_READS_PER_TURN):
            try:
                size = sock.recv_into(view)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                if err.errno in _ERRNOS_DISCONNECTED:
                    self.handle_close()  # a reset: handle_close tells it apart
                else:
                    self.handle_error()
                return
            if not size:  # the client's FIN: same order as pyftpdlib
                self.handle_close()
                self.transfer_finished = True
                return
            self.tot_bytes_received += size
            try:
                self.file_obj.write(view[:size])
            except OSError as err:
                raise _FileReadWriteError(err) from err

    handle_read_event = handle_read

    def handle_close(self) -> None:
        if (
            self.receive
            and not self._closed
            and not self._grace_pending
            and isinstance(self.file_obj, PartialUpload)
        ):
            self._grace_pending = True
            if self._peer_reset():
                self.aborted = True  # a reset is no clean end of file
            self.del_channel()
            self.ioloop.call_later(
                self.commit_grace, self._end_of_upload, _errback=self.handle_error
            )
            return
        super().handle_close()

    def _peer_reset(self) -> bool:
        """Whether the data connection ended with a reset instead of a FIN."""
        try:
            info = self.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)
        except (OSError, AttributeError):
            return False
        return bool(info) and info[0] == _TCP_CLOSE

    def _end_of_upload(self) -> None:
        if self._closed:  # the session ended meanwhile
            return
        self.add_channel()
        super().handle_close()

    def close(self) -> None:
        upload = self.file_obj if isinstance(self.file_obj, PartialUpload) else None
        if (
            upload is not None
            and not self._closed
            and self.receive
            and self.transfer_finished
            and not self.aborted
            and not upload.committed
        ):
            self._commit(upload)
        super().close()
        if upload is not None and upload.discard():
            self.cmd_channel.context.stats.add(failed_uploads=1)

    def handle_error(self) -> None:
        # pyftpdlib loses the errno of a failed write ("426 None"); keep it.
        cause = getattr(sys.exc_info()[1], "__cause__", None)
        if self.receive and isinstance(cause, OSError) and cause.errno:
            self._resp = (_store_error(cause, "upload aborted"), _LOGGER.warning)
            self.close()
            return
        super().handle_error()

    def _commit(self, upload: PartialUpload) -> None:
        channel = self.cmd_channel
        if _client_hung_up(channel):
            self.transfer_finished = False
            self._resp = ("426 Connection lost; upload discarded.", _LOGGER.info)
            return
        try:
            size = upload.commit()
        except OSError as err:
            self.transfer_finished = False
            self._resp = (_store_error(err, "upload not stored"), _LOGGER.warning)
            return
        channel.upload_committed(upload.name, size)
