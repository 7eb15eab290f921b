"""What the console's sensor pages read through /v1, for integrators as well: the sensor list's `tag` filter,
one sensor's alarms (`sensor=`), and the aggregate as CSV (`format=csv`) with the JSON answer's numbers."""

from __future__ import annotations

import csv
import io

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import assert_error
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def names(client: Client, **params: str) -> list[str]:
    response = client.get("/v1/sensors", params=params)
    assert response.status_code == 200, response.text
    return [s["name"] for s in response.json()["items"]]


def test_the_sensor_list_filters_by_one_tag_exactly(owner: Client) -> None:
    make_sensor(owner, "Roof", tags=["outdoor", "Roof"])
    make_sensor(owner, "Cellar", tags=["indoor", "café"])
    make_sensor(owner, "Hall", tags=["indoor-ish", "INDOOR"])
    assert names(owner, tag="indoor") == ["Cellar"]  # not "indoor-ish", not "INDOOR": whole tags, same case
    assert names(owner, tag="INDOOR") == ["Hall"]
    assert names(owner, tag="café") == ["Cellar"]
    assert names(owner, tag="door") == []
    assert names(owner, tag="outdoor", q="ro") == ["Roof"]
    assert_error(owner.get("/v1/sensors", params={"tag": "x" * 51}), 400)


def test_alarms_of_one_sensor(owner: Client) -> None:
    hot, cold = make_sensor(owner, "Hot")["id"], make_sensor(owner, "Cold")["id"]
    rule = {"name": "Too warm", "metric": "temperature", "condition": "above", "threshold": 25.0}
    assert owner.post("/v1/alarm-rules", json=rule).status_code == 201
    backfill(owner, [{"sensor": s, "metric": "temperature", "time": T0, "value": 30.0} for s in (hot, cold)])
    for path, params in (("/v1/alarms/active", {}), ("/v1/alarms", {"from": str(T0), "to": str(T0 + 60)})):
        every = owner.get(path, params=params).json()["items"]
        assert sorted(a["sensor"] for a in every) == sorted([hot, cold])
        only = owner.get(path, params={**params, "sensor": str(hot)}).json()["items"]
        assert [a["sensor"] for a in only] == [hot]
    assert_error(owner.get("/v1/alarms/active", params={"sensor": "0"}), 400)


def test_the_aggregate_as_csv_holds_the_json_numbers(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    values = [20.1, 20.4, 19.7, 21.3, 22.05, 18.9]
    backfill(owner, [{"sensor": sensor, "metric": "temperature", "time": T0 + 900 * i, "value": v}
                     for i, v in enumerate(values)])  # fmt: skip
    params = {"sensor": str(sensor), "metric": "temperature", "from": str(T0), "to": str(T0 + 7200),
              "bucket": "PT1H", "fn": "min,avg,max"}  # fmt: skip
    as_json = owner.get("/v1/measurements/aggregate", params=params).json()["items"]
    answer = owner.get("/v1/measurements/aggregate", params={**params, "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == ["sensor", "metric", "start", "min", "max", "avg"]
    assert len(rows) == len(as_json) == 2
    for row, item in zip(rows, as_json, strict=True):
        assert row["start"] == item["start"] and int(row["sensor"]) == item["sensor"]
        assert all(float(row[f]) == item[f] for f in ("min", "max", "avg"))
    assert_error(owner.get("/v1/measurements/aggregate", params={**params, "format": "xml"}), 400)
