"""Let many waiters of one disk job go on a batch per event-loop turn.

Requests the resolver cannot answer from memory wait for a directory
listing, a ``stat`` or a read in the executor, and every request for the
same thing shares that one job. When it is done, all its waiters wake in
the same loop turn: at the start of a 1,000-phone boot storm that was one
turn of 95-300 ms (each waiter starts its transfer and reports it), and
everything else on the loop, Home Assistant's websocket included, waited
behind it. ``Turns`` lets at most ``batch`` of them through per turn; the
others yield one turn at a time until their batch comes.
"""

from __future__ import annotations

import asyncio
from typing import Final

# Waiters let through per loop turn: a turn of ~5-15 ms of starts.
RESUME_BATCH: Final = 64


class Turns:
    """Admit at most ``batch`` callers of ``take()`` per event-loop turn."""

    def __init__(self, batch: int = RESUME_BATCH) -> None:
        self._batch = max(1, batch)
        self._taken = 0

    async def take(self) -> None:
        """Return in this loop turn if the batch has room, else in a later one.

        The counter is reset by a callback queued by the turn's first
        caller, so it runs at the start of the next turn, before the callers
        that yielded in this one.
        """
        # Yielding one loop turn at a time is the point here, not a poll for
        # an event: the turn's end is what is waited for.
        while self._taken >= self._batch:  # noqa: ASYNC110
            await asyncio.sleep(0)
        if self._taken == 0:
            asyncio.get_running_loop().call_soon(self._new_turn)
        self._taken += 1

    def _new_turn(self) -> None:
        self._taken = 0
