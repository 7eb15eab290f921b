"""schemathesis hooks for tests/web/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS): the requests a run must not
send, each with its reason."""

from __future__ import annotations

import os
import re
from typing import Any

import schemathesis

# Ids are 32-bit integers on PostgreSQL (and 64-bit on SQLite): p2 bounds them to 1..2^31-1.
BIG = 2**31
DIGITS = re.compile(r"\d{10,}")


def _has_big_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) >= BIG
    if isinstance(value, str):
        return any(int(run) >= BIG for run in DIGITS.findall(value))
    if isinstance(value, dict):
        return any(_has_big_integer(k) or _has_big_integer(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_big_integer(v) for v in value)
    return False


def _own(name: str, case: Any) -> bool:
    """Whether the case names the run's own credential or user (the test puts their ids in the environment)."""
    own = os.environ.get(name)
    ids = {str(v) for v in (case.path_parameters or {}).values()}
    return own is not None and own in ids


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    # issue 16 part 2 (branch p2): an id past the database's integers in a path, in sensor= or workspaceId=, or in a
    # body field (2^63 on SQLite, 2^31 on PostgreSQL), and a 400-digit backfill value, get a 500 today. Remove this
    # exclusion when p2 is merged.
    if any(_has_big_integer(part) for part in (case.path_parameters, case.query, case.body)):
        return False
    method, path = case.operation.method.upper(), case.operation.path
    # Revoking or deleting the run's own key would end the run with 401s; revocation has tests of its own.
    ends_key = (method, path) in (("DELETE", "/v1/keys/{key_id}"), ("POST", "/v1/keys/{key_id}/revoke"))
    if ends_key and _own("SG_FUZZ_KEY_ID", case):
        return False
    # Demoting or removing the run's own user would end the session run with 403s; members have tests of their own.
    return not (path.endswith("/members/{user_id}") and _own("SG_FUZZ_USER_ID", case))
