"""Buttons per phone: resync (reload its configuration) and regenerate files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .entity import CiscoPhoneEntity, async_add_phone_entities
from .firmware_manager import FirmwareManager
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub, PhoneEntry
from .provisioning.errors import ProvisioningError

PARALLEL_UPDATES = 1


async def _resync(manager: FirmwareManager, mac: str) -> None:
    # Refused at once, with the reason, when it cannot work (issue #12/#13).
    await manager.hub.online.async_check_resync(mac)
    manager.async_resync(mac)


async def _regenerate(manager: FirmwareManager, mac: str) -> None:
    try:
        manager.hub.regenerate()
    except ProvisioningError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="regenerate_failed",
            translation_placeholders={
                "phone": manager.hub.title(mac),
                "error": str(err),
            },
        ) from err
    await manager.async_rescan()


@dataclass(frozen=True, kw_only=True)
class PhoneButtonDescription(ButtonEntityDescription):
    """A phone button and what pressing it does."""

    press_fn: Callable[[FirmwareManager, str], Awaitable[None]]


BUTTONS: tuple[PhoneButtonDescription, ...] = (
    PhoneButtonDescription(
        key="resync",
        translation_key="resync",
        entity_category=EntityCategory.CONFIG,
        press_fn=_resync,
    ),
    PhoneButtonDescription(
        key="regenerate_files",
        translation_key="regenerate_files",
        entity_category=EntityCategory.CONFIG,
        press_fn=_regenerate,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of every phone, now and for phones added later."""
    hub = entry.runtime_data
    manager = hub.firmware

    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: (
            CiscoPhoneButton(hub, manager, phone, description)
            for description in BUTTONS
        ),
    )


class CiscoPhoneButton(CiscoPhoneEntity, ButtonEntity):
    """A button of one phone."""

    entity_description: PhoneButtonDescription

    def __init__(
        self,
        hub: CiscoPhoneHub,
        manager: FirmwareManager,
        phone: PhoneEntry,
        description: PhoneButtonDescription,
    ) -> None:
        super().__init__(hub, phone, description)
        self.manager = manager

    async def async_press(self) -> None:
        """Run the button's action; errors are translated for the user."""
        await self.entity_description.press_fn(self.manager, self.mac)
