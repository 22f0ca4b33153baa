"""What every toy shares: the claim record, the command line, and the JSON/PNG output.

A toy module ``toys/NAME.py`` defines ``run(quick=False, seed=0) -> dict`` (numbers only, no
I/O), ``plot(result) -> Figure`` and ``main(argv)``, which calls :func:`toy_main`. The result
holds a list ``claims`` of :func:`claim` records whose ``holds`` is computed from the
measured numbers; ``python -m toys.NAME`` prints them beside the paper's statements and writes
``NAME.json`` and ``NAME.png`` to ``--out`` (default: the ``figures/`` folder).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gan.rundir import atomic_write_bytes

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "figures"


KINDS = ("finding", "sanity")


def claim(id: str, statement: str, expected: Any, measured: Any, holds: bool, kind: str = "finding") -> dict:
    """One checked statement: the paper's claim, the expected and measured values, whether it
    holds (a boolean computed by the toy from the numbers), and its kind: ``"finding"`` when
    the outcome could have been otherwise, ``"sanity"`` when it holds by construction or checks
    the code."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return {"id": id, "kind": kind, "statement": statement, "expected": expected, "measured": measured,
            "holds": bool(holds)}


def jsonable(obj: Any) -> Any:
    """numpy and non-finite floats made JSON-safe (inf and nan become strings; uint8 arrays,
    i.e. images, become base64 bytes with their shape)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype == np.uint8:  # images: raw bytes, base64, not a list of integers
            return {"uint8_base64": base64.b64encode(obj.tobytes()).decode(), "shape": list(obj.shape)}
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")
    return obj


def fmt(v: Any) -> str:
    """Short human form of a measured or expected value."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v) + 0.0  # -0.0 prints as 0
        if not math.isfinite(v):
            return str(v)
        return f"{v:.4g}" if (v == 0 or 1e-3 <= abs(v) < 1e5) else f"{v:.3e}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v[:6]) + (", ..." if len(v) > 6 else "") + "]"
    return str(v)


def claims_table(claims: list[dict]) -> str:
    """A plain-text table: claim, expected, measured, holds."""
    rows = [("claim", "expected", "measured", "holds")]
    rows += [(c["statement"], fmt(c["expected"]), fmt(c["measured"]), "yes" if c["holds"] else "NO")
             for c in claims]
    widths = [min(70, max(len(r[i]) for r in rows)) for i in range(4)]
    lines = []
    for r in rows:
        lines.append("  ".join(r[i][: widths[i]].ljust(widths[i]) for i in range(4)))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def save(name: str, result: dict, fig, out: Path) -> tuple[Path, Path]:
    """Write ``NAME.json`` and ``NAME.png`` atomically; returns their paths."""
    import io

    out = Path(out)
    js, png = out / f"{name}.json", out / f"{name}.png"
    atomic_write_bytes(js, json.dumps(jsonable(result), indent=1).encode())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(png, buf.getvalue())
    return js, png


def write_figure(name: str, result: dict, plot: Callable, out: Path) -> tuple[Path, Path]:
    """Draw a result in the papers' style and write ``NAME.json`` and ``NAME.png`` to ``out``."""
    style()
    import matplotlib.pyplot as plt

    fig = plot(result)
    try:
        return save(name, result, fig, out)
    finally:
        plt.close(fig)


def style() -> None:
    """The papers' plotting style: seaborn's whitegrid, a readable font size."""
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)


def parser(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help="smaller settings (seconds)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"folder for NAME.json and NAME.png (default {DEFAULT_OUT})")
    return ap


def toy_main(name: str, description: str, run: Callable[..., dict], plot: Callable,
             argv: list[str] | None = None) -> dict:
    """Command line of a toy: run it, print its claims, write its JSON and figure.

    Exits with status 1 when a claim does not hold, so scripts notice.
    """
    args = parser(description).parse_args(argv)
    t0 = time.perf_counter()
    result = run(quick=args.quick, seed=args.seed)
    result.setdefault("settings", {}).update(
        {"quick": args.quick, "seed": args.seed, "seconds": round(time.perf_counter() - t0, 2)}
    )
    js, png = write_figure(name, result, plot, args.out)
    print(f"{name}: {description}")
    print(claims_table(result["claims"]))
    print(f"ran in {result['settings']['seconds']} s; wrote {js} and {png}")
    if not all(c["holds"] for c in result["claims"]):
        print("some claims do not hold", file=sys.stderr)
        sys.exit(1)
    return result


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
    from tqdm.auto import tqdm

    workers = min(2, os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        return [fn(t) for t in tqdm(tasks, desc=desc, leave=False, disable=None)]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                             initializer=_one_thread) as pool:
        return list(tqdm(pool.map(fn, tasks), total=len(tasks), desc=desc, leave=False, disable=None))


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def seed_all(seed: int):
    """Seed torch and return a numpy Generator."""
    import torch

    torch.manual_seed(seed)
    return np.random.default_rng(seed)
