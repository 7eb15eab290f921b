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
