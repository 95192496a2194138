"""The quick start (docs/quickstart.md) works, step by step, for a 7940 on SCCP 3.x.

The documented procedure is replayed against the real integration and the
simulated phone (``tests.support.simphone``: a real TFTP client on loopback that
behaves like SCCP 3.x firmware, refusing images its boot code cannot load):

- step 3/4: with the SIP 6.3 and 8.12 files uploaded and the default options,
  the phone reads ``OS79XX.TXT``, which names SIP 6.3 (the first hop an
  SCCP 3.x image can take: 8.12 has no ``.bin`` such a phone could load);
  the phone moves to SIP 6.3, asks for its ``SIP<MAC>.cnf`` and is
  discovered; without the SIP 6.3 files it stays on SCCP, undiscovered;
- step 5: the user adds it and fills in line 1;
- step 6: **Install** on the update entity: the phone reboots into the
  loader and ends registered on SIP 8.12.

If the product changes so that a step is no longer needed or no longer
works, this test fails and the docs must change with it.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from homeassistant.components.update import (
    ATTR_INSTALLED_VERSION,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN
from custom_components.cisco_ip_phone.firmware_manager import async_get_manager
from tests.support.firmware import SCCP_3, SIP_63, TARGET, put_firmware
from tests.support.ha_common import phone_data, server_data
from tests.support.macs import QUICKSTART_MAC
from tests.support.simphone import PhoneState, PhoneTimings, SimulatedPhone

# The quick start's phone (docs/quickstart.md): a Cisco MAC, as discovery
# only offers phones whose MAC prefix Cisco owns.
PHONE_MAC = QUICKSTART_MAC


OPTION = "image_79x0"  # "Firmware of 7940/7960 phones"
SENSOR = "sensor.study_running_firmware"
UPDATE = "update.study_firmware"


def _server(root: Path, image: str | None = None) -> MockConfigEntry:
    """The server as set up in quick-start steps 2 and 4, no phone yet."""
    options: dict[str, Any] = {CONF_DISCOVERY: True, "sip_proxy": "pbx.example.net"}
    if image is not None:
        options[OPTION] = image
    return MockConfigEntry(
        domain=DOMAIN,
        title="Cisco IP phone provisioning",
        data=server_data(root),
        options=options,
        entry_id="quickstart_entry",
    )


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> SimulatedPhone:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    tftp = entry.runtime_data.tftp
    assert tftp is not None
    return SimulatedPhone(
        PHONE_MAC,
        model="7940",
        firmware=SCCP_3,
        server=("127.0.0.1", tftp.port),
        timings=PhoneTimings.fast(),
    )


async def test_without_sip63_files_an_sccp3_phone_stays_on_sccp(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    """Why the quick start uploads SIP 6.3: 8.12 has no .bin for SCCP 3.x."""
    put_firmware(tftp_root, skip=f"{SIP_63}.bin")
    entry = _server(tftp_root)
    phone = await _start(hass, entry)
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()

    # OS79XX.TXT names the loader P003-…, the SCCP phone's own prefix: it
    # ignores the file (MATRIX) and keeps running SCCP, without an error.
    assert report.state is PhoneState.SCCP_RUNNING
    assert report.names[0] == "OS79XX.TXT"
    assert not any(name.endswith((".bin", ".sbn")) for name in report.names)
    assert report.firmware == SCCP_3
    seen = entry.runtime_data.observation(PHONE_MAC)
    assert seen is None or seen.state == "running_sccp"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_quickstart_walks_an_sccp3_7940_to_sip_812(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    put_firmware(tftp_root)  # step 3
    entry = _server(tftp_root)  # step 2, default options
    phone = await _start(hass, entry)

    # Step 4: power-cycle. OS79XX.TXT names SIP 6.3; the phone loads it,
    # starts SIP and is discovered.
    report = await phone.boot()
    await hass.async_block_till_done()
    assert report.names[:2] == ["OS79XX.TXT", f"{SIP_63}.bin"]
    assert report.firmware == SIP_63
    assert f"SIP{PHONE_MAC}.cnf" in {name.lstrip("./") for name in report.names}
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["unique_id"] for flow in flows] == [PHONE_MAC]

    # Step 5: "Add" (model 7940, name Study), then line 1 through
    # "Reconfigure phone".
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {"model": "7940", "label": "Study"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "phone_added"
    await hass.async_block_till_done()
    (subentry,) = entry.subentries.values()
    data = {**phone_data(PHONE_MAC, model="7940"), "label": "Study"}
    hass.config_entries.async_update_subentry(
        entry, subentry, data=MappingProxyType(data)
    )
    await hass.async_block_till_done()
    sensor = hass.states.get(SENSOR)
    assert sensor is not None
    assert sensor.state == SIP_63

    # Step 6: Install.
    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: UPDATE}, blocking=True
    )
    report = await phone.boot()  # the reboot Home Assistant asked for
    await phone.stop()
    await hass.async_block_till_done()

    assert report.state is PhoneState.REGISTERED, report.error
    assert report.firmware == TARGET
    assert report.reboots == 2
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.attributes[ATTR_INSTALLED_VERSION] == TARGET
    manager = async_get_manager(hass, entry.entry_id)
    assert manager is not None
    assert manager.jobs[PHONE_MAC].percentage == 100
    await hass.config_entries.async_unload(entry.entry_id)
