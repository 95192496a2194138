"""Phone subentries: add, reconfigure, remove; devices follow at runtime."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import SUBENTRY_PHONE
from tests.support.ha_common import PHONE_MAC, device_subentry_ids, find_device

NEW_MAC = "00:1e:4a:00:00:01"
NEW_MAC_NORMAL = "001E4A000001"


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PHONE), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


def _line(name: str, password: str = "pw") -> dict[str, str]:
    return {"name": name, "auth_name": "", "password": password}


async def test_add_phone_gets_device_and_entities_without_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = init_integration
    hub = entry.runtime_data
    tftp = hub.tftp
    result = await _start(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": "not-a-mac", "model": "7940"}
    )
    assert result["errors"] == {"mac": "invalid_mac"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": NEW_MAC, "model": "7940", "label": "Hall"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lines"
    sections = [str(key) for key in result["data_schema"].schema]
    assert "line_2" in sections
    assert "line_3" not in sections  # a 7940 has two line keys
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"line_1": _line("bad name with spaces")}
    )
    assert result["errors"] == {"base": "invalid_setting"}
    assert '"SIP user name"' in result["description_placeholders"]["error"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "line_1": _line("2001"),
            "line_2": _line(""),
            "proxy_address": "pbx.example.net",
            "proxy_port": 5070,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Hall"
    await hass.async_block_till_done()

    assert hub is entry.runtime_data
    assert hub.tftp is tftp  # servers kept running
    assert NEW_MAC_NORMAL in hub.phones
    phone = hub.phones[NEW_MAC_NORMAL].config
    assert [line.name for line in phone.lines] == ["2001"]
    assert phone.proxy_port == 5070
    assert f"SIP{NEW_MAC_NORMAL}.cnf" in hub.files
    device = find_device(hass, NEW_MAC_NORMAL)
    assert device is not None
    assert device.model == "IP Phone 7940"
    assert device.name == "Hall"
    subentry_id = hub.phones[NEW_MAC_NORMAL].subentry_id
    assert device_subentry_ids(device, entry.entry_id) == {subentry_id}
    entities = er.async_entries_for_device(entity_registry, device.id)
    assert {e.unique_id for e in entities} >= {
        f"{NEW_MAC_NORMAL}_provisioning_state",
        f"{NEW_MAC_NORMAL}_config_up_to_date",
        f"{NEW_MAC_NORMAL}_provisioning",
    }
    state = hass.states.get("binary_sensor.hall_config_up_to_date")
    assert state is not None
    assert state.state == "unknown"  # not seen yet


async def test_add_existing_phone_aborts(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await _start(hass, mock_config_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": PHONE_MAC.lower(), "model": "7960"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_phone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry = init_integration
    hub = entry.runtime_data
    subentry_id = hub.phones[PHONE_MAC].subentry_id
    before = hub.files[f"SIP{PHONE_MAC}.cnf"].digest
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PHONE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"mac": PHONE_MAC, "error": ""}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"model": "7940", "label": "Kitchen"}
    )
    assert result["step_id"] == "lines"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"line_1": _line("1001", "new-pw"), "image": "P0S3-8-11-00"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    phone = hub.phones[PHONE_MAC].config
    assert phone.model == "7940"
    assert phone.image == "P0S3-8-11-00"
    assert phone.lines[0].password == "new-pw"
    assert entry.subentries[subentry_id].title == "Kitchen"
    assert hub.files[f"SIP{PHONE_MAC}.cnf"].digest != before
    device = find_device(hass, PHONE_MAC)
    assert device is not None
    assert device.model == "IP Phone 7940"
    assert device.name == "Kitchen"


async def test_remove_phone_removes_device_and_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = init_integration
    hub = entry.runtime_data
    device = find_device(hass, PHONE_MAC)
    assert device is not None
    assert er.async_entries_for_device(entity_registry, device.id)
    assert hass.states.get("sensor.desk_provisioning_state") is not None
    hass.config_entries.async_remove_subentry(entry, hub.phones[PHONE_MAC].subentry_id)
    await hass.async_block_till_done()
    assert PHONE_MAC not in hub.phones
    assert f"SIP{PHONE_MAC}.cnf" not in hub.files
    assert find_device(hass, PHONE_MAC) is None
    assert device_registry.async_get(device.id) is None
    assert not er.async_entries_for_device(entity_registry, device.id)
    assert hass.states.get("sensor.desk_provisioning_state") is None
