"""Phone services state: stored data validated on load, URLs, areas, messages."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.network import NoURLAvailableError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.http.entities import view_of
from custom_components.cisco_ip_phone.http.runtime import phone_base_url
from custom_components.cisco_ip_phone.http.views import same_address
from custom_components.cisco_ip_phone.provisioning.phone_services.access import (
    new_token,
)
from tests.support.ha_common import phone_subentry_data, server_data
from tests.support.phone_services import OLD_MAC


async def test_stored_state_is_validated_part_by_part(
    hass: HomeAssistant, hass_storage: dict[str, Any], tmp_path: Any
) -> None:
    hass.config.internal_url = "http://127.0.0.1:8123"
    good = new_token()
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=server_data(tmp_path),
        subentries_data=[phone_subentry_data(OLD_MAC, "7960")],
        entry_id="stored",
    )
    hass_storage[f"{DOMAIN}.stored.phone_services"] = {
        "version": 1,
        "key": f"{DOMAIN}.stored.phone_services",
        "data": {
            "enabled": True,
            "exposed": ["light.a", 5],
            "tokens": {OLD_MAC: good, "BAD": "short", "X": 3},
        },
    }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    services = entry.runtime_data.phone_services
    assert services.enabled
    assert services.exposed == {"light.a"}
    assert services.token_of(OLD_MAC) == good
    assert services.token_of("BAD") is None
    assert services.mac_for_token("nope") is None
    assert services.directory.phone("001122334499") is None
    assert good in entry.runtime_data.files[f"SIP{OLD_MAC}.cnf"].content.decode()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_no_plain_http_url_means_no_urls(
    hass: HomeAssistant, tmp_path: Any, caplog: Any
) -> None:
    hass.config.internal_url = "https://ha.example:8123"
    assert phone_base_url(hass) is None
    # A Home Assistant without any URL (nothing configured, nothing found).
    no_url = patch(
        "homeassistant.helpers.network.get_url",
        side_effect=NoURLAvailableError,
    )
    no_url.start()
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=server_data(tmp_path),
        subentries_data=[phone_subentry_data(OLD_MAC, "7960")],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    services = entry.runtime_data.phone_services
    services.async_set_enabled(True)
    services.async_set_enabled(True)
    cnf = entry.runtime_data.files[f"SIP{OLD_MAC}.cnf"].content.decode()
    assert "cisco_ip_phone/" not in cnf
    assert caplog.text.count("need an http:// local URL") == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
    no_url.stop()


async def test_area_comes_from_the_device(hass: HomeAssistant) -> None:
    area = ar.async_get(hass).async_create("Study")
    config = MockConfigEntry(domain="test")
    config.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=config.entry_id, identifiers={("test", "d1")}
    )
    dr.async_get(hass).async_update_device(device.id, area_id=area.id)
    er.async_get(hass).async_get_or_create(
        "sensor", "test", "s1", suggested_object_id="lamp", device_id=device.id
    )
    hass.states.async_set("sensor.lamp", "3", {"unit_of_measurement": 5})
    view = view_of(hass, "sensor.lamp")
    assert view is not None
    assert view.area == "Study"
    assert view.unit == ""


def test_same_address() -> None:
    assert same_address("10.0.0.5", "::ffff:10.0.0.5")
    assert same_address("10.0.0.5", "10.0.0.5")
    assert not same_address("10.0.0.5", "10.0.0.6")
    assert not same_address(None, "10.0.0.5")
    assert not same_address("10.0.0.5", "garbage")
