"""Per-credential rate limits: plans and overrides, 429 with Retry-After, RateLimit headers, Redis shared or down."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import pytest
import redis
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.accounts.models import organizations
from sensorgate.app import create_app
from sensorgate.credentials.plans import DEFAULT_PLAN, effective_plan
from sensorgate.db.engine import Database
from sensorgate.settings import Settings
from tests.conftest import assert_error, make_settings
from tests.credentials.test_keys_api import as_key, create
from tests.credentials.test_oauth import oauth_client, request_token

Client = TestClient[Litestar]
REMAINING = re.compile(r'"window";r=(\d+);t=(\d+)')


def remaining(response: object) -> int:
    found = REMAINING.match(response.headers["ratelimit"])  # type: ignore[attr-defined]
    assert found, response.headers["ratelimit"]  # type: ignore[attr-defined]
    return int(found.group(1))


def test_a_key_over_its_limit_gets_429_with_retry_after_and_headers(owner: Client, app: Litestar) -> None:
    key = create(owner, limits={"requests": 3, "window": "PT1M"})
    with as_key(app, key["secret"]) as client:
        responses = [client.get("/v1/sensors") for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert all(r.headers["ratelimit-policy"] == '"window";q=3;w=60' for r in responses)
        assert [remaining(r) for r in responses] == [2, 1, 0]  # the numbers count down
        refused = client.get("/v1/sensors")
    assert_error(refused, 429, "rate limit")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"] == '"window";q=3;w=60'
    assert remaining(refused) == 0
    # The refusal is charged to the key, and the report shows the plan and what the window holds.
    usage = {i["key"]: i for i in owner.get("/v1/keys/usage").json()["items"]}[key["id"]]
    assert (usage["requests"], usage["refused"]) == (3, 1)
    assert usage["plan"] == {"requests": 3, "window": "PT1M", "daily": None, "tokens": 15}
    assert (usage["windowUsed"], usage["dailyUsed"], usage["dailyLimit"]) == (3, None, None)


def test_a_session_is_not_limited_and_gets_no_headers(owner: Client) -> None:
    response = owner.get("/v1/sensors")
    assert response.status_code == 200
    assert "ratelimit" not in response.headers and "ratelimit-policy" not in response.headers


def test_the_default_plan_applies_to_a_key_without_limits(owner: Client, app: Litestar) -> None:
    key = create(owner)
    with as_key(app, key["secret"]) as client:
        response = client.get("/v1/sensors")
    assert response.headers["ratelimit-policy"] == '"window";q=1000000;w=900'
    assert remaining(response) == 999_999
    # Error responses of a limited key carry the headers too.
    with as_key(app, key["secret"]) as client:
        missing, forbidden = client.get("/v1/sensors/999999"), client.post("/v1/keys", json={"name": "x"})
    assert missing.status_code == 404 and remaining(missing) == 999_998
    assert forbidden.status_code == 403 and remaining(forbidden) == 999_997
    # A request refused for a scope the key lacks is refused before it is counted.
    with as_key(app, create(owner, name="usage", scopes=["usage:read"])["secret"]) as client:
        refused = client.get("/v1/sensors")
    assert refused.status_code == 403 and "ratelimit" not in refused.headers


def test_a_daily_quota(owner: Client, app: Litestar) -> None:
    key = create(owner, limits={"daily": 2})
    with as_key(app, key["secret"]) as client:
        first, second, third = (client.get("/v1/sensors") for _ in range(3))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["ratelimit-policy"] == '"window";q=1000000;w=900, "daily";q=2;w=86400'
    assert ', "daily";r=1;t=' in first.headers["ratelimit"] and ', "daily";r=0;t=' in second.headers["ratelimit"]
    assert_error(third, 429, "daily quota")
    assert 1 <= int(third.headers["retry-after"]) <= 86_400  # until midnight UTC
    usage = {i["key"]: i for i in owner.get("/v1/keys/usage").json()["items"]}[key["id"]]
    # The refused request spent neither the day's quota nor a place in the window.
    assert (usage["dailyLimit"], usage["dailyUsed"], usage["windowUsed"]) == (2, 2, 2)


def test_a_window_refusal_shows_the_day_as_it_stands(owner: Client, app: Litestar) -> None:
    key = create(owner, limits={"requests": 2, "window": "PT1H", "daily": 100})
    with as_key(app, key["secret"]) as client:
        responses = [client.get("/v1/sensors") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert [r.headers["ratelimit"].split(", ")[1].split(";t=")[0] for r in responses] == [
        '"daily";r=99',
        '"daily";r=98',
        '"daily";r=98',  # the refused request spent none of the day
    ]


def test_an_organization_plan_and_a_key_override(owner: Client, app: Litestar, db: Database) -> None:
    db.write_sync(lambda conn: conn.execute(sa.update(organizations).values(rate_limits={"requests": 2, "daily": 100})))
    plain, own = create(owner, name="plain"), create(owner, name="own", limits={"requests": 5})
    with as_key(app, plain["secret"]) as client:
        statuses = [client.get("/v1/sensors").status_code for _ in range(3)]
        policy = client.get("/v1/sensors").headers["ratelimit-policy"]
    assert statuses == [200, 200, 429]
    assert policy == '"window";q=2;w=900, "daily";q=100;w=86400'  # the organization's, field by field
    with as_key(app, own["secret"]) as client:
        assert [client.get("/v1/sensors").status_code for _ in range(6)] == [200] * 5 + [429]


def test_effective_plan_per_field() -> None:
    assert effective_plan(None, None) == DEFAULT_PLAN
    plan = effective_plan({"window": "PT1H"}, {"requests": 7, "window": "P1D", "daily": 9})
    assert (plan.requests, plan.window, plan.window_seconds, plan.daily) == (7, "PT1H", 3600, 9)


def test_limits_can_be_turned_off(owner: Client, settings: Settings, tmp_path: Path) -> None:
    key = create(owner, limits={"requests": 1})
    off = create_app(make_settings(settings.database_url or "", tmp_path, rate_limits=False))
    with as_key(off, key["secret"]) as client:
        responses = [client.get("/v1/sensors") for _ in range(3)]
    assert [r.status_code for r in responses] == [200] * 3 and "ratelimit" not in responses[0].headers


@pytest.mark.redis
@pytest.mark.parametrize("limits", [{"requests": 7, "window": "PT1H"}, {"daily": 7}], ids=["window", "daily"])
def test_the_limit_is_shared_by_two_apps_on_one_redis(
    owner: Client, settings: Settings, tmp_path: Path, redis_url: str, limits: dict[str, object]
) -> None:
    shared = make_settings(settings.database_url or "", tmp_path, redis_url=redis_url)
    # Redis lives for the whole session, and each database numbers its keys from 1: start from no counts.
    redis.Redis.from_url(redis_url).flushdb()
    key = create(owner, limits=limits)
    # Clients held open for the whole test: a Redis connection belongs to the event loop that made it.
    with as_key(create_app(shared), key["secret"]) as one, as_key(create_app(shared), key["secret"]) as two:

        def burst(client: Client) -> list[int]:
            return [client.get("/v1/sensors").status_code for _ in range(10)]

        with ThreadPoolExecutor(2) as pool:
            statuses = [s for found in pool.map(burst, (one, two)) for s in found]
        assert (statuses.count(200), statuses.count(429)) == (7, 13)  # exactly N of M, across both
        after = [one.get("/v1/sensors"), two.get("/v1/sensors")]
        # Another installation on the same Redis (its own prefix) counts its own credential 1, 2, ... apart.
        with as_key(create_app(msgspec.structs.replace(shared, redis_prefix="other-site")), key["secret"]) as elsewhere:
            assert elsewhere.get("/v1/sensors").status_code == 200
        assert [r.status_code for r in after] == [429, 429]
        if "daily" in limits:
            assert all(', "daily";r=0;' in r.headers["ratelimit"] for r in after)
        else:
            assert remaining(after[0]) == 0 and remaining(after[1]) == 0


def test_requests_pass_when_redis_is_unreachable(owner: Client, settings: Settings, tmp_path: Path) -> None:
    key = create(owner, limits={"requests": 1})
    down = create_app(make_settings(settings.database_url or "", tmp_path, redis_url="redis://127.0.0.1:1/0"))
    with as_key(down, key["secret"]) as client:
        responses = [client.get("/v1/sensors") for _ in range(3)]
    # Fail open: served, without headers it could not compute; the limiter knows Redis is down.
    assert [r.status_code for r in responses] == [200] * 3 and "ratelimit" not in responses[0].headers
    assert down.state.sensorgate.limits.outage.down is True


def test_a_client_plan_sets_its_token_limit(owner: Client, app: Litestar, db: Database) -> None:
    made = oauth_client(owner, limits={"tokens": 2})
    assert [request_token(app, made).status_code for _ in range(2)] == [200, 200]
    refused = request_token(app, made)
    assert_error(refused, 429, "at most 2 token requests per 15 minutes")
    assert refused.headers["ratelimit-policy"] == '"token";q=2;w=900'
    # An organization's plan applies to its clients without a number of their own.
    db.write_sync(lambda conn: conn.execute(sa.update(organizations).values(rate_limits={"tokens": 1})))
    other = oauth_client(owner, name="other")
    assert [request_token(app, other).status_code for _ in range(2)] == [200, 429]


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"window": "banana"}, "not an ISO 8601 duration"),
        ({"window": "P32D"}, "31 days"),
        ({"window": "PT0S"}, "zero"),
        ({"requests": 0}, ">= 1"),
        ({"tokens": 10_001}, "<= 10000"),
        ({"hourly": 5}, "hourly"),
    ],
)
def test_bad_limits_are_400_and_create_nothing(owner: Client, limits: dict[str, object], message: str) -> None:
    before = len(owner.get("/v1/keys").json()["items"])
    assert_error(owner.post("/v1/keys", json={"name": "bad", "limits": limits}), 400, message)
    assert len(owner.get("/v1/keys").json()["items"]) == before


@pytest.mark.redis
def test_blocks_of_redis_slots_keep_a_larger_limit_exact_across_two_apps(
    owner: Client, settings: Settings, tmp_path: Path, redis_url: str
) -> None:
    """Each process takes slots from Redis in blocks (usage/credit_blocks.py); the limit still holds exactly."""
    shared = make_settings(settings.database_url or "", tmp_path, redis_url=redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    key = create(owner, limits={"requests": 300, "window": "PT1H"})
    with as_key(create_app(shared), key["secret"]) as one, as_key(create_app(shared), key["secret"]) as two:

        def burst(client: Client) -> list[int]:
            return [client.get("/v1/sensors").status_code for _ in range(250)]

        with ThreadPoolExecutor(2) as pool:
            statuses = [s for found in pool.map(burst, (one, two)) for s in found]
    assert (statuses.count(200), statuses.count(429)) == (300, 200)


@pytest.mark.redis
def test_within_a_block_the_headers_count_down_and_the_report_counts_requests(
    owner: Client, settings: Settings, tmp_path: Path, redis_url: str
) -> None:
    shared = make_settings(settings.database_url or "", tmp_path, redis_url=redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    key = create(owner, limits={"requests": 100_000, "window": "PT1H"})
    app = create_app(shared)
    with as_key(app, key["secret"]) as client:
        counted = [remaining(client.get("/v1/sensors")) for _ in range(120)]
        assert counted == list(range(99_999, 99_999 - 120, -1))  # one less per request, block or not
        limiter = app.state.sensorgate.limits
        credits = limiter._credits[key["id"]]
        assert credits.size > 1  # the burst was served from blocks
        counts = client.blocking_portal.call(limiter.counts, key["id"], limiter._plans[key["id"]].plan)
    assert counts is not None and counts.window_used == 120  # what this process holds is not "used"


@pytest.mark.redis
def test_a_slow_client_takes_one_slot_at_a_time(
    owner: Client, settings: Settings, tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block is sized to the demand: a client slower than a block's hold wastes no slot."""
    monkeypatch.setattr("sensorgate.usage.credit_blocks.HOLD_SECONDS", 0.05)
    shared = make_settings(settings.database_url or "", tmp_path, redis_url=redis_url)
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    key = create(owner, limits={"requests": 100_000, "window": "PT1H"})
    with as_key(create_app(shared), key["secret"]) as client:
        for _ in range(4):
            assert client.get("/v1/sensors").status_code == 200
            time.sleep(0.06)
    counters = [int(store.get(name) or 0) for name in store.keys("*window*")]
    assert sum(counters) == 4
