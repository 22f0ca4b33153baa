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
* on up to two worker processes (:func:`claims.runtime.parallel_map`'s pool), or on ``workers``
  of them, or one at a time in this process (``workers=1``: an accelerator's runs);
* or, with ``into=NAME``, **collected in the committed file** ``out/NAME.json`` itself
  (``{"provenance": ..., "runs": {key: record}}``, rewritten atomically as each task completes):
  a partial result is then a committed result, and another machine resumes it from the same
  command (:mod:`toys.mode_collapse`).

:func:`write` (and ``into``) add the provenance every committed long result carries (:func:`provenance`):
``command``, ``commit`` (``-dirty`` when the work tree had changes; ``A then B`` when a collected
result was resumed by other code), ``machine`` (CPU model, cores), ``date`` (UTC), ``cpu_seconds``
(the CPU time of every task that went into it, including those of earlier, interrupted
invocations) and, for a collected result, ``wall_seconds`` over its invocations.
:func:`describe` is its one-line label.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from common.files import atomic_write_bytes
from common.provenance import git_commit, machine, utc_now

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
    """Run one task in a worker; its record with the CPU seconds it took (a record that reports its
    own ``cpu_seconds``, e.g. counting an interrupted earlier invocation it resumed, keeps them)."""
    fn, args = task
    t0 = time.process_time()
    rec = fn(*args)
    return {"record": jsonable(rec), "cpu_seconds": rec.get("cpu_seconds", time.process_time() - t0)}


class _Records:
    """Finished tasks as one file each, ``out/.runs/KEY.json`` (git-ignored)."""

    def __init__(self, out: Path, command: str | None = None):
        self.out, self.command = out, command

    def done(self, keys: list[str]) -> dict[str, dict]:
        return {k: r for k in keys if (r := load_record(self.out, k)) is not None}

    def add(self, key: str, rec: dict, cpu_seconds: float, wall_seconds: float) -> None:
        # each record carries its own provenance (commit, machine, date, its CPU seconds): records are
        # committed as they land, before the module's NAME.json gathers them
        rec = {**rec, "provenance": provenance([rec], self.command)}
        atomic_write_bytes(_record_path(self.out, key), json.dumps(jsonable(rec)).encode())


class _Collected:
    """Finished tasks collected in one committed result, ``{"provenance": ..., "runs": {key: record}}``,
    rewritten after each; its provenance counts the CPU and wall seconds of every invocation."""

    def __init__(self, path: Path, command: str | None):
        self.path, self.command = path, command
        self.data = json.loads(path.read_text()) if path.is_file() else {"runs": {}}
        self.data.setdefault("runs", {})
        before = self.data.get("provenance") or {}
        self.cpu_before, self.wall_before = before.get("cpu_seconds", 0.0), before.get("wall_seconds", 0.0)
        self.commit = git_commit()  # the code the workers import now (None: not a git checkout)
        if before.get("commit", self.commit) != self.commit:  # resumed by other code
            self.commit = f"{before['commit'] or 'unknown'} then {self.commit or 'unknown'}"

    def done(self, keys: list[str]) -> dict[str, dict]:
        self.keys = list(keys)
        return {k: self.data["runs"][k] for k in keys if k in self.data["runs"]}

    def add(self, key: str, rec: dict, cpu_seconds: float, wall_seconds: float) -> None:
        self.data["runs"][key] = rec
        self.data["provenance"] = provenance([], self.command, cpu_seconds=self.cpu_before + cpu_seconds,
                                             wall_seconds=self.wall_before + wall_seconds, commit_id=self.commit)
        runs = self.data["runs"]
        order = [k for k in self.keys if k in runs] + [k for k in runs if k not in self.keys]  # the tasks' order
        self.data = {"provenance": self.data["provenance"], "runs": {k: runs[k] for k in order}}
        atomic_write_bytes(self.path, json.dumps(jsonable(self.data)).encode())


def run_tasks(tasks: list[Task], out: Path, desc: str = "long budget", *, workers: int | None = None,
              into: str | None = None, command: str | None = None) -> dict[str, dict]:
    """Every task's record, keyed by ``key``: those already finished are read, the others run (in
    the order given: the most needed first), each written as it completes. Progress with an ETA
    (from the tasks' ``cost``) goes to stderr. Each record gains ``cpu_seconds``.

    Records go to ``out/.runs/KEY.json``, or with ``into`` into the committed result
    ``out/INTO.json`` (keys may then contain "/"), whose provenance names ``command``.
    ``workers``: processes (default :data:`claims.runtime.WORKERS`; 1 runs in this process).
    """
    from concurrent.futures import as_completed

    from . import runtime

    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    out = Path(out)
    store = _Collected(out / f"{into}.json", command) if into else _Records(out, command)
    done = store.done(keys)
    todo = [t for t in tasks if t.key not in done]  # in the given order: the most needed first
    total = sum(t.cost for t in todo)
    workers = runtime.WORKERS if workers is None else workers
    print(f"{desc}: {len(done)} of {len(tasks)} tasks already done; {len(todo)} to run (cost {total:,.0f}) on "
          f"{max(1, min(workers, len(todo)))} worker(s)", file=sys.stderr, flush=True)
    if not todo:
        return {k: done[k] for k in keys}
    t0 = time.perf_counter()
    finished_cost, cpu = 0.0, 0.0

    def report(task: Task, res: dict) -> None:
        nonlocal finished_cost, cpu
        rec = {**res["record"], "cpu_seconds": res["cpu_seconds"]}
        finished_cost += task.cost
        cpu += res["cpu_seconds"]
        elapsed = time.perf_counter() - t0
        store.add(task.key, rec, cpu, elapsed)
        done[task.key] = rec
        eta = elapsed * (total - finished_cost) / finished_cost if finished_cost else float("nan")
        n = len(todo) - sum(t.key not in done for t in todo)
        print(f"{desc}: {n}/{len(todo)} done ({task.key}: {res['cpu_seconds']:.0f} CPU s); "
              f"{elapsed / 60:.1f} min elapsed, about {eta / 60:.0f} min left", file=sys.stderr, flush=True)

    if min(workers, len(todo)) <= 1:
        for task in todo:
            report(task, _timed((task.fn, task.args)))
        return {k: done[k] for k in keys}
    if workers == runtime.WORKERS:
        pool, own = runtime._pool(), None
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        pool = own = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=runtime._one_thread)
    try:
        futures = {pool.submit(_timed, (t.fn, t.args)): t for t in todo}
        for fut in as_completed(futures):
            report(futures[fut], fut.result())
    finally:
        if own is not None:
            own.shutdown(cancel_futures=True)
    return {k: done[k] for k in keys}


def provenance(records: dict[str, dict] | list[dict], command: str | None = None, *,
               cpu_seconds: float | None = None, wall_seconds: float | None = None,
               commit_id: str | None = None) -> dict:
    """What a committed long result says about how it was made: the ``command``, the ``commit``
    (``commit_id`` when given, e.g. as read when the runs started, else
    :func:`common.provenance.git_commit`; None outside a git checkout), the ``machine``, the
    ``date`` (UTC), the ``cpu_seconds`` (given, else the sum over ``records``) and, when given,
    the ``wall_seconds``."""
    recs = records.values() if isinstance(records, dict) else records
    if cpu_seconds is None:
        cpu_seconds = sum(float(r.get("cpu_seconds", 0.0)) for r in recs)
    out = {"command": command or "python -m figures --budget long", "commit": commit_id or git_commit(),
           "machine": machine(), "date": utc_now(),
           "cpu_seconds": round(cpu_seconds, 1)}
    if wall_seconds is not None:
        out["wall_seconds"] = round(wall_seconds, 1)
    return out


def describe(prov: dict | None) -> str:
    """One line of a provenance: command, commit, machine, date, CPU hours ("" without one)."""
    if not prov:
        return ""
    m = prov.get("machine", "?")
    m = f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores" if isinstance(m, dict) else str(m)
    cpu = prov.get("cpu_seconds")
    # a run resumed by other code records "A then B": each commit shortened, none dropped
    commits = " then ".join(f"`{c[:12]}`" for c in str(prov.get("commit") or "unknown").split(" then "))
    return (f"`{prov.get('command', '?')}` at commit {commits} on {m}, {prov.get('date', '?')}"
            + (f", {cpu / 3600:.2f} CPU-hours" if isinstance(cpu, (int, float)) else ""))


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
