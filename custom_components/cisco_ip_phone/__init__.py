"""Cisco IP Phone Provisioning: Home Assistant serves Cisco 79xx phones."""

from __future__ import annotations

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .firmware_issues import async_delete_all_issues
from .http import async_setup_phone_services, async_start_phone_services
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub
from .hub_store import HubStore
from .provisioning.settings.models import ProvisioningError
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TEXT,
    Platform.UPDATE,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whether or not a server is set up."""
    async_setup_services(hass)
    async_setup_phone_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CiscoPhoneConfigEntry) -> bool:
    """Start the provisioning server of this entry."""
    try:
        hub = CiscoPhoneHub(hass, entry)
    except ProvisioningError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_settings",
            translation_placeholders={"error": str(err)},
        ) from err
    # Before the first render, so phones' files carry their service URLs.
    await async_start_phone_services(hass, entry, hub)
    entry.runtime_data = hub
    # Registered first so that a failure anywhere below stops what started.
    entry.async_on_unload(hub.async_stop)
    try:
        await hub.async_start()
        entry.async_on_unload(
            hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_STOP, hub.async_stop_on_event
            )
        )
        entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        # A failed setup runs no unload callbacks: stop the servers here, so
        # a retry never meets our own sockets ("Address already in use").
        await hub.async_stop(save=False)
        raise
    return True


async def _async_entry_updated(
    hass: HomeAssistant, entry: CiscoPhoneConfigEntry
) -> None:
    """Apply phone and option changes in place; reload for new ports or root.

    This listener is the only reaction to entry changes: the flows never use
    the reload helpers, so both cannot fight over the entry.
    """
    if not entry.runtime_data.async_apply_entry():
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: CiscoPhoneConfigEntry) -> bool:
    """Stop the servers (through ``async_on_unload``) and unload platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: CiscoPhoneConfigEntry) -> None:
    """Delete the stored observations and every repair issue of a removed server.

    Its issues (one server per Home Assistant) can no longer be fixed, and
    must not greet the user who adds the integration again.
    """
    await HubStore(hass, entry).async_remove()
    async_delete_all_issues(hass)


async def async_remove_config_entry_device(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    device: dr.DeviceEntry,
) -> bool:
    """Allow deleting a device only when no configured phone backs it."""
    hub = entry.runtime_data
    macs = {mac for domain, mac in device.identifiers if domain == DOMAIN}
    if entry.entry_id in macs:
        return False
    return not any(mac in hub.phones for mac in macs)
