"""An automation calling cisco_ip_phone.upgrade_firmware upgrades a phone.

The phone is simulated on SCCP 8.1(2): the action plans one hop through the
universal loader, and the phone's next boot walks it to SIP 8.12.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.update import ATTR_INSTALLED_VERSION
from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from tests.support.firmware import (
    SCCP_8,
    TARGET,
    UPDATE,
    make_entry,
    observation,
    phone_device_id,
    put_firmware,
    remember_phone,
    setup_entry,
    simulated,
)
from tests.support.ha_common import PHONE_MAC
from tests.support.simphone import PhoneState


async def test_automation_upgrades_a_phone(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root, model="7960")
    remember_phone(hass_storage, entry, observation(SCCP_8))
    manager = await setup_entry(hass, entry)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Night upgrade",
                "triggers": {"trigger": "event", "event_type": "upgrade_desk"},
                "actions": {
                    "action": "cisco_ip_phone.upgrade_firmware",
                    "data": {
                        "device_id": phone_device_id(hass),
                        "version": TARGET,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert not manager.in_progress(PHONE_MAC)

    hass.bus.async_fire("upgrade_desk")
    await hass.async_block_till_done()
    assert manager.in_progress(PHONE_MAC)
    assert [hop.image for hop in manager.jobs[PHONE_MAC].hops] == [TARGET]
    assert entry.runtime_data.images == {PHONE_MAC: TARGET}

    phone = simulated(entry, SCCP_8, model="7960")
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()

    assert report.state is PhoneState.REGISTERED, report.error
    assert report.reboots == 2  # the loader, then the application
    assert report.firmware == TARGET
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == TARGET
    assert not manager.in_progress(PHONE_MAC)
