"""Issue #12 items 2 and 3: is the phone up, and what does it run.

The simulated phone (tests/simphone.py) answers OPTIONS over real UDP with
its ``Server`` header and serves its device-information page over real
HTTP; the poller's timer is driven with ``async_fire_time_changed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.components.text import (
    ATTR_VALUE,
    DOMAIN as TEXT_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.update import ATTR_INSTALLED_VERSION
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cisco_ip_phone.button import _regenerate
from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.hub import CiscoPhoneHub
from custom_components.cisco_ip_phone.online import (
    FIRST_SLOT,
    OnlinePoller,
    _meaningful,
)
from custom_components.cisco_ip_phone.provisioning.errors import ProvisioningError
from custom_components.cisco_ip_phone.provisioning.sip.identity import PhoneIdentity
from custom_components.cisco_ip_phone.provisioning.sip.qualify import QualifyResult
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentSource,
    TransferEvent,
)
from custom_components.cisco_ip_phone.running_image import image_of
from tests.support.firmware import (
    TARGET,
    UPDATE,
    make_entry,
    observation,
    phone_device_id,
    remember_phone,
    setup_entry,
)
from tests.support.ha_common import PHONE_MAC
from tests.support.simphone import SimulatedPhone

ONLINE = "binary_sensor.desk_online"
STATED = "text.desk_running_firmware_as_read_on_the_phone"
REMOTE_RESTART = "sensor.desk_remote_restart"


class _Clock:
    """Moves Home Assistant's timers forward (the poller's slots)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.now: datetime = dt_util.utcnow()

    async def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        async_fire_time_changed(self.hass, self.now)
        await self.hass.async_block_till_done()


async def _until(
    hass: HomeAssistant, entity_id: str, attribute: str | None, want: Any
) -> None:
    """Wait (bounded) until a state (or attribute) has the wanted value."""
    async with asyncio.timeout(10):
        while True:
            await hass.async_block_till_done()
            state = hass.states.get(entity_id)
            if state is not None:
                value = (
                    state.state
                    if attribute is None
                    else state.attributes.get(attribute)
                )
                if value == want:
                    return
            await asyncio.sleep(0.02)


@pytest.fixture
async def sim_phone() -> AsyncGenerator[list[SimulatedPhone]]:
    """Collect simulated phones and stop them after the test."""
    phones: list[SimulatedPhone] = []
    yield phones
    for phone in phones:
        await phone.stop()


async def _phone_up(
    phones: list[SimulatedPhone], model: str, firmware: str, *, web: bool = False
) -> tuple[SimulatedPhone, int | None]:
    phone = SimulatedPhone(PHONE_MAC, model=model, firmware=firmware)
    phones.append(phone)
    await phone.start_sip()
    web_port = await phone.start_web() if web else None
    return phone, web_port


async def _start(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    *,
    model: str,
    port: int,
    firmware: str | None = None,
    ip: str | None = "127.0.0.1",
) -> MockConfigEntry:
    entry = make_entry(tftp_root, model=model, voip_control_port=port)
    remember_phone(hass_storage, entry, observation(firmware, ip))
    await setup_entry(hass, entry)
    hub: CiscoPhoneHub = entry.runtime_data
    hub.online.timeout = 0.3
    return entry


async def test_online_follows_the_phone_and_stated_firmware_fills_the_gap(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    sim_phone: list[SimulatedPhone],
) -> None:
    """A 7960 on SIP 8.12 whose image never appears in its requests."""
    phone, _ = await _phone_up(sim_phone, "7960", TARGET)
    entry = await _start(
        hass, tftp_root, hass_storage, model="7960", port=phone.sip_port
    )
    hub: CiscoPhoneHub = entry.runtime_data
    clock = _Clock(hass)
    state = hass.states.get(ONLINE)
    assert state is not None
    assert state.state == "unknown"

    await clock.advance(FIRST_SLOT + 1)
    await _until(hass, ONLINE, None, "on")
    state = hass.states.get(ONLINE)
    assert state is not None
    assert isinstance(state.attributes["round_trip_time"], int)
    assert phone.sip_stack is not None
    assert phone.sip_stack.received == ["OPTIONS"]
    # "/8.0" says SIP 8.x only: shown, never compared (no false "update").
    update = hass.states.get(UPDATE)
    assert update is not None
    assert update.attributes[ATTR_INSTALLED_VERSION] == "SIP 8.x"
    assert update.state == "off"
    assert hub.firmware.is_newer(TARGET, "SIP 8.x") is False

    # The user reads the image on the phone and states it.
    await hass.services.async_call(
        TEXT_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: STATED, ATTR_VALUE: " p0s3-8-12-00 "},
        blocking=True,
    )
    text = hass.states.get(STATED)
    assert text is not None
    assert text.state == "P0S3-8-12-00"
    update = hass.states.get(UPDATE)
    assert update is not None
    assert update.attributes[ATTR_INSTALLED_VERSION] == "P0S3-8-12-00"
    assert hub._data_to_save()["stated"] == {PHONE_MAC: "P0S3-8-12-00"}

    # The phone goes away: the next OPTIONS finds nobody.
    await phone.stop()
    await clock.advance(hub.online.interval + 1)
    await _until(hass, ONLINE, None, "off")
    state = hass.states.get(ONLINE)
    assert state is not None
    assert "round_trip_time" not in state.attributes

    # The statement survives a restart (the hub's Store).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    text = hass.states.get(STATED)
    assert text is not None
    assert text.state == "P0S3-8-12-00"

    # And an empty text forgets it.
    await hass.services.async_call(
        TEXT_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: STATED, ATTR_VALUE: ""},
        blocking=True,
    )
    assert entry.runtime_data.running.stated == {}


async def test_79x1_image_comes_from_its_device_page(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    sim_phone: list[SimulatedPhone],
) -> None:
    """The page's exact load beats the SIP version (which lacks the SR)."""
    phone, web_port = await _phone_up(sim_phone, "7961", "SIP41.9-0-3SR1S", web=True)
    entry = await _start(
        hass, tftp_root, hass_storage, model="7961", port=phone.sip_port
    )
    hub: CiscoPhoneHub = entry.runtime_data
    assert web_port is not None
    hub.running.web_port = web_port
    await _Clock(hass).advance(FIRST_SLOT + 1)
    await _until(hass, UPDATE, ATTR_INSTALLED_VERSION, "SIP41.9-0-3SR1S")
    assert hub.running.diagnostics(PHONE_MAC) == {
        "online": True,
        "best": "SIP41.9-0-3SR1S",
        "stated": None,
        "device_page_app_load": "jar41sip.9-0-3SR1S",
        "sip_identity": "9.0.3",
        "sip_load": None,
    }
    registry = dr.async_get(hass)
    entry_device = registry.async_get(phone_device_id(hass))
    assert entry_device is not None
    assert entry_device.sw_version == "SIP41.9-0-3SR1S"
    # Said before the Resync button is pressed (issue #13).
    restart = hass.states.get(REMOTE_RESTART)
    assert restart is not None
    assert restart.state == "needs_register_call_id"


async def test_79x1_without_a_page_shows_its_sip_version(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    sim_phone: list[SimulatedPhone],
) -> None:
    phone, _ = await _phone_up(sim_phone, "7961", "SIP41.8-5-4S")
    entry = await _start(
        hass, tftp_root, hass_storage, model="7961", port=phone.sip_port
    )
    hub: CiscoPhoneHub = entry.runtime_data
    hub.running.web_port = 9  # nothing listens: "no page" is normal
    await _Clock(hass).advance(FIRST_SLOT + 1)
    await _until(hass, UPDATE, ATTR_INSTALLED_VERSION, "SIP41.8-5-4S")


async def test_stated_firmware_is_checked(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    await _start(hass, tftp_root, hass_storage, model="7960", port=5060)
    for value in ("hello", "8.0", "jar41sip"):
        with pytest.raises(ServiceValidationError) as caught:
            await hass.services.async_call(
                TEXT_DOMAIN,
                SERVICE_SET_VALUE,
                {ATTR_ENTITY_ID: STATED, ATTR_VALUE: value},
                blocking=True,
            )
        assert caught.value.translation_key == "invalid_running_firmware"
    state = hass.states.get(STATED)
    assert state is not None
    assert state.state == ""


async def test_bad_stored_statements_are_dropped_with_a_repair(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root, model="7960")
    remember_phone(hass_storage, entry, observation(None))
    data = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    data["stated"] = {PHONE_MAC: "garbage", "001122334455": "P0S3-8-12-00"}
    await setup_entry(hass, entry)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"stored_state_dropped_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["parts"] == f"stated firmware of {PHONE_MAC}"
    assert entry.runtime_data.running.stated == {}


async def test_stored_statements_of_the_wrong_shape_are_dropped(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root, model="7960")
    remember_phone(hass_storage, entry, observation(None))
    hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["stated"] = ["P0S3-8-12-00"]
    await setup_entry(hass, entry)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"stored_state_dropped_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["parts"] == "stated firmware"


def _not_found(name: str) -> TransferEvent:
    return TransferEvent(
        kind="failed",
        client=("127.0.0.1", 50000),
        requested_name=name,
        resolved_name=name,
        source=ContentSource.STATIC,
        digest=None,
        size=0,
        bytes_sent=0,
        blocks=0,
        retransmits=0,
        duration=0.1,
        outcome="not_found",
        error=None,
        timestamp=1_800_000_000.0,
    )


async def test_no_error_repair_for_a_phone_running_the_image(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    """It checks the server for its own image and runs on fine without it."""
    entry = await _start(hass, tftp_root, hass_storage, model="7960", port=5060)
    hub: CiscoPhoneHub = entry.runtime_data
    issues = ir.async_get(hass)
    issue_id = f"firmware_not_found_{PHONE_MAC}"

    # Asked before anything told what it runs: the issue appears...
    hub.feed_transfer(_not_found(f"{TARGET}.loads"))
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    # ...and goes when the phone turns out to run that image.
    hub.running.set_stated(PHONE_MAC, TARGET)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    # Asked again: no issue at all.
    hub.feed_transfer(_not_found(f"{TARGET}.loads"))
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    # Another image it does not run is still worth an issue.
    hub.feed_transfer(_not_found("P0S3-8-11-00.loads"))
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    # Learned from the phone's SIP answer (Load=) it clears the same way.
    hub.running.set_stated(PHONE_MAC, "")
    hub.online._record(
        PHONE_MAC,
        QualifyResult(True, 200, "OK", 0.01, _identity("P0S3-8-11-00")),
    )
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None


def _identity(load: str) -> PhoneIdentity:
    return PhoneIdentity("7960", "8.0", load)


async def test_poller_is_bounded_and_skips_phones_without_an_address(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    # A socket that never answers: every OPTIONS waits its full timeout.
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    port = silent.get_extra_info("sockname")[1]
    try:
        entry = await _start(hass, tftp_root, hass_storage, model="7960", port=port)
        poller: OnlinePoller = entry.runtime_data.online
        poller.timeout = 5.0
        poller.concurrency = 1
        clock = _Clock(hass)
        await clock.advance(FIRST_SLOT + 1)
        assert len(poller._tasks) == 1
        await clock.advance(poller.interval + 1)  # the next slot finds it busy
        assert len(poller._tasks) == 1
    finally:
        silent.close()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert not poller._tasks  # unload cancels what still waits
    assert poller._timer is None


async def test_no_options_without_an_address(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = await _start(
        hass, tftp_root, hass_storage, model="7960", port=5060, ip=None
    )
    poller: OnlinePoller = entry.runtime_data.online
    await _Clock(hass).advance(FIRST_SLOT + 1)
    assert not poller._tasks
    assert poller.status(PHONE_MAC) is None
    state = hass.states.get(ONLINE)
    assert state is not None
    assert state.state == "unknown"


async def test_round_trip_writes_only_when_it_moved(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = await _start(hass, tftp_root, hass_storage, model="7960", port=5060)
    poller: OnlinePoller = entry.runtime_data.online
    poller._record(PHONE_MAC, QualifyResult(True, 200, "OK", 0.010))
    await hass.async_block_till_done()
    first = hass.states.get(ONLINE)
    assert first is not None
    assert first.attributes["round_trip_time"] == 10
    poller._record(PHONE_MAC, QualifyResult(True, 200, "OK", 0.012))
    await hass.async_block_till_done()
    same = hass.states.get(ONLINE)
    assert same is not None
    assert same.last_updated == first.last_updated  # no write for 2 ms
    poller._record(PHONE_MAC, QualifyResult(True, 200, "OK", 0.080))
    await hass.async_block_till_done()
    moved = hass.states.get(ONLINE)
    assert moved is not None
    assert moved.attributes["round_trip_time"] == 80
    assert not _meaningful(100, 140)  # +40 %: no
    assert _meaningful(100, 160)
    assert not _meaningful(2, 4)  # doubled but 2 ms: no
    assert _meaningful(None, 5)


async def test_phone_removed_is_forgotten(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = await _start(hass, tftp_root, hass_storage, model="7960", port=5060)
    poller: OnlinePoller = entry.runtime_data.online
    poller._record(PHONE_MAC, QualifyResult(True, 200, "OK", 0.010))
    entry.runtime_data.running.set_stated(PHONE_MAC, TARGET)
    subentry_id = next(iter(entry.subentries))
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    await _Clock(hass).advance(FIRST_SLOT + 1)
    assert poller.status(PHONE_MAC) is None
    assert entry.runtime_data.running.stated == {}
    assert poller.restart_capability(PHONE_MAC).possible is False


async def test_regenerate_failure_is_a_clear_error(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = await _start(hass, tftp_root, hass_storage, model="7960", port=5060)
    hub: CiscoPhoneHub = entry.runtime_data

    def broken(macs: set[str] | None = None) -> None:
        raise ProvisioningError("a setting cannot be written")

    monkeypatch.setattr(hub, "regenerate", broken)
    with pytest.raises(HomeAssistantError) as caught:
        await _regenerate(hub.firmware, PHONE_MAC)
    assert caught.value.translation_key == "regenerate_failed"


def test_image_names() -> None:
    assert image_of("jar41sip.8-5-4S") == "SIP41.8-5-4S"
    assert image_of("P0S3-8-12-00.sb2") == "P0S3-8-12-00"
    assert image_of("8.0") is None
    assert image_of(None) is None
