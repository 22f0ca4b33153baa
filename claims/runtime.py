"""How a toy or an experiment runs: seeding, one torch thread for tiny networks, and up to two
worker processes. Progress on a terminal and in a log (:func:`progress`, silenced by
:func:`quiet`) is :mod:`common.progress`'s, re-exported here."""

from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import Future
from typing import Callable

import numpy as np

from common.progress import progress, quiet

__all__ = ["WORKERS", "parallel_map", "progress", "quiet", "seed_all", "single_threaded", "submit_background"]


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
    single-threaded. ``fn`` must be importable (a module-level function). The tasks go to the
    workers before any queued with :func:`submit_background` (which fill the workers' idle time).
    """
    if min(WORKERS, len(tasks)) <= 1:
        return [fn(t) for t in progress(tasks, desc)]
    futures = [_dispatcher().submit(fn, t, urgent=True) for t in tasks]
    return list(progress((f.result() for f in futures), desc, total=len(tasks)))


def submit_background(fn: Callable, task) -> Future:
    """Queue ``fn(task)`` for the worker processes behind every :func:`parallel_map` task, now and
    later: background work (``python -m figures``'s single-core toys) runs whenever a worker would
    otherwise wait, while this process goes on. The future's ``result()`` is ``fn(task)``.
    With one worker, ``fn(task)`` runs here, now."""
    if WORKERS <= 1:
        f: Future = Future()
        try:
            f.set_result(fn(task))
        except BaseException as e:  # noqa: BLE001 -- handed to the caller through the future
            f.set_exception(e)
        return f
    return _dispatcher().submit(fn, task, urgent=False)


WORKERS = min(2, os.cpu_count() or 1)
_POOL = None
_DISPATCHER = None


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


class _Dispatcher:
    """Keeps at most :data:`WORKERS` tasks on the pool at a time, urgent ones (first in, first out)
    before background ones, so that work queued in the background never delays a
    :func:`parallel_map` by more than the tasks already running, and fills the workers when it
    has nothing queued. A feeder thread hands the tasks to the pool."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.queues: tuple[deque, deque] = (deque(), deque())  # urgent, background
        self.running = 0
        threading.Thread(target=self._feed, name="parallel_map feeder", daemon=True).start()

    def submit(self, fn: Callable, task, urgent: bool) -> Future:
        f: Future = Future()
        with self.cond:
            self.queues[0 if urgent else 1].append((fn, task, f))
            self.cond.notify_all()
        return f

    def _feed(self) -> None:
        while True:
            with self.cond:
                while self.running >= WORKERS or not (self.queues[0] or self.queues[1]):
                    self.cond.wait()
                fn, task, outer = (self.queues[0] or self.queues[1]).popleft()
                self.running += 1
            try:
                inner = _pool().submit(fn, task)
            except BaseException as e:  # noqa: BLE001 -- the pool is shut down: tell the caller
                outer.set_exception(e)
                with self.cond:
                    self.running -= 1
                continue
            inner.add_done_callback(lambda g, outer=outer: self._done(g, outer))

    def _done(self, inner: Future, outer: Future) -> None:
        with self.cond:
            self.running -= 1
            self.cond.notify_all()
        if inner.cancelled():
            outer.cancel()
        elif inner.exception() is not None:
            outer.set_exception(inner.exception())
        else:
            outer.set_result(inner.result())


def _dispatcher() -> _Dispatcher:
    global _DISPATCHER
    if _DISPATCHER is None:
        _DISPATCHER = _Dispatcher()
    return _DISPATCHER


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def seed_all(seed: int):
    """Seed torch and return a numpy Generator."""
    import torch

    torch.manual_seed(seed)
    return np.random.default_rng(seed)
