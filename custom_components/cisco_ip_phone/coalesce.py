"""Coalesce frequent changes into at most one action per interval.

Server counters move with every transfer; writing their entities each time
would make a boot storm cost one state write per transfer. The first change
acts at once (so a single transfer still shows immediately); later ones wait
for the end of the interval and then act once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
