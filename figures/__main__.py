"""``python -m figures [--quick] [--out DIR] [--seed S] [--run RUN_DIR ...]``

Runs every toy (``toys.NAME.run``), writes each figure (``NAME.png``) and its numbers
(``NAME.json``) to ``--out`` (default: this folder), and writes the write-up ``README.md``
there. With ``--run`` (trainer run directories) it also draws the WGAN paper's Figures 3
and 4 for them (``training_runs.png``). The toys that run on one core go to two worker
processes; the two that spread their own runs over both cores run after them.

Exits with status 1 if a claim does not hold.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

from gan.rundir import atomic_write_bytes
from toys.common import DEFAULT_OUT, style

from .catalogue import FIGURES
from .run import run_all
from .writeup import render


def build(quick: bool, seed: int, out: Path, runs: list[str] | tuple = ()) -> dict[str, dict]:
    """Run every toy, write the figures, their JSON and the write-up to ``out``; return the
    results keyed by toy name."""
    t0 = time.perf_counter()
    out = Path(out)
    results = run_all(quick, seed, out=out)
    runs_figure = None
    if runs:
        import matplotlib.pyplot as plt

        from gan.plot import plot_runs

        style()
        fig = plot_runs(list(runs))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        runs_figure = "training_runs.png"
        atomic_write_bytes(out / runs_figure, buf.getvalue())
    text = render(results, quick, time.perf_counter() - t0, list(runs), runs_figure)
    atomic_write_bytes(out / "README.md", text.encode())
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m figures", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="every toy at its quick settings (< 1 min)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--run", dest="runs", action="append", default=[], metavar="RUN_DIR",
                    help="a trainer run directory to plot (repeatable)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        results = build(args.quick, args.seed, args.out, args.runs)
    except (ValueError, FileNotFoundError) as err:
        ap.error(str(err))
    failed = [(n, c["id"]) for n, r in results.items() for c in r["claims"] if not c["holds"]]
    total = sum(len(r["claims"]) for r in results.values())
    print(f"wrote {len(FIGURES)} figures and {args.out / 'README.md'} in "
          f"{time.perf_counter() - t0:.0f} s; {total - len(failed)} of {total} claims hold"
          + (f"; these do not: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
