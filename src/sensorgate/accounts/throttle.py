"""Login throttling: after repeated failures for one email, or from one address, login answers 429.

By default 5 failures per email and 50 per address in any 15 minutes (SENSORGATE_LOGIN_ATTEMPTS_PER_EMAIL and
SENSORGATE_LOGIN_ATTEMPTS_PER_ADDRESS). A success clears the email's count.

Counters use the `limits` library with a moving window, in memory by default or in Redis when
SENSORGATE_REDIS_URL is set, so every process sees the same counts.
"""

from __future__ import annotations

import logging
import math
import time
from functools import partial

from limits import RateLimitItem, RateLimitItemPerMinute, WindowStats
from limits.aio.strategies import MovingWindowRateLimiter

from sensorgate.kit.counters import counter_storage
from sensorgate.kit.errors import TooManyRequests
from sensorgate.kit.outage import UNAVAILABLE, Outage

log = logging.getLogger("sensorgate.throttle")

WINDOW_MINUTES = 15


class LoginThrottle:
    def __init__(self, redis_url: str | None, prefix: str, *, per_email: int = 5, per_address: int = 50) -> None:
        self.limiter = MovingWindowRateLimiter(counter_storage(redis_url, prefix))
        self.per_email = RateLimitItemPerMinute(per_email, WINDOW_MINUTES)
        self.per_address = RateLimitItemPerMinute(per_address, WINDOW_MINUTES)
        # Fail open: argon2 still makes guessing slow, and a Redis outage must not lock everyone out.
        self.outage = Outage("login throttle storage (Redis)", log, "not throttling logins")

    async def check(self, email: str, address: str) -> None:
        """Refuse the attempt while either counter is full, saying when to try again."""
        for limit, key in ((self.per_email, email), (self.per_address, address)):
            stats = await self.outage.attempt(partial(self._full, limit, key))
            if stats is UNAVAILABLE:
                return
            if stats is not None:
                retry_after = math.ceil(stats.reset_time - time.time())
                raise TooManyRequests("too many failed logins; wait before trying again", retry_after)

    async def _full(self, limit: RateLimitItem, key: str) -> WindowStats | None:
        """The counter's stats when it is full, else None."""
        if await self.limiter.test(limit, "login", key):
            return None
        return await self.limiter.get_window_stats(limit, "login", key)

    async def failed(self, email: str, address: str) -> None:
        for limit, key in ((self.per_email, email), (self.per_address, address)):
            await self.outage.attempt(partial(self.limiter.hit, limit, "login", key))

    async def succeeded(self, email: str) -> None:
        await self.outage.attempt(partial(self.limiter.clear, self.per_email, "login", email))
