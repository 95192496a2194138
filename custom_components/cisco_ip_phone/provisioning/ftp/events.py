"""What the FTP server tells the engine: events, counters and errors.

These types cross from the FTP thread to the event loop, so they are
immutable values; the counters are a snapshot taken under a lock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
import errno
import threading


class FtpEventKind(StrEnum):
    """Kinds of events the FTP server reports."""

    UPLOAD_COMPLETED = "upload_completed"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"


@dataclass(frozen=True, slots=True)
class FtpEvent:
    """One thing that happened on the FTP server.

    ``path`` is relative to the TFTP root with ``/`` separators (uploads
    only); ``user`` is the account the client named, None when it named no
    account (what it typed might be a password);
    ``client`` is ``(ip, port)``; ``lockout_seconds`` is set on lockouts.
    """

    kind: FtpEventKind
    path: str | None
    size: int | None
    user: str | None
    client: tuple[str, int]
    timestamp: float
    lockout_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class FtpStats:
    """Counters since the server started."""

    connections: int = 0
    logins: int = 0
    login_failures: int = 0
    lockouts: int = 0
    refused_connections: int = 0
    uploads: int = 0
    upload_bytes: int = 0
    failed_uploads: int = 0
    downloads: int = 0

    def as_dict(self) -> dict[str, int]:
        """Plain dict for JSON output and diagnostics."""
        return asdict(self)


class StatsCounter:
    """Thread-safe counters behind ``FtpServer.stats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = FtpStats()

    def add(self, **increments: int) -> None:
        """Add to one or more counters atomically."""
        with self._lock:
            current = self._stats
            self._stats = replace(
                current,
                **{name: getattr(current, name) + n for name, n in increments.items()},
            )

    def snapshot(self) -> FtpStats:
        """Return the counters as they are now."""
        with self._lock:
            return self._stats


class BindFailure(StrEnum):
    """Why the FTP server could not start listening."""

    IN_USE = "in_use"
    PERMISSION = "permission"
    ADDRESS = "address"
    TLS = "tls"


class FtpBindError(OSError):
    """The FTP server could not start; ``reason`` says why, for a repair issue.

    ``reason`` is ``"in_use"`` (another program has the port),
    ``"permission"`` (privileged port without the right), ``"address"``
    (no such local address) or ``"tls"`` (certificate or key unusable).
    """

    def __init__(
        self,
        reason: BindFailure,
        message: str,
        *,
        host: str,
        port: int,
        errno_value: int | None = None,
    ) -> None:
        super().__init__(errno_value or errno.EINVAL, message)
        self.reason = reason
        self.host = host
        self.port = port
        self.message = message

    def __str__(self) -> str:
        return self.message
