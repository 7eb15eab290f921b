"""Arrival ids (measurements/arrivals.py), seen through Ayyeka's sample ids: they grow with arrival, whatever
the sample's time, so a late backfill of an old time gets a larger id than everything before it; an identical
re-send keeps its id and a changed value gets a new one. And migration 0011 numbers the points already stored."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sensorgate.db import migrate
from sensorgate.db.engine import create_engine
from tests.dialects.conftest import HOUR, START, World
from tests.dialects.test_ayyeka import reader


def _write(world: World, value: float, t: int) -> None:
    item = {"sensor": world.lab["id"], "metric": "co2", "value": value, "time": t}
    assert world.owner.post("/v1/measurements", json={"items": [item]}).status_code == 200


def _ids(world: World, client: Any) -> dict[str, tuple[int, str]]:
    co2 = next(s["id"] for s in client.get("/v2.0/stream").json() if s["type_display_name"] == "co2")
    found = client.get(f"/v2.0/stream/{co2}/sample/range?fromDate=0&toDate={START + 400 * HOUR}").json()
    return {s["sample_date"]: (s["id"], s["value"]) for s in found["samples"]}


def test_ids_grow_with_arrival_not_with_time(world: World) -> None:
    client = reader(world)
    before = _ids(world, client)
    newest = max(i for i, _ in before.values())
    _write(world, 7, START + 300 * HOUR)  # a new time
    _write(world, 8, START - 300 * HOUR)  # then an old one, arriving late
    after = _ids(world, client)
    new = [after[d][0] for d in after if d not in before]
    assert len(new) == 2 and newest < new[1] < new[0]  # by time the old one comes first; by id, last


def test_a_resend_keeps_its_id_and_a_change_takes_a_new_one(world: World) -> None:
    client = reader(world)
    before = _ids(world, client)
    first = min(before)
    _write(world, 400, START)  # the value it has
    assert _ids(world, client)[first] == before[first]
    _write(world, 401.5, START)
    changed = _ids(world, client)[first]
    assert changed[1] == "401.5000" and changed[0] > max(i for i, _ in before.values())


def test_migration_0011_numbers_stored_points_and_downgrades(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            from alembic import command

            command.downgrade(migrate.alembic_config(conn), "0010")
            conn.commit()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("points")}
            assert "arrival_id" not in columns
            assert "arrivals" not in sa.inspect(conn).get_table_names()
            conn.exec_driver_sql("DELETE FROM points")
            conn.exec_driver_sql("INSERT INTO points (series_id, t, value) VALUES (1, 10, 1.0), (1, 20, 2.0)")
            conn.commit()
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT t, arrival_id, arrival_n FROM points ORDER BY t").all()
            assert [tuple(r) for r in rows] == [(10, 1, 0), (20, 1, 1)]
            assert conn.exec_driver_sql("SELECT seq FROM arrival_clock").scalar_one() == 1
            assert conn.exec_driver_sql("SELECT seq FROM arrivals WHERE id = 1").scalar_one() == 1
    finally:
        engine.dispose()


def test_batches_read_on_past_a_page_of_spans(world: World, monkeypatch: Any) -> None:
    """Spans are read a page at a time (SPANS_PAGE); a batch goes on to the next page, and a rewound status too."""
    from sensorgate.measurements import sample_ids

    client = reader(world)
    whole = client.get("/v2.0/sample/batch?enableAck=false").json()["samples"]
    for t in range(3):  # three more arrivals, one span each
        _write(world, 900 + t, START - (t + 1) * HOUR)
    whole += client.get("/v2.0/sample/batch?enableAck=false").json()["samples"]
    monkeypatch.setattr(sample_ids, "SPANS_PAGE", 2)
    again = client.get("/v2.0/sample/batch?enableAck=false&sampleID=0").json()
    paged = again["samples"] + client.get("/v2.0/sample/batch?enableAck=false").json()["samples"]
    assert [s["id"] for s in paged] == [s["id"] for s in whole]
    assert len(whole) == 7 * 24 * 4 + 24 + 3
    assert client.get("/v2.0/sample/batch/status").json()["id"] == whole[-1]["id"]


def test_a_batch_sealing_while_another_is_sealed_waits_for_its_commit(database_url: str) -> None:
    """The seal's row lock orders seqs by commit: B seals while A is sealed but not committed, so B waits, and
    gets the next seq once A commits. On SQLite writers are serial anyway: this is PostgreSQL's case."""
    import threading

    import pytest

    from sensorgate.measurements.arrivals import Arrival, seal

    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time")
    engine = create_engine(database_url)
    try:
        a_conn, b_conn = engine.connect(), engine.connect()
        a, b = Arrival(), Arrival()
        a.number(a_conn, 1)
        seal(a_conn, a)  # sealed, not committed: the clock's row stays locked
        b_done = threading.Event()

        def second() -> None:
            b.number(b_conn, 1)
            seal(b_conn, b)
            b_conn.commit()
            b_done.set()

        thread = threading.Thread(target=second)
        thread.start()
        assert not b_done.wait(0.5), "the second batch sealed while the first was sealed and uncommitted"
        a_conn.commit()
        thread.join(10)
        assert b_done.is_set()
        with engine.connect() as conn:
            seqs = dict(conn.exec_driver_sql("SELECT id, seq FROM arrivals").all())  # type: ignore[arg-type]
        assert seqs[b.tokens[0]] == seqs[a.tokens[0]] + 1
        a_conn.close()
        b_conn.close()
    finally:
        engine.dispose()
