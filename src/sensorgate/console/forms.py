"""From an HTML form to the API's own input structs, and from the API's errors back to the form's fields.

A form is decoded into the same struct (KeyIn, KeyPatch, MemberIn, ...) the API decodes its JSON into, so the
same checks run with the same messages; an error is shown next to the field it is about.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import msgspec
from litestar.datastructures import FormMultiDict

from sensorgate.kit.errors import ApiError, BadRequest

T = TypeVar("T", bound=msgspec.Struct)

# msgspec ends a message with the path of the field it is about: "Expected `int` - at `$.limits.requests`".
_AT = re.compile(r" - at `\$\.?([A-Za-z]*)[^`]*`$")
_LEADING_NAME = re.compile(r"^([A-Za-z]+)[:. ]")
# Messages of a struct's own checks that do not start with the field's name.
_MESSAGE_FIELDS = {
    "unknown scope": "scopes",
    "give expiresIn": "expiresIn",
    "give workspaces": "workspaces",
    "not a valid email": "email",
}


def decode(struct: type[T], payload: dict[str, Any], fields: frozenset[str]) -> T:
    """The struct, or a 400 with the API's message, about the field it names (one of `fields`)."""
    try:
        return msgspec.convert(payload, struct, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = _field_of(text, fields)
        raise BadRequest(_AT.sub("", text), field=field) from None


def _field_of(text: str, fields: frozenset[str]) -> str | None:
    at = _AT.search(text)
    if at and at.group(1) in fields:
        return at.group(1)
    leading = _LEADING_NAME.match(text)
    if leading and leading.group(1) in fields:
        return leading.group(1)
    for start, field in _MESSAGE_FIELDS.items():
        if text.startswith(start):
            return field
    return None


def errors_of(exc: ApiError) -> dict[str, str]:
    """{field: message} for a form; "" is the form as a whole."""
    return {exc.field or "": exc.message}


def text(form: FormMultiDict, name: str) -> str:
    return str(form.get(name) or "").strip()


def optional(form: FormMultiDict, name: str) -> str | None:
    return text(form, name) or None


def checked(form: FormMultiDict, name: str) -> bool:
    return name in form and form.get(name) not in ("", "0")


def lines(form: FormMultiDict, name: str) -> list[str]:
    return [line.strip() for line in text(form, name).splitlines() if line.strip()]


def numbers(form: FormMultiDict, name: str) -> list[str]:
    """The ticked values of a group of checkboxes; ids stay text for the struct to check."""
    return [str(v) for v in form.getall(name, []) if str(v).strip()]


def pairs(form: FormMultiDict, name: str, field: str) -> dict[str, str]:
    """`metric=unit` per line."""
    found = {}
    for line in lines(form, name):
        left, sep, right = line.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise BadRequest(f"{field}: write one metric=unit per line, not {line[:60]!r}", field=field)
        found[left.strip()] = right.strip()
    return found


def midnight_utc(day: str, field: str) -> str:
    """A date field (YYYY-MM-DD) as the start of that day in UTC, as the API takes a time."""
    try:
        when = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"{field}: give a date as YYYY-MM-DD", field=field) from None
    return when.isoformat().replace("+00:00", "Z")


def in_hours(hours: float, now: datetime) -> datetime:
    return now + timedelta(hours=hours)
