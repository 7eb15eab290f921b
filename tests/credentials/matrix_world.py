"""The world of the access matrix (test_matrix.py): who holds what, the keys, and the expected reach."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from tests.conftest import add_user, login, make_settings

Client = TestClient[Litestar]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
WINDOW = {"from": T0, "to": T0 + 3599}
GHOST = 2_000_000_000  # an id nothing has: what it answers is what an unreachable id must answer
BACKFILL_T = T0 - 86_400  # a day before the world's points: see probe_backfill
ERROR_FIELDS = {"timestamp", "path", "status", "error", "message", "requestId", "errorId", "traceId"}
ORGANIZATION = {"acme": "acme", "lab": "acme", "evil": "evil"}  # workspace -> organization
UNLIMITED = {"requests": 1_000_000, "window": "PT1M", "daily": 1_000_000}


@dataclass(frozen=True)
class Place:
    workspace: str
    group: str | None = None

    def __str__(self) -> str:
        return f"{self.workspace}/{self.group or '(no group)'}"


@dataclass(frozen=True)
class SensorSpec:
    name: str
    serial: str
    place: Place
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    workspace: str
    sensor: str | None = None  # watches one sensor,
    group: str | None = None  # or one device group; with neither, the whole workspace

    def __str__(self) -> str:
        return f"rule on sensor {self.sensor}" if self.sensor else f"rule on {Place(self.workspace, self.group)}"


SENSORS = {
    "g1a": SensorSpec("Freezer-G1A", "SN-FREEZER", Place("acme", "grp-one"), ("asset-cold", "asset-mixed")),
    "g1b": SensorSpec("Fridge-G1B", "SN-FRIDGE", Place("acme", "grp-one")),
    "g2": SensorSpec("Boiler-G2", "SN-BOILER", Place("acme", "grp-two"), ("asset-heat", "asset-mixed")),
    "loose": SensorSpec("Hallway-W1", "SN-HALLWAY", Place("acme"), ("asset-hall",)),
    "w2": SensorSpec("Bench-W2", "SN-BENCH", Place("lab", "grp-lab"), ("asset-lab",)),
    "b": SensorSpec("Evil-B", "SN-EVIL", Place("evil", "grp-evil"), ("asset-evil",)),
}
GROUPS = {"grp-one": "acme", "grp-two": "acme", "grp-lab": "lab", "grp-evil": "evil"}
ASSETS = sorted({a for s in SENSORS.values() for a in s.assets})
RULES = {
    "rule-freezer": RuleSpec("acme", sensor="g1a"),
    "rule-boiler": RuleSpec("acme", sensor="g2"),
    "rule-hallway": RuleSpec("acme", sensor="loose"),
    "rule-grp-one": RuleSpec("acme", group="grp-one"),
    "rule-grp-two": RuleSpec("acme", group="grp-two"),
    "rule-acme": RuleSpec("acme"),
    "rule-lab": RuleSpec("lab"),
    "rule-evil": RuleSpec("evil"),
}
# Temperatures that raise an alarm, resolve it and raise another: each (rule, sensor) has one of each kind.
TEMPERATURES = [20.0, 30.0, 22.0, 31.0]


@dataclass(frozen=True)
class Binding:
    organization: str
    workspaces: frozenset[str]
    group: str | None
    fields: dict[str, Any]  # for POST /v1/keys


BINDINGS = {
    "W1": Binding("acme", frozenset({"acme"}), None, {"workspaces": ["acme"]}),
    "W1+G1": Binding("acme", frozenset({"acme"}), "grp-one", {"workspaces": ["acme"], "deviceGroup": "grp-one"}),
    "A-all": Binding("acme", frozenset({"acme", "lab"}), None, {"allWorkspaces": True}),
    "A-but-W2": Binding("acme", frozenset({"acme"}), None, {"allWorkspaces": True, "excludeWorkspaces": ["lab"]}),
    "W2": Binding("acme", frozenset({"lab"}), None, {"workspaces": ["lab"]}),
    "B": Binding("evil", frozenset({"evil"}), None, {"workspaces": ["evil"]}),
}
SCOPE_SETS = {
    "read": ("data:read",),
    "write": ("data:write",),
    "sensors": ("sensors:write",),
    "manage": ("data:read", "sensors:write"),
    "keys": ("keys:read",),  # none of the data scopes
}


@dataclass(frozen=True)
class Cred:
    binding: Binding
    scopes: frozenset[str]

    def reaches_workspace(self, workspace: str) -> bool:
        return workspace in self.binding.workspaces

    def reaches_place(self, place: Place) -> bool:
        group = self.binding.group
        return self.reaches_workspace(place.workspace) and (group is None or place.group == group)

    def reaches(self, sensor: str) -> bool:
        return self.reaches_place(SENSORS[sensor].place)

    def sees_group(self, group: str) -> bool:
        return self.reaches_place(Place(GROUPS[group], group))

    def sees_rule(self, rule: RuleSpec) -> bool:
        """A rule watching its sensors: a workspace-wide one raises alarms on them, so it is shown too."""
        if rule.sensor is not None:
            return self.reaches(rule.sensor)
        if rule.group is not None:
            return self.sees_group(rule.group)
        return self.reaches_workspace(rule.workspace)

    def forbidden(self) -> set[str]:
        """Names that must never appear in a body this credential gets."""
        names = {t for k, s in SENSORS.items() if not self.reaches(k) for t in (s.name, s.serial)}
        names |= {g for g in GROUPS if not self.sees_group(g)}
        names |= {a for a in ASSETS if not any(self.reaches(k) for k, s in SENSORS.items() if a in s.assets)}
        return names | {n for n, rule in RULES.items() if not self.sees_rule(rule)}


CREDS = {
    f"{b}:{s}": Cred(binding, frozenset(scopes)) for b, binding in BINDINGS.items() for s, scopes in SCOPE_SETS.items()
}


@dataclass
class World:
    keys: Client  # holds no cookie: every request names its credential
    owners: dict[str, Client]  # organization -> its owner's console session
    ids: dict[str, int]  # workspaces, sensors, groups, assets and rules by their names above
    secrets: dict[str, str] = field(default_factory=dict)
    alarms: dict[int, tuple[str, bool]] = field(default_factory=dict)  # id -> (sensor, active)
    numbers: Iterator[int] = field(default_factory=itertools.count)
    issuers: dict[str, str] = field(default_factory=dict)  # credential -> the email of the user who made it

    def call(self, cred: str, method: str, path: str, **kwargs: Any) -> Response:
        return self.keys.request(method, path, headers={"X-API-Key": self.secrets[cred]}, **kwargs)

    def owner(self, workspace: str) -> Client:
        return self.owners[ORGANIZATION[workspace]]

    def fresh(self, prefix: str) -> str:
        return f"{prefix}-{next(self.numbers)}"

    def sensor_at(self, place: Place) -> int:
        """A throwaway sensor, made by the owner."""
        body = {"name": self.fresh("tmp"), "workspaceId": self.ids[place.workspace], "deviceGroup": place.group}
        return ok(
            self.owner(place.workspace).post("/v1/sensors", json={**body, "metrics": [{"metric": "temperature"}]})
        )["id"]

    def drop_sensor(self, place: Place, sensor: int) -> None:
        assert self.owner(place.workspace).delete(f"/v1/sensors/{sensor}").status_code in (204, 404)

    def rule_at(self, spec: RuleSpec, name: str) -> int:
        body: dict[str, Any] = {"name": name, "metric": "temperature", "condition": "above", "threshold": 25.0}
        if spec.sensor is not None:
            body["sensor"] = self.ids[spec.sensor]
        else:
            body |= {"workspaceId": self.ids[spec.workspace], "deviceGroup": spec.group}
        return ok(self.owner(spec.workspace).post("/v1/alarm-rules", json=body))["id"]

    def rules_named(self, name: str, workspace: str) -> list[int]:
        """Rules of that name, as the owner of the workspace's organization sees them."""
        return [r["id"] for r in ok(self.owner(workspace).get("/v1/alarm-rules"))["items"] if r["name"] == name]

    def sensors_named(self, name: str, workspace: str) -> list[int]:
        return [s["id"] for s in ok(self.owner(workspace).get("/v1/sensors", params={"q": name}))["items"]]


def ok(response: Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


class Report:
    """Mismatches of one credential on one endpoint, collected so that one failure lists them all."""

    def __init__(self, cred: str) -> None:
        self.cred, self.problems = cred, list[str]()
        self.forbidden = CREDS[cred].forbidden()

    def check(self, label: str, response: Response, status: int, error_fields: set[str] = ERROR_FIELDS) -> bool:
        """Record a wrong status, an error body of the wrong shape or a leaked name; True on the expected 2xx.

        A name the request itself carried may come back in its error message ("device group 'x' not found"):
        that tells the caller nothing it did not send.
        """
        sent = str(response.request.url) + response.request.content.decode(errors="replace")
        leaked = sorted(name for name in self.forbidden if name in response.text and name not in sent)
        if leaked:
            self.fail(label, f"leaks {leaked}: {response.text[:400]}")
        if response.status_code != status:
            self.fail(label, f"expected {status}, got {response.status_code}: {response.text[:400]}")
            return False
        if status >= 400 and not set(response.json()) >= error_fields:
            self.fail(label, f"not an error object: {response.text[:400]}")
        return status < 300

    def same_as_ghost(self, label: str, response: Response, ghost: Response) -> None:
        """An unreachable resource must be indistinguishable from one that does not exist."""
        if (ghost.status_code, shape(ghost)) != (response.status_code, shape(response)):
            self.fail(label, f"answers {response.text[:300]} but a missing one answers {ghost.text[:300]}")

    def expect(self, label: str, actual: object, expected: object) -> None:
        if actual != expected:
            self.fail(label, f"expected {expected!r}, got {actual!r}")

    def fail(self, label: str, message: str) -> None:
        self.problems.append(f"{self.cred} {label}: {message}")


def shape(response: Response) -> str:
    """The error's message and details with the ids taken out."""
    body = response.json()
    if "error" in body and isinstance(body["error"], list):  # a dialect's error, Aranet's: the request id goes too
        return re.sub(r"[0-9a-f]{32}|\d+", "#", str([e.get("message") for e in body["error"]]))
    return re.sub(r"\d+", "#", f"{body.get('message')} {body.get('details')}")


def status_for(cred: Cred, scope: str, reachable: bool, success: int, unreachable: int = 404) -> int:
    if scope not in cred.scopes:
        return 403
    return success if reachable else unreachable


# Read probes. ---------------------------------------------------------------------------------------------------


# The world. -----------------------------------------------------------------------------------------------------


def database(request: pytest.FixtureRequest, directory: Path) -> str:
    """A fresh migrated database, as conftest's `database_url` makes, but for the whole module."""
    if request.param == "sqlite":
        target = directory / "sensorgate.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    template = request.getfixturevalue("postgres_template")
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE sg_access_matrix TEMPLATE {template}")
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/sg_access_matrix"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # Module scope: the matrix is hundreds of checks, and building the world for each would dominate.
    directory = tmp_path_factory.mktemp("matrix")
    # Thousands of requests: the access log is tested elsewhere and would only slow them down here.
    app = create_app(make_settings(database(request, directory), directory, access_log=False))
    with ExitStack() as stack:
        keys, acme, evil = (
            stack.enter_context(TestClient(app=app, base_url="https://testserver.local")) for _ in range(3)
        )
        yield build(app, keys, acme, evil)


def build(app: Litestar, keys: Client, acme: Client, evil: Client) -> World:
    db = app.state.sensorgate.db
    add_user(db, "ann@acme.example", "acme")
    add_user(db, "eve@evil.example", "evil")
    login(acme, "ann@acme.example")
    login(evil, "eve@evil.example")
    ok(acme.post("/v1/workspaces", json={"slug": "lab", "name": "Lab"}))
    ids = {w["slug"]: w["id"] for c in (acme, evil) for w in ok(c.get("/v1/workspaces"))["items"]}
    world = World(keys, {"acme": acme, "evil": evil}, ids)
    for key, spec in SENSORS.items():
        body = {"name": spec.name, "serial": spec.serial, "deviceGroup": spec.place.group, "assets": list(spec.assets)}
        body |= {
            "workspaceId": ids[spec.place.workspace],
            "metrics": [{"metric": "temperature"}, {"metric": "humidity"}],
        }
        ids[key] = ok(world.owner(spec.place.workspace).post("/v1/sensors", json=body))["id"]
    for name, rule in RULES.items():
        ids[name] = world.rule_at(rule, name)
    for organization, owner in world.owners.items():
        items = [
            point
            for key, spec in SENSORS.items()
            if ORGANIZATION[spec.place.workspace] == organization
            for point in [{"sensor": ids[key], "metric": "humidity", "time": T0, "value": 50.0}]
            + [
                {"sensor": ids[key], "metric": "temperature", "time": T0 + 60 * i, "value": v}
                for i, v in enumerate(TEMPERATURES)
            ]
        ]
        ok(owner.post("/v1/measurements", json={"items": items}))
        for alarm in ok(owner.get("/v1/alarms", params=WINDOW))["items"]:
            sensor = next(k for k in SENSORS if ids[k] == alarm["sensor"])
            world.alarms[alarm["id"]] = (sensor, alarm["resolvedAt"] is None)
    # Every (rule, sensor it watches) raised one alarm that resolved and one that is active: the alarm
    # probes have something on both sides of every line.
    watched = [(n, k) for n, rule in RULES.items() for k in SENSORS if watches(rule, k)]
    assert sorted(w for w in world.alarms.values()) == sorted((k, a) for _, k in watched for a in (False, True))
    issue_keys(world, db)
    return world


def watches(rule: RuleSpec, sensor: str) -> bool:
    place = SENSORS[sensor].place
    if rule.sensor is not None:
        return rule.sensor == sensor
    return place.workspace == rule.workspace and (rule.group is None or rule.group == place.group)


def issue_keys(world: World, db: Any) -> None:
    """Every credential, made through POST /v1/keys by an owner of its organization."""
    # A user holds at most 5 active keys, so each organization's come from several owners, five apiece.
    issued = {"acme": 0, "evil": 0}
    issuer = {"acme": "", "evil": ""}
    for name, cred in CREDS.items():
        organization = cred.binding.organization
        client = world.owners[organization]
        if issued[organization] % 5 == 0:
            issuer[organization] = f"issuer{issued[organization]}@{organization}.example"
            add_user(db, issuer[organization], organization)
            login(client, issuer[organization])
        issued[organization] += 1
        # A few hundred calls per key in seconds: a plan's rate limit must not be what the matrix measures.
        body = {"name": name, "scopes": sorted(cred.scopes), "limits": UNLIMITED, **cred.binding.fields}
        world.secrets[name] = ok(client.post("/v1/keys", json=body))["secret"]
        world.issuers[name] = issuer[organization]
    login(world.owners["acme"], "ann@acme.example")
    login(world.owners["evil"], "eve@evil.example")


# The tests. -----------------------------------------------------------------------------------------------------
