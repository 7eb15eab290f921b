"""The access matrix: credential binding x scope over every data endpoint, with zero leaks.

One world, built once per database:

    organization acme  workspace acme (W1)  grp-one: Freezer-G1A, Fridge-G1B
                                            grp-two: Boiler-G2
                                            no group: Hallway-W1
                       workspace lab (W2)   grp-lab: Bench-W2
    organization evil  workspace evil       grp-evil: Evil-B

Every binding (W1; W1 + grp-one; all of acme; all of acme but lab; lab; evil) gets every scope set
(data:read; data:write; sensors:write; data:read + sensors:write; keys:read), each key made through
POST /v1/keys. Each test runs one credential against one endpoint over all its targets (every world sensor,
rule, workspace or device group it could name) and lists every mismatch at once.

What a credential reaches is written down here (Cred), from docs/api.md, not taken from src/: a sensor in one of
its workspaces and, when it is bound to a device group, in that group. A missing scope answers 403 whatever
the target; anything out of reach answers exactly what a missing id answers (404, or a 400 for a bad item
of a batch), never 403, and its names and serials never appear in a body. Inside a workspace it reaches, a
key bound to a device group may not write outside that group: 403, as POST /v1/sensors already answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from tests.credentials.matrix_world import (
    ASSETS,
    BACKFILL_T,
    CREDS,
    GHOST,
    GROUPS,
    RULES,
    SENSORS,
    TEMPERATURES,
    WINDOW,
    Cred,
    Place,
    Report,
    RuleSpec,
    World,
    ok,
    status_for,
)


def probe_metrics(w: World, r: Report, cred: Cred) -> None:
    # The catalogue holds no tenant data: every credential gets it.
    response = w.call(r.cred, "GET", "/v1/metrics")
    if r.check("GET /v1/metrics", response, 200):
        r.expect("GET /v1/metrics", "temperature" in {m["metric"] for m in response.json()["items"]}, True)


SENSOR_FILTERS: list[tuple[dict[str, str], Callable[[str], bool]]] = [
    ({}, lambda k: True),
    ({"workspaceId": "acme"}, lambda k: SENSORS[k].place.workspace == "acme"),
    ({"workspaceId": "lab"}, lambda k: SENSORS[k].place.workspace == "lab"),
    ({"workspaceId": "evil"}, lambda k: SENSORS[k].place.workspace == "evil"),
    ({"deviceGroup": "grp-one"}, lambda k: SENSORS[k].place.group == "grp-one"),
    ({"deviceGroup": "grp-two"}, lambda k: SENSORS[k].place.group == "grp-two"),
    ({"asset": "asset-mixed"}, lambda k: "asset-mixed" in SENSORS[k].assets),
    ({"asset": "asset-heat"}, lambda k: "asset-heat" in SENSORS[k].assets),
    ({"q": "SN-"}, lambda k: True),
]


def probe_list_sensors(w: World, r: Report, cred: Cred) -> None:
    for params, wanted in SENSOR_FILTERS:
        query = {k: str(w.ids[v]) if k == "workspaceId" else v for k, v in params.items()}
        label = f"GET /v1/sensors {params}"
        response = w.call(r.cred, "GET", "/v1/sensors", params=query)
        if r.check(label, response, status_for(cred, "data:read", True, 200)):
            expected = [k for k in SENSORS if cred.reaches(k) and wanted(k)]
            body = response.json()
            r.expect(label, [s["id"] for s in body["items"]], sorted(w.ids[k] for k in expected))
            r.expect(label + " totalItems", body["totalItems"], len(expected))


def probe_get_sensor(w: World, r: Report, cred: Cred) -> None:
    for key, spec in SENSORS.items():
        label = f"GET /v1/sensors/{{{key}}}"
        response = w.call(r.cred, "GET", f"/v1/sensors/{w.ids[key]}")
        if r.check(label, response, status_for(cred, "data:read", cred.reaches(key), 200)):
            body = response.json()
            r.expect(label, (body["id"], body["name"], body["serial"]), (w.ids[key], spec.name, spec.serial))
        elif response.status_code == 404:
            r.same_as_ghost(label, response, w.call(r.cred, "GET", f"/v1/sensors/{GHOST}"))


# Single sensors, then pairs where a credential may reach one and not the other: a pair is all or nothing.
SENSOR_SETS = [(k,) for k in SENSORS] + [("g1a", "g2"), ("g1a", "w2"), ("w2", "b")]


def sensor_param(w: World, cred: Cred, keys: tuple[str, ...], ghost: bool = False) -> str:
    """The sensor= value; as a ghost, every unreachable sensor is replaced by an id that does not exist."""
    return ",".join(str(GHOST if ghost and not cred.reaches(k) else w.ids[k]) for k in keys)


def probe_series(w: World, r: Report, cred: Cred, path: str, params: dict[str, Any], count: Callable[..., int]) -> None:
    """One read of series per sensor set; `count` says how many points (or buckets' points) each sensor has."""
    for keys in SENSOR_SETS:
        label = f"GET {path} {params} sensor={{{','.join(keys)}}}"
        query = {**params, "sensor": sensor_param(w, cred, keys)}
        response = w.call(r.cred, "GET", path, params=query)
        reachable = all(cred.reaches(k) for k in keys)
        if r.check(label, response, status_for(cred, "data:read", reachable, 200)):
            items = response.json()["items"]
            r.expect(label + " sensors", sorted({i["sensor"] for i in items}), sorted(w.ids[k] for k in keys))
            r.expect(label + " count", sum(count(i) for i in items), len(keys) * count(None))
        elif response.status_code == 404:
            ghost = {**query, "sensor": sensor_param(w, cred, keys, ghost=True)}
            r.same_as_ghost(label, response, w.call(r.cred, "GET", path, params=ghost))


def probe_latest(w: World, r: Report, cred: Cred) -> None:
    response = w.call(r.cred, "GET", "/v1/measurements/latest")
    if r.check("GET /v1/measurements/latest", response, status_for(cred, "data:read", True, 200)):
        pairs = {(i["sensor"], i["metric"]) for i in response.json()["items"]}
        expected = {(w.ids[k], m) for k in SENSORS if cred.reaches(k) for m in ("temperature", "humidity")}
        r.expect("GET /v1/measurements/latest", pairs, expected)
    probe_series(w, r, cred, "/v1/measurements/latest", {}, lambda item: 1 if item else 2)


def probe_history(w: World, r: Report, cred: Cred) -> None:
    points = len(TEMPERATURES) + 1
    probe_series(w, r, cred, "/v1/measurements", WINDOW, lambda item: 1 if item else points)
    probe_series(w, r, cred, "/v1/measurements", {**WINDOW, "metric": "temperature"}, lambda i: 1 if i else points - 1)


def probe_aggregate(w: World, r: Report, cred: Cred) -> None:
    points = len(TEMPERATURES) + 1
    params = {**WINDOW, "bucket": "PT1H"}
    probe_series(w, r, cred, "/v1/measurements/aggregate", params, lambda item: item["count"] if item else points)


def probe_rules(w: World, r: Report, cred: Cred) -> None:
    response = w.call(r.cred, "GET", "/v1/alarm-rules")
    if r.check("GET /v1/alarm-rules", response, status_for(cred, "data:read", True, 200)):
        names = sorted(i["name"] for i in response.json()["items"])
        r.expect("GET /v1/alarm-rules", names, sorted(n for n, rule in RULES.items() if cred.sees_rule(rule)))


def probe_alarms(w: World, r: Report, cred: Cred) -> None:
    for path, params, active_only in (("/v1/alarms/active", {}, True), ("/v1/alarms", WINDOW, False)):
        response = w.call(r.cred, "GET", path, params=params)
        if r.check(f"GET {path}", response, status_for(cred, "data:read", True, 200)):
            expected = {a for a, (k, active) in w.alarms.items() if cred.reaches(k) and (active or not active_only)}
            r.expect(f"GET {path}", sorted(i["id"] for i in response.json()["items"]), sorted(expected))


def probe_assets(w: World, r: Report, cred: Cred) -> None:
    # An asset shows when it holds a sensor the credential reaches, and lists only those sensors.
    response = w.call(r.cred, "GET", "/v1/assets")
    if r.check("GET /v1/assets", response, status_for(cred, "data:read", True, 200)):
        members = {a: sorted(w.ids[k] for k, s in SENSORS.items() if a in s.assets and cred.reaches(k)) for a in ASSETS}
        expected = {a: ids for a, ids in members.items() if ids}
        r.expect("GET /v1/assets", {i["name"]: sorted(i["sensors"]) for i in response.json()["items"]}, expected)


def probe_device_groups(w: World, r: Report, cred: Cred) -> None:
    response = w.call(r.cred, "GET", "/v1/device-groups")
    if r.check("GET /v1/device-groups", response, status_for(cred, "data:read", True, 200)):
        counts = {g: sum(s.place.group == g for s in SENSORS.values()) for g in GROUPS if cred.sees_group(g)}
        r.expect("GET /v1/device-groups", {i["name"]: i["sensors"] for i in response.json()["items"]}, counts)


# The Aranet dialect (/api/v1) reaches exactly what /v1 does: the same guard and services, Aranet's shapes. Its
# errors are {"error": [...]}, and a read that names what the key cannot reach answers 200 {}, as Aranet does. -----
ARANET_ERROR = {"error"}


def probe_aranet(w: World, r: Report, cred: Cred) -> None:
    reached = sorted(str(w.ids[k]) for k in SENSORS if cred.reaches(k))
    for path in ("/api/v1/sensors", "/api/v1/measurements/last"):
        response = w.call(r.cred, "GET", path)
        if r.check(f"GET {path}", response, status_for(cred, "data:read", True, 200), ARANET_ERROR):
            body = response.json()
            found = body.get("sensors") or body.get("readings") or []
            r.expect(f"GET {path}", sorted({item.get("sensor", item.get("id")) for item in found}), reached)
    for key in SENSORS:
        label = f"GET /api/v1/sensors/sensor/{{{key}}}"
        response = w.call(r.cred, "GET", f"/api/v1/sensors/sensor/{w.ids[key]}")
        if r.check(label, response, status_for(cred, "data:read", cred.reaches(key), 200), ARANET_ERROR):
            r.expect(label, response.json()["sensor"]["sensorId"], SENSORS[key].serial)
        elif response.status_code == 404:
            r.same_as_ghost(label, response, w.call(r.cred, "GET", f"/api/v1/sensors/sensor/{GHOST}"))
    points = len(TEMPERATURES) + 1
    for keys in SENSOR_SETS:
        label = f"GET /api/v1/measurements/history sensor={{{','.join(keys)}}}"
        query = {**WINDOW, "sensor": sensor_param(w, cred, keys)}
        response = w.call(r.cred, "GET", "/api/v1/measurements/history", params=query)
        if r.check(label, response, status_for(cred, "data:read", True, 200), ARANET_ERROR):
            readings = response.json().get("readings", [])
            wanted = [k for k in keys if cred.reaches(k)] if all(cred.reaches(k) for k in keys) else []
            r.expect(label + " sensors", sorted({x["sensor"] for x in readings}), sorted(str(w.ids[k]) for k in wanted))
            r.expect(label + " count", len(readings), len(wanted) * points)
    for path in ("/api/v1/assets", "/api/v1/tags", "/api/v1/alarms/actual", "/api/v1/alarms/rules"):
        r.check(f"GET {path}", w.call(r.cred, "GET", path), status_for(cred, "data:read", True, 200), ARANET_ERROR)


# The Aquanow dialect (/users/v1): a key lists the keys of the user who made it, never another user's or tenant's.
# Creating and deleting need keys:write, the usage usage:read: no key here holds them. Errors are {"message"}. -----
AQUANOW_ERROR = {"message"}


def probe_aquanow(w: World, r: Report, cred: Cred) -> None:
    for method, params in (("POST", {}), ("DELETE", {"key": "sgp_" + "0" * 28})):
        response = w.call(r.cred, method, "/users/v1/apiKey", params=params)
        r.check(f"{method} /users/v1/apiKey", response, status_for(cred, "keys:write", True, 200), AQUANOW_ERROR)
    response = w.call(r.cred, "GET", "/users/v1/apiKeyUsage")
    r.check("GET /users/v1/apiKeyUsage", response, status_for(cred, "usage:read", True, 200), AQUANOW_ERROR)
    # Listed after the refused create: the user's five keys, and nothing new among them.
    response = w.call(r.cred, "GET", "/users/v1/apiKey")
    siblings = sorted(w.secrets[n][:8] for n, issuer in w.issuers.items() if issuer == w.issuers[r.cred])
    if r.check("GET /users/v1/apiKey", response, status_for(cred, "keys:read", True, 200), AQUANOW_ERROR):
        r.expect("GET /users/v1/apiKey", sorted(k["key"] for k in response.json()), siblings)


# Write probes. Each checks afterwards that a refused write wrote nothing, and leaves the world as it found it:
# what could delete or move something aims at a throwaway copy made by the owner, so that a wrongly accepted
# write cannot take the world (and every later probe) down with it. ------------------------------------------


def probe_create_sensor(w: World, r: Report, cred: Cred) -> None:
    for place in [Place("acme"), Place("acme", "grp-one"), Place("acme", "grp-two"), Place("lab"), Place("evil")]:
        label = f"POST /v1/sensors into {place}"
        name = w.fresh("new")
        body = {"name": name, "metrics": [{"metric": "temperature"}], "deviceGroup": place.group}
        expected = status_for(cred, "sensors:write", cred.reaches_workspace(place.workspace), 201)
        if expected == 201 and not cred.reaches_place(place):
            expected = 403  # a credential bound to a device group creates sensors only in it
        response = w.call(r.cred, "POST", "/v1/sensors", json={**body, "workspaceId": w.ids[place.workspace]})
        if r.check(label, response, expected):
            created = response.json()
            r.expect(label, (created["workspaceId"], created["deviceGroup"]), (w.ids[place.workspace], place.group))
        elif response.status_code == 404:
            r.same_as_ghost(label, response, w.call(r.cred, "POST", "/v1/sensors", json={**body, "workspaceId": GHOST}))
        written_and_cleaned(w, r, label, name, place.workspace, expected == 201)
    for source in ("g1b", "g2", "loose"):
        probe_virtual_sensor(w, r, cred, source)


def probe_virtual_sensor(w: World, r: Report, cred: Cred, source: str) -> None:
    """A virtual metric reads another sensor's series: that sensor must be one the credential reaches."""
    label = f"POST /v1/sensors virtual over {{{source}}}"
    name = w.fresh("virtual")

    def body(sensor: int) -> dict[str, Any]:
        inputs = {"t": {"sensor": sensor, "metric": "temperature"}}
        metric = {"metric": "mirror", "unit": "°C", "expression": "t", "inputs": inputs}
        return {"name": name, "workspaceId": w.ids["acme"], "deviceGroup": "grp-one", "metrics": [metric]}

    expected = status_for(cred, "sensors:write", cred.reaches_place(Place("acme", "grp-one")), 201)
    if expected == 201 and not cred.reaches(source):
        expected = 400  # what a sensor that does not exist answers
    response = w.call(r.cred, "POST", "/v1/sensors", json=body(w.ids[source]))
    if not r.check(label, response, expected) and response.status_code == 400:
        r.same_as_ghost(label, response, w.call(r.cred, "POST", "/v1/sensors", json=body(GHOST)))
    written_and_cleaned(w, r, label, name, "acme", expected == 201)


def written_and_cleaned(w: World, r: Report, label: str, name: str, workspace: str, should_exist: bool) -> None:
    # A write lands in the workspace it names, so that is where to look for one that should not have.
    found = w.sensors_named(name, workspace)
    r.expect(label + " written", len(found), 1 if should_exist else 0)
    for sensor in found:
        assert w.owner(workspace).delete(f"/v1/sensors/{sensor}").status_code == 204


def probe_patch_sensor(w: World, r: Report, cred: Cred) -> None:
    # Tags are the one thing no other probe reads, so the world's own sensors can take them.
    for key in SENSORS:
        label = f"PATCH /v1/sensors/{{{key}}}"
        marker = w.fresh("tag")
        response = w.call(r.cred, "PATCH", f"/v1/sensors/{w.ids[key]}", json={"tags": [marker]})
        expected = status_for(cred, "sensors:write", cred.reaches(key), 200)
        if not r.check(label, response, expected) and response.status_code == 404:
            ghost = w.call(r.cred, "PATCH", f"/v1/sensors/{GHOST}", json={"tags": [marker]})
            r.same_as_ghost(label, response, ghost)
        tags = ok(w.owner(SENSORS[key].place.workspace).get(f"/v1/sensors/{w.ids[key]}"))["tags"]
        r.expect(label + " written", marker in tags, expected == 200)
    for key, group in (("g1a", "grp-two"), ("loose", "grp-one")):
        label = f"PATCH /v1/sensors/{{{key}}} deviceGroup={group}"
        place = SENSORS[key].place
        expected = status_for(cred, "sensors:write", cred.reaches(key), 200)
        if expected == 200 and not cred.reaches_place(Place(place.workspace, group)):
            expected = 403  # it may not move a sensor out of its device group
        sensor = w.sensor_at(place)
        r.check(label, w.call(r.cred, "PATCH", f"/v1/sensors/{sensor}", json={"deviceGroup": group}), expected)
        now_in = ok(w.owner(place.workspace).get(f"/v1/sensors/{sensor}"))["deviceGroup"]
        r.expect(label + " written", now_in, group if expected == 200 else place.group)
        w.drop_sensor(place, sensor)


def probe_delete_sensor(w: World, r: Report, cred: Cred) -> None:
    for key, spec in SENSORS.items():
        label = f"DELETE /v1/sensors/{{{key}}}"
        expected = status_for(cred, "sensors:write", cred.reaches(key), 204)
        sensor = w.sensor_at(spec.place)
        response = w.call(r.cred, "DELETE", f"/v1/sensors/{sensor}")
        if not r.check(label, response, expected) and response.status_code == 404:
            r.same_as_ghost(label, response, w.call(r.cred, "DELETE", f"/v1/sensors/{GHOST}"))
        still = w.owner(spec.place.workspace).get(f"/v1/sensors/{sensor}").status_code
        r.expect(label + " written", still, 404 if expected == 204 else 200)
        w.drop_sensor(spec.place, sensor)


def probe_backfill(w: World, r: Report, cred: Cred) -> None:
    # Each point goes to a world sensor at its own time, a day before the world's data: older than every
    # point a latest value, a window or an alarm looks at, so even a wrongly accepted one changes nothing
    # another probe reads. An unreachable sensor is a bad item (400, listed by index), worded as a missing one.
    for keys in SENSOR_SETS:
        label = f"POST /v1/measurements sensor={{{','.join(keys)}}}"
        t = BACKFILL_T - next(w.numbers)

        expected = status_for(cred, "data:write", all(cred.reaches(k) for k in keys), 200, unreachable=400)
        response = w.call(r.cred, "POST", "/v1/measurements", json=batch(sensor_param(w, cred, keys), t))
        if r.check(label, response, expected):
            r.expect(label, response.json(), {"accepted": len(keys), "replaced": 0})
        elif response.status_code == 400:
            bad = [d["index"] for d in response.json()["details"]]
            r.expect(label + " bad items", bad, [i for i, k in enumerate(keys) if not cred.reaches(k)])
            ghost = w.call(r.cred, "POST", "/v1/measurements", json=batch(sensor_param(w, cred, keys, ghost=True), t))
            r.same_as_ghost(label, response, ghost)
        for key in keys:
            window = {"sensor": w.ids[key], "from": t, "to": t + 1}  # [from, to): one second
            points = ok(w.owner(SENSORS[key].place.workspace).get("/v1/measurements", params=window))["items"]
            r.expect(f"{label} written to {key}", len(points), 1 if expected == 200 else 0)


def batch(sensors: str, t: int) -> dict[str, Any]:
    return {"items": [{"sensor": int(s), "metric": "temperature", "time": t, "value": 1.5} for s in sensors.split(",")]}


def rule_status(cred: Cred, rule: RuleSpec, success: int) -> int:
    expected = status_for(cred, "sensors:write", cred.sees_rule(rule), success)
    if expected == success and cred.binding.group is not None and rule.sensor is None and rule.group is None:
        expected = 403  # a workspace-wide rule watches sensors outside the credential's device group
    return expected


def probe_create_rule(w: World, r: Report, cred: Cred) -> None:
    for rule in RULES.values():
        label = f"POST /v1/alarm-rules {rule}"
        name = w.fresh("rule")
        body: dict[str, Any] = {"name": name, "metric": "temperature", "condition": "above", "threshold": 99.0}
        target = {"sensor": w.ids[rule.sensor]} if rule.sensor else {"workspaceId": w.ids[rule.workspace]}
        if rule.group:
            target["deviceGroup"] = rule.group
        expected = rule_status(cred, rule, 201)
        response = w.call(r.cred, "POST", "/v1/alarm-rules", json={**body, **target})
        # A device group is named by the caller, and so is echoed in its 404: only ids can be ghosts.
        if not r.check(label, response, expected) and response.status_code == 404 and not rule.group:
            ghost = {k: GHOST for k in target}
            r.same_as_ghost(label, response, w.call(r.cred, "POST", "/v1/alarm-rules", json={**body, **ghost}))
        found = w.rules_named(name, rule.workspace)
        r.expect(label + " written", len(found), 1 if expected == 201 else 0)
        for made in found:
            assert w.owner(rule.workspace).delete(f"/v1/alarm-rules/{made}").status_code == 204


def probe_delete_rule(w: World, r: Report, cred: Cred) -> None:
    for name, rule in RULES.items():
        label = f"DELETE /v1/alarm-rules/{{copy of {name}}}"
        expected = rule_status(cred, rule, 204)
        target = w.fresh("rule")
        rule_id = w.rule_at(rule, target)
        response = w.call(r.cred, "DELETE", f"/v1/alarm-rules/{rule_id}")
        if not r.check(label, response, expected) and response.status_code == 404:
            r.same_as_ghost(label, response, w.call(r.cred, "DELETE", f"/v1/alarm-rules/{GHOST}"))
        remaining = w.rules_named(target, rule.workspace)
        r.expect(label + " written", remaining, [] if expected == 204 else [rule_id])
        for left in remaining:
            assert w.owner(rule.workspace).delete(f"/v1/alarm-rules/{left}").status_code == 204


PROBES: dict[str, Callable[[World, Report, Cred], None]] = {
    "metrics": probe_metrics,
    "list-sensors": probe_list_sensors,
    "get-sensor": probe_get_sensor,
    "latest": probe_latest,
    "history": probe_history,
    "aggregate": probe_aggregate,
    "alarm-rules": probe_rules,
    "alarms": probe_alarms,
    "assets": probe_assets,
    "device-groups": probe_device_groups,
    "aranet": probe_aranet,
    "aquanow": probe_aquanow,
    "create-sensor": probe_create_sensor,
    "patch-sensor": probe_patch_sensor,
    "delete-sensor": probe_delete_sensor,
    "backfill": probe_backfill,
    "create-rule": probe_create_rule,
    "delete-rule": probe_delete_rule,
}


def test_names_are_unambiguous() -> None:
    """A leak is found by name, so no name a credential may see can contain one it may not."""
    for cred in CREDS.values():
        forbidden = cred.forbidden()
        seen = {t for k, s in SENSORS.items() if cred.reaches(k) for t in (s.name, s.serial)}
        seen |= set(GROUPS) | set(ASSETS) | set(RULES)
        assert not [(f, s) for f in forbidden for s in seen - forbidden if f in s]


@pytest.mark.parametrize(("cred", "probe"), list(itertools.product(CREDS, PROBES)))
def test_matrix(world: World, cred: str, probe: str) -> None:
    report = Report(cred)
    PROBES[probe](world, report, CREDS[cred])
    assert not report.problems, "\n".join(report.problems)
