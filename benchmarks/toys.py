"""Whole-process time of each paper toy's ``--quick`` run, against its own imports.

    python -m benchmarks.toys [--repeats 1] [--toys parallel_lines two_gaussians ...]

Issue 20's targets are whole processes on 2 cores: each of the four paper toys' ``python -m
toys.NAME --quick`` under 10 s, and ``python -m figures --quick`` under 90 s. A fresh interpreter
runs each command; the table gives its wall time and its CPU time (user + system, the child's
``getrusage``), beside the peer run in the same way, interleaved: ``python -c "import toys.NAME"``
(the interpreter, torch and the toy's imports, before any work). CPU time is what a loaded
machine does not inflate (a toy runs on one core: its CPU time is its wall time on an idle
one); the load average at the start and end is printed with the table, so a reader can tell.

The first line names the CPU, its cores and every thread pool.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import machine_line

TOYS = ("parallel_lines", "two_gaussians", "noise_annealing", "perfect_discriminator")
ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> dict:
    """Run ``cmd`` in a fresh process from the repository root; its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def measure(toys: tuple[str, ...] = TOYS, repeats: int = 1, out: Path | None = None) -> dict:
    """For each toy, the best of ``repeats`` (wall and CPU seconds) of its ``--quick`` run and of
    its import alone, interleaved."""
    out = Path(out or tempfile.mkdtemp(prefix="bench-toys-"))
    res = {}
    for name in toys:
        runs, imports = [], []
        for _ in range(repeats):
            imports.append(timed([sys.executable, "-c", f"import toys.{name}"]))
            runs.append(timed([sys.executable, "-m", f"toys.{name}", "--quick", "--out", str(out)]))
        res[name] = {"run": {k: min(r[k] for r in runs) for k in ("wall", "cpu")},
                     "import": {k: min(r[k] for r in imports) for k in ("wall", "cpu")}}
    return res


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1, help="runs of each command; the best is kept (default 1)")
    ap.add_argument("--toys", nargs="+", default=list(TOYS), choices=TOYS, help="which toys (default: all four)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    print(machine_line())
    load0 = os.getloadavg()[0]
    res = measure(tuple(args.toys), args.repeats)
    load1 = os.getloadavg()[0]
    print(f"load average (1 min): {load0:.1f} at the start, {load1:.1f} at the end, on {os.cpu_count()} cores")
    print(f"{'python -m toys.NAME --quick':<44s} {'wall s':>8s} {'CPU s':>8s} {'import CPU s':>13s}  target")
    for name, r in res.items():
        print(f"{name:<44s} {r['run']['wall']:>8.1f} {r['run']['cpu']:>8.1f} {r['import']['cpu']:>13.1f}  < 10 s")
    return {"toys": res, "load": [load0, load1]}


if __name__ == "__main__":
    main()
