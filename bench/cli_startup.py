"""CPU time of `sensorgate --help` and `sensorgate --version`, against `python -c "import click"` in the same run.

Each command is the installed console script, run as a user runs it, with bytecode already cached (one untimed
run of each first). The runs of the commands and of the baseline alternate, so a drift of the machine's speed
falls on all of them; each figure is the median CPU time (user + system, of the child process, from wait4) over
the rounds, and the ratio is that median over the baseline's median. `keys create --help` is measured too: the
help a newcomer asks for next.

    uv run python bench/cli_startup.py              # about 20 s
    uv run python bench/cli_startup.py --rounds 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    'python -c "import click"': [sys.executable, "-c", "import click"],
    "sensorgate --help": [str(BIN / "sensorgate"), "--help"],
    "sensorgate --version": [str(BIN / "sensorgate"), "--version"],
    "sensorgate keys create --help": [str(BIN / "sensorgate"), "keys", "create", "--help"],
}
BASELINE = 'python -c "import click"'


def cpu_seconds(argv: list[str]) -> float:
    """The child's user + system CPU time, from its own rusage (not this process's)."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    for argv in COMMANDS.values():
        cpu_seconds(argv)  # writes the bytecode caches, untimed
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    names = list(COMMANDS)
    for round_ in range(args.rounds):
        # Alternate the order too, so no command always runs right after the same one.
        for name in names if round_ % 2 == 0 else reversed(names):
            samples[name].append(cpu_seconds(COMMANDS[name]))
    base = statistics.median(samples[BASELINE])
    print(f"CPU time, median of {args.rounds} alternating rounds, bytecode cached ({sys.version.split()[0]})")
    for name in names:
        median, least = statistics.median(samples[name]), min(samples[name])
        print(f"  {name:<32} {median * 1000:7.1f} ms = {median / base:5.2f}x the baseline (min {least * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
