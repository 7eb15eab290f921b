"""`sensorgate demo seed`: demo sensors whose readings look real through the API, bounds that explain
themselves, and a second run that only adds what is missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from tests.cli.helpers import clean_env, count_rows, flat, invoke, run
from tests.conftest import make_settings

Client = TestClient[Litestar]


def migrated(tmp_path: Path) -> tuple[str, dict[str, str]]:
    env = clean_env(tmp_path / "data")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade = run(["db", "upgrade", "--db", url], env)
    assert upgrade.returncode == 0, upgrade.stderr
    return url, env


def seed(url: str, env: dict[str, str], *args: str) -> str:
    result = run(["demo", "seed", "--db", url, *args], env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return flat(result.stdout)


@contextmanager
def demo_owner(url: str, tmp_path: Path) -> Iterator[Client]:
    """A client logged in as the demo owner, whose password the seed kept in the data dir."""
    kept = json.loads((tmp_path / "data" / "demo.json").read_text())
    with TestClient(
        app=create_app(make_settings(url, tmp_path / "app")), base_url="https://testserver.local"
    ) as client:
        login = client.post("/v1/auth/login", json={"email": kept["email"], "password": kept["password"]})
        assert login.status_code == 200, login.text
        yield client


def get(client: Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_seed_makes_sensors_with_daily_cycles_fresh_values_and_a_dew_point(tmp_path: Path) -> None:
    url, env = migrated(tmp_path)
    output = seed(url, env, "--sensors", "3", "--days", "2", "--interval", "600")
    assert "demo data: 4 sensors created, none already there;" in output, output
    assert "points written in" in output and "points/s" in output, output

    with demo_owner(url, tmp_path) as client:
        listed = get(client, "/v1/sensors")
        assert listed["totalItems"] == 4
        by_name = {s["name"]: s for s in listed["items"]}
        assert set(by_name) == {"Office 1", "Server room", "Cold store", "Office 1 dew point"}
        office, dew = by_name["Office 1"], by_name["Office 1 dew point"]
        assert office["type"] == "Aranet4" and office["serial"] and office["interval"] == 600
        assert office["deviceGroup"] == "building-a" and office["assets"] == ["Floor 1"]
        assert {m["metric"] for m in office["metrics"]} == {"temperature", "humidity", "co2", "pressure", "battery"}
        assert dew["metrics"] == [{"metric": "dew_point", "unit": "°C", "virtual": True}]
        assert all(s["lastSeen"] for s in listed["items"] if s is not dew)

        day = get(client, "/v1/measurements", sensor=office["id"], metric="temperature", last="P1D", limit=1000)
        temperatures = [p["value"] for p in day["items"]]
        assert len(temperatures) > 100  # 144 readings a day, less the odd outage
        assert max(temperatures) - min(temperatures) > 1.0, "no daily cycle"
        assert all(15 < t < 28 for t in temperatures)

        ids = ",".join(str(s["id"]) for s in listed["items"])
        latest = get(client, "/v1/measurements/latest", sensor=ids)["items"]
        assert {(i["sensor"], i["metric"]) for i in latest} >= {(dew["id"], "dew_point"), (office["id"], "co2")}
        assert {i["novelty"] for i in latest} == {"new"}
        dew_point = next(i["value"] for i in latest if i["metric"] == "dew_point")
        temperature = next(i["value"] for i in latest if i["sensor"] == office["id"] and i["metric"] == "temperature")
        assert dew_point < temperature

        start = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        query = {"sensor": office["id"], "metric": "temperature", "bucket": "P1D", "from": start}
        days = get(client, "/v1/measurements/aggregate", **query)["items"]
        assert 2 <= len(days) <= 3
        assert all(d["max"] - d["min"] > 1.0 for d in days if d["count"] > 100)


def test_a_second_seed_adds_only_what_is_missing(tmp_path: Path) -> None:
    url, env = migrated(tmp_path)
    seed(url, env, "--sensors", "2", "--days", "1", "--interval", "600")
    points = count_rows(url, "points")

    again = seed(url, env, "--sensors", "2", "--days", "1", "--interval", "600")
    assert "no sensors created, 3 already there" in again, again
    # Within the same 10 minutes nothing is due; past a grid step, one more reading per series (9 of them).
    assert count_rows(url, "points") - points <= 2 * 9, again

    more = seed(url, env, "--sensors", "3", "--days", "2", "--interval", "600")
    assert "1 sensor created, 3 already there" in more, more
    assert count_rows(url, "sensors") == 4
    with demo_owner(url, tmp_path) as client:
        assert [s["name"] for s in get(client, "/v1/sensors")["items"]] == [
            "Office 1",
            "Server room",
            "Office 1 dew point",
            "Cold store",
        ]
        # The first sensors were extended a day back: two days of readings now, as for the new one.
        for sensor in get(client, "/v1/sensors")["items"]:
            if sensor["name"] != "Office 1 dew point":
                query = {"sensor": sensor["id"], "metric": "temperature", "last": "P3D", "limit": 10_000}
                first = datetime.fromisoformat(get(client, "/v1/measurements", **query)["items"][0]["time"])
                assert first < datetime.now(UTC) - timedelta(days=1, hours=12), sensor["name"]


def test_seed_needs_the_newest_schema(tmp_path: Path) -> None:
    result = run(["demo", "seed", "--db", f"sqlite:///{tmp_path / 'never.db'}"], clean_env(tmp_path / "data"))
    assert result.returncode != 0
    assert "sensorgate db upgrade" in flat(result.stderr), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sensors", "0"], "'--sensors': 0 is not in the range 1<=x<=1000"),
        (["--sensors", "1001"], "'--sensors': 1001 is not in the range 1<=x<=1000"),
        (["--days", "0"], "'--days': 0 is not in the range 1<=x<=3650"),
        (["--interval", "9"], "'--interval': 9 is not in the range 10<=x<=86400"),
        (["--interval", "86401"], "'--interval': 86401 is not in the range 10<=x<=86400"),
        (["--sensors", "1000", "--days", "365", "--interval", "60"], "the limit is 50,000,000"),
    ],
)
def test_seed_refuses_sizes_out_of_bounds(tmp_path: Path, args: list[str], message: str) -> None:
    # Checked before the database is touched, so no database is needed.
    result = invoke(["demo", "seed", "--db", f"sqlite:///{tmp_path / 'none.db'}", *args], tmp_path / "data")
    assert result.exit_code == 2
    assert message in flat(result.output), result.output
    assert not (tmp_path / "none.db").exists()
