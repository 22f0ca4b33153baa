"""Running the toys for the write-up (importable, so worker processes can find it)."""

from __future__ import annotations

import sys
import time

from claims import tally, verdict_line
from claims.runtime import single_threaded, submit_background
from claims.cli import run_figure
from claims.contract import load
from common.progress import quiet

from .catalogue import FIGURES


def _run_toy(task: tuple) -> tuple[str, dict, float]:
    """Run one toy; with an output folder, also draw and save its figure (in this process).

    ``task``: (module path, quick, seed, output folder or None[, the MNIST runs' cache]). Prints a line when the toy starts
    and when it ends (with its time), to stderr, so a log shows progress; the toy's own progress
    lines are silenced (:func:`common.progress.quiet`).
    """
    path, quick, seed, out, *shared = task
    figure = load(path)
    print(f"  {figure.name}: started", file=sys.stderr, flush=True)
    kw = {"cache": shared[0]} if shared else {}  # the MNIST runs trained once for the modules that share them
    with quiet():
        result = run_figure(figure, quick, seed, out, **kw)
    seconds = result["settings"]["seconds"]
    print(f"  {figure.name}: done in {seconds:.0f} s ({verdict_line(tally(result['claims']))})", file=sys.stderr,
          flush=True)
    return figure.name, result, seconds


#: the modules whose MNIST trainer runs are made first, in one batch that keeps both workers busy;
#: their own time is what they add after it
SHARED_RUNS = ("experiments.loss_quality", "experiments.architectures")


def run_all(quick: bool, seed: int, out=None, names: list[str] | None = None) -> dict[str, dict]:
    """Every toy's result (or those in ``names``), keyed by name. With ``out``, each figure is
    also written there.

    The single-core toys are queued on the two workers as background work
    (:func:`claims.runtime.submit_background`, the longest first), while this process runs the
    pooled modules one after the other (the MNIST runs first): their runs take the workers first,
    and the toys fill every moment a worker would otherwise wait (the tail of a batch of runs, a
    pooled module's own work in this process), so both workers stay busy until the end.
    """
    chosen = [f for f in FIGURES if names is None or f.name in names]
    single = [(f.module, quick, seed, out) for f in sorted(chosen, key=lambda f: -f.cost) if not f.pooled]
    # the pooled ones by cost, the longest first (architectures reuses the runs of loss_quality)
    pooled = [(f.module, quick, seed, out) for f in sorted(chosen, key=lambda f: -f.cost) if f.pooled]
    futures = [submit_background(_run_toy, t) for t in single]
    done = []
    if set(SHARED_RUNS) & {t[0] for t in pooled}:
        from experiments import mnist_runs  # their MNIST runs in one batch: both workers stay busy

        print("  the MNIST runs of loss_quality and architectures: started", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        cache = mnist_runs.prefetch(quick, seed)
        print(f"  the MNIST runs: done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        pooled = [t + (cache,) if t[0] in SHARED_RUNS else t for t in pooled]
    # this process works beside the two busy workers: one thread, so that torch's idle threads do not
    # spin on the cores the workers need
    done += [single_threaded(_run_toy)(t) for t in pooled]
    done = [f.result() for f in futures] + done
    return {name: result for name, result, _ in done}
