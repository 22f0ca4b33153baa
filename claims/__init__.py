"""What the paper toys (``toys/``) and the trainer experiments (``experiments/``) share.

Both check claims of the papers on numbers, and neither depends on the other: this package is
below both (common <- divergences <- gan <- claims <- toys, experiments <- figures).

* :mod:`claims.record` — the claim record and the verdict of a finding: :func:`claim`,
  :func:`decide`, :func:`control`, :func:`check_result`, :func:`tally`, :data:`VERDICTS`,
  :data:`PAPERS`;
* :mod:`claims.contract` — what a toy or experiment module declares, once: its record
  ``FIGURE = Figure(...)`` (the write-up's texts, run, plot, tables, run_long), and its checker;
* :mod:`claims.cli` — the command line ``python -m toys.NAME`` / ``python -m experiments.NAME``
  (:func:`toy_main`) and the one run / check / write sequence (:func:`run_figure`);
* :mod:`claims.output` — JSON-safe numbers, the table of claims with their verdicts, the line of
  verdict counts, the atomic JSON/PNG writes;
* :mod:`claims.runtime` — seeding, one torch thread, two worker processes, and progress
  (:func:`common.progress.progress`, re-exported).

The names below are re-exported here: ``from claims import claim, toy_main, progress``.
"""

from .cli import DEFAULT_OUT, FIGURES_DIR, run_figure, toy_main
from .contract import Figure
from .output import claims_table, fmt, jsonable, style, verdict_cell, verdict_line, write_figure
from .record import (
    DECIDED, KINDS, MIN_SEEDS, MIN_SEEDS_TOY, PAPERS, VERDICTS, check_result, claim, control, decide, paper_of, tally,
)
from .runtime import parallel_map, progress, seed_all, single_threaded

__all__ = [
    "DECIDED", "DEFAULT_OUT", "FIGURES_DIR", "Figure", "KINDS", "MIN_SEEDS", "MIN_SEEDS_TOY", "PAPERS", "VERDICTS", "check_result", "claim", "claims_table",
    "control", "decide", "fmt", "jsonable", "paper_of", "parallel_map", "progress", "run_figure", "seed_all",
    "single_threaded", "style", "tally", "toy_main", "verdict_cell", "verdict_line", "write_figure",
]
