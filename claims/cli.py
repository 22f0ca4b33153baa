"""The command line of a toy or an experiment: ``python -m toys.NAME`` / ``python -m experiments.NAME``.

``--quick``, ``--seed`` and ``--out``; it prints the claims beside the paper's statements and
writes ``NAME.json`` and ``NAME.png`` to ``--out``: by default ``./toy-output``, never the
committed ``figures/`` unless asked (``--out figures``). A module with a long budget also takes
``--long``: its ``run_long`` into ``--out`` (default ``figures/long``).

:func:`run_figure` is the one sequence that runs a module, checks its result and writes its
figure: the command line calls it, and so does ``python -m figures`` for every module.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .output import claims_table, verdict_line, write_figure
from .record import check_result, tally

if TYPE_CHECKING:
    from .contract import Figure

FIGURES_DIR = Path(__file__).resolve().parents[1] / "figures"  # the committed figures
DEFAULT_OUT = Path("toy-output")  # where a toy run from the command line writes by default


def module_path(fn: Callable) -> str | None:
    """The import path of the module that defines ``fn`` (``"toys.parallel_lines"``), also when
    that module runs as ``python -m`` (then named ``__main__``); None for a bare script."""
    spec = getattr(sys.modules.get(fn.__module__), "__spec__", None)
    return spec.name if spec is not None else None


def parser(figure: Figure) -> argparse.ArgumentParser:
    """The options of ``python -m PACKAGE.NAME`` for the module that declares ``figure``."""
    ap = argparse.ArgumentParser(prog=f"python -m {figure.module}",
                                 description=f"{figure.title} ({figure.source}). {figure.claim}",
                                 epilog="Prints the paper's claims beside the measured values and writes "
                                        "NAME.json and NAME.png. Exit status 1 when a sanity check fails "
                                        "(the code is wrong); a finding that disagrees with the paper is "
                                        "reported, not an error.")
    ap.add_argument("--quick", action="store_true", help=f"quick settings: {figure.quick}")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"folder for NAME.json and NAME.png (default ./{DEFAULT_OUT}; "
                         f"--out figures updates the committed figures)"
                         + ("; with --long, for the long budget's results (default figures/long)"
                            if figure.run_long else ""))
    if figure.run_long is not None:
        ap.add_argument("--long", action="store_true",
                        help="run the long budget instead (run_long: resumable, its results written as they "
                             "complete)")
    return ap


def run_figure(figure: Figure, quick: bool = False, seed: int = 0, out: Path | None = None, **kw) -> dict:
    """Run a module, check its result, and (with ``out``) write ``NAME.json`` and ``NAME.png`` there
    (``kw`` go to its ``run``: the MNIST runs' cache that two experiments share).

    The result's claims are checked (:func:`claims.record.check_result`: each names its paper,
    each finding's verdict follows the evidence rule), and its ``settings`` gain ``quick``,
    ``seed`` and ``seconds`` (the running time, before the figure is drawn).
    """
    t0 = time.perf_counter()
    result = check_result(figure.run(quick=quick, seed=seed, **kw), figure.source)
    result.setdefault("settings", {}).update(
        {"quick": quick, "seed": seed, "seconds": round(time.perf_counter() - t0, 2)})
    if out is not None:
        write_figure(figure.name, result, figure.plot, out)
    return result


def toy_main(figure: Figure, argv: list[str] | None = None) -> dict | None:
    """Command line of a toy or an experiment: run it, print its claims, write its JSON and figure.

    The claims are printed with their verdicts, then the verdict counts and the reason of every
    finding that does not agree. Exits with status 1 when a sanity check does not hold (the code
    is wrong), so scripts notice; a finding that disagrees with the paper is reported, not an
    error. With ``--long`` (a module with a long budget) it runs ``run_long`` instead and returns
    None.
    """
    args = parser(figure).parse_args(argv)
    if getattr(args, "long", False):
        from .long_budget import LONG_DIR

        figure.run_long(args.out or LONG_DIR)
        return None
    out = args.out or DEFAULT_OUT
    result = run_figure(figure, args.quick, args.seed, out)
    print(f"{figure.name}: {figure.title} ({figure.source})")
    print(claims_table(result["claims"]))
    print(f"ran in {result['settings']['seconds']} s; wrote {out / (figure.name + '.json')} and "
          f"{out / (figure.name + '.png')}")
    print("verdicts: " + verdict_line(tally(result["claims"])))
    for c in result["claims"]:
        if c["kind"] == "finding" and c["verdict"] != "agrees":
            print(f"  {c['id']}: {c['verdict']}: {c['reason']}")
    broken = [c["id"] for c in result["claims"] if c["kind"] == "sanity" and not c["holds"]]
    if broken:
        print(f"sanity checks failed (a bug): {', '.join(broken)}", file=sys.stderr)
        sys.exit(1)
    return result
