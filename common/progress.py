"""Progress of long loops: a bar on a terminal, else a few lines on stderr; and the one switch
that silences it (:func:`quiet`), for a caller that reports the work itself."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Iterable, Iterator

_quiet = 0  # how many quiet() blocks are open in this process


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Within the block, :func:`progress` prints nothing (``python -m figures`` reports each
    toy's start and end itself). Nests; the setting is restored on leaving, however it is left."""
    global _quiet
    _quiet += 1
    try:
        yield
    finally:
        _quiet -= 1


def is_quiet() -> bool:
    """Is progress silenced here (inside a :func:`quiet` block)?"""
    return _quiet > 0


def progress(iterable: Iterable, desc: str, total: int | None = None, every: float = 10.0):
    """Iterate with progress: a bar on a terminal; else, on stderr, a line at the start, at most
    one every ``every`` seconds, and one at the end (with the elapsed time), so logs show long
    work too without drowning in short loops. Silent inside :func:`quiet`."""
    if is_quiet():
        yield from iterable
        return
    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        yield from tqdm(iterable, desc=desc, total=total, leave=False)
        return
    items = list(iterable) if total is None and not hasattr(iterable, "__len__") else iterable
    n = total if total is not None else len(items)
    t0 = last = time.perf_counter()
    print(f"{desc}: 0/{n}", file=sys.stderr, flush=True)
    for i, item in enumerate(items, 1):
        yield item
        now = time.perf_counter()
        if now - last >= every or i == n:
            last = now
            print(f"{desc}: {i}/{n} ({now - t0:.0f} s)", file=sys.stderr, flush=True)
