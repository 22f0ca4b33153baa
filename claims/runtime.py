"""How a toy or an experiment runs: seeding, one torch thread for tiny networks, and up to two
worker processes. Progress on a terminal and in a log (:func:`progress`, silenced by
:func:`quiet`) is :mod:`common.progress`'s, re-exported here."""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from common.progress import progress, quiet

__all__ = ["WORKERS", "parallel_map", "progress", "quiet", "seed_all", "single_threaded"]


def single_threaded(run: Callable[..., dict]) -> Callable[..., dict]:
    """Run a toy with one torch thread, then restore the setting.

    The toys' networks are tiny: intra-op threading costs more than it gains (measured about
    20% slower with 2 threads on 2 cores), and ``python -m figures`` runs toys side by side.
    """
    import functools

    @functools.wraps(run)
    def wrapper(*args, **kwargs):
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return run(*args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return wrapper


def parallel_map(fn: Callable, tasks: list, desc: str = "runs") -> list:
    """``[fn(t) for t in tasks]`` on up to two worker processes (this machine has two cores).

    Each task must seed its own randomness, so results do not depend on the scheduling.
    Workers are spawned (a fresh interpreter: no torch state crosses a fork) and run torch
    single-threaded. ``fn`` must be importable (a module-level function).
    """
    if min(WORKERS, len(tasks)) <= 1:
        return [fn(t) for t in progress(tasks, desc)]
    return list(progress(_pool().map(fn, tasks), desc, total=len(tasks)))


WORKERS = min(2, os.cpu_count() or 1)
_POOL = None


def _pool():
    """The process pool, started once and reused by every toy of this process (a fresh
    interpreter costs seconds: torch's import), shut down at exit."""
    global _POOL
    if _POOL is None:
        import atexit
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        _POOL = ProcessPoolExecutor(WORKERS, mp_context=mp.get_context("spawn"), initializer=_one_thread)
        atexit.register(_POOL.shutdown)
    return _POOL


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def seed_all(seed: int):
    """Seed torch and return a numpy Generator."""
    import torch

    torch.manual_seed(seed)
    return np.random.default_rng(seed)
