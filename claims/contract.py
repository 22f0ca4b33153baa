"""What a toy or an experiment module declares: everything the write-up needs about it.

A *claim module* is ``toys/NAME.py`` (a paper toy on synthetic data, seconds to minutes) or
``experiments/NAME.py`` (a trainer experiment on MNIST). It makes one figure of the write-up and
carries, in one file, all that the command line, ``python -m figures`` and the write-up read:

==============  ==========================================================================
``NAME``        str: the module's own name; the files ``NAME.json`` and ``NAME.png``
``TITLE``       str: the figure's title in the write-up
``SOURCE``      str: where the claim is made: one of :data:`claims.record.PAPERS`, then the
                section ("WGAN, Figure 2", "beyond the papers (Heusel et al. 2017)"); the
                source of every claim that does not name its own
``CLAIM``       str: the paper's claim, in one sentence
``QUICK``       str: what ``--quick`` changes
``CAPTION``     str: what the figure's panels show
``DEPARTURES``  str: every departure from the paper's settings
``WHY``         dict[str, str]: claim id -> why that finding may disagree with the paper
                (the write-up says it when one does); may be empty
``POOLED``      bool: the module spreads its own runs over the two worker processes
                (:func:`claims.runtime.parallel_map`), so ``python -m figures`` runs it alone
``COST``        float > 0: its running time relative to the others (1.0 typical), to start
                the longest single-core ones first
``run``         ``run(quick=False, seed=0) -> dict``: the numbers, no I/O, seeded; the dict
                holds ``claims`` (:func:`claims.record.claim` records) and ``settings``, and
                may hold ``needs_full_run`` (ids of claims a ``--quick`` run cannot check)
``plot``        ``plot(result) -> matplotlib.figure.Figure``, in the papers' style
``main``        ``main(argv=None) -> dict``: ``python -m PACKAGE.NAME``, through
                :func:`claims.cli.toy_main`
``tables``      optional, ``tables(result) -> list[str]``: extra Markdown lines the write-up
                prints after the table of claims
``run_long``    optional, ``run_long(out: Path) -> None``: what the main job cannot afford
                (more seeds, longer runs), run by ``python -m figures --budget long``:
                resumable, with progress and an ETA, writing ``out/NAME.json`` with its
                provenance (:mod:`claims.long_budget`); ``run`` reads it back with
                :func:`claims.long_budget.read` when it is there
==============  ==========================================================================

:class:`ClaimModule` states this as a typing Protocol; :func:`check` lists what a module lacks,
and :func:`load` imports a module and refuses one that breaks the contract. Adding a figure is
one new module and its line in ``figures/catalogue.py``.
"""

from __future__ import annotations

import importlib
import inspect
import numbers
from types import ModuleType
from typing import Protocol

from .record import PAPERS

#: the text attributes every claim module declares (non-empty strings)
TEXTS = ("NAME", "TITLE", "SOURCE", "CLAIM", "QUICK", "CAPTION", "DEPARTURES")
#: the functions every claim module defines
FUNCTIONS = ("run", "plot", "main")


class ClaimModule(Protocol):
    """The attributes of a toy or an experiment module (see the module docstring)."""

    NAME: str
    TITLE: str
    SOURCE: str
    CLAIM: str
    QUICK: str
    CAPTION: str
    DEPARTURES: str
    WHY: dict[str, str]
    POOLED: bool
    COST: float

    def run(self, quick: bool = False, seed: int = 0) -> dict: ...

    def plot(self, result: dict): ...

    def main(self, argv: list[str] | None = None) -> dict: ...


def check(module: ModuleType) -> list[str]:
    """What ``module`` lacks or gets wrong against the contract, one sentence each (empty: none)."""
    problems = []
    for name in TEXTS:
        value = getattr(module, name, None)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name} must be a non-empty string, got {value!r}")
    source = getattr(module, "SOURCE", None)
    if isinstance(source, str) and not source.startswith(PAPERS):
        problems.append(f"SOURCE must start with one of {PAPERS}, got {source!r}")
    if getattr(module, "NAME", None) != module.__name__.rsplit(".", 1)[-1]:
        problems.append(f"NAME must be the module's name {module.__name__.rsplit('.', 1)[-1]!r}")
    why = getattr(module, "WHY", None)
    if not isinstance(why, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                            for k, v in why.items()):
        problems.append("WHY must be a dict of claim id -> non-empty string")
    if not isinstance(getattr(module, "POOLED", None), bool):
        problems.append("POOLED must be a bool")
    cost = getattr(module, "COST", None)
    if not isinstance(cost, numbers.Real) or isinstance(cost, bool) or not cost > 0:
        problems.append(f"COST must be a positive number, got {cost!r}")
    for name in FUNCTIONS + ("tables", "run_long"):
        fn = getattr(module, name, None)
        if fn is None and name in ("tables", "run_long"):
            continue
        if not callable(fn):
            problems.append(f"{name} must be a function")
    run = getattr(module, "run", None)
    if callable(run):
        params = inspect.signature(run).parameters
        if not {"quick", "seed"} <= set(params):
            problems.append("run must take quick and seed")
    return problems


def load(path: str) -> ModuleType:
    """Import the claim module ``path`` (``"toys.parallel_lines"``); TypeError if it breaks the contract."""
    module = importlib.import_module(path)
    problems = check(module)
    if problems:
        raise TypeError(f"{path} does not follow claims.contract: " + "; ".join(problems))
    return module
