"""Event entity per phone: booted, configured, error (with file and reason)."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_BOOTED, EVENT_CONFIGURED, EVENT_ERROR
from .coordinator import CiscoPhoneConfigEntry
from .entity import CiscoPhoneEntity, async_add_phone_entities
from .provisioning.tracking.tracker import TrackerEvent

PARALLEL_UPDATES = 0

EVENT_TYPES = [EVENT_BOOTED, EVENT_CONFIGURED, EVENT_ERROR]

PROVISIONING_EVENT = EventEntityDescription(
    key="provisioning",
    translation_key="provisioning",
    event_types=EVENT_TYPES,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CiscoPhoneConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one event entity per phone, now and for phones added later."""
    hub = entry.runtime_data

    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [CiscoPhoneEvent(hub, phone, PROVISIONING_EVENT)],
    )


class CiscoPhoneEvent(CiscoPhoneEntity, EventEntity):
    """Fires when the phone boots, takes its config, or hits an error."""

    async def async_added_to_hass(self) -> None:
        """Also follow the tracker events of this phone."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hub.async_add_event_listener(self.mac, self._handle_tracker_event)
        )

    @callback
    def _handle_tracker_event(self, event: TrackerEvent) -> None:
        """Fire the matching event type with the file and reason."""
        if event.kind not in EVENT_TYPES:
            return
        self._trigger_event(
            str(event.kind), {"file": event.file, "reason": event.reason}
        )
        self.async_write_ha_state()
