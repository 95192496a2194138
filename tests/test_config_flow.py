"""The server's config flow: create, every form error and its recovery, reconfigure."""

from __future__ import annotations

from collections.abc import Generator
import errno
from pathlib import Path
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.cisco_ip_phone.const import (
    CONF_DISCOVERY,
    CONF_FTP_PORT,
    CONF_HOST,
    CONF_IMPORT_FOLDER,
    CONF_PASSIVE_END,
    CONF_PASSIVE_START,
    CONF_ROOT,
    CONF_TFTP_PORT,
    DOMAIN,
)
from custom_components.cisco_ip_phone.options_flow import OPTION_FIELDS, nest_options
from custom_components.cisco_ip_phone.provisioning.settings.models import ServerSettings
from custom_components.cisco_ip_phone.validation import check_folder
from tests.support.ha_common import PHONE_MAC, port_taken, server_data


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep flow tests to the flow: no servers start on entry creation."""
    with patch(
        "custom_components.cisco_ip_phone.async_setup_entry", return_value=True
    ) as mock:
        yield mock


async def _start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


def _user_input(root: Path, **changes: Any) -> dict[str, Any]:
    data = server_data(root)
    data[CONF_IMPORT_FOLDER] = False
    data.update(changes)
    return data


async def test_user_flow_creates_server_and_folder(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    result = await _start(hass)
    schema_defaults = {
        str(key): key.default()
        for key in result["data_schema"].schema
        if key.default is not vol.UNDEFINED
    }
    assert schema_defaults[CONF_TFTP_PORT] == 69
    assert schema_defaults[CONF_ROOT] == hass.config.path("cisco_ip_phone")
    root = tmp_path / "new" / "tftp"
    user_input = _user_input(root)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Cisco IP phone provisioning"
    del user_input[CONF_IMPORT_FOLDER]
    assert result["data"] == user_input
    assert result["options"] == {CONF_DISCOVERY: True}
    assert root.is_dir()
    assert len(mock_setup_entry.mock_calls) == 1


async def test_relative_folder_is_inside_the_config_folder(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    hass.config.config_dir = str(tmp_path)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(Path("phones"))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ROOT] == str(tmp_path / "phones")


async def test_only_one_server(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    # "Add hub" with the server set up: add a phone instead of a dead end.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "add_phone"


async def test_ignored_phone_does_not_count_as_a_server(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    MockConfigEntry(domain=DOMAIN, source="ignore", unique_id=PHONE_MAC).add_to_hass(
        hass
    )
    await _start(hass)


@pytest.mark.parametrize(
    ("field", "kind"),
    [(CONF_TFTP_PORT, socket.SOCK_DGRAM), (CONF_FTP_PORT, socket.SOCK_STREAM)],
)
async def test_port_in_use_then_freed(
    hass: HomeAssistant,
    tmp_path: Path,
    mock_setup_entry: AsyncMock,
    field: str,
    kind: socket.SocketKind,
) -> None:
    result = await _start(hass)
    user_input = _user_input(tmp_path)
    with port_taken(kind) as port:
        user_input[field] = port
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "port_in_use"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "port_permission"),
        (OSError(errno.EPERM, "Operation not permitted"), "port_permission"),
        (OSError(errno.EINVAL, "Invalid argument"), "cannot_bind"),
    ],
)
async def test_bind_refused_then_allowed(
    hass: HomeAssistant,
    tmp_path: Path,
    mock_setup_entry: AsyncMock,
    error: OSError,
    expected: str,
) -> None:
    """A privileged port as non-root: simulated, since the tests run as root."""
    result = await _start(hass)
    user_input = _user_input(tmp_path, **{CONF_TFTP_PORT: 69, CONF_FTP_PORT: 21})
    with patch("custom_components.cisco_ip_phone.validation._bind", side_effect=error):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TFTP_PORT: expected, CONF_FTP_PORT: expected}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("192.0.2.1", "address_unavailable"),
        ("not a host!", "invalid_host"),
        ("ha.invalid", "invalid_host"),
    ],
)
async def test_bad_bind_address_then_fixed(
    hass: HomeAssistant,
    tmp_path: Path,
    mock_setup_entry: AsyncMock,
    host: str,
    expected: str,
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path, **{CONF_HOST: host})
    )
    # The address is at fault, not the ports: the error is on the address.
    assert result["errors"] == {CONF_HOST: expected}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_bind_host_name_is_looked_up(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    """A host name is resolved (in the executor); one no resolver knows is refused."""
    looked_up: list[str] = []

    def lookup(host: str, port: int, kind: socket.SocketKind) -> list[Any]:
        looked_up.append(host)
        if host == "ha.example":
            return [(socket.AF_INET, kind, 0, "", ("127.0.0.1", port))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    result = await _start(hass)
    with patch("custom_components.cisco_ip_phone.validation._lookup", lookup):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _user_input(tmp_path, **{CONF_HOST: "nowhere.example"})
        )
        assert result["errors"] == {CONF_HOST: "invalid_host"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _user_input(tmp_path, **{CONF_HOST: "ha.example"})
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "ha.example"
    # The address once on its own (then no port is tried), then for each port.
    assert looked_up == ["nowhere.example"] + ["ha.example"] * 3


async def test_folder_errors_then_fixed(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(a_file)
    )
    assert result["errors"] == {CONF_ROOT: "folder_not_directory"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(a_file / "below")
    )
    assert result["errors"] == {CONF_ROOT: "folder_create_failed"}
    with patch(
        "custom_components.cisco_ip_phone.validation.os.access", return_value=False
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _user_input(tmp_path / "ok")
        )
    assert result["errors"] == {CONF_ROOT: "folder_not_writable"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path / "ok")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


def test_check_folder_wants_an_absolute_path() -> None:
    assert check_folder(Path("relative")) == "folder_not_absolute"


async def test_value_errors_then_fixed(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    result = await _start(hass)
    good = _user_input(tmp_path)
    reversed_range = {**good, CONF_PASSIVE_START: 40010, CONF_PASSIVE_END: 40000}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], reversed_range
    )
    assert result["errors"] == {CONF_PASSIVE_END: "passive_range_reversed"}
    inside = {
        **good,
        CONF_PASSIVE_START: good[CONF_FTP_PORT],
        CONF_PASSIVE_END: good[CONF_FTP_PORT],
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], inside)
    assert result["errors"] == {CONF_FTP_PORT: "ftp_port_in_passive_range"}
    anonymous = {**good, "ftp_username": "anonymous"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], anonymous
    )
    assert result["errors"] == {"ftp_username": "invalid_ftp_account"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], good)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reconfigure_running_server(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """Ports the running server holds are not "in use"; new ones are checked."""
    entry = init_integration
    hub = entry.runtime_data
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    new_input = {**entry.data, CONF_ROOT: str(tmp_path / "elsewhere")}
    with port_taken(socket.SOCK_STREAM) as port:
        busy = {**new_input, CONF_FTP_PORT: port}
        result = await hass.config_entries.flow.async_configure(result["flow_id"], busy)
    assert result["errors"] == {CONF_FTP_PORT: "port_in_use"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], new_input
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_ROOT] == str(tmp_path / "elsewhere")
    assert entry.runtime_data is not hub
    assert entry.runtime_data.root == tmp_path / "elsewhere"


async def test_reconfigure_unloaded_server_checks_every_port(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, tmp_path: Path
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    with port_taken(socket.SOCK_DGRAM, mock_config_entry.data[CONF_TFTP_PORT]):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], dict(mock_config_entry.data)
        )
    assert result["errors"] == {CONF_TFTP_PORT: "port_in_use"}


def _options(**changes: Any) -> dict[str, Any]:
    """Return a full options form as the frontend sends it."""
    defaults = ServerSettings().as_dict()
    form = {key: defaults[key] for key in OPTION_FIELDS}
    return nest_options({**form, CONF_DISCOVERY: True, **changes})


async def test_options_apply_in_place(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Options regenerate files without restarting the servers."""
    entry = init_integration
    hub = entry.runtime_data
    before = dict(hub.files)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(sip_proxy="pbx.example.net", time_zone="no zone")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_setting"}  # field is in a section
    assert '"Time zone"' in result["description_placeholders"]["error"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        _options(sip_proxy="pbx.example.net", time_zone="CET", discovery=False),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data is hub
    assert entry.options["sip_proxy"] == "pbx.example.net"
    assert entry.options[CONF_DISCOVERY] is False
    assert hub.server_config.settings.sip_proxy == "pbx.example.net"
    assert hub.files != before


async def test_options_error_outside_the_form_goes_to_base(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A stored value the form does not show is reported for the whole form."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={"xml_images": {"99": "SIP99.1-0-0"}},
    )
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(nat_enable=True)
    )
    assert result["errors"] == {"base": "invalid_setting"}


SIP_DEFAULT = b"""image_version: P0S3-08-2-00
proxy_register: 1
sntp_server: "ntp.sipgate.net"
time_zone: GMT
"""
SIP_PHONE = b"""image_version: P0S3-08-2-00
phone_label : "markwilson.it" ; Has no effect on SIP Messaging
line1_name : "sipgateid" ; SIPgate device ID#
line1_authname : "sipgateid"
line1_password : "sipgatepassword"
line1_shortname : "phonenumber"
line1_displayname : "phonenumber"
proxy1_address : "sipgate.co.uk"
proxy1_port : 5060
"""

SEP_7942 = b"""<device><deviceProtocol>SIP</deviceProtocol>
<sipProfile><phoneLabel>Kitchen</phoneLabel><sipLines>
<line button="1"><featureID>9</featureID><name>3001</name></line>
</sipLines></sipProfile>
<loadInformation model="IP Phone 7942">SIP42.9-4-2SR3-1S</loadInformation>
</device>
"""


async def test_import_existing_folder(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    """The user's old TFTP folder becomes phones (and the shared settings)."""
    (tmp_path / "SIPDefault.cnf").write_bytes(SIP_DEFAULT)
    (tmp_path / "SIP0011BB73AD61.cnf").write_bytes(SIP_PHONE)
    (tmp_path / "SIP0015F9175CB0.cnf").write_bytes(SIP_PHONE)
    (tmp_path / "SEP001E4A0000C1.cnf.xml").write_bytes(SEP_7942)  # issue #13
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path, **{CONF_IMPORT_FOLDER: True})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    phones = {sub.unique_id: sub for sub in entry.subentries.values()}
    assert set(phones) == {"0011BB73AD61", "0015F9175CB0", "001E4A0000C1"}
    xml_phone = phones["001E4A0000C1"].data
    assert (xml_phone["model"], xml_phone["label"]) == ("7942", "Kitchen")
    assert xml_phone["lines"][0]["name"] == "3001"
    phone = phones["0011BB73AD61"]
    assert phone.title == "markwilson.it"
    assert phone.data["lines"][0]["name"] == "sipgateid"
    assert entry.options["ntp_server"] == "ntp.sipgate.net"
    assert entry.options[CONF_DISCOVERY] is True


async def test_import_error_then_without_import(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    (tmp_path / "SIP0011BB73AD61.cnf").write_bytes(b'line1_name: "bad name"\n')
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path, **{CONF_IMPORT_FOLDER: True})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "import_failed"}
    assert "SIP0011BB73AD61.cnf" in result["description_placeholders"]["error"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].subentries == {}


async def test_import_of_an_empty_folder_adds_nothing(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path, **{CONF_IMPORT_FOLDER: True})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].subentries == {}
    assert result["options"] == {CONF_DISCOVERY: True}


async def test_add_hub_with_a_server_adds_a_phone(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """ "Add hub" on the integration page leads to adding a phone, not a dead end."""
    entry = init_integration
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "add_phone"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"mac": "not a mac", "model": "7960", "label": ""}
    )
    assert result["errors"] == {"mac": "invalid_mac"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"mac": PHONE_MAC, "model": "7960", "label": ""}
    )
    assert result["errors"] == {"mac": "phone_exists"}
    # A name the phone cannot take is refused here, where it can be edited.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"mac": "00:1e:7a:00:00:99", "model": "7940", "label": "x" * 44},
    )
    assert result["errors"] == {"label": "invalid_label"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"mac": "00:1e:7a:00:00:99", "model": "7940", "label": "Hall"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "phone_added"
    await hass.async_block_till_done()
    added = [
        sub for sub in entry.subentries.values() if sub.unique_id == "001E7A000099"
    ]
    assert [sub.title for sub in added] == ["Hall"]


@pytest.mark.parametrize("password", ["x", " ", "        ", "seven77"])
async def test_weak_ftp_password_is_refused(
    hass: HomeAssistant, tmp_path: Path, mock_setup_entry: AsyncMock, password: str
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(tmp_path, ftp_password=password)
    )
    assert result["errors"] == {"ftp_password": "ftp_password_too_short"}


async def test_reconfigure_checks_a_new_address_with_the_same_ports(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An address that cannot bind is never saved, even with ports unchanged."""
    entry = init_integration
    for host, expected in (
        ("192.0.2.1", "address_unavailable"),
        ("999.1.1.1", "invalid_host"),
    ):
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**entry.data, CONF_HOST: host}
        )
        assert result["errors"] == {CONF_HOST: expected}
        hass.config_entries.flow.async_abort(result["flow_id"])
    assert entry.data[CONF_HOST] != "192.0.2.1"
    assert entry.state is ConfigEntryState.LOADED
