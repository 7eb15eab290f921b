"""The rate limiter's in-memory storage: the `limits` library's, with a synchronous path for the request.

The library's MemoryStorage counts in two dicts (`storage`, `expirations`) under the keys its sliding window
counter names (`sliding_window_keys`). Its async methods are what an async strategy calls; each is a coroutine,
wrapped again for error translation, takes an asyncio.Lock, and starts a sweep task on every increment. In one
event loop none of that buys anything, since a function that never awaits cannot be interleaved, and together it
cost about 5 % of a 200 µs request. The methods here do the same arithmetic on the same dicts, with no await
between reading and incrementing, so they are exact, and the library's own reads (`get_sliding_window`, `get`)
still see the counts.
"""

from __future__ import annotations

import math

from limits.aio.storage import MemoryStorage

SWEEP_SECONDS = 10.0  # how often expired counters are dropped; reads ignore them meanwhile
Window = tuple[int, float, int, float]  # previous count, its time to live, current count, its time to live


class MemoryCounters(MemoryStorage):
    STORAGE_SCHEME = ["async+sensorgate-memory"]  # its own scheme: the registry maps each scheme to one class
    _next_sweep = 0.0

    def __init__(self) -> None:
        super().__init__()
        # Per limit key: the window number and its two counter keys, which change once a window (formatting
        # them is a third of this path's cost).
        self._window_keys: dict[str, tuple[int, str, str]] = {}

    def count(self, key: str, now: float) -> int:
        """A counter's value, 0 once it expired."""
        return self.storage.get(key, 0) if self.expirations.get(key, 0.0) > now else 0

    def add(self, key: str, expiry: float, now: float) -> int:
        """Add one to a counter; a counter that is new (or expired) lives `expiry` seconds from now."""
        if self.expirations.get(key, 0.0) > now:
            value = self.storage[key] + 1
        else:
            value = 1
            self.expirations[key] = now + expiry
        self.storage[key] = value
        if now >= self._next_sweep:
            self._sweep(now)
        return value

    def window(self, key: str, expiry: int, now: float) -> tuple[str, Window]:
        """The sliding window's current key, and its counts: the library's arithmetic, without a coroutine."""
        number = int(now / expiry)
        known = self._window_keys.get(key)
        if known is None or known[0] != number:
            known = (number, *self.sliding_window_keys(key, expiry, now))
            self._window_keys[key] = known
        _, previous_key, current_key = known
        # count(), inline: this runs on every limited request, where each call is a measurable share.
        storage, expirations = self.storage, self.expirations
        previous = storage.get(previous_key, 0) if expirations.get(previous_key, 0.0) > now else 0
        current = storage.get(current_key, 0) if expirations.get(current_key, 0.0) > now else 0
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return current_key, (previous, previous_ttl, current, current_ttl)

    def take_window(self, key: str, limit: int, expiry: int, now: float) -> tuple[bool, Window]:
        """One request against a sliding window counter: allowed or not, and the window's counts after it.

        The previous window's count weighs what is left of it, and a request passes while the weighted sum
        stays under the limit.
        """
        current_key, (previous, previous_ttl, current, current_ttl) = self.window(key, expiry, now)
        allowed = math.floor(previous * previous_ttl / expiry + current) < limit
        if allowed:
            # add(), inline (current is 0 when the counter is new or expired). Twice the window, as the library
            # sets it: the count is the next window's "previous".
            if not current:
                self.expirations[current_key] = now + 2 * expiry
            current += 1
            self.storage[current_key] = current
            if now >= self._next_sweep:
                self._sweep(now)
        return allowed, (previous, previous_ttl, current, current_ttl)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_SECONDS
        for key in [key for key, at in self.expirations.items() if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
        self._window_keys = {key: keys for key, keys in self._window_keys.items() if keys[2] in self.storage}
