"""Base entities: one for a phone's device, one for the server's device."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub, PhoneEntry
from .provisioning.tracking.tracker import TrackerEvent


@callback
def async_add_phone_entities(
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[PhoneEntry], Iterable[Entity]],
) -> None:
    """Add each phone's entities now, and those of phones added later.

    Entities go to the phone's own subentry, so each phone has one device and
    removing the phone removes them (dynamic devices without a reload).
    """
    hub = entry.runtime_data

    @callback
    def add_phone(subentry_id: str, phone: PhoneEntry) -> None:
        async_add_entities(build(phone), config_subentry_id=subentry_id)

    for phone in hub.phones.values():
        add_phone(phone.subentry_id, phone)
    entry.async_on_unload(hub.async_add_phone_listener(add_phone))


class CiscoHubEntity(Entity):
    """An entity pushed by the hub that writes its state only when it changed.

    The hub asks an entity to refresh when something about its phone (or
    the server) may have changed; the entity compares what it would show
    with what it last wrote and stays silent when nothing differs, so a burst
    of transfers costs a few real state changes, not one write per transfer.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: CiscoPhoneHub, description: EntityDescription) -> None:
        self.hub = hub
        self.entity_description = description
        self._written: tuple[Any, ...] | None = None

    def _shown(self) -> tuple[Any, ...]:
        """Return everything the state machine would get from this entity."""
        return (
            self.available,
            self.state,
            self.state_attributes,
            self.extra_state_attributes,
        )

    async def async_added_to_hass(self) -> None:
        """Remember what is written right after this (the first state).

        Also ask the recorder to grow its caches before it stores that first
        state (``recorder_cache``): paced, so 14,000 entities ask ~once per
        half second.
        """
        await super().async_added_to_hass()
        self._written = self._shown()
        self.hub.recorder_cache.schedule()

    @callback
    def _handle_hub_update(self) -> None:
        """Write the state if (and only if) what the entity shows changed."""
        shown = self._shown()
        if shown == self._written:
            return
        self._written = shown
        self.async_write_ha_state()


class CiscoPhoneEntity(CiscoHubEntity):
    """An entity of one configured phone; unavailable while TFTP is down."""

    def __init__(
        self, hub: CiscoPhoneHub, phone: PhoneEntry, description: EntityDescription
    ) -> None:
        super().__init__(hub, description)
        self.mac = phone.mac
        self._attr_unique_id = f"{phone.mac}_{description.key}"
        self._attr_device_info = hub.devices.info(phone)

    async def async_added_to_hass(self) -> None:
        """Follow this phone's updates only (never every phone's)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hub.async_subscribe_phone(self.mac, self._handle_phone_update)
        )
        if self.device_entry is not None:
            self.hub.devices.bind(self.mac, self.device_entry.id)

    @callback
    def _handle_phone_update(self, events: tuple[TrackerEvent, ...]) -> None:
        """Refresh on an update about this phone (events: its tracker events)."""
        self._handle_hub_update()

    @property
    def available(self) -> bool:
        """Return whether the server that watches the phone is running."""
        return self.hub.tftp_running


class CiscoServerEntity(CiscoHubEntity):
    """An entity of the provisioning server's own device."""

    def __init__(self, hub: CiscoPhoneHub, description: EntityDescription) -> None:
        super().__init__(hub, description)
        entry_id = hub.entry.entry_id
        self._attr_unique_id = f"{entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry_id)},
            manufacturer="Home Assistant",
            model="TFTP/FTP provisioning server",
            name=hub.entry.title,
            entry_type=dr.DeviceEntryType.SERVICE,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the server's coalesced updates."""
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_subscribe_server(self._handle_hub_update))
