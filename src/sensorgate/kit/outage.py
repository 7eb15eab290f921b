"""One shared store (Redis) seen from one component: whether to try it now, and one warning per outage.

Every component that keeps state in Redis fails open when it cannot reach it (each module says why). Without
this, a black-holed Redis would cost every request its socket timeout and log a traceback per call. After a
failure, the component skips Redis for RETRY_SECONDS, then tries again on the next call, so it recovers by
itself once Redis is back.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Final, Literal, TypeVar

T = TypeVar("T")


class _Unavailable(Enum):
    UNAVAILABLE = "unavailable"


# What attempt() returns when Redis was skipped or failed: the caller does without it.
UNAVAILABLE: Final[Literal[_Unavailable.UNAVAILABLE]] = _Unavailable.UNAVAILABLE

RETRY_SECONDS = 5.0


class Outage:
    def __init__(self, what: str, log: logging.Logger, fallback: str) -> None:
        self.what = what  # e.g. "rate-limit storage (Redis)"
        self.log = log
        self.fallback = fallback  # what the component does meanwhile, for the warning
        self.down = False
        self._retry_at = 0.0

    async def attempt(self, call: Callable[[], Awaitable[T]]) -> T | Literal[_Unavailable.UNAVAILABLE]:
        """Await `call()`, unless Redis is paused; UNAVAILABLE when skipped or when the call raised.

        Every Redis call of a component goes through here, so that each one fails open the same way.
        """
        if self.skip():
            return UNAVAILABLE
        try:
            result = await call()
        except Exception:
            self.failed()
            return UNAVAILABLE
        self.succeeded()
        return result

    def skip(self) -> bool:
        """True while Redis failed less than RETRY_SECONDS ago: do without it, do not wait on it.

        Once the pause is over, the first caller probes Redis and the pause starts again for everyone else, so
        a Redis that hangs costs one call per RETRY_SECONDS its timeout, not every request arriving meanwhile.
        The probe's succeeded() ends the outage; its failed() starts a new pause.
        """
        if self._retry_at == 0.0:
            return False
        now = time.monotonic()
        if now < self._retry_at:
            return True
        self._retry_at = now + RETRY_SECONDS
        return False

    def failed(self) -> None:
        """Called from an except clause, the first warning of an outage carries its cause."""
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if not self.down:
            self.down = True
            cause = sys.exc_info()[0] is not None
            self.log.warning("%s unavailable; %s until it is back", self.what, self.fallback, exc_info=cause)

    def succeeded(self) -> None:
        self._retry_at = 0.0
        if self.down:
            self.down = False
            self.log.warning("%s is back", self.what)
