"""Wire structs of the accounts endpoints. Input structs refuse unknown fields, so a typo is a 400."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from sensorgate.accounts.passwords import password_problem
from sensorgate.kit.paging import Page, named
from sensorgate.kit.validate import check_name, check_slug, normalize_email
from sensorgate.kit.wire import Input

RoleName = Literal["owner", "admin", "member", "viewer"]


class LoginIn(Input):
    EXAMPLE = {"email": "owner@demo.sensorgate.example", "password": "the password serve --demo printed"}

    email: str
    # Not checked against the password rules: the rules may have changed since the password was set.
    password: str

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        if not self.email or len(self.email) > 254 or len(self.password) > 256 or not self.password:
            raise ValueError("email and password are required, at most 254 and 256 characters")


class UserOut(msgspec.Struct, rename="camel"):
    id: int
    email: str
    created_at: str


class MembershipOut(msgspec.Struct, rename="camel"):
    organization_id: int
    organization: str
    organization_name: str
    role: str
    permissions: list[str]


class LoginOut(msgspec.Struct, rename="camel"):
    user: UserOut
    csrf_token: str
    expires_at: str


class MeOut(msgspec.Struct, rename="camel"):
    user: UserOut | None  # None for an API key
    memberships: list[MembershipOut]
    auth: str  # "session", or the credential's kind
    credential: int | None = None  # the key's id


class WorkspaceIn(Input):
    EXAMPLE = {"slug": "building-b", "name": "Building B"}

    slug: str
    name: str
    # The organization's slug; needed only when the user manages more than one organization.
    organization: str | None = None

    def __post_init__(self) -> None:
        check_slug(self.slug)
        self.name = check_name(self.name)


class WorkspaceOut(msgspec.Struct, rename="camel"):
    id: int
    slug: str
    name: str
    organization_id: int
    organization: str
    created_at: str


class MemberIn(Input):
    EXAMPLE = {"email": "sam@acme.example", "role": "member", "password": "a long passphrase of your own"}

    email: str
    role: RoleName
    permissions: list[str] = msgspec.field(default_factory=list)
    # Needed only when no user has this email yet; the new user is created with it.
    password: str | None = None

    def __post_init__(self) -> None:
        self.email = normalize_email(self.email)
        if self.password is not None and (problem := password_problem(self.password, self.email)):
            raise ValueError(problem)
        if len(self.permissions) > 16:
            raise ValueError("at most 16 permissions")


class MemberPatch(Input):
    EXAMPLE = {"role": "admin"}

    role: RoleName | None = None
    permissions: list[str] | None = None

    def __post_init__(self) -> None:
        if self.role is None and self.permissions is None:
            raise ValueError("nothing to change: give role or permissions")
        if self.permissions is not None and len(self.permissions) > 16:
            raise ValueError("at most 16 permissions")


class MemberOut(msgspec.Struct, rename="camel"):
    user_id: int
    email: str
    role: str
    grants: list[str]
    permissions: list[str]
    created_at: str


WorkspacePage = Annotated[Page[WorkspaceOut], named("WorkspacePage")]
MemberPage = Annotated[Page[MemberOut], named("MemberPage")]
