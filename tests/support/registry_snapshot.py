"""Devices, entities and states as plain dicts that read the same on every release.

The test plugin's own snapshot serialisers follow each Home Assistant release's
registry schema: 2026 renamed and dropped device fields (``config_entries``,
``is_new``, ``suggested_area``, ...), turned entity ``aliases`` into a list,
added ``object_id_base`` and keys state attributes with an enum. Snapshots of
the same entities therefore differ between 2025.4 (our minimum) and 2026.x.
These helpers keep what this integration decides, under the same names on
both, so one snapshot set holds on every release we test.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from syrupy.assertion import SnapshotAssertion

# What the integration sets; user settings (area, labels, names given by the
# user) and registry ids are left out.
ENTITY_FIELDS = (
    "entity_id",
    "unique_id",
    "platform",
    "translation_key",
    "has_entity_name",
    "original_name",
    "original_device_class",
    "original_icon",
    "entity_category",
    "capabilities",
    "supported_features",
    "unit_of_measurement",
    "options",
    "disabled_by",
    "hidden_by",
)
DEVICE_FIELDS = (
    "name",
    "manufacturer",
    "model",
    "model_id",
    "hw_version",
    "sw_version",
    "serial_number",
    "identifiers",
    "connections",
    "entry_type",
    "configuration_url",
    "disabled_by",
)


def _plain(value: Any) -> Any:
    """Enum members as their values: their repr differs between releases."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value


def entity_as_dict(entry: er.RegistryEntry) -> dict[str, Any]:
    """Return the fields of an entity registry entry the integration sets."""
    return {field: _plain(getattr(entry, field)) for field in ENTITY_FIELDS}


def state_as_dict(state: State) -> dict[str, Any]:
    """Return an entity's state and its attributes (keys as plain strings)."""
    return {"state": state.state, "attributes": _plain(dict(state.attributes))}


def device_as_dict(
    device_registry: dr.DeviceRegistry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return the fields of a device the integration sets; the parent by name."""
    data = {field: _plain(getattr(device, field)) for field in DEVICE_FIELDS}
    parent = (
        device_registry.async_get(device.via_device_id)
        if device.via_device_id
        else None
    )
    data["via_device"] = parent.identifiers if parent else None
    return data


def device_owner(device: dr.DeviceEntry) -> tuple[str, str | None]:
    """Return the (entry, subentry) a device belongs to, on any release.

    2026 gives a device one entry and subentry (``config_entry_id``,
    ``config_subentry_id``) and deprecates the sets 2025.4 has.
    """
    if hasattr(device, "config_entry_id"):
        return device.config_entry_id, device.config_subentry_id
    ((entry_id, subentries),) = device.config_entries_subentries.items()
    (subentry_id,) = subentries
    return entry_id, subentry_id


async def snapshot_platform(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    config_entry_id: str,
) -> None:
    """The plugin's ``snapshot_platform``, comparing the plain dicts above."""
    entries = er.async_entries_for_config_entry(entity_registry, config_entry_id)
    assert entries
    assert len({entry.domain for entry in entries}) == 1, "one platform at a time"
    for entry in entries:
        assert entity_as_dict(entry) == snapshot(name=f"{entry.entity_id}-entry")
        assert entry.disabled_by is None, "enable every entity"
        state = hass.states.get(entry.entity_id)
        assert state is not None, f"no state for {entry.entity_id}"
        assert state_as_dict(state) == snapshot(name=f"{entry.entity_id}-state")
