"""Shared fixtures for every test.

The Home Assistant test plugin blocks sockets; our servers are real and bind
to 127.0.0.1, so sockets are enabled for every test (connections are still
limited to 127.0.0.1 by the plugin).

No test may need a real resolver: the plugin for Home Assistant 2026 refuses
DNS look-ups, and ``_no_dns`` does the same on 2025.4, so a test that would
only pass with a resolver fails on both releases.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
import ipaddress
from pathlib import Path
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN
from tests.support.ha_common import phone_subentry_data, server_data

# What the newer plugin still lets through (it never reaches a resolver).
_LOCAL_NAMES = {"localhost", "", None}


@pytest.fixture(autouse=True)
def _allow_loopback_sockets(socket_enabled: None) -> None:
    """Let tests bind and talk on loopback."""


def _without_dns(real: Callable[..., Any]) -> Callable[..., Any]:
    def refuse_names(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in _LOCAL_NAMES:
            return real(host, *args, **kwargs)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise RuntimeError(f"DNS look-up of {host!r} in a test") from None
        return real(host, *args, **kwargs)

    return refuse_names


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse DNS look-ups (host names) as the 2026 test plugin does."""
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, _without_dns(getattr(socket, name)))


@pytest.fixture(autouse=True)
def _custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load our custom integration in every test that runs Home Assistant."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


# Home Assistant fixtures: a server entry on free loopback ports -------------


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


@pytest.fixture
def unfrozen_heap() -> Generator[None]:
    """Run with nothing frozen in the collector, as on a plain interpreter.

    Today's test plugin starts tests with the heap frozen (``gc.freeze()``),
    which a storm's heap hold must leave alone; tests of the hold itself
    need the collector to themselves, and freeze again afterwards.
    """
    import gc

    frozen = gc.get_freeze_count()
    if frozen:
        gc.unfreeze()
    yield
    if frozen:
        gc.freeze()
