"""Credential scopes, and which console permission lets a user grant each one."""

from __future__ import annotations

SCOPES = ("data:read", "data:write", "sensors:write", "keys:read", "keys:write", "usage:read", "audit:read")
DEFAULT_SCOPES = ("data:read",)

# A user may put a scope on a key only when the user holds the matching permission in the organization.
PERMISSION_FOR_SCOPE = {
    "data:read": "data:read",
    "data:write": "data:write",
    "sensors:write": "sensors:write",
    "keys:read": "integrations:write",
    "keys:write": "integrations:write",
    "usage:read": "usage:read",
    "audit:read": "audit:read",
}

EXPIRY_PRESETS = {"7d": 7, "14d": 14, "1m": 30, "2m": 60, "3m": 90, "6m": 180, "1y": 365}
DEFAULT_EXPIRY = "3m"
