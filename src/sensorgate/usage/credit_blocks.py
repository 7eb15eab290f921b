"""Credits taken from Redis in small blocks, so that most requests of a busy credential need no Redis call.

A Redis call through redis-py's asyncio client costs more CPU than the rest of a small request (bench/README.md,
Rate limits): counting every request in Redis made a limited request 2.5 times as costly. Instead, a process
takes a block of slots from the shared sliding window at once (the library's own script, with an amount) and
spends them locally, for at most HOLD_SECONDS.

Why the limit stays exact:
- A slot is counted in Redis before any request uses it, so the limit is never exceeded, by any number of
  processes.
- A block is sized to the demand the credential showed in this process: 1 to start, doubled while each block runs
  out within its hold, down to what was used when one ages out. A client making one request at a time gets
  blocks of 1, which is exactly the old behaviour, and the slots a process can waste are those its own traffic
  would have used within a second.
- A block is at most 1/SHARE of what the window has left, so near the limit blocks shrink to 1 and the last
  requests are counted one by one. What other processes hold is all that can refuse a request early: at most
  (remaining / SHARE) per process, and never more than BLOCK - 1 (docs/operations.md states the bound).

The RateLimit headers count the slots this process still holds as remaining: they count down request by request,
as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from limits.aio.storage import Storage

from sensorgate.usage.memory_counters import Window

BLOCK = 64  # the most slots one call takes
SHARE = 64  # a block takes at most this fraction of what the window (or the day) has left
HOLD_SECONDS = 1.0  # a block's slots expire after this long, so a window's end does not carry them over


@dataclass(slots=True)  # mutated on every request: not frozen
class Credits:
    left: int  # slots taken from Redis and not yet used
    until: float  # time.monotonic() past which the slots are dropped
    size: int  # the block's size
    used: int  # slots of the block used so far
    window: Window  # the window's counts as Redis gave them with the block, for the headers
    daily_used: int  # the day's count as Redis gave it with the block (0: no daily quota)


def next_size(previous: Credits | None, monotonic: float) -> int:
    """The next block's size, from how the last one went."""
    if previous is None:
        return 1
    if previous.left == 0 and monotonic < previous.until:
        return min(BLOCK, previous.size * 2)  # it ran out within its hold: demand is higher
    return max(1, min(BLOCK, previous.used))


def cap(limit: int, used: float, wanted: int) -> int:
    """At most 1/SHARE of what is left (and at least 1: a single slot is what every request needed before)."""
    return max(1, min(wanted, math.floor((limit - used) / SHARE)))


def weighted(window: Window, expiry: int) -> float:
    previous, previous_ttl, current, _ = window
    return previous * previous_ttl / expiry + current


async def take_block(storage: Storage, key: str, limit: int, expiry: int, size: int) -> tuple[bool, int, Window]:
    """Take `size` slots of the window (all or none), or one if the block does not fit: (allowed, slots, window)."""
    taken = size
    allowed = await storage.acquire_sliding_window_entry(key, limit, expiry, size)  # type: ignore[attr-defined]
    if not allowed and size > 1:
        # Another process took slots meanwhile: one request still fits where a block did not.
        taken = 1
        allowed = await storage.acquire_sliding_window_entry(key, limit, expiry, 1)  # type: ignore[attr-defined]
    window = await storage.get_sliding_window(key, expiry)  # type: ignore[attr-defined]
    return allowed, taken if allowed else 0, window
