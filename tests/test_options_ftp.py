"""FTP security options: FTPS, masquerade address and delete, set from the UI."""

from __future__ import annotations

import ftplib
from pathlib import Path
import ssl
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import (
    CONF_DISCOVERY,
    CONF_FTP_ALLOW_DELETE,
    CONF_FTP_CERTFILE,
    CONF_FTP_KEYFILE,
    CONF_FTP_MASQUERADE,
    CONF_FTP_PASSWORD,
    CONF_FTP_PORT,
    CONF_FTP_TLS,
    CONF_FTP_USERNAME,
    FTPS_STORAGE_NAME,
)
from custom_components.cisco_ip_phone.options_flow import OPTION_FIELDS, nest_options
from custom_components.cisco_ip_phone.provisioning.settings.models import ServerSettings


def _options(**changes: Any) -> dict[str, Any]:
    defaults = ServerSettings().as_dict()
    return nest_options(
        {
            **{key: defaults[key] for key in OPTION_FIELDS},
            CONF_DISCOVERY: True,
            **changes,
        }
    )


async def _set_options(
    hass: HomeAssistant, entry: MockConfigEntry, **changes: Any
) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(**changes)
    )
    await hass.async_block_till_done()
    return dict(result)


def _login_plain(port: int, user: str, password: str) -> str:
    client = ftplib.FTP()
    client.connect("127.0.0.1", port, timeout=10)
    try:
        return client.login(user, password)
    finally:
        client.close()


def _login_tls_and_delete(port: int, user: str, password: str, name: str) -> str:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    client = ftplib.FTP_TLS(context=context)
    client.connect("127.0.0.1", port, timeout=10)
    try:
        client.login(user, password)
        client.prot_p()
        return client.delete(name)
    finally:
        client.close()


async def test_ftps_required_restarts_ftp_with_a_stored_certificate(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """TLS required: plain logins are refused, FTPS works, deleting is allowed."""
    hass.config.config_dir = str(tmp_path / "config")
    entry = init_integration
    old_hub = entry.runtime_data
    result = await _set_options(
        hass, entry, **{CONF_FTP_TLS: "required", CONF_FTP_ALLOW_DELETE: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.state is ConfigEntryState.LOADED
    hub = entry.runtime_data
    assert hub is not old_hub, "an FTP security change restarts the servers"
    assert hub.ftp_running
    cert_dir = tmp_path / "config" / ".storage" / FTPS_STORAGE_NAME
    assert any(cert_dir.iterdir()), "the self-signed certificate is kept in storage"
    root = Path(hub.root)
    assert not any(p.suffix == ".pem" for p in root.rglob("*")), "never in TFTP root"
    (root / "old.raw").write_bytes(b"ring")
    port = entry.data[CONF_FTP_PORT]
    user, password = entry.data[CONF_FTP_USERNAME], entry.data[CONF_FTP_PASSWORD]
    with pytest.raises(ftplib.error_perm):
        await hass.async_add_executor_job(_login_plain, port, user, password)
    reply = await hass.async_add_executor_job(
        _login_tls_and_delete, port, user, password, "old.raw"
    )
    assert reply.startswith("250")
    assert not (root / "old.raw").exists()


async def test_ftp_option_errors_and_recovery(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """A missing certificate and a bad public address are form errors."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        _options(
            **{
                CONF_FTP_TLS: "optional",
                CONF_FTP_CERTFILE: str(tmp_path / "missing.pem"),
                CONF_FTP_KEYFILE: str(tmp_path / "missing.key"),
            }
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {  # the fields are in the collapsed FTP section
        "base": "file_not_found",
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(**{CONF_FTP_MASQUERADE: "not an address!"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_setting"}  # in the FTP section
    assert result["description_placeholders"]["error"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(**{CONF_FTP_MASQUERADE: "203.0.113.7"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.server_config.ftp_masquerade_address == "203.0.113.7"
    assert entry.state is ConfigEntryState.LOADED
