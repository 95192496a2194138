"""A simulated 7940 on SCCP 3.x walks to SIP 8.12, driven only by update.install.

The phone is ``tests.support.simphone.SimulatedPhone``: a real TFTP client on
loopback that reads ``OS79XX.TXT`` on old images, refuses images its boot
code cannot load ("Load ID Incorrect"), and goes through the loader and
application reboots. Nothing between it and the update entity is mocked;
the only prior state is what a restart keeps: the phone's IP and firmware.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.update import (
    ATTR_IN_PROGRESS,
    ATTR_INSTALLED_VERSION,
    ATTR_RELEASE_SUMMARY,
    ATTR_UPDATE_PERCENTAGE,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event

from custom_components.cisco_ip_phone.const import DOMAIN
from tests.support.firmware import (
    LOADER,
    SCCP_3,
    SIP_63,
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


def _watch(hass: HomeAssistant, seen: list[tuple[Any, Any]]) -> Any:
    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            attributes = new.attributes
            seen.append(
                (attributes[ATTR_IN_PROGRESS], attributes[ATTR_UPDATE_PERCENTAGE])
            )

    return async_track_state_change_event(hass, [UPDATE], record)


async def test_sccp3_to_sip_812_in_three_hops(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)

    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes[ATTR_INSTALLED_VERSION] == SCCP_3
    assert state.attributes[ATTR_RELEASE_SUMMARY] == (
        f"Hops ahead: {SIP_63} → {LOADER} → {TARGET}"
    )

    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: UPDATE}, blocking=True
    )
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] == 0
    # The first hop is served to this phone alone.
    assert entry.runtime_data.images == {PHONE_MAC: SIP_63}

    seen: list[tuple[Any, Any]] = []
    unsub = _watch(hass, seen)
    phone = simulated(entry, SCCP_3)
    report = await phone.boot()  # the user power-cycles the phone once
    await phone.stop()
    await hass.async_block_till_done()
    unsub()

    assert report.state is PhoneState.REGISTERED, report.error
    assert report.firmware == TARGET
    assert report.reboots == 3
    names = report.names
    assert names[:2] == ["OS79XX.TXT", f"{SIP_63}.bin"]
    assert f"{LOADER}.sbn" in names
    assert names.index(f"{LOADER}.sbn") < names.index(f"{TARGET}.sb2")

    # Each step moved the entity forward, and it settled on 8.12.
    percentages = [pct for running, pct in seen if running]
    assert percentages == sorted(percentages)
    assert len(set(percentages)) >= 3
    assert 0 < percentages[0] < percentages[-1] < 100
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] is None
    assert state.attributes[ATTR_INSTALLED_VERSION] == TARGET
    assert manager.jobs[PHONE_MAC].percentage == 100
    # The target is the configured image, so no per-phone override is left.
    assert entry.runtime_data.images == {}
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"hop_files_missing_{PHONE_MAC}")
        is None
    )


async def test_missing_application_image_ends_in_a_repair_issue(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root, skip=f"{TARGET}.sb2")
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)

    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: UPDATE}, blocking=True
    )
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(DOMAIN, f"hop_files_missing_{PHONE_MAC}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "phone": "Desk",
        "image": TARGET,
        "files": f"{TARGET}.sb2",
    }
    assert issue.learn_more_url is not None
    assert issue.learn_more_url.endswith("docs/firmware.md#if-it-stops")

    phone = simulated(entry, SCCP_3)
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()

    # The phone got as far as the files allow, and nothing waits forever.
    assert report.state is PhoneState.FIRMWARE_ERROR
    assert f"{TARGET}.sb2" in (report.error or "")
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.attributes[ATTR_IN_PROGRESS] is False
    job = manager.jobs[PHONE_MAC]
    assert job.files == (f"{TARGET}.sb2",)
    assert "Stopped" in state.attributes[ATTR_RELEASE_SUMMARY]
    assert issues.async_get_issue(DOMAIN, f"hop_files_missing_{PHONE_MAC}")
    missing = issues.async_get_issue(DOMAIN, f"firmware_not_found_{PHONE_MAC}")
    assert missing is not None
    assert missing.translation_placeholders == {
        "phone": "Desk",
        "file": f"{TARGET}.sb2",
    }

    # Uploading the file lets the walk go on; the next boot finishes it.
    put_firmware(tftp_root)
    await manager.async_rescan()
    await hass.async_block_till_done()
    assert manager.in_progress(PHONE_MAC)
    assert issues.async_get_issue(DOMAIN, f"hop_files_missing_{PHONE_MAC}") is None
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert report.state is PhoneState.REGISTERED, report.error
    assert manager.installed_version(PHONE_MAC) == TARGET
    assert not manager.in_progress(PHONE_MAC)
    assert issues.async_get_issue(DOMAIN, f"firmware_not_found_{PHONE_MAC}") is None
