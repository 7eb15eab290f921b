"""`sensorgate demo seed`: demo sensors with realistic readings, and the progress bar `serve --demo` shares."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from sensorgate.cli.common import console, database, db_option, err_console
from sensorgate.demo.sizes import (
    DEFAULT_DAYS,
    DEFAULT_INTERVAL,
    DEFAULT_SENSORS,
    MAX_DAYS,
    MAX_INTERVAL,
    MAX_POINTS,
    MAX_SENSORS,
    MIN_INTERVAL,
)

if TYPE_CHECKING:
    from sensorgate.db.engine import Database
    from sensorgate.demo.seed import Plan, Written


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command()
@click.option("--sensors", "count", default=DEFAULT_SENSORS, show_default=True, type=click.IntRange(1, MAX_SENSORS))
@click.option("--days", default=DEFAULT_DAYS, show_default=True, type=click.IntRange(1, MAX_DAYS))
@click.option(
    "--interval",
    default=DEFAULT_INTERVAL,
    show_default=True,
    type=click.IntRange(MIN_INTERVAL, MAX_INTERVAL),
    help="seconds between readings",
)
@db_option
def seed(count: int, days: int, interval: int, db_url: str | None) -> None:
    """Fill the demo workspace with sensors and their readings up to now.

    Creates the `demo` organization, workspace and owner when missing (the owner's password is kept in the
    data dir's demo.json), then the demo sensors: rooms, cold stores, pumps and boilers, plus a virtual dew
    point sensor. Readings follow daily cycles with drift, noise and the odd outage, and are the same on
    every run.

    Run again, it adds those of the first N demo sensors that are missing, and gives each of them the
    readings before its first and after its last point within the window, up to now. Points already there
    are kept, and sensors not made by this command are left alone.
    """
    from sensorgate.demo.owner import seed_demo
    from sensorgate.demo.seed import requested_points

    points = requested_points(count, days, interval)
    if points > MAX_POINTS:
        raise click.UsageError(
            f"{count} sensors over {days} days every {interval} s make about {points:,} points; the limit is "
            f"{MAX_POINTS:,}. Use fewer sensors, fewer days or a longer --interval."
        )
    with database(db_url, require_secrets=False) as (db, settings):
        info = seed_demo(db, settings)
        plan, written = seed_with_progress(db, count, days, interval)
    console.print(summary(plan, written), soft_wrap=True)
    kept = os.path.join(settings.data_dir, "demo.json")
    console.print(f"log in as {info.email}; the password is in {kept}", soft_wrap=True)


def seed_with_progress(
    db: Database, count: int, days: int, interval: int, *, only_if_empty: bool = False
) -> tuple[Plan, Written]:
    """Plan and write the demo data, with a progress bar on stderr while points are written."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from sensorgate.demo.seed import Written, prepare, write

    plan = prepare(db, count, days, interval, only_if_empty=only_if_empty)
    if not plan.points:
        return plan, Written(0, 0.0)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} points"),
        points_per_second(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console.rich, transient=True) as progress:
        task = progress.add_task("demo data", total=plan.points)
        written = write(db, plan, lambda n: progress.advance(task, n))
    return plan, written


def points_per_second() -> Any:
    """A progress column: the points written per second."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class PointsPerSecond(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} points/s" if speed else "", style="progress.data.speed")

    return PointsPerSecond()


def summary(plan: Plan, written: Written) -> str:
    from sensorgate.kit.times import format_time

    if plan.skipped:
        return f"demo data: the demo workspace already has {len(plan.sensor_ids)} sensors; nothing was added"
    sensors = f"{_sensors(plan.created)} created, {plan.kept or 'none'} already there"
    if not written.points:
        return f"demo data: {sensors}; their readings were already up to date"
    rate = written.points / written.seconds if written.seconds else 0.0
    return (
        f"demo data: {sensors}; {written.points:,} points written in {written.seconds:.2f} s "
        f"({rate:,.0f} points/s), one every {plan.step // 1000} s from {format_time(plan.start)} "
        f"to {format_time(plan.end)}"
    )


def _sensors(count: int) -> str:
    return "no sensors" if count == 0 else "1 sensor" if count == 1 else f"{count} sensors"
