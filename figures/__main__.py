"""``python -m figures [--quick] [--out DIR] [--seed S] [--run RUN_DIR ...]``

Regenerates every figure of the write-up: runs every toy and experiment (the ``run`` of each
module's record, ``toys.NAME.FIGURE``, ``experiments.NAME.FIGURE``; the list is
:mod:`figures.catalogue`), writes each figure (``NAME.png``) and its numbers (``NAME.json``), and
renders the write-up ``README.md`` from them. By default the full settings write into this
folder, the committed figures; with
``--quick`` (every toy at its quick settings, about 75 s on 2 quiet cores) the default is ``./figures-quick``,
so a quick try never overwrites the committed results. With ``--run`` (trainer run
directories) it also draws the WGAN paper's Figures 3 and 4 for them (``training_runs.png``).
With ``--render`` it runs nothing and renders the write-up from the ``NAME.json`` files already
in the folder (after one module was rerun alone: ``python -m toys.NAME --out figures``).
The toys that run on one core go to two worker processes; those that spread their own runs over
both cores run after them. A line per toy started and finished goes to stderr.

``--budget long`` runs, instead, what the main job cannot afford: each module's optional
``run_long(out)`` (more seeds, longer runs; resumable, with progress and an ETA; see
:mod:`claims.long_budget`), writing ``NAME.json`` with its provenance to ``figures/long/`` (or
``--out``). The main job reads those files when they are there and says which verdicts rest on
them.

Exit status 1 if a sanity check fails (the code is wrong); the findings' verdicts (counted per
paper) are reported in the write-up's headline and on the last line, not errors.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

from common.files import atomic_write_bytes
from claims import FIGURES_DIR, style, tally, verdict_line

from . import gpu
from .catalogue import FIGURES
from .run import run_all
from .writeup import render


def build(quick: bool, seed: int, out: Path, runs: list[str] | tuple = (),
          names: list[str] | None = None) -> dict[str, dict]:
    """Run every toy (or those in ``names``), write the figures, their JSON and the write-up to
    ``out``; return the results keyed by toy name."""
    t0 = time.perf_counter()
    out = Path(out)
    results = run_all(quick, seed, out=out, names=names)
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
    text += "\n".join(gpu.write(out))  # the GPU's at-scale panels, when figures/gpu/ holds results
    atomic_write_bytes(out / "README.md", text.encode())
    return results


def _rebuilt(c: dict, source: str, controls_passed: bool) -> dict:
    """One stored claim rebuilt through :func:`claims.claim`. A decided verdict (agrees or
    disagrees) recorded without the evidence the rule asks for (a test, its seeds, the result's
    passed controls: a result written before issue 28's rule) is rendered as the rule decides it
    now, ``no verdict``, its reason saying what it was recorded as and what it lacks."""
    from claims import DECIDED, claim

    args = (c["id"], c["statement"], c["expected"], c["measured"], c["holds"], c["kind"])
    kw = dict(source=c.get("source") or source, test=c.get("test"), seeds=c.get("seeds"))
    v = c.get("verdict")
    try:
        if v in DECIDED and not controls_passed:
            raise ValueError("the result has no passed positive controls")
        return claim(*args, verdict=v, reason=c.get("reason"), **kw)
    except ValueError as e:
        if v not in DECIDED:
            raise
        why = str(e).split(": ", 1)[-1]
        return claim(*args, verdict="no verdict", reason=f"recorded as {v!r} before the evidence rule (issue 28), "
                     f"which it does not meet: {why}", **kw)


def load(out: Path) -> dict[str, dict]:
    """The results committed in ``out`` (``NAME.json`` of every module that has one), each claim
    rebuilt through :func:`claims.claim` (so a result written before claims carried a source and a
    verdict gets the defaults: the module's ``SOURCE``, and the verdict :func:`claims.decide` gives;
    a decided verdict recorded without a test, seeds or passed controls becomes ``no verdict``
    with the reason, see :func:`_rebuilt`) and checked (:func:`claims.check_result`)."""
    import json

    from claims import check_result

    results = {}
    for f in FIGURES:
        path = Path(out) / f"{f.name}.json"
        if not path.is_file():
            continue
        r = json.loads(path.read_text())
        passed = bool(r.get("controls")) and all(k.get("holds") for k in r["controls"])
        r["claims"] = [_rebuilt(c, f.source, passed) for c in r["claims"]]
        results[f.name] = check_result(r, f.source)
    if not results:
        raise FileNotFoundError(f"no NAME.json of any figure in {out}")
    return results


def build_long(out: Path, names: list[str] | None = None) -> list[str]:
    """``--budget long``: every module's ``run_long(out)``, in the catalogue's order; returns the
    names of the modules that have one."""
    done = []
    for figure in FIGURES:
        if (names is not None and figure.name not in names) or figure.run_long is None:
            continue
        t0 = time.perf_counter()
        print(f"  {figure.name}: long budget started", file=sys.stderr, flush=True)
        figure.run_long(Path(out))
        print(f"  {figure.name}: long budget done in {(time.perf_counter() - t0) / 60:.1f} min", file=sys.stderr,
              flush=True)
        done.append(figure.name)
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m figures", description=__doc__.split("\n\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="every toy at its quick settings (about 75 s on 2 quiet cores; default --out ./figures-quick)")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"output folder (default {FIGURES_DIR}, the committed figures; ./figures-quick "
                         "with --quick)")
    ap.add_argument("--seed", type=int, default=0, help="random seed of every toy (default 0)")
    ap.add_argument("--run", dest="runs", action="append", default=[], metavar="RUN_DIR",
                    help="a trainer run directory to plot (repeatable)")
    ap.add_argument("--render", action="store_true",
                    help="run nothing: render the write-up README.md from the NAME.json files already in --out "
                         "(after some modules were rerun alone, e.g. python -m toys.NAME --out figures)")
    ap.add_argument("--budget", choices=("main", "long"), default="main",
                    help="main: the figures and the write-up (default); long: each module's run_long, the runs "
                         "the main job cannot afford (hours; resumable), into figures/long/ (or --out)")
    ap.add_argument("--only", nargs="+", metavar="NAME", default=None,
                    help="with --budget long: only these modules")
    args = ap.parse_args(argv)
    if args.budget == "long":
        from claims.long_budget import LONG_DIR

        out = args.out or LONG_DIR
        t0 = time.perf_counter()
        print(f"python -m figures --budget long into {out}", file=sys.stderr, flush=True)
        done = build_long(out, args.only)
        print(f"long budget: {', '.join(done) or 'no module has one'} in {(time.perf_counter() - t0) / 60:.1f} min; "
              f"results in {out}")
        return 0
    out = args.out or (Path("figures-quick") if args.quick else FIGURES_DIR)
    t0 = time.perf_counter()
    if args.render:
        try:
            results = load(out)
        except (ValueError, FileNotFoundError, KeyError) as err:
            ap.error(str(err))
        quick = any(r.get("settings", {}).get("quick") for r in results.values())
        text = render(results, quick, None)
        atomic_write_bytes(out / "README.md", text.encode())
        print(f"rendered {out / 'README.md'} from {len(results)} results; verdicts: "
              + verdict_line(tally([c for r in results.values() for c in r["claims"]])))
        return 0
    print(f"python -m figures: {len(FIGURES)} toys{' (quick)' if args.quick else ''} into {out}",
          file=sys.stderr, flush=True)
    try:
        results = build(args.quick, args.seed, out, args.runs)
    except (ValueError, FileNotFoundError) as err:
        ap.error(str(err))
    claims = [(n, c) for n, r in results.items() for c in r["claims"]]
    broken = [f"{n}.{c['id']}" for n, c in claims if c["kind"] == "sanity" and not c["holds"]]
    print(f"wrote {len(results)} figures and {out / 'README.md'} in {time.perf_counter() - t0:.0f} s; verdicts: "
          + verdict_line(tally([c for _, c in claims])) + (f" (FAILED: {', '.join(broken)})" if broken else ""))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
