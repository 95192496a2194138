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
import voluptuous as vol

from .form_errors import async_labels, describe
from .phone_form import (
    TEXT,
    TOP_FIELDS,
    build_phone,
    check_identity,
    lines_schema,
    model_selector,
    suggested,
)
from .provisioning.settings.models import (
    InvalidMacError,
    PhoneConfig,
    ProvisioningError,
    normalize_mac,
)


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
                phone = build_phone(self._identity, user_input, self._existing)
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
