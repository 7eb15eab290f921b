"""Wire structs of the credential endpoints."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

import msgspec

from sensorgate.auth.scopes import CREDENTIAL_SCOPES
from sensorgate.credentials.lifetimes import lifetime_days
from sensorgate.kit.ids import Id
from sensorgate.kit.paging import Items, named
from sensorgate.kit.times import parse_duration
from sensorgate.kit.validate import check_name, normalize_email
from sensorgate.kit.wire import Input

Kind = Literal["api_key", "signing_key", "oauth_client"]
WorkspaceRef = Id | str  # id or slug


class LimitsIn(Input):
    requests: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)] | None = None
    window: Annotated[str, msgspec.Meta(max_length=20)] | None = None  # ISO 8601 duration
    daily: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)] | None = None
    tokens: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None  # OAuth token requests per 15 minutes

    def __post_init__(self) -> None:
        if self.window is not None:
            check_window(self.window)


MAX_WINDOW_SECONDS = 31 * 86_400  # a month: past that a "rate" is a quota, which is what `daily` is for


def check_window(text: str, field: str = "limits.window") -> int:
    """A window's length in whole seconds, 1 s to 31 days; months count 30 days (a rate, not a calendar)."""
    duration = parse_duration(text, field)
    seconds = duration.months * 30 * 86_400 + duration.days * 86_400 + duration.ms // 1000
    if not 1 <= seconds <= MAX_WINDOW_SECONDS:
        raise ValueError(f"{field}: a window is 1 second (PT1S) to 31 days (P31D), not {text[:20]!r}")
    if duration.ms % 1000:
        raise ValueError(f"{field}: a window is whole seconds, not {text[:20]!r}")
    return seconds


class KeyIn(Input):
    EXAMPLE = {"name": "Warehouse dashboard", "scopes": ["data:read"], "expiresIn": "3m"}

    name: str
    kind: Kind = "api_key"
    # The organization's slug: needed only by a caller who manages keys in several and names no workspace.
    organization: Annotated[str, msgspec.Meta(max_length=63)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    owner: Annotated[str, msgspec.Meta(max_length=200)] = ""
    email: str | None = None
    workspaces: Annotated[list[WorkspaceRef], msgspec.Meta(max_length=100)] | None = None
    all_workspaces: bool = False
    exclude_workspaces: Annotated[list[WorkspaceRef], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    device_group: Id | str | None = None
    scopes: Annotated[list[str], msgspec.Meta(max_length=len(CREDENTIAL_SCOPES))] | None = None
    units: Annotated[dict[str, str], msgspec.Meta(max_length=64)] = msgspec.field(default_factory=dict)
    expires_in: Annotated[str, msgspec.Meta(max_length=20)] | None = None  # lifetimes.lifetime_days
    expires_at: str | None = None
    can_renew: bool = False
    ip_allowlist: Annotated[list[str], msgspec.Meta(max_length=32)] = msgspec.field(default_factory=list)
    limits: LimitsIn | None = None

    def __post_init__(self) -> None:
        self.name = check_name(self.name)
        if self.email is not None:
            self.email = normalize_email(self.email)
        if self.expires_in is not None and self.expires_at is not None:
            raise ValueError("give expiresIn or expiresAt, not both")
        if self.expires_in is not None:
            lifetime_days(self.expires_in)  # raises, naming the accepted forms
        if self.all_workspaces and self.workspaces:
            raise ValueError("give workspaces, or allWorkspaces with excludeWorkspaces, not both")
        if self.exclude_workspaces and not self.all_workspaces:
            raise ValueError("excludeWorkspaces goes with allWorkspaces")
        unknown = sorted(set(self.scopes or ()) - set(CREDENTIAL_SCOPES))
        if unknown:
            raise ValueError(f"unknown scope {', '.join(unknown)}; scopes: {', '.join(CREDENTIAL_SCOPES)}")
        for cidr in self.ip_allowlist:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"ipAllowlist: not an address or CIDR: {cidr[:60]!r}") from None


class KeyPatch(Input):
    """The fields a key keeps editable; lifetimeDays applies to secrets made by later reissues and renewals."""

    EXAMPLE = {"name": "Warehouse dashboard (2026)", "lifetimeDays": 90}

    name: str | None = None
    description: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    owner: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    email: str | None = None
    can_renew: bool | None = None
    lifetime_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None

    def __post_init__(self) -> None:
        if self.name is not None:
            self.name = check_name(self.name)
        if self.email is not None:
            self.email = normalize_email(self.email)


class ReissueIn(Input):
    old_secret_expires_at: str | None = None


class RenewOut(msgspec.Struct, rename="camel"):
    token: str
    expires_at: str


class SecretOut(msgspec.Struct, rename="camel"):
    id: int
    prefix: str
    created_at: str
    expires_at: str
    revoked_at: str | None


class KeyOut(msgspec.Struct, rename="camel"):
    id: int
    kind: str
    public_id: str | None  # a signing key's public id (X-API-Key) or an OAuth client's client_id
    name: str
    description: str
    owner: str
    email: str
    organization_id: int
    workspaces: list[int]
    all_workspaces: bool
    exclude_workspaces: list[int]
    device_group: int | None
    scopes: list[str]
    units: dict[str, str]
    ip_allowlist: list[str]
    can_renew: bool
    lifetime_days: int
    created_by: int | None  # the user who made it
    created_by_key: int | None  # the key that made it, when a key did
    created_at: str
    updated_at: str
    expires_at: str | None  # of the newest secret
    revoked_at: str | None
    deleted_at: str | None
    last_used_at: str | None  # to the minute or so: uses are written in batches
    secrets: list[SecretOut]


class KeyCreated(msgspec.Struct, rename="camel"):
    """The key, and its secret: shown this once and never again."""

    id: int
    secret: str
    key: KeyOut
    public_id: str | None = None  # with signing keys and OAuth clients: what goes beside the secret


KeyList = Annotated[Items[KeyOut], named("KeyList")]
