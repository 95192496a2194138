"""Event entity per phone: booted, configured, error (with file and reason)."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_BOOTED, EVENT_CONFIGURED, EVENT_ERROR
from .entity import CiscoPhoneEntity, async_add_phone_entities
from .hub import CiscoPhoneConfigEntry
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

    @callback
    def _handle_phone_update(self, events: tuple[TrackerEvent, ...]) -> None:
        """Fire the matching event types with the file and reason."""
        fired = False
        for event in events:
            if event.kind not in EVENT_TYPES:
                continue
            # One write per event: a state change is what automations see,
            # and a refresh may carry several events (a storm, issue #16).
            self._trigger_event(
                str(event.kind), {"file": event.file, "reason": event.reason}
            )
            self._written = self._shown()
            self.async_write_ha_state()
            fired = True
        if not fired:
            self._handle_hub_update()
