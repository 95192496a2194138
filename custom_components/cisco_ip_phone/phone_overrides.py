"""Per-phone overrides of server settings in the phone form.

The lines step shows the options form's collapsed sections again, limited to
the settings this model reads and a phone may override; a field left empty
uses the server-wide value. A switch cannot be empty, so on/off settings are
a drop-down of "On" and "Off" that may stay unset. Overrides stored for
settings the form does not show (imported, or of another model) are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
import voluptuous as vol

from .options_flow import field_for
from .provisioning.settings.models import MODELS, NOT_OVERRIDABLE
from .provisioning.settings.table import Kind, Section, Setting, server_rows

ON_OFF = selector.SelectSelector(
    selector.SelectSelectorConfig(
        options=["on", "off"], translation_key="override_bool"
    )
)


def override_rows(model: str) -> list[Setting]:
    """Return the server settings a phone of ``model`` may override in the form."""
    family = MODELS[model].family
    return [
        row
        for row in server_rows(form_only=True)
        if row.key not in NOT_OVERRIDABLE
        and row.section is not Section.BASIC  # the phone's own proxy fields
        and family in row.families
    ]


def _field(row: Setting) -> Any:
    return ON_OFF if row.kind is Kind.BOOL else field_for(row)


def _shown(row: Setting, value: Any) -> Any:
    if row.kind is Kind.BOOL and isinstance(value, bool):
        return "on" if value else "off"
    return value


def override_sections(
    model: str, overrides: Mapping[str, Any]
) -> dict[vol.Marker, Any]:
    """Return the collapsed sections of overrides, current values suggested."""
    nested: dict[str, dict[vol.Marker, Any]] = {}
    for row in override_rows(model):
        value = _shown(row, overrides.get(row.key))
        key = (
            vol.Optional(row.key)
            if value in (None, "")
            else vol.Optional(row.key, description={"suggested_value": value})
        )
        nested.setdefault(row.section.value, {})[key] = _field(row)
    return {
        vol.Optional(name): section(vol.Schema(fields), {"collapsed": True})
        for name, fields in nested.items()
    }


def _value(row: Setting, value: Any) -> Any:
    if row.kind is Kind.BOOL:
        return value == "on" if value in ("on", "off") else value
    if row.kind in (Kind.INT, Kind.PORT) and isinstance(value, float):
        return int(value)
    return value.strip() if isinstance(value, str) else value


def overrides_from_input(
    model: str, user_input: Mapping[str, Any], stored: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the phone's overrides: the form's non-empty values, then the rest.

    ``stored`` overrides of settings the form does not show are kept. Values
    are checked by ``PhoneConfig``; the phone's limits by the caller.
    """
    rows = override_rows(model)
    shown = {row.key for row in rows}
    result = {key: value for key, value in stored.items() if key not in shown}
    for row in rows:
        value = (user_input.get(row.section.value) or {}).get(row.key)
        if value not in (None, ""):
            result[row.key] = _value(row, value)
    return result
