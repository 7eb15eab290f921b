"""What an Aranet request asks for, in our terms: metric and unit ids to names, its time window, and the `next`
token, which carries the query and our own /v1 cursor so that a client can fetch it with no other parameters."""

from __future__ import annotations

import base64

import msgspec

from sensorgate.dialects.aranet import catalogue
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.ids import OUT_OF_RANGE, in_range
from sensorgate.kit.times import time_window

DAY_MS = 86_400_000
# Aranet's defaults: the last 24 hours over every sensor, the last 7 days when sensors are named.
DEFAULT_ALL_MS = DAY_MS
DEFAULT_NAMED_MS = 7 * DAY_MS
# The longest window counted back from now (seconds=, minutes=, hours=, days=): ten years.
MAX_BACK_MS = 3650 * DAY_MS
MAX_IDS = 100


class Token(msgspec.Struct, array_like=True, omit_defaults=True):
    """A `next` token: the query of the first page and our /v1 history cursor, which fixes its window and is
    signed. Tampering with the query is harmless: the cursor only continues the series it was made for."""

    kind: str
    sensors: list[int]
    metrics: list[str]
    units: dict[str, str]
    limit: int
    links: bool
    cursor: str


class HistoryQuery(msgspec.Struct):
    """The parameters of a history request, as given."""

    sensor: str | None
    assets: str | None
    metric: str | None
    unit: str | None
    from_: str | None
    to: str | None
    back: dict[str, int | None]  # seconds, minutes, hours, days
    next: str | None
    limit: int
    links: bool


_encode_token = msgspec.json.Encoder().encode
_decode_token = msgspec.json.Decoder(Token).decode


def encode_token(token: Token) -> str:
    return base64.urlsafe_b64encode(_encode_token(token)).decode().rstrip("=")


def decode_token(text: str) -> Token:
    try:
        token = _decode_token(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, msgspec.DecodeError):
        token = None
    # The query part is not signed (the cursor inside is): an edited one must still name ids that can exist.
    if token is None or len(token.sensors) > MAX_IDS or not all(in_range(i) for i in token.sensors):
        raise BadRequest("next: not a page token this service issued; repeat the first request")
    return token


def split(text: str | None, name: str) -> list[str]:
    parts = list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))
    if len(parts) > MAX_IDS:
        raise BadRequest(f"{name} names at most {MAX_IDS} ids; this request names {len(parts)}")
    return parts


def sensor_ids(text: str | None) -> list[int]:
    ids = []
    for part in split(text, "sensor"):
        if not part.isdigit() or len(part) > 10 or not in_range(int(part)):
            raise BadRequest(f"sensor: {part!r} is not a sensor id ({OUT_OF_RANGE})")
        ids.append(int(part))
    return ids


def metric_numbers(text: str | None) -> list[str]:
    numbers = split(text, "metric")
    for number in numbers:
        if not number.isdigit() or len(number) > 10:
            raise BadRequest(f"metric: {number!r} is not a metric id; see /api/v1/metrics")
    return numbers


def unit_choice(text: str | None) -> dict[str, str]:
    """Aranet's `unit` is a list of unit ids, each naming its metric: metric -> the unit symbol to serve it in."""
    chosen: dict[str, str] = {}
    for number in split(text, "unit"):
        found = catalogue.known_unit(number)
        if found is None:
            raise BadRequest(f"unit: {number!r} is not a unit id of a metric that converts; see /api/v1/metrics")
        metric, symbol = found
        chosen[metric] = symbol
    return chosen


def window(
    from_: str | None,
    to: str | None,
    back: dict[str, int | None],
    named: bool,
    now_ms: int,
) -> tuple[int, int]:
    """[start, end) in epoch ms: from `from`/`to`, or one of seconds|minutes|hours|days back from now (days counts
    the current UTC day as the first), or the default for the request."""
    given = {name: value for name, value in back.items() if value is not None}
    if len(given) > 1 or (given and (from_ or to)):
        raise BadRequest("give from/to, or one of seconds, minutes, hours and days, not several")
    if given:
        (name, count), *_ = given.items()
        if count < 1:
            raise BadRequest(f"{name} must be at least 1")
        if name == "days":
            start = now_ms - now_ms % DAY_MS - (count - 1) * DAY_MS
        else:
            start = now_ms - count * {"seconds": 1000, "minutes": 60_000, "hours": 3_600_000}[name]
        if now_ms - start > MAX_BACK_MS:
            raise BadRequest(f"{name}: at most ten years back")
        return start, now_ms + 1
    if from_ or to:
        return time_window(from_, to, None, now_ms)
    return now_ms - (DEFAULT_NAMED_MS if named else DEFAULT_ALL_MS), now_ms + 1
