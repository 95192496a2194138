"""Binary sensors: is a phone online, is its config current, are servers up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import CiscoPhoneEntity, CiscoServerEntity, async_add_phone_entities
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub

PARALLEL_UPDATES = 0

CONFIG_UP_TO_DATE = BinarySensorEntityDescription(
    key="config_up_to_date",
    translation_key="config_up_to_date",
)


ONLINE = BinarySensorEntityDescription(
    key="online",
    translation_key="online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
)
ATTR_ROUND_TRIP_TIME = "round_trip_time"


@dataclass(frozen=True, kw_only=True)
class ServerBinaryDescription(BinarySensorEntityDescription):
    """A state of the provisioning server."""

    is_on_fn: Callable[[CiscoPhoneHub], bool]


SERVER_BINARY_SENSORS: tuple[ServerBinaryDescription, ...] = (
    ServerBinaryDescription(
        key="tftp_listening",
        translation_key="tftp_listening",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda hub: hub.tftp_running,
    ),
    ServerBinaryDescription(
        key="ftp_listening",
        translation_key="ftp_listening",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda hub: hub.ftp_running,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the server's binary sensors and each phone's, now and later."""
    hub = entry.runtime_data
    async_add_entities(
        CiscoServerBinarySensor(hub, description)
        for description in SERVER_BINARY_SENSORS
    )

    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [
            CiscoConfigUpToDate(hub, phone, CONFIG_UP_TO_DATE),
            CiscoPhoneOnline(hub, phone, ONLINE),
        ],
    )


class CiscoConfigUpToDate(CiscoPhoneEntity, BinarySensorEntity):
    """On when the phone has fetched the current version of its files."""

    @property
    def is_on(self) -> bool | None:
        """Return False while changed files wait for the phone ("pending")."""
        return self.hub.config_up_to_date(self.mac)


class CiscoPhoneOnline(CiscoPhoneEntity, BinarySensorEntity):
    """On while the phone answers the hub's periodic SIP OPTIONS (``online.py``).

    Unknown until the first answer (or while its IP is unknown). The round
    trip is an attribute kept out of the recorder, and it only changes when
    it moved meaningfully, so a steady phone writes no state.
    """

    _unrecorded_attributes = frozenset({ATTR_ROUND_TRIP_TIME})

    @property
    def is_on(self) -> bool | None:
        """Return whether the phone answered its last OPTIONS."""
        return self.hub.online.is_online(self.mac)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the round trip of the last answer, in milliseconds."""
        status = self.hub.online.status(self.mac)
        if status is None or status.rtt_ms is None:
            return None
        return {ATTR_ROUND_TRIP_TIME: status.rtt_ms}


class CiscoServerBinarySensor(CiscoServerEntity, BinarySensorEntity):
    """Whether one of the servers is listening."""

    entity_description: ServerBinaryDescription

    @property
    def is_on(self) -> bool:
        """Return the listening state."""
        return self.entity_description.is_on_fn(self.hub)
