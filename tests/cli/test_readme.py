"""The numbers a newcomer reads in README.md are those the program prints and enforces.

The tour's banner is compared with a real `serve --demo` in tests/cli/test_serve.py (check_tour, below); the
other figures with the constants they describe.
"""

from __future__ import annotations

import re
from pathlib import Path

from sensorgate.demo.sizes import DEFAULT_DAYS, DEFAULT_INTERVAL, DEFAULT_SENSORS
from sensorgate.measurements.ingest import MAX_BATCH
from sensorgate.usage.health import EXPIRING_WITHIN, UNUSED_FOR

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
FLAT = " ".join(README.split())  # line wrapping undone
SENSORS = DEFAULT_SENSORS + 1  # the virtual dew point sensor comes with them


def tour() -> str:
    """The text block of `serve --demo`'s output in the README's short tour."""
    found = re.search(r"## A short tour.*?```text\n(.*?)```", README, re.DOTALL)
    assert found, "README.md has no short tour with a text block"
    return found.group(1)


def test_the_tour_says_how_much_demo_data_there_is() -> None:
    prose = " ".join(README[README.index("## A short tour") : README.index("```text")].split())
    assert f"{SENSORS} sensors ({DEFAULT_SENSORS} measuring ones and a virtual dew-point sensor)" in prose
    assert DEFAULT_DAYS == 7 and "a week of readings" in prose
    assert f"one every {DEFAULT_INTERVAL} s" in prose
    assert f"demo data: {SENSORS} sensors created" in tour()
    assert f"one every {DEFAULT_INTERVAL} s" in tour()
    assert re.search(rf"^\s+Sensors\s+{SENSORS} in workspace demo", tour(), re.MULTILINE)


def test_the_other_limits_the_readme_names() -> None:
    assert f"a backfill of up to {MAX_BATCH:,} points" in FLAT
    assert f"keys expiring within {EXPIRING_WITHIN.days} days" in FLAT
    assert f"idle for {UNUSED_FOR.days} days" in FLAT


def check_tour(output: str, port: int) -> None:
    """`serve --demo`'s first output against the README's tour: the same lines, the same figures."""
    printed = output.replace(f":{port}", ":8000")
    shown = tour()
    labels = re.compile(r"^  (\S+(?: \S+)?)\s{2,}", re.MULTILINE)
    assert labels.findall(shown) == labels.findall(printed), printed
    for label in ("Console", "API docs", "Login", "Sensors"):
        line = re.compile(rf"^  {label}\s.*$", re.MULTILINE)
        assert line.search(shown) and line.search(printed), label
        assert line.search(shown).group(0) == line.search(printed).group(0), label  # type: ignore[union-attr]
    summary = re.compile(r"demo data: (\d+) sensors created, none already there; ([\d,]+) points written")
    readme_summary, printed_summary = summary.search(shown), summary.search(printed)
    assert readme_summary and printed_summary, printed
    assert readme_summary.group(1) == printed_summary.group(1)
    # The points depend on where now falls on the 300 s grid and on the outages: the same within 1 %.
    readme_points, printed_points = (int(m.group(2).replace(",", "")) for m in (readme_summary, printed_summary))
    assert abs(readme_points - printed_points) <= printed_points / 100, (readme_points, printed_points)
    latest = re.compile(r"/v1/measurements/latest\?sensor=\d+")
    assert latest.findall(shown) and latest.findall(shown) == latest.findall(printed), printed
