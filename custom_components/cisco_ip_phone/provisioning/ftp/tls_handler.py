"""The FTPS (AUTH TLS) flavour of the session handler.

Kept apart so pyOpenSSL is only imported when TLS is switched on.
"""

from __future__ import annotations

from OpenSSL import SSL
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.handlers.ftps.data import TLS_DTPHandler

from .handler import SessionMixin
from .transfer import AtomicDTPHandler


class AtomicTlsDTPHandler(TLS_DTPHandler, AtomicDTPHandler):  # type: ignore[misc]
    """TLS data channel; the atomic commit runs after the TLS shutdown."""

    def _peer_reset(self) -> bool:
        """Say no when the client ended the upload with ``close_notify``.

        TLS marks the end of data itself, so a reset that follows it (our
        own ``close_notify`` reaching a client that already closed, as curl
        does when the server answers late) does not make the upload partial.
        """
        try:
            if self.socket.get_shutdown() & SSL.RECEIVED_SHUTDOWN:
                return False
        except (AttributeError, SSL.Error, OSError):
            pass
        return bool(super()._peer_reset())


class TlsSessionHandler(SessionMixin, TLS_FTPHandler):  # type: ignore[misc]
    """Control channel offering (or requiring) AUTH TLS."""

    dtp_handler = AtomicTlsDTPHandler
