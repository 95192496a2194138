"""Config flow: the provisioning server, its options, and discovered phones.

One server per Home Assistant, enforced here (not with
``single_config_entry``, which would also abort discovery flows). Phones are
config subentries (see ``config_flow_phone``). A phone that asks for its
files without being configured starts an ``integration_discovery`` flow
whose unique id is its MAC, so "ignore" is remembered by Home Assistant.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
import socket
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
)
from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr, selector
import voluptuous as vol

from .config_flow_phone import PhoneSubentryFlowHandler
from .const import (
    CONF_DISCOVERY,
    CONF_FTP_PASSWORD,
    CONF_FTP_PORT,
    CONF_FTP_USERNAME,
    CONF_HOST,
    CONF_IMPORT_FOLDER,
    CONF_PASSIVE_END,
    CONF_PASSIVE_START,
    CONF_ROOT,
    CONF_TFTP_PORT,
    DEFAULT_FTP_PORT,
    DEFAULT_FTP_USERNAME,
    DEFAULT_HOST,
    DEFAULT_PASSIVE_END,
    DEFAULT_PASSIVE_START,
    DEFAULT_ROOT_NAME,
    DEFAULT_TFTP_PORT,
    DOMAIN,
    LOGGER,
    SUBENTRY_PHONE,
)
from .import_phones import import_phones
from .options_flow import PASSWORD, PORT, TEXT, CiscoPhoneOptionsFlow
from .phone_form import model_selector
from .provisioning.ftp.settings import FtpSettings, FtpSettingsError
from .provisioning.settings.models import (
    MODELS,
    InvalidMacError,
    PhoneConfig,
    ProvisioningError,
    normalize_mac,
)
from .validation import check_bind, check_folder

TITLE = "Cisco IP phone provisioning"

PORT_KEYS = (CONF_TFTP_PORT, CONF_FTP_PORT, CONF_PASSIVE_START, CONF_PASSIVE_END)
MIN_FTP_PASSWORD = 8
# Errors of the bind address itself, shown on the address field.
HOST_ERRORS = frozenset({"invalid_host", "address_unavailable"})


def server_schema(defaults: Mapping[str, Any], *, with_import: bool) -> vol.Schema:
    """Return the form of the server's connection settings."""
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_ROOT, default=defaults[CONF_ROOT]): TEXT,
        vol.Required(CONF_HOST, default=defaults[CONF_HOST]): TEXT,
        vol.Required(CONF_TFTP_PORT, default=defaults[CONF_TFTP_PORT]): PORT,
        vol.Required(CONF_FTP_PORT, default=defaults[CONF_FTP_PORT]): PORT,
        vol.Required(CONF_PASSIVE_START, default=defaults[CONF_PASSIVE_START]): PORT,
        vol.Required(CONF_PASSIVE_END, default=defaults[CONF_PASSIVE_END]): PORT,
        vol.Required(CONF_FTP_USERNAME, default=defaults[CONF_FTP_USERNAME]): TEXT,
        vol.Required(
            CONF_FTP_PASSWORD, default=defaults.get(CONF_FTP_PASSWORD, vol.UNDEFINED)
        ): PASSWORD,
    }
    if with_import:
        fields[vol.Required(CONF_IMPORT_FOLDER, default=False)] = (
            selector.BooleanSelector()
        )
    return vol.Schema(fields)


def _normalise(hass_config_dir: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the entry data: ints for ports, an absolute root folder."""
    data = {
        key: user_input[key]
        for key in (CONF_HOST, CONF_FTP_USERNAME, CONF_FTP_PASSWORD)
    }
    data[CONF_HOST] = str(data[CONF_HOST]).strip()
    for key in PORT_KEYS:
        data[key] = int(user_input[key])
    root = Path(str(user_input[CONF_ROOT]).strip()).expanduser()
    data[CONF_ROOT] = str(root if root.is_absolute() else Path(hass_config_dir, root))
    return data


def _check_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Check what needs no I/O: ranges and the FTP account."""
    errors: dict[str, str] = {}
    if data[CONF_PASSIVE_START] > data[CONF_PASSIVE_END]:
        errors[CONF_PASSIVE_END] = "passive_range_reversed"
    elif data[CONF_PASSIVE_START] <= data[CONF_FTP_PORT] <= data[CONF_PASSIVE_END]:
        errors[CONF_FTP_PORT] = "ftp_port_in_passive_range"
    try:
        FtpSettings(
            host=data[CONF_HOST] or DEFAULT_HOST,
            port=data[CONF_FTP_PORT],
            users={data[CONF_FTP_USERNAME]: data[CONF_FTP_PASSWORD]},
        )
    except FtpSettingsError:
        errors[CONF_FTP_USERNAME] = "invalid_ftp_account"
    password = str(data[CONF_FTP_PASSWORD])
    # Checked in the form only: a stored shorter password keeps working, but
    # nobody can set a new one that a neighbour guesses in a few tries.
    if len(password) < MIN_FTP_PASSWORD or not password.strip():
        errors[CONF_FTP_PASSWORD] = "ftp_password_too_short"
    return errors


class CiscoPhoneConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up the provisioning server; confirm discovered phones."""

    VERSION = 1

    def __init__(self) -> None:
        self._discovered: dict[str, str] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> CiscoPhoneOptionsFlow:
        """Return the options flow (generated-file tunables)."""
        return CiscoPhoneOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Phones are subentries of the server."""
        return {SUBENTRY_PHONE: PhoneSubentryFlowHandler}

    # The server -----------------------------------------------------------------

    async def _async_validate(
        self, user_input: Mapping[str, Any], running: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Return normalised data and form errors (folder, values, binding).

        Ports the running server already holds are not bound again; if they
        cannot be bound on a new address, the reload reports it.
        """
        data = _normalise(self.hass.config.config_dir, user_input)
        errors = _check_values(data)
        if folder_error := await self.hass.async_add_executor_job(
            check_folder, Path(data[CONF_ROOT])
        ):
            errors[CONF_ROOT] = folder_error
        # The address first, on an ephemeral port: that never finds our own
        # running server, so a changed address is checked even when the
        # ports stay the same (a saved address that cannot bind would take
        # every phone's server down at the reload).
        host_error = await self.hass.async_add_executor_job(
            check_bind, data[CONF_HOST] or DEFAULT_HOST, 0, socket.SOCK_DGRAM
        )
        if host_error in HOST_ERRORS:
            errors[CONF_HOST] = str(host_error)
            return data, errors
        for key, kind in (
            (CONF_TFTP_PORT, socket.SOCK_DGRAM),
            (CONF_FTP_PORT, socket.SOCK_STREAM),
        ):
            # Our own running server holds its port (on any address): a
            # test bind would only find ourselves.
            if key in errors or (running is not None and running[key] == data[key]):
                continue
            if bind_error := await self.hass.async_add_executor_job(
                check_bind, data[CONF_HOST], data[key], kind
            ):
                field = CONF_HOST if bind_error in HOST_ERRORS else key
                errors[field] = bind_error
        return data, errors

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where and how to serve phones; create the one server.

        With the server already set up ("Add hub" on the integration page),
        the only thing left to add is a phone: offer that instead of a dead
        end.
        """
        if self._async_current_entries(include_ignore=False):
            return await self.async_step_add_phone()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        defaults: Mapping[str, Any] = {
            CONF_ROOT: self.hass.config.path(DEFAULT_ROOT_NAME),
            CONF_HOST: DEFAULT_HOST,
            CONF_TFTP_PORT: DEFAULT_TFTP_PORT,
            CONF_FTP_PORT: DEFAULT_FTP_PORT,
            CONF_PASSIVE_START: DEFAULT_PASSIVE_START,
            CONF_PASSIVE_END: DEFAULT_PASSIVE_END,
            CONF_FTP_USERNAME: DEFAULT_FTP_USERNAME,
        }
        if user_input is not None:
            defaults = user_input
            data, errors = await self._async_validate(user_input, None)
            subentries: list[ConfigSubentry] = []
            options: dict[str, Any] = {CONF_DISCOVERY: True}
            if not errors and user_input.get(CONF_IMPORT_FOLDER):
                try:
                    imported = await self.hass.async_add_executor_job(
                        import_phones, Path(data[CONF_ROOT])
                    )
                except (ProvisioningError, OSError) as err:
                    errors["base"] = "import_failed"
                    placeholders["error"] = str(err)
                else:
                    subentries = [phone_subentry(phone) for phone in imported.phones]
                    if imported.settings is not None:
                        options |= imported.settings.as_dict()
                    for warning in imported.warnings:
                        LOGGER.warning("Import of %s: %s", data[CONF_ROOT], warning)
            if not errors:
                return self.async_create_entry(
                    title=TITLE,
                    data=data,
                    options=options,
                    subentries=[
                        {
                            "data": dict(sub.data),
                            "subentry_type": sub.subentry_type,
                            "title": sub.title,
                            "unique_id": sub.unique_id,
                        }
                        for sub in subentries
                    ],
                )
        return self.async_show_form(
            step_id="user",
            data_schema=server_schema(defaults, with_import=True),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change folder, address, ports or FTP account.

        The entry is only updated here; its update listener reloads it (one
        mechanism, no reload helper on top of a listener).
        """
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        defaults: Mapping[str, Any] = entry.data
        if user_input is not None:
            defaults = user_input
            running = entry.data if entry.state is ConfigEntryState.LOADED else None
            data, errors = await self._async_validate(user_input, running)
            if not errors:
                self.hass.config_entries.async_update_entry(entry, data=data)
                return self.async_abort(reason="reconfigure_successful")
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=server_schema(defaults, with_import=False),
            errors=errors,
        )

    # Phones -------------------------------------------------------------------------

    async def async_step_add_phone(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a phone to the existing server (it becomes a subentry)."""
        server = self._server_entry()
        if server is None:
            return self.async_abort(reason="no_server")
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                mac = normalize_mac(str(user_input.get("mac", "")))
            except InvalidMacError:
                errors["mac"] = "invalid_mac"
            else:
                if any(sub.unique_id == mac for sub in server.subentries.values()):
                    errors["mac"] = "phone_exists"
                else:
                    phone = self._phone_or_errors(mac, user_input, errors)
                    if phone is not None:
                        self.hass.config_entries.async_add_subentry(
                            server, phone_subentry(phone)
                        )
                        return self.async_abort(reason="phone_added")
        schema = vol.Schema(
            {
                vol.Required("mac"): TEXT,
                vol.Required("model", default="7960"): model_selector(),
                vol.Optional("label", default=""): TEXT,
            }
        )
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(
            step_id="add_phone", data_schema=schema, errors=errors
        )

    @staticmethod
    def _phone_or_errors(
        mac: str, user_input: Mapping[str, Any], errors: dict[str, str]
    ) -> PhoneConfig | None:
        """Validate a new phone; put a refusal on the field it is about."""
        try:
            return PhoneConfig(
                mac=mac,
                model=user_input["model"],
                label=str(user_input.get("label", "")).strip(),
            )
        except ProvisioningError as err:
            field = err.field if err.field in {"model", "label"} else "base"
            errors[field] = f"invalid_{field}"
            return None

    # Discovered phones ------------------------------------------------------------

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """Handle a phone that asked for its files but is not configured."""
        try:
            mac = normalize_mac(str(discovery_info.get("mac", "")))
        except InvalidMacError:
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(mac)
        self._abort_if_unique_id_configured()
        server = self._server_entry()
        if server is None:
            return self.async_abort(reason="no_server")
        if any(sub.unique_id == mac for sub in server.subentries.values()):
            return self.async_abort(reason="already_configured")
        model = str(discovery_info.get("model") or "")
        file = str(discovery_info.get("file") or "")
        if model not in MODELS:
            # SIP<MAC>.cnf is only read by a 7940/7960; a 79x0 is the best
            # guess then. Otherwise the request did not say which model.
            model = "7960" if file.lower().endswith("cnf") else ""
        self._discovered = {
            "mac": mac,
            "mac_display": dr.format_mac(mac),
            "ip": str(discovery_info.get("ip") or "?"),
            "model": model,
            "name": f"Cisco {model}" if model else "A Cisco IP phone",
        }
        self.context["title_placeholders"] = {
            "name": self._discovered["name"],
            "ip": self._discovered["ip"],
        }
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the phone; it becomes a phone subentry of the server."""
        server = self._server_entry()
        if server is None:
            return self.async_abort(reason="no_server")
        mac = self._discovered["mac"]
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = dict(self._discovered)
        if user_input is not None:
            phone = self._phone_or_errors(mac, user_input, errors)
            if phone is not None:
                self.hass.config_entries.async_add_subentry(
                    server, phone_subentry(phone)
                )
                return self.async_abort(reason="phone_added")
        model = self._discovered["model"]
        schema = vol.Schema(
            {
                vol.Required(
                    "model", default=model if model in MODELS else "7960"
                ): model_selector(),
                vol.Optional("label", default=""): TEXT,
            }
        )
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    def _server_entry(self) -> ConfigEntry | None:
        """Return the provisioning server's entry (the non-ignored one)."""
        entries = self._async_current_entries(include_ignore=False)
        return entries[0] if entries else None


def phone_subentry(phone: PhoneConfig) -> ConfigSubentry:
    """Return the subentry that stores one phone."""
    return ConfigSubentry(
        data=MappingProxyType(phone.as_dict()),
        subentry_type=SUBENTRY_PHONE,
        title=phone_title(phone),
        unique_id=phone.mac,
    )


def phone_title(phone: PhoneConfig) -> str:
    """Return the name shown for a phone: its label, else model and MAC."""
    return phone.label or f"Cisco {phone.model} {phone.mac}"
