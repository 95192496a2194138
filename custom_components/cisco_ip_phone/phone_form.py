"""The phone form's fields and how its input becomes a ``PhoneConfig``.

Kept apart from the flow (``config_flow_phone.py``) so each stays one job:
this builds the schema of the lines step (lines, speed dials, overrides) and
turns the submitted values into a validated phone, refusing what the phone
would cut or ignore.
"""

from __future__ import annotations

from typing import Any

from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
import voluptuous as vol

from .phone_overrides import override_sections, overrides_from_input
from .provisioning.settings.models import (
    MODELS,
    Line,
    PhoneConfig,
    ProvisioningError,
    SettingsError,
    SpeedDial,
)
from .provisioning.settings.table import PHONE, SERVER

LINE_FIELDS = ("name", "auth_name", "password", "display_name", "short_name")
LINE_TEXT = (*LINE_FIELDS, "contact")
TEXT = selector.TextSelector()
MULTILINE = selector.TextSelector(selector.TextSelectorConfig(multiline=True))
PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
PORT = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=1, max=65535, step=1, mode=selector.NumberSelectorMode.BOX
    )
)


def model_selector() -> selector.SelectSelector:
    """Return a drop-down of the supported models."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=list(MODELS), mode=selector.SelectSelectorMode.DROPDOWN
        )
    )


def suggested(key: str, value: Any) -> vol.Optional:
    """Return an optional key showing ``value`` that can still be cleared."""
    if value in (None, ""):
        return vol.Optional(key)
    return vol.Optional(key, description={"suggested_value": value})


def lines_schema(model: str, phone: PhoneConfig | None) -> vol.Schema:
    """Return the form of one phone's lines and overrides."""
    lines = phone.lines if phone is not None else ()
    dials = phone.speed_dials if phone is not None else ()
    fields: dict[vol.Marker, Any] = {
        suggested("image", phone.image if phone else ""): TEXT,
        suggested("proxy_address", phone.proxy_address if phone else ""): TEXT,
        suggested("proxy_port", phone.proxy_port if phone else None): PORT,
        suggested("speed_dials", format_speed_dials(dials)): MULTILINE,
    }
    for index in range(MODELS[model].line_keys):
        line = lines[index] if index < len(lines) else None
        line_fields: dict[vol.Marker, Any] = {
            suggested(name, getattr(line, name) if line else ""): (
                PASSWORD if name == "password" else TEXT
            )
            for name in LINE_TEXT
        }
        auto = vol.Optional("auto_answer", default=bool(line and line.auto_answer))
        line_fields[auto] = selector.BooleanSelector()
        fields[vol.Optional(f"line_{index + 1}")] = section(
            vol.Schema(line_fields), {"collapsed": index > 0 and line is None}
        )
    fields |= override_sections(model, phone.overrides if phone else {})
    return vol.Schema(fields)


# Fields shown at the top of the lines step: a refusal is shown next to them.
TOP_FIELDS = frozenset({"image", "proxy_address", "proxy_port", "speed_dials"})


def check_identity(mac: str, model: str, label: str) -> PhoneConfig:
    """Return the phone step one describes; refuse a name the model would cut.

    The model's own limit is checked first, so a 7960 is told 11 characters,
    not the 32 of the others.
    """
    PHONE["label"].check_limits(label, MODELS[model].family)
    phone = PhoneConfig(mac=mac, model=model, label=label)
    for limit in phone.limit_errors():
        raise limit
    return phone


def format_speed_dials(dials: tuple[SpeedDial, ...]) -> str:
    """Return speed dials as the form shows them: ``label=number`` a line."""
    return "\n".join(f"{dial.label}={dial.number}" for dial in dials)


def parse_speed_dials(text: str) -> tuple[SpeedDial, ...]:
    """Return the speed dials of the form's text; a bad line is named."""
    dials: list[SpeedDial] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        label, sep, dial = raw.rpartition("=")
        if not sep:
            raise SettingsError(
                f"speed_dials: line {number} ({raw.strip()!r}) is not "
                "label=number, such as Kitchen=201",
                field="speed_dials",
            )
        dials.append(SpeedDial(label=label.strip(), number=dial.strip()))
    return tuple(dials)


def build_line(index: int, values: dict[str, Any]) -> Line:
    """Return line ``index`` (0-based); a refusal says which line it is."""
    text = {name: str(values.get(name, "")).strip() for name in LINE_TEXT}
    try:
        return Line(
            name=text["name"],
            auth_name=text["auth_name"],
            password=text["password"],
            display_name=text["display_name"],
            short_name=text["short_name"],
            auto_answer=bool(values.get("auto_answer", False)),
            contact=text["contact"],
        )
    except ProvisioningError as err:
        raise SettingsError(f"Line {index + 1}: {err}", field=err.field) from err


def build_phone(
    identity: dict[str, Any],
    user_input: dict[str, Any],
    existing: PhoneConfig | None = None,
) -> PhoneConfig:
    """Return the validated phone from both steps' input.

    What the form does not show (the dial-plan switch, the settings-menu
    password, overrides of settings the model does not read) is kept from
    ``existing``, so reconfiguring never drops a stored setting.
    """
    model = identity["model"]
    lines: list[Line] = []
    for index in range(MODELS[model].line_keys):
        values = user_input.get(f"line_{index + 1}") or {}
        if str(values.get("name", "")).strip():
            lines.append(build_line(index, values))
    port = user_input.get("proxy_port")
    phone = PhoneConfig(
        mac=identity["mac"],
        model=model,
        label=identity.get("label", ""),
        lines=tuple(lines),
        proxy_address=str(user_input.get("proxy_address", "")).strip(),
        proxy_port=int(port) if port is not None else None,
        image=str(user_input.get("image", "")).strip(),
        speed_dials=parse_speed_dials(str(user_input.get("speed_dials") or "")),
        dial_plan=existing.dial_plan if existing else True,
        phone_password=existing.phone_password if existing else None,
        overrides=overrides_from_input(
            model, user_input, existing.overrides if existing else {}
        ),
    )
    for limit in phone.limit_errors():
        raise limit  # the form refuses what the phone would cut or ignore
    family = phone.phone_model.family
    for key, value in phone.overrides.items():
        SERVER[key].check_limits(value, family)
    return phone
