"""Coalesce frequent changes into at most one action per interval.

Server counters move with every transfer; writing their entities each time
would make a boot storm cost one state write per transfer. The first change
acts at once (so a single transfer still shows immediately); later ones wait
for the end of the interval and then act once. Phone refreshes go out at
once, except while a storm is on: then they wait until it calms down and
each phone is refreshed once (``PhoneBatcher``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later


class Coalescer:
    """Run ``action`` now, then at most once per ``interval`` while asked."""

    def __init__(
        self, hass: HomeAssistant, interval: float, action: Callable[[], None]
    ) -> None:
        self._hass = hass
        self._interval = interval
        self._action = action
        self._cancel: CALLBACK_TYPE | None = None
        self._pending = False
        self._job = HassJob(self._on_timer, cancel_on_shutdown=True)

    @callback
    def schedule(self) -> None:
        if self._cancel is not None:
            self._pending = True
            return
        self._action()
        self._cancel = async_call_later(self._hass, self._interval, self._job)

    @callback
    def _on_timer(self, _now: Any) -> None:
        self._cancel = None
        if self._pending:
            self._pending = False
            self.schedule()

    @callback
    def flush(self) -> None:
        """Stop the timer; run the pending action now."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        if self._pending:
            self._pending = False
            self._action()

    @callback
    def cancel(self) -> None:
        """Stop the timer; drop the pending action (unload); idempotent."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        self._pending = False


# Server counters change with every transfer: write them at most this often.
COUNTER_INTERVAL: Final = 1.0
# A storm: more phone refreshes than this within one interval (issue #16).
STORM_REFRESHES: Final = 50
PHONE_INTERVAL: Final = 1.0
# While a storm lasts, its refreshes wait until it calms down (a second with
# at most STORM_REFRESHES), but never longer than this. 1,000 phones booting
# at once are then served first and shown once, after their boot, instead of
# Home Assistant writing states (and its recorder storing them) while the
# phones still wait for files: what competed with the TFTP answers for the
# event loop and the GIL in the 1,000-phone bench (issue #16). A storm that
# goes on for longer shows its phones every STORM_HOLD_MAX seconds.
STORM_HOLD_MAX: Final = 10.0
# Tracker events kept per phone while its refresh waits (a bound, not a
# budget: a boot has about ten).
MAX_PENDING_EVENTS: Final = 32
# Phones refreshed per event-loop turn when a storm's batch is written: a
# batch of 300 phones in one callback held the loop for ~0.6 s (pings!), and
# a first boot (every entity's first value, device registry updates) costs
# up to ~6 ms per phone: 20 phones held it for 100-240 ms in the 1,000-phone
# bench, 8 keep a turn near 50 ms.
FLUSH_CHUNK: Final = 8


class PhoneBatcher[EventT]:
    """Refresh a phone at once, or once the storm is over while one is on.

    One phone's boot shows each state as it happens. When more than
    ``storm`` phone refreshes arrive within one interval (a boot storm, a
    building's power coming back), each phone's refreshes wait until the
    storm calms down (at most ``longest`` seconds) and then run once, with
    every event they carried: the states in between are never shown, but no
    event is lost (event entities fire each). This keeps state writes,
    recorder rows and websocket traffic per phone bounded in a storm instead
    of one per transfer, and keeps them out of the way while the phones are
    still being served. ``on_storm`` is called for every refresh that waits
    (``heap_hold``).

    The rate is a sliding one-interval estimate from two counters (this
    interval and the one before), so a storm's end is seen within one
    interval and the memory used does not grow with the traffic.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        refresh: Callable[[str, tuple[EventT, ...]], None],
        *,
        interval: float = PHONE_INTERVAL,
        storm: int = STORM_REFRESHES,
        longest: float = STORM_HOLD_MAX,
        clock: Callable[[], float] | None = None,
        on_storm: Callable[[], None] | None = None,
    ) -> None:
        self._hass = hass
        self._on_storm = on_storm
        self._clock = clock or hass.loop.time
        self._refresh = refresh
        self._interval = interval
        self._storm = storm
        self._longest = max(interval, longest)
        self._window = -2 * interval
        self._count = 0
        self._previous = 0
        self._held_since = 0.0
        self._pending: dict[str, list[EventT]] = {}
        self._cancel: CALLBACK_TYPE | None = None
        self._job = HassJob(self._on_timer, cancel_on_shutdown=True)

    @callback
    def add(self, mac: str, events: tuple[EventT, ...]) -> None:
        """Refresh ``mac`` now, or once the storm is over if one is on."""
        now = self._clock()
        self._roll(now)
        self._count += 1
        # While a batch waits, every refresh joins it: a storm's first
        # refreshes of each new second would otherwise go out one by one.
        if self._cancel is None and not self._pending and not self._storming(now):
            self._refresh(mac, events)
            return
        if self._on_storm is not None:
            self._on_storm()
        if not self._pending:
            self._held_since = now
        waiting = self._pending.setdefault(mac, [])
        waiting.extend(events)
        del waiting[:-MAX_PENDING_EVENTS]
        if self._cancel is None:
            self._cancel = async_call_later(self._hass, self._interval, self._job)

    @property
    def storm_on(self) -> bool:
        """Return whether the last interval had more refreshes than a storm."""
        return self._storming(self._clock())

    def _roll(self, now: float) -> None:
        """Start a new counting interval when the current one is over."""
        elapsed = now - self._window
        if elapsed < self._interval:
            return
        if elapsed < 2 * self._interval:
            self._previous, self._window = self._count, self._window + self._interval
        else:
            self._previous, self._window = 0, now
        self._count = 0

    def _storming(self, now: float) -> bool:
        """Return whether the refreshes of the last interval make a storm.

        The last interval is estimated (sliding window): this interval's
        count, plus the share of the previous one it still overlaps.
        """
        self._roll(now)
        unseen = 1.0 - (now - self._window) / self._interval
        return self._count + self._previous * unseen > self._storm

    @callback
    def _on_timer(self, _now: Any) -> None:
        self._cancel = None
        now = self._clock()
        if self._storming(now) and now - self._held_since < self._longest:
            # The storm goes on: keep holding (the phones come first).
            self._cancel = async_call_later(self._hass, self._interval, self._job)
            return
        self._drain()

    @callback
    def _drain(self) -> None:
        """Refresh a chunk of waiting phones, then let the loop breathe."""
        for _ in range(FLUSH_CHUNK):
            if not self._pending:
                return
            mac = next(iter(self._pending))
            self._refresh(mac, tuple(self._pending.pop(mac)))
        if self._pending:
            self._hass.loop.call_soon(self._drain)

    @callback
    def flush(self) -> None:
        """Stop the timer; refresh every waiting phone now."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        pending, self._pending = self._pending, {}
        for mac, events in pending.items():
            self._refresh(mac, tuple(events))
