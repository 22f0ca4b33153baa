"""Running the toys for the write-up (importable, so worker processes can find it)."""

from __future__ import annotations

import importlib
import time

from tqdm.auto import tqdm

from toys.common import parallel_map, write_figure

from .catalogue import FIGURES


def _run_toy(task: tuple) -> tuple[str, dict, float]:
    """Run one toy; with an output folder, also draw and save its figure (in this process)."""
    name, quick, seed, out = task
    t0 = time.perf_counter()
    module = importlib.import_module(f"toys.{name}")
    result = module.run(quick=quick, seed=seed)
    seconds = time.perf_counter() - t0
    result.setdefault("settings", {}).update({"quick": quick, "seed": seed, "seconds": round(seconds, 2)})
    if out is not None:
        write_figure(name, result, module.plot, out)
    return name, result, seconds


def run_all(quick: bool, seed: int, out=None) -> dict[str, dict]:
    """Every toy's result, keyed by name: the single-core toys two at a time, then the two that
    spread their runs over both cores. With ``out``, each figure is also written there."""
    single = [(f.name, quick, seed, out) for f in FIGURES if not f.pooled]
    pooled = [(f.name, quick, seed, out) for f in FIGURES if f.pooled]
    done = parallel_map(_run_toy, single, desc="toys (2 at a time)")
    done += [_run_toy(t) for t in tqdm(pooled, desc="toys (2 cores each)", leave=False, disable=None)]
    return {name: result for name, result, _ in done}
