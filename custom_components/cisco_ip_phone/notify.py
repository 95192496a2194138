"""A notify entity per phone that can show pushed text (79x1/79x2/79x5/797x).

``notify.send_message`` pushes a ``CiscoIPPhoneExecute`` to the phone's
``/CGI/Execute``; the phone approves it through our ``authenticationURL``
and fetches the text from us. 7940/7960 SIP firmware has no push, so those
phones get no notify entity (docs/phone-services.md says why).
"""

from __future__ import annotations

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import CiscoPhoneEntity, async_add_phone_entities
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub, PhoneEntry
from .provisioning.phone_services.pages import profile_for

PARALLEL_UPDATES = 1

SCREEN = NotifyEntityDescription(key="screen", translation_key="screen")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a screen notifier to each phone that takes pushes."""
    hub = entry.runtime_data

    def build(phone: PhoneEntry) -> list[PhoneScreenNotify]:
        if not profile_for(phone.config.model).can_push:
            return []
        return [PhoneScreenNotify(hub, phone, SCREEN)]

    async_add_phone_entities(entry, async_add_entities, build)


class PhoneScreenNotify(CiscoPhoneEntity, NotifyEntity):
    """Show a message on the phone's screen."""

    def __init__(
        self,
        hub: CiscoPhoneHub,
        phone: PhoneEntry,
        description: NotifyEntityDescription,
    ) -> None:
        super().__init__(hub, phone, description)
        assert hub.phone_services is not None
        self.services = hub.phone_services

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Push the message; raise a translated error when the phone refuses."""
        await self.services.async_push_text(self.mac, title or "", message)
