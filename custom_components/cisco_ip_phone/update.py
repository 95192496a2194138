"""Firmware update entity per phone: the hop-by-hop walk to the target image.

Installed is what the phone was seen running, latest its target; install
plans the hops and serves the first, and progress follows the phone's TFTP
downloads through every hop (``firmware_manager`` and ``provisioning.upgrade``).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import CiscoPhoneEntity, async_add_phone_entities
from .firmware_manager import FirmwareManager
from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub, PhoneEntry

PARALLEL_UPDATES = 0

FIRMWARE_UPDATE = UpdateEntityDescription(
    key="firmware_update",
    translation_key="firmware",
    device_class=UpdateDeviceClass.FIRMWARE,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one firmware update entity per phone, now and later."""
    hub = entry.runtime_data
    manager = hub.firmware

    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [CiscoPhoneUpdate(hub, manager, phone, FIRMWARE_UPDATE)],
    )


class CiscoPhoneUpdate(CiscoPhoneEntity, UpdateEntity):
    """The phone's firmware and the walk to its target."""

    _attr_supported_features = (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.SPECIFIC_VERSION
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
    )

    def __init__(
        self,
        hub: CiscoPhoneHub,
        manager: FirmwareManager,
        phone: PhoneEntry,
        description: UpdateEntityDescription,
    ) -> None:
        super().__init__(hub, phone, description)
        self.manager = manager

    @property
    def installed_version(self) -> str | None:
        """Return the image the phone was seen running."""
        return self.manager.installed_version(self.mac)

    @property
    def latest_version(self) -> str | None:
        """Return the phone's target image."""
        return self.manager.latest_version(self.mac)

    @property
    def in_progress(self) -> bool:
        """Return whether the phone is being walked through hops (a bool)."""
        return self.manager.in_progress(self.mac)

    @property
    def update_percentage(self) -> int | None:
        """Return the walk's progress while it runs."""
        return self.manager.percentage(self.mac)

    @property
    def release_summary(self) -> str | None:
        """Return the hops still ahead."""
        return self.manager.release_summary(self.mac)

    def version_is_newer(self, latest_version: str, installed_version: str) -> bool:
        """Compare firmware images, not semantic versions."""
        return self.manager.is_newer(latest_version, installed_version)

    async def async_release_notes(self) -> str | None:
        """Return why each hop ahead is needed."""
        return self.manager.release_notes(self.mac)

    async def async_install(
        self, version: str | None, backup: bool, **kwargs: Any
    ) -> None:
        """Plan the hops to ``version`` (or the target) and serve the first."""
        await self.manager.async_install(self.mac, version)
