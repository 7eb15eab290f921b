"""The aggregate answer as CSV (`format=csv`): one row a bucket, the columns of the JSON items, only the functions
asked for in `fn`. Numbers are written as the JSON writes them (the shortest text that reads back the same float),
so a CSV and a JSON answer to one request hold the same numbers."""

from __future__ import annotations

import csv
import io

from sensorgate.measurements.schemas import AggregateOut

ORDER = ("count", "min", "max", "avg", "sum")  # the JSON item's field order
EXAMPLE = "sensor,metric,start,count,min,max,avg\n1,temperature,2026-11-02T10:00:00.000Z,60,20.9,21.6,21.25\n"


def to_csv(out: AggregateOut, functions: frozenset[str]) -> str:
    picked = [name for name in ORDER if name in functions]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["sensor", "metric", "start", *picked])
    for item in out.items:
        values = [getattr(item, name) for name in picked]
        writer.writerow([item.sensor, item.metric, item.start, *("" if v is None else repr(v) for v in values)])
    return text.getvalue()
