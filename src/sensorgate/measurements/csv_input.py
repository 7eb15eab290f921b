"""Backfill as CSV: a header row naming sensor, metric, value and optionally time, then one point a row.

Rows become the same items as the JSON body, so both go through one validation and report bad rows by
index (the first data row is index 0).
"""

from __future__ import annotations

import _csv
import csv
import io
from collections.abc import Iterator

from sensorgate.kit.errors import BadRequest
from sensorgate.measurements.ingest import MAX_BATCH, PointIn

REQUIRED = ("sensor", "metric", "value")


def parse_csv(body: bytes) -> list[PointIn]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("CSV must be UTF-8") from None
    reader = _rows(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise BadRequest(
            f"CSV header must name {', '.join(REQUIRED)} (and optionally time); missing: {', '.join(missing)}"
        )
    unknown = [h for h in header if h not in (*REQUIRED, "time")]
    if unknown:
        raise BadRequest(f"unknown CSV column: {', '.join(unknown)}")
    where = {name: header.index(name) for name in header}
    items: list[PointIn] = []
    for row in reader:
        if not row:
            continue
        if len(items) >= MAX_BATCH:
            raise BadRequest(f"a batch holds at most {MAX_BATCH} rows")
        cells = dict(zip(header, row, strict=False))
        items.append(
            PointIn(
                sensor=_number(cells.get("sensor"), integer=True),
                metric=cells.get("metric", "").strip() or None,
                value=_number(cells.get("value")),
                time=(cells.get("time") or "").strip() or None if "time" in where else None,
            )
        )
    return items


def _rows(reader: _csv.Reader) -> Iterator[list[str]]:
    """The reader's rows. Its errors, such as a field past csv.field_size_limit() (131,072 characters), are the
    client's and name the line."""
    try:
        yield from reader
    except csv.Error as exc:
        raise BadRequest(f"CSV line {reader.line_num}: {exc}") from None


def _number(cell: str | None, integer: bool = False) -> object:
    """A number, or the text itself so that validation reports the wrong type at its index."""
    if cell is None:
        return None
    text = cell.strip()
    try:
        return int(text) if integer else float(text)
    except ValueError:
        return text
