"""Setup, unload, failures at bind time, persistence, device removal."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
import socket
import threading
from typing import Any

from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cisco_ip_phone.const import (
    CONF_FTP_PORT,
    CONF_HOST,
    CONF_TFTP_PORT,
    DOMAIN,
)
from custom_components.cisco_ip_phone.hub import ServerCounters
from custom_components.cisco_ip_phone.provisioning.tftp import (
    EventKind,
    TransferEvent,
    TransferOutcome,
)
from custom_components.cisco_ip_phone.repairs import ftp_issue_id
from tests.support.ha_common import (
    FTP_PASSWORD,
    PHONE_MAC,
    find_device,
    free_port,
    port_taken,
)


def _our_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(DOMAIN)]


def _bindable(host: str, port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


async def test_setup_and_unload_leave_nothing_behind(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    hub = mock_config_entry.runtime_data
    assert hub.tftp_running
    assert hub.ftp_running
    assert _our_threads()
    host = mock_config_entry.data[CONF_HOST]
    tftp_port = mock_config_entry.data[CONF_TFTP_PORT]
    ftp_port = mock_config_entry.data[CONF_FTP_PORT]
    assert not _bindable(host, tftp_port, socket.SOCK_DGRAM)
    assert not _bindable(host, ftp_port, socket.SOCK_STREAM)

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert not hub.tftp_running
    assert not hub.ftp_running
    assert _our_threads() == []
    assert _bindable(host, tftp_port, socket.SOCK_DGRAM)
    assert _bindable(host, ftp_port, socket.SOCK_STREAM)


async def test_tftp_port_taken_retries_setup(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    with port_taken(socket.SOCK_DGRAM, mock_config_entry.data[CONF_TFTP_PORT]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
        assert "cannot listen on 127.0.0.1 port" in str(mock_config_entry.reason)
    assert _our_threads() == []
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_invalid_stored_options_fail_setup(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={"time_zone": "not a zone"}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR


async def test_ftp_port_taken_keeps_tftp_and_raises_a_fixable_issue(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with port_taken(socket.SOCK_STREAM, mock_config_entry.data[CONF_FTP_PORT]):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    hub = mock_config_entry.runtime_data
    assert hub.tftp_running
    assert not hub.ftp_running
    assert hub.ftp_error == "in_use"
    assert "FTP uploads are off" in caplog.text
    assert FTP_PASSWORD not in caplog.text
    state = hass.states.get("binary_sensor.cisco_ip_phone_provisioning_ftp_listening")
    assert state is not None
    assert state.state == "off"
    issue_registry = ir.async_get(hass)
    issue = issue_registry.async_get_issue(DOMAIN, ftp_issue_id(mock_config_entry))
    assert issue is not None
    assert issue.translation_key == "ftp_in_use"
    assert issue.is_fixable

    # The fix flow: a bad port is refused in the form, a free one is saved
    # and the entry reloads with FTP running.
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    client = await hass_client()
    resp = await client.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": issue.issue_id},
    )
    assert resp.status == HTTPStatus.OK
    flow: dict[str, Any] = await resp.json()
    assert flow["step_id"] == "ftp_port"
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        resp = await client.post(
            f"/api/repairs/issues/fix/{flow['flow_id']}",
            json={CONF_FTP_PORT: taken.getsockname()[1]},
        )
        flow = await resp.json()
    finally:
        taken.close()
    assert flow["errors"] == {CONF_FTP_PORT: "port_in_use"}
    new_port = free_port(socket.SOCK_STREAM)
    resp = await client.post(
        f"/api/repairs/issues/fix/{flow['flow_id']}", json={CONF_FTP_PORT: new_port}
    )
    flow = await resp.json()
    assert flow["type"] == "create_entry"
    await hass.async_block_till_done()
    assert mock_config_entry.data[CONF_FTP_PORT] == new_port
    assert mock_config_entry.runtime_data.ftp_running
    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_fix_flow_for_a_removed_entry_aborts(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    ir.async_create_issue(
        hass,
        DOMAIN,
        "ftp_unavailable_gone",
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="ftp_in_use",
        translation_placeholders={"port": "21", "title": "x"},
        data={"entry_id": "gone"},
    )
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    result = await hass.data[REPAIRS_DOMAIN]["flow_manager"].async_init(
        DOMAIN, data={"issue_id": "ftp_unavailable_gone"}
    )
    assert result["type"] == "abort"
    assert result["reason"] == "entry_removed"


async def test_home_assistant_stop_stops_servers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not hub.tftp_running
    assert not hub.ftp_running
    assert _our_threads() == []


async def test_state_survives_a_restart(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Observations and counters are stored, and read back on the next start."""
    observation = {
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
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}",
        "data": {
            "tracker": {"version": 1, "phones": [observation]},
            "counters": {"transfers": 7, "errors": 2, "uploads": "bad"},
        },
    }
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    hub = mock_config_entry.runtime_data
    assert hub.counters == ServerCounters(transfers=7, errors=2, uploads=0)
    state = hass.states.get("sensor.desk_provisioning_state")
    assert state is not None
    assert state.state == "configured"
    ip_state = hass.states.get("sensor.desk_ip_address")
    assert ip_state is not None
    assert ip_state.state == "192.168.1.50"
    hub.counters.transfers += 1
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    saved = hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"]["data"]
    assert saved["counters"]["transfers"] == 8
    assert saved["tracker"]["phones"][0]["ip"] == "192.168.1.50"


async def test_unreadable_store_starts_empty(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}",
        "data": {"tracker": ["not", "a", "dict"], "counters": None},
    }
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.runtime_data.counters == ServerCounters()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_removing_the_entry_deletes_its_store(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    key = f"{DOMAIN}.{init_integration.entry_id}"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_only_devices_without_a_phone_can_be_deleted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: Any,
) -> None:
    assert await async_setup_component(hass, "config", {})
    entry = init_integration
    phone = find_device(hass, PHONE_MAC)
    server = find_device(hass, entry.entry_id)
    stale = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "00AABBCCDDEE")}
    )
    assert phone is not None
    assert server is not None
    client = await hass_ws_client(hass)
    for device, allowed in ((phone, False), (server, False), (stale, True)):
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        assert response["success"] is allowed, device.identifiers
    assert device_registry.async_get(stale.id) is None


async def test_observations_survive_unload_and_setup(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A full cycle: what the phone did before a restart is shown after it."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    hub = mock_config_entry.runtime_data
    # A normal probe (creates the observation, is no error), then a real failure.
    hub.feed_transfer(_failed(f"CTLSEP{PHONE_MAC}.tlv", TransferOutcome.NOT_FOUND, 0))
    hub.feed_transfer(_failed("Doorbell.raw", TransferOutcome.TIMEOUT, 1))
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    restarted = mock_config_entry.runtime_data
    assert restarted is not hub
    observation = restarted.observation(PHONE_MAC)
    assert observation is not None
    assert observation.ip == "192.168.1.60"
    assert restarted.counters.errors == 1
    state = hass.states.get("sensor.desk_provisioning_state")
    assert state is not None
    assert state.state == "booting"
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_ftp_that_could_not_start_is_retried_with_back_off(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Issue #11 item 7: once the port frees, FTP starts without a reload."""
    with port_taken(socket.SOCK_STREAM, mock_config_entry.data[CONF_FTP_PORT]):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        hub = mock_config_entry.runtime_data
        assert not hub.ftp_running
        # Still taken at the first retry: the next one waits longer.
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
        await hass.async_block_till_done(wait_background_tasks=True)
        assert not hub.ftp_running
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=35))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hub.ftp_running
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, ftp_issue_id(mock_config_entry))
        is None
    )
    state = hass.states.get("binary_sensor.cisco_ip_phone_provisioning_ftp_listening")
    assert state is not None
    assert state.state == "on"
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_fix_flow_with_the_same_port_really_starts_ftp(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    with port_taken(socket.SOCK_STREAM, mock_config_entry.data[CONF_FTP_PORT]):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    hub = mock_config_entry.runtime_data
    assert not hub.ftp_running
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    manager = hass.data[REPAIRS_DOMAIN]["flow_manager"]
    issue_id = ftp_issue_id(mock_config_entry)
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    port = mock_config_entry.data[CONF_FTP_PORT]
    result = await manager.async_configure(result["flow_id"], {CONF_FTP_PORT: port})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert hub.ftp_running  # same hub: started in place, no reload needed
    assert mock_config_entry.runtime_data is hub
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


def _failed(name: str, outcome: TransferOutcome, index: int) -> TransferEvent:
    """A failed transfer from the phone at 192.168.1.60."""
    return TransferEvent(
        kind=EventKind.FAILED,
        client=("192.168.1.60", 50000 + index),
        requested_name=name,
        resolved_name=None,
        source=None,
        digest=None,
        size=None,
        bytes_sent=0,
        blocks=0,
        retransmits=0,
        duration=0.0,
        outcome=outcome,
        error=str(outcome),
        timestamp=1_700_000_000.0 + index,
    )
