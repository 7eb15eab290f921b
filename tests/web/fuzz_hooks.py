"""schemathesis hooks for tests/web/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS): the requests a run must not
send, each with its reason."""

from __future__ import annotations

import os
from typing import Any

import schemathesis


def _own(name: str, case: Any) -> bool:
    """Whether the case names the run's own credential or user (the test puts their ids in the environment)."""
    own = os.environ.get(name)
    ids = {str(v) for v in (case.path_parameters or {}).values()}
    return own is not None and own in ids


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    method, path = case.operation.method.upper(), case.operation.path
    # Revoking or deleting the run's own key would end the run with 401s; revocation has tests of its own.
    ends_key = (method, path) in (("DELETE", "/v1/keys/{key_id}"), ("POST", "/v1/keys/{key_id}/revoke"))
    if ends_key and _own("SG_FUZZ_KEY_ID", case):
        return False
    # Demoting or removing the run's own user would end the session run with 403s; members have tests of their own.
    return not (path.endswith("/members/{user_id}") and _own("SG_FUZZ_USER_ID", case))
