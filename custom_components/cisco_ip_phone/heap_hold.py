"""Keep CPython's full garbage collections off Home Assistant's heap in a storm.

A full (generation 2) collection walks every container object in the
process with the GIL held. With 1,000 phones Home Assistant holds about
0.9 million of them (14,000 entities, their registry entries, states,
jobs), and one full collection stops the event loop for 0.5-0.9 s,
measured in ``bench/run_ha_storm.py``. A boot storm allocates fast, so
CPython starts one in the middle of it: the longest stall of the storm,
the websocket's worst ping, and a late block for every phone waiting.

While a storm lasts, the heap that existed when it began is moved out of
the collector's reach (``gc.freeze()``: it only relinks a list, O(1));
what the storm allocates is still collected as usual. When the storm has
been quiet for ``QUIET`` seconds the heap is handed back
(``gc.unfreeze()``, O(1)), and the next full collection, at a time of
CPython's choosing, frees whatever became garbage meanwhile: the work is
deferred, never dropped, and nothing is leaked. A hold lasts at most
``LONGEST`` seconds and is followed by ``COOLDOWN`` seconds without one,
so a flood that never stops cannot defer collection for good.

The collector is process-wide, so this is shy: nothing is frozen when
collection is disabled or somebody else has frozen objects (their
``gc.freeze()`` is theirs to undo). That also keeps two hubs (two config
entries) apart: the second one's storm finds the first one's freeze and
waits for it to end. Each hub owns one hold and releases it when it stops,
so an unloaded entry leaves no frozen heap and no timer behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import gc
import logging
from typing import Final, Protocol

_LOGGER = logging.getLogger(__name__)

# Seconds without a storm note before the heap is handed back.
QUIET: Final = 5.0
# Longest hold, and the pause after it before the next one (a flood that
# never ends must not defer collection for good).
LONGEST: Final = 120.0
COOLDOWN: Final = 60.0


class Collector(Protocol):
    """The part of the ``gc`` module a hold uses (tests pass a fake to count)."""

    def isenabled(self) -> bool: ...

    def get_freeze_count(self) -> int: ...

    def freeze(self) -> None: ...

    def unfreeze(self) -> None: ...


class HeapHold:
    """Freeze the heap at a storm's start, unfreeze it when the storm ends."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        quiet: float = QUIET,
        longest: float = LONGEST,
        cooldown: float = COOLDOWN,
        collector: Collector | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._loop = loop
        self._quiet = quiet
        self._longest = longest
        self._cooldown = cooldown
        self._gc: Collector = collector if collector is not None else gc
        self._clock = clock or loop.time
        self._held_since: float | None = None
        self._last_note = 0.0
        self._not_before = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self.holds = 0

    @property
    def held(self) -> bool:
        """Return whether the heap is held out of full collections now."""
        return self._held_since is not None

    def note_storm(self) -> None:
        """Record storm activity; start a hold if none runs and one may."""
        now = self._clock()
        self._last_note = now
        if self._held_since is not None or now < self._not_before:
            return
        if not self._gc.isenabled() or self._gc.get_freeze_count():
            # Somebody else manages the collector: stay out of their way
            # until this storm has been quiet (checked once per storm).
            self._not_before = now + self._quiet
            return
        self._gc.freeze()
        self._held_since = now
        self.holds += 1
        _LOGGER.debug("Boot storm: heap held out of full garbage collections")
        self._timer = self._loop.call_later(self._quiet, self._check)

    def _check(self) -> None:
        self._timer = None
        if self._held_since is None:
            return
        now = self._clock()
        if now - self._held_since >= self._longest:
            self._release(now + self._cooldown)
            return
        quiet_at = self._last_note + self._quiet
        if now >= quiet_at:
            self._release(now)
            return
        self._timer = self._loop.call_later(
            min(quiet_at, self._held_since + self._longest) - now, self._check
        )

    def release(self) -> None:
        """Hand the heap back now (unload, stop); idempotent."""
        self._release(self._clock())

    def _release(self, not_before: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._held_since is None:
            return
        self._gc.unfreeze()
        _LOGGER.debug(
            "Heap handed back to the garbage collector after %.1f s",
            self._clock() - self._held_since,
        )
        self._held_since = None
        self._not_before = not_before
