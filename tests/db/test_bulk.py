"""The driver-level helpers run the same `?` statement on both databases, literal `%` included."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from sensorgate.accounts import store
from sensorgate.db.bulk import executemany, fetchall
from sensorgate.db.engine import Database, create_engine


def test_a_percent_sign_in_a_statement_is_a_literal(database_url: str) -> None:
    db = Database(create_engine(database_url))
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def work(conn: sa.Connection) -> tuple[list[object], list[object]]:
        organization = store.insert_organization(conn, "acme", "Acme", now)
        for slug in ("a-1", "a-2", "b-1"):
            store.insert_workspace(conn, organization, slug, slug, now)
        executemany(conn, "UPDATE workspaces SET name = ? WHERE slug LIKE 'a-%' AND id > ?", [("in a", 0)])
        names = fetchall(conn, "SELECT slug, name FROM workspaces WHERE name LIKE '%a' AND id > ? ORDER BY slug", [0])
        # 5 % 3 is 2 on both databases: the operator survives the rewrite too.
        remainder = fetchall(conn, "SELECT 5 % 3, ?", [1])
        return names, remainder

    try:
        names, remainder = db.write_sync(work)
    finally:
        db.dispose()
    assert [tuple(row) for row in names] == [("a-1", "in a"), ("a-2", "in a")]
    assert [tuple(row) for row in remainder] == [(2, 1)]
