"""Batch delivery by arrival id, per credential (the Ayyeka dialect's /sample/batch): each client's position is a
row of `sample_batches`, so that every process serving the client agrees on it.

- A batch is the next samples after the client's acknowledged id, at most MAX_BATCH, by id.
- With acks on, a batch is leased for LEASE_MS: asked again within the lease, the same batch comes again (an
  answer lost on the way is not lost); acked, the next one comes; not acked in time, delivery starts again after
  the acknowledged id. An ack of id N acknowledges every id up to N.
- With acks off, delivery moves past the batch at once.
- A rewind to a time moves the position to just before the first id of a sample timed then or later.

Ids grow with arrival (arrivals.py), so a client that acks what it received gets every sample once: a backfill
arriving late gets a larger id than anything already delivered. A sample whose value changes gets a new id,
and so comes again with its new value.

The row is locked for the whole call (FOR UPDATE on PostgreSQL; SQLite's writes are serial), so two processes
answering one client at once hand out one batch, not two.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.db.upsert import insert
from sensorgate.kit.errors import BadRequest
from sensorgate.measurements import sample_ids
from sensorgate.measurements.models import sample_batches
from sensorgate.measurements.sample_ids import IdSample

MAX_BATCH = 1_000
LEASE_MS = 60_000


class Delivery(NamedTuple):
    samples: list[IdSample]
    has_more: bool


def _client(principal: Principal) -> int:
    if principal.credential_id is None:
        # The position belongs to a credential; a console session has none to keep it under.
        raise BadRequest("batch delivery keeps a position per credential: call it with an OAuth access token")
    return principal.credential_id


def _locked(conn: sa.Connection, client: int) -> Any:
    conn.execute(
        insert(conn, sample_batches)
        .values(credential_id=client, acked=0, leased_to=0, lease_until=0)
        .on_conflict_do_nothing()
    )
    query = sa.select(sample_batches).where(sample_batches.c.credential_id == client).with_for_update()
    return conn.execute(query).one()


def _save(conn: sa.Connection, client: int, acked: int, leased_to: int, lease_until: int) -> None:
    conn.execute(
        sample_batches.update()
        .where(sample_batches.c.credential_id == client)
        .values(acked=acked, leased_to=leased_to, lease_until=lease_until)
    )


def _position_before(conn: sa.Connection, principal: Principal, t: int) -> int:
    first = sample_ids.first_id_from(conn, principal, t)
    return first - 1 if first is not None else sample_ids.newest_sealed(conn)


def fetch(
    conn: sa.Connection,
    principal: Principal,
    now_ms: int,
    *,
    ack: bool = True,
    after: int | None = None,
    since_ms: int | None = None,
) -> Delivery:
    """The client's next batch. `after` (an id) or `since_ms` (a time) first move the position there."""
    client = _client(principal)
    state = _locked(conn, client)
    acked, leased_to, lease_until = state.acked, state.leased_to, state.lease_until
    if after is not None:
        acked, lease_until = after, 0
    elif since_ms is not None:
        acked, lease_until = _position_before(conn, principal, since_ms), 0
    found = sample_ids.after(conn, principal, acked, MAX_BATCH + 1)
    if ack and lease_until > now_ms and leased_to > acked:
        batch = [s for s in found if s.id <= leased_to]  # the batch out on lease, again
    else:
        batch = found[:MAX_BATCH]
    has_more = len(found) > len(batch)
    last = batch[-1].id if batch else acked
    if ack:
        _save(conn, client, acked, last, now_ms + LEASE_MS if batch else 0)
    else:
        _save(conn, client, last, last, 0)
    return Delivery(batch, has_more)


def acknowledge(conn: sa.Connection, principal: Principal, sample: int) -> None:
    """Acknowledge every id up to `sample`. An id already acknowledged changes nothing; one past what was
    delivered is refused, as it would skip samples never seen."""
    client = _client(principal)
    state = _locked(conn, client)
    delivered = max(state.acked, state.leased_to)
    if sample > delivered:
        raise BadRequest(
            f"sampleId {sample} was not delivered: the last sample delivered is {delivered}; "
            "acknowledge an id from a batch, or rewind with /sample/batch/backfill"
        )
    if sample <= state.acked:
        return
    done = sample >= state.leased_to
    _save(conn, client, sample, sample if done else state.leased_to, 0 if done else state.lease_until)


def rewind(conn: sa.Connection, principal: Principal, t: int) -> None:
    """Deliver again from the first sample timed at or after t (and every sample that arrived after it)."""
    client = _client(principal)
    _locked(conn, client)
    position = _position_before(conn, principal, t)
    _save(conn, client, position, position, 0)


def last_delivered(conn: sa.Connection, principal: Principal) -> IdSample | None:
    """The sample with the largest id delivered to the client that still holds its id."""
    client = _client(principal)
    state = conn.execute(sa.select(sample_batches).where(sample_batches.c.credential_id == client)).first()
    delivered = max(state.acked, state.leased_to) if state is not None else 0
    return sample_ids.newest_up_to(conn, principal, delivered) if delivered else None
