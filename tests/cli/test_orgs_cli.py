"""`sensorgate orgs plan`: the operator sets an organization's plan, and its keys are limited by it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.settings import load_settings
from tests.cli.helpers import flat, invoke
from tests.cli.test_jobs_cli import dev


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    dev(["db", "upgrade"], tmp_path)
    dev(
        ["users", "create", "--email", "ann@acme.example", "--org", "acme", "--role", "owner", "--password-stdin"],
        tmp_path,
    )
    return tmp_path


def plan(data_dir: Path, *args: str) -> dict[str, object]:
    result = invoke(["orgs", "plan", "acme", *args, "--json"], data_dir)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_set_show_unset_and_reset_a_plan(data_dir: Path) -> None:
    default = {"requests": 1_000_000, "window": "PT15M", "daily": None, "tokens": 15}
    assert plan(data_dir) == {"organization": "acme", "own": {}, "effective": default}
    changed = plan(data_dir, "--requests", "100", "--window", "PT1M", "--tokens", "30")
    assert changed["effective"] == {"requests": 100, "window": "PT1M", "daily": None, "tokens": 30}
    # A field left out keeps its value; --unset takes one back to the default.
    assert plan(data_dir, "--daily", "500")["own"] == {"requests": 100, "window": "PT1M", "tokens": 30, "daily": 500}
    assert plan(data_dir, "--unset", "window", "--unset", "tokens")["own"] == {"requests": 100, "daily": 500}
    text = invoke(["orgs", "plan", "acme"], data_dir)
    assert "requests: 100 (organization)" in flat(text.output) and "window: PT15M (default)" in flat(text.output)
    assert plan(data_dir, "--reset") == {"organization": "acme", "own": {}, "effective": default}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "banana"], "not an ISO 8601 duration"),
        (["--window", "P40D"], "31 days"),
        (["--window", "PT1.5S"], "whole seconds"),
        (["--daily", "0"], ">= 1"),
        (["--tokens", "10001"], "<= 10000"),
        (["--reset", "--daily", "3"], "--reset drops the whole plan"),
        (["--daily", "3", "--unset", "daily"], "contradict each other"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(data_dir: Path, args: list[str], message: str) -> None:
    plan(data_dir, "--requests", "7")
    result = invoke(["orgs", "plan", "acme", *args], data_dir)
    assert result.exit_code == 2 and message in flat(result.output)
    assert plan(data_dir)["own"] == {"requests": 7}


def test_an_unknown_organization(data_dir: Path) -> None:
    result = invoke(["orgs", "plan", "nobody"], data_dir)
    assert result.exit_code == 1 and "no organization 'nobody'" in result.output


def test_the_keys_of_the_organization_get_its_plan(data_dir: Path) -> None:
    plan(data_dir, "--requests", "2", "--window", "PT1H")
    key = json.loads(dev(["keys", "create", "--workspace", "acme", "--name", "k", "--json"], data_dir))
    # Dev mode, as `dev` created the key: the same generated secrets, kept in the data directory.
    env = {"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": str(data_dir)}
    settings = load_settings(env, scheduler=False, usage_flush_seconds=3600)
    with TestClient(create_app(settings)) as client:
        client.headers["X-API-Key"] = key["secret"]
        statuses = [client.get("/v1/sensors").status_code for _ in range(3)]
        policy = client.get("/v1/sensors").headers["ratelimit-policy"]
    assert statuses == [200, 200, 429] and policy == '"window";q=2;w=3600'


def test_orgs_limits_shows_and_changes_the_key_policy(data_dir: Path) -> None:
    shown = invoke(["orgs", "limits", "acme", "--json"], data_dir)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["maxActiveKeysPerUser"] == 5
    changed = invoke(["orgs", "limits", "acme", "--active-keys", "3", "--lifetime-days", "90"], data_dir)
    assert changed.exit_code == 0, changed.output
    assert "active keys per user: 3" in changed.output and "longest key lifetime: 90 days" in changed.output
    bad = invoke(["orgs", "limits", "acme", "--active-keys", "0"], data_dir)
    assert bad.exit_code != 0 and "--active-keys" in flat(bad.output)
    missing = invoke(["orgs", "limits", "nobody"], data_dir)
    assert missing.exit_code != 0 and "no organization 'nobody'" in flat(missing.output)


def test_orgs_set_the_former_name_still_works_and_is_not_listed(data_dir: Path) -> None:
    former = ["orgs", "set", "acme", "--max-active-keys", "7", "--max-key-lifetime-days", "30", "--json"]
    changed = invoke(former, data_dir)
    assert changed.exit_code == 0, changed.output
    found = json.loads(changed.output)
    assert (found["maxActiveKeysPerUser"], found["maxKeyLifetimeDays"]) == (7, 30)
    listed = invoke(["orgs", "--help"], data_dir).output
    assert re.search(r"^\s+limits\s", listed, re.MULTILINE) and not re.search(r"^\s+set\s", listed, re.MULTILINE)


def test_the_command_the_409_names_raises_the_limit(data_dir: Path) -> None:
    assert invoke(["orgs", "limits", "acme", "--active-keys", "1"], data_dir).exit_code == 0
    env = {"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": str(data_dir)}
    with TestClient(create_app(load_settings(env, scheduler=False))) as client:
        login = client.post("/v1/auth/login", json={"email": "ann@acme.example", "password": "a-long-enough-password"})
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        assert client.post("/v1/keys", json={"name": "first"}).status_code == 201
        refused = client.post("/v1/keys", json={"name": "second"})
        assert refused.status_code == 409
        advice = re.search(r"sensorgate (orgs limits acme --active-keys) N", refused.json()["message"])
        assert advice, refused.json()["message"]
        raised = invoke([*advice.group(1).split(), "2"], data_dir)
        assert raised.exit_code == 0 and "active keys per user: 2" in raised.output
        assert client.post("/v1/keys", json={"name": "second"}).status_code == 201


def test_a_cli_keys_line_at_the_limit_is_told_the_same_fix(data_dir: Path) -> None:
    # A key made with the CLI is no user's: it and the keys made through it count against the limit together.
    assert invoke(["orgs", "limits", "acme", "--active-keys", "1"], data_dir).exit_code == 0
    made = dev(
        [
            "keys",
            "create",
            "--workspace",
            "acme",
            "--name",
            "k",
            "--scope",
            "keys:write",
            "--scope",
            "data:read",
            "--json",
        ],
        data_dir,
    )
    env = {"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": str(data_dir)}
    with TestClient(create_app(load_settings(env, scheduler=False))) as client:
        client.headers["X-API-Key"] = json.loads(made)["secret"]
        refused = client.post("/v1/keys", json={"name": "child", "scopes": ["data:read"]})
        assert refused.status_code == 409
        assert "made with the CLI" in refused.json()["message"]
        assert "sensorgate orgs limits acme --active-keys N" in refused.json()["message"]
        assert invoke(["orgs", "limits", "acme", "--active-keys", "2"], data_dir).exit_code == 0
        assert client.post("/v1/keys", json={"name": "child", "scopes": ["data:read"]}).status_code == 201
