"""Akenza's answer shapes, restated as test data of our own from what its Java client (akenza-io/akenza-java-client,
the v3 domain objects) requires and its examples read: each required key with its JSON type, and the values an
enum allows. A key the client marks nullable is not required."""

from __future__ import annotations

from datetime import datetime
from typing import Any

NUMBER = (int, float)

SPRING_PAGE = {
    "content": list,
    "pageable": dict,
    "totalPages": int,
    "totalElements": int,
    "last": bool,
    "number": int,
    "sort": dict,
    "size": int,
    "numberOfElements": int,
    "first": bool,
    "empty": bool,
}
PAGEABLE = {"offset": int, "pageNumber": int, "pageSize": int, "paged": bool, "unpaged": bool, "sort": dict}
SORT = {"empty": bool, "sorted": bool, "unsorted": bool}
# Device = Asset + deviceId, connectivity, onlineTimeout, dataFlowId (the others are @Nullable or defaulted).
DEVICE = {
    "id": str,
    "name": str,
    "type": str,
    "workspaceId": str,
    "organizationId": str,
    "deviceId": str,
    "connectivity": str,
    "onlineTimeout": int,
    "dataFlowId": str,
    "tags": list,
    "customFields": list,
}
CONNECTIVITIES = {"LORA", "MQTT", "HTTP", "COAP"}
MINIMAL_TAG = {"id": str, "name": str}
TAG = {"id": str, "name": str, "workspaceId": str, "taggedDevices": int}
DEVICE_DATA = {"akenzaDeviceId": str, "topic": str, "data": dict, "timestamp": str}
TIME_SERIES = {"deviceId": str, "topic": str, "dataKey": str, "dataPoints": list, "timestamps": list}
KPI = {"deviceId": str, "topic": str, "dataKey": str}
ERROR = {
    "timestamp": str,
    "path": str,
    "status": int,
    "error": str,
    "message": str,
    "requestId": str,
    "errorId": str,
    "traceId": str,
}


def conforms(found: Any, shape: dict[str, Any]) -> None:
    """`found` holds every key of `shape`, each of its type (a bool is not a number here, as in Java)."""
    assert isinstance(found, dict), found
    missing = set(shape) - set(found)
    assert not missing, f"missing {sorted(missing)} in {found}"
    for key, kind in shape.items():
        assert isinstance(found[key], kind) and not (kind is not bool and isinstance(found[key], bool)), (key, found)


def instant(text: str) -> datetime:
    """An ISO 8601 instant in UTC, as Java's Instant.parse reads it."""
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


def page(found: Any) -> None:
    conforms(found, SPRING_PAGE)
    conforms(found["pageable"], PAGEABLE)
    conforms(found["sort"], SORT)


def device(found: Any) -> None:
    conforms(found, DEVICE)
    assert found["type"] == "DEVICE" and found["connectivity"] in CONNECTIVITIES
    for tag in found["tags"]:
        conforms(tag, MINIMAL_TAG)


def device_data(found: Any) -> None:
    conforms(found, DEVICE_DATA)
    instant(found["timestamp"])
    assert all(isinstance(v, NUMBER) for v in found["data"].values()), found


def time_series(found: Any) -> None:
    conforms(found, TIME_SERIES)
    assert len(found["dataPoints"]) == len(found["timestamps"])
    assert all(v is None or isinstance(v, NUMBER) for v in found["dataPoints"])
    for t in found["timestamps"]:
        instant(t)


def kpi(found: Any) -> None:
    conforms(found, KPI)
    assert "kpi" in found and (found["kpi"] is None or isinstance(found["kpi"], NUMBER))
