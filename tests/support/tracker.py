"""Build TFTP transfer events the way the server reports them, for tracker tests."""

from __future__ import annotations

from collections.abc import Iterable

from custom_components.cisco_ip_phone.provisioning.tftp.events import (
    ContentSource,
    EventKind,
    TransferEvent,
    TransferOutcome,
)
from custom_components.cisco_ip_phone.provisioning.tracking.tracker import (
    PhoneTracker,
    TrackerEvent,
)
from tests.support.macs import FIELD_7960_MAC

MAC = FIELD_7960_MAC  # the 7960 of LOG-TEO
IP = "192.168.1.50"


def transfer(
    name: str,
    at: float,
    *,
    kind: EventKind = EventKind.COMPLETED,
    outcome: TransferOutcome = TransferOutcome.OK,
    ip: str = IP,
    port: int = 50000,
    digest: str | None = None,
    resolved: str | None = None,
    direction: str = "read",
) -> TransferEvent:
    """Return one transfer event (generated content when a digest is given)."""
    return TransferEvent(
        kind=kind,
        client=(ip, port),
        requested_name=name,
        resolved_name=resolved,
        source=ContentSource.GENERATED if digest else None,
        digest=digest,
        size=100,
        bytes_sent=100 if outcome is TransferOutcome.OK else 0,
        blocks=1,
        retransmits=0,
        duration=0.01,
        outcome=outcome,
        error=None if outcome is TransferOutcome.OK else "File not found",
        timestamp=at,
        direction=direction,
    )


def fetch(
    tracker: PhoneTracker,
    name: str,
    at: float,
    *,
    found: bool = True,
    ip: str = IP,
    port: int = 50000,
    digest: str | None = None,
    outcome: TransferOutcome | None = None,
) -> list[TrackerEvent]:
    """Feed a request and its end (served, or not found) as the server would."""
    end_outcome = outcome or (
        TransferOutcome.OK if found else TransferOutcome.NOT_FOUND
    )
    end_kind = (
        EventKind.COMPLETED if end_outcome is TransferOutcome.OK else EventKind.FAILED
    )
    # Like the server: a refused request is reported with its outcome at once.
    refused = end_outcome in (
        TransferOutcome.NOT_FOUND,
        TransferOutcome.ACCESS_VIOLATION,
    )
    events = tracker.handle(
        transfer(
            name,
            at,
            kind=EventKind.REQUEST,
            outcome=end_outcome if refused else TransferOutcome.OK,
            ip=ip,
            port=port,
        )
    )
    events += tracker.handle(
        transfer(
            name,
            at,
            kind=end_kind,
            outcome=end_outcome,
            ip=ip,
            port=port,
            digest=digest,
        )
    )
    return events


def replay(
    tracker: PhoneTracker,
    steps: Iterable[tuple[float, str, bool]],
    *,
    ip: str = IP,
) -> list[TrackerEvent]:
    """Feed (time, name, found) steps, each on a new source port like a phone."""
    events: list[TrackerEvent] = []
    for port, (at, name, found) in enumerate(steps, start=50000):
        events += fetch(tracker, name, at, found=found, ip=ip, port=port)
    return events


def kinds(events: Iterable[TrackerEvent]) -> list[str]:
    """Return the event kinds, in order."""
    return [event.kind for event in events]


def states(events: Iterable[TrackerEvent]) -> list[str]:
    """Return the states entered, in order."""
    return [e.observation.state for e in events if e.kind == "state_changed"]
