"""Secrets never reach the log, even with every logger at DEBUG.

A full boot of a simulated phone (its config carries the line password), a
good FTP login, a wrong one, an upload, and a config change are all logged;
none of the passwords may appear in any record.
"""

from __future__ import annotations

import ftplib
import io
import logging
from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import (
    CONF_DISCOVERY,
    CONF_FTP_PASSWORD,
    CONF_FTP_PORT,
    CONF_FTP_USERNAME,
    DOMAIN,
)
from tests.support.ha_common import (
    FTP_PASSWORD,
    LINE_PASSWORD,
    PHONE_MAC,
    phone_subentry_data,
    server_data,
)
from tests.support.simphone import PhoneState, PhoneTimings, SimulatedPhone

PHONE_PASSWORD = "menu-secret-3"
WRONG_PASSWORD = "wrong-secret-4"


def _ftp_session(port: int, user: str, password: str) -> None:
    """Fail one login, then log in and upload a ring tone."""
    with ftplib.FTP() as client:
        client.connect("127.0.0.1", port, timeout=10)
        with pytest.raises(ftplib.error_perm):
            client.login(user, WRONG_PASSWORD)
    with ftplib.FTP() as client:
        client.connect("127.0.0.1", port, timeout=10)
        client.login(user, password)
        client.storbinary("STOR ring.raw", io.BytesIO(b"\xff" * 800))


async def test_passwords_never_appear_in_debug_logs(
    hass: HomeAssistant, tftp_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    (tftp_root / "P0S3-8-12-00.loads").write_bytes(
        b"P0S3-8-12-00\nP003-8-12-00.sbn\nP0S3-8-12-00.sb2\n"
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Cisco IP phone provisioning",
        data=server_data(tftp_root),
        options={
            CONF_DISCOVERY: True,
            "sip_proxy": "pbx.example.net",
            "phone_password": PHONE_PASSWORD,
        },
        subentries_data=[phone_subentry_data()],
        entry_id="server_entry_id",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data
    assert hub.tftp is not None
    # The generated config really carries the secrets (so the test can fail).
    served = b"".join(file.content for file in hub.files.values())
    assert LINE_PASSWORD.encode() in served
    assert PHONE_PASSWORD.encode() in served

    phone = SimulatedPhone(
        PHONE_MAC,
        model="7960",
        firmware="P0S3-8-12-00",
        server=("127.0.0.1", hub.tftp.port),
        timings=PhoneTimings.fast(),
    )
    report = await phone.boot()
    await phone.stop()
    assert report.state is PhoneState.REGISTERED
    await hass.async_add_executor_job(
        _ftp_session,
        entry.data[CONF_FTP_PORT],
        entry.data[CONF_FTP_USERNAME],
        entry.data[CONF_FTP_PASSWORD],
    )
    await hass.async_block_till_done()
    assert (tftp_root / "ring.raw").exists()

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    assert "ring.raw" in logged, "the run was logged at DEBUG"
    for secret in (FTP_PASSWORD, LINE_PASSWORD, PHONE_PASSWORD, WRONG_PASSWORD):
        assert secret not in logged, f"{secret!r} reached the log"
