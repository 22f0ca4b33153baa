"""Timing and memory helpers shared by the benchmarks: each measure is a ratio against a peer
run in the same process, interleaved, so machine speed cancels out."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from typing import Callable

from common.provenance import cpu_model  # re-exported: the benchmarks name the CPU they ran on


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


def machine_line() -> str:
    """One line naming what the timings depend on: CPU, cores, thread pools, library versions."""
    import os

    import numpy
    import torch
    from threadpoolctl import threadpool_info

    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())
    return (f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; thread pools: {pools}; "
            f"torch threads {torch.get_num_threads()}; numpy {numpy.__version__}, torch {torch.__version__}")


class fixed_threads:
    """Context manager: every BLAS/OpenMP pool (threadpoolctl) and torch use ``n`` threads."""

    def __init__(self, n: int):
        self.n = n

    def __enter__(self):
        import torch
        from threadpoolctl import threadpool_limits

        self._torch = torch.get_num_threads()
        self._limits = threadpool_limits(limits=self.n)
        torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        import torch

        torch.set_num_threads(self._torch)
        self._limits.restore_original_limits()
        return False
