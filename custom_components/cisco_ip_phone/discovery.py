"""Offering unknown phones to the user as "Discovered", within bounds.

TFTP has no authentication, so anyone on the LAN can ask for
``SEP<random>.cnf.xml``. Only a plausible Cisco phone passes the engine's
gate (a Cisco OUI, a file its model reads, a token bucket), each MAC is
offered at most once per cooldown, and what is remembered is bounded.
"""

from __future__ import annotations

import time

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import discovery_flow

from .const import DISCOVERY_COOLDOWN, DOMAIN, MAX_DISCOVERY_MEMORY
from .provisioning.tracking.discovery import DiscoveryGate
from .provisioning.tracking.tracker import TrackerEvent


class DiscoveryOffers:
    """Start (and drop) the discovery flows of one server's unknown phones."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.gate = DiscoveryGate()
        self.offered_at: dict[str, float] = {}

    @callback
    def offer(self, event: TrackerEvent) -> None:
        """Offer an unknown phone to the user, at most once per cooldown."""
        now = time.monotonic()
        observation = event.observation
        if not self.gate.admit(event.mac, observation.model, event.file or "", now):
            return
        last = self.offered_at.get(event.mac)
        if last is not None and now - last < DISCOVERY_COOLDOWN:
            return
        if len(self.offered_at) >= MAX_DISCOVERY_MEMORY:
            self.offered_at = {
                mac: at
                for mac, at in self.offered_at.items()
                if now - at < DISCOVERY_COOLDOWN
            }
        self.offered_at[event.mac] = now
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            {"source": SOURCE_INTEGRATION_DISCOVERY},
            {
                "mac": event.mac,
                "ip": observation.ip,
                "model": observation.model,
                "file": event.file,
                "entry_id": self.entry.entry_id,
            },
        )

    @callback
    def withdraw(self, mac: str) -> None:
        """Drop the offer to add a phone the user has just added by hand."""
        flows = self.hass.config_entries.flow.async_progress_by_handler(
            DOMAIN, match_context={"unique_id": mac}
        )
        for flow in flows:
            self.hass.config_entries.flow.async_abort(flow["flow_id"])
