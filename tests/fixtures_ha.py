"""Fixtures shared by the Home Assistant tests (loaded with ``pytest_plugins``).

Servers are real: the config entry points at free loopback ports, picked by
binding port 0, and a temporary TFTP root.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN

from .ha_common import phone_subentry_data, server_data


@pytest.fixture
def tftp_root(tmp_path: Path) -> Path:
    """Return an empty TFTP root folder."""
    root = tmp_path / "tftp"
    root.mkdir()
    return root


@pytest.fixture
def mock_config_entry(tftp_root: Path) -> MockConfigEntry:
    """Return a server entry with one 7960 phone."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Cisco IP phone provisioning",
        data=server_data(tftp_root),
        options={CONF_DISCOVERY: True},
        subentries_data=[phone_subentry_data()],
        entry_id="server_entry_id",
    )


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable every entity, the disabled-by-default ones too."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """Set up the integration with real servers; unload afterwards."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    yield mock_config_entry
    if mock_config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Keep snapshots in tests/snapshots, next to tests/fixtures."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
