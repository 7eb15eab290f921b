"""Settings come from SENSORGATE_* variables and refuse placeholder secrets outside dev and demo."""

from __future__ import annotations

import base64
import json
import re
import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from sensorgate.settings import SettingsError, load_settings

GOOD = {
    "SENSORGATE_SECRET_KEY": "s" * 40,
    "SENSORGATE_HASH_PEPPER": "p" * 40,
    "SENSORGATE_MASTER_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(),
}


def test_values_come_from_prefixed_variables_with_types(tmp_path: Path) -> None:
    env = {**GOOD, "SENSORGATE_DATA_DIR": str(tmp_path), "SENSORGATE_MAX_BODY_BYTES": "4096",
           "SENSORGATE_ACCESS_LOG": "false", "OTHER_SECRET_KEY": "ignored"}  # fmt: skip
    settings = load_settings(env)
    assert settings.max_body_bytes == 4096
    assert settings.access_log is False
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'sensorgate.db'}"


def test_plain_postgresql_urls_get_the_psycopg_driver() -> None:
    settings = load_settings({**GOOD, "SENSORGATE_DATABASE_URL": "postgresql://u:p@db:5432/sg"})
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db:5432/sg"


@pytest.mark.parametrize("name", ["SENSORGATE_SECRET_KEY", "SENSORGATE_HASH_PEPPER", "SENSORGATE_MASTER_KEY"])
@pytest.mark.parametrize("value", [None, "changeme", "short-but-not-placeholder"])
def test_production_refuses_a_missing_or_placeholder_secret(name: str, value: str | None) -> None:
    env = {k: v for k, v in GOOD.items() if k != name}
    if value is not None:
        env[name] = value
    with pytest.raises(SettingsError, match=name):
        load_settings(env)


def test_a_master_key_that_is_not_32_bytes_is_refused() -> None:
    with pytest.raises(SettingsError, match="32 bytes"):
        load_settings({**GOOD, "SENSORGATE_MASTER_KEY": "x" * 44})


def test_a_mistyped_value_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="max_body_bytes"):
        load_settings({**GOOD, "SENSORGATE_MAX_BODY_BYTES": "lots"})


@pytest.mark.parametrize("mode", ["demo", "dev"])
def test_demo_and_dev_generate_secrets_once_and_keep_them(tmp_path: Path, mode: str) -> None:
    env = {"SENSORGATE_MODE": mode, "SENSORGATE_DATA_DIR": str(tmp_path)}
    first, second = load_settings(env), load_settings(env)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert first.master_key_bytes == second.master_key_bytes and len(first.master_key_bytes) == 32
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["hash_pepper"] == first.hash_pepper


def test_demo_keeps_a_secret_given_in_the_environment(tmp_path: Path) -> None:
    env = {"SENSORGATE_MODE": "demo", "SENSORGATE_DATA_DIR": str(tmp_path), **GOOD}
    assert load_settings(env).secret_key == GOOD["SENSORGATE_SECRET_KEY"]


@pytest.mark.parametrize("prefix", ["", "has space", "x" * 41, "a:b"])
def test_a_redis_prefix_must_be_a_short_plain_name(prefix: str) -> None:
    with pytest.raises(SettingsError, match="redis_prefix"):
        load_settings({**GOOD, "SENSORGATE_REDIS_PREFIX": prefix})
    assert load_settings({**GOOD, "SENSORGATE_REDIS_PREFIX": "site-2.eu_1"}).redis_prefix == "site-2.eu_1"


def test_a_data_dir_made_by_serve_demo_opens_in_demo_mode_with_its_secrets(tmp_path: Path) -> None:
    made = load_settings({"SENSORGATE_MODE": "demo", "SENSORGATE_DATA_DIR": str(tmp_path)})
    (tmp_path / "demo.json").write_text("{}")  # what seed_demo leaves beside secrets.json
    found = load_settings({"SENSORGATE_DATA_DIR": str(tmp_path)})
    assert found.mode == "demo" and found.hash_pepper == made.hash_pepper and found.master_key == made.master_key


def test_only_both_demo_files_make_a_demo_data_dir_and_a_mode_given_wins(tmp_path: Path) -> None:
    load_settings({"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": str(tmp_path)})  # secrets.json alone
    with pytest.raises(SettingsError, match="SENSORGATE_SECRET_KEY"):
        load_settings({"SENSORGATE_DATA_DIR": str(tmp_path)})
    (tmp_path / "demo.json").write_text("{}")
    with pytest.raises(SettingsError, match="mode production"):
        load_settings({"SENSORGATE_MODE": "production", "SENSORGATE_DATA_DIR": str(tmp_path)})


def test_the_refusal_lists_each_missing_secret_with_a_command_that_makes_it(tmp_path: Path) -> None:
    env = {"SENSORGATE_DATA_DIR": str(tmp_path), "SENSORGATE_SECRET_KEY": "s" * 40}
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    message = str(refused.value)
    assert "SENSORGATE_HASH_PEPPER and SENSORGATE_MASTER_KEY are missing" in message
    assert "SENSORGATE_SECRET_KEY" not in message.split("missing")[0]
    commands = re.findall(r'export (SENSORGATE_\w+)="\$\((.*)\)"', message)
    assert [name for name, _ in commands] == ["SENSORGATE_HASH_PEPPER", "SENSORGATE_MASTER_KEY"]
    for name, command in commands:  # each command makes a value the check accepts
        value = subprocess.run(shlex.split(command), capture_output=True, text=True, check=True).stdout.strip()
        env[name] = value
    assert load_settings(env).mode == "production"
