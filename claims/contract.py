"""What a toy or an experiment module declares: one record, :class:`Figure`, all the write-up needs.

A *claim module* is ``toys/NAME.py`` (a paper toy on synthetic data, seconds to minutes) or
``experiments/NAME.py`` (a trainer experiment on MNIST). It makes one figure of the write-up and
declares itself once, at its end, as ``FIGURE = Figure(...)``: what the command line,
``python -m figures`` and the write-up read, in one place:

==============  ==========================================================================
``name``        str: the module's own name; the files ``NAME.json`` and ``NAME.png``
``title``       str: the figure's title in the write-up
``source``      str: where the claim is made: one of :data:`claims.record.PAPERS`, then the
                section ("WGAN, Figure 2", "beyond the papers (Heusel et al. 2017)"); the
                source of every claim that does not name its own
``claim``       str: the paper's claim, in one sentence
``quick``       str: what ``--quick`` changes
``caption``     str: what the figure's panels show
``departures``  str: every departure from the paper's settings
``run``         ``run(quick=False, seed=0) -> dict``: the numbers, no I/O, seeded; the dict
                holds ``claims`` (:func:`claims.record.claim` records) and ``settings``, and
                may hold ``needs_full_run`` (ids of claims a ``--quick`` run cannot check)
                and ``controls`` (:func:`claims.record.control` records; the write-up prints
                their table)
``plot``        ``plot(result) -> matplotlib.figure.Figure``, in the papers' style
``why``         dict[str, str]: claim id -> why that finding may disagree with the paper
                (the write-up says it when one does); default empty
``pooled``      bool: the module spreads its own runs over the two worker processes
                (:func:`claims.runtime.parallel_map`), so ``python -m figures`` runs it in its
                own process, its runs first on the workers, the single-core toys filling the
                workers' idle time; default False
``cost``        float > 0: its running time relative to the others (1.0 typical, the
                default), to start the longest single-core ones first
``tables``      optional, ``tables(result) -> list[str]``: extra Markdown lines the write-up
                prints after the table of claims (and the controls')
``run_long``    optional, ``run_long(out: Path) -> None``: what the main job cannot afford
                (more seeds, longer runs), run by ``python -m figures --budget long`` or
                ``python -m PACKAGE.NAME --long``: resumable, with progress and an ETA,
                writing ``out/NAME.json`` with its provenance (:mod:`claims.long_budget`);
                ``run`` reads it back with :func:`claims.long_budget.read` when it is there
==============  ==========================================================================

The module's command line is the record's (:meth:`Figure.main`, :func:`claims.cli.toy_main`)::

    if __name__ == "__main__":
        FIGURE.main()

:func:`check` lists what a module gets wrong against this contract, and :func:`load` imports a
module and returns its record, refusing one that breaks it. Adding a figure is one new module
and its line in ``figures/catalogue.py``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import numbers
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable

from .record import PAPERS

#: the text fields of every record (non-empty strings)
TEXTS = ("name", "title", "source", "claim", "quick", "caption", "departures")
#: the record's optional functions
OPTIONAL = ("tables", "run_long")
#: the names a module declared before the record: a module holds the record, not these beside it
OLD_NAMES = ("NAME", "TITLE", "SOURCE", "CLAIM", "QUICK", "CAPTION", "DEPARTURES", "WHY", "POOLED", "COST", "main")


@dataclass(frozen=True, eq=False)
class Figure:
    """One claim module's declaration: its texts, how it runs and draws, and how it is scheduled
    (the fields are described in the module docstring of :mod:`claims.contract`).

    Raises ValueError naming every field that breaks the contract.
    """

    name: str
    title: str
    source: str
    claim: str
    quick: str
    caption: str
    departures: str
    run: Callable[..., dict]
    plot: Callable
    why: dict[str, str] = field(default_factory=dict)
    pooled: bool = False
    cost: float = 1.0
    tables: Callable[[dict], list[str]] | None = None
    run_long: Callable | None = None

    def __post_init__(self):
        problems = self.problems()
        if problems:
            raise ValueError(f"Figure {self.name!r}: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """What the record gets wrong, one sentence each naming the field (empty: nothing)."""
        out = []
        for name in TEXTS:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                out.append(f"{name} must be a non-empty string, got {value!r}")
        if isinstance(self.source, str) and self.source.strip() and not self.source.startswith(PAPERS):
            out.append(f"source must start with one of {PAPERS}, got {self.source!r}")
        if not isinstance(self.why, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                     for k, v in self.why.items()):
            out.append("why must be a dict of claim id -> non-empty string")
        if not isinstance(self.pooled, bool):
            out.append(f"pooled must be a bool, got {self.pooled!r}")
        if not isinstance(self.cost, numbers.Real) or isinstance(self.cost, bool) or not self.cost > 0:
            out.append(f"cost must be a positive number, got {self.cost!r}")
        for name in ("run", "plot") + OPTIONAL:
            fn = getattr(self, name)
            if not callable(fn) and not (fn is None and name in OPTIONAL):
                out.append(f"{name} must be a function, got {fn!r}")
        if callable(self.run) and not {"quick", "seed"} <= set(inspect.signature(self.run).parameters):
            out.append("run must take quick and seed")
        return out

    @property
    def module(self) -> str:
        """The import path of the module that declares it (``"toys.parallel_lines"``), also when
        that module runs as ``python -m`` (then named ``__main__``)."""
        from .cli import module_path

        return module_path(self.run) or self.name

    def main(self, argv: list[str] | None = None) -> dict | None:
        """``python -m PACKAGE.NAME``: :func:`claims.cli.toy_main` of this record."""
        from .cli import toy_main

        return toy_main(self, argv)

    def replace(self, **changes) -> "Figure":
        """A copy with ``changes`` (e.g. a test's stand-in ``run_long``), checked like the original."""
        return dataclasses.replace(self, **changes)


def check(module: ModuleType) -> list[str]:
    """What ``module`` gets wrong against the contract, one sentence each (empty: nothing): it
    declares ``FIGURE``, a :class:`Figure` named as the module, and none of the names the record
    replaced beside it."""
    own = module.__name__.rsplit(".", 1)[-1]
    figure = getattr(module, "FIGURE", None)
    if not isinstance(figure, Figure):
        return [f"{module.__name__} must declare FIGURE = claims.Figure(...), got {figure!r}"]
    problems = []
    if figure.name != own:
        problems.append(f"FIGURE.name must be the module's name {own!r}, got {figure.name!r}")
    old = [n for n in OLD_NAMES if n in vars(module)]
    if old:
        problems.append(f"{', '.join(old)} must not stand beside FIGURE: the record is the module's one declaration")
    return problems


def load(path: str) -> Figure:
    """The record of the claim module ``path`` (``"toys.parallel_lines"``), imported; TypeError
    if the module breaks the contract (a record that breaks it fails on import, with ValueError)."""
    module = importlib.import_module(path)
    problems = check(module)
    if problems:
        raise TypeError(f"{path} does not follow claims.contract: " + "; ".join(problems))
    return module.FIGURE
