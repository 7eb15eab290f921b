"""Nonces of signed requests: each accepted once per key while it could still pass the time window.

In memory by default (one process). With SENSORGATE_REDIS_URL, in Redis (`SET NX PX`), shared by every
process, so a request replayed against another process is refused too. If Redis cannot be reached, the
check falls back to this process's memory and logs a warning: a signed request is still verified, its time
window still holds, and replays to the same process are still refused; only a replay to another process
within the window could pass until Redis is back. Refusing every signed request instead would turn a Redis
outage into an API outage.
"""

from __future__ import annotations

import logging
import time
from functools import partial

import redis.asyncio as aioredis

from sensorgate.kit.outage import UNAVAILABLE, Outage

# A nonce is accepted within WINDOW_MS of server time either way, so it must be remembered for twice that.
WINDOW_MS = 300_000
REMEMBER_MS = 2 * WINDOW_MS
MEMORY_MAX = 1_000_000
log = logging.getLogger(__name__)


class NonceStore:
    def __init__(self, redis_url: str | None, prefix: str) -> None:
        self._prefix = prefix
        self.outage = Outage("nonce store (Redis)", log, "checking replays in this process only")
        self._memory: dict[tuple[int, str], float] = {}
        self._redis = (
            aioredis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5) if redis_url else None
        )

    async def first_use(self, credential_id: int, nonce: str) -> bool:
        """True the first time this key presents this nonce; False for a replay."""
        if self._redis is not None:
            key = f"{self._prefix}:nonce:{credential_id}:{nonce}"
            stored = await self.outage.attempt(partial(self._redis.set, key, b"1", nx=True, px=REMEMBER_MS))
            if stored is not UNAVAILABLE:
                # Nonces accepted while Redis was down live only in this process's memory; they stay refused.
                return bool(stored) and not self._seen(credential_id, nonce)
        return self._remember(credential_id, nonce)

    def _seen(self, credential_id: int, nonce: str) -> bool:
        until = self._memory.get((credential_id, nonce))
        return until is not None and until > time.monotonic()

    def _remember(self, credential_id: int, nonce: str) -> bool:
        now = time.monotonic()
        key = (credential_id, nonce)
        if self._seen(credential_id, nonce):
            return False
        if len(self._memory) >= MEMORY_MAX:
            self._forget_expired(now)
        self._memory[key] = now + REMEMBER_MS / 1000
        return True

    def _forget_expired(self, now: float) -> None:
        self._memory = {k: until for k, until in self._memory.items() if until > now}
        if len(self._memory) >= MEMORY_MAX:
            # Still full of live nonces: a flood. Forgetting the oldest half lets their replays through, which
            # the time window still bounds; growing without limit would take the process down instead.
            ordered = sorted(self._memory.items(), key=lambda item: item[1])
            self._memory = dict(ordered[len(ordered) // 2 :])

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
