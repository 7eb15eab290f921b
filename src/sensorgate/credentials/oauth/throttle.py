"""Token requests: at most 15 per 15 minutes per client by default (as Ayyeka allows), then 429 with Retry-After.
The number is the client's plan's `tokens` (usage/plans.py), so an organization or a client may have another.

A token lives an hour, so a well-behaved client needs a handful per hour; more is a client that fetches a token
per call. Counted like login attempts (accounts/throttle.py): the `limits` library with a moving window, in
memory by default or in Redis when SENSORGATE_REDIS_URL is set, so that every process shares the count.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import partial

from limits import RateLimitItem, RateLimitItemPerSecond, WindowStats
from limits.aio.strategies import MovingWindowRateLimiter

from sensorgate.kit.counters import counter_storage
from sensorgate.kit.errors import TooManyRequests
from sensorgate.kit.outage import UNAVAILABLE, Outage

log = logging.getLogger("sensorgate.throttle")

NAMESPACE = "oauth-token"
TOKEN_WINDOW_SECONDS = 900  # the plan's `tokens` counts requests in any 15 minutes


@dataclass(frozen=True, slots=True)
class RateState:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        """The IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers)."""
        return {
            "RateLimit-Policy": f'"token";q={self.limit};w={TOKEN_WINDOW_SECONDS}',
            "RateLimit": f'"token";r={self.remaining};t={self.reset_seconds}',
        }


class TokenThrottle:
    def __init__(self, redis_url: str | None, prefix: str) -> None:
        self.limiter = MovingWindowRateLimiter(counter_storage(redis_url, prefix))
        # Fail open, as the login throttle does: the limit protects against waste, and a Redis outage must
        # not stop every integration from getting tokens.
        self.outage = Outage("token throttle storage (Redis)", log, "not limiting token requests")

    async def take(self, client_id: str, limit: int) -> RateState | None:
        """Count one token request of the client, or raise 429 when `limit` are in the last 15 minutes.

        None: not counted (the storage is unreachable).
        """
        item = RateLimitItemPerSecond(limit, TOKEN_WINDOW_SECONDS)
        counted = await self.outage.attempt(partial(self._hit, item, client_id))
        if counted is UNAVAILABLE:
            return None
        allowed, stats = counted
        state = RateState(limit, max(0, stats.remaining), max(1, math.ceil(stats.reset_time - time.time())))
        if not allowed:
            error = TooManyRequests(
                f"at most {limit} token requests per 15 minutes for this client; reuse the token until it expires",
                state.reset_seconds,
            )
            error.headers.update(state.headers())
            raise error
        return state

    async def _hit(self, item: RateLimitItem, client_id: str) -> tuple[bool, WindowStats]:
        allowed = await self.limiter.hit(item, NAMESPACE, client_id)
        return allowed, await self.limiter.get_window_stats(item, NAMESPACE, client_id)
