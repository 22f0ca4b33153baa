"""The command line of a toy or an experiment: ``python -m toys.NAME`` / ``python -m experiments.NAME``.

``--quick``, ``--seed`` and ``--out``; it prints the claims beside the paper's statements and
writes ``NAME.json`` and ``NAME.png`` to ``--out``: by default ``./toy-output``, never the
committed ``figures/`` unless asked (``--out figures``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

from .output import claims_table, write_figure

FIGURES_DIR = Path(__file__).resolve().parents[1] / "figures"  # the committed figures
DEFAULT_OUT = Path("toy-output")  # where a toy run from the command line writes by default


def module_path(fn: Callable) -> str | None:
    """The import path of the module that defines ``fn`` (``"toys.parallel_lines"``), also when
    that module runs as ``python -m`` (then named ``__main__``); None for a bare script."""
    spec = getattr(sys.modules.get(fn.__module__), "__spec__", None)
    return spec.name if spec is not None else None


def parser(program: str, description: str, quick: str = "smaller settings") -> argparse.ArgumentParser:
    """The options of ``python -m PROGRAM`` (``program``: a module path, ``toys.parallel_lines``)."""
    ap = argparse.ArgumentParser(prog=f"python -m {program}", description=description,
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
    """Command line of a toy or an experiment: run it, print its claims, write its JSON and figure.

    Exits with status 1 when a sanity check does not hold (the code is wrong), so scripts
    notice; findings that disagree with the paper are printed and reported, not errors.
    """
    args = parser(module_path(run) or name, description, quick).parse_args(argv)
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
