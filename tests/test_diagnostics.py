"""Diagnostics of the server and of a phone: complete, and without secrets."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.cisco_ip_phone.diagnostics import (
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)
from tests.support.ha_common import FTP_PASSWORD, LINE_PASSWORD, PHONE_MAC, find_device

# Values that change with every run (free ports, the temporary folder).
VOLATILE = props("root", "tftp_port", "ftp_port", "passive_start", "passive_end")


async def test_entry_diagnostics(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    data = await async_get_config_entry_diagnostics(hass, init_integration)
    text = json.dumps(data)
    assert FTP_PASSWORD not in text
    assert LINE_PASSWORD not in text
    assert data == snapshot(exclude=VOLATILE)


async def test_device_diagnostics(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    phone = find_device(hass, PHONE_MAC)
    server = find_device(hass, init_integration.entry_id)
    assert phone is not None
    assert server is not None
    data = await async_get_device_diagnostics(hass, init_integration, phone)
    assert LINE_PASSWORD not in json.dumps(data)
    assert data["config"]["lines"][0]["password"] == "**REDACTED**"
    assert data == snapshot
    server_data = await async_get_device_diagnostics(hass, init_integration, server)
    assert server_data == await async_get_config_entry_diagnostics(
        hass, init_integration
    )
