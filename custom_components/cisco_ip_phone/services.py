"""Actions: regenerate files, walk phones to a firmware, resync phones.

Registered once in ``async_setup`` (rule action-setup). Targets are device
ids and/or entity ids read from the call data directly: the service helpers
that extract them changed their signature in 2026.10, so they are avoided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
import voluptuous as vol

from .const import DOMAIN
from .firmware_manager import FirmwareManager, async_get_manager
from .hub import CiscoPhoneConfigEntry
from .provisioning.firmware import FirmwareNameError, Role, parse_image_name

SERVICE_REGENERATE: Final = "regenerate_configs"
SERVICE_UPGRADE: Final = "upgrade_firmware"
SERVICE_RESYNC: Final = "resync"
ATTR_VERSION: Final = "version"
ATTR_NEXT_HOP_ONLY: Final = "next_hop_only"
ATTR_CURRENT_VERSION: Final = "current_version"

_TARGETS: Final = {
    vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_ENTITY_ID): cv.entity_ids,
}
REGENERATE_SCHEMA: Final = vol.Schema(_TARGETS)
RESYNC_SCHEMA: Final = vol.Schema(_TARGETS)
UPGRADE_SCHEMA: Final = vol.Schema(
    {
        **_TARGETS,
        vol.Optional(ATTR_VERSION): cv.string,
        vol.Optional(ATTR_NEXT_HOP_ONLY, default=False): cv.boolean,
        vol.Optional(ATTR_CURRENT_VERSION): cv.string,
    }
)


@dataclass(frozen=True, slots=True)
class PhoneTarget:
    """A phone an action applies to, with the server that serves it."""

    entry: CiscoPhoneConfigEntry
    manager: FirmwareManager
    mac: str


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _device_ids(hass: HomeAssistant, call: ServiceCall) -> list[str]:
    """Return the devices named directly or through one of their entities."""
    devices = list(call.data.get(ATTR_DEVICE_ID, []))
    registry = er.async_get(hass)
    for entity_id in call.data.get(ATTR_ENTITY_ID, []):
        entity = registry.async_get(entity_id)
        if entity is None or entity.platform != DOMAIN or entity.device_id is None:
            raise _invalid("unknown_entity", entity_id=entity_id)
        devices.append(entity.device_id)
    return list(dict.fromkeys(devices))


def _target(hass: HomeAssistant, device_id: str) -> PhoneTarget:
    """Return the phone behind a device id, or say why it cannot be used."""
    device = dr.async_get(hass).async_get(device_id)
    macs = (
        []
        if device is None
        else [ident for dom, ident in device.identifiers if dom == DOMAIN]
    )
    entries: list[CiscoPhoneConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for mac in macs:
        for entry in entries:
            if entry.state is not ConfigEntryState.LOADED:
                if any(sub.unique_id == mac for sub in entry.subentries.values()):
                    raise _invalid("entry_not_loaded", title=entry.title)
                continue
            manager = async_get_manager(hass, entry.entry_id)
            if manager is not None and mac in entry.runtime_data.phones:
                return PhoneTarget(entry, manager, mac)
    raise _invalid("unknown_device", device_id=device_id)


def _targets(
    hass: HomeAssistant, call: ServiceCall, *, required: bool
) -> list[PhoneTarget]:
    devices = _device_ids(hass, call)
    if required and not devices:
        raise _invalid("no_phones")
    return [_target(hass, device_id) for device_id in devices]


def _checked_version(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        image = parse_image_name(value.strip())
    except FirmwareNameError as err:
        raise _invalid("invalid_version", version=value, error=str(err)) from err
    if image.role not in (Role.APPLICATION, Role.IMAGE, Role.MANIFEST):
        raise _invalid("invalid_version", version=value, error="not an image")
    return image.base


async def _async_regenerate(hass: HomeAssistant, call: ServiceCall) -> None:
    """Render every file again and re-read the firmware in the TFTP root."""
    targets = _targets(hass, call, required=False)
    if targets:
        managers = {target.entry.entry_id: target.manager for target in targets}
    else:
        managers = {
            entry.entry_id: manager
            for entry in hass.config_entries.async_entries(DOMAIN)
            if (manager := async_get_manager(hass, entry.entry_id)) is not None
        }
        if not managers:
            raise _invalid("no_server")
    for manager in managers.values():
        manager.hub.regenerate()
        await manager.async_rescan()


async def _async_upgrade(hass: HomeAssistant, call: ServiceCall) -> None:
    """Walk each phone to the version (or its target), or just the next hop."""
    targets = _targets(hass, call, required=True)
    version = _checked_version(call.data.get(ATTR_VERSION))
    current = _checked_version(call.data.get(ATTR_CURRENT_VERSION))
    for target in targets:
        await target.manager.async_install(
            target.mac,
            version,
            next_hop_only=call.data[ATTR_NEXT_HOP_ONLY],
            current=current,
        )


async def _async_resync(hass: HomeAssistant, call: ServiceCall) -> None:
    """Send each phone a check-sync NOTIFY with a new sync value."""
    for target in _targets(hass, call, required=True):
        await target.manager.hub.online.async_check_resync(target.mac)
        target.manager.async_resync(target.mac)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""

    async def regenerate(call: ServiceCall) -> None:
        await _async_regenerate(hass, call)

    async def upgrade(call: ServiceCall) -> None:
        await _async_upgrade(hass, call)

    async def resync(call: ServiceCall) -> None:
        await _async_resync(hass, call)

    hass.services.async_register(
        DOMAIN, SERVICE_REGENERATE, regenerate, schema=REGENERATE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_UPGRADE, upgrade, schema=UPGRADE_SCHEMA
    )
    hass.services.async_register(DOMAIN, SERVICE_RESYNC, resync, schema=RESYNC_SCHEMA)
