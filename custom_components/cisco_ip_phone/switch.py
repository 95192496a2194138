"""The server's phone services switch: Services/Directories URLs and pushes.

Turning it off removes the URLs from every phone's file (phones forget them
at their next resync) and makes every phone page answer 404 at once. It is a
switch rather than an option because it is a runtime state an automation
may flip (e.g. at night), kept in the phone services Store.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import CiscoServerEntity
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub

PARALLEL_UPDATES = 0

PHONE_SERVICES = SwitchEntityDescription(
    key="phone_services",
    translation_key="phone_services",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the phone services switch of the server."""
    async_add_entities([PhoneServicesSwitch(entry.runtime_data, PHONE_SERVICES)])


class PhoneServicesSwitch(CiscoServerEntity, SwitchEntity):
    """Whether phones of this server get Services, Directories and pushes."""

    def __init__(
        self, hub: CiscoPhoneHub, description: SwitchEntityDescription
    ) -> None:
        super().__init__(hub, description)
        assert hub.phone_services is not None
        self.services = hub.phone_services

    @property
    def is_on(self) -> bool:
        """Return whether the feature is on."""
        return self.services.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Write the URLs into the phones' files again."""
        self.services.async_set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Remove the URLs and refuse every phone request."""
        self.services.async_set_enabled(False)
