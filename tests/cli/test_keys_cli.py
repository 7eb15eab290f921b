"""`sensorgate keys`: create, list, revoke and reissue from the shell, and the keys working against the app."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.cli import main
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings, load_settings
from tests.cli.helpers import clean_env, count_rows, flat, invoke, run
from tests.conftest import PASSWORD

SECRET = re.compile(r"sgk_[0-9A-Za-z]{28}")


@dataclass
class Install:
    """A migrated SQLite installation in dev mode, with organization and workspace `acme`."""

    url: str
    env: dict[str, str]
    settings: Settings

    def keys(self, *args: str) -> Any:
        """Run `sensorgate keys ... --json`, expect success, and return the one JSON object it printed."""
        result = run(["keys", *args, "--json", "--db", self.url], self.env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def fails(self, *args: str) -> str:
        """Run in this process, which is quicker than a subprocess; return the error output."""
        env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("SENSORGATE_")}
        env.update({"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": self.env["SENSORGATE_DATA_DIR"]})
        result = CliRunner().invoke(main, ["keys", *args, "--db", self.url], env=env)
        assert result.exit_code != 0, result.output
        assert isinstance(result.exception, SystemExit), result.exception  # a clean exit, not a crash
        return flat(result.output)

    def get_sensors(self, secret: str) -> httpx.Response:
        # A fresh app each time: nothing cached from an earlier call hides what the database says now.
        with TestClient(app=create_app(self.settings), base_url="https://testserver.local") as client:
            return client.get("/v1/sensors", headers={"X-API-Key": secret})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once with `db upgrade`, then given an owner of `acme` with `users create`; tests copy it."""
    root = tmp_path_factory.mktemp("keys-template")
    url = f"sqlite:///{root / 'keys.db'}"
    env = clean_env(root / "data", SENSORGATE_MODE="dev")
    upgraded = run(["db", "upgrade", "--db", url], env)
    assert upgraded.returncode == 0, upgraded.stderr
    user = ["users", "create", "--email", "a@b.example", "--org", "acme", "--role", "owner", "--password-stdin"]
    made = run([*user, "--db", url], env, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    return root


@pytest.fixture
def install(template: Path, tmp_path: Path) -> Install:
    data_dir = tmp_path / "data"
    shutil.copytree(template / "data", data_dir)
    shutil.copyfile(template / "keys.db", tmp_path / "keys.db")
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    # The same settings as the commands: the pepper is in the data dir's secrets.json, which they wrote.
    settings = load_settings(
        environ={"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": str(data_dir), "SENSORGATE_DATABASE_URL": url}
    )
    return Install(url, clean_env(data_dir, SENSORGATE_MODE="dev"), settings)


def days_from_now(text: str) -> float:
    return (datetime.fromisoformat(text) - utcnow()) / timedelta(days=1)


def test_create_json_prints_one_object_with_a_working_secret(install: Install) -> None:
    result = run(
        ["keys", "create", "--workspace", "acme", "--name", "x", "--scope", "data:read", "--json", "--db", install.url],
        install.env,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)  # fails unless stdout is exactly one JSON value
    assert isinstance(created, dict)
    assert isinstance(created["id"], int)
    assert SECRET.fullmatch(created["secret"]), created["secret"]
    key = created["key"]
    assert (key["id"], key["name"], key["scopes"]) == (created["id"], "x", ["data:read"])
    assert key["createdBy"] is None  # the operator is nobody in particular
    assert 89 < days_from_now(key["expiresAt"]) <= 90  # the default, 3m
    assert install.get_sensors(created["secret"]).status_code == 200


def test_create_without_json_shows_the_secret_once(install: Install) -> None:
    result = run(["keys", "create", "--workspace", "acme", "--name", "ops", "--db", install.url], install.env)
    assert result.returncode == 0, result.stderr
    secrets = SECRET.findall(result.stdout)
    assert len(secrets) == 1, result.stdout
    assert "shown once" in flat(result.stdout)
    assert install.get_sensors(secrets[0]).status_code == 200


def test_create_takes_a_number_of_days(install: Install) -> None:
    key = install.keys("create", "--workspace", "acme", "--name", "x", "--expires", "30d")["key"]
    assert 29.99 < days_from_now(key["expiresAt"]) <= 30
    assert key["lifetimeDays"] == 30


def test_create_takes_the_other_fields(install: Install) -> None:
    key = install.keys(
        "create", "--workspace", "acme", "--name", "bms", "--scope", "data:read", "--scope", "data:write",
        "--expires", "1y", "--owner", "Ops", "--email", "Ops@Acme.example", "--description", "for the BMS",
        "--ip", "10.0.0.0/8",
    )["key"]  # fmt: skip
    assert (key["owner"], key["email"], key["description"]) == ("Ops", "ops@acme.example", "for the BMS")
    assert key["scopes"] == ["data:read", "data:write"]
    assert key["ipAllowlist"] == ["10.0.0.0/8"]
    assert 364.9 < days_from_now(key["expiresAt"]) <= 365


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workspace", "acme", "--expires", "400d"], "at most 365 days"),
        (["--workspace", "acme", "--expires", "5w"], "Nd for N days"),
        (["--workspace", "nowhere"], "workspace 'nowhere' not found"),
        (["--workspace", "acme", "--scope", "data:everything"], "data:everything"),
        (["--workspace", "acme", "--ip", "not-an-address"], "not an address or CIDR"),
        (["--workspace", "acme", "--device-group", "pumps"], "device group 'pumps' not found"),
    ],
)
def test_create_refusals_say_why_and_write_nothing(install: Install, args: list[str], message: str) -> None:
    assert message in install.fails("create", "--name", "x", *args)
    assert count_rows(install.url, "credentials") == 0


def test_list_revoke_and_list_again(install: Install) -> None:
    kept = install.keys("create", "--workspace", "acme", "--name", "kept")
    gone = install.keys("create", "--workspace", "acme", "--name", "gone")
    listed = run(["keys", "list", "--json", "--db", install.url], install.env)
    assert listed.returncode == 0, listed.stderr
    assert [k["id"] for k in json.loads(listed.stdout)["items"]] == [kept["id"], gone["id"]]
    assert kept["secret"] not in listed.stdout and gone["secret"] not in listed.stdout
    assert not SECRET.search(listed.stdout)

    revoked = install.keys("revoke", str(gone["id"]))
    assert revoked["id"] == gone["id"] and revoked["revokedAt"] is not None
    response = install.get_sensors(gone["secret"])
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    assert install.get_sensors(kept["secret"]).status_code == 200

    assert [k["id"] for k in install.keys("list")["items"]] == [kept["id"]]
    everything = install.keys("list", "--include-revoked")["items"]
    assert [(k["id"], k["revokedAt"] is not None) for k in everything] == [(kept["id"], False), (gone["id"], True)]
    assert [k["id"] for k in install.keys("list", "--org", "acme")["items"]] == [kept["id"]]
    assert [k["id"] for k in install.keys("list", "--workspace", "acme")["items"]] == [kept["id"]]


def test_list_without_json_is_a_table(install: Install) -> None:
    install.keys("create", "--workspace", "acme", "--name", "boiler-room")
    result = run(["keys", "list", "--db", install.url], install.env)
    assert result.returncode == 0, result.stderr
    assert "boiler-room" in result.stdout
    assert "active" in result.stdout
    assert "acme" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--org", "globex"], "organization 'globex' not found"),
        (["list", "--workspace", "globex"], "workspace 'globex' not found"),
        (["list", "--org", "acme", "--workspace", "acme"], "not both"),
        (["revoke", "999"], "key 999 not found"),
        (["reissue", "999"], "key 999 not found"),
    ],
)
def test_unknown_names_and_ids_fail(install: Install, args: list[str], message: str) -> None:
    assert message in install.fails(*args)


def test_reissue_gives_a_new_secret_and_the_old_one_works_on(install: Install) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", "x", "--expires", "30d")
    reissued = install.keys("reissue", str(created["id"]))
    assert reissued["id"] == created["id"]
    assert SECRET.fullmatch(reissued["secret"]) and reissued["secret"] != created["secret"]
    old, new = reissued["key"]["secrets"]
    assert old["expiresAt"] == created["key"]["expiresAt"]  # the old secret keeps its own expiry
    assert 29.99 < days_from_now(new["expiresAt"]) <= 30  # the key's lifetime again
    assert install.get_sensors(reissued["secret"]).status_code == 200
    assert install.get_sensors(created["secret"]).status_code == 200


def test_reissue_can_end_the_old_secret_sooner(install: Install) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", "x")
    reissued = install.keys("reissue", str(created["id"]), "--old-expires-in-days", "2")
    old, _ = reissued["key"]["secrets"]
    assert 1.99 < days_from_now(old["expiresAt"]) <= 2
    assert install.get_sensors(created["secret"]).status_code == 200


def test_reissue_refuses_a_revoked_key(install: Install) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", "x")
    install.keys("revoke", str(created["id"]))
    assert "revoked" in install.fails("reissue", str(created["id"]))


def test_keys_help_lists_the_commands(tmp_path: Path) -> None:
    top = invoke(["--help"], tmp_path)
    assert re.search(r"^\s+keys\s", top.output, re.MULTILINE), top.output
    group = invoke(["keys", "--help"], tmp_path)
    assert group.exit_code == 0
    for command in ("create", "list", "show", "edit", "log", "revoke", "reissue", "delete"):
        assert re.search(rf"^\s+{command}\s", group.output, re.MULTILINE), group.output
    create = invoke(["keys", "create", "--help"], tmp_path)
    for option in ("--workspace", "--name", "--scope", "--expires", "--kind", "--json", "--db"):
        assert option in create.output


@pytest.mark.parametrize(("kind", "public", "secret", "label"), [
    ("signing_key", "sgp_", "sgs_", "public id (X-API-Key)"),
    ("oauth_client", "sgc_", "sgo_", "client_id"),
])  # fmt: skip
def test_create_other_kinds(install: Install, kind: str, public: str, secret: str, label: str) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", kind, "--kind", kind)
    assert created["key"]["kind"] == kind and created["publicId"].startswith(public)
    assert created["secret"].startswith(secret) and created["key"]["publicId"] == created["publicId"]
    result = run(
        ["keys", "create", "--workspace", "acme", "--name", "t", "--kind", kind, "--db", install.url], install.env
    )
    assert result.returncode == 0, result.stderr
    assert f"{label}: {public}" in flat(result.stdout) and f"shown once, store it now): {secret}" in flat(result.stdout)


def test_create_without_a_workspace_takes_the_only_one_and_says_so(install: Install) -> None:
    result = run(["keys", "create", "--name", "x", "--json", "--db", install.url], install.env)
    assert result.returncode == 0, result.stderr
    assert "no --workspace given: the key reaches workspace acme, the only one" in flat(result.stderr)
    assert json.loads(result.stdout)["key"]["workspaces"] == [1]
    text = run(["keys", "create", "--name", "y", "--db", install.url], install.env)
    assert "workspace acme" in flat(text.stdout) and "the only one" in flat(text.stderr)


def test_create_without_a_workspace_asks_for_one_when_there_are_several(install: Install) -> None:
    user = ["users", "create", "--email", "g@globex.example", "--org", "globex", "--role", "owner", "--password-stdin"]
    assert run([*user, "--db", install.url], install.env, stdin=PASSWORD + "\n").returncode == 0
    message = install.fails("create", "--name", "x")
    assert "there are 2 workspaces (acme, globex): say which one the key reaches with --workspace" in message
    assert count_rows(install.url, "credentials") == 0
    assert install.keys("create", "--name", "x", "--workspace", "globex")["key"]["organizationId"] == 2


def test_create_help_lists_the_lifetimes_the_api_takes(tmp_path: Path) -> None:
    shown = flat(invoke(["keys", "create", "--help"], tmp_path).output)
    assert "7d, 14d, 1m, 2m, 3m, 6m, 1y, or Nd for N days (1 to 3650); default 3m" in shown
    assert "expiresIn" in shown


def test_keys_commands_outside_demo_and_dev_name_the_exact_fix(tmp_path: Path) -> None:
    result = run(["keys", "create", "--name", "x"], clean_env(tmp_path / "data"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    message = result.stderr
    for name in ("SENSORGATE_SECRET_KEY", "SENSORGATE_HASH_PEPPER", "SENSORGATE_MASTER_KEY"):
        assert f'export {name}="$(python3 -c ' in message, message
    assert "SENSORGATE_MODE=dev" in flat(message) and "sensorgate serve --demo" in flat(message)
    assert str((tmp_path / "data").resolve()) in flat(message)  # where it looked for a demo


def test_list_shows_each_keys_kind(install: Install) -> None:
    install.keys("create", "--workspace", "acme", "--name", "signer", "--kind", "signing_key")
    install.keys("create", "--workspace", "acme", "--name", "plain")
    result = run(["keys", "list", "--db", install.url], {**install.env, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    header, _, first, *rest = result.stdout.splitlines()
    assert header.split()[:3] == ["id", "name", "kind"]
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "signing key" in first and any("api key" in line for line in rest)


def test_show_prints_the_whole_key_and_never_a_secret(install: Install) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", "bms", "--owner", "Ops", "--ip", "10.0.0.0/8")
    shown = install.keys("show", str(created["id"]))
    assert shown == {**created["key"], "lastUsedAt": shown["lastUsedAt"]}
    text = run(["keys", "show", str(created["id"]), "--db", install.url], install.env)
    assert text.returncode == 0, text.stderr
    for expected in ("bms", "key: 1 (api key)", "state: active", "organization: acme", "owner: Ops",
                     "addresses: 10.0.0.0/8", "scopes: data:read", created["secret"][:8]):  # fmt: skip
        assert expected in flat(text.stdout), text.stdout
    assert created["secret"] not in text.stdout
    assert "key 999 not found" in install.fails("show", "999")


def test_edit_changes_what_describes_a_key(install: Install) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", "old")
    edited = install.keys("edit", str(created["id"]), "--name", "new", "--email", "Ops@Acme.example", "--can-renew",
                          "--lifetime-days", "30")  # fmt: skip
    assert (edited["name"], edited["email"], edited["canRenew"], edited["lifetimeDays"]) == (
        "new", "ops@acme.example", True, 30)  # fmt: skip
    assert install.keys("show", str(created["id"]))["name"] == "new"
    assert install.get_sensors(created["secret"]).status_code == 200  # the same secret works on
    assert "say what to change" in install.fails("edit", str(created["id"]))
    assert "at most 365 days" in install.fails("edit", str(created["id"]), "--lifetime-days", "400")
    assert "not a valid email address" in install.fails("edit", str(created["id"]), "--email", "nope")
    install.keys("revoke", str(created["id"]))
    assert "read-only" in install.fails("edit", str(created["id"]), "--name", "again")


def test_delete_revokes_hides_and_keeps_the_trail(install: Install) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", "gone")
    deleted = install.keys("delete", str(created["id"]))
    assert deleted["deletedAt"] is not None and deleted["revokedAt"] is not None
    assert install.get_sensors(created["secret"]).status_code == 401
    assert install.keys("list")["items"] == []
    assert [k["id"] for k in install.keys("list", "--include-revoked")["items"]] == [created["id"]]
    assert "state: deleted" in flat(run(["keys", "show", str(created["id"]), "--db", install.url], install.env).stdout)
    log = install.keys("log", str(created["id"]))["items"]
    assert [entry["event"] for entry in log] == ["created", "deleted", "refused"]  # the use after it, refused
    assert log[-1]["reason"]
    assert "key 1 not found" in install.fails("delete", str(created["id"]))


def test_log_shows_the_lifecycle_and_the_uses(install: Install) -> None:
    created = install.keys("create", "--workspace", "acme", "--name", "used")
    assert install.get_sensors(created["secret"]).status_code == 200  # the app writes its use when it stops
    install.keys("edit", str(created["id"]), "--name", "renamed")
    log = install.keys("log", str(created["id"]))
    assert [(entry["event"], entry.get("count")) for entry in log["items"]] == [("created", None), ("used", 1),
                                                                               ("edited", None)]  # fmt: skip
    assert [entry["event"] for entry in install.keys("log", str(created["id"]), "--event", "used")["items"]] == ["used"]
    csv = run(["keys", "log", str(created["id"]), "--csv", "--db", install.url], install.env)
    assert csv.stdout.splitlines()[0] == "time,event,count,lastAt,reason,ip,userAgent,actorUser,actorKey,details"
    text = run(["keys", "log", str(created["id"]), "--db", install.url], install.env)
    assert "created" in text.stdout and "used x1" in text.stdout and "edited" in text.stdout
    assert "--from: not an ISO 8601 time" in install.fails("log", str(created["id"]), "--from", "yesterday")
    assert "at most 31 days" in install.fails("log", str(created["id"]), "--from", "2026-01-01T00:00:00Z",
                                              "--to", "2026-03-01T00:00:00Z")  # fmt: skip
