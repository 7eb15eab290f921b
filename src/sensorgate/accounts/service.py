"""Rules for organizations, workspaces, users and members. No HTTP objects here; errors are ApiErrors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts import store
from sensorgate.accounts.schemas import (
    MemberIn,
    MemberOut,
    MemberPatch,
    MembershipOut,
    MeOut,
    UserOut,
    WorkspaceIn,
    WorkspaceOut,
)
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import GRANTABLE, Scope, permissions_for
from sensorgate.kit.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from sensorgate.kit.paging import Page, make_page
from sensorgate.kit.times import iso


def ensure_user(
    conn: sa.Connection, email: str, password_hash: str | None, org_slug: str, role: str, now: datetime
) -> tuple[int, bool]:
    """Create (or find) a user and make it a member of the organization, creating the organization with a
    first workspace of the same slug when it does not exist yet. Returns (user id, created)."""
    organization_id = ensure_organization(conn, org_slug, now)
    user = store.user_by_email(conn, email)
    created = user is None
    if user is None:
        if password_hash is None:
            raise BadRequest(f"no user has the email {email}; a password is needed to create one")
        user_id = store.insert_user(conn, email, password_hash, now)
    else:
        user_id = user.id
        if password_hash is not None:
            store.set_password_hash(conn, user_id, password_hash)
    if store.membership(conn, organization_id, user_id) is None:
        store.insert_membership(conn, organization_id, user_id, role, [], now)
    else:
        store.update_membership(conn, organization_id, user_id, {"role": role})
    return user_id, created


def me(conn: sa.Connection, principal: Principal) -> MeOut:
    """The caller: its user (none for a credential), its organizations with role and permissions."""
    user = None
    if principal.credential_id is None:
        row = store.user_by_id(conn, principal.user_id or 0)
        if row is None:
            raise Unauthorized("this account no longer exists")
        user = UserOut(id=row.id, email=row.email, created_at=iso(row.created_at))
    memberships = [
        MembershipOut(
            organization_id=m.organization_id,
            organization=m.organization,
            organization_name=m.organization_name,
            role=m.role,
            permissions=sorted(m.permissions),
        )
        for m in principal.memberships.values()
    ]
    return MeOut(user=user, memberships=memberships, auth=principal.kind, credential=principal.credential_id)


def user_exists(conn: sa.Connection, email: str) -> bool:
    return store.user_by_email(conn, email) is not None


def emails_of(conn: sa.Connection, principal: Principal, user_ids: list[int]) -> dict[int, str]:
    """The emails of users in the caller's organizations, for pages that name who did what."""
    return store.emails_of(conn, sorted(set(user_ids)), list(principal.memberships))


def organization_id(conn: sa.Connection, slug: str) -> int:
    found = store.organization_by_slug(conn, slug)
    if found is None:
        raise NotFound(f"no organization {slug!r}")
    return int(found.id)


def ensure_organization(conn: sa.Connection, slug: str, now: datetime) -> int:
    found = store.organization_by_slug(conn, slug)
    if found is not None:
        return int(found.id)
    if store.workspace_slug_taken(conn, slug):
        raise Conflict(f"the workspace slug {slug!r} is taken, so a new organization cannot use it")
    organization_id = store.insert_organization(conn, slug, slug, now)
    store.insert_workspace(conn, organization_id, slug, slug, now)
    return organization_id


def _workspace_out(row: Any) -> WorkspaceOut:
    return WorkspaceOut(
        id=row.id,
        slug=row.slug,
        name=row.name,
        organization_id=row.organization_id,
        organization=row.organization,
        created_at=iso(row.created_at),
    )


def list_workspaces(conn: sa.Connection, principal: Principal, page: int, size: int) -> Page[WorkspaceOut]:
    rows, total = store.workspaces_page(
        conn, list(principal.memberships), (page - 1) * size, size, only=principal.workspace_ids
    )
    return make_page([_workspace_out(r) for r in rows], page, size, total)


def create_workspace(conn: sa.Connection, principal: Principal, body: WorkspaceIn, now: datetime) -> WorkspaceOut:
    if body.organization is not None:
        organization_id = principal.membership_named(body.organization).organization_id
    else:
        allowed = [m for m in principal.memberships.values() if Scope.WORKSPACES_WRITE in m.permissions]
        if not allowed:
            raise Forbidden(f"creating a workspace needs the {Scope.WORKSPACES_WRITE} permission (owner or admin)")
        if len(allowed) > 1:
            raise BadRequest("you manage several organizations; say which one in 'organization'")
        organization_id = allowed[0].organization_id
    principal.require(organization_id, Scope.WORKSPACES_WRITE)
    if store.workspace_slug_taken(conn, body.slug):
        raise Conflict(f"the workspace slug {body.slug!r} is taken")
    try:
        workspace_id = store.insert_workspace(conn, organization_id, body.slug, body.name, now)
    except sa.exc.IntegrityError:
        # Lost a race with another request creating the same slug.
        raise Conflict(f"the workspace slug {body.slug!r} is taken") from None
    row = store.workspace_by_id(conn, workspace_id)
    return _workspace_out(row)


def _member_out(row: Any) -> MemberOut:
    return MemberOut(
        user_id=row.user_id,
        email=row.email,
        role=row.role,
        grants=list(row.grants),
        permissions=sorted(permissions_for(row.role, row.grants)),
        created_at=iso(row.created_at),
    )


def list_members(conn: sa.Connection, principal: Principal, org_slug: str, page: int, size: int) -> Page[MemberOut]:
    organization_id = principal.membership_named(org_slug).organization_id
    principal.require(organization_id, Scope.ACCESS_MANAGE)
    rows, total = store.members_page(conn, organization_id, (page - 1) * size, size)
    return make_page([_member_out(r) for r in rows], page, size, total)


def owner_count(conn: sa.Connection, principal: Principal, org_slug: str) -> int:
    """How many owners the organization has: the last one cannot leave or be demoted."""
    organization_id = principal.membership_named(org_slug).organization_id
    principal.require(organization_id, Scope.ACCESS_MANAGE)
    return store.count_owners(conn, organization_id)


def _check_grants(grants: list[str]) -> list[str]:
    unknown = sorted(set(grants) - GRANTABLE)
    if unknown:
        raise BadRequest(f"cannot grant {', '.join(unknown)}; grantable: {', '.join(sorted(GRANTABLE))}")
    return sorted(set(grants))


def add_member(
    conn: sa.Connection,
    principal: Principal,
    org_slug: str,
    body: MemberIn,
    password_hash: str | None,
    now: datetime,
) -> MemberOut:
    actor = principal.membership_named(org_slug)
    principal.require(actor.organization_id, Scope.ACCESS_MANAGE)
    if body.role == "owner" and Scope.ORG_OWN not in actor.permissions:
        raise Forbidden("only an owner can add an owner")
    grants = _check_grants(body.permissions)
    user = store.user_by_email(conn, body.email)
    if user is None:
        if password_hash is None:
            raise BadRequest(f"no user has the email {body.email}; give a password to create the account")
        user_id = store.insert_user(conn, body.email, password_hash, now)
    else:
        if password_hash is not None:
            raise BadRequest("this user already has an account; leave out the password")
        user_id = user.id
        if store.membership(conn, actor.organization_id, user_id) is not None:
            raise Conflict(f"{body.email} is already a member of {org_slug!r}")
    store.insert_membership(conn, actor.organization_id, user_id, body.role, grants, now)
    return _member_out(store.member(conn, actor.organization_id, user_id))


def _guard_owner_change(conn: sa.Connection, actor: Membership, target: Any, new_role: str | None) -> None:
    touches_owner = target.role == "owner" or new_role == "owner"
    if touches_owner and Scope.ORG_OWN not in actor.permissions:
        raise Forbidden("only an owner can change or remove an owner")
    leaves_owner_role = target.role == "owner" and new_role != "owner"
    if leaves_owner_role and store.count_owners(conn, actor.organization_id) <= 1:
        raise Conflict("an organization keeps at least one owner; make someone else owner first")


def update_member(
    conn: sa.Connection, principal: Principal, org_slug: str, user_id: int, patch: MemberPatch
) -> MemberOut:
    actor = principal.membership_named(org_slug)
    principal.require(actor.organization_id, Scope.ACCESS_MANAGE)
    target = store.membership(conn, actor.organization_id, user_id)
    if target is None:
        raise NotFound("member not found")
    values: dict[str, Any] = {}
    if patch.role is not None and patch.role != target.role:
        _guard_owner_change(conn, actor, target, patch.role)
        values["role"] = patch.role
    if patch.permissions is not None:
        values["grants"] = _check_grants(patch.permissions)
    if values:
        store.update_membership(conn, actor.organization_id, user_id, values)
    return _member_out(store.member(conn, actor.organization_id, user_id))


def remove_member(conn: sa.Connection, principal: Principal, org_slug: str, user_id: int) -> None:
    actor = principal.membership_named(org_slug)
    principal.require(actor.organization_id, Scope.ACCESS_MANAGE)
    target = store.membership(conn, actor.organization_id, user_id)
    if target is None:
        raise NotFound("member not found")
    _guard_owner_change(conn, actor, target, None)
    store.delete_membership(conn, actor.organization_id, user_id)
