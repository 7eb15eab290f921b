"""The schema comes from the Alembic migrations, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db import migrate
from sensorgate.db.engine import create_engine
from sensorgate.db.metadata import metadata


def test_database_is_at_the_newest_revision_with_every_table(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        tables = set(sa.inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
        # The naming convention reached the database, so later migrations can address constraints by name.
        unique = sa.inspect(engine).get_unique_constraints("workspaces")
        assert {c["name"] for c in unique} == {"uq_workspaces_slug"}
    finally:
        engine.dispose()


def test_upgrading_again_changes_nothing(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_migrations_match_the_models(database_url: str) -> None:
    """A model change without a migration fails here, before it reaches anyone's database."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: object) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        engine.dispose()


def test_0012_carries_the_refusal_reasons_over_by_utc_day(tmp_path: object) -> None:
    """The refusals of the per-minute rows become per-day rows; uses do not."""
    # A bare engine, without the foreign-key pragma: the rows only, without a credential behind them.
    engine = sa.create_engine(f"sqlite:///{tmp_path}/old.db")
    try:
        migrate.upgrade(engine, "0011")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO credential_usage (credential_id, minute, outcome, count, last_at) VALUES "
                "(7, '2026-11-30 23:59:00.000000', 'limit', 2, '2026-11-30 23:59:30.000000'), "
                "(7, '2026-11-30 10:00:00.000000', 'limit', 3, '2026-11-30 10:00:10.000000'), "
                "(7, '2026-12-01 00:00:00.000000', 'scope', 1, '2026-12-01 00:00:05.000000'), "
                "(7, '2026-12-01 00:00:00.000000', 'used', 9, '2026-12-01 00:00:05.000000')"
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT credential_id, day, reason, count FROM credential_refusals_daily ORDER BY day, reason"
            ).all()
        assert [tuple(r) for r in rows] == [(7, "2026-11-30", "limit", 5), (7, "2026-12-01", "scope", 1)]
    finally:
        engine.dispose()
