"""End to end: a simulated 7960 boots against the set-up integration.

The phone is ``tests.support.simphone.SimulatedPhone``, a real TFTP client on
loopback that follows the reference's boot sequences (loader hunt with an
upper-case MAC, then the application's ``SIPDefault.cnf`` and
``<tftp_cfg_dir>SIP<MAC>.cnf``). Nothing between it and the entities is
mocked.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN
from custom_components.cisco_ip_phone.provisioning.files.render import GeneratedFile
from tests.support.ha_common import PHONE_MAC, phone_subentry_data, server_data
from tests.support.macs import UNKNOWN_MAC_2
from tests.support.simphone import PhoneState, PhoneTimings, SimulatedPhone

FIRMWARE = "P0S3-8-12-00"
UNKNOWN_MAC = UNKNOWN_MAC_2
STATE = "sensor.desk_provisioning_state"


@pytest.fixture
async def served(
    hass: HomeAssistant, tftp_root: Path
) -> AsyncGenerator[MockConfigEntry]:
    """A server with one 7960 whose image is already on the TFTP root."""
    (tftp_root / f"{FIRMWARE}.loads").write_bytes(
        f"{FIRMWARE}\nP003-8-12-00.sbn\n{FIRMWARE}.sb2\n".encode()
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Cisco IP phone provisioning",
        data=server_data(tftp_root),
        options={CONF_DISCOVERY: True, "sip_proxy": "pbx.example.net"},
        subentries_data=[phone_subentry_data()],
        entry_id="server_entry_id",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _phone(entry: MockConfigEntry, mac: str) -> SimulatedPhone:
    tftp = entry.runtime_data.tftp
    assert tftp is not None
    return SimulatedPhone(
        mac,
        model="7960",
        firmware=FIRMWARE,
        server=("127.0.0.1", tftp.port),
        timings=PhoneTimings.fast(),
    )


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_7960_boot_moves_the_sensors(
    hass: HomeAssistant, served: MockConfigEntry
) -> None:
    seen: list[str] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            seen.append(new.state)

    unsub = async_track_state_change_event(hass, [STATE], record)
    assert _state(hass, STATE) == "unknown"
    assert _state(hass, "binary_sensor.desk_config_up_to_date") == "unknown"

    phone = _phone(served, PHONE_MAC)
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    unsub()

    # The phone really took the generated files: the loader hunt with the
    # upper-case MAC, then the application's "./" prefixed config file.
    assert report.state is PhoneState.REGISTERED, report.error
    assert report.names[:3] == [
        f"CTLSEP{PHONE_MAC}.tlv",
        f"SEP{PHONE_MAC}.cnf.xml",
        f"{FIRMWARE}.loads",
    ]
    assert f"SIP{PHONE_MAC}.cnf" in report.names
    assert phone.config["line1_name"] == "1001"
    assert phone.config["proxy1_address"] == "pbx.example.net"

    # The sensors went through the boot and ended configured.
    assert seen[0] == "booting"
    assert seen[-1] == "configured"
    assert _state(hass, STATE) == "configured"
    assert _state(hass, "binary_sensor.desk_config_up_to_date") == "on"
    assert _state(hass, "sensor.desk_ip_address") == "127.0.0.1"
    assert _state(hass, "sensor.desk_last_boot") not in ("unknown", "unavailable")
    event = hass.states.get("event.desk_provisioning")
    assert event is not None
    assert event.attributes["event_type"] == "configured"
    counters = served.runtime_data.counters
    assert counters.transfers >= 5

    # A change of the phone's settings leaves it pending until it reboots.
    subentry = served.subentries[f"sub_{PHONE_MAC}"]
    hass.config_entries.async_update_subentry(
        served,
        subentry,
        data={**subentry.data, "label": "Reception"},
    )
    await hass.async_block_till_done()
    assert _state(hass, "binary_sensor.desk_config_up_to_date") == "off"
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert report.state is PhoneState.REGISTERED
    assert phone.config["phone_label"] == "Reception"
    assert _state(hass, "binary_sensor.desk_config_up_to_date") == "on"


async def test_unknown_phone_produces_a_discovery_flow(
    hass: HomeAssistant, served: MockConfigEntry
) -> None:
    phone = _phone(served, UNKNOWN_MAC)
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert report.names[0] == f"CTLSEP{UNKNOWN_MAC}.tlv"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["unique_id"] for flow in flows] == [UNKNOWN_MAC]
    assert flows[0]["context"]["title_placeholders"]["ip"] == "127.0.0.1"

    # Confirming it makes the next boot a configured one.
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {"model": "7960", "label": "Lobby"}
    )
    assert result["reason"] == "phone_added"
    await hass.async_block_till_done()
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert f"SIP{UNKNOWN_MAC}.cnf" in report.names
    assert _state(hass, "sensor.lobby_provisioning_state") == "configured"
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_dot_slash_prefix_of_log_teo(
    hass: HomeAssistant, served: MockConfigEntry
) -> None:
    """LOG-TEO: with ``tftp_cfg_dir: "./"`` the 7960 asks for ``./SIP<MAC>.cnf``.

    Our SIPDefault.cnf sets no prefix; a phone configured like the one in
    that log is reproduced by serving its SIPDefault.cnf.
    """
    hub = served.runtime_data
    default = hub.files["SIPDefault.cnf"]
    hub.resolver.set_generated(
        {
            **hub.files,
            "SIPDefault.cnf": GeneratedFile(
                "SIPDefault.cnf",
                default.content.replace(b'tftp_cfg_dir: ""', b'tftp_cfg_dir: "./"'),
                None,
            ),
        }
    )
    phone = _phone(served, PHONE_MAC)
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert f"./SIP{PHONE_MAC}.cnf" in report.names
    assert report.state is PhoneState.REGISTERED, report.error
    assert _state(hass, STATE) == "configured"
    observation = hub.observation(PHONE_MAC)
    assert observation is not None
    fetched = {name.lower(): digest for name, digest in observation.fetched.items()}
    own = hub.files[f"SIP{PHONE_MAC}.cnf"]
    assert fetched[own.name.lower()] == own.digest
