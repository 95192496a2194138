"""Actions of phone services: exposed entities, token rotation, a message with a beep.

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
SERVICE_SHOW: Final = "show_message"
EXPOSE_SCHEMA: Final = vol.Schema({vol.Required(ATTR_ENTITY_ID): cv.entity_ids})
_DEVICES: Final = vol.All(cv.ensure_list, [cv.string])
ROTATE_SCHEMA: Final = vol.Schema({vol.Required(ATTR_DEVICE_ID): _DEVICES})
SHOW_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICES,
        vol.Required("message"): vol.All(cv.string, vol.Length(max=4000)),
        vol.Optional("title", default=""): vol.All(cv.string, vol.Length(max=32)),
        vol.Optional("beep", default=False): cv.boolean,
    }
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

    def phones(call: ServiceCall) -> list[tuple[PhoneServices, str]]:
        registry = dr.async_get(hass)
        all_services = _all_services(hass)
        found = []
        for device_id in call.data[ATTR_DEVICE_ID]:
            device = registry.async_get(device_id)
            ids = device.identifiers if device else set()
            macs = {value for domain, value in ids if domain == DOMAIN}
            matches = [
                (s, mac) for s in all_services for mac in macs if s.token_of(mac)
            ]
            if not matches:
                raise _invalid("unknown_phone", device_id)
            found += matches
        return found

    @callback
    def rotate(call: ServiceCall) -> None:
        for services, mac in phones(call):
            services.async_rotate(mac)

    async def show(call: ServiceCall) -> None:
        for services, mac in phones(call):
            await services.async_push_text(
                mac, call.data["title"], call.data["message"], beep=call.data["beep"]
            )

    hass.services.async_register(DOMAIN, SERVICE_EXPOSE, expose, schema=EXPOSE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_ROTATE, rotate, schema=ROTATE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_SHOW, show, schema=SHOW_SCHEMA)
