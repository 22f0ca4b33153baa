"""Running the toys for the write-up (importable, so worker processes can find it)."""

from __future__ import annotations

import importlib
import sys
import time

from claims import check_result, parallel_map, tally, verdict_line, write_figure
from common.progress import quiet

from .catalogue import FIGURES


def _run_toy(task: tuple) -> tuple[str, dict, float]:
    """Run one toy; with an output folder, also draw and save its figure (in this process).

    ``task``: (module path, quick, seed, output folder or None). Prints a line when the toy starts
    and when it ends (with its time), to stderr, so a log shows progress; the toy's own progress
    lines are silenced (:func:`common.progress.quiet`).
    """
    path, quick, seed, out = task
    module = importlib.import_module(path)
    name = module.NAME
    print(f"  {name}: started", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    with quiet():
        result = check_result(module.run(quick=quick, seed=seed), module.SOURCE)
    seconds = time.perf_counter() - t0
    result.setdefault("settings", {}).update({"quick": quick, "seed": seed, "seconds": round(seconds, 2)})
    if out is not None:
        write_figure(name, result, module.plot, out)
    print(f"  {name}: done in {seconds:.0f} s ({verdict_line(tally(result['claims']))})", file=sys.stderr,
          flush=True)
    return name, result, seconds


#: the modules whose MNIST trainer runs are made first, in one batch that keeps both workers busy;
#: their own time is what they add after it
SHARED_RUNS = ("experiments.loss_quality", "experiments.architectures")


def run_all(quick: bool, seed: int, out=None, names: list[str] | None = None) -> dict[str, dict]:
    """Every toy's result (or those in ``names``), keyed by name: the single-core toys two at a
    time, then the ones that spread their own runs over both cores. With ``out``, each figure is
    also written there."""
    chosen = [f for f in FIGURES if names is None or f.NAME in names]
    # the longest single-core toys first, so that the two workers finish together; the pooled
    # ones in the catalogue's order (architectures reuses the runs of loss_quality)
    single = [(f.__name__, quick, seed, out) for f in sorted(chosen, key=lambda f: -f.COST) if not f.POOLED]
    pooled = [(f.__name__, quick, seed, out) for f in chosen if f.POOLED]
    done = parallel_map(_run_toy, single, desc="toys (2 at a time)") if single else []
    if set(SHARED_RUNS) & {t[0] for t in pooled}:
        from experiments import mnist_runs  # their nine MNIST runs in one batch: both workers stay busy

        print("  the MNIST runs of loss_quality and architectures: started", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        mnist_runs.prefetch(quick, seed)
        print(f"  the MNIST runs: done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    done += [_run_toy(t) for t in pooled]
    return {name: result for name, result, _ in done}
