"""Running the toys for the write-up (importable, so worker processes can find it)."""

from __future__ import annotations

import sys
import time

from claims import parallel_map, tally, verdict_line
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
    """Every toy's result (or those in ``names``), keyed by name: the single-core toys two at a
    time, then the ones that spread their own runs over both cores. With ``out``, each figure is
    also written there."""
    chosen = [f for f in FIGURES if names is None or f.name in names]
    # the longest single-core toys first, so that the two workers finish together; the pooled
    # ones in the catalogue's order (architectures reuses the runs of loss_quality)
    single = [(f.module, quick, seed, out) for f in sorted(chosen, key=lambda f: -f.cost) if not f.pooled]
    pooled = [(f.module, quick, seed, out) for f in chosen if f.pooled]
    done = parallel_map(_run_toy, single, desc="toys (2 at a time)") if single else []
    if set(SHARED_RUNS) & {t[0] for t in pooled}:
        from experiments import mnist_runs  # their nine MNIST runs in one batch: both workers stay busy

        print("  the MNIST runs of loss_quality and architectures: started", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        cache = mnist_runs.prefetch(quick, seed)
        print(f"  the MNIST runs: done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        pooled = [t + (cache,) if t[0] in SHARED_RUNS else t for t in pooled]
    done += [_run_toy(t) for t in pooled]
    return {name: result for name, result, _ in done}
