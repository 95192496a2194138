"""Text per phone: the image it runs, as its user read it on the phone.

For the phones nothing else can identify (issue #12 item 2): a 7940/7960
on SIP 8.x says only ``/8.0`` over SIP, serves no device page, and never
names its image over TFTP once current. What the user types here (checked
as an image name, ``P0S3-8-12-00``) is kept in the hub's Store and ranks
below every exact source the phone offers (``running_image.py``).
"""

from __future__ import annotations

from homeassistant.components.text import TextEntity, TextEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import CiscoPhoneEntity, async_add_phone_entities
from .hub import CiscoPhoneConfigEntry
from .running_image import MAX_STATED

PARALLEL_UPDATES = 0

RUNNING_FIRMWARE = TextEntityDescription(
    key="running_firmware",
    translation_key="running_firmware",
    entity_category=EntityCategory.CONFIG,
    native_max=MAX_STATED,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the stated-firmware text of every phone, now and later."""
    hub = entry.runtime_data
    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [CiscoRunningFirmware(hub, phone, RUNNING_FIRMWARE)],
    )


class CiscoRunningFirmware(CiscoPhoneEntity, TextEntity):
    """The image the user read on the phone ("" when not stated)."""

    @property
    def native_value(self) -> str:
        """Return the stated image, or an empty text."""
        return self.hub.running.stated.get(self.mac, "")

    async def async_set_value(self, value: str) -> None:
        """Check and keep the image; an empty text forgets it."""
        self.hub.running.set_stated(self.mac, value)
