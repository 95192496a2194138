"""One Store per server (issue #10), validated on load (issue #11 item 1).

The fixture ``stores_main_de0198c.json`` was written by the code before the
single Store (commit de0198c): its hub Store and its firmware Store after a
phone booted and a firmware walk and a resync were started.
"""

from __future__ import annotations

import copy
from datetime import timedelta
import json
from pathlib import Path
import socket
import threading
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cisco_ip_phone.const import DOMAIN, STORAGE_VERSION
from custom_components.cisco_ip_phone.hub_store import ISSUE_STATE_DROPPED, validate
from tests.support.firmware import SCCP_3, SIP_63, TARGET, make_entry, put_firmware
from tests.support.ha_common import PHONE_MAC

FIXTURE = Path(__file__).parent / "fixtures" / "stores_main_de0198c.json"
KEY = f"{DOMAIN}.server_entry_id"
LEGACY = f"{KEY}.firmware"


def _old_stores() -> dict[str, Any]:
    stores: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return stores


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_two_stores_of_main_load_into_one(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    old = _old_stores()
    hass_storage.update(copy.deepcopy(old))
    entry = make_entry(tftp_root, model="7960")
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    hub = entry.runtime_data
    observation = hub.observation(PHONE_MAC)
    assert observation is not None
    assert observation.firmware == SCCP_3
    saved = old[KEY]["data"]["tracker"]["phones"][0]
    assert observation.as_dict() == saved  # the phone's history, unchanged
    assert hub.counters.as_dict() == old[KEY]["data"]["counters"]
    job = hub.firmware.jobs[PHONE_MAC]
    assert job.as_dict() == old[LEGACY]["data"]["jobs"][0]  # the walk, exactly
    assert job.target == TARGET
    assert hub.images[PHONE_MAC] == SIP_63  # and the file it serves
    assert hub.syncs == {PHONE_MAC: "5"}
    # One Store now, written at once; the old firmware Store is gone.
    assert LEGACY not in hass_storage
    assert hass_storage[KEY]["version"] == STORAGE_VERSION
    data = hass_storage[KEY]["data"]
    assert set(data) == {"tracker", "counters", "jobs", "syncs"}
    assert data["jobs"] == old[LEGACY]["data"]["jobs"]
    assert ir.async_get(hass).issues == {}
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Saved again on unload, still in the new form, still the same walk.
    assert hass_storage[KEY]["data"]["jobs"] == old[LEGACY]["data"]["jobs"]


@pytest.mark.parametrize(
    ("firmware_data", "lost"),
    [
        ({"jobs": 5}, "firmware walks"),
        ({"jobs": [], "syncs": {PHONE_MAC: "7\n"}}, f"resync value of {PHONE_MAC}"),
        ({"jobs": [{"version": 1, "mac": "nope"}]}, "a firmware walk"),
    ],
)
async def test_a_bad_part_is_dropped_not_the_setup(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    firmware_data: dict[str, Any],
    lost: str,
) -> None:
    old = _old_stores()
    old[LEGACY]["data"] = firmware_data
    hass_storage.update(old)
    entry = make_entry(tftp_root, model="7960")
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    hub = entry.runtime_data
    assert hub.observation(PHONE_MAC) is not None  # the rest survived
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{ISSUE_STATE_DROPPED}_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert lost in issue.translation_placeholders["parts"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_new_store_of_the_wrong_shape(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    hass_storage[KEY] = {
        "version": STORAGE_VERSION,
        "minor_version": 1,
        "key": KEY,
        "data": {"tracker": [], "counters": 3, "jobs": [], "syncs": ["x"]},
    }
    entry = make_entry(tftp_root, model="7960")
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{ISSUE_STATE_DROPPED}_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    parts = issue.translation_placeholders["parts"]
    assert "phone observations" in parts
    assert "server counters" in parts
    assert "resync values" in parts
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_failed_setup_leaves_nothing_running(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root, model="7960")
    entry.add_to_hass(hass)
    ports: list[int] = []

    async def fail(*_args: Any, **_kwargs: Any) -> bool:
        hub = entry.runtime_data
        ports.append(hub.tftp.port)
        raise RuntimeError("a platform failed")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            hass.config_entries, "async_forward_entry_setups", fail, raising=True
        )
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    hub = entry.runtime_data
    assert not hub.tftp_running
    assert not hub.ftp_running
    # The TFTP port is free again: a retry would not meet our own socket.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", ports[0]))


def test_validate_names_what_it_drops() -> None:
    assert validate(None, {}).dropped == []
    assert validate("x", {}).dropped == ["everything (not a mapping)"]


async def test_an_unreadable_store_is_dropped_not_the_setup(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    entry = make_entry(tftp_root, model="7960")
    with patch(
        "custom_components.cisco_ip_phone.hub_store._EntryStore.async_load",
        side_effect=ValueError("bad JSON"),
    ):
        await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{ISSUE_STATE_DROPPED}_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "unreadable" in issue.translation_placeholders["parts"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_delayed_save_reads_the_state_on_the_event_loop(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant's Store calls a data function in the executor thread,
    while the loop keeps changing the tracker: our delayed write must take
    its data on the loop, then write it."""
    hub = init_integration.runtime_data
    loop_thread = threading.get_ident()
    threads: list[int] = []
    real = hub._data_to_save

    def recording() -> dict[str, Any]:
        threads.append(threading.get_ident())
        return real()

    with patch.object(hub, "_data_to_save", recording):
        hub.async_schedule_save()
        hub.async_schedule_save()  # many changes, one write
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
        await hass.async_block_till_done()
    assert threads == [loop_thread]
    assert hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]["version"] == 2
