"""Entities of the server and of a phone: snapshots, availability, events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.provisioning.server import EngineUpdate
from custom_components.cisco_ip_phone.provisioning.tracking.tracker import (
    PhoneObservation,
    ProvisioningState,
    TrackerEvent,
)
from custom_components.cisco_ip_phone.sensor import as_datetime
from tests.support.ha_common import PHONE_MAC, find_device, phone_subentry_data
from tests.support.registry_snapshot import (
    device_as_dict,
    device_owner,
    snapshot_platform,
)

OBSERVATION = {
    "mac": PHONE_MAC,
    "state": "configured",
    "ip": "192.168.1.50",
    "firmware": "P0S3-8-12-00",
    "last_boot": 1_700_000_000.0,
    "last_config_fetch": 1_700_000_030.0,
    "last_seen": 1_700_000_031.0,
    "fetched": {},
    "error": None,
    "model": "7960",
}


@pytest.fixture
def stored_observation(
    hass_storage: dict[str, Any], mock_config_entry: MockConfigEntry
) -> None:
    """Let the phone have booted before this start."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {
            "tracker": {"version": 1, "phones": [OBSERVATION]},
            "counters": {"transfers": 12, "errors": 1, "uploads": 3},
        },
    }


@pytest.fixture
async def platform_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    request: pytest.FixtureRequest,
    stored_observation: None,
    entity_registry_enabled_by_default: None,
) -> AsyncGenerator[MockConfigEntry]:
    """Set up the integration with one platform only.

    Only 79x1-class phones take pushed messages, so the notify platform is
    shown with the desk phone as a 7961.
    """
    if request.param is Platform.NOTIFY:
        mock_config_entry = MockConfigEntry(
            domain=DOMAIN,
            title=mock_config_entry.title,
            data=mock_config_entry.data,
            options=mock_config_entry.options,
            subentries_data=[phone_subentry_data(model="7961")],
            entry_id=mock_config_entry.entry_id,
        )
    with patch("custom_components.cisco_ip_phone.PLATFORMS", [request.param]):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    yield mock_config_entry
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.mark.parametrize(
    "platform_entry",
    [
        Platform.SENSOR,
        Platform.BINARY_SENSOR,
        Platform.EVENT,
        Platform.BUTTON,
        Platform.UPDATE,
        Platform.SWITCH,
        Platform.NOTIFY,
    ],
    indirect=True,
)
async def test_entities(
    hass: HomeAssistant,
    platform_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, platform_entry.entry_id)
    for entity in er.async_entries_for_config_entry(
        entity_registry, platform_entry.entry_id
    ):
        owner = (
            PHONE_MAC
            if entity.unique_id.startswith(PHONE_MAC)
            else platform_entry.entry_id
        )
        device = find_device(hass, owner)
        assert device is not None
        assert entity.device_id == device.id


async def test_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    devices = sorted(
        dr.async_entries_for_config_entry(device_registry, init_integration.entry_id),
        key=lambda d: d.name or "",
    )
    assert [device_as_dict(device_registry, device) for device in devices] == snapshot
    # Not in the snapshot (its serialiser differs between releases): the
    # server device belongs to the entry, the phone to its own subentry.
    entry_id = init_integration.entry_id
    (phone_subentry,) = init_integration.subentries
    assert [device_owner(device) for device in devices] == [
        (entry_id, None),
        (entry_id, phone_subentry),
    ]


async def test_names_a_person_can_tell_apart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """No two entities of a phone share a name; the model is not said twice."""
    device = find_device(hass, PHONE_MAC)
    assert device is not None
    names = [
        state.attributes.get("friendly_name")
        for entry in er.async_entries_for_device(
            entity_registry, device.id, include_disabled_entities=False
        )
        if (state := hass.states.get(entry.entity_id)) is not None
    ]
    assert len(names) == len(set(names)), names
    assert device.model == "IP Phone 7960"
    assert device.model_id == "CP-7960G"


async def test_noisy_entities_are_disabled_by_default(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    disabled = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if entry.disabled_by is not None
    }
    assert disabled == {
        f"{PHONE_MAC}_last_config_fetch",
        f"{init_integration.entry_id}_uploads",
    }


async def test_firmware_change_updates_the_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    hub = init_integration.runtime_data
    observation = PhoneObservation.from_dict(
        {**OBSERVATION, "firmware": "P0S3-8-11-00"}
    )
    hub.tracker.restore({"version": 1, "phones": [observation.as_dict()]})
    hub.regenerate()
    await hass.async_block_till_done()
    device = find_device(hass, PHONE_MAC)
    assert device is not None
    assert device.sw_version == "P0S3-8-11-00"
    state = hass.states.get("sensor.desk_running_firmware")
    assert state is not None
    assert state.state == "P0S3-8-11-00"


async def test_phone_entities_follow_the_tftp_server(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    await hub.async_stop()
    await hass.async_block_till_done()
    state = hass.states.get("sensor.desk_provisioning_state")
    assert state is not None
    assert state.state == "unavailable"
    tftp = hass.states.get("binary_sensor.cisco_ip_phone_provisioning_tftp_listening")
    assert tftp is not None
    assert tftp.state == "off"
    await hub.async_stop()  # idempotent


async def test_event_entity_fires_with_file_and_reason(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    observation = PhoneObservation.from_dict(OBSERVATION)
    hub.server._emit(
        EngineUpdate(
            events=(
                TrackerEvent("state_changed", PHONE_MAC, observation),
                TrackerEvent(
                    "error", PHONE_MAC, observation, "SIP00113A4B5C6D.cnf", "rejected"
                ),
            ),
            macs=frozenset({PHONE_MAC}),
        )
    )
    await hass.async_block_till_done()
    state = hass.states.get("event.desk_provisioning")
    assert state is not None
    assert state.attributes["event_type"] == "error"
    assert state.attributes["file"] == "SIP00113A4B5C6D.cnf"
    assert state.attributes["reason"] == "rejected"


def test_timestamps_are_timezone_aware() -> None:
    assert as_datetime(None) is None
    value = as_datetime(1_700_000_000.0)
    assert value is not None
    assert value.tzinfo is not None
    assert value.timestamp() == 1_700_000_000.0


def test_enum_options_are_every_state() -> None:
    from custom_components.cisco_ip_phone.sensor import PHONE_SENSORS

    enum = next(d for d in PHONE_SENSORS if d.key == "provisioning_state")
    assert enum.options == [state.value for state in ProvisioningState]
