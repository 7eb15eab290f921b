"""Instructions per request on two revisions, counted by valgrind: a comparison that machine noise cannot touch.

CPU-time benchmarks on a shared machine scatter by 10 to 30 % from one process to the next, which hides a change
of a few percent. `valgrind --tool=callgrind` counts the instructions a process executes instead, the same for the
same code and input whatever else the machine does. Each revision runs the same in-process request (the 100-point
history page of bench/keys_asgi.py, with an API key or a console session) N and 4N times; the difference of the
two counts over 3N requests is the cost of one request, start-up and warm-up cancelled out:

    uv run python bench/instructions.py --base 1b07d50 --head HEAD --requests 200

prints, per variant, the instructions per request of each revision and head/base. It takes a few minutes: under
valgrind everything runs about fifty times slower. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from harness import ROOT, console
from revisions import worktree

# Run inside a revision's checkout. SEED, without valgrind: the stock `serve --demo` seeds a data dir, as
# keys_asgi does, and what the driver needs is printed as JSON. DRIVER, under valgrind: warm up, then n requests.
SEED = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, "bench")
    import keys_http
    from harness import Processes
    from pathlib import Path

    seeded = keys_http.seeded_demo(Path(os.environ["WORK"]), Processes())
    found = {"env": seeded.env, "key": seeded.demo["api_key"], "session": seeded.session, "path": seeded.path}
    print(json.dumps(found))
    """
)
DRIVER = textwrap.dedent(
    """
    import asyncio, json, os, sys
    sys.path.insert(0, "bench")
    seeded = json.loads(os.environ["SEEDED"])
    os.environ.update(seeded["env"])
    # No timer-driven work: under valgrind a run lasts fifty times longer, and that must not change the count.
    os.environ.update({"SENSORGATE_USAGE_FLUSH_SECONDS": "3600", "SENSORGATE_SCHEDULER": "false"})
    import keys_asgi, auth_app

    variant, n = sys.argv[1], int(sys.argv[2])

    async def main():
        app = auth_app.app_factory(access_stream=open(os.devnull, "w"))
        inbox, lifespan = await keys_asgi.start_lifespan(app)
        headers = {"key": [(b"x-api-key", seeded["key"].encode())],
                   "session": [(b"cookie", f"sg_session={seeded['session']}".encode())]}[variant]
        scope = keys_asgi.scope_for(seeded["path"], headers)
        for _ in range(50):
            await keys_asgi.call(app, scope)
        for _ in range(n):
            await keys_asgi.call(app, scope)
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await lifespan

    asyncio.run(main())
    """
)
TOTAL = re.compile(r"Collected\s*:\s*(\d+)")


def seed(where: Path, work: Path) -> str:
    done = subprocess.run(
        [str(where / ".venv" / "bin" / "python"), "-c", SEED],
        cwd=where, env={**os.environ, "WORK": str(work)}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"seeding failed in {where}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def instructions(where: Path, variant: str, n: int, seeded: str) -> int:
    out = Path(tempfile.mkstemp(prefix="callgrind-")[1])
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--trace-children=no",
        str(where / ".venv" / "bin" / "python"), "-c", DRIVER, variant, str(n),
    ]  # fmt: skip
    env = {**os.environ, "SEEDED": seeded, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, timeout=3600)
    found = TOTAL.search(done.stderr)
    out.unlink(missing_ok=True)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{shlex.join(command[:3])} failed in {where}:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the revision to compare with")
    parser.add_argument("--head", help="the revision to measure (default: this working tree)")
    parser.add_argument("--requests", type=int, default=200, help="N: the runs make N and 4N requests")
    parser.add_argument("--variants", default="key,session")
    options = parser.parse_args()
    began = time.monotonic()
    places = {"base": worktree(options.base), "head": worktree(options.head) if options.head else ROOT}
    n = options.requests
    per_request: dict[tuple[str, str], float] = {}
    for variant in options.variants.split(","):
        for label, where in places.items():
            with tempfile.TemporaryDirectory(prefix="sensorgate-instructions-") as work:
                seeded = seed(where, Path(work))
                few = instructions(where, variant, n, seeded)
                many = instructions(where, variant, 4 * n, seeded)
            per_request[(variant, label)] = (many - few) / (3 * n)
            console.print(f"{variant} on {label}: {per_request[(variant, label)]:,.0f} instructions a request")
    head = options.head or "this tree"
    console.print(f"\ninstructions per request (valgrind), base {options.base} against head {head}:")
    for variant in options.variants.split(","):
        base, mine = per_request[(variant, "base")], per_request[(variant, "head")]
        console.print(f"  {variant:>8}: base {base:,.0f}  head {mine:,.0f}  head/base {mine / base:.3f}")
    again = shlex.join(["uv", "run", "python", "bench/instructions.py", *sys.argv[1:]])
    console.print(f"took {time.monotonic() - began:.0f} s; reproduce with (from {ROOT}):\n  {again}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
