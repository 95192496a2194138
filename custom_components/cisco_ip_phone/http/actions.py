"""Actions of phone services: choose the exposed entities, rotate a phone's token.

Exposure is explicit and kept per server in the phone services Store: an
entity is reachable from the phones only after it was named here, as with
exposing entities to a voice assistant. The list is replaced as a whole, so
an automation or a script can state it in one place.
"""

from __future__ import annotations

from typing import Final

from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from ..const import DOMAIN
from ..provisioning.phone_services.pages import SUPPORTED_DOMAINS
from .runtime import PhoneServices

SERVICE_EXPOSE: Final = "set_phone_services_entities"
SERVICE_ROTATE: Final = "rotate_phone_services_token"
EXPOSE_SCHEMA: Final = vol.Schema({vol.Required(ATTR_ENTITY_ID): cv.entity_ids})
ROTATE_SCHEMA: Final = vol.Schema(
    {vol.Required(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string])}
)


def _all_services(hass: HomeAssistant) -> list[PhoneServices]:
    found = []
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        services = getattr(entry.runtime_data, "phone_services", None)
        if isinstance(services, PhoneServices):
            found.append(services)
    return found


def _invalid(key: str, value: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"value": value},
    )


@callback
def async_register_actions(hass: HomeAssistant) -> None:
    """Register the phone services actions."""

    @callback
    def expose(call: ServiceCall) -> None:
        entity_ids: list[str] = call.data[ATTR_ENTITY_ID]
        for entity_id in entity_ids:
            if entity_id.partition(".")[0] not in SUPPORTED_DOMAINS:
                raise _invalid("unsupported_entity", entity_id)
        for services in _all_services(hass):
            services.async_set_exposed(entity_ids)

    @callback
    def rotate(call: ServiceCall) -> None:
        registry = dr.async_get(hass)
        all_services = _all_services(hass)
        for device_id in call.data[ATTR_DEVICE_ID]:
            device = registry.async_get(device_id)
            macs = (
                {i for d, i in device.identifiers if d == DOMAIN} if device else set()
            )
            matches = [
                (s, mac) for s in all_services for mac in macs if s.token_of(mac)
            ]
            if not matches:
                raise _invalid("unknown_phone", device_id)
            for services, mac in matches:
                services.async_rotate(mac)

    hass.services.async_register(DOMAIN, SERVICE_EXPOSE, expose, schema=EXPOSE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_ROTATE, rotate, schema=ROTATE_SCHEMA)
