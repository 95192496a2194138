"""Validated settings of the FTP upload server.

Everything a user can get wrong is checked here, once, with a message that
names the setting, so the server itself never starts half-configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import ipaddress
from types import MappingProxyType
from typing import Any, Self

from ..settings.models import ProvisioningError

# Names FTP clients send for an anonymous login: never an account, ever.
ANONYMOUS_NAMES = frozenset({"anonymous", "ftp"})
MAX_NAME_LENGTH = 64


class FtpSettingsError(ProvisioningError):
    """A setting the FTP server cannot run with; ``field`` names it."""


class TlsMode(StrEnum):
    """Explicit FTPS (AUTH TLS): off, offered, or required for login."""

    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


def _check_user(name: str, password: str) -> None:
    if not name or len(name) > MAX_NAME_LENGTH:
        raise FtpSettingsError(
            f"FTP user names must be 1-{MAX_NAME_LENGTH} characters", field="users"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        raise FtpSettingsError(
            f"FTP user name {name!r} contains spaces or control characters",
            field="users",
        )
    if name.lower() in ANONYMOUS_NAMES:
        raise FtpSettingsError(
            f"{name!r} is the anonymous login and cannot be an account",
            field="users",
        )
    if not password:
        raise FtpSettingsError(f"FTP user {name!r} needs a password", field="users")
    if any(ch in "\r\n\x00" for ch in password):
        raise FtpSettingsError(
            f"the password of FTP user {name!r} contains a line break or NUL",
            field="users",
        )


def _check_port(value: int, name: str, *, allow_zero: bool) -> None:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise FtpSettingsError(f"{name} must be a whole number", field=name)
    if not low <= value <= 65535:
        raise FtpSettingsError(f"{name} must be {low}-65535, not {value}", field=name)


@dataclass(frozen=True, slots=True)
class FtpSettings:
    """How the FTP server listens, who may log in and what they may do."""

    host: str = "0.0.0.0"
    port: int = 2121
    users: Mapping[str, str] = field(default_factory=dict)
    passive_ports: tuple[int, int] | None = None
    masquerade_address: str | None = None
    allow_delete: bool = False
    tls: TlsMode = TlsMode.OFF
    certfile: str | None = None
    keyfile: str | None = None
    max_login_attempts: int = 3
    lockout_seconds: float = 60.0
    # Additions beyond the interface contract (all with safe defaults).
    max_lockout_seconds: float = 3600.0
    allow_active: bool = False
    fsync_uploads: bool = False
    auth_failed_delay: float = 1.0
    idle_timeout: float = 300.0
    max_connections: int = 256
    # Abuse limits (issue #11, docs/security.md): connections one address
    # may hold, and how long a connection may stay without logging in.
    max_connections_per_address: int = 8
    login_timeout: float = 20.0
    # Loopback can only be this host: not held to the per-address cap.
    exempt_loopback: bool = True

    def __post_init__(self) -> None:
        if not self.host:
            raise FtpSettingsError("the FTP listen address is empty", field="host")
        _check_port(self.port, "port", allow_zero=True)
        if not self.users:
            raise FtpSettingsError(
                "the FTP server needs at least one user with a password",
                field="users",
            )
        for name, password in self.users.items():
            _check_user(name, password)
        object.__setattr__(self, "users", MappingProxyType(dict(self.users)))
        if self.passive_ports is not None:
            low, high = self.passive_ports
            _check_port(low, "passive_ports", allow_zero=False)
            _check_port(high, "passive_ports", allow_zero=False)
            if low > high:
                raise FtpSettingsError(
                    f"passive port range {low}-{high} is reversed",
                    field="passive_ports",
                )
            object.__setattr__(self, "passive_ports", (low, high))
        if self.masquerade_address is not None:
            try:
                ipaddress.IPv4Address(self.masquerade_address)
            except ValueError:
                raise FtpSettingsError(
                    f"masquerade address {self.masquerade_address!r} is not an "
                    "IPv4 address (PASV replies can only carry IPv4)",
                    field="masquerade_address",
                ) from None
        try:
            object.__setattr__(self, "tls", TlsMode(self.tls))
        except ValueError:
            raise FtpSettingsError(
                f"tls must be one of {', '.join(TlsMode)}, not {self.tls!r}",
                field="tls",
            ) from None
        if self.keyfile and not self.certfile:
            raise FtpSettingsError("a key file needs a certificate", field="certfile")
        if self.max_login_attempts < 1:
            raise FtpSettingsError(
                "max_login_attempts must be at least 1", field="max_login_attempts"
            )
        for name in (
            "lockout_seconds",
            "max_lockout_seconds",
            "idle_timeout",
            "login_timeout",
        ):
            if not getattr(self, name) > 0:
                raise FtpSettingsError(f"{name} must be positive", field=name)
        if self.max_lockout_seconds < self.lockout_seconds:
            raise FtpSettingsError(
                "max_lockout_seconds must not be below lockout_seconds",
                field="max_lockout_seconds",
            )
        if self.auth_failed_delay < 0:
            raise FtpSettingsError(
                "auth_failed_delay must not be negative", field="auth_failed_delay"
            )
        if self.max_connections < 1:
            raise FtpSettingsError(
                "max_connections must be at least 1", field="max_connections"
            )
        if not 1 <= self.max_connections_per_address <= self.max_connections:
            raise FtpSettingsError(
                "max_connections_per_address must be 1 to max_connections",
                field="max_connections_per_address",
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build settings from what a config entry stored (see ``as_dict``)."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise FtpSettingsError(
                f"unknown FTP setting(s): {', '.join(unknown)}", field=unknown[0]
            )
        values = dict(data)
        ports = values.get("passive_ports")
        if ports is not None:
            if not isinstance(ports, list | tuple) or len(ports) != 2:
                raise FtpSettingsError(
                    "passive_ports must be a [low, high] pair", field="passive_ports"
                )
            values["passive_ports"] = (ports[0], ports[1])
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict that ``from_dict`` turns back into these."""
        return {
            "host": self.host,
            "port": self.port,
            "users": dict(self.users),
            "passive_ports": list(self.passive_ports) if self.passive_ports else None,
            "masquerade_address": self.masquerade_address,
            "allow_delete": self.allow_delete,
            "tls": str(self.tls),
            "certfile": self.certfile,
            "keyfile": self.keyfile,
            "max_login_attempts": self.max_login_attempts,
            "lockout_seconds": self.lockout_seconds,
            "max_lockout_seconds": self.max_lockout_seconds,
            "allow_active": self.allow_active,
            "fsync_uploads": self.fsync_uploads,
            "auth_failed_delay": self.auth_failed_delay,
            "idle_timeout": self.idle_timeout,
            "max_connections": self.max_connections,
            "max_connections_per_address": self.max_connections_per_address,
            "login_timeout": self.login_timeout,
            "exempt_loopback": self.exempt_loopback,
        }

    def __repr__(self) -> str:
        """Show everything but the passwords (settings end up in logs)."""
        return (
            f"FtpSettings(host={self.host!r}, port={self.port}, "
            f"users={sorted(self.users)!r}, passive_ports={self.passive_ports!r}, "
            f"masquerade_address={self.masquerade_address!r}, "
            f"allow_delete={self.allow_delete}, tls={str(self.tls)!r})"
        )
