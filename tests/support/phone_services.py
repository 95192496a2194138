"""Shared set-up of the phone services tests: a server with an old and a new phone.

Everything is real: the TFTP server the phones fetch their files from (which
also records the address each phone was seen at), Home Assistant's HTTP
stack through ``hass_client_no_auth``, and the entities behind the pages.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import area_registry as ar, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import (
    CONF_DISCOVERY,
    CONF_TFTP_PORT,
    DOMAIN,
)
from custom_components.cisco_ip_phone.http.runtime import PhoneServices
from custom_components.cisco_ip_phone.provisioning.phone_services.validate import (
    validate,
)

from .ha_common import phone_subentry_data, server_data
from .simphone_tftp import tftp_read

OLD_MAC = "00113A4B5C01"  # 7960: SIP<MAC>.cnf, no push
NEW_MAC = "00113A4B5C02"  # 7970: SEP<MAC>.cnf.xml, push
BASE = "http://127.0.0.1:8123"


def services_of(entry: MockConfigEntry) -> PhoneServices:
    """Return the phone services runtime of a loaded entry."""
    services = entry.runtime_data.phone_services
    assert services is not None
    return services


async def seen_over_tftp(entry: MockConfigEntry, mac: str) -> bytes:
    """Fetch the phone's own file over real TFTP from 127.0.0.1; return it."""
    name = f"SIP{mac}.cnf" if mac == OLD_MAC else f"SEP{mac}.cnf.xml"
    result = await tftp_read(("127.0.0.1", entry.data[CONF_TFTP_PORT]), name)
    assert result.ok, result
    return result.data


def make_entities(hass: HomeAssistant) -> dict[str, list[str]]:
    """Create exposed-to-be entities, with working on/off/lock services."""
    calls: dict[str, list[str]] = {}
    area = ar.async_get(hass).async_create("Kitchen")
    registry = er.async_get(hass)
    light = registry.async_get_or_create(
        "light", "test", "k1", suggested_object_id="kitchen"
    )
    registry.async_update_entity(light.entity_id, area_id=area.id)
    hass.states.async_set("light.kitchen", "off", {"friendly_name": "Kitchen light"})
    hass.states.async_set(
        "sensor.temp", "21.5", {"friendly_name": "Temp", "unit_of_measurement": "°C"}
    )
    hass.states.async_set("lock.door", "locked", {"friendly_name": "Front door"})
    hass.states.async_set(
        "switch.evil",
        "off",
        {"friendly_name": "</Name><URL>http://evil/</URL>&amp;]]>"},
    )
    hass.states.async_set("light.secret", "off", {"friendly_name": "Not exposed"})
    hass.states.async_set("input_boolean.x", "off")

    def handler(new_state: str) -> Any:
        async def run(call: ServiceCall) -> None:
            for entity_id in call.data["entity_id"]:
                calls.setdefault(entity_id, []).append(call.service)
                old = hass.states.get(entity_id)
                assert old is not None
                hass.states.async_set(entity_id, new_state, old.attributes)

        return run

    for domain, service, state in (
        ("light", "turn_on", "on"),
        ("light", "turn_off", "off"),
        ("lock", "unlock", "unlocked"),
        ("lock", "lock", "locked"),
    ):
        hass.services.async_register(domain, service, handler(state))
    return calls


EXPOSED = ["light.kitchen", "sensor.temp", "lock.door", "switch.evil", "light.gone"]


@pytest.fixture
async def services_entry(
    hass: HomeAssistant, tmp_path: Path
) -> AsyncGenerator[MockConfigEntry]:
    """A loaded server with two phones, an http:// internal URL, entities."""
    hass.config.internal_url = BASE
    root = tmp_path / "tftp"
    root.mkdir()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Cisco",
        data=server_data(root),
        options={CONF_DISCOVERY: False},
        subentries_data=[
            phone_subentry_data(OLD_MAC, "7960"),
            phone_subentry_data(NEW_MAC, "7970"),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    switch = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{entry.entry_id}_phone_services"
    )
    assert switch is not None
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )
    make_entities(hass)
    await hass.services.async_call(
        DOMAIN, "set_phone_services_entities", {"entity_id": EXPOSED}, blocking=True
    )
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


class PhoneClient:
    """GET/POST pages like a phone, checking every XML page against its rules."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def get(self, url: str) -> tuple[int, dict[str, str], bytes]:
        """GET an absolute URL through Home Assistant's HTTP stack."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = await self.client.get(path)
        body = await response.read()
        headers = dict(response.headers)
        if response.status == 200 and headers["Content-Type"].startswith("text/xml"):
            validate(body)
        return response.status, headers, body

    async def post(self, url: str, data: bytes) -> tuple[int, bytes]:
        """POST a form body."""
        response = await self.client.post(
            urlsplit(url).path,
            data=data,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return response.status, await response.read()
