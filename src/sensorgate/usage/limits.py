"""Rate limits per credential: its plan's requests per window, and its daily quota, counted once per request.

Strategy: the sliding window counter (two counters per credential: this window and the last, weighted). The
moving window would be exact, but it stores one entry per request: a million per credential on the default
plan, in memory or in Redis. The counter costs O(1) per request, is exact inside one window (so "exactly N of M
pass" holds for a burst) and across windows errs by the previous window's weighting only. The daily quota is a
fixed window per UTC day: a quota is "this many today", not "in any 24 hours".

Storage: in memory by default, in Redis (SENSORGATE_REDIS_URL) when set, so that every process shares counts.

Redis unavailable: fail open. Requests are served unlimited (and without RateLimit headers), a warning is logged
once per outage, `available` turns false (for /health), and Redis is tried again every few seconds, so the limiter
recovers by itself. Refusing everything instead would turn a cache outage into an outage of the whole data API;
the limits guard against waste and runaway clients, and the database still bounds what a request can cost.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage

from sensorgate.db.engine import Database
from sensorgate.kit.counters import redis_storage
from sensorgate.usage.plans import DEFAULT_PLAN, Plan, plans_of

log = logging.getLogger("sensorgate.limits")

# Where the guard leaves the response's RateLimit headers; service/middleware.py adds them on the way out.
SCOPE_KEY = "sensorgate.rate_limit"
PLAN_SECONDS = 60.0  # plans change rarely; a new one applies within a minute
RETRY_SECONDS = 5.0  # while Redis is down, try it again this often (and not on every request)
NAMESPACE = "limit"
Headers = list[tuple[bytes, bytes]]
Window = tuple[int, float, int, float]  # previous count, its time to live, current count, its time to live


@dataclass(slots=True)  # not frozen: a frozen dataclass's constructor costs a microsecond, on every request
class Verdict:
    allowed: bool
    retry_after: int  # seconds; meaningful when refused
    reason: str  # "window" or "daily": which limit refused
    headers: Headers


@dataclass(frozen=True, slots=True)
class _Entry:
    """A credential's plan, cached, with what every request of it reuses: its window key and policy header."""

    until: float  # time.monotonic() when the plan is read again
    plan: Plan
    ident: str
    key: str
    policy: bytes


@dataclass(frozen=True, slots=True)
class Counts:
    window_used: int
    daily_used: int | None


class CredentialLimiter:
    def __init__(self, db: Database, redis_url: str | None, *, enabled: bool = True) -> None:
        self.db = db
        self.enabled = enabled
        self.memory = _QuietMemoryStorage()
        self.storage: Storage | None = None
        if redis_url:
            self.storage = redis_storage(redis_url)
        self.available = True  # false while the storage is unreachable (for /health)
        self._retry_at = 0.0
        self._plans: dict[int, _Entry] = {}

    async def plan(self, credential_id: int) -> Plan:
        return (await self._entry(credential_id)).plan

    async def _entry(self, credential_id: int) -> _Entry:
        cached = self._plans.get(credential_id)
        if cached is not None and cached.until > time.monotonic():
            return cached
        now = time.monotonic()
        plan = (await self.db.read(plans_of, [credential_id])).get(credential_id, DEFAULT_PLAN)
        ident = str(credential_id)
        entry = _Entry(now + PLAN_SECONDS, plan, ident, _window_key(ident, plan), _policy(plan))
        self._plans[credential_id] = entry
        return entry

    async def take(self, credential_id: int) -> Verdict | None:
        """Count one request of the credential. None: not limited (limits off, or the storage unreachable)."""
        if not self.enabled or (self._retry_at and time.monotonic() < self._retry_at):
            return None
        entry = self._plans.get(credential_id)
        if entry is None or entry.until <= time.monotonic():
            entry = await self._entry(credential_id)
        plan, storage, daily_used = entry.plan, self.storage, 0
        # The storage's own sliding-window calls, with the key made once per plan (the strategy object would
        # rebuild it on each call; this is every request's path); the strategy's arithmetic is in _stats.
        now, day_key = None, None
        if plan.daily is not None:
            now = datetime.now(UTC)
            day_key = _daily_key(entry.ident, now)
        if storage is None:
            # In memory nothing can fail (and an exception here is a bug, not an outage).
            allowed, window, daily_used = await _take_in_memory(self.memory, entry, day_key)
        else:
            try:
                allowed, window, daily_used = await _take(storage, entry, day_key)
            except Exception:
                self._outage()
                return None
            if self._retry_at or not self.available:
                self._recovered()
        remaining, window_reset = _stats(plan, *window)
        state = f'"window";r={remaining};t={window_reset}'
        reason = "window"
        retry_after = max(1, window_reset)
        if plan.daily is not None and now is not None:
            daily_reset = _seconds_to_midnight(now)
            state += f', "daily";r={max(0, plan.daily - daily_used)};t={daily_reset}'
            if allowed and daily_used > plan.daily:
                allowed, reason, retry_after = False, "daily", daily_reset
        headers = [(b"ratelimit-policy", entry.policy), (b"ratelimit", state.encode())]
        return Verdict(allowed, retry_after, reason, headers)

    async def counts(self, credential_id: int, plan: Plan) -> Counts | None:
        """Used in the current window and today (None: limits off or the storage unreachable)."""
        if not self.enabled:
            return None
        ident = str(credential_id)
        key, day_key = _window_key(ident, plan), _daily_key(ident, datetime.now(UTC))
        daily: int | None = None
        storage = self.storage or self.memory
        try:
            window = await storage.get_sliding_window(key, plan.window_seconds)  # type: ignore[attr-defined]
            daily = await storage.get(day_key) if plan.daily is not None else None
        except Exception:
            self._outage()
            return None
        return Counts(plan.requests - _stats(plan, *window)[0], daily)

    def _outage(self) -> None:
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if self.available:
            self.available = False
            log.warning("rate-limit storage unavailable; serving without limits until it is back", exc_info=True)

    def _recovered(self) -> None:
        self._retry_at = 0.0
        if not self.available:
            self.available = True
            log.warning("rate-limit storage is back; limits apply again")


class _QuietMemoryStorage(MemoryStorage):
    """The library's in-memory storage, sweeping expired counters at most once a second.

    The library starts a sweep task, which visits every counter, on each increment: a task per request, and work
    that grows with the number of keys. Reads already ignore expired counters, so the sweep only frees memory.
    """

    STORAGE_SCHEME = ["async+sensorgate-memory"]  # its own scheme: the registry maps each scheme to one class
    _next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # the parent's private __schedule_expiry
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + 1.0
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


async def _take_in_memory(storage: MemoryStorage, entry: _Entry, day_key: str | None) -> tuple[bool, Window, int]:
    """One read and, when allowed, one increment: half the library's calls (acquire, then read the counts again).

    As exact as its acquire: the memory storage never suspends, so no other request runs between the two calls.
    """
    plan = entry.plan
    expiry = plan.window_seconds
    previous, previous_ttl, current, current_ttl = await storage.get_sliding_window(entry.key, expiry)
    allowed = math.floor(previous * previous_ttl / expiry + current) < plan.requests
    if allowed:
        current_key = storage.sliding_window_keys(entry.key, expiry, time.time())[1]
        current = await storage.incr(current_key, 2 * expiry)
    daily_used = 0
    if day_key is not None:
        daily_used = await (storage.incr(day_key, 86_400) if allowed else storage.get(day_key))
    return allowed, (previous, previous_ttl, current, current_ttl), daily_used


async def _take(storage: Storage, entry: _Entry, day_key: str | None) -> tuple[bool, Window, int]:
    """One request through Redis: the window (atomic, in a Lua script), its counts, and the day's count."""
    plan = entry.plan
    allowed = await storage.acquire_sliding_window_entry(entry.key, plan.requests, plan.window_seconds)  # type: ignore[attr-defined]
    window = await storage.get_sliding_window(entry.key, plan.window_seconds)  # type: ignore[attr-defined]
    daily_used = 0
    if day_key is not None:
        # A request the window refused does not spend the day's quota.
        daily_used = await (storage.incr(day_key, 86_400) if allowed else storage.get(day_key))
    return allowed, window, daily_used


def _window_key(ident: str, plan: Plan) -> str:
    return RateLimitItemPerSecond(plan.requests, plan.window_seconds).key_for(NAMESPACE, ident)


def _policy(plan: Plan) -> bytes:
    policy = f'"window";q={plan.requests};w={plan.window_seconds}'
    if plan.daily is not None:
        policy += f', "daily";q={plan.daily};w=86400'
    return policy.encode()


def _stats(plan: Plan, previous: int, previous_ttl: float, current: int, current_ttl: float) -> tuple[int, int]:
    """Remaining requests, and seconds until one more is allowed: SlidingWindowCounterRateLimiter's arithmetic."""
    expiry = plan.window_seconds
    remaining = max(0, plan.requests - math.floor(previous * previous_ttl / expiry + current))
    reset = math.inf
    if previous:
        reset = previous_ttl % (expiry / previous)
    if current:
        reset = min(reset, current_ttl % expiry)
    return remaining, 0 if reset == math.inf else min(expiry, math.ceil(reset))


def _daily_key(ident: str, now: datetime) -> str:
    # The UTC date in the key starts a new count at midnight; the 24 h expiry only cleans up.
    return f"{NAMESPACE}/daily/{ident}/{now.date().isoformat()}"


def _seconds_to_midnight(now: datetime) -> int:
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return max(1, math.ceil((midnight - now).total_seconds()))
