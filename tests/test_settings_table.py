"""Walk every row of the settings table: each setting must reach everything.

A row that is missing from its model, the options form, a translation, the
generated docs, the importer, or a rendered file it should reach fails here,
by name. Also the phone's own limits (issue #13 item 6): what the phone would
ignore is refused by the forms.
"""

from __future__ import annotations

from dataclasses import fields, replace
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.options_flow import (
    FIELD_SECTION,
    OPTION_FIELDS,
    nest_options,
)
from custom_components.cisco_ip_phone.provisioning.files.cnf_import import SERVER_KEYS
from custom_components.cisco_ip_phone.provisioning.files.render import render_files
from custom_components.cisco_ip_phone.provisioning.settings import docs as ref
from custom_components.cisco_ip_phone.provisioning.settings.identity import Family
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    Line,
    PhoneConfig,
    ServerSettings,
)
from custom_components.cisco_ip_phone.provisioning.settings.table import (
    LINE_ROWS,
    PHONE_ROWS,
    SERVER_ROWS,
    Kind,
    Setting,
)

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = REPO / "custom_components" / "cisco_ip_phone"
# Settings a row only takes effect with (its file element needs them).
CONTEXT: dict[str, dict[str, Any]] = {
    "outbound_proxy_port": {"outbound_proxy": "192.0.2.1"},
    "ntp_mode": {"ntp_server": "192.0.2.1"},
}
SERVER_KEYS_ROWS = [row for row in SERVER_ROWS if row.kind is not Kind.STRUCT]


def _strings(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INTEGRATION / name).read_text("utf-8"))
    return data


def sample(row: Setting) -> Any:
    """Return a valid value different from the row's default."""
    if row.choices:
        return next(choice for choice in row.choices if choice != row.default)
    return {
        Kind.BOOL: not row.default,
        Kind.INT: row.high if row.default != row.high else row.low,
        Kind.PORT: 5077,
        Kind.HOST: "192.0.2.77",
        Kind.URL: "http://192.0.2.77/x.xml",
        Kind.TEXT: "777",
        Kind.PASSWORD: "secret77",
        Kind.IMAGE: "P0S3-8-11-00",
    }[row.kind]


def test_models_have_exactly_the_table_fields() -> None:
    """Server, phone and line models are made of the table's rows."""
    assert [f.name for f in fields(ServerSettings)] == [r.key for r in SERVER_ROWS]
    phone = {f.name for f in fields(PhoneConfig)} - {
        "mac",
        "model",
        "lines",
        "overrides",
    }
    assert phone == {row.key for row in PHONE_ROWS}
    assert [f.name for f in fields(Line)] == [row.key for row in LINE_ROWS]
    defaults = ServerSettings()
    for row in SERVER_KEYS_ROWS:
        assert getattr(defaults, row.key) == row.default, row.key


@pytest.mark.parametrize("row", SERVER_ROWS, ids=lambda row: row.key)
def test_every_server_row_reaches_form_translations_docs(row: Setting) -> None:
    """A form row is in the form with a label and help, in both string files."""
    generated = ref.settings_reference(_labels())
    assert f"`{row.key}`" in generated, f"{row.key} missing from the docs"
    if not row.form:
        assert row.key not in OPTION_FIELDS
        return
    assert row.key in OPTION_FIELDS, f"{row.key} missing from the options form"
    init = _strings("strings.json")["options"]["step"]["init"]
    where = init["sections"].get(FIELD_SECTION[row.key] or "", init)
    assert row.key in where["data"], f"{row.key}: no label"
    assert row.key in where["data_description"], f"{row.key}: no help"


def _labels() -> dict[str, str]:
    return ref.labels_from_strings(_strings("strings.json"))


def test_string_files_are_identical() -> None:
    """strings.json and translations/en.json say the same."""
    assert _strings("strings.json") == _strings("translations/en.json")


def test_docs_reference_is_generated_from_the_table() -> None:
    """docs/configuration.md holds exactly what scripts/gen_settings_docs.py writes."""
    text = (REPO / "docs" / "configuration.md").read_text("utf-8")
    assert ref.replace_reference(text, _labels()) == text, (
        "run scripts/gen_settings_docs.py"
    )


@pytest.mark.parametrize("row", SERVER_KEYS_ROWS, ids=lambda row: row.key)
def test_every_server_row_is_imported_and_rendered(row: Setting) -> None:
    """The importer maps its .cnf key; a changed value reaches every file kind."""
    value = sample(row)
    if row.key == "start_media_port":
        value = 20000
    base = replace(ServerSettings(), **CONTEXT.get(row.key, {}))
    settings = replace(base, **{row.key: value})
    phones = [
        PhoneConfig(mac="001122334455", model="7960", lines=(Line("201"),)),
        PhoneConfig(mac="001122334466", model="7965", lines=(Line("202"),)),
    ]
    files = render_files(settings, phones)
    baseline = render_files(base, phones)
    if row.cnf_key:
        assert SERVER_KEYS[row.cnf_key][0] == row.key, f"{row.key}: not imported"
    if Family.F79X0 in row.families and row.cnf_key:
        text = files["SIPDefault.cnf"].content.decode()
        assert f"\n{row.cnf_key}: " in "\n" + text, f"{row.key} not in SIPDefault.cnf"
        assert text != baseline["SIPDefault.cnf"].content.decode(), row.key
    if row.xml_path and row.families & {Family.F79X5}:
        name = "SEP001122334466.cnf.xml"
        assert files[name].content != baseline[name].content, f"{row.key} not in XML"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "UTC"}, "time_zone"),
        ({"time_zone": "CEST"}, "time_zone"),
        ({"date_format": "D.M.Y"}, "date_format"),
    ],
)
def test_phone_limits_refuse_what_the_phone_ignores(
    changes: dict[str, Any], field: str
) -> None:
    """Item 6: values the 79x0 firmware does not know are limit errors."""
    settings = ServerSettings(**changes)  # stored data still loads
    errors = settings.limit_errors()
    assert [err.field for err in errors] == [field]
    assert ServerSettings().limit_errors() == []


def test_79x0_label_is_at_most_11_characters() -> None:
    """Item 6: a 7940/7960 shows 11 characters of phone_label."""
    long = PhoneConfig(mac="001122334455", model="7940", label="Living room")
    assert long.limit_errors() == []
    longer = replace(long, label="Living rooms")
    assert [err.field for err in longer.limit_errors()] == ["label"]
    xml = PhoneConfig(mac="001122334455", model="7941", label="Living rooms")
    assert xml.limit_errors() == []


async def test_options_form_refuses_an_unknown_time_zone(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Item 6: the options form says why a time zone is refused."""
    defaults = ServerSettings().as_dict()
    form = {key: defaults[key] for key in OPTION_FIELDS}
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        nest_options({**form, "discovery": True, "time_zone": "UTC"}),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_setting"}
    assert "GMT" in result["description_placeholders"]["error"]


def test_xml_phones_are_told_udp_like_every_public_template() -> None:
    """Item 5: SEP<MAC>.cnf.xml of a 79x1 carries <transportLayerProtocol>."""
    phone = PhoneConfig(mac="001122334466", model="7941", lines=(Line("202"),))
    xml = render_files(ServerSettings(), [phone])["SEP001122334466.cnf.xml"]
    assert b"<transportLayerProtocol>2</transportLayerProtocol>" in xml.content
    tcp = render_files(ServerSettings(transport="tcp"), [phone])
    assert b"<transportLayerProtocol>1<" in tcp["SEP001122334466.cnf.xml"].content
