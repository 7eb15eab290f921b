"""SQL for sensors, device groups, assets and series. Functions take a Connection and never commit."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from sensorgate.accounts.models import workspaces
from sensorgate.sensors.models import (
    assets,
    device_groups,
    latest,
    points,
    rollups_day,
    rollups_hour,
    sensor_assets,
    sensors,
    series,
    virtual_inputs,
)

Row = Any  # rows are read by attribute name; the column types live in models.py

SENSOR_COLUMNS = (
    sensors.c.id,
    sensors.c.workspace_id,
    sensors.c.name,
    sensors.c.serial,
    sensors.c.type,
    sensors.c.interval,
    device_groups.c.name.label("device_group"),
    sensors.c.device_group_id,
    sensors.c.tags,
    sensors.c.last_seen,
)


def sensors_query(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(*SENSOR_COLUMNS)
        .join(workspaces, workspaces.c.id == sensors.c.workspace_id)
        .outerjoin(device_groups, device_groups.c.id == sensors.c.device_group_id)
        .where(where)
    )


def types_in(conn: sa.Connection, where: sa.ColumnElement[bool], limit: int) -> list[str]:
    """The sensor types in use, sorted."""
    query = sensors_query(where).with_only_columns(sensors.c.type).where(sensors.c.type.is_not(None)).distinct()
    return sorted(str(t) for t in conn.execute(query.order_by(sensors.c.type).limit(limit)).scalars())


def tags_in(conn: sa.Connection, where: sa.ColumnElement[bool], limit: int) -> list[str]:
    """The tags of the first `limit` sensors, sorted: tags are a JSON list on each sensor, with no table of their
    own, so this reads them and merges in Python."""
    query = sensors_query(where).with_only_columns(sensors.c.tags).order_by(sensors.c.id).limit(limit)
    return sorted({str(tag) for tags in conn.execute(query).scalars() for tag in tags})


def tag_counts_in(conn: sa.Connection, where: sa.ColumnElement[bool], limit: int) -> dict[tuple[int, str], int]:
    """(workspace, tag) -> how many of the first `limit` sensors carry it, merged in Python as tags_in is."""
    query = sensors_query(where).with_only_columns(sensors.c.workspace_id, sensors.c.tags)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for workspace_id, tags in conn.execute(query.order_by(sensors.c.id).limit(limit)):
        for tag in set(tags):
            counts[(int(workspace_id), str(tag))] += 1
    return dict(counts)


def sensor_ids_in(conn: sa.Connection, workspace_id: int) -> list[int]:
    query = sa.select(sensors.c.id).where(sensors.c.workspace_id == workspace_id).order_by(sensors.c.id)
    return [int(i) for i in conn.execute(query).scalars()]


def sensor_ids_by_serial(conn: sa.Connection, workspace_id: int, serials: list[str]) -> dict[str, int]:
    rows = conn.execute(
        sa.select(sensors.c.serial, sensors.c.id).where(
            sensors.c.workspace_id == workspace_id, sensors.c.serial.in_(serials)
        )
    )
    return {serial: int(sensor_id) for serial, sensor_id in rows}


def sensors_page(conn: sa.Connection, where: sa.ColumnElement[bool], offset: int, limit: int) -> tuple[list[Row], int]:
    total = conn.execute(
        sa.select(sa.func.count())
        .select_from(sensors)
        .join(workspaces, workspaces.c.id == sensors.c.workspace_id)
        .outerjoin(device_groups, device_groups.c.id == sensors.c.device_group_id)
        .where(where)
    ).scalar_one()
    rows = conn.execute(sensors_query(where).order_by(sensors.c.id).offset(offset).limit(limit)).all()
    return list(rows), int(total)


def filtered(
    where: sa.ColumnElement[bool],
    *,
    workspace_id: int | None,
    device_group: str | None,
    asset: str | None,
    q: str | None,
    organization_id: int | None = None,
    serial: str | None = None,
    tag: str | None = None,
    virtual: bool = False,
) -> sa.ColumnElement[bool]:
    """`where`, narrowed by the sensor list's filters; `q` matches part of the name or serial, any case,
    `serial` the whole serial, `tag` one of the sensor's tags, exactly, and `virtual`: only sensors with a
    computed metric."""
    if workspace_id is not None:
        where = sa.and_(where, sensors.c.workspace_id == workspace_id)
    if organization_id is not None:
        where = sa.and_(where, workspaces.c.organization_id == organization_id)
    if serial is not None:
        where = sa.and_(where, sensors.c.serial == serial)
    if virtual:
        where = sa.and_(where, sensors.c.id.in_(sa.select(series.c.sensor_id).where(series.c.expression.is_not(None))))
    if device_group is not None:
        where = sa.and_(where, device_groups.c.name == device_group)
    if asset is not None:
        in_asset = (
            sa.select(sensor_assets.c.sensor_id)
            .join(assets, assets.c.id == sensor_assets.c.asset_id)
            .where(assets.c.name == asset)
        )
        where = sa.and_(where, sensors.c.id.in_(in_asset))
    if tag:
        where = sa.and_(where, _has_tag(tag))
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = sa.and_(
            where,
            sa.or_(
                sa.func.lower(sensors.c.name).like(pattern, escape="\\"),
                sa.func.lower(sensors.c.serial).like(pattern, escape="\\"),
            ),
        )
    return where


class _Position(FunctionElement[int]):
    """Where `needle` starts in `text` (1-based; 0 if absent), matched exactly: LIKE ignores case in SQLite."""

    type = sa.Integer()
    inherit_cache = True


@compiles(_Position)
def _instr(element: _Position, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_Position, "postgresql")
def _strpos(element: _Position, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _has_tag(tag: str) -> sa.ColumnElement[bool]:
    """Tags are a JSON list with no table of their own: look for the tag's JSON string, quotes included, in the
    list's text, the same in SQLite and PostgreSQL (whose `json` keeps the text as written). Both spellings of a
    non-ASCII tag are tried: escaped, as json.dumps writes it, and plain."""
    text = sa.cast(sensors.c.tags, sa.Text)
    spellings = sorted({json.dumps(tag), json.dumps(tag, ensure_ascii=False)})
    return sa.or_(*(_Position(text, sa.literal(s, sa.Text)) > 0 for s in spellings))


def sensor(conn: sa.Connection, sensor_id: int, where: sa.ColumnElement[bool]) -> Row | None:
    return conn.execute(sensors_query(sa.and_(sensors.c.id == sensor_id, where))).first()


def workspace_ids(conn: sa.Connection, where: sa.ColumnElement[bool]) -> list[int]:
    """Ids of the workspaces matching `where` (a condition on workspaces), in order."""
    return list(conn.execute(sa.select(workspaces.c.id).where(where).order_by(workspaces.c.id)).scalars())


def asset_names(conn: sa.Connection, sensor_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = conn.execute(
        sa.select(sensor_assets.c.sensor_id, assets.c.name)
        .join(assets, assets.c.id == sensor_assets.c.asset_id)
        .where(sensor_assets.c.sensor_id.in_(sensor_ids))
        .order_by(assets.c.name)
    )
    for row in rows:
        found[row.sensor_id].append(row.name)
    return found


def series_of(conn: sa.Connection, sensor_ids: list[int]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = defaultdict(list)
    rows = conn.execute(sa.select(series).where(series.c.sensor_id.in_(sensor_ids)).order_by(series.c.id))
    for row in rows:
        found[row.sensor_id].append(row)
    return found


def series_by_refs(
    conn: sa.Connection, workspace_id: int, refs: list[tuple[int, str]], reach: sa.ColumnElement[bool]
) -> dict[tuple[int, str], int]:
    """Series ids for (sensor id, metric) pairs inside one workspace, among the sensors `reach` allows."""
    if not refs:
        return {}
    rows = conn.execute(
        sa.select(series.c.id, series.c.sensor_id, series.c.metric)
        .join(sensors, sensors.c.id == series.c.sensor_id)
        .join(workspaces, workspaces.c.id == sensors.c.workspace_id)
        .where(sensors.c.workspace_id == workspace_id, sensors.c.id.in_({r[0] for r in refs}), reach)
    )
    return {(r.sensor_id, r.metric): r.id for r in rows}


def has_metric(conn: sa.Connection, sensor_id: int, metric: str) -> bool:
    query = sa.select(series.c.id).where(series.c.sensor_id == sensor_id, series.c.metric == metric)
    return conn.execute(query).first() is not None


def device_group_by_id(conn: sa.Connection, group_id: int) -> Row | None:
    return conn.execute(
        sa.select(device_groups.c.id, device_groups.c.workspace_id).where(device_groups.c.id == group_id)
    ).first()


def device_group_by_name(conn: sa.Connection, workspace_id: int, name: str) -> Row | None:
    return conn.execute(
        sa.select(device_groups.c.id, device_groups.c.workspace_id).where(
            device_groups.c.workspace_id == workspace_id, device_groups.c.name == name
        )
    ).first()


def group_id(conn: sa.Connection, workspace_id: int, name: str, now: datetime) -> int:
    """The device group of that name in the workspace, created on first use."""
    found = conn.execute(
        sa.select(device_groups.c.id).where(device_groups.c.workspace_id == workspace_id, device_groups.c.name == name)
    ).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            device_groups.insert()
            .values(workspace_id=workspace_id, name=name, created_at=now)
            .returning(device_groups.c.id)
        ).scalar_one()
    )


def insert_device_group(conn: sa.Connection, workspace_id: int, name: str, now: datetime) -> int:
    statement = device_groups.insert().values(workspace_id=workspace_id, name=name, created_at=now)
    return int(conn.execute(statement.returning(device_groups.c.id)).scalar_one())


def insert_asset(conn: sa.Connection, workspace_id: int, name: str, now: datetime) -> int:
    statement = assets.insert().values(workspace_id=workspace_id, name=name, created_at=now)
    return int(conn.execute(statement.returning(assets.c.id)).scalar_one())


def asset_by_name(conn: sa.Connection, workspace_id: int, name: str) -> Row | None:
    query = sa.select(assets.c.id).where(assets.c.workspace_id == workspace_id, assets.c.name == name)
    return conn.execute(query).first()


def count_in_workspace(conn: sa.Connection, table: sa.Table, workspace_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(table.c.workspace_id == workspace_id)
    return int(conn.execute(query).scalar_one())


def set_assets(conn: sa.Connection, workspace_id: int, sensor_id: int, names: list[str], now: datetime) -> None:
    """Replace the sensor's assets; assets are created on first use."""
    conn.execute(sensor_assets.delete().where(sensor_assets.c.sensor_id == sensor_id))
    for name in dict.fromkeys(names):
        found = conn.execute(
            sa.select(assets.c.id).where(assets.c.workspace_id == workspace_id, assets.c.name == name)
        ).scalar()
        if found is None:
            found = conn.execute(
                assets.insert().values(workspace_id=workspace_id, name=name, created_at=now).returning(assets.c.id)
            ).scalar_one()
        conn.execute(sensor_assets.insert().values(sensor_id=sensor_id, asset_id=found))


def insert_sensor(conn: sa.Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(sensors.insert().values(**values).returning(sensors.c.id)).scalar_one())


def update_sensor(conn: sa.Connection, sensor_id: int, values: dict[str, Any]) -> None:
    conn.execute(sensors.update().where(sensors.c.id == sensor_id).values(**values))


def insert_series(conn: sa.Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(series.insert().values(**values).returning(series.c.id)).scalar_one())


def serial_taken(conn: sa.Connection, workspace_id: int, serial: str, other_than: int | None = None) -> bool:
    query = sa.select(sensors.c.id).where(sensors.c.workspace_id == workspace_id, sensors.c.serial == serial)
    if other_than is not None:
        query = query.where(sensors.c.id != other_than)
    return conn.execute(query).first() is not None


def insert_virtual_inputs(conn: sa.Connection, series_id: int, inputs: dict[str, int]) -> None:
    conn.execute(
        virtual_inputs.insert(),
        [{"series_id": series_id, "name": name, "input_series_id": input_id} for name, input_id in inputs.items()],
    )


def delete_sensor(conn: sa.Connection, sensor_id: int) -> None:
    """Points and rollups have no foreign key (see measurements/models.py), so they go first, explicitly."""
    series_ids = list(conn.execute(sa.select(series.c.id).where(series.c.sensor_id == sensor_id)).scalars())
    for table in (points, rollups_hour, rollups_day, latest):
        conn.execute(table.delete().where(table.c.series_id.in_(series_ids)))
    conn.execute(sensors.delete().where(sensors.c.id == sensor_id))


def device_groups_in(conn: sa.Connection, where: sa.ColumnElement[bool], only: int | None = None) -> list[Row]:
    """Groups of the workspaces matching `where`, with their sensor counts; `only`: just that group."""
    if only is not None:
        where = sa.and_(where, device_groups.c.id == only)
    count = (
        sa.select(sa.func.count())
        .select_from(sensors)
        .where(sensors.c.device_group_id == device_groups.c.id)
        .scalar_subquery()
    )
    return list(
        conn.execute(
            sa.select(device_groups.c.id, device_groups.c.workspace_id, device_groups.c.name, count.label("sensors"))
            .join(workspaces, workspaces.c.id == device_groups.c.workspace_id)
            .where(where)
            .order_by(device_groups.c.id)
            .limit(1000)
        ).all()
    )


def assets_in(
    conn: sa.Connection, where: sa.ColumnElement[bool], device_group_id: int | None = None
) -> list[tuple[Row, list[int]]]:
    """Assets and their sensors' ids; with a device group, only assets holding its sensors, and only those."""
    in_group: sa.ColumnElement[bool] = sa.true()
    if device_group_id is not None:
        in_group = sensor_assets.c.sensor_id.in_(
            sa.select(sensors.c.id).where(sensors.c.device_group_id == device_group_id)
        )
        where = sa.and_(where, assets.c.id.in_(sa.select(sensor_assets.c.asset_id).where(in_group)))
    rows = conn.execute(
        sa.select(assets.c.id, assets.c.workspace_id, assets.c.name)
        .join(workspaces, workspaces.c.id == assets.c.workspace_id)
        .where(where)
        .order_by(assets.c.id)
        .limit(1000)
    ).all()
    members: dict[int, list[int]] = defaultdict(list)
    for link in conn.execute(
        sa.select(sensor_assets)
        .where(sensor_assets.c.asset_id.in_([r.id for r in rows]), in_group)
        .order_by("sensor_id")
    ):
        members[link.asset_id].append(link.sensor_id)
    return [(r, members[r.id]) for r in rows]
