"""Redis seen from one component: skipped for a while after a failure, one warning per outage, then back."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sensorgate.credentials.nonces import NonceStore
from sensorgate.kit import outage as outage_module
from sensorgate.kit.outage import Outage

log = logging.getLogger("test.outage")


def test_one_warning_per_outage_and_a_pause_before_trying_again(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [100.0]
    monkeypatch.setattr(outage_module.time, "monotonic", lambda: clock[0])
    outage = Outage("thing (Redis)", log, "doing without")
    assert not outage.skip()
    with caplog.at_level(logging.WARNING, "test.outage"):
        for _ in range(3):
            try:
                raise ConnectionError("refused")
            except ConnectionError:
                outage.failed()
        assert outage.down and outage.skip()
        clock[0] += outage_module.RETRY_SECONDS  # the pause is over: the next call probes Redis...
        assert not outage.skip()
        assert outage.skip()  # ...and the calls arriving while it does go without, rather than wait on it too
        outage.succeeded()
        outage.succeeded()
    assert [r.getMessage() for r in caplog.records] == [
        "thing (Redis) unavailable; doing without until it is back",
        "thing (Redis) is back",
    ]
    assert caplog.records[0].exc_info is not None  # the first warning says why
    assert not outage.down and not outage.skip()


def test_nonces_fall_back_to_memory_without_waiting_on_redis_each_time() -> None:
    async def run() -> tuple[list[bool], bool]:
        store = NonceStore("redis://127.0.0.1:1/0", "test")
        seen = [await store.first_use(1, "n1"), await store.first_use(1, "n1"), await store.first_use(1, "n2")]
        skipping = store.outage.skip()
        await store.close()
        return seen, skipping

    seen, skipping = asyncio.run(run())
    # A replay to this process is still refused; after the first failure Redis is not asked for a while.
    assert seen == [True, False, True] and skipping
