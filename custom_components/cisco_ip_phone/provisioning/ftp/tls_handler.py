"""The FTPS (AUTH TLS) flavour of the session handler.

Kept apart so pyOpenSSL is only imported when TLS is switched on.
"""

from __future__ import annotations

from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.handlers.ftps.data import TLS_DTPHandler

from .handler import SessionMixin
from .transfer import AtomicDTPHandler


class AtomicTlsDTPHandler(TLS_DTPHandler, AtomicDTPHandler):  # type: ignore[misc]
    """TLS data channel; the atomic commit runs after the TLS shutdown."""


class TlsSessionHandler(SessionMixin, TLS_FTPHandler):  # type: ignore[misc]
    """Control channel offering (or requiring) AUTH TLS."""

    dtp_handler = AtomicTlsDTPHandler
