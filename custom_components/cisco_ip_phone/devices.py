"""Device-registry upkeep of the phones: firmware, model and name.

It used to live in the firmware sensor, which ran it on every hub change of
every phone. The hub now calls ``sync(mac)`` when an update concerns that
phone; a cache of what was last written makes an unchanged phone cost one
tuple comparison, never a registry lookup.

``info(phone)`` gives the ``DeviceInfo`` a phone's entities are created
with: one per phone, shared by its ~14 entities. Each was a dict with two
sets and two tuples of its own, ~65 objects per phone that every full
garbage collection of Home Assistant's heap walks (issue #16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo

from .const import DOMAIN, MANUFACTURER

if TYPE_CHECKING:
    from .hub import CiscoPhoneHub
    from .phone_entry import PhoneEntry

type _InfoKey = tuple[str, str | None, str, str | None]


class DeviceKeeper:
    """Keep each phone's device entry in step with what was observed."""

    def __init__(self, hass: HomeAssistant, hub: CiscoPhoneHub) -> None:
        self.hass = hass
        self.hub = hub
        self._known: dict[str, tuple[str | None, str, str]] = {}
        self._device_ids: dict[str, str] = {}
        self._infos: dict[str, tuple[_InfoKey, DeviceInfo]] = {}

    @callback
    def info(self, phone: PhoneEntry) -> DeviceInfo:
        """Return the phone's ``DeviceInfo``, the same object for each entity.

        Home Assistant only reads it (to create or find the device), so one
        per phone is safe; a phone whose model, name or firmware changed
        gets a new one, and only the newest is kept per MAC.
        """
        observation = self.hub.observation(phone.mac)
        firmware = observation.firmware if observation is not None else None
        name = self.hub.title(phone.mac)  # what sync() keeps the device named
        key = (phone.model_name, phone.product_id, name, firmware)
        cached = self._infos.get(phone.mac)
        if cached is not None and cached[0] == key:
            return cached[1]
        info = DeviceInfo(
            identifiers={(DOMAIN, phone.mac)},
            connections={(CONNECTION_NETWORK_MAC, dr.format_mac(phone.mac))},
            manufacturer=MANUFACTURER,
            model=phone.model_name,
            model_id=phone.product_id,
            name=name,
            sw_version=str(firmware) if firmware else None,
        )
        self._infos[phone.mac] = (key, info)
        return info

    @callback
    def forget(self, mac: str) -> None:
        """Drop what is kept for a removed phone."""
        self._infos.pop(mac, None)
        self._known.pop(mac, None)
        self._device_ids.pop(mac, None)

    @callback
    def bind(self, mac: str, device_id: str) -> None:
        """Remember a phone's device (its entities tell, once they are added)."""
        if self._device_ids.get(mac) != device_id:
            self._device_ids[mac] = device_id
            self._known.pop(mac, None)
            self.sync(mac)

    @callback
    def sync(self, mac: str) -> None:
        """Keep the device's firmware, model and name in step with the phone."""
        phone = self.hub.phones.get(mac)
        if phone is None:
            return
        firmware = self.hub.running.best(mac)  # TFTP first, then the phone
        wanted = (firmware, phone.model_name, self.hub.title(mac))
        if self._known.get(mac) == wanted:
            return
        device_id = self._device_ids.get(mac)
        registry = dr.async_get(self.hass)
        device = registry.async_get(device_id) if device_id is not None else None
        if device is None:
            return  # entities not added yet; their DeviceInfo is current
        self._known[mac] = wanted
        version = firmware or device.sw_version
        if (version, phone.model_name, wanted[2]) != (
            device.sw_version,
            device.model,
            device.name,
        ):
            registry.async_update_device(
                device.id,
                sw_version=version,
                model=phone.model_name,
                model_id=phone.product_id,
                name=wanted[2],
            )
