"""The usage history behind the console's usage pages: days summed in SQL on SQLite and PostgreSQL, refusals by
reason on the right UTC day, the period's edges, the top keys, and only the keys the caller may see."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import Scope, permissions_for
from sensorgate.credentials.service import reportable_keys
from sensorgate.db.engine import Database
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import utcnow
from sensorgate.usage import history, store
from sensorgate.usage.recorder import Tally
from tests.conftest import add_user, login
from tests.credentials.test_keys_api import create

Client = TestClient[Litestar]
EPOCH = date(1970, 1, 1)


def record(db: Database, key: int, at: datetime, outcome: str = "used", count: int = 1, points: int = 0) -> None:
    """`count` uses (or refusals of that reason) in the minute of `at`, as the recorder flushes them."""
    minute = int(at.timestamp() // 60)
    results = {(key, (at.date() - EPOCH).days): [points, 0]} if points else None
    db.write_sync(store.add_usage, {(key, minute, outcome): Tally(count, at.timestamp(), None, None)}, results)


def midday(days_ago: int) -> datetime:
    today = utcnow().date() - timedelta(days=days_ago)
    return datetime(today.year, today.month, today.day, 12, tzinfo=UTC)


def owner_principal(owner: Client) -> Principal:
    """Ann, owner of acme, as the guard makes her from her session."""
    me = owner.get("/v1/me").json()
    [membership] = me["memberships"]
    organization = membership["organizationId"]
    return Principal(
        kind="session",
        user_id=me["user"]["id"],
        email=me["user"]["email"],
        memberships={organization: Membership(organization, "acme", "acme", "owner", (), permissions_for("owner"))},
    )


@pytest.fixture
def world(owner: Client, app: Litestar, db: Database) -> dict[str, int]:
    """Keys a and b of acme, and e of another organization, with uses spread over 100 days."""
    a, b = create(owner, name="a")["id"], create(owner, name="b")["id"]
    add_user(db, "eve@evil.example", "evil")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@evil.example")
        e = create(eve, name="e")["id"]
    record(db, a, midday(0), count=5, points=40)
    record(db, a, midday(0), "limit", count=2)
    record(db, a, midday(10), count=3)
    # The last minute of a UTC day belongs to that day, whatever the database's own time zone.
    record(db, a, midday(10).replace(hour=23, minute=59, second=30), "scope")
    record(db, a, midday(40), count=7)
    record(db, a, midday(100), count=9)
    record(db, b, midday(0), count=1)
    record(db, e, midday(0), count=50)
    return {"a": a, "b": b, "e": e}


def org_history(owner: Client, db: Database, days: int) -> history.UsageHistory:
    principal = owner_principal(owner)
    visible = reportable_keys(principal, Scope.USAGE_READ)
    organization = principal.membership_named("acme").organization_id
    return db.read_sync(history.organization_history, visible, organization, days, utcnow().date())


def test_30_days_sum_the_organization_keys_per_day(owner: Client, db: Database, world: dict[str, int]) -> None:
    found = org_history(owner, db, 30)
    today = utcnow().date()
    assert len(found.days) == 30 and found.days[0].day == today - timedelta(days=29) and found.days[-1].day == today
    last = found.days[-1]
    assert (last.requests, last.refused, last.points, last.busiest, last.by_reason) == (6, 2, 40, 5, {"limit": 2})
    ten = found.days[-11]
    assert (ten.day, ten.requests, ten.refused, ten.by_reason) == (today - timedelta(days=10), 3, 1, {"scope": 1})
    assert sum(d.requests for d in found.days) == found.total.requests == 9  # 40 and 100 days ago are outside
    assert found.reasons == ["scope", "limit"]  # in REFUSALS order
    assert found.total.by_reason == {"scope": 1, "limit": 2}
    assert found.keys == 2 and not found.truncated  # the other organization's key is not counted
    assert [(t.name, t.requests, t.refused) for t in found.top_requests] == [("a", 8, 3), ("b", 1, 0)]
    assert [t.name for t in found.top_refused] == ["a"]
    assert found.plan.daily is None and found.plan.requests == 1_000_000


def test_90_days_reach_further_but_not_past_90(owner: Client, db: Database, world: dict[str, int]) -> None:
    found = org_history(owner, db, 90)
    assert len(found.days) == 90
    assert found.total.requests == 16  # 5 + 3 + 7 + 1; not the 9 of 100 days ago
    assert found.days[-41].requests == 7


def test_one_key_has_its_own_days_and_plan(owner: Client, db: Database, world: dict[str, int]) -> None:
    limited = create(owner, name="limited", limits={"daily": 500})["id"]
    record(db, limited, midday(1), count=4)
    found = db.read_sync(history.key_history, limited, 30, utcnow().date())
    assert found.total.requests == 4 and found.days[-2].requests == 4 and found.keys == 1
    assert found.plan.daily == 500
    assert db.read_sync(history.key_history, world["b"], 30, utcnow().date()).total.requests == 1


def test_past_the_key_maximum_the_page_says_so(
    owner: Client, db: Database, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "MAX_KEYS", 1)
    found = org_history(owner, db, 30)
    assert found.keys == 1 and found.truncated
    assert found.total.requests == 8  # key a, the first by id, only


@pytest.mark.parametrize("text", ["7", "31", "abc", "-30", "900"])
def test_days_are_30_or_90(text: str) -> None:
    with pytest.raises(BadRequest, match="days: give 30 or 90"):
        history.parse_days(text)
    assert history.parse_days("") == 30 and history.parse_days("90") == 90
