"""Helpers shared by the Home Assistant tests (data of a server and a phone).

Servers in tests are real: entries point at free loopback ports, picked by
binding port 0, and a temporary TFTP root.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
import socket
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.cisco_ip_phone.const import (
    CONF_FTP_PASSWORD,
    CONF_FTP_PORT,
    CONF_FTP_USERNAME,
    CONF_HOST,
    CONF_PASSIVE_END,
    CONF_PASSIVE_START,
    CONF_ROOT,
    CONF_TFTP_PORT,
    DOMAIN,
    SUBENTRY_PHONE,
)
from tests.support.macs import PHONE_MAC

LINE_PASSWORD = "line-secret-1"
FTP_PASSWORD = "ftp-secret-2"


def free_port(kind: socket.SocketKind) -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def port_taken(kind: socket.SocketKind, port: int = 0) -> Iterator[int]:
    """Hold a loopback port (listening, for TCP) while the block runs; yield it.

    The code under test then finds the port in use, as it would with another
    TFTP or FTP server on the machine.
    """
    with socket.socket(socket.AF_INET, kind) as blocker:
        blocker.bind(("127.0.0.1", port))
        if kind == socket.SOCK_STREAM:
            blocker.listen()
        taken: int = blocker.getsockname()[1]
        yield taken


def server_data(root: Path) -> dict[str, Any]:
    """Return entry data for a server on free loopback ports."""
    passive = free_port(socket.SOCK_STREAM)
    return {
        CONF_ROOT: str(root),
        CONF_HOST: "127.0.0.1",
        CONF_TFTP_PORT: free_port(socket.SOCK_DGRAM),
        CONF_FTP_PORT: free_port(socket.SOCK_STREAM),
        CONF_PASSIVE_START: passive,
        CONF_PASSIVE_END: passive,
        CONF_FTP_USERNAME: "cisco",
        CONF_FTP_PASSWORD: FTP_PASSWORD,
    }


def phone_data(mac: str = PHONE_MAC, model: str = "7960") -> dict[str, Any]:
    """Return the subentry data of a phone with one line."""
    return {
        "mac": mac,
        "model": model,
        "label": "Desk",
        "lines": [
            {
                "name": "1001",
                "auth_name": "1001",
                "password": LINE_PASSWORD,
                "display_name": "Alice",
                "short_name": "1001",
            }
        ],
        "proxy_address": "",
        "proxy_port": None,
        "image": "",
        "dial_plan": True,
        "phone_password": None,
    }


def phone_subentry_data(
    mac: str = PHONE_MAC, model: str = "7960"
) -> ConfigSubentryData:
    """Return a phone subentry as MockConfigEntry takes it."""
    return ConfigSubentryData(
        data=MappingProxyType(phone_data(mac, model)),
        subentry_id=f"sub_{mac}",
        subentry_type=SUBENTRY_PHONE,
        title="Desk",
        unique_id=mac,
    )


def add_phone_subentry(
    hass: HomeAssistant, entry: ConfigEntry, mac: str, title: str = "Lobby"
) -> None:
    """Add a phone to a running entry, as the subentry flow's last step does."""
    data = phone_subentry_data(mac)
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=data["data"],
            subentry_type=data["subentry_type"],
            title=title,
            unique_id=mac,
        ),
    )


def find_device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry | None:
    """Return our device with ``identifier`` (a MAC, or a server's entry id).

    Home Assistant 2026.8 deprecated ``DeviceRegistry.async_get_device`` (it
    raises when a test calls it) and its replacements are missing on 2025.4,
    so look through the devices of our config entries, which works on both.
    """
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if (DOMAIN, identifier) in device.identifiers:
                return device
    return None


def device_subentry_ids(device: dr.DeviceEntry, entry_id: str) -> set[str | None]:
    """Return the config subentries of a device, on 2025.4 and 2026.8+ alike.

    2026.8 gave a device one ``config_subentry_id`` and deprecated the
    ``config_entries_subentries`` mapping (raised when a test reads it).
    """
    if hasattr(device, "config_subentry_id"):  # Home Assistant 2026.8+
        return {device.config_subentry_id}
    return device.config_entries_subentries[entry_id]
