"""What every toy shares: the claim record, the command line, progress, and the JSON/PNG output.

A toy module ``toys/NAME.py`` defines ``run(quick=False, seed=0) -> dict`` (numbers only, no
I/O), ``plot(result) -> Figure``, a ``QUICK`` sentence saying what ``--quick`` changes, and
``main(argv)``, which calls :func:`toy_main`. The result holds a list ``claims`` of
:func:`claim` records whose ``holds`` is computed from the measured numbers and whose ``kind``
says whether the claim is a finding (it could have come out otherwise) or a sanity check (it
holds by construction, or checks the code). ``python -m toys.NAME`` prints them beside the
paper's statements and writes ``NAME.json`` and ``NAME.png`` to ``--out``: by default
``./toy-output``, never the committed ``figures/`` unless asked (``--out figures``).
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

FIGURES_DIR = Path(__file__).resolve().parents[1] / "figures"  # the committed figures
DEFAULT_OUT = Path("toy-output")  # where a toy run from the command line writes by default


KINDS = ("finding", "sanity")
#: the verdict of a finding against the paper that makes the claim (DESIGN.md, "Toys")
VERDICTS = ("agrees", "disagrees", "no verdict", "not applicable")
#: where a claim comes from: ``source`` starts with one of these (then the section, theorem or figure)
PAPERS = ("WGAN", "Towards Principled Methods", "beyond the papers")


def paper_of(source: str) -> str:
    """The paper a ``source`` string names: ``"WGAN, Section 4.3"`` -> ``"WGAN"``."""
    for p in PAPERS:
        if source.startswith(p):
            return p
    raise ValueError(f"source must start with one of {PAPERS}, got {source!r}")


def decide(holds: bool | None, *, control_passed: bool = True, decided: bool = True,
           applicable: bool = True, test: dict | None = None) -> str:
    """The verdict of a finding from what was measured, in this order of precedence:

    * ``"not applicable"`` when the claim's hypothesis is not met, or the paper does not make it;
    * ``"no verdict"`` when a positive control failed (the setup could not reproduce a published
      result, so it cannot judge one), or the experiment could not decide at its budget
      (``decided=False``: a run that did not learn, too few seeds, an interval that straddles the
      threshold), or the claim does not hold but no ``test`` excludes the paper's claim;
    * ``"agrees"`` when it holds;
    * ``"disagrees"`` only when it does not hold *and* a ``test`` (the statistic's name with its
      p-value or interval) excludes the paper's claim.
    """
    if not applicable:
        return "not applicable"
    if not control_passed or not decided or holds is None:
        return "no verdict"
    if holds:
        return "agrees"
    return "disagrees" if test else "no verdict"


def claim(id: str, statement: str, expected: Any, measured: Any, holds: bool | None, kind: str = "finding",
          *, source: str | None = None, verdict: str | None = None, reason: str | None = None,
          test: dict | None = None) -> dict:
    """One checked statement: the paper's claim, the expected and measured values, whether it
    holds (computed by the toy from the numbers), its kind and, for a finding, its verdict.

    ``kind`` is ``"finding"`` when the outcome could have been otherwise and ``"sanity"`` when it
    holds by construction or checks the code. ``source`` names the paper and section
    (:data:`PAPERS`); a toy's own source is used when it is None. A finding's ``verdict`` (one of
    :data:`VERDICTS`, see :func:`decide`) defaults to ``decide(holds)``: ``"agrees"`` when it holds,
    else ``"no verdict"`` (a threshold missed is no test against the paper); any other
    verdict needs a ``reason``, and ``"disagrees"`` needs a ``test``: ``{"statistic": name,
    "p_value": p}`` or ``{"statistic": name, "interval": [lo, hi]}`` that excludes the paper's
    claim. ``holds`` may be None for a finding that could not be decided.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if source is not None:
        paper_of(source)
    rec = {"id": id, "kind": kind, "statement": statement, "expected": expected, "measured": measured,
           "holds": None if holds is None else bool(holds), "source": source}
    if kind == "sanity":
        if verdict is not None or holds is None:
            raise ValueError(f"{id}: a sanity check passes or fails; it takes no verdict")
        return rec
    if verdict is None:
        verdict = decide(holds)
        if verdict != "agrees" and reason is None:
            reason = ("the measured value misses the expected one, but no test here excludes the paper's "
                      "claim (a threshold is not a test)" if holds is False else "not decided")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    if verdict == "agrees" and not holds:
        raise ValueError(f"{id}: verdict 'agrees' on a finding that does not hold")
    if verdict != "agrees" and not reason:
        raise ValueError(f"{id}: verdict {verdict!r} needs a reason")
    if verdict == "disagrees":
        if holds or not test or "statistic" not in test or not ({"p_value", "interval"} & set(test)):
            raise ValueError(f"{id}: 'disagrees' needs holds=False and a test with a statistic and its "
                             "p_value or interval")
    rec.update(verdict=verdict, reason=reason, test=test)
    return rec


def control(reproduces: str, holds: bool, settings: dict, measured: Any) -> dict:
    """A positive control: the same code reproducing a published result with the published settings
    (``reproduces`` names the result and its source). A claim judged by an experiment whose control
    failed gets no verdict."""
    return {"reproduces": reproduces, "holds": bool(holds), "settings": settings, "measured": measured}


def check_result(result: dict, source: str | None = None) -> dict:
    """Fill each claim's missing ``source`` with the toy's, and check what a verdict rests on:
    ``"disagrees"`` only where the result's positive ``controls`` exist and all passed."""
    controls = result.get("controls", [])
    for c in result["claims"]:
        if c.get("source") is None:
            c["source"] = source
        if c.get("verdict") == "disagrees" and not (controls and all(k["holds"] for k in controls)):
            raise ValueError(f"{c['id']}: 'disagrees' needs passed positive controls in the result")
    return result


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


def claims_table(claims: list[dict], width: int = 62) -> str:
    """A plain-text table: kind, claim (wrapped, never cut), expected, measured, holds."""
    import textwrap

    rows = [("kind", "claim", "expected", "measured", "holds")]
    rows += [(c.get("kind", ""), c["statement"], fmt(c["expected"]), fmt(c["measured"]),
              "yes" if c["holds"] else "NO") for c in claims]
    widths = [7, width] + [min(28, max(len(r[i]) for r in rows)) for i in (2, 3)] + [5]
    lines = []
    for r in rows:
        cells = [textwrap.wrap(v, w) or [""] for v, w in zip(r, widths)]
        for k in range(max(len(c) for c in cells)):
            lines.append("  ".join((c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip())
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


def parser(name: str, description: str, quick: str = "smaller settings") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=f"python -m toys.{name}", description=description,
                                 epilog="Prints the paper's claims beside the measured values and writes "
                                        "NAME.json and NAME.png. Exit status 1 when a sanity check fails "
                                        "(the code is wrong); a finding that disagrees with the paper is "
                                        "reported, not an error.")
    ap.add_argument("--quick", action="store_true", help=f"quick settings: {quick}")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"folder for NAME.json and NAME.png (default ./{DEFAULT_OUT}; "
                         f"--out figures updates the committed figures)")
    return ap


def toy_main(name: str, description: str, run: Callable[..., dict], plot: Callable,
             argv: list[str] | None = None, quick: str = "smaller settings") -> dict:
    """Command line of a toy: run it, print its claims, write its JSON and figure.

    Exits with status 1 when a sanity check does not hold (the code is wrong), so scripts
    notice; findings that disagree with the paper are printed and reported, not errors.
    """
    args = parser(name, description, quick).parse_args(argv)
    t0 = time.perf_counter()
    result = run(quick=args.quick, seed=args.seed)
    result.setdefault("settings", {}).update(
        {"quick": args.quick, "seed": args.seed, "seconds": round(time.perf_counter() - t0, 2)}
    )
    js, png = write_figure(name, result, plot, args.out)
    print(f"{name}: {description}")
    print(claims_table(result["claims"]))
    disagree = [c["id"] for c in result["claims"] if c["kind"] == "finding" and not c["holds"]]
    print(f"ran in {result['settings']['seconds']} s; wrote {js} and {png}")
    if disagree:
        print(f"findings that disagree with the paper: {', '.join(disagree)}")
    broken = [c["id"] for c in result["claims"] if c["kind"] == "sanity" and not c["holds"]]
    if broken:
        print(f"sanity checks failed (a bug): {', '.join(broken)}", file=sys.stderr)
        sys.exit(1)
    return result


#: Set by ``python -m figures`` in its worker processes: it reports each toy itself.
QUIET = False


def progress(iterable, desc: str, total: int | None = None, every: float = 10.0):
    """Iterate with progress: a bar on a terminal; else, on stderr, a line at the start, at most
    one every ``every`` seconds, and one at the end (with the elapsed time), so logs show long
    work too without drowning in short loops."""
    from tqdm.auto import tqdm

    if QUIET:
        yield from iterable
        return
    if sys.stderr.isatty():
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
