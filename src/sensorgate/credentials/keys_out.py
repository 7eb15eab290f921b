"""Turning credential rows into their wire form. Never includes a secret, only its display prefix."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sensorgate.credentials import store
from sensorgate.credentials.schemas import KeyOut, SecretOut
from sensorgate.kit.times import iso


def render(conn: sa.Connection, rows: list[Any]) -> list[KeyOut]:
    secrets = store.secrets_of(conn, [r.id for r in rows])
    out = []
    for row in rows:
        mine = secrets[row.id]
        out.append(
            KeyOut(
                id=row.id,
                kind=row.kind,
                public_id=row.public_id,
                name=row.name,
                description=row.description,
                owner=row.owner_name,
                email=row.owner_email,
                organization_id=row.organization_id,
                workspaces=list(row.workspace_ids) if row.workspace_mode == "list" else [],
                all_workspaces=row.workspace_mode == "all",
                exclude_workspaces=list(row.workspace_ids) if row.workspace_mode == "all" else [],
                device_group=row.device_group_id,
                scopes=list(row.scopes),
                units=dict(row.units),
                ip_allowlist=list(row.ip_allowlist),
                can_renew=row.can_renew,
                lifetime_days=row.lifetime_days,
                created_by=row.created_by_user_id,
                created_by_key=row.created_by_credential_id,
                created_at=iso(row.created_at),
                updated_at=iso(row.updated_at),
                expires_at=iso(max(s.expires_at for s in mine)) if mine else None,
                revoked_at=iso(row.revoked_at) if row.revoked_at else None,
                deleted_at=iso(row.deleted_at) if row.deleted_at else None,
                last_used_at=iso(row.last_used_at) if row.last_used_at else None,
                secrets=[
                    SecretOut(
                        id=s.id,
                        prefix=s.prefix,
                        created_at=iso(s.created_at),
                        expires_at=iso(s.expires_at),
                        revoked_at=iso(s.revoked_at) if s.revoked_at else None,
                    )
                    for s in mine
                ],
            )
        )
    return out
