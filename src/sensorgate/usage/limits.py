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

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from sensorgate.db.engine import Database
from sensorgate.usage.plans import DEFAULT_PLAN, Plan, plans_of

log = logging.getLogger("sensorgate.limits")

# Where the guard leaves the response's RateLimit headers; service/middleware.py adds them on the way out.
SCOPE_KEY = "sensorgate.rate_limit"
PLAN_SECONDS = 60.0  # plans change rarely; a new one applies within a minute
RETRY_SECONDS = 5.0  # while Redis is down, try it again this often (and not on every request)
NAMESPACE = "limit"
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds; meaningful when refused
    reason: str  # "window" or "daily": which limit refused
    headers: Headers


@dataclass(frozen=True, slots=True)
class Counts:
    window_used: int
    daily_used: int | None


class CredentialLimiter:
    def __init__(self, db: Database, redis_url: str | None, *, enabled: bool = True) -> None:
        self.db = db
        self.enabled = enabled
        if redis_url:
            # Short timeouts: an unreachable Redis must cost a request half a second once, not a hang.
            storage = storage_from_string(
                f"async+{redis_url}",
                implementation="redispy",
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
                key_prefix="sensorgate",
            )
        else:
            storage = storage_from_string("async+memory://")
        assert isinstance(storage, Storage)
        self.storage = storage
        self.window = SlidingWindowCounterRateLimiter(storage)
        self.available = True  # false while the storage is unreachable (for /health)
        self._retry_at = 0.0
        self._plans: dict[int, tuple[float, Plan]] = {}
        self._items: dict[tuple[int, int], RateLimitItem] = {}

    async def plan(self, credential_id: int) -> Plan:
        now = time.monotonic()
        cached = self._plans.get(credential_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = (await self.db.read(plans_of, [credential_id])).get(credential_id, DEFAULT_PLAN)
        self._plans[credential_id] = (now + PLAN_SECONDS, found)
        return found

    async def take(self, credential_id: int) -> Verdict | None:
        """Count one request of the credential. None: not limited (limits off, or the storage unreachable)."""
        if not self.enabled or (self._retry_at and time.monotonic() < self._retry_at):
            return None
        plan = await self.plan(credential_id)
        item = self._item(plan)
        ident = str(credential_id)
        now = datetime.now(UTC)
        try:
            allowed = await self.window.hit(item, NAMESPACE, ident)
            stats = await self.window.get_window_stats(item, NAMESPACE, ident)
            daily_used = None
            if plan.daily is not None and allowed:
                daily_used = await self.storage.incr(_daily_key(ident, now), 86_400)
        except Exception:
            self._outage()
            return None
        self._recovered()
        window_reset = min(plan.window_seconds, max(0, math.ceil(stats.reset_time - time.time())))
        daily_reset = _seconds_to_midnight(now)
        policy = f'"window";q={plan.requests};w={plan.window_seconds}'
        state = f'"window";r={max(0, stats.remaining)};t={window_reset}'
        reason = "window"
        if plan.daily is not None:
            policy += f', "daily";q={plan.daily};w=86400'
            if daily_used is None:  # refused by the window: the day's count is not spent
                daily_used = await self._daily_count(ident, now)
            state += f', "daily";r={max(0, plan.daily - daily_used)};t={daily_reset}'
            if allowed and daily_used > plan.daily:
                allowed, reason = False, "daily"
        headers = [(b"ratelimit-policy", policy.encode()), (b"ratelimit", state.encode())]
        retry_after = daily_reset if reason == "daily" else max(1, window_reset)
        return Verdict(allowed, retry_after, reason, headers)

    async def counts(self, credential_id: int, plan: Plan) -> Counts | None:
        """Used in the current window and today (None: limits off or the storage unreachable)."""
        if not self.enabled:
            return None
        ident = str(credential_id)
        try:
            stats = await self.window.get_window_stats(self._item(plan), NAMESPACE, ident)
            daily = await self._daily_count(ident, datetime.now(UTC)) if plan.daily is not None else None
        except Exception:
            self._outage()
            return None
        return Counts(plan.requests - max(0, stats.remaining), daily)

    async def _daily_count(self, ident: str, now: datetime) -> int:
        return await self.storage.get(_daily_key(ident, now))

    def _item(self, plan: Plan) -> RateLimitItem:
        key = (plan.requests, plan.window_seconds)
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = RateLimitItemPerSecond(plan.requests, plan.window_seconds)
        return item

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


def _daily_key(ident: str, now: datetime) -> str:
    # The UTC date in the key starts a new count at midnight; the 24 h expiry only cleans up.
    return f"{NAMESPACE}/daily/{ident}/{now.date().isoformat()}"


def _seconds_to_midnight(now: datetime) -> int:
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return max(1, math.ceil((midnight - now).total_seconds()))
