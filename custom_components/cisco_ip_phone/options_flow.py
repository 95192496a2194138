"""Options: server-wide phone settings and the FTP server's security.

Phone settings only change generated files and are applied in place. The FTP
security options change how the FTP server runs, so the entry's update
listener reloads the entry when one of them changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
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
from .provisioning.ftp.settings import FtpSettingsError, TlsMode
from .provisioning.settings.models import ProvisioningError, ServerSettings
from .provisioning.settings.table import Kind, Setting, server_rows
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
# FtpSettings field name -> the option that sets it (for form errors).
FTP_ERROR_FIELDS = {
    "tls": CONF_FTP_TLS,
    "certfile": CONF_FTP_CERTFILE,
    "keyfile": CONF_FTP_KEYFILE,
    "masquerade_address": CONF_FTP_MASQUERADE,
}


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
            errors[key] = "file_not_found"
    return errors


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
            options = {**self.config_entry.options, **user_input}
            for key in INT_OPTIONS:
                options[key] = int(options[key])
            options.update(ftp_security_from_options(options))
            errors = await self._async_validate(options, placeholders)
            if not errors:
                return self.async_create_entry(data=options)
            current.update(user_input)
        fields = {**OPTION_FIELDS, **FTP_FIELDS}
        schema = vol.Schema(
            {
                **{
                    option_key(key, current[key], field): field
                    for key, field in fields.items()
                },
                vol.Required(
                    CONF_DISCOVERY, default=current[CONF_DISCOVERY]
                ): selector.BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_validate(
        self, options: dict[str, Any], placeholders: dict[str, str]
    ) -> dict[str, str]:
        """Return form errors; the message of the first goes to ``{error}``."""
        try:
            config = ServerConfig.from_entry(self.config_entry.data, options)
            config.ftp_settings()
            for limit in config.settings.limit_errors():
                raise limit
        except FtpSettingsError as err:
            placeholders["error"] = str(err)
            return {FTP_ERROR_FIELDS.get(err.field or "", "base"): "invalid_setting"}
        except ProvisioningError as err:
            field = err.field if err.field in OPTION_FIELDS else "base"
            placeholders["error"] = str(err)
            return {field or "base": "invalid_setting"}
        return await self.hass.async_add_executor_job(missing_files, options)
