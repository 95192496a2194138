"""Helpers of the firmware walk and resync tests: a TFTP root, a known phone.

Firmware files are synthesized: the ``.loads`` manifest lists the names the
phone will fetch, the images are fake bytes (nothing checks signatures).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN
from custom_components.cisco_ip_phone.firmware_manager import (
    FirmwareManager,
    async_get_manager,
)
from tests.support.simphone import PhoneTimings, SimulatedPhone

from .ha_common import PHONE_MAC, find_device, phone_subentry_data, server_data

SCCP_3 = "P00303020214"
SCCP_8 = "P0030801SR02"
SIP_63 = "P0S3-06-3-00"
LOADER = "P003-8-12-00"
TARGET = "P0S3-8-12-00"
UPDATE = "update.desk_firmware"


def put_firmware(root: Path, *, skip: str = "") -> None:
    """Write the user's files: SIP 6.3 .bin, and the SIP 8.12 package."""
    files = {
        f"{SIP_63}.bin": b"\x01" * 3000,
        f"{TARGET}.loads": f"{TARGET}.loads\n{LOADER}.sbn\n{TARGET}.sb2\n"
        "LA_VERSION=PAS30830\n".encode(),
        f"{LOADER}.sbn": b"\x02" * 1500,
        f"{TARGET}.sb2": b"\x03" * 7000,
    }
    for name, data in files.items():
        if name != skip:
            (root / name).write_bytes(data)


def observation(firmware: str | None, ip: str | None = "127.0.0.1") -> dict[str, Any]:
    """Return a saved tracker observation of the test phone."""
    return {
        "mac": PHONE_MAC,
        "state": "configured",
        "ip": ip,
        "firmware": firmware,
        "last_boot": 1_700_000_000.0,
        "last_config_fetch": None,
        "last_seen": 1_700_000_000.0,
        "fetched": {},
        "error": None,
        "model": None,
    }


def remember_phone(
    hass_storage: dict[str, Any], entry: MockConfigEntry, saved: dict[str, Any]
) -> None:
    """Let the phone have been seen before this start (what a restart keeps)."""
    key = f"{DOMAIN}.{entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {"tracker": {"version": 1, "phones": [saved]}},
    }


def make_entry(root: Path, *, model: str = "7940", **options: Any) -> MockConfigEntry:
    """Return a server entry with the test phone, lines on a proxy."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Cisco IP phone provisioning",
        data=server_data(root),
        options={CONF_DISCOVERY: True, "sip_proxy": "pbx.example.net", **options},
        subentries_data=[phone_subentry_data(model=model)],
        entry_id="server_entry_id",
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> FirmwareManager:
    """Add and set up the entry; return its firmware manager."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    manager = async_get_manager(hass, entry.entry_id)
    assert manager is not None
    return manager


def simulated(
    entry: MockConfigEntry, firmware: str, *, model: str = "7940", sip_port: int = 0
) -> SimulatedPhone:
    """Return the simulated phone, pointed at the entry's TFTP server."""
    tftp = entry.runtime_data.tftp
    assert tftp is not None
    return SimulatedPhone(
        PHONE_MAC,
        model=model,
        firmware=firmware,
        server=("127.0.0.1", tftp.port),
        timings=PhoneTimings.fast(),
        sip_port=sip_port,
    )


def phone_device_id(hass: HomeAssistant) -> str:
    """Return the device id of the test phone."""
    device = find_device(hass, PHONE_MAC)
    assert device is not None
    return device.id
