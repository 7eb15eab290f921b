"""One benchmark, run on two revisions of the code in the same session: did a change make it slower?

Each revision runs its own copy of the benchmark script against its own code, from a git worktree with its own
virtual environment (built from that revision's uv.lock). The two alternate, base first in odd rounds and head
first in even ones, so that a drift of the machine's speed falls on both. Every figure a benchmark prints as
`NAME: best X us/request` (or `ns/call`, or `... sensorgate X ms`) is collected, and the medians are compared:

    uv run python bench/revisions.py --base 1b07d50 --rounds 3 -- keys_asgi.py --repeats 5

prints per figure the base and head medians and head/base (above 1: the head is slower). The head is this
working tree unless --head names a revision. Worktrees are made under the system's temp dir and kept for the
next run.
"""

from __future__ import annotations

import argparse
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, console

FIGURE = re.compile(r"^\s*(?P<name>[^:\n]+?):\s+best\s+(?P<value>[\d.]+)\s*(?P<unit>us/request|ns/call)", re.M)
# keys_verify prints "NAME   best 1234 ns/call"; aggregate_inprocess "... sensorgate 11.0 ms, sqlite3 GROUP BY ..."
SPACED = re.compile(r"^(?P<name>\S.*?)\s{2,}best\s+(?P<value>[\d.]+)\s+(?P<unit>ns/call)", re.M)
AGGREGATE = re.compile(r"sensorgate (?P<value>[\d.]+) ms, sqlite3 GROUP BY (?P<base>[\d.]+) ms")


def worktree(revision: str) -> Path:
    """A checkout of `revision` with its own environment, made once and reused."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"sensorgate-rev-{sha}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True)
    subprocess.run(["uv", "sync", "--frozen", "--quiet"], cwd=path, check=True)
    return path


def figures(output: str) -> dict[str, float]:
    found = {m["name"].strip(): float(m["value"]) for m in FIGURE.finditer(output)}
    found |= {m["name"].strip(): float(m["value"]) for m in SPACED.finditer(output)}
    for m in AGGREGATE.finditer(output):
        found["aggregate, ms"] = float(m["value"])
        found["sqlite3 GROUP BY, ms (baseline)"] = float(m["base"])
    return found


def run(where: Path, script: str, args: list[str]) -> dict[str, float]:
    command = ["uv", "run", "--frozen", "python", f"bench/{script}", *args]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed in {where}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    found = figures(done.stdout)
    if not found:
        raise SystemExit(f"no figures in the output of {shlex.join(command)}:\n{done.stdout[-2000:]}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the revision to compare with (a commit, tag or branch)")
    parser.add_argument("--head", help="the revision to measure (default: this working tree, as it is)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each revision, alternating")
    parser.add_argument("script", help="a benchmark in bench/ that prints `NAME: best X us/request` lines")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments, after --")
    options = parser.parse_args()
    args = [a for a in options.args if a != "--"]
    began = time.monotonic()
    places = {"base": worktree(options.base), "head": worktree(options.head) if options.head else ROOT}
    results: dict[str, dict[str, list[float]]] = {"base": {}, "head": {}}
    for round_ in range(options.rounds):
        order = ["base", "head"] if round_ % 2 == 0 else ["head", "base"]
        for label in order:
            for name, value in run(places[label], options.script, args).items():
                results[label].setdefault(name, []).append(value)
        console.print(f"round {round_ + 1}/{options.rounds} done ({time.monotonic() - began:.0f} s)")
    head = options.head or "this tree"
    console.print(f"\n{options.script} {shlex.join(args)}: base {options.base} against head {head}, medians of "
                  f"{options.rounds} alternating runs each; head/base above 1 means the head is slower")  # fmt: skip
    for name, base_values in results["base"].items():
        head_values = results["head"].get(name)
        if not head_values:
            console.print(f"  {name}: only in the base")
            continue
        base, head = statistics.median(base_values), statistics.median(head_values)
        spread = (
            f"base {min(base_values):.1f}-{max(base_values):.1f}, head {min(head_values):.1f}-{max(head_values):.1f}"
        )
        console.print(f"  {name:>34}: base {base:8.1f}  head {head:8.1f}  head/base {head / base:.3f}  ({spread})")
    again = shlex.join(["uv", "run", "python", "bench/revisions.py", *sys.argv[1:]])
    console.print(f"took {time.monotonic() - began:.0f} s; reproduce with (from {ROOT}):\n  {again}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
