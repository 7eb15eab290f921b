"""Checks shared by wire structs. They raise ValueError, which msgspec turns into a 400 naming the field."""

from __future__ import annotations

import re

# Pragmatic address check: one @, no spaces, a dotted domain. Deliverability is the mail server's business.
_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_EMAIL = 254


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise ValueError(f"not a valid email address: {value[:80]!r}")
    return email


def check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"not a valid slug: {value[:80]!r}; use 1 to 63 lower-case letters, digits and inner hyphens")
    return value


def check_name(value: str, field: str = "name") -> str:
    name = value.strip()
    if not name:
        raise ValueError(f"{field} must not be empty")
    if len(name) > 200:
        raise ValueError(f"{field} must be at most 200 characters")
    return name
