"""Phone subentry flow: add or reconfigure one phone of the server.

Two steps: who the phone is (MAC, model, name), then what it runs (lines,
proxy override, target firmware). The line step has one section per line key
of the model; a line whose name is empty is unused. The engine's
``PhoneConfig`` validates everything, each step what it asks (the name with
the model's limit on step one, where it can still be edited); its message is
shown once, next to the field or as the form's error, naming the field by its
label (``form_errors``).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
import voluptuous as vol

from .form_errors import async_labels, describe
from .provisioning.settings.models import (
    MODELS,
    InvalidMacError,
    Line,
    PhoneConfig,
    ProvisioningError,
    SettingsError,
    normalize_mac,
)
from .provisioning.settings.table import PHONE

LINE_FIELDS = ("name", "auth_name", "password", "display_name", "short_name")
TEXT = selector.TextSelector()
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
    fields: dict[vol.Marker, Any] = {
        suggested("image", phone.image if phone else ""): TEXT,
        suggested("proxy_address", phone.proxy_address if phone else ""): TEXT,
        suggested("proxy_port", phone.proxy_port if phone else None): PORT,
    }
    for index in range(MODELS[model].line_keys):
        line = lines[index] if index < len(lines) else None
        line_fields = {
            suggested(name, getattr(line, name) if line else ""): (
                PASSWORD if name == "password" else TEXT
            )
            for name in LINE_FIELDS
        }
        fields[vol.Optional(f"line_{index + 1}")] = section(
            vol.Schema(line_fields), {"collapsed": index > 0 and line is None}
        )
    return vol.Schema(fields)


# Fields shown at the top of the lines step: a refusal is shown next to them.
TOP_FIELDS = frozenset({"image", "proxy_address", "proxy_port"})


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


def build_line(index: int, values: dict[str, Any]) -> Line:
    """Return line ``index`` (0-based); a refusal says which line it is."""
    text = {name: str(values.get(name, "")).strip() for name in LINE_FIELDS}
    try:
        return Line(
            name=text["name"],
            auth_name=text["auth_name"],
            password=text["password"],
            display_name=text["display_name"],
            short_name=text["short_name"],
        )
    except ProvisioningError as err:
        raise SettingsError(f"Line {index + 1}: {err}", field=err.field) from err


def build_phone(identity: dict[str, Any], user_input: dict[str, Any]) -> PhoneConfig:
    """Return the validated phone from both steps' input."""
    lines: list[Line] = []
    for index in range(MODELS[identity["model"]].line_keys):
        values = user_input.get(f"line_{index + 1}") or {}
        if str(values.get("name", "")).strip():
            lines.append(build_line(index, values))
    port = user_input.get("proxy_port")
    phone = PhoneConfig(
        mac=identity["mac"],
        model=identity["model"],
        label=identity.get("label", ""),
        lines=tuple(lines),
        proxy_address=str(user_input.get("proxy_address", "")).strip(),
        proxy_port=int(port) if port is not None else None,
        image=str(user_input.get("image", "")).strip(),
    )
    for limit in phone.limit_errors():
        raise limit  # the form refuses what the phone would cut or ignore
    return phone


class PhoneSubentryFlowHandler(ConfigSubentryFlow):
    """Add a phone, or change one."""

    def __init__(self) -> None:
        self._identity: dict[str, Any] = {}
        self._existing: PhoneConfig | None = None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the phone's MAC, model and name."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            try:
                mac = normalize_mac(user_input["mac"])
            except InvalidMacError:
                errors["mac"] = "invalid_mac"
            else:
                entry = self._get_entry()
                if any(sub.unique_id == mac for sub in entry.subentries.values()):
                    return self.async_abort(reason="already_configured")
                label = user_input.get("label", "").strip()
                errors = await self._async_check_identity(
                    mac, user_input["model"], label, placeholders
                )
                if not errors:
                    return await self.async_step_lines()
        schema = vol.Schema(
            {
                vol.Required("mac"): TEXT,
                vol.Required("model", default="7960"): model_selector(),
                vol.Optional("label"): TEXT,
            }
        )
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(
            step_id="user",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_check_identity(
        self, mac: str, model: str, label: str, placeholders: dict[str, str]
    ) -> dict[str, str]:
        """Keep step one's answers if the model accepts them; else form errors."""
        try:
            check_identity(mac, model, label)
        except ProvisioningError as err:
            placeholders["error"] = describe(err, await async_labels(self.hass))
            return {"label" if err.field == "label" else "base": "invalid_setting"}
        self._identity = {"mac": mac, "model": model, "label": label}
        return {}

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the model or name of a phone (its MAC is its identity)."""
        subentry = self._get_reconfigure_subentry()
        self._existing = PhoneConfig.from_dict(dict(subentry.data))
        errors: dict[str, str] = {}
        placeholders = {"mac": self._existing.mac, "error": ""}
        if user_input is not None:
            errors = await self._async_check_identity(
                self._existing.mac,
                user_input["model"],
                user_input.get("label", "").strip(),
                placeholders,
            )
            if not errors:
                return await self.async_step_lines()
        schema = vol.Schema(
            {
                vol.Required("model", default=self._existing.model): model_selector(),
                suggested("label", self._existing.label): TEXT,
            }
        )
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_lines(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for lines, proxy override and target firmware; save the phone."""
        errors: dict[str, str] = {}
        placeholders = {"error": "", "model": self._identity["model"]}
        shown = self._existing
        if user_input is not None:
            try:
                phone = build_phone(self._identity, user_input)
            except ProvisioningError as err:
                field = err.field if err.field in TOP_FIELDS else "base"
                errors[field or "base"] = "invalid_setting"
                placeholders["error"] = describe(err, await async_labels(self.hass))
            else:
                title = phone.label or f"Cisco {phone.model} {phone.mac}"
                if self._existing is not None:
                    return self.async_update_and_abort(
                        self._get_entry(),
                        self._get_reconfigure_subentry(),
                        data=phone.as_dict(),
                        title=title,
                    )
                return self.async_create_entry(
                    title=title, data=phone.as_dict(), unique_id=phone.mac
                )
        schema = lines_schema(self._identity["model"], shown)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(
            step_id="lines",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )
