"""A firmware walk survives a Home Assistant restart exactly (issue #11 item 2).

The simulated 7940 stops after a given number of reboots (the power of the
restart), Home Assistant's entry is unloaded and set up again from its
Store, and the same phone then boots on: it must reach the target.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from homeassistant.components.update import (
    ATTR_INSTALLED_VERSION,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.firmware_manager import async_get_manager
from custom_components.cisco_ip_phone.provisioning.firmware.upgrade import (
    UpgradeStatus,
)
from tests.support.firmware import (
    SCCP_3,
    TARGET,
    UPDATE,
    make_entry,
    observation,
    put_firmware,
    remember_phone,
    setup_entry,
    simulated,
)
from tests.support.ha_common import PHONE_MAC
from tests.support.simphone import PhoneState


async def _install(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: UPDATE}, blocking=True
    )


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("reboots_before", "recorded", "flashed"),
    [
        (0, 1, "SIP 6.3 downloaded"),
        (1, 2, "loader flashed"),
        # Restarted before the .sbn's end was recorded: the walk still
        # serves the loader hop, and the loader must find a .loads.
        (1, None, "loader flashed, its download not recorded"),
    ],
)
async def test_walk_continues_after_a_restart(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    reboots_before: int,
    recorded: int | None,
    flashed: str,
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    await _install(hass)
    phone = simulated(entry, SCCP_3)
    phone.max_reboots = reboots_before
    report = await phone.boot()
    assert report.state is PhoneState.REBOOT_LIMIT, flashed
    await hass.async_block_till_done()
    if recorded is not None:  # the server saw the last download end
        for _ in range(100):
            if manager.jobs[PHONE_MAC].index >= recorded:
                break
            await asyncio.sleep(0.02)
        assert manager.jobs[PHONE_MAC].index == recorded
    before = manager.jobs[PHONE_MAC].as_dict()
    images = dict(entry.runtime_data.images)

    await _restart(hass, entry)
    manager = async_get_manager(hass, entry.entry_id)  # type: ignore[assignment]
    assert manager is not None
    assert manager.jobs[PHONE_MAC].as_dict() == before  # exactly
    assert entry.runtime_data.images == images  # and the files it serves
    # A second upgrade_firmware while the walk runs does not reset it.
    await hass.services.async_call(
        DOMAIN, "upgrade_firmware", {ATTR_ENTITY_ID: UPDATE}, blocking=True
    )
    assert manager.jobs[PHONE_MAC].as_dict() == before

    phone.max_reboots = 6
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert report.state is PhoneState.REGISTERED, report.error
    assert report.firmware == TARGET
    assert manager.jobs[PHONE_MAC].status is UpgradeStatus.DONE
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.attributes[ATTR_INSTALLED_VERSION] == TARGET
