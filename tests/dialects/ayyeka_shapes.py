"""Ayyeka's answer shapes, restated as test data of our own from its v2.0 OpenAPI document (the models of
ayyeka/restapi-apiclient-python): each required key with its JSON type. Dates are date-time strings, sample
values strings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

SITE = {
    "id": int,
    "creation_date": "date-time",
    "display_name": str,
    "latitude": str,
    "longitude": str,
    "status": str,
}
DEVICE = {
    "id": int,
    "akid": str,
    "display_name": str,
    "firmware_version": str,
    "iccid": str,
    "iccid2": str,
    "meid": str,
    "model_number": str,
    "serial_number": str,
    "site_display_name": str,
    "site_id": int,
}
STREAM = {
    "id": int,
    "creation_date": "date-time",
    "display_name": str,
    "site_id": int,
    "status_id": int,
    "type_display_name": str,
    "type_id": int,
    "units": str,
    "value_scale": str,
}
SAMPLE = {"id": int, "sample_date": "date-time", "stream_id": int, "value": str}
SAMPLE_BATCH = {"has_more": bool, "samples": list}
AGGREGATION = {"min": str, "max": str, "avg": str, "sum": str}
AGGREGATED = {"stream_id": int, "start_date": "date-time", "number_of_samples": int, "agg_values": dict}
TOKEN = {"access_token": str, "token_type": str, "expires_in": int}
ERROR = {"request_id": str, "message": str}


def conforms(found: Any, shape: dict[str, Any]) -> None:
    """`found` holds every key of `shape`, each of its type (a bool is not an int here)."""
    assert isinstance(found, dict), found
    for key, kind in shape.items():
        assert key in found, f"{key} missing from {found}"
        value = found[key]
        if kind == "date-time":
            assert isinstance(value, str) and datetime.fromisoformat(value), (key, value)
        elif kind is int:
            assert isinstance(value, int) and not isinstance(value, bool), (key, value)
        else:
            assert isinstance(value, kind), (key, value)


def sample_batch(found: Any) -> list[dict[str, Any]]:
    conforms(found, SAMPLE_BATCH)
    for sample in found["samples"]:
        conforms(sample, SAMPLE)
        float(sample["value"])
    return found["samples"]  # type: ignore[no-any-return]
