"""Bookkeeping of check-sync resyncs: which sync value, and did it work.

A 7940/7960 only reboots on a check-sync NOTIFY when the SYNC that
``syncinfo.xml`` gives for its image differs from its own ``sync`` value
(reference §4.1). So a resync gives the phone a new value (in its own
``SIP<MAC>.cnf`` and in the ``syncinfo.xml`` served to it alone), and the
phone's answer over SIP proves nothing: success is the ``syncinfo.xml``
request that follows and the boot after it. Pure logic: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ..files.render import DEFAULT_SYNC, render_syncinfo

# What the tracker waits for a syncinfo.xml request (TrackerTimings.sync_timeout).
SYNC_TIMEOUT: Final = 60.0
_MAX_SYNC_LENGTH: Final = 32


class ResyncState(StrEnum):
    """Where a resync is: NOTIFY sent, syncinfo.xml fetched, rebooted, or not."""

    SENT = "sent"
    REQUESTED = "requested"
    DONE = "done"
    FAILED = "failed"


@dataclass(slots=True)
class ResyncAttempt:
    """One resync of one phone."""

    mac: str
    sync: str
    sent_at: float
    state: ResyncState = ResyncState.SENT
    requested_at: float | None = None
    reason: str | None = None


def next_sync(current: str | None) -> str:
    """Return a sync value different from ``current`` (numbers count up)."""
    value = current or DEFAULT_SYNC
    if value.isdigit():
        following = str(int(value) + 1)
        return following if len(following) <= _MAX_SYNC_LENGTH else "1"
    return DEFAULT_SYNC if value != DEFAULT_SYNC else "2"


def syncinfo_for(sync: str) -> bytes:
    """Return the ``syncinfo.xml`` served to one phone: every image gets ``sync``."""
    return render_syncinfo({"*": sync})


class ResyncBook:
    """The resyncs in flight, one per phone; the latest replaces the earlier."""

    def __init__(self, timeout: float = SYNC_TIMEOUT) -> None:
        self._timeout = timeout
        self._attempts: dict[str, ResyncAttempt] = {}

    def start(self, mac: str, current_sync: str | None, now: float) -> ResyncAttempt:
        """Begin a resync: a new sync value the phone has not got yet."""
        attempt = ResyncAttempt(mac, next_sync(current_sync), now)
        self._attempts[mac] = attempt
        return attempt

    def get(self, mac: str) -> ResyncAttempt | None:
        """Return the phone's latest resync, finished or not."""
        return self._attempts.get(mac)

    def sync_requested(self, mac: str, now: float) -> bool:
        """Note the phone's ``syncinfo.xml`` request; True if one was awaited."""
        attempt = self._attempts.get(mac)
        if attempt is None or attempt.state is not ResyncState.SENT:
            return False
        attempt.state, attempt.requested_at = ResyncState.REQUESTED, now
        return True

    def booted(self, mac: str) -> ResyncAttempt | None:
        """Note a boot; return the resync it completes, if one was waiting."""
        attempt = self._attempts.get(mac)
        if attempt is None or attempt.state is not ResyncState.REQUESTED:
            return None
        attempt.state = ResyncState.DONE
        return attempt

    def fail(self, mac: str, reason: str) -> ResyncAttempt | None:
        """Fail the phone's pending resync at once (unreachable, refused, …).

        Used when :func:`.restart.restart_phone` did not get the request
        through: waiting the full timeout would only delay the bad news.
        """
        attempt = self._attempts.get(mac)
        if attempt is None or attempt.state not in (
            ResyncState.SENT,
            ResyncState.REQUESTED,
        ):
            return None
        attempt.state, attempt.reason = ResyncState.FAILED, reason
        return attempt

    def tick(self, now: float) -> list[ResyncAttempt]:
        """Fail the resyncs the phone did not follow in time; return them."""
        failed: list[ResyncAttempt] = []
        for attempt in self._attempts.values():
            if attempt.state is ResyncState.SENT:
                since, reason = attempt.sent_at, "no syncinfo.xml request followed"
            elif attempt.state is ResyncState.REQUESTED:
                assert attempt.requested_at is not None
                since, reason = attempt.requested_at, "the phone did not reboot"
            else:
                continue
            if now - since >= self._timeout:
                attempt.state, attempt.reason = ResyncState.FAILED, reason
                failed.append(attempt)
        return failed
