"""Diagnostics of the server and of each phone, with every secret redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_FTP_PASSWORD, DOMAIN
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub

# Keys whose values are secrets wherever they appear (entry data, options,
# phone settings, line settings).
TO_REDACT = {CONF_FTP_PASSWORD, "password", "phone_password"}


def _phone_diagnostics(hub: CiscoPhoneHub, mac: str) -> dict[str, Any]:
    """Return one phone's settings, observation and generated files."""
    phone = hub.phones.get(mac)
    observation = hub.observation(mac)
    return {
        "config": phone.config.as_dict() if phone else None,
        "observation": observation.as_dict() if observation else None,
        "config_up_to_date": hub.config_up_to_date(mac),
        "running_image": hub.running.diagnostics(mac),
        "files": {
            name: {"digest": file.digest, "size": len(file.content)}
            for name, file in sorted(hub.files.items())
            if file.mac == mac
        },
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CiscoPhoneConfigEntry
) -> dict[str, Any]:
    """Return the server's settings and state, and every phone's."""
    hub = entry.runtime_data
    data: dict[str, Any] = {
        "entry": {
            "data": dict(entry.data),
            "options": dict(entry.options),
            "subentries": [
                {"title": sub.title, "unique_id": sub.unique_id, "data": dict(sub.data)}
                for sub in entry.subentries.values()
            ],
        },
        "server": {
            "tftp_running": hub.tftp_running,
            "ftp_running": hub.ftp_running,
            "ftp_error": hub.ftp_error,
            "counters": hub.counters.as_dict(),
            "phones_seen": hub.phones_seen,
            "generated_files": sorted(hub.files),
        },
        "phones": {
            mac: _phone_diagnostics(hub, mac)
            for mac in sorted(set(hub.phones) | set(hub.tracker.observations()))
        },
    }
    manager = hub.firmware
    data["server"]["firmware"] = manager.catalog_diagnostics()
    for mac, phone in data["phones"].items():
        phone["firmware"] = manager.phone_diagnostics(mac)
    return async_redact_data(data, TO_REDACT)


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: CiscoPhoneConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return one phone's diagnostics (or the server's, for its device)."""
    hub = entry.runtime_data
    macs = [ident for domain, ident in device.identifiers if domain == DOMAIN]
    if entry.entry_id in macs or not macs:
        return await async_get_config_entry_diagnostics(hass, entry)
    data = _phone_diagnostics(hub, macs[0])
    data["firmware"] = hub.firmware.phone_diagnostics(macs[0])
    return async_redact_data(data, TO_REDACT)
