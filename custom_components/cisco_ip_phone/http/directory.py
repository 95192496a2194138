"""The narrow interface phone services need from the hub, and its adapter.

The hub is being reshaped (one update per transfer, per-phone routing), so
phone services read it only through ``PhoneDirectory``: which phones exist,
their model and lines, and the address each was last seen at over TFTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..hub import CiscoPhoneHub


@dataclass(frozen=True, slots=True)
class PhoneRecord:
    """One configured phone as phone services see it."""

    mac: str
    model: str
    title: str
    ip: str | None
    lines: tuple[tuple[str, str], ...]  # (display name, extension)


class PhoneDirectory(Protocol):
    """Phones of one server, by MAC."""

    def phone(self, mac: str) -> PhoneRecord | None:
        """Return the phone with ``mac``, or ``None`` when not configured."""

    def phones(self) -> list[PhoneRecord]:
        """Return every configured phone."""


class HubPhoneDirectory:
    """``PhoneDirectory`` over today's hub (``hub.phones``, ``hub.observation``)."""

    def __init__(self, hub: CiscoPhoneHub) -> None:
        self._hub = hub

    def phone(self, mac: str) -> PhoneRecord | None:
        """Return the phone with ``mac``, or ``None`` when not configured."""
        entry = self._hub.phones.get(mac)
        if entry is None:
            return None
        observation = self._hub.observation(mac)
        subentry = self._hub.entry.subentries.get(entry.subentry_id)
        lines = tuple(
            (line.display_name or line.name, line.name) for line in entry.config.lines
        )
        return PhoneRecord(
            mac=mac,
            model=entry.config.model,
            title=subentry.title if subentry else mac,
            ip=observation.ip if observation is not None else None,
            lines=lines,
        )

    def phones(self) -> list[PhoneRecord]:
        """Return every configured phone."""
        return [p for mac in sorted(self._hub.phones) if (p := self.phone(mac))]
