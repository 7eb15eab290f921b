"""The periodic jobs inside `serve`: every process checks, and the claim in runner.py lets one of them run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio.to_thread

from sensorgate.db.engine import Database
from sensorgate.jobs import runner
from sensorgate.kit.tasks import in_background

EVERY = timedelta(hours=1)
CHECK_SECONDS = 300.0
log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running(db: Database) -> AsyncIterator[None]:
    async with in_background(_forever(db), "jobs"):
        yield


async def _forever(db: Database) -> None:
    # Processes started together should not all check at the same instant.
    await asyncio.sleep(random.uniform(5, 60))
    while True:
        for name in runner.JOBS:
            try:
                # A thread: the purge may take a while, and the event loop keeps serving meanwhile.
                result = await anyio.to_thread.run_sync(runner.run, db, name, EVERY)
            except Exception:
                log.exception("job %s failed; it will be tried again", name)
            else:
                if result is not None:
                    log.info("job %s done: %s", name, result)
        await asyncio.sleep(CHECK_SECONDS)
