"""The workers' dispatcher: parallel_map's tasks go before queued background work, and
background work fills the workers (claims.runtime)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from claims import runtime


def _job(task):
    kind, i, wait, starts, gate = task
    if gate is not None:
        gate.wait(5)
    starts.append((kind, i))
    time.sleep(wait)
    return kind, i


def test_parallel_map_goes_before_background_work_queued_earlier(monkeypatch):
    """Two background tasks hold both workers; three more wait in the queue; then a parallel_map
    arrives: its three tasks start before any of the waiting background ones (a first-in,
    first-out pool would start those first), and every result comes back."""
    pool = ThreadPoolExecutor(2)  # threads stand in for the worker processes
    monkeypatch.setattr(runtime, "WORKERS", 2)
    monkeypatch.setattr(runtime, "_POOL", pool)
    monkeypatch.setattr(runtime, "_DISPATCHER", None)
    starts, gate = [], threading.Event()
    hold = [runtime.submit_background(_job, ("hold", i, 0.0, starts, gate)) for i in range(2)]
    queued = [runtime.submit_background(_job, ("background", i, 0.0, starts, None)) for i in range(3)]
    out = {}
    urgent = [("urgent", 0, 0.05, starts, None), ("urgent", 1, 0.3, starts, None), ("urgent", 2, 0.05, starts, None)]
    t = threading.Thread(target=lambda: out.setdefault("map", runtime.parallel_map(_job, urgent)))
    t.start()
    time.sleep(0.2)  # the urgent tasks are queued behind the held workers
    gate.set()
    t.join(10)
    assert out["map"] == [("urgent", 0), ("urgent", 1), ("urgent", 2)]
    assert [f.result(10) for f in hold + queued] == [("hold", 0), ("hold", 1)] + [("background", i) for i in range(3)]
    order = [k for k, _ in starts if k != "hold"]
    assert order == ["urgent"] * 3 + ["background"] * 3, starts
    pool.shutdown()


def test_background_work_runs_here_with_one_worker(monkeypatch):
    monkeypatch.setattr(runtime, "WORKERS", 1)
    starts = []
    f = runtime.submit_background(_job, ("background", 0, 0.0, starts, None))
    assert f.done() and f.result() == ("background", 0) and starts == [("background", 0)]
