"""The hub's reaction to engine events: counters, pending config, discovery."""

from __future__ import annotations

from datetime import timedelta
import time
from types import MappingProxyType
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN, TICK_INTERVAL
from custom_components.cisco_ip_phone.hub import CiscoPhoneHub, PhoneEntry
from custom_components.cisco_ip_phone.provisioning.ftp.events import (
    FtpEvent,
    FtpEventKind,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import PhoneConfig
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentSource,
    EventKind,
    TransferEvent,
    TransferOutcome,
)
from custom_components.cisco_ip_phone.provisioning.tracking.tracker import TrackerEvent
from tests.support.ha_common import PHONE_MAC, phone_subentry_data
from tests.support.macs import UNKNOWN_MAC


def transfer(
    name: str,
    *,
    kind: EventKind = EventKind.COMPLETED,
    outcome: TransferOutcome = TransferOutcome.OK,
    hub: CiscoPhoneHub | None = None,
    ip: str = "192.168.1.50",
) -> TransferEvent:
    """Return what the TFTP server reports for one transfer of ``name``."""
    generated = hub.files.get(name) if hub is not None else None
    return TransferEvent(
        kind=kind,
        client=(ip, 50000),
        requested_name=name,
        resolved_name=name if outcome is TransferOutcome.OK else None,
        source=ContentSource.GENERATED if generated else None,
        digest=generated.digest if generated else None,
        size=len(generated.content) if generated else None,
        bytes_sent=len(generated.content) if generated else 0,
        blocks=1,
        retransmits=0,
        duration=0.0,
        outcome=outcome,
        error=None if outcome is TransferOutcome.OK else str(outcome),
        timestamp=time.time(),
    )


async def test_counters(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    hub = init_integration.runtime_data
    hub.feed_transfer(transfer("RINGLIST.DAT"))
    hub.feed_transfer(
        transfer(
            "P0S3-8-12-00.sb2",
            kind=EventKind.FAILED,
            outcome=TransferOutcome.TIMEOUT,
        )
    )
    hub.feed_transfer(
        transfer(
            f"CTLSEP{PHONE_MAC}.tlv",
            kind=EventKind.FAILED,
            outcome=TransferOutcome.NOT_FOUND,
        )
    )
    # Server counters are coalesced: the last write follows within a second.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    assert hub.counters.transfers == 1
    # The firmware timeout is an error; the missing CTL file is a normal probe.
    assert hub.counters.errors == 1
    state = hass.states.get("sensor.cisco_ip_phone_provisioning_transfers_served")
    assert state is not None
    assert state.state == "1"
    seen = hass.states.get("sensor.cisco_ip_phone_provisioning_phones_seen")
    assert seen is not None
    assert seen.state == "1"


@pytest.mark.parametrize(
    "name",
    [
        f"CTLSEP{PHONE_MAC}.tlv",
        f"ITLSEP{PHONE_MAC}.tlv",
        "ITLFile.tlv",
        f"MGC{PHONE_MAC}.cnf",
        "English_United_States/7960-font.xml",
        "dialplan.xml",
    ],
)
async def test_optional_probes_are_not_errors(
    hass: HomeAssistant, init_integration: MockConfigEntry, name: str
) -> None:
    """What every phone asks for on each boot, present or not, is no error."""
    hub = init_integration.runtime_data
    hub.feed_transfer(
        transfer(name, kind=EventKind.FAILED, outcome=TransferOutcome.NOT_FOUND)
    )
    assert hub.counters.errors == 0
    hub.feed_transfer(
        transfer(
            "P0S3-8-12-00.sb2", kind=EventKind.FAILED, outcome=TransferOutcome.NOT_FOUND
        )
    )
    assert hub.counters.errors == 1


async def test_config_pending_until_fetched(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    hub = entry.runtime_data
    main = f"SIP{PHONE_MAC}.cnf"
    assert hub.config_up_to_date(PHONE_MAC) is None  # never seen
    assert hub.config_up_to_date(UNKNOWN_MAC) is None  # not a phone of ours
    hub.feed_transfer(
        transfer(
            f"CTLSEP{PHONE_MAC}.tlv",
            kind=EventKind.FAILED,
            outcome=TransferOutcome.NOT_FOUND,
        )
    )
    # Seen, main file pending: not judged during its first boot.
    assert hub.config_up_to_date(PHONE_MAC) is None
    for name in ("SIPDefault.cnf", main):
        hub.feed_transfer(transfer(name, hub=hub))
    await hass.async_block_till_done()
    assert hub.config_up_to_date(PHONE_MAC) is True
    state = hass.states.get("binary_sensor.desk_config_up_to_date")
    assert state is not None
    assert state.state == "on"

    # A server-wide change touches SIPDefault.cnf, which the phone fetched.
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "sip_proxy": "pbx.example.net"}
    )
    await hass.async_block_till_done()
    assert hub.config_up_to_date(PHONE_MAC) is False
    state = hass.states.get("binary_sensor.desk_config_up_to_date")
    assert state is not None
    assert state.state == "off"
    for name in ("SIPDefault.cnf", main):
        hub.feed_transfer(transfer(name, hub=hub))
    assert hub.config_up_to_date(PHONE_MAC) is True


async def test_unknown_phone_starts_one_discovery_flow(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    name = f"SIP{UNKNOWN_MAC}.cnf"
    hub.feed_transfer(transfer(name, kind=EventKind.REQUEST, ip="192.168.1.77"))
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["unique_id"] == UNKNOWN_MAC
    assert flows[0]["context"]["title_placeholders"]["ip"] == "192.168.1.77"

    # Later boots within the cooldown do not start flows again, not even
    # after the user dismissed the first one.
    hass.config_entries.flow.async_abort(flows[0]["flow_id"])
    observation = hub.observation(UNKNOWN_MAC)
    assert observation is not None
    again = TrackerEvent("discovered", UNKNOWN_MAC, observation, name, "unknown")
    other = TrackerEvent(
        "discovered", "001E4A0000CC", observation, "SIP001E4A0000CC.cnf", "unknown"
    )
    with patch(
        "custom_components.cisco_ip_phone.discovery.discovery_flow.async_create_flow"
    ) as create:
        hub._discover(again)
        hub._discover(other)
        hub._discover(other)
    assert create.call_count == 1


async def test_discovery_flood_is_bounded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Issue #11 item 8: random SEP<MAC> requests start few flows, if any."""
    hub = init_integration.runtime_data
    with patch(
        "custom_components.cisco_ip_phone.discovery.discovery_flow.async_create_flow"
    ) as create:
        for index in range(500):
            # Not a Cisco OUI: never a flow.
            mac = f"02AB{index:08X}"
            hub.feed_transfer(
                transfer(f"SEP{mac}.cnf.xml", kind=EventKind.REQUEST, ip="10.0.0.9")
            )
        assert create.call_count == 0
        for index in range(500):
            # Cisco OUIs, but a flood: the rate bound caps the flows.
            mac = f"001E4A{index:06X}"
            hub.feed_transfer(
                transfer(f"SEP{mac}.cnf.xml", kind=EventKind.REQUEST, ip="10.0.0.9")
            )
        assert 0 < create.call_count <= 25
    assert len(hub.discovery.offered_at) <= 1024


async def test_discovery_can_be_switched_off(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_DISCOVERY: False}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    hub = mock_config_entry.runtime_data
    hub.feed_transfer(transfer(f"SIP{UNKNOWN_MAC}.cnf", kind=EventKind.REQUEST))
    await hass.async_block_till_done()
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_ftp_events_reach_listeners(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    event = FtpEvent(
        FtpEventKind.UPLOAD_COMPLETED, "P0S3-8-12-00.sb2", 10, "cisco", ("::1", 1), 0.0
    )
    received = [hub.server.feed_ftp(event).ftp, hub.server.feed_ftp(event).ftp]
    assert received == [event, event]
    assert hub.counters.uploads == 2
    await hass.async_block_till_done()


async def test_tick_applies_time_rules(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    with patch.object(hub.tracker, "tick", return_value=[]) as tick:
        async_fire_time_changed(hass, dt_util.utcnow() + TICK_INTERVAL)
        await hass.async_block_till_done()
    assert tick.call_count == 1


async def test_overrides_regenerate_files(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    before = dict(hub.files)
    hub.set_image_override(PHONE_MAC, "P0S3-06-3-00")
    assert hub.images == {PHONE_MAC: "P0S3-06-3-00"}
    assert hub.files != before
    hub.set_image_override(PHONE_MAC, None)
    assert hub.images == {}
    hub.set_sync(PHONE_MAC, "2")
    assert hub.syncs == {PHONE_MAC: "2"}


async def test_invalid_phone_subentry_is_skipped(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A subentry the engine refuses is logged, the others keep working."""
    broken = phone_subentry_data("001E4A0000DD")
    broken["data"] = MappingProxyType({**broken["data"], "model": "7999"})
    broken["subentry_id"] = "sub_broken"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        data=dict(mock_config_entry.data),
        subentries_data=[phone_subentry_data(), broken],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert set(entry.runtime_data.phones) == {PHONE_MAC}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_events_after_stop_schedule_nothing(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hub = init_integration.runtime_data
    await hub.async_stop()
    failed_login = FtpEvent(
        FtpEventKind.LOGIN_FAILED, None, None, "cisco", ("127.0.0.1", 1), 0.0
    )
    hub.server.feed_ftp(failed_login)
    assert hub.counters.uploads == 0


def test_main_config_file_depends_on_the_model() -> None:
    cnf = PhoneEntry("a", PhoneConfig(mac=PHONE_MAC, model="7960"))
    xml = PhoneEntry("b", PhoneConfig(mac=PHONE_MAC, model="7941"))
    assert cnf.main_file == f"SIP{PHONE_MAC}.cnf"
    assert xml.main_file == f"SEP{PHONE_MAC}.cnf.xml"


def test_coordinator_module_keeps_the_old_names() -> None:
    """Code written against coordinator.py (other branches) keeps working."""
    from custom_components.cisco_ip_phone import coordinator, hub

    assert coordinator.CiscoPhoneHub is hub.CiscoPhoneHub
    assert coordinator.PhoneEntry is hub.PhoneEntry


async def test_known_phones_get_the_tftp_reserve(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The TFTP slot reserve (issue #11 item 3) is for configured phones only."""
    hub = init_integration.runtime_data
    hub.feed_transfer(transfer(f"SIP{PHONE_MAC}.cnf", ip="192.168.1.60"))
    hub.feed_transfer(transfer(f"SIP{UNKNOWN_MAC}.cnf", ip="192.168.1.77"))
    assert hub.server.is_known_client("192.168.1.60")
    assert not hub.server.is_known_client("192.168.1.77")
    assert not hub.server.is_known_client("192.168.1.99")
