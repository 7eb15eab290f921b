"""The operator's key commands (`sensorgate keys ...`), from the server's own shell, on the same rules as the API.

The operator acts with an owner's permissions in the organization concerned, on every workspace, but as nobody in
particular: the Principal has no user, so keys made here count against no user's active-key limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import permissions_for
from sensorgate.credentials import lifecycle, policy, service, store
from sensorgate.credentials.schemas import KeyCreated, KeyIn, KeyOut, KeyPatch
from sensorgate.kit.errors import BadRequest, NotFound

# Workspaces named in the refusal that asks for one: enough to pick from, short enough to read.
LISTED_WORKSPACES = 10


def create(conn: sa.Connection, workspace_slug: str, body: KeyIn, request: service.Origin) -> tuple[KeyCreated, str]:
    """A key for one workspace, and the slug of its organization."""
    workspace = accounts_store.workspace_by_slug(conn, workspace_slug)
    if workspace is None:
        raise NotFound(f"workspace {workspace_slug!r} not found")
    principal = _operator(accounts_store.organizations_by_id(conn, [workspace.organization_id]))
    if body.workspaces is None and not body.all_workspaces:
        body = msgspec.structs.replace(body, workspaces=[workspace_slug])  # the one workspace named
    return service.create_key(conn, principal, body, request), workspace.organization


def only_workspace(conn: sa.Connection) -> str:
    """The slug of the installation's only workspace, for a key made with none named; with several, a 400 that
    lists them."""
    organizations = accounts_store.organizations_by_id(conn, None)
    rows = accounts_store.workspaces_of(conn, [row.id for row in organizations]) if organizations else []
    if len(rows) == 1:
        return str(rows[0].slug)
    if not rows:
        raise BadRequest("there is no workspace yet: `sensorgate users create --org SLUG` makes one")
    slugs = ", ".join(row.slug for row in rows[:LISTED_WORKSPACES]) + (", ..." if len(rows) > LISTED_WORKSPACES else "")
    raise BadRequest(f"there are {len(rows)} workspaces ({slugs}): say which one the key reaches with --workspace")


def list_keys(
    conn: sa.Connection, workspace_slug: str | None, org_slug: str | None, include_revoked: bool
) -> tuple[list[KeyOut], dict[int, str], dict[int, str]]:
    """The keys of one organization (named by itself or by one of its workspaces), or of all; with the slugs of
    the organizations and workspaces they name."""
    if workspace_slug:
        workspace = accounts_store.workspace_by_slug(conn, workspace_slug)
        if workspace is None:
            raise NotFound(f"workspace {workspace_slug!r} not found")
        rows = accounts_store.organizations_by_id(conn, [workspace.organization_id])
    elif org_slug:
        organization = accounts_store.organization_by_slug(conn, org_slug)
        if organization is None:
            raise NotFound(f"organization {org_slug!r} not found")
        rows = [organization]
    else:
        rows = accounts_store.organizations_by_id(conn, None)
    if not rows:
        return [], {}, {}
    principal = _operator(rows)
    found = service.list_keys(conn, principal, include_revoked)
    organization_slugs = {row.id: row.slug for row in rows}
    workspace_slugs = {row.id: row.slug for row in accounts_store.workspaces_of(conn, [row.id for row in rows])}
    return found, organization_slugs, workspace_slugs


def get_key(conn: sa.Connection, key_id: int) -> tuple[KeyOut, str, dict[int, str]]:
    """One key, deleted ones too, with the slugs of its organization and of the workspaces it names."""
    principal = operator_of_key(conn, key_id, deleted=True)
    key = service.get_key(conn, principal, key_id)
    organization = principal.memberships[key.organization_id].organization
    workspace_slugs = {row.id: row.slug for row in accounts_store.workspaces_of(conn, [key.organization_id])}
    return key, organization, workspace_slugs


def update(conn: sa.Connection, key_id: int, patch: KeyPatch, request: service.Origin) -> KeyOut:
    return lifecycle.update_key(conn, operator_of_key(conn, key_id), key_id, patch, request)


def revoke(conn: sa.Connection, key_id: int, request: service.Origin, *, delete: bool = False) -> KeyOut:
    # The secret hashes are for a server's cache; a running server drops its cached entries within a second anyway.
    return service.revoke_key(conn, operator_of_key(conn, key_id), key_id, request, delete=delete).key


def reissue(conn: sa.Connection, key_id: int, request: service.Origin, old_expires: datetime | None) -> KeyCreated:
    return lifecycle.reissue_key(conn, operator_of_key(conn, key_id), key_id, request, old_expires)


def change_policy(conn: sa.Connection, org_slug: str, patch: policy.PolicyPatch) -> policy.PolicyOut:
    """Show (an empty patch) or change an organization's key policy, as its owner would."""
    organization = accounts_store.organization_by_slug(conn, org_slug)
    if organization is None:
        raise NotFound(f"no organization {org_slug!r}")
    return policy.change(conn, _operator([organization]), org_slug, patch)


def operator_of_key(conn: sa.Connection, key_id: int, *, deleted: bool = False) -> Principal:
    """The operator in the key's organization; a deleted key is not found, unless `deleted` (to read it)."""
    row = store.credential(conn, key_id)
    if row is None or (row.deleted_at is not None and not deleted):
        raise NotFound(f"key {key_id} not found")
    return _operator(accounts_store.organizations_by_id(conn, [row.organization_id]))


def _operator(rows: list[Any]) -> Principal:
    """An owner's permissions in these organizations, every workspace, no user behind it."""
    memberships = {
        row.id: Membership(
            organization_id=row.id,
            organization=row.slug,
            organization_name=row.name,
            role="owner",
            grants=(),
            permissions=permissions_for("owner"),
        )
        for row in rows
    }
    return Principal(kind="cli", user_id=None, email=None, memberships=memberships)
