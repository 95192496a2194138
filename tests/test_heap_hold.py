"""The boot storm's hold on full garbage collections (issue #16).

Counted, never timed: freezes and unfreezes of the real collector (and of a
counting stand-in where the real one cannot be put in the needed state).
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from custom_components.cisco_ip_phone.heap_hold import HeapHold


class _Collector:
    """Counts what a hold asks of the collector."""

    def __init__(self, *, enabled: bool = True, frozen: int = 0) -> None:
        self.enabled = enabled
        self.frozen = frozen
        self.freezes = 0
        self.unfreezes = 0

    def isenabled(self) -> bool:
        return self.enabled

    def get_freeze_count(self) -> int:
        return self.frozen

    def freeze(self) -> None:
        self.freezes += 1
        self.frozen = 1000

    def unfreeze(self) -> None:
        self.unfreezes += 1
        self.frozen = 0


def _fire(hold: HeapHold) -> None:
    """Run the hold's timer now (as the loop would when it is due)."""
    if hold._timer is not None:
        hold._timer.cancel()
    hold._check()


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.usefixtures("unfrozen_heap")
async def test_a_storm_freezes_the_real_heap_and_quiet_hands_it_back() -> None:
    """Real ``gc``: frozen at the first note, unfrozen after a quiet spell."""
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    hold = HeapHold(asyncio.get_running_loop(), quiet=0.02)
    try:
        hold.note_storm()
        assert hold.held
        assert gc.get_freeze_count() > 0  # the heap of before the storm
        hold.note_storm()  # a second note changes nothing
        assert hold.holds == 1
        for _ in range(200):
            if not hold.held:
                break
            await asyncio.sleep(0.01)
        assert not hold.held
        assert gc.get_freeze_count() == 0
    finally:
        hold.release()


async def test_notes_keep_the_hold_and_the_timer_waits_for_the_last_one() -> None:
    loop = asyncio.get_running_loop()
    collector, clock = _Collector(), _Clock()
    hold = HeapHold(loop, quiet=5.0, collector=collector, clock=clock)
    hold.note_storm()
    clock.now += 3.0
    hold.note_storm()  # the storm goes on
    clock.now += 2.0
    _fire(hold)  # 5 s after the first note, 2 s after the last
    assert hold.held
    assert hold._timer is not None
    assert hold._timer.when() == pytest.approx(loop.time() + 3.0, abs=0.5)
    clock.now += 3.0
    _fire(hold)  # quiet for 5 s: handed back
    assert not hold.held
    assert (collector.freezes, collector.unfreezes) == (1, 1)
    assert hold._timer is None
    hold._check()  # a stray timer after the release does nothing
    assert collector.unfreezes == 1


async def test_a_flood_is_held_at_most_longest_then_cools_down() -> None:
    """A storm that never ends cannot keep full collections away for good."""
    collector, clock = _Collector(), _Clock()
    hold = HeapHold(
        asyncio.get_running_loop(),
        quiet=5.0,
        longest=120.0,
        cooldown=60.0,
        collector=collector,
        clock=clock,
    )
    hold.note_storm()
    for _ in range(40):
        clock.now += 3.0
        hold.note_storm()
    _fire(hold)  # 120 s held, notes all along
    assert not hold.held
    assert collector.unfreezes == 1
    clock.now += 59.0
    hold.note_storm()  # cooling down: no new hold
    assert not hold.held
    clock.now += 1.0
    hold.note_storm()
    assert hold.held
    assert hold.holds == 2
    hold.release()
    hold.release()  # idempotent
    assert collector.unfreezes == 2


@pytest.mark.parametrize(
    "collector",
    [_Collector(enabled=False), _Collector(frozen=5)],
    ids=["collection disabled", "someone else froze"],
)
async def test_a_collector_managed_by_someone_else_is_left_alone(
    collector: _Collector,
) -> None:
    clock = _Clock()
    hold = HeapHold(
        asyncio.get_running_loop(), quiet=5.0, collector=collector, clock=clock
    )
    hold.note_storm()
    assert not hold.held
    assert collector.freezes == 0
    # Their state changes; this storm still leaves it alone until quiet...
    collector.enabled, collector.frozen = True, 0
    clock.now += 4.0
    hold.note_storm()
    assert collector.freezes == 0
    # ...and the next storm may hold.
    clock.now += 1.0
    hold.note_storm()
    assert hold.held
    hold.release()
    assert collector.unfreezes == 1
