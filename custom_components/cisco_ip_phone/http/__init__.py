"""Phone services on Home Assistant's HTTP server: the pages phones browse.

``runtime`` holds one server's tokens, exposure, phonebook and pushes;
``directory`` is the narrow view of the hub it needs; ``entities`` reads and
operates exposed entities; ``views`` answers the phones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback

from .actions import async_register_actions
from .runtime import PhoneServices
from .views import PhoneServicesView

if TYPE_CHECKING:
    from ..hub import CiscoPhoneConfigEntry, CiscoPhoneHub


@callback
def async_setup_phone_services(hass: HomeAssistant) -> None:
    """Register the phones' view and the actions, once per Home Assistant."""
    hass.http.register_view(PhoneServicesView(hass))
    async_register_actions(hass)


async def async_start_phone_services(
    hass: HomeAssistant, entry: CiscoPhoneConfigEntry, hub: CiscoPhoneHub
) -> None:
    """Give a server its phone services before its first files are rendered."""
    services = PhoneServices(hass, hub)
    await services.async_load()
    hub.phone_services = services
    entry.async_on_unload(services.async_stop)
