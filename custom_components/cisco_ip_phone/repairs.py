"""Repair issues the user must act on, and the flow that fixes them.

The FTP server failing to bind does not stop phones from booting (TFTP keeps
running), so it is a repair issue, not a setup failure. Its fix flow asks for
another FTP port, checks it binds, and saves it (the entry then reloads).
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import issue_registry as ir, selector
import voluptuous as vol

from .const import CONF_FTP_PORT, CONF_HOST, DOMAIN
from .validation import check_bind

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

FTP_ISSUE = "ftp_unavailable"


def ftp_issue_id(entry: ConfigEntry) -> str:
    """Return the issue id of one server's FTP failure."""
    return f"{FTP_ISSUE}_{entry.entry_id}"


@callback
def async_report_ftp_issue(
    hass: HomeAssistant, entry: ConfigEntry, port: int, reason: str
) -> None:
    """Tell the user FTP is not running and why."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        ftp_issue_id(entry),
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=f"ftp_{reason}",
        translation_placeholders={"port": str(port), "title": entry.title},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_clear_ftp_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the FTP issue once FTP runs."""
    ir.async_delete_issue(hass, DOMAIN, ftp_issue_id(entry))


class FtpPortRepairFlow(RepairsFlow):
    """Let the user pick an FTP port that can be bound."""

    def __init__(self, entry_id: str) -> None:
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> FlowResult:
        """Start with the port form."""
        return await self.async_step_ftp_port()

    async def async_step_ftp_port(
        self, user_input: dict[str, Any] | None = None
    ) -> FlowResult:
        """Ask for a port, test it, and save it."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            port = int(user_input[CONF_FTP_PORT])
            error = await self.hass.async_add_executor_job(
                check_bind, entry.data[CONF_HOST], port, socket.SOCK_STREAM
            )
            if error is None and port == entry.data[CONF_FTP_PORT]:
                # The same port, free now: saving it would change nothing
                # (no reload), so start FTP here and close the issue only
                # when it really runs.
                error = await self._async_restart_ftp(entry)
            elif error is None:
                self.hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_FTP_PORT: port}
                )
            if error is None:
                return self.async_create_entry(data={})
            errors[CONF_FTP_PORT] = error
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_FTP_PORT, default=entry.data[CONF_FTP_PORT]
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=1, max=65535, mode=selector.NumberSelectorMode.BOX
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="ftp_port", data_schema=schema, errors=errors
        )

    async def _async_restart_ftp(self, entry: ConfigEntry) -> str | None:
        """Start the FTP server of a loaded entry; return an error key or None."""
        if entry.state is not ConfigEntryState.LOADED:
            return None  # the entry's own setup (or retry) starts FTP
        hub = entry.runtime_data
        return None if await hub.async_start_ftp() else "cannot_bind"


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the flow that fixes an issue of this integration."""
    entry_id = str((data or {}).get("entry_id", ""))
    return FtpPortRepairFlow(entry_id)
