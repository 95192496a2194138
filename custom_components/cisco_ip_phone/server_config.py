"""The server's settings as stored in the config entry, turned into engine objects.

``data`` holds how the server is reached (folder, address, ports, FTP
account): changing it rebinds the servers. ``options`` holds tunables that
only change generated files: ``ServerSettings`` fields and the discovery
switch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .const import (
    CONF_DISCOVERY,
    CONF_FTP_ALLOW_DELETE,
    CONF_FTP_CERTFILE,
    CONF_FTP_KEYFILE,
    CONF_FTP_MASQUERADE,
    CONF_FTP_PASSWORD,
    CONF_FTP_PORT,
    CONF_FTP_TLS,
    CONF_FTP_USERNAME,
    CONF_HOST,
    CONF_PASSIVE_END,
    CONF_PASSIVE_START,
    CONF_ROOT,
    CONF_TFTP_PORT,
    FTP_OPTION_KEYS,
)
from .provisioning.ftp.settings import FtpSettings, TlsMode
from .provisioning.settings.models import ServerSettings

CONNECTION_KEYS = (
    CONF_ROOT,
    CONF_HOST,
    CONF_TFTP_PORT,
    CONF_FTP_PORT,
    CONF_PASSIVE_START,
    CONF_PASSIVE_END,
    CONF_FTP_USERNAME,
    CONF_FTP_PASSWORD,
    *FTP_OPTION_KEYS,
)


def settings_from_options(options: Mapping[str, Any]) -> ServerSettings:
    """Return the engine settings held in the options (raises ProvisioningError)."""
    return ServerSettings.from_dict(
        {
            key: value
            for key, value in options.items()
            if key != CONF_DISCOVERY and key not in FTP_OPTION_KEYS
        }
    )


def ftp_security_from_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the FTP security options with their defaults, empty text as None."""
    return {
        CONF_FTP_TLS: str(options.get(CONF_FTP_TLS) or TlsMode.OFF),
        CONF_FTP_CERTFILE: str(options.get(CONF_FTP_CERTFILE) or "").strip() or None,
        CONF_FTP_KEYFILE: str(options.get(CONF_FTP_KEYFILE) or "").strip() or None,
        CONF_FTP_MASQUERADE: (
            str(options.get(CONF_FTP_MASQUERADE) or "").strip() or None
        ),
        CONF_FTP_ALLOW_DELETE: bool(options.get(CONF_FTP_ALLOW_DELETE, False)),
    }


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything one provisioning server runs with."""

    root: str
    host: str
    tftp_port: int
    ftp_port: int
    passive_start: int
    passive_end: int
    ftp_username: str
    ftp_password: str
    settings: ServerSettings
    discovery: bool
    ftp_tls: str = TlsMode.OFF
    ftp_certfile: str | None = None
    ftp_keyfile: str | None = None
    ftp_masquerade_address: str | None = None
    ftp_allow_delete: bool = False

    @classmethod
    def from_entry(
        cls, data: Mapping[str, Any], options: Mapping[str, Any]
    ) -> ServerConfig:
        """Build from entry data and options (options were validated by the flow)."""
        return cls(
            root=str(data[CONF_ROOT]),
            host=str(data[CONF_HOST]),
            tftp_port=int(data[CONF_TFTP_PORT]),
            ftp_port=int(data[CONF_FTP_PORT]),
            passive_start=int(data[CONF_PASSIVE_START]),
            passive_end=int(data[CONF_PASSIVE_END]),
            ftp_username=str(data[CONF_FTP_USERNAME]),
            ftp_password=str(data[CONF_FTP_PASSWORD]),
            settings=settings_from_options(options),
            discovery=bool(options.get(CONF_DISCOVERY, True)),
            **ftp_security_from_options(options),
        )

    def same_connection(self, other: ServerConfig) -> bool:
        """Return whether both can run on the same bound servers."""
        return all(getattr(self, key) == getattr(other, key) for key in CONNECTION_KEYS)

    def ftp_settings(self) -> FtpSettings:
        """Return the FTP server's settings (one account, ports, security)."""
        return FtpSettings(
            host=self.host,
            port=self.ftp_port,
            users={self.ftp_username: self.ftp_password},
            passive_ports=(self.passive_start, self.passive_end),
            masquerade_address=self.ftp_masquerade_address,
            allow_delete=self.ftp_allow_delete,
            tls=TlsMode(self.ftp_tls),
            certfile=self.ftp_certfile,
            keyfile=self.ftp_keyfile,
        )
