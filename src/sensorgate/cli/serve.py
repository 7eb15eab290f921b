"""`sensorgate serve`: the HTTP service under granian."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from sensorgate.cli.common import console, db_option, err_console, require_newest_schema, settings_for

if TYPE_CHECKING:
    from sensorgate.demo.owner import DemoInfo
    from sensorgate.demo.seed import Plan
    from sensorgate.settings import Settings


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="server processes")
@click.option("--demo", is_flag=True, help="try it out: generated secrets, migrations and a demo organization")
@click.option("--migrate", "run_migrations", is_flag=True, help="migrate the database before serving")
def serve(db_url: str | None, host: str, port: int, workers: int, demo: bool, run_migrations: bool) -> None:
    """Serve the API, the docs and the console."""
    from granian import Granian
    from granian.constants import Interfaces

    if demo:
        os.environ["SENSORGATE_MODE"] = "demo"
    _refuse_a_busy_port(host, port)
    settings = settings_for(db_url, require_secrets=True)
    # Workers started by granian read their settings from the environment, so the choices must live there.
    if db_url:
        os.environ["SENSORGATE_DATABASE_URL"] = db_url
    # Workers re-read settings from the environment; pin the data dir so they find demo secrets.
    os.environ["SENSORGATE_DATA_DIR"] = os.path.abspath(settings.data_dir)
    prepared = _prepare_database(settings, migrate_first=demo or run_migrations, demo=demo)
    if workers > 1:
        _multiprocess_metrics(settings)
        if settings.sqlalchemy_url.startswith("sqlite"):
            err_console.print(
                "[yellow]warning:[/yellow] several workers on one SQLite file take turns to write; "
                "use PostgreSQL to scale out"
            )
        if not settings.redis_url:
            err_console.print(
                "[yellow]warning:[/yellow] without SENSORGATE_REDIS_URL each worker keeps its own counters: "
                "rate limits and daily quotas count per worker (N workers let N times the limit through), a "
                "signed request's nonce could be replayed to another worker within 300 s, and the login and "
                "token limits count per worker; set SENSORGATE_REDIS_URL to share them"
            )
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    if prepared:
        _print_demo(base, *prepared)
    else:
        console.print(f"sensorgate listening on {base} (docs at {base}/docs)")
    Granian(
        target="sensorgate.app:app_from_env",
        factory=True,
        interface=Interfaces.ASGI,
        address=host,
        port=port,
        workers=workers,
        # Our own middleware writes the access log, in JSON and without secrets.
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


def _refuse_a_busy_port(host: str, port: int) -> None:
    """Stop at once when something listens on the port: granian binds with SO_REUSEPORT, so a second server on
    a port in use would start without a word and take half of the first one's requests."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port left in TIME_WAIT by a server that just stopped is free; a listening one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"port {port} on {host} is in use ({exc.strerror}): is another sensorgate serve running there? "
                "Stop it, or choose another --port"
            ) from None


def _prepare_database(settings: Settings, *, migrate_first: bool, demo: bool) -> tuple[DemoInfo, Plan] | None:
    """Migrate or check the schema; in demo mode also seed, and return the owner and what the demo holds."""
    from sensorgate.cli.demo import seed_with_progress, summary
    from sensorgate.db import migrate
    from sensorgate.db.engine import Database, create_engine
    from sensorgate.demo.owner import seed_demo
    from sensorgate.demo.sizes import DEFAULT_DAYS, DEFAULT_INTERVAL, DEFAULT_SENSORS

    engine = create_engine(settings.sqlalchemy_url)
    try:
        if migrate_first:
            migrate.upgrade(engine)
        else:
            require_newest_schema(engine)
        if not demo:
            return None
        db = Database(engine)
        info = seed_demo(db, settings)
        # Only into an empty workspace: a restart must not add to what the first start (or the user) made.
        plan, written = seed_with_progress(db, DEFAULT_SENSORS, DEFAULT_DAYS, DEFAULT_INTERVAL, only_if_empty=True)
        console.print(summary(plan, written), soft_wrap=True)
        return info, plan
    finally:
        engine.dispose()


def _multiprocess_metrics(settings: Settings) -> None:
    """Each worker writes its metrics to files here, and /metrics in any worker sums them all."""
    import shutil
    from pathlib import Path

    directory = Path(settings.data_dir).resolve() / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _print_demo(base: str, info: DemoInfo, plan: Plan) -> None:
    console.print("\n[bold green]sensorgate demo[/bold green]")
    console.print(f"  Console   {base}/")
    console.print(f"  API docs  {base}/docs")
    console.print(f"  Login     {info.email}")
    console.print(f"  Password  {info.password}")
    console.print(f"  Sensors   {len(plan.sensor_ids)} in workspace {info.workspace}, with recent readings")
    if info.api_key:
        console.print(f"  API key   {info.api_key} (read-only, demo workspace)")
    latest = f"{base}/v1/measurements/latest" + (f"?sensor={plan.sensor_ids[0]}" if plan.sensor_ids else "")
    console.print("\nNext step: log in at the console, or from a shell:")
    if info.api_key:
        console.print(f"  curl -s -H 'X-API-Key: {info.api_key}' '{latest}'", soft_wrap=True)
    console.print(
        f"  curl -s -c /tmp/sg.cookies -H 'Content-Type: application/json' "
        f'-d \'{{"email":"{info.email}","password":"{info.password}"}}\' {base}/v1/auth/login\n'
        f"  curl -s -b /tmp/sg.cookies {base}/v1/me\n"
        f"  curl -s -b /tmp/sg.cookies '{latest}'\n",
        soft_wrap=True,
    )
