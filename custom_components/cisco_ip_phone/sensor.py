"""Sensors: what each phone did last, and what the server has served."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import CiscoPhoneConfigEntry, CiscoPhoneHub
from .entity import CiscoPhoneEntity, CiscoServerEntity, async_add_phone_entities
from .provisioning.tracking.tracker import PhoneObservation, ProvisioningState

PARALLEL_UPDATES = 0

type SensorValue = str | int | datetime | None


def as_datetime(value: float | None) -> datetime | None:
    """Return an aware datetime for an engine timestamp (epoch seconds)."""
    return None if value is None else dt_util.utc_from_timestamp(value)


@dataclass(frozen=True, kw_only=True)
class PhoneSensorDescription(SensorEntityDescription):
    """A phone sensor, read from the phone's observation."""

    value_fn: Callable[[PhoneObservation], SensorValue]


@dataclass(frozen=True, kw_only=True)
class ServerSensorDescription(SensorEntityDescription):
    """A server sensor, read from the hub."""

    value_fn: Callable[[CiscoPhoneHub], SensorValue]


PHONE_SENSORS: tuple[PhoneSensorDescription, ...] = (
    PhoneSensorDescription(
        key="provisioning_state",
        translation_key="provisioning_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ProvisioningState],
        value_fn=lambda obs: str(obs.state),
    ),
    PhoneSensorDescription(
        key="last_boot",
        translation_key="last_boot",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda obs: as_datetime(obs.last_boot),
    ),
    PhoneSensorDescription(
        key="firmware",
        translation_key="firmware",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda obs: obs.firmware,
    ),
    PhoneSensorDescription(
        key="ip_address",
        translation_key="ip_address",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda obs: obs.ip,
    ),
    PhoneSensorDescription(
        key="last_config_fetch",
        translation_key="last_config_fetch",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda obs: as_datetime(obs.last_config_fetch),
    ),
)

SERVER_SENSORS: tuple[ServerSensorDescription, ...] = (
    ServerSensorDescription(
        key="transfers",
        translation_key="transfers",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda hub: hub.counters.transfers,
    ),
    ServerSensorDescription(
        key="errors",
        translation_key="errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda hub: hub.counters.errors,
    ),
    ServerSensorDescription(
        key="uploads",
        translation_key="uploads",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=lambda hub: hub.counters.uploads,
    ),
    ServerSensorDescription(
        key="phones_seen",
        translation_key="phones_seen",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda hub: hub.phones_seen,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the server's sensors and those of every phone, now and later."""
    hub = entry.runtime_data
    async_add_entities(
        CiscoServerSensor(hub, description) for description in SERVER_SENSORS
    )

    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: (
            CiscoPhoneSensor(hub, phone, description) for description in PHONE_SENSORS
        ),
    )


class CiscoPhoneSensor(CiscoPhoneEntity, SensorEntity):
    """A sensor of one phone."""

    entity_description: PhoneSensorDescription

    @property
    def native_value(self) -> SensorValue:
        """Return the observed value, or unknown before the phone was seen."""
        observation = self.hub.observation(self.mac)
        if observation is None:
            return None
        return self.entity_description.value_fn(observation)

    @callback
    def _handle_hub_update(self) -> None:
        """Keep the device's firmware, model and name in step (one entity does)."""
        if self.entity_description.key == "firmware":
            self._sync_device()
        super()._handle_hub_update()

    @callback
    def _sync_device(self) -> None:
        """Update the device registry when the phone or its settings changed."""
        phone = self.hub.phones.get(self.mac)
        device = self.device_entry
        if phone is None or device is None:
            return
        firmware = self.native_value
        version = str(firmware) if firmware else device.sw_version
        title = self.hub.entry.subentries[phone.subentry_id].title
        if (version, phone.model_name, title) != (
            device.sw_version,
            device.model,
            device.name,
        ):
            dr.async_get(self.hass).async_update_device(
                device.id,
                sw_version=version,
                model=phone.model_name,
                model_id=str(phone.config.model),
                name=title,
            )


class CiscoServerSensor(CiscoServerEntity, SensorEntity):
    """A counter of the provisioning server."""

    entity_description: ServerSensorDescription

    @property
    def native_value(self) -> SensorValue:
        """Return the counter."""
        return self.entity_description.value_fn(self.hub)
