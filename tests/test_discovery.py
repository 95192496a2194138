"""Discovered phones: new, ignored, already configured, duplicates, no server."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.config_flow import phone_subentry
from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.provisioning.settings.models import PhoneConfig
from tests.support.ha_common import PHONE_MAC
from tests.support.macs import DISCOVERED_MAC

NEW_MAC = DISCOVERED_MAC


def _info(mac: str = NEW_MAC, **extra: Any) -> dict[str, Any]:
    return {
        "mac": mac,
        "ip": "192.168.1.50",
        "file": f"SIP{mac}.cnf",
        "entry_id": "server_entry_id",
        **extra,
    }


async def _discover(hass: HomeAssistant, info: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_INTEGRATION_DISCOVERY}, data=info
    )
    return result


async def test_new_phone_is_added_on_confirmation(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    result = await _discover(hass, _info())
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"]["ip"] == "192.168.1.50"
    assert result["description_placeholders"]["model"] == "7960"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flows[0]["context"]["title_placeholders"] == {
        "name": "Cisco 7960",
        "ip": "192.168.1.50",
    }
    # The MAC as people write it, not twelve run-together digits.
    assert result["description_placeholders"]["mac_display"] == ":".join(
        NEW_MAC[i : i + 2].lower() for i in range(0, 12, 2)
    )
    # A second request of the same phone does not start a second flow.
    duplicate = await _discover(hass, _info())
    assert duplicate["type"] is FlowResultType.ABORT
    assert duplicate["reason"] == "already_in_progress"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"model": "7960", "label": 'quote " not allowed'}
    )
    # The refusal sits on the field at fault, in words, not as an internal key.
    assert result["errors"] == {"label": "invalid_label"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"model": "7960", "label": "Lobby"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "phone_added"
    await hass.async_block_till_done()
    subentry = next(
        sub for sub in entry.subentries.values() if sub.unique_id == NEW_MAC
    )
    assert subentry.title == "Lobby"
    assert subentry.data["model"] == "7960"
    assert NEW_MAC in entry.runtime_data.phones
    assert hass.states.get("sensor.lobby_provisioning_state") is not None


async def test_model_guess_from_the_requested_file(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _discover(hass, _info(file=f"SEP{NEW_MAC}.cnf.xml"))
    # An XML-family request does not say which model: no made-up "79xx".
    assert result["description_placeholders"]["model"] == ""
    assert result["description_placeholders"]["name"] == "A Cisco IP phone"
    hass.config_entries.flow.async_abort(result["flow_id"])
    result = await _discover(hass, _info(model="7941"))
    assert result["description_placeholders"]["model"] == "7941"
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_configured_phone_aborts(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await _discover(hass, _info(PHONE_MAC))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_ignored_phone_aborts(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await _discover(hass, _info())
    assert result["type"] is FlowResultType.FORM
    # The user presses "ignore": Home Assistant stores the flow's unique id.
    ignored = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": NEW_MAC, "title": "Cisco 7960"},
    )
    assert ignored["type"] is FlowResultType.CREATE_ENTRY
    result = await _discover(hass, _info())
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_without_server_aborts(hass: HomeAssistant) -> None:
    result = await _discover(hass, _info())
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_server"


async def test_server_removed_before_confirmation(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await _discover(hass, _info())
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"model": "7960"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_server"


async def test_invalid_mac_aborts(hass: HomeAssistant) -> None:
    result = await _discover(hass, _info("xyz"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_adding_the_phone_by_hand_ends_its_discovery(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _discover(hass, _info())
    assert result["type"] is FlowResultType.FORM
    hass.config_entries.async_add_subentry(
        init_integration, phone_subentry(PhoneConfig(mac=NEW_MAC, model="7940"))
    )
    await hass.async_block_till_done()
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert NEW_MAC in init_integration.runtime_data.phones
