"""Sensors: what each phone did last, and what the server has served."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .entity import CiscoPhoneEntity, CiscoServerEntity, async_add_phone_entities
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub
from .provisioning.sip.restart import RestartBlocker, RestartMethod
from .provisioning.sip.resync import ResyncState
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
class PhoneStatusDescription(SensorEntityDescription):
    """A phone sensor read from the hub (not from the TFTP observation)."""

    value_fn: Callable[[CiscoPhoneHub, str], str | None]
    reason_fn: Callable[[CiscoPhoneHub, str], str | None]


def _last_resync(hub: CiscoPhoneHub, mac: str) -> str | None:
    attempt = hub.firmware.resyncs.get(mac)
    return str(attempt.state) if attempt is not None else None


def _resync_reason(hub: CiscoPhoneHub, mac: str) -> str | None:
    attempt = hub.firmware.resyncs.get(mac)
    return attempt.reason if attempt is not None else None


def _remote_restart(hub: CiscoPhoneHub, mac: str) -> str:
    capability = hub.online.restart_capability(mac)
    if capability.method is not None:
        return capability.method.replace("-", "_")
    return str(capability.blocker)


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

# Said before the Resync button is pressed (issue #13): how, or why not.
PHONE_STATUS_SENSORS: tuple[PhoneStatusDescription, ...] = (
    PhoneStatusDescription(
        key="last_resync",
        translation_key="last_resync",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ResyncState],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_last_resync,
        reason_fn=_resync_reason,
    ),
    PhoneStatusDescription(
        key="remote_restart",
        translation_key="remote_restart",
        device_class=SensorDeviceClass.ENUM,
        options=[method.replace("-", "_") for method in RestartMethod]
        + [blocker.value for blocker in RestartBlocker],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_remote_restart,
        reason_fn=lambda hub, mac: hub.online.restart_capability(mac).reason or None,
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
        lambda phone: [
            *(CiscoPhoneSensor(hub, phone, desc) for desc in PHONE_SENSORS),
            *(CiscoPhoneStatus(hub, phone, desc) for desc in PHONE_STATUS_SENSORS),
        ],
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


class CiscoPhoneStatus(CiscoPhoneEntity, SensorEntity):
    """A phone's resync result or restart capability, with the reason."""

    entity_description: PhoneStatusDescription

    @property
    def native_value(self) -> str | None:
        """Return the state (an enum option)."""
        return self.entity_description.value_fn(self.hub, self.mac)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the sentence that says why, when there is one."""
        reason = self.entity_description.reason_fn(self.hub, self.mac)
        return {"reason": reason} if reason else None


class CiscoServerSensor(CiscoServerEntity, SensorEntity):
    """A counter of the provisioning server."""

    entity_description: ServerSensorDescription

    @property
    def native_value(self) -> SensorValue:
        """Return the counter."""
        return self.entity_description.value_fn(self.hub)
