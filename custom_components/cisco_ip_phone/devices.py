"""Device-registry upkeep of the phones: firmware, model and name.

It used to live in the firmware sensor, which ran it on every hub change of
every phone. The hub now calls ``sync(mac)`` when an update concerns that
phone; a cache of what was last written makes an unchanged phone cost one
tuple comparison, never a registry lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING:
    from .hub import CiscoPhoneHub


class DeviceKeeper:
    """Keep each phone's device entry in step with what was observed."""

    def __init__(self, hass: HomeAssistant, hub: CiscoPhoneHub) -> None:
        self.hass = hass
        self.hub = hub
        self._known: dict[str, tuple[str | None, str, str]] = {}
        self._device_ids: dict[str, str] = {}

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
