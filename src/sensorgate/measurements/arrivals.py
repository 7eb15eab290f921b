"""Arrival ids: int64 sample ids that grow in the order batches of points commit.

A batch takes a token, a row of `arrivals`, when it starts writing, and numbers its points 0, 1, ... under it
(points.arrival_id, points.arrival_n). As its very last statement before the commit, `seal` takes the next seq
from the one row of `arrival_clock`: that UPDATE holds the row's lock until the commit, so a second batch sealing
meanwhile waits, and seqs are handed out in commit order. Nothing but the seal queues: the batches themselves
write side by side. A sample's id is then seq * 2**20 + n. So whoever has read every id up to N has seen every
sample with an id up to N, and a point backfilled later, whatever its time, gets a larger id.

A point written again with the same value keeps its id; a new value gives it a new (larger) one, so a reader
following ids sees the change. A batch's points are found again through its spans (`arrival_spans`, one row per
series it wrote), not an index on the points: that index cost ingest nearly half of its point inserts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from sensorgate.db.bulk import executemany, fetchall

PER_ARRIVAL = 2**20  # points one token numbers; a batch past it takes another token
MAX_SAMPLE_ID = 2**63 - 1


def sample_id(seq: int, n: int) -> int:
    return seq * PER_ARRIVAL + n


def split(sample: int) -> tuple[int, int]:
    """(seq, n) of a sample id."""
    return sample // PER_ARRIVAL, sample % PER_ARRIVAL


@dataclass(slots=True)
class Arrival:
    """The tokens of one batch, and the next number to hand out under the newest one."""

    tokens: list[int] = field(default_factory=list)
    next_n: int = PER_ARRIVAL

    def number(self, conn: sa.Connection, count: int) -> list[tuple[int, int, int]]:
        """Numbers for `count` points, in order, as runs (token, first n, how many): one run unless the batch
        fills a token."""
        runs: list[tuple[int, int, int]] = []
        while count:
            if self.next_n >= PER_ARRIVAL:
                self.tokens.append(_token(conn))
                self.next_n = 0
            take = min(count, PER_ARRIVAL - self.next_n)
            runs.append((self.tokens[-1], self.next_n, take))
            self.next_n += take
            count -= take
        return runs


def _token(conn: sa.Connection) -> int:
    return int(fetchall(conn, "INSERT INTO arrivals (seq) VALUES (NULL) RETURNING id")[0][0])


def seal(conn: sa.Connection, arrival: Arrival) -> None:
    """Give the batch's tokens their seqs. Call it last, just before the commit: the clock's row stays locked
    until then (see the module's docstring)."""
    for token in arrival.tokens:
        seq = fetchall(conn, "UPDATE arrival_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq")[0][0]
        executemany(conn, "UPDATE arrivals SET seq = ? WHERE id = ?", [(seq, token)])
