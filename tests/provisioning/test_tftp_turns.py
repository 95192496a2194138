"""Waiters of one shared disk job go on a batch per loop turn (issue #16)."""

from __future__ import annotations

import asyncio

from custom_components.cisco_ip_phone.provisioning.tftp.turns import Turns


async def test_waiters_of_one_job_resume_a_batch_per_loop_turn() -> None:
    """200 waiters woken at once: 64, 64, 64, 8 per turn, in their order."""
    turns = Turns(64)
    job: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    resumed: list[tuple[int, int]] = []  # (waiter, loop turn it went on in)
    turn = [0]

    async def count_turns() -> None:
        while len(resumed) < 200:
            await asyncio.sleep(0)
            turn[0] += 1

    async def waiter(number: int) -> None:
        await job
        await turns.take()
        resumed.append((number, turn[0]))

    waiters = [asyncio.create_task(waiter(n)) for n in range(200)]
    await asyncio.sleep(0)  # all are waiting for the job
    counter = asyncio.create_task(count_turns())
    job.set_result(None)
    await asyncio.gather(*waiters, counter)
    per_turn: dict[int, int] = {}
    for _, at in resumed:
        per_turn[at] = per_turn.get(at, 0) + 1
    assert sorted(per_turn.values(), reverse=True) == [64, 64, 64, 8]
    assert max(per_turn.values()) <= 64
    assert [number for number, _ in resumed] == list(range(200))  # FIFO


async def test_a_lone_waiter_goes_on_at_once() -> None:
    turns = Turns()
    await turns.take()  # no yield needed below the batch
    await turns.take()
    turns_zero = Turns(0)  # a batch of at least one
    await turns_zero.take()
