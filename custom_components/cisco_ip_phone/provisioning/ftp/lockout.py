"""Per-address brute-force guard for FTP logins.

Reconnecting resets a session's own attempt counter, so failures are
counted per client address across sessions. After ``max_attempts``
failures the address is refused for a time that doubles with every
repeat lockout (capped), and forgotten once it logs in correctly or has
been quiet for longer than the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import threading
import time

# Bound the memory an attacker with many addresses can make us use.
MAX_TRACKED_ADDRESSES = 4096


@dataclass(slots=True)
class _Record:
    failures: int = 0
    strikes: int = 0
    locked_until: float = 0.0
    last_seen: float = 0.0


class LoginGuard:
    """Count failed logins per address and decide who is locked out."""

    def __init__(
        self,
        *,
        max_attempts: int,
        base_seconds: float,
        max_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_attempts = max_attempts
        self._base = base_seconds
        self._max = max_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    def refused_for(self, address: str) -> float:
        """Seconds ``address`` stays refused (0.0 when it may connect)."""
        with self._lock:
            record = self._records.get(address)
            if record is None:
                return 0.0
            return max(0.0, record.locked_until - self._clock())

    def record_failure(self, address: str) -> float | None:
        """Count a failed login; return the lockout length if one starts now."""
        now = self._clock()
        with self._lock:
            record = self._records.get(address)
            if record is None:
                self._prune(now)
                record = self._records[address] = _Record()
            elif now - record.last_seen > self._max and now >= record.locked_until:
                # Quiet for longer than the longest lockout: start afresh.
                record.strikes = 0
                record.failures = 0
            record.last_seen = now
            record.failures += 1
            if record.failures < self._max_attempts:
                return None
            duration: float = min(self._base * 2.0**record.strikes, self._max)
            record.strikes += 1
            record.failures = 0
            record.locked_until = now + duration
            return duration

    def record_success(self, address: str) -> None:
        """Forget an address's failures after a correct login."""
        with self._lock:
            self._records.pop(address, None)

    def tracked(self) -> int:
        """Return how many addresses are remembered (for tests and stats)."""
        with self._lock:
            return len(self._records)

    def _prune(self, now: float) -> None:
        if len(self._records) < MAX_TRACKED_ADDRESSES:
            return
        stale = [
            address
            for address, record in self._records.items()
            if now >= record.locked_until
        ]
        for address in stale:
            del self._records[address]
        if len(self._records) >= MAX_TRACKED_ADDRESSES:
            # Everyone is locked out right now: drop the oldest entries.
            oldest = sorted(self._records, key=lambda a: self._records[a].last_seen)
            for address in oldest[: len(oldest) // 2]:
                del self._records[address]
