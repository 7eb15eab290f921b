"""What the demo sensors read: values that are pure functions of (series seed, time).

Noise, drift and outages come from an integer hash of the seed and the time rather than from a shared random
generator. A value at a given time is then the same on every run and whatever range a run writes, so a second
`demo seed` that extends the range joins the first seamlessly, and tests can rely on the numbers.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

MASK64 = (1 << 64) - 1
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
# Weather and building drift change over hours, not minutes.
DRIFT_KNOT_MS = 6 * HOUR_MS
# Chance that a sensor drops offline on a given day, and for how long.
OUTAGE_CHANCE = 0.08
OUTAGE_MIN_MS = HOUR_MS
OUTAGE_MAX_MS = 6 * HOUR_MS
# The newest readings are never in an outage, so latest values look fresh right after seeding.
OUTAGE_FREE_MS = 2 * HOUR_MS
# Triangular noise (sum of two uniforms) scaled to a standard deviation of 1.
_NOISE_SCALE = math.sqrt(6.0)
_TWO_POW_32 = float(1 << 32)


def mix(value: int) -> int:
    """splitmix64's finalizer: a cheap 64-bit hash whose output bits all depend on every input bit."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def seed_of(*parts: int | str) -> int:
    """One seed from several parts; strings go through CRC32 because Python's str hash differs per process."""
    seed = 0
    for part in parts:
        number = zlib.crc32(part.encode()) if isinstance(part, str) else part
        seed = mix(seed ^ (number & MASK64))
    return seed


def uniform(key: int) -> float:
    """A number in [0, 1) fixed by the key."""
    return mix(key & MASK64) / 2.0**64


@dataclass(frozen=True, slots=True)
class Profile:
    """How one metric of a kind of sensor behaves.

    shape "daily": a sine over the day that peaks at peak_hour (UTC); "workday": people in the room on weekdays
    from 08:00 to 18:00 UTC, `daily` being the rise at midday; "battery": a slow discharge from 100 %.
    """

    metric: str
    base: float
    daily: float = 0.0
    peak_hour: float = 15.0
    drift: float = 0.0
    noise: float = 0.0
    spread: float = 0.0  # how far one sensor's base lies from another's
    digits: int = 1
    shape: str = "daily"
    low: float = -math.inf
    high: float = math.inf


class Signal:
    """The readings of one series."""

    __slots__ = ("_a", "_b", "_base", "_knot", "_lifetime_days", "_phase", "_seed", "profile")

    def __init__(self, profile: Profile, seed: int) -> None:
        self.profile = profile
        self._seed = seed
        self._base = profile.base + profile.spread * (2.0 * uniform(seed ^ 1) - 1.0)
        # Sensors of one kind are not in lockstep: peaks shift by up to an hour either way.
        self._phase = (profile.peak_hour + 2.0 * uniform(seed ^ 2) - 1.0) / 24.0
        # A battery lasts 4 to 12 months, and each sensor is somewhere in that life.
        self._lifetime_days = 120.0 + 240.0 * uniform(seed ^ 3)
        self._knot = -1
        self._a = self._b = 0.0

    def at(self, t: int) -> float:
        """The reading at t (epoch ms)."""
        profile = self.profile
        if profile.shape == "battery":
            return self._battery(t)
        day_fraction = (t % DAY_MS) / DAY_MS
        if profile.shape == "workday":
            cycle = _occupancy(t, day_fraction)
        else:
            cycle = math.cos(2.0 * math.pi * (day_fraction - self._phase))
        value = self._base + profile.daily * cycle + profile.drift * self._drift(t) + profile.noise * self._noise(t)
        return round(min(max(value, profile.low), profile.high), profile.digits)

    def _battery(self, t: int) -> float:
        used = (t / DAY_MS / self._lifetime_days + uniform(self._seed ^ 4)) % 1.0
        return float(round(100.0 - 85.0 * used))

    def _noise(self, t: int) -> float:
        bits = mix((self._seed + t) & MASK64)
        return ((bits >> 32) / _TWO_POW_32 + (bits & 0xFFFFFFFF) / _TWO_POW_32 - 1.0) * _NOISE_SCALE

    def _drift(self, t: int) -> float:
        """Smooth value noise: random levels every few hours, eased into each other (-1 to 1)."""
        knot, offset = divmod(t, DRIFT_KNOT_MS)
        if knot != self._knot:
            self._knot = knot
            self._a = 2.0 * uniform(self._seed ^ (knot << 8)) - 1.0
            self._b = 2.0 * uniform(self._seed ^ ((knot + 1) << 8)) - 1.0
        weight = (1.0 - math.cos(math.pi * offset / DRIFT_KNOT_MS)) / 2.0
        return self._a + (self._b - self._a) * weight


def _occupancy(t: int, day_fraction: float) -> float:
    """0 when nobody is in, rising to 1 around 13:00 on weekdays. Epoch day 0 was a Thursday."""
    if (t // DAY_MS + 3) % 7 >= 5:
        return 0.0
    hour = day_fraction * 24.0
    if hour < 8.0 or hour >= 18.0:
        return 0.0
    return math.sin(math.pi * (hour - 8.0) / 10.0)


class Outages:
    """When a sensor is offline: at most one window a day, within that UTC day, never in the last hours before
    `end`."""

    __slots__ = ("_end", "_seed", "_windows")

    def __init__(self, seed: int, end: int) -> None:
        self._seed = seed
        self._end = end
        self._windows: dict[int, tuple[int, int] | None] = {}

    def window(self, day: int) -> tuple[int, int] | None:
        """The offline window [start, stop) of that epoch day, if any."""
        if day in self._windows:
            return self._windows[day]
        found: tuple[int, int] | None = None
        key = self._seed ^ (day << 12)
        if uniform(key) < OUTAGE_CHANCE:
            start = day * DAY_MS + int(uniform(key ^ 1) * (DAY_MS - OUTAGE_MAX_MS)) // 60_000 * 60_000
            length = OUTAGE_MIN_MS + int(uniform(key ^ 2) * (OUTAGE_MAX_MS - OUTAGE_MIN_MS))
            stop = min(start + length, self._end - OUTAGE_FREE_MS)
            if stop > start:
                found = (start, stop)
        self._windows[day] = found
        return found

    def offline(self, t: int) -> bool:
        window = self.window(t // DAY_MS)
        return window is not None and window[0] <= t < window[1]
