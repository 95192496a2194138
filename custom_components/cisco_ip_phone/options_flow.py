"""Options: server-wide phone settings and the FTP server's security.

Phone settings only change generated files and are applied in place. The FTP
security options change how the FTP server runs, so the entry's update
listener reloads the entry when one of them changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
import voluptuous as vol

from .const import (
    CONF_DISCOVERY,
    CONF_FTP_ALLOW_DELETE,
    CONF_FTP_CERTFILE,
    CONF_FTP_KEYFILE,
    CONF_FTP_MASQUERADE,
    CONF_FTP_TLS,
)
from .form_errors import async_labels, describe
from .provisioning.ftp.settings import FtpSettingsError, TlsMode
from .provisioning.settings.models import ProvisioningError, ServerSettings
from .provisioning.settings.table import Kind, Section, Setting, server_rows
from .server_config import ServerConfig, ftp_security_from_options

PORT = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=1, max=65535, step=1, mode=selector.NumberSelectorMode.BOX
    )
)
TEXT = selector.TextSelector()
PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)


def field_for(row: Setting) -> Any:
    """Return the form field of a setting, chosen by its kind in the table."""
    if row.kind is Kind.BOOL:
        return selector.BooleanSelector()
    if row.kind is Kind.PORT:
        return PORT
    if row.kind is Kind.INT:
        return selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=row.low or 0,
                max=row.high or 0,
                step=1,
                mode=selector.NumberSelectorMode.BOX,
            )
        )
    if row.kind is Kind.PASSWORD:
        return PASSWORD
    if row.choices:
        config = selector.SelectSelectorConfig(options=list(row.choices))
        if row.translated:
            config["translation_key"] = row.key
        if row.kind is not Kind.CHOICE:
            # A stored value outside the list reaches the check, which says why.
            config["custom_value"] = True
        if len(row.choices) > 5:
            config["mode"] = selector.SelectSelectorMode.DROPDOWN
        return selector.SelectSelector(config)
    return TEXT


# Every server-wide setting the settings table puts in the options form.
OPTION_FIELDS: dict[str, Any] = {
    row.key: field_for(row) for row in server_rows(form_only=True)
}
INT_OPTIONS = tuple(
    row.key for row in server_rows(form_only=True) if row.kind in (Kind.INT, Kind.PORT)
)

FTP_FIELDS: dict[str, Any] = {
    CONF_FTP_TLS: selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=[mode.value for mode in TlsMode], translation_key="ftp_tls"
        )
    ),
    CONF_FTP_CERTFILE: TEXT,
    CONF_FTP_KEYFILE: TEXT,
    CONF_FTP_MASQUERADE: TEXT,
    CONF_FTP_ALLOW_DELETE: selector.BooleanSelector(),
}
FTP_SECTION = "ftp"


def option_key(key: str, value: Any, field: Any) -> vol.Marker:
    """Return the schema key of an option.

    Text is optional with the current value suggested, so clearing a field
    really clears it (a default would silently put the old value back).
    """
    if field in (TEXT, PASSWORD):
        return vol.Optional(
            key, default="", description={"suggested_value": value or ""}
        )
    return vol.Required(key, default=value)


def missing_files(options: dict[str, Any]) -> dict[str, str]:
    """Return form errors for certificate files that cannot be read (blocking)."""
    errors: dict[str, str] = {}
    for key in (CONF_FTP_CERTFILE, CONF_FTP_KEYFILE):
        path = options.get(key)
        if path and not Path(path).is_file():
            errors["base"] = "file_not_found"  # the field is in a section
    return errors


# Form section of each field; None: shown at the top (the common case).
FIELD_SECTION: dict[str, str | None] = {
    **{
        row.key: None if row.section is Section.BASIC else row.section.value
        for row in server_rows(form_only=True)
    },
    **dict.fromkeys(FTP_FIELDS, FTP_SECTION),
    CONF_DISCOVERY: None,
}
SECTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(name for name in FIELD_SECTION.values() if name is not None)
)


def options_schema(current: dict[str, Any]) -> vol.Schema:
    """Return the form: the SIP server on top, everything else in sections."""
    fields: dict[str, Any] = {
        **OPTION_FIELDS,
        **FTP_FIELDS,
        CONF_DISCOVERY: selector.BooleanSelector(),
    }
    top: dict[vol.Marker, Any] = {}
    nested: dict[str, dict[vol.Marker, Any]] = {name: {} for name in SECTIONS}
    for key, field in fields.items():
        name = FIELD_SECTION[key]
        target = top if name is None else nested[name]
        target[option_key(key, current[key], field)] = field
    for name in SECTIONS:
        top[vol.Required(name)] = section(vol.Schema(nested[name]), {"collapsed": True})
    return vol.Schema(top)


def flatten_options(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the form's input as the flat options the entry stores."""
    flat: dict[str, Any] = {}
    for key, value in user_input.items():
        if key in SECTIONS and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def nest_options(flat: dict[str, Any]) -> dict[str, Any]:
    """Return flat options in the form's shape (sections as nested dicts)."""
    nested: dict[str, Any] = {name: {} for name in SECTIONS}
    for key, value in flat.items():
        name = FIELD_SECTION.get(key)
        if name is None:
            nested[key] = value
        else:
            nested[name][key] = value
    return nested


class CiscoPhoneOptionsFlow(OptionsFlow):
    """Tunables: generated files in place, FTP security by restarting FTP."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and validate the server-wide settings."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        current = {
            **ServerSettings().as_dict(),
            CONF_DISCOVERY: True,
            **self.config_entry.options,
        }
        current.update(ftp_security_from_options(current))
        if user_input is not None:
            user_input = flatten_options(user_input)
            options = {**self.config_entry.options, **user_input}
            for key in INT_OPTIONS:
                options[key] = int(options[key])
            options.update(ftp_security_from_options(options))
            errors = await self._async_validate(options, placeholders)
            if not errors:
                return self.async_create_entry(data=options)
            current.update(user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=options_schema(current),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_validate(
        self, options: dict[str, Any], placeholders: dict[str, str]
    ) -> dict[str, str]:
        """Return form errors; the message of the first goes to ``{error}``.

        A field at the top gets the error next to it; a field in a collapsed
        section cannot (Home Assistant 2025.4), so the form's error names it
        by its label. Either way the message is shown once.
        """
        try:
            config = ServerConfig.from_entry(self.config_entry.data, options)
            config.ftp_settings()
            for limit in config.settings.limit_errors():
                raise limit
        except ProvisioningError as err:
            top = not isinstance(err, FtpSettingsError) and (
                FIELD_SECTION.get(err.field or "", "") is None
            )
            placeholders["error"] = describe(err, await async_labels(self.hass))
            return {(err.field if top and err.field else "base"): "invalid_setting"}
        return await self.hass.async_add_executor_job(missing_files, options)
