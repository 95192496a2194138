"""Issue #12 item 5: a refusal names the field by its label, once, editable.

Every row of the settings table that a form shows is fed an invalid value
through the real form; the message shown must carry the row's label from
strings.json and never its internal key.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import SUBENTRY_PHONE
from custom_components.cisco_ip_phone.form_errors import describe, labels_from
from custom_components.cisco_ip_phone.options_flow import OPTION_FIELDS, nest_options
from custom_components.cisco_ip_phone.phone_overrides import override_rows
from custom_components.cisco_ip_phone.provisioning.errors import SettingsError
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    ServerSettings,
)
from custom_components.cisco_ip_phone.provisioning.settings.table import (
    LINE_ROWS,
    PHONE_ROWS,
    Kind,
    Setting,
    server_rows,
)

PACKAGE = Path(__file__).parent.parent / "custom_components" / "cisco_ip_phone"
STRINGS = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
OPTIONS = STRINGS["options"]["step"]["init"]
PHONE_STEPS = STRINGS["config_subentries"]["phone"]["step"]
# Kinds whose invalid values the form's own selector refuses before our check
# (a switch cannot hold an invalid value at all).
SELECTOR_CHECKED = (Kind.INT, Kind.PORT, Kind.CHOICE)
BAD = 'bad value "x";'  # a quote and a ';' no setting accepts
LONG_NAME = "A name of forty-four characters for the hall"


def option_label(key: str) -> str:
    """Return the options form's label of ``key`` (top or in a section)."""
    if key in OPTIONS["data"]:
        return str(OPTIONS["data"][key])
    for section in OPTIONS["sections"].values():
        if key in section["data"]:
            return str(section["data"][key])
    raise AssertionError(f"{key} has no label in the options form")


def assert_names_label(message: str, key: str, label: str) -> None:
    """The message quotes ``label`` and, the label aside, never says ``key``."""
    assert f'"{label}"' in message, message
    rest = message.replace(label, "")
    assert not re.search(rf"(?<![\w]){re.escape(key)}(?![\w])", rest), message


def test_no_backticks_in_translations() -> None:
    """The frontend shows errors as plain text: a backtick would show literally."""
    for name in ("strings.json", "translations/en.json"):
        text = (PACKAGE / name).read_text(encoding="utf-8")
        assert "`" not in text, name


def test_no_step_description_repeats_the_error() -> None:
    """The error is shown by the errors; a description quoting it shows it twice."""

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif path.endswith(".description"):
            assert "{error}" not in node, path

    walk(STRINGS, "")


def test_describe_replaces_keys_by_labels() -> None:
    """Keys become labels; plain words that happen to be keys stay words."""
    labels = {"image": "Target firmware", "start_media_port": "First RTP port"}
    labels["end_media_port"] = "Last RTP port"
    err = SettingsError(
        "start_media_port must not be above end_media_port", field="start_media_port"
    )
    assert describe(err, labels) == '"First RTP port" must not be above "Last RTP port"'
    err = SettingsError("lines: a firmware image name", field="lines")
    assert describe(err, labels) == "lines: a firmware image name"
    assert describe(err, {}) == str(err)
    assert labels_from({"component.other.options.step.init.data.x": "X"}) == {}


@pytest.mark.parametrize(
    "row",
    [row for row in server_rows(form_only=True) if row.kind is not Kind.BOOL],
    ids=lambda row: row.key,
)
async def test_options_refusal_names_the_label(
    hass: HomeAssistant, init_integration: MockConfigEntry, row: Setting
) -> None:
    """Every server setting of the options form: label in, key out."""
    defaults = ServerSettings().as_dict()
    form = {key: defaults[key] for key in OPTION_FIELDS}
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    user_input = nest_options({**form, "discovery": True, row.key: BAD})
    if row.kind in SELECTOR_CHECKED:
        with pytest.raises(InvalidData):  # the selector says so next to the field
            await hass.config_entries.options.async_configure(
                result["flow_id"], user_input
            )
        return
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    top = row.key in OPTIONS["data"]
    assert result["errors"] == {row.key if top else "base": "invalid_setting"}
    message = result["description_placeholders"]["error"]
    assert_names_label(message, row.key, option_label(row.key))


async def _phone_form(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PHONE), context={"source": SOURCE_USER}
    )
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": "00:1e:4a:00:00:09", "model": "7961"}
    )


async def test_long_name_is_refused_on_step_one(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A 7960 shows 11 characters: step one says so, where the name is editable."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_PHONE), context={"source": SOURCE_USER}
    )
    mac = "00:1e:4a:00:00:08"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": mac, "model": "7960", "label": LONG_NAME}
    )
    assert result["step_id"] == "user"
    assert result["errors"] == {"label": "invalid_setting"}
    message = result["description_placeholders"]["error"]
    assert_names_label(message, "label", PHONE_STEPS["user"]["data"]["label"])
    assert "11" in message
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": mac, "model": "7960", "label": LONG_NAME[:11]}
    )
    assert result["step_id"] == "lines"


async def test_reconfigure_refuses_a_long_name_on_its_first_step(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Changing the model or name: the same check before the lines step."""
    entry = init_integration
    subentry_id = next(iter(entry.subentries))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PHONE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"model": "7940", "label": LONG_NAME}
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"label": "invalid_setting"}
    message = result["description_placeholders"]["error"]
    assert_names_label(message, "label", PHONE_STEPS["reconfigure"]["data"]["label"])


@pytest.mark.parametrize(
    "row",
    [row for row in PHONE_ROWS if row.form and row.key != "label"],
    ids=lambda row: row.key,
)
async def test_phone_refusal_names_the_label(
    hass: HomeAssistant, init_integration: MockConfigEntry, row: Setting
) -> None:
    """Every phone setting of the lines step: label in, key out."""
    result = await _phone_form(hass, init_integration)
    assert result["step_id"] == "lines"
    user_input = {row.key: BAD, "line_1": {"name": "2001"}}
    if row.kind in SELECTOR_CHECKED:
        with pytest.raises(InvalidData):
            await hass.config_entries.subentries.async_configure(
                result["flow_id"], user_input
            )
        return
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {row.key: "invalid_setting"}
    message = result["description_placeholders"]["error"]
    assert_names_label(message, row.key, PHONE_STEPS["lines"]["data"][row.key])


@pytest.mark.parametrize(
    "row",
    [row for row in LINE_ROWS if row.form and row.kind is not Kind.BOOL],
    ids=lambda row: row.key,
)
async def test_line_refusal_names_the_label_and_line(
    hass: HomeAssistant, init_integration: MockConfigEntry, row: Setting
) -> None:
    """Every line setting: in a section, so the form's error names line and label."""
    result = await _phone_form(hass, init_integration)
    line = {"name": "2001", row.key: BAD}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"line_1": {"name": "2000"}, "line_2": line}
    )
    assert result["errors"] == {"base": "invalid_setting"}
    message = result["description_placeholders"]["error"]
    assert message.startswith("Line 2: ")
    label = PHONE_STEPS["lines"]["sections"]["line_2"]["data"][row.key]
    assert_names_label(message, row.key, label)
    assert "line." not in message


async def test_speed_dials_auto_answer_and_contact_are_saved(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Issue #13: the phone form's speed dials (label=number) and line extras."""
    result = await _phone_form(hass, init_integration)
    line = {"name": "2001", "contact": "desk2001", "auto_answer": True}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"line_1": line, "speed_dials": "Kitchen"}
    )
    assert result["errors"] == {"speed_dials": "invalid_setting"}
    message = result["description_placeholders"]["error"]
    assert_names_label(
        message, "speed_dials", PHONE_STEPS["lines"]["data"]["speed_dials"]
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"line_1": line, "speed_dials": "Kitchen = 201\n\nDoor=*55"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data["speed_dials"] == [
        {"label": "Kitchen", "number": "201"},
        {"label": "Door", "number": "*55"},
    ]
    assert data["lines"][0]["contact"] == "desk2001"
    assert data["lines"][0]["auto_answer"] is True


def _override_cases() -> list[tuple[str, Setting]]:
    """Each overridable row once, with a model that reads it."""
    cases: dict[str, tuple[str, Setting]] = {}
    for model in ("7960", "7965"):
        for row in override_rows(model):
            cases.setdefault(row.key, (model, row))
    return list(cases.values())


def test_phone_override_sections_mirror_the_options_form() -> None:
    """Same section names, labels and help as the options form."""
    sections = PHONE_STEPS["lines"]["sections"]
    for _model, row in _override_cases():
        part = sections[row.section.value]
        assert part["name"] == OPTIONS["sections"][row.section.value]["name"]
        assert part["data"][row.key] == option_label(row.key)
        assert row.key in part["data_description"]


@pytest.mark.parametrize(
    ("model", "row"), _override_cases(), ids=lambda case: getattr(case, "key", case)
)
async def test_override_refusal_names_the_label(
    hass: HomeAssistant, init_integration: MockConfigEntry, model: str, row: Setting
) -> None:
    """Every override of the phone form: in a section, so a labelled base error."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_PHONE), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": "00:1e:4a:00:00:0a", "model": model}
    )
    user_input = {"line_1": {"name": "2001"}, row.section.value: {row.key: BAD}}
    if row.kind in (*SELECTOR_CHECKED, Kind.BOOL):
        with pytest.raises(InvalidData):
            await hass.config_entries.subentries.async_configure(
                result["flow_id"], user_input
            )
        return
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {"base": "invalid_setting"}
    message = result["description_placeholders"]["error"]
    assert_names_label(message, row.key, option_label(row.key))


async def test_overrides_are_saved_shown_and_kept(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Empty uses the server value; set ones are stored, shown again, kept."""
    entry = init_integration
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PHONE), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mac": "00:1e:4a:00:00:0b", "model": "7960"}
    )
    user_input: dict[str, Any] = {
        "line_1": {"name": "2001"},
        "time": {"time_zone": "UTC", "time_format_24hr": "off"},
        "features": {"call_waiting": 3},
        "nat": {"nat_address": ""},
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {"base": "invalid_setting"}  # not a 79x0 zone
    assert '"Time zone"' in result["description_placeholders"]["error"]
    user_input["time"]["time_zone"] = "CET"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    overrides = {"call_waiting": 3, "time_format_24hr": False, "time_zone": "CET"}
    assert result["data"]["overrides"] == overrides
    await hass.async_block_till_done()
    files = entry.runtime_data.files
    assert 'time_zone: "CET"' in files["SIP001E4A00000B.cnf"].content.decode()

    subentry_id = next(
        key for key, sub in entry.subentries.items() if sub.unique_id == "001E4A00000B"
    )
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PHONE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"model": "7960", "label": "Hall"}
    )
    shown = {
        str(key): key.description
        for key in result["data_schema"].schema["time"].schema.schema
    }
    assert shown["time_zone"] == {"suggested_value": "CET"}
    assert shown["time_format_24hr"] == {"suggested_value": "off"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"line_1": {"name": "2001"}, "time": {"time_zone": "CET"}}
    )
    assert result["type"] is FlowResultType.ABORT
    data = entry.subentries[subentry_id].data
    assert data["overrides"] == {"time_zone": "CET"}  # the others were cleared
