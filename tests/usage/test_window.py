"""The in-memory sliding window counter and the numbers it puts in RateLimit and Retry-After, on a fake clock."""

from __future__ import annotations

import random

import pytest

from sensorgate.usage.limits import _window_state
from sensorgate.usage.memory_counters import MemoryCounters

EXPIRY = 60
START = 1_800_000_000.0  # a window boundary (a multiple of 60)


def take(counters: MemoryCounters, limit: int, at: float) -> tuple[bool, tuple[int, int, int]]:
    allowed, window = counters.take_window("k", limit, EXPIRY, at)
    return allowed, _window_state(limit, EXPIRY, *window)


def test_exactly_the_limit_passes_in_one_window() -> None:
    counters = MemoryCounters()
    results = [take(counters, 5, START + i) for i in range(8)]
    assert [allowed for allowed, _ in results] == [True] * 5 + [False] * 3
    assert [state[0] for _, state in results] == [4, 3, 2, 1, 0, 0, 0, 0]  # remaining counts down
    # The library's own read sees the same counters.
    assert counters.window("k", EXPIRY, START + 8)[1][2] == 5


def test_the_previous_window_weighs_what_is_left_of_it() -> None:
    counters = MemoryCounters()
    for i in range(10):
        take(counters, 10, START + i)
    # A quarter into the next window, the 10 requests weigh 7.5: floor 7, so 3 more pass and the 4th does not.
    at = START + EXPIRY + 15
    assert [take(counters, 10, at)[0] for _ in range(4)] == [True, True, True, False]


def test_reset_is_when_the_window_is_whole_again() -> None:
    counters = MemoryCounters()
    _, (remaining, reset, _) = take(counters, 10, START + 20)
    # This window's count weighs fully for the 40 s it has left, then fades over the next 60 s.
    assert (remaining, reset) == (9, 100)
    assert take(counters, 10, START + 20 + 100)[1][0] == 9  # whole again: only the new request counts


@pytest.mark.parametrize("seed", range(40))
def test_retry_after_is_the_first_whole_second_a_request_passes(seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.randint(1, 30)
    counters = MemoryCounters()
    at = START + rng.uniform(0, EXPIRY)
    for _ in range(rng.randint(0, 2 * limit)):
        take(counters, limit, at)
    at += rng.uniform(0, EXPIRY)  # into this window or the next, so both counts can matter
    while take(counters, limit, at)[0]:
        pass
    allowed, (remaining, _, retry_after) = take(counters, limit, at)
    assert not allowed and remaining == 0 and retry_after >= 1

    def passes(later: float) -> bool:
        # Ask a copy: a request that passes counts, and would change the answer for the other instant.
        probe = MemoryCounters()
        probe.storage.update(counters.storage)
        probe.expirations.update(counters.expirations)
        return probe.take_window("k", limit, EXPIRY, later)[0]

    assert passes(at + retry_after)
    assert retry_after == 1 or not passes(at + retry_after - 1)


def test_expired_counters_are_swept() -> None:
    counters = MemoryCounters()
    take(counters, 5, START)
    take(counters, 5, START + 10 * EXPIRY)  # the sweep runs on an increment, and the first count has expired
    assert len(counters.storage) == 1


def test_the_memory_counters_agree_with_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """usage/memory_counters.py repeats the arithmetic of limits' MemoryStorage on the same dicts; pyproject pins
    the major version it was written against. Here both count one random run of requests, on one clock."""
    import asyncio

    import limits.aio.storage.memory as library_memory
    from limits.aio.storage import MemoryStorage

    clock = {"now": START}

    class Clock:
        @staticmethod
        def time() -> float:
            return clock["now"]

    monkeypatch.setattr(library_memory, "time", Clock)
    rng = random.Random(7)
    times, at = [], START + 0.5
    for _ in range(400):
        at += rng.choice([0.01, 0.2, 1.0, 3.0, 17.0])
        times.append(at)

    outcomes = set()

    async def run() -> None:
        ours, theirs = MemoryCounters(), MemoryStorage()
        for now in times:
            clock["now"] = now
            allowed, window = ours.take_window("k", 7, EXPIRY, now)
            expected = await theirs.acquire_sliding_window_entry("k", 7, EXPIRY)
            assert allowed == expected, now
            outcomes.add(allowed)
            previous, previous_ttl, current, current_ttl = await theirs.get_sliding_window("k", EXPIRY)
            assert (window[0], window[2]) == (previous, current), now
            assert window[1] == pytest.approx(previous_ttl) and window[3] == pytest.approx(current_ttl)
            # The library's own read of our dicts agrees too.
            read = await ours.get_sliding_window("k", EXPIRY)
            assert read == (window[0], pytest.approx(window[1]), window[2], pytest.approx(window[3]))

    asyncio.run(run())
    assert outcomes == {True, False}  # the run reached the limit and came back under it
