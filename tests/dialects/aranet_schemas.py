"""The parts of Aranet's published OpenAPI 3.0.3 document (Aranet Cloud API 1.0) that our answers must satisfy,
restated here as our own test data: each answer's properties and their types. Aranet marks no property as
required; we check that every property we send is one of Aranet's with Aranet's type, and name the ones our
answers always carry."""

from __future__ import annotations

from typing import Any

S, INT, N, B = "string", "integer", "number", "boolean"

LINK = {"rel": S, "name": S, "href": S}
LINKS = {"*": [LINK]}  # additionalProperties: arrays of links
ERROR = {"message": S, "id": S, "details": [{"action": S, "id": S, "name": S, "type": S}]}
BASE = {"error": [ERROR], "links": LINKS}

READING = {
    "sensor": S,
    "metric": S,
    "unit": S,
    "value": N,
    "time": S,
    "novelty": S,
    "probe": INT,
    "asset": {"id": S, "name": S, "href": S, "args": {"*": S}},
    "point": {"id": S, "name": S, "href": S, "args": {"*": S}},
}
SENSOR = {
    "id": S,
    "sensorId": S,
    "name": S,
    "type": S,
    "skills": [{"metric": S, "active": B, "probes": [{"probe": INT}]}],
    "tags": [S],
    "bases": [S],
    "files": [LINK],
    "pairing": [{"base": S, "paired": S, "removed": S}],
    "probes": [{"color": S, "label": S, "name": S, "probe": INT}],
}
UNIT = {"id": S, "name": S, "precision": INT, "default": B, "selected": B}
METRIC = {"id": S, "name": S, "kind": S, "icon": S, "sensors": INT, "units": [UNIT]}
SENSOR_TYPE = {"id": S, "name": S, "icon": S, "isVirtual": B, "conversionType": {"id": S}}
TAG = {"id": S, "name": S, "notes": S, "type": {"id": S, "name": S, "color": "any", "icon": "any"}}
ASSET = {
    "id": S,
    "name": S,
    "location": S,
    "notes": S,
    "tags": [S],
    "files": [LINK],
    "points": [
        {
            "id": S,
            "name": S,
            "skills": [{"metric": S, "active": B}],
            "associations": [{"id": S, "sensor": S, "probe": INT, "placed": S, "removed": S}],
        }
    ],
}
ALARM = {
    "id": S,
    "sensor": S,
    "metric": S,
    "rule": S,
    "severity": INT,
    "alarmed": S,
    "resolved": S,
    "unit": S,
    "value": N,
    "worst": N,
    "threshold": S,
    "note": S,
}
RULE = {"id": S, "name": S, "metric": S, "notes": S, "created": S}

SENSORS = {**BASE, "sensors": [SENSOR]}
SENSOR_ONE = {**BASE, "sensor": SENSOR}
READINGS = {**BASE, "readings": [READING], "next": S, "self": S}
SENSOR_TYPES = {**BASE, "sensorTypes": [SENSOR_TYPE]}
SENSOR_TYPE_ONE = {**BASE, "sensorType": SENSOR_TYPE}
METRICS = {**BASE, "metrics": [METRIC]}
METRIC_ONE = {**BASE, "metric": METRIC}
UNIT_ONE = {**BASE, "unit": UNIT}
ASSETS = {**BASE, "assets": [ASSET]}
ASSET_ONE = {**BASE, "asset": ASSET}
TAGS = {**BASE, "tags": [TAG]}
TAG_ONE = {**BASE, "tag": TAG}
ALARMS = {**BASE, "alarms": [ALARM], "self": S}
RULES = {**BASE, "rules": [RULE]}
RULE_ONE = {**BASE, "rule": RULE}
BASES = {**BASE, "bases": [{"id": S, "name": S}]}

_TYPES: dict[str, tuple[type, ...]] = {S: (str,), INT: (int,), N: (int, float), B: (bool,)}


def problems(value: Any, schema: Any, at: str = "$") -> list[str]:
    """Where `value` strays from `schema`: an unknown property, or a value of another type."""
    if schema == "any":
        return []
    if isinstance(schema, str):
        kinds = _TYPES[schema]
        ok = isinstance(value, kinds) and not (schema in (INT, N) and isinstance(value, bool))
        return [] if ok else [f"{at}: {value!r} is not a {schema}"]
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{at}: not an array"]
        return [p for i, item in enumerate(value) for p in problems(item, schema[0], f"{at}[{i}]")]
    if not isinstance(value, dict):
        return [f"{at}: not an object"]
    found = []
    for key, item in value.items():
        if key in schema:
            found += problems(item, schema[key], f"{at}.{key}")
        elif "*" in schema:
            found += problems(item, schema["*"], f"{at}.{key}")
        else:
            found.append(f"{at}.{key}: not a property of Aranet's schema")
    return found


def assert_valid(body: Any, schema: Any, required: tuple[str, ...] = ()) -> None:
    assert problems(body, schema) == [], problems(body, schema)
    missing = [key for key in required if key not in body]
    assert not missing, f"missing {missing}"
