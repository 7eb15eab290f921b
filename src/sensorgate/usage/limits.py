"""Rate limits per credential: its plan's requests per window, and its daily quota, counted once per request.

Strategy: the sliding window counter (two counters per credential: this window and the last, weighted). The
moving window would be exact, but it stores one entry per request: a million per credential on the default
plan, in memory or in Redis. The counter costs O(1) per request, is exact inside one window (so "exactly N of M
pass" holds for a burst) and across windows errs by the previous window's weighting only. The daily quota is a
fixed window per UTC day: a quota is "this many today", not "in any 24 hours".

Storage: in memory by default, in Redis (SENSORGATE_REDIS_URL) when set, so that every process shares counts.

Redis unavailable: fail open. Requests are served unlimited (and without RateLimit headers), a warning is logged
once per outage, and Redis is tried again every few seconds, so the limiter
recovers by itself. Refusing everything instead would turn a cache outage into an outage of the whole data API;
the limits guard against waste and runaway clients, and the database still bounds what a request can cost.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from functools import partial

from limits.aio.storage import Storage

from sensorgate.credentials.plans import DEFAULT_PLAN, Plan, plans_of
from sensorgate.db.engine import Database
from sensorgate.kit.counters import redis_storage
from sensorgate.kit.outage import UNAVAILABLE, Outage
from sensorgate.usage import credit_blocks
from sensorgate.usage.memory_counters import MemoryCounters, Window

log = logging.getLogger("sensorgate.limits")

PLAN_SECONDS = 60.0  # plans change rarely; a new one applies within a minute
CHECK_SECONDS = 1.0  # /health's ping: a load balancer's check must not hang on a black-holed Redis
NAMESPACE = "limit"
Headers = list[tuple[bytes, bytes]]
DAY = 86_400


@dataclass(slots=True)  # not frozen: a frozen dataclass's constructor costs a microsecond, on every request
class Verdict:
    allowed: bool
    retry_after: int  # seconds; meaningful when refused
    reason: str  # "window" or "daily": which limit refused
    headers: Headers
    # The limit that decides (the day's once its quota is spent, else the window's) as plain integers, for a
    # dialect that states it in headers of its own: its size, what remains, and seconds until it is whole again.
    limit: int
    remaining: int
    reset: int


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
    def __init__(self, db: Database, redis_url: str | None, *, prefix: str, enabled: bool = True) -> None:
        self.db = db
        self.enabled = enabled
        self.memory = MemoryCounters()
        self.storage: Storage | None = None
        if redis_url:
            self.storage = redis_storage(redis_url, prefix)
        self.outage = Outage("rate-limit storage (Redis)", log, "serving without rate limits")
        self._plans: dict[int, _Entry] = {}
        self._credits: dict[int, credit_blocks.Credits] = {}  # blocks of Redis slots held by this process

    async def plan(self, credential_id: int) -> Plan:
        return (await self._entry(credential_id)).plan

    async def token_limit(self, credential_id: int) -> int:
        """Token requests per 15 minutes the client's plan allows, for the OAuth token endpoint."""
        return (await self._entry(credential_id)).plan.tokens

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
        if not self.enabled:
            return None
        entry = self._plans.get(credential_id)
        if entry is None or entry.until <= time.monotonic():
            entry = await self._entry(credential_id)
        now = time.time()
        storage = self.storage
        if storage is None:
            # In memory nothing can fail (and an exception here is a bug, not an outage).
            if entry.plan.daily is None:  # the common case, one call shorter
                plan = entry.plan
                allowed, window = self.memory.take_window(entry.key, plan.requests, plan.window_seconds, now)
                return _verdict(entry, allowed, window, 0, now)
            allowed, window, daily_used = _take_in_memory(self.memory, entry, now)
        else:
            return await self._take_shared(storage, credential_id, entry, now)
        return _verdict(entry, allowed, window, daily_used, now)

    async def _take_shared(self, storage: Storage, credential_id: int, entry: _Entry, now: float) -> Verdict | None:
        """One request through Redis, from this process's block of slots when it holds one (credit_blocks.py)."""
        clock = time.monotonic()
        credits = self._credits.get(credential_id)
        if credits is not None and credits.left and clock < credits.until:
            credits.left -= 1
            credits.used += 1
            return _verdict(entry, True, credits.window, credits.daily_used, now, credits.left)
        size = credit_blocks.next_size(credits, clock)
        if credits is not None and size > 1:
            # What the window had left when this process last asked bounds the block (1/SHARE of it).
            known = credit_blocks.weighted(credits.window, entry.plan.window_seconds)
            size = credit_blocks.cap(entry.plan.requests, known, size)
        taken = await self.outage.attempt(partial(_take, storage, entry, now, size))
        if taken is UNAVAILABLE:
            return None
        allowed, window, daily_used, slots = taken
        if slots:
            held = slots - 1  # this request uses one
            self._credits[credential_id] = credit_blocks.Credits(
                held, clock + credit_blocks.HOLD_SECONDS, slots, 1, window, daily_used
            )
        else:
            self._credits.pop(credential_id, None)
        return _verdict(entry, allowed, window, daily_used, now, max(0, slots - 1))

    async def counts(self, credential_id: int, plan: Plan) -> Counts | None:
        """Used in the current window and today (None: limits off or the storage unreachable)."""
        if not self.enabled:
            return None
        ident = str(credential_id)
        key, day_key = _window_key(ident, plan), _daily_key(ident, time.time())
        daily: int | None = None
        if self.storage is None:
            window = self.memory.window(key, plan.window_seconds, time.time())[1]
            daily = self.memory.count(day_key, time.time()) if plan.daily is not None else None
        else:
            counted = await self.outage.attempt(partial(_counts_in_redis, self.storage, key, day_key, plan))
            if counted is UNAVAILABLE:
                return None
            window, daily = counted
        previous, previous_ttl, current, _ = window
        # Slots this process holds are counted in Redis but not used yet (credit_blocks.py).
        credits = self._credits.get(credential_id)
        held = credits.left if credits is not None and time.monotonic() < credits.until else 0
        used = max(0, math.floor(previous * previous_ttl / plan.window_seconds + current) - held)
        return Counts(used, None if daily is None else max(0, daily - held))

    async def check(self) -> bool | None:
        """Ping the storage (None: in memory). A success ends an outage now, not at the next retry."""
        if self.storage is None:
            return None
        try:
            answered = await asyncio.wait_for(self.storage.check(), CHECK_SECONDS)
        except Exception:  # the library returns False for a refused connection; a timeout raises
            answered = False
        if answered:
            self.outage.succeeded()
        elif not self.outage.down:
            self.outage.failed()
        return bool(answered)


def _take_in_memory(memory: MemoryCounters, entry: _Entry, now: float) -> tuple[bool, Window, int]:
    """The daily quota first (a refused request must not spend a window slot), then the window, then the day."""
    plan, day_key = entry.plan, None
    if plan.daily is not None:
        day_key = _daily_key(entry.ident, now)
        if memory.count(day_key, now) >= plan.daily:
            window = memory.window(entry.key, plan.window_seconds, now)[1]
            # The day's count with this refused request in it, past the quota: _verdict names the day.
            return False, window, memory.count(day_key, now) + 1
    allowed, window = memory.take_window(entry.key, plan.requests, plan.window_seconds, now)
    if day_key is None:
        return allowed, window, 0
    # Refused by the window: the day's count as it stands, for the header.
    return allowed, window, memory.add(day_key, DAY, now) if allowed else memory.count(day_key, now)


async def _take(storage: Storage, entry: _Entry, now: float, size: int) -> tuple[bool, Window, int, int]:
    """A block of up to `size` requests through Redis (credit_blocks.py): the day's count, the window (atomic, in
    the library's Lua script), its counts, the day. Returns (allowed, window, day's count, slots taken).

    Each step is atomic in Redis but the sequence is not: two processes may both see the day's count under the
    quota, so the increment's result is checked again, and the day stays exact (window slots may be spent).
    """
    plan, daily = entry.plan, entry.plan.daily
    expiry = plan.window_seconds
    day_key = _daily_key(entry.ident, now)
    if daily is not None:
        used = await storage.get(day_key)
        if used >= daily:
            # As in memory: this request counted in, past the quota, so _verdict names the day.
            window = await storage.get_sliding_window(entry.key, expiry)  # type: ignore[attr-defined]
            return False, window, used + 1, 0
        size = credit_blocks.cap(daily, used, size)
    allowed, slots, window = await credit_blocks.take_block(storage, entry.key, plan.requests, expiry, size)
    if daily is None:
        return allowed, window, 0, slots
    if not allowed:
        # Refused by the window: the day's count as it stands, for the header.
        return False, window, await storage.get(day_key), 0
    day = await storage.incr(day_key, DAY, slots)
    # Slots past the quota (another process counted meanwhile) are not ours to use; none left refuses the day.
    usable = slots - max(0, day - daily)
    return usable > 0, window, day if usable <= 0 else min(day, daily), max(0, usable)


async def _counts_in_redis(storage: Storage, key: str, day_key: str, plan: Plan) -> tuple[Window, int | None]:
    window = await storage.get_sliding_window(key, plan.window_seconds)  # type: ignore[attr-defined]
    return window, (await storage.get(day_key) if plan.daily is not None else None)


def _verdict(entry: _Entry, allowed: bool, window: Window, daily_used: int, now: float, held: int = 0) -> Verdict:
    """The verdict and its headers. `held`: slots of a Redis block this process still holds, which Redis counts
    as used already but which are still this credential's to use (credit_blocks.py)."""
    plan = entry.plan
    remaining, reset, retry_after = _window_state(plan.requests, plan.window_seconds, *window)
    remaining += held
    state = f'"window";r={remaining};t={reset}'
    reason, limit = "window", plan.requests
    if plan.daily is not None:
        midnight = math.ceil(DAY - now % DAY)
        state += f', "daily";r={max(0, plan.daily - daily_used) + held};t={midnight}'
        if daily_used > plan.daily:
            allowed, reason, retry_after = False, "daily", midnight
            limit, remaining, reset = plan.daily, 0, midnight
    headers = [(b"ratelimit-policy", entry.policy), (b"ratelimit", state.encode())]
    return Verdict(allowed, retry_after, reason, headers, limit, remaining, reset)


def _window_state(
    limit: int, expiry: int, previous: int, previous_ttl: float, current: int, current_ttl: float
) -> tuple[int, int, int]:
    """Remaining requests; seconds until the window is whole again (the headers' `t`); seconds until one more
    request would pass (Retry-After, meaningful when none remains).

    The count of the current window weighs fully until the window ends and then fades over the next one, so the
    window is whole again when it has faded (current_ttl); with no current count, when the previous has faded.
    """
    weighted = previous * previous_ttl / expiry + current
    remaining = max(0, limit - math.floor(weighted))
    reset = current_ttl if current else previous_ttl
    if remaining:
        retry = 0.0
    elif current < limit:
        # Only the previous window's weight has to fall: previous * (ttl - wait) / expiry < limit - current.
        retry = previous_ttl - expiry * (limit - current) / previous
    else:
        # This window's count must end and then fade: current * (1 - wait / expiry) < limit.
        retry = (current_ttl - expiry) + expiry * (1 - limit / current)
    # A microsecond off: the window's position comes from dividing an epoch time, which leaves float noise.
    return remaining, math.ceil(reset - 1e-6), max(1, math.ceil(retry))


def _window_key(ident: str, plan: Plan) -> str:
    # The credential and the window's length, not the number of requests (the library's own key holds that
    # too): raising a key's or an organization's limit keeps what the window has counted so far.
    return f"{NAMESPACE}/window/{ident}/{plan.window_seconds}"


def _policy(plan: Plan) -> bytes:
    policy = f'"window";q={plan.requests};w={plan.window_seconds}'
    if plan.daily is not None:
        policy += f', "daily";q={plan.daily};w=86400'
    return policy.encode()


def _daily_key(ident: str, now: float) -> str:
    # The UTC day's number in the key starts a new count at midnight; the expiry only cleans up.
    return f"{NAMESPACE}/daily/{ident}/{int(now // DAY)}"
