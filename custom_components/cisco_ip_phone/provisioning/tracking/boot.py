"""Per-phone bookkeeping of the tracker: boot evidence and request history.

Split from ``tracker.py`` (one job each): these are the mutable records the
rules in ``PhoneTracker`` read and write; ``RANK`` orders files by how far
into a boot they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..tftp.events import TransferEvent
from .files import FileKind
from .model import PhoneObservation, ProvisioningState

State = ProvisioningState
MAX_PENDING_IPS = 256
MAX_PENDING_PER_IP = 32

# How far into a boot a file is; while a phone is stuck in a loop only a
# request further along than the looping file counts as progress.
RANK = {
    FileKind.TRUST_LIST: 0,
    FileKind.SEP_CONFIG: 0,
    FileKind.SIP_CONFIG: 0,
    FileKind.MGCP_CONFIG: 0,
    FileKind.XML_DEFAULT: 0,
    FileKind.OTHER: 0,
    FileKind.OS79XX: 1,
    FileKind.IMAGE_MANIFEST: 1,
    FileKind.LOADER_IMAGE: 2,
    FileKind.APP_IMAGE: 2,
    FileKind.SIP_DEFAULT: 3,
    FileKind.SYNC_INFO: 3,
    FileKind.RING_LIST: 4,
    FileKind.DIAL_TEMPLATE: 4,
    FileKind.LOCALE: 4,
}


APP_REASONS = {
    State.BOOTING: "app start",
    State.RUNNING_SCCP: "SCCP firmware running",
    State.CONFIGURED: "configuration accepted",
}


@dataclass(slots=True)
class Boot:
    """Evidence gathered since the phone's last (re)boot."""

    phase: Literal["idle", "hunt", "app"] = "idle"
    sep_seen: bool = False
    manifest_seen: bool = False
    app_started: bool = False
    config_served: bool = False  # SIP<MAC>.cnf served to the SIP application
    sep_served: bool = False  # SEP<MAC>.cnf.xml served (all an XML phone needs)
    image_done: bool = False  # a loader or application image was written
    discovered: bool = False
    config_requested: bool = False  # SIP<MAC>.cnf asked for by the application
    config_followed: bool = False  # RINGLIST/dial plan asked before it finished


@dataclass(slots=True)
class PhoneBook:
    """Mutable bookkeeping behind one immutable observation."""

    obs: PhoneObservation
    boot: Boot = field(default_factory=Boot)
    last_request_at: float | None = None
    last_key: str | None = None
    same_count: int = 0
    last_answered: bool = False  # the last request got an answer (not a timeout)
    stuck_rank: int | None = None
    candidate: str | None = None  # image of the last .loads (or old .bin)
    candidate_failed: bool = False
    awaiting_since: float | None = None  # SIP<MAC>.cnf served, no RINGLIST yet
    loader_done_at: float | None = None
    app_fetches: dict[str, int] = field(default_factory=dict)
    sync_expected_at: float | None = None
    sync_started_at: float | None = None
    state_before_sync: ProvisioningState | None = None
    open_requests: set[tuple[int, str]] = field(default_factory=set)


class PendingRequests:
    """MAC-less requests of IPs not tied to a MAC yet, bounded per IP and in all."""

    def __init__(self, time_of: Callable[[TransferEvent], float]) -> None:
        self._time_of = time_of
        self._queues: dict[str, list[TransferEvent]] = {}

    def remember(self, ip: str, event: TransferEvent) -> None:
        """Keep one request until the IP's MAC shows up."""
        queue = self._queues.pop(ip, [])
        queue.append(event)
        self._queues[ip] = queue[-MAX_PENDING_PER_IP:]
        while len(self._queues) > MAX_PENDING_IPS:
            del self._queues[next(iter(self._queues))]

    def take(self, ip: str, now: float, horizon: float) -> list[TransferEvent]:
        """Return (and forget) the IP's requests younger than ``horizon``."""
        return [
            event
            for event in self._queues.pop(ip, [])
            if now - self._time_of(event) <= horizon
        ]
