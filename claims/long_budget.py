"""The long budget: ``python -m figures --budget long`` and the results it commits.

Some claims need more compute than the main job's 20 minutes (more seeds, longer runs). A module
may define ``run_long(out: Path) -> None``: it trains what the long budget adds and writes
``out/NAME.json`` (by default ``figures/long/NAME.json``, committed). The main job's ``run()``
then reads that file when it is there (:func:`read`), draws its numbers beside its own, labelled
as such, and a verdict that rests on them says so; without it, a claim only the long budget can
decide is ``no verdict``.

The work is a list of :class:`Task` (one training run each). :func:`run_tasks`:

* **resumable**: each finished task is written atomically, as it completes, to
  ``out/.runs/KEY.json`` (git-ignored) and skipped on a rerun; an interrupted budget loses only
  the tasks in flight. Two modules that share a run (same key) train it once;
* **progress with an ETA** on stderr: tasks done, CPU seconds, and the time left estimated from
  the tasks' relative costs and the rate so far;
* on up to two worker processes (:func:`claims.runtime.parallel_map`'s pool).

:func:`write` adds the provenance every committed long result carries: ``command``, ``commit``
(``-dirty`` when the work tree had changes), ``machine`` (CPU model, cores), ``date`` and
``cpu_seconds`` (the CPU time of every task that went into it, including those of earlier,
interrupted invocations).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gan.rundir import atomic_write_bytes

from .cli import FIGURES_DIR
from .output import jsonable

LONG_DIR = FIGURES_DIR / "long"  # the committed long results
RUNS = ".runs"  # per-task records, beside them (git-ignored)


@dataclass(frozen=True)
class Task:
    """One unit of long work: ``fn(*args)`` returns a JSON-able dict; ``key`` names its record
    (unique across modules: a shared run has one key); ``cost`` is its relative cost (e.g.
    critic steps), for the ETA."""

    key: str
    fn: Callable[..., dict]
    args: tuple = ()
    cost: float = 1.0


def _record_path(out: Path, key: str) -> Path:
    if not key or "/" in key or key.startswith("."):
        raise ValueError(f"task key must be a plain file name, got {key!r}")
    return Path(out) / RUNS / f"{key}.json"


def load_record(out: Path, key: str) -> dict | None:
    """The finished record of task ``key`` in ``out`` (None when it has not run)."""
    path = _record_path(out, key)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # a torn or unreadable record is run again


def _timed(task: tuple) -> dict:
    """Run one task in a worker; its record with the CPU seconds it took."""
    fn, args = task
    t0 = time.process_time()
    rec = fn(*args)
    return {"record": jsonable(rec), "cpu_seconds": time.process_time() - t0}


def run_tasks(tasks: list[Task], out: Path, desc: str = "long budget") -> dict[str, dict]:
    """Every task's record, keyed by ``key``: those already in ``out/.runs`` are read, the others
    run (up to two at a time, in the order given), each written as it completes. Progress with
    an ETA goes to stderr. Each record gains ``cpu_seconds``."""
    from concurrent.futures import as_completed

    from . import runtime as common

    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    out = Path(out)
    done = {t.key: r for t in tasks if (r := load_record(out, t.key)) is not None}
    todo = [t for t in tasks if t.key not in done]  # in the given order: the most needed first
    total = sum(t.cost for t in todo)
    print(f"{desc}: {len(done)} of {len(tasks)} tasks already done; {len(todo)} to run", file=sys.stderr,
          flush=True)
    if not todo:
        return {k: done[k] for k in keys}
    t0 = time.perf_counter()
    finished_cost, cpu = 0.0, 0.0

    def report(task: Task, res: dict) -> None:
        nonlocal finished_cost, cpu
        rec = {**res["record"], "cpu_seconds": res["cpu_seconds"]}
        atomic_write_bytes(_record_path(out, task.key), json.dumps(rec).encode())
        done[task.key] = rec
        finished_cost += task.cost
        cpu += res["cpu_seconds"]
        elapsed = time.perf_counter() - t0
        eta = elapsed * (total - finished_cost) / finished_cost if finished_cost else float("nan")
        n = len(todo) - sum(t.key not in done for t in todo)
        print(f"{desc}: {n}/{len(todo)} done ({task.key}: {res['cpu_seconds']:.0f} CPU s); "
              f"{elapsed / 60:.1f} min elapsed, about {eta / 60:.0f} min left", file=sys.stderr, flush=True)

    if min(common.WORKERS, len(todo)) <= 1:
        for task in todo:
            report(task, _timed((task.fn, task.args)))
    else:
        pool = common._pool()
        futures = {pool.submit(_timed, (t.fn, t.args)): t for t in todo}
        for fut in as_completed(futures):
            report(futures[fut], fut.result())
    return {k: done[k] for k in keys}


def machine() -> str:
    """The CPU model and core count (from /proc/cpuinfo where there is one)."""
    model = platform.processor() or platform.machine()
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().splitlines() if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        model = f"{info['model name']} (family {info.get('cpu family', '?')} model {info.get('model', '?')})"
    except (OSError, KeyError, ValueError):
        pass
    return f"{model}, {os.cpu_count()} cores"


def commit() -> str:
    """The repository's commit (with ``-dirty`` when the work tree has changes), or "unknown"."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def provenance(records: dict[str, dict] | list[dict], command: str | None = None) -> dict:
    """What a committed long result says about how it was made."""
    recs = records.values() if isinstance(records, dict) else records
    return {"command": command or "python -m figures --budget long", "commit": commit(), "machine": machine(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "cpu_seconds": round(sum(float(r.get("cpu_seconds", 0.0)) for r in recs), 1)}


def write(out: Path, name: str, result: dict, records: dict[str, dict] | list[dict],
          command: str | None = None) -> Path:
    """Write ``out/NAME.json``: ``result`` with its ``provenance``; returns the path."""
    path = Path(out) / f"{name}.json"
    body = {**result, "provenance": provenance(records, command)}
    atomic_write_bytes(path, json.dumps(jsonable(body), indent=1).encode())
    return path


def read(name: str, folder: Path | None = None) -> dict | None:
    """The committed long result ``NAME.json`` (None when there is none, or it is unreadable)."""
    path = Path(folder or LONG_DIR) / f"{name}.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "provenance" in data else None

