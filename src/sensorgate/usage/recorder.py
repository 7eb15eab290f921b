"""Counting credential use in memory, and writing the counts in batches.

A request costs one dict update here, and a second when its answer holds points or is an error. A task
started with the app flushes the buffer every second (the
`usage_flush_seconds` setting) and once more at shutdown, in one transaction of additive upserts, so any
number of processes can flush into the same rows without losing a count. If the database is down, the
counts wait in memory for the next flush, up to MAX_PENDING rows; past that, new minutes are dropped and a
warning is logged, because a usage counter must never take the service down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sensorgate.db.engine import Database
from sensorgate.kit.tasks import in_background
from sensorgate.usage import store
from sensorgate.usage.models import USED

MAX_PENDING = 200_000
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Tally:
    """One credential's outcome in one minute."""

    count: int
    last_at: float  # epoch seconds
    last_ip: str | None
    last_user_agent: str | None


Key = tuple[int, int, str]  # credential id, epoch minute, outcome
DayKey = tuple[int, int]  # credential id, epoch day (UTC)
ScopeKey = tuple[int, int, str]  # credential id, epoch day (UTC), scope used


@dataclass(slots=True)
class Taken:
    """One flush's worth of counts."""

    minutes: dict[Key, Tally]
    days: dict[DayKey, list[int]]  # [points returned, errors]
    scopes: dict[ScopeKey, int]  # uses of each scope

    def __bool__(self) -> bool:
        return bool(self.minutes or self.days or self.scopes)


class UsageRecorder:
    def __init__(self) -> None:
        self._pending: dict[Key, Tally] = {}
        self._days: dict[DayKey, list[int]] = {}  # [points returned, errors]
        self._scopes: dict[ScopeKey, int] = {}
        self._dropped = 0

    def used(self, credential_id: int, ip: str | None, user_agent: str | None, scope: str | None = None) -> None:
        """One use; `scope` is the scope the route exercised, when it needs one."""
        self._add(credential_id, USED, ip, user_agent, 1)
        if scope is not None:
            key = (credential_id, int(time.time() // 86_400), scope)
            count = self._scopes.get(key)
            if count is not None:
                self._scopes[key] = count + 1
            elif len(self._scopes) < MAX_PENDING:
                self._scopes[key] = 1

    def refused(self, credential_id: int, reason: str, ip: str | None, user_agent: str | None) -> None:
        self._add(credential_id, reason, ip, user_agent, 1)

    def finished(self, credential_id: int, status: int, points: int) -> None:
        """What a request the credential was let through for came to: its points (in a 200), or an error."""
        if status < 400 and not (status == 200 and points):
            return  # a 304 (or any other answer without a body of points) adds nothing
        day = self._day((credential_id, int(time.time() // 86_400)))
        if day is None:
            return
        if status >= 400:
            day[1] += 1
        elif status == 200:
            day[0] += points

    def _day(self, key: DayKey) -> list[int] | None:
        """The day's [points, errors] to add to; None (and one more dropped) when the buffer is full."""
        day = self._days.get(key)
        if day is None:
            if len(self._days) >= MAX_PENDING:
                self._dropped += 1
                return None
            day = self._days[key] = [0, 0]
        return day

    def _add(self, credential_id: int, outcome: str, ip: str | None, user_agent: str | None, count: int) -> None:
        now = time.time()
        key = (credential_id, int(now // 60), outcome)
        tally = self._pending.get(key)
        if tally is None:
            if len(self._pending) >= MAX_PENDING:
                self._dropped += count
                return
            self._pending[key] = Tally(count, now, ip, user_agent)
        else:
            tally.count += count
            tally.last_at = now
            tally.last_ip = ip
            tally.last_user_agent = user_agent

    def take(self) -> Taken:
        """Everything counted so far; the buffers start again empty."""
        taken = Taken(self._pending, self._days, self._scopes)
        self._pending, self._days, self._scopes = {}, {}, {}
        return taken

    def give_back(self, back: Taken) -> None:
        """Counts a failed flush could not write, merged into what came since."""
        taken, days = back.minutes, back.days
        for scope_key, count in back.scopes.items():
            if scope_key in self._scopes or len(self._scopes) < MAX_PENDING:
                self._scopes[scope_key] = self._scopes.get(scope_key, 0) + count
        for day_key, (points, errors) in days.items():
            day = self._day(day_key)
            if day is not None:
                day[0] += points
                day[1] += errors
        for key, old in taken.items():
            new = self._pending.get(key)
            if new is None:
                if len(self._pending) >= MAX_PENDING:
                    self._dropped += old.count
                    continue
                self._pending[key] = old
            else:
                new.count += old.count

    async def flush(self, db: Database) -> int:
        """Write what is pending; return the number of rows written."""
        taken = self.take()
        if self._dropped:
            log.warning("usage buffer full: %d counts (uses, refusals, points or errors) were dropped", self._dropped)
            self._dropped = 0
        if not taken:
            return 0
        try:
            await db.write(store.add_usage, taken.minutes, taken.days, taken.scopes)
        except Exception:
            self.give_back(taken)
            raise
        return len(taken.minutes) + len(taken.days) + len(taken.scopes)

    async def flush_before_reading(self, db: Database) -> None:
        """Write this process's pending usage first, so that a report or a key's log shows its last second; the
        report still answers if that fails."""
        try:
            await self.flush(db)
        except Exception:
            log.warning("could not write usage counts before a report; they are kept for the next try", exc_info=True)

    @contextlib.asynccontextmanager
    async def running(self, db: Database, every: float) -> AsyncIterator[None]:
        """Flush every `every` seconds while the app runs, and once more when it stops."""
        try:
            async with in_background(self._flush_forever(db, every), "usage-flush"):
                yield
        finally:
            try:
                await self.flush(db)
            except Exception:
                log.exception("could not write the last usage counts at shutdown")

    async def _flush_forever(self, db: Database, every: float) -> None:
        failing = False
        while True:
            await asyncio.sleep(every)
            try:
                await self.flush(db)
            except Exception:
                # Once per outage with the traceback, not once a second for as long as the database is down.
                if not failing:
                    log.warning("could not write usage counts; keeping them for the next try", exc_info=True)
                failing = True
            else:
                if failing:
                    log.info("usage counts written again")
                failing = False
