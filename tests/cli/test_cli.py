"""`sensorgate db upgrade`, `sensorgate users create` and the help texts, as a user sees them."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.cli.helpers import clean_env, count_rows, flat, invoke, run, session_view
from tests.conftest import PASSWORD

TABLES = {"organizations", "workspaces", "users", "memberships", "login_sessions", "alembic_version"}
EMAIL = "a@b.example"


def assert_upgrades_twice(url: str, inspect_url: str, data_dir: Path) -> None:
    env = clean_env(data_dir)
    first = run(["db", "upgrade", "--db", url], env)
    assert first.returncode == 0, first.stderr
    assert "migrated" in flat(first.stdout), first.stdout
    second = run(["db", "upgrade", "--db", url], env)
    assert second.returncode == 0, second.stderr
    assert "already at" in flat(second.stdout), second.stdout
    assert "newest" in flat(second.stdout), second.stdout
    engine = sa.create_engine(inspect_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_db_upgrade_on_sqlite_migrates_once_then_says_newest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert_upgrades_twice(url, url, tmp_path / "data")


@pytest.mark.postgres
def test_db_upgrade_on_postgres_takes_the_plain_url(postgres_admin_url: str, tmp_path: Path) -> None:
    name = f"sg_cli_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    target = sa.make_url(postgres_admin_url).set(database=name)
    plain = target.set(drivername="postgresql").render_as_string(hide_password=False)
    assert plain.startswith("postgresql://")
    assert_upgrades_twice(plain, target.render_as_string(hide_password=False), tmp_path / "data")


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database with nobody in it."""
    target = tmp_path / "users.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


def create_args(db_url: str, *extra: str, email: str = EMAIL, org: str = "acme", role: str = "owner") -> list[str]:
    return ["users", "create", "--email", email, "--org", org, "--role", role, "--db", db_url, *extra]


def assert_nothing_written(db_url: str) -> None:
    assert count_rows(db_url, "users") == 0
    assert count_rows(db_url, "organizations") == 0
    assert count_rows(db_url, "workspaces") == 0


def test_users_create_with_password_stdin_makes_an_owner_who_can_log_in(db_url: str, tmp_path: Path) -> None:
    result = run(create_args(db_url, "--password-stdin"), clean_env(tmp_path / "data"), stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert EMAIL in result.stdout
    assert "acme" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    view = session_view(db_url, tmp_path / "app", EMAIL, PASSWORD)
    assert view == {"login": 200, "roles": {"acme": "owner"}, "workspaces": ["acme"]}


def test_users_create_refuses_a_weak_password_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    result = invoke(create_args(db_url, "--password-stdin"), tmp_path / "data", stdin="short\n")
    assert result.exit_code != 0
    assert "password" in flat(result.output).lower()
    assert "12 characters" in flat(result.output)
    assert_nothing_written(db_url)


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two words@b.example"])
def test_users_create_refuses_an_invalid_email_and_writes_nothing(db_url: str, tmp_path: Path, email: str) -> None:
    result = invoke(create_args(db_url, "--password-stdin", email=email), tmp_path / "data", stdin=PASSWORD + "\n")
    assert result.exit_code != 0
    assert "not a valid email address" in flat(result.output), result.output
    assert "Traceback" not in result.output
    assert_nothing_written(db_url)


def test_users_create_refuses_an_invalid_org_slug(db_url: str, tmp_path: Path) -> None:
    result = invoke(create_args(db_url, "--password-stdin", org="Acme Corp"), tmp_path / "data", stdin=PASSWORD)
    assert result.exit_code != 0
    assert "slug" in flat(result.output)
    assert_nothing_written(db_url)


def test_users_create_refuses_an_unknown_role(db_url: str, tmp_path: Path) -> None:
    result = invoke(create_args(db_url, "--password-stdin", role="superuser"), tmp_path / "data", stdin=PASSWORD)
    assert result.exit_code == 2
    assert "--role" in result.output
    assert "owner" in result.output
    assert_nothing_written(db_url)


def test_users_create_again_adds_a_membership_and_keeps_the_password(db_url: str, tmp_path: Path) -> None:
    first = invoke(create_args(db_url, "--password-stdin"), tmp_path / "data", stdin=PASSWORD + "\n")
    assert first.exit_code == 0, first.output
    again = invoke(create_args(db_url, org="globex", role="admin"), tmp_path / "data")
    assert again.exit_code == 0, again.output
    assert "updated" in again.output
    assert "password" not in again.output.lower()
    view = session_view(db_url, tmp_path / "app", EMAIL, PASSWORD)
    assert view == {"login": 200, "roles": {"acme": "owner", "globex": "admin"}, "workspaces": ["acme", "globex"]}
    assert count_rows(db_url, "users") == 1


def test_users_create_without_a_terminal_prints_a_working_generated_password(db_url: str, tmp_path: Path) -> None:
    result = run(create_args(db_url), clean_env(tmp_path / "data"))  # stdin is /dev/null: no terminal
    assert result.returncode == 0, result.stderr
    found = re.search(r"password \(shown once\):\s*(\S+)", result.stdout)
    assert found, result.stdout
    password = found.group(1)
    assert result.stdout.count(password) == 1
    view = session_view(db_url, tmp_path / "app", EMAIL, password)
    assert view == {"login": 200, "roles": {"acme": "owner"}, "workspaces": ["acme"]}
    assert session_view(db_url, tmp_path / "app", EMAIL, PASSWORD) == {"login": 401}


def test_users_create_in_process_reads_no_terminal_from_clirunner(db_url: str, tmp_path: Path) -> None:
    result = invoke(create_args(db_url, email="c@d.example", role="viewer"), tmp_path / "data", stdin="")
    assert result.exit_code == 0, result.output
    assert "shown once" in result.output
    assert count_rows(db_url, "users") == 1


def test_users_create_on_an_unmigrated_database_says_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run(create_args(url, "--password-stdin"), clean_env(tmp_path / "data"), stdin=PASSWORD + "\n")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "sensorgate db upgrade" in flat(result.stderr)


def test_help_lists_the_commands_and_the_pinned_options(tmp_path: Path) -> None:
    top = invoke(["--help"], tmp_path)
    assert top.exit_code == 0
    for command in ("serve", "db", "users"):
        assert re.search(rf"^\s+{command}\s", top.output, re.MULTILINE), top.output
    serve = invoke(["serve", "--help"], tmp_path)
    assert serve.exit_code == 0
    for option in ("--db", "--host", "--port", "--workers", "--demo"):
        assert option in serve.output
    assert "8000" in serve.output
    assert "127.0.0.1" in serve.output
    upgrade = invoke(["db", "upgrade", "--help"], tmp_path)
    assert upgrade.exit_code == 0
    assert "--db" in upgrade.output
    create = invoke(["users", "create", "--help"], tmp_path)
    for option in ("--email", "--org", "--role", "--password-stdin", "--db"):
        assert option in create.output
    assert "owner|admin|member|viewer" in flat(create.output)


def test_sensorgate_help_runs_as_an_installed_command(tmp_path: Path) -> None:
    result = run(["--help"], clean_env(tmp_path / "data"), timeout=30)
    assert result.returncode == 0
    assert "serve" in result.stdout
    assert "Usage: sensorgate" in result.stdout
