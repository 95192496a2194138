"""TFTP tunables and counters.

Every limit an outsider could push against has a field here with a safe
default (see docs/security.md for what each one protects); values are
checked once, at construction, so a server never runs half-configured.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import ProvisioningError
from .resolver import ResolverStats


class TftpSettingsError(ProvisioningError):
    """A TFTP setting the server cannot run with; ``field`` names it."""


_POSITIVE_INTS = (
    "retries",
    "max_sessions",
    "max_blksize",
    "max_windowsize",
    "max_upload_size",
    "max_sessions_per_source",
    "max_option_timeout",
    "max_unacked_bytes_per_source",
)


@dataclass(frozen=True, slots=True)
class TftpSettings:
    """Tunables; the defaults suit a LAN of Cisco phones."""

    timeout: float = 1.0
    retries: int = 5
    max_sessions: int = 2000
    max_blksize: int = 1468  # Ethernet MTU 1500 - IP 20 - UDP 8 - TFTP 4
    max_windowsize: int = 64
    receive_buffer: int = 8 * 1024 * 1024
    allow_write_dir: Path | None = None
    max_upload_size: int = 64 * 1024 * 1024
    # -- abuse limits (issue #11); see docs/security.md
    # Transfers one address may hold at once: a burst from one host cannot
    # take every slot. A phone asks for one file at a time.
    max_sessions_per_source: int = 16
    # Slots only addresses the ``is_known_client`` hook vouches for may take,
    # so known phones are served even while strangers fill the rest (at
    # most half of max_sessions is ever reserved).
    reserved_sessions: int = 200
    # A client's ``timeout`` option above this is not acknowledged (we keep
    # our own timeout): a slot cannot be pinned for 255 s x retries.
    max_option_timeout: int = 5
    # Retransmissions to a client that has not acknowledged anything yet: a
    # spoofed source is sent little more than the first packet.
    unverified_retries: int = 1
    # Bytes in flight to one address that it has not acknowledged; requests
    # beyond are dropped silently (no amplification toward a spoofed source).
    max_unacked_bytes_per_source: int = 16 * 1024
    # Requests from loopback can only come from this host (the kernel drops
    # 127/8 and ::1 arriving on a network interface): local tools and the
    # benchmark are not held to the per-address limits.
    exempt_loopback: bool = True

    def __post_init__(self) -> None:
        for name in _POSITIVE_INTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise TftpSettingsError(
                    f"{name} must be a whole number of at least 1", field=name
                )
        if not self.timeout > 0:
            raise TftpSettingsError("timeout must be positive", field="timeout")
        if self.reserved_sessions < 0:
            raise TftpSettingsError(
                "reserved_sessions must not be negative", field="reserved_sessions"
            )
        if not 0 <= self.unverified_retries <= self.retries:
            raise TftpSettingsError(
                "unverified_retries must be between 0 and retries",
                field="unverified_retries",
            )
        if self.max_option_timeout > 255:
            raise TftpSettingsError(
                "max_option_timeout must be 1-255 (RFC 2349)",
                field="max_option_timeout",
            )


@dataclass(frozen=True, slots=True)
class TftpStats:
    """Counters since start."""

    requests: int
    completed: int
    failed: int
    not_found: int
    access_denied: int
    malformed: int
    busy: int
    bytes_sent: int
    active: int
    retransmits: int
    receive_buffer: int
    resolver: ResolverStats
    # Requests refused or dropped by the abuse limits (issue #11).
    source_limited: int = 0
    unreachable: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON and diagnostics)."""
        return asdict(self)
