"""Timing and memory helpers shared by the benchmarks: each measure is a ratio against a peer
run in the same process, interleaved, so machine speed cancels out."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from typing import Callable


def interleaved_times(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each callable, running them in turn ``repeats`` times."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated (tracemalloc: numpy and torch CPU buffers are traced) during fn."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def row(name: str, value: float, target: str, unit: str = "") -> str:
    return f"{name:<58s} {value:>10.3f}{unit:<2s}  target {target}"
