"""The claim record: one checked statement of a paper, and the verdict of a finding.

Every toy and experiment reports its results as a list of :func:`claim` records (docs/design.md,
"Toys"): the paper's statement, the expected and measured values, whether it ``holds``
(computed from the numbers, never written by hand), its ``kind`` (a *finding* could have come out
otherwise; a *sanity* check holds by construction or checks the code), its ``source`` (one of
:data:`PAPERS`, then the section) and, for a finding, its ``verdict`` (:data:`VERDICTS`, decided
by :func:`decide`). A training experiment's positive controls are :func:`control` records;
:func:`check_result` checks what a result's verdicts rest on; :func:`tally` counts the verdicts per
paper (the write-up's headline, the command lines' summaries).
"""

from __future__ import annotations

from typing import Any

KINDS = ("finding", "sanity")
#: the verdict of a finding against the paper that makes the claim (docs/design.md, "Toys")
VERDICTS = ("agrees", "disagrees", "no verdict", "not applicable")
#: where a claim comes from: ``source`` starts with one of these (then the section, theorem or figure)
PAPERS = ("WGAN", "Towards Principled Methods", "beyond the papers")
#: what a positive control shows (:func:`control`)
CONTROL_KINDS = ("learns", "power")


def paper_of(source: str) -> str:
    """The paper a ``source`` string names: ``"WGAN, Section 4.3"`` -> ``"WGAN"``."""
    for p in PAPERS:
        if source.startswith(p):
            return p
    raise ValueError(f"source must start with one of {PAPERS}, got {source!r}")


#: the fewest seeds a decided verdict rests on (docs/design.md, "The evidence rule"): MNIST runs
#: need 3; a trained 2-D toy needs :data:`MIN_SEEDS_TOY`
MIN_SEEDS = 3
MIN_SEEDS_TOY = 5
#: the verdicts that need evidence: a test over seeds and passed controls
DECIDED = ("agrees", "disagrees")


def valid_test(test: dict | None) -> bool:
    """Is ``test`` a test record: ``{"statistic": name, "p_value": p}`` or ``{"statistic": name,
    "interval": [lo, hi]}`` (other keys allowed: the null, the level, the threshold)?"""
    return (isinstance(test, dict) and isinstance(test.get("statistic"), str) and bool(test["statistic"])
            and bool({"p_value", "interval"} & set(test)))


def n_seeds(seeds) -> int:
    """How many seeds ``seeds`` (an int count or a list of seeds) names; 0 for None."""
    if seeds is None:
        return 0
    if isinstance(seeds, (int,)) and not isinstance(seeds, bool):
        return int(seeds)
    return len(list(seeds))


def decide(holds: bool | None, *, test: dict | None = None, seeds=None, control_passed: bool = True,
           decided: bool = True, applicable: bool = True, min_seeds: int = MIN_SEEDS) -> str:
    """The verdict of a finding from what was measured, by one evidence rule for ``agrees`` and
    ``disagrees`` alike, in this order of precedence:

    * ``"not applicable"`` when the claim's hypothesis is not met, or the paper does not make it;
    * ``"no verdict"`` when a control failed (the setup does not learn, or the statistic does not
      detect the effect where it is planted), or the budget could not decide (``decided=False``:
      a run that did not learn, an interval that straddles the threshold), or there is no
      ``test`` (a statistic with its p-value or interval: a threshold crossed is not a test), or
      the test rests on fewer than ``min_seeds`` seeds;
    * ``"agrees"`` when it holds, ``"disagrees"`` when it does not.

    ``holds`` must itself be read off the test (the interval excludes the threshold, p < alpha),
    so that either outcome was possible. :func:`check_result` also requires the result's controls
    to have passed for both decided verdicts.
    """
    if not applicable:
        return "not applicable"
    if not control_passed or not decided or holds is None:
        return "no verdict"
    if not valid_test(test) or n_seeds(seeds) < min_seeds:
        return "no verdict"
    return "agrees" if holds else "disagrees"


def _default_reason(holds: bool | None, test: dict | None, seeds, min_seeds: int) -> str:
    if holds is None:
        return "not decided"
    if not valid_test(test):
        return ("no test that could have gone either way (a threshold crossed on one run is not a test); "
                + ("the measured value meets the expected one" if holds else "the measured value misses it"))
    return f"the test rests on {n_seeds(seeds)} seed(s), fewer than the {min_seeds} a verdict needs"


def claim(id: str, statement: str, expected: Any, measured: Any, holds: bool | None, kind: str = "finding",
          *, source: str | None = None, verdict: str | None = None, reason: str | None = None,
          test: dict | None = None, seeds=None, min_seeds: int = MIN_SEEDS) -> dict:
    """One checked statement: the paper's claim, the expected and measured values, whether it
    holds (computed by the toy from the numbers), its kind and, for a finding, its verdict.

    ``kind`` is ``"finding"`` when the outcome could have been otherwise and ``"sanity"`` when it
    holds by construction or checks the code. ``source`` names the paper and section
    (:data:`PAPERS`); a toy's own source is used when it is None.

    A finding's ``verdict`` (one of :data:`VERDICTS`) defaults to :func:`decide` ``(holds,
    test=test, seeds=seeds)``. Either decided verdict (``agrees``, ``disagrees``) needs ``test``
    (``{"statistic": name, "p_value": p}`` or ``{"statistic": name, "interval": [lo, hi]}``, from
    which ``holds`` is read) and ``seeds`` (the seeds it rests on: a list, or their number), at
    least ``min_seeds`` of them; ``agrees`` needs ``holds``, ``disagrees`` needs ``not holds``.
    Any other verdict needs a ``reason``. ``holds`` may be None for a finding that could not be
    decided. Raises ``ValueError`` on a record that breaks these rules.
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
        verdict = decide(holds, test=test, seeds=seeds, min_seeds=min_seeds)
        if verdict not in DECIDED and reason is None:
            reason = _default_reason(holds, test, seeds, min_seeds)
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    if verdict not in DECIDED and not reason:
        raise ValueError(f"{id}: verdict {verdict!r} needs a reason")
    if verdict in DECIDED:
        _check_evidence(id, verdict, holds, test, seeds, min_seeds)
    rec.update(verdict=verdict, reason=reason, test=test,
               seeds=(list(seeds) if seeds is not None and not isinstance(seeds, int) else seeds))
    return rec


def _check_evidence(id: str, verdict: str, holds, test, seeds, min_seeds: int = MIN_SEEDS) -> None:
    """The evidence rule for a decided verdict (raises ``ValueError``)."""
    if verdict == "agrees" and not holds:
        raise ValueError(f"{id}: verdict 'agrees' on a finding that does not hold")
    if verdict == "disagrees" and holds is not False:
        raise ValueError(f"{id}: verdict 'disagrees' needs holds=False")
    if not valid_test(test):
        raise ValueError(f"{id}: {verdict!r} needs a test: {{'statistic': name, 'p_value': p}} or "
                         "{'statistic': name, 'interval': [lo, hi]} (a threshold crossed is not a test)")
    if n_seeds(seeds) < min_seeds:
        raise ValueError(f"{id}: {verdict!r} needs seeds, at least {min_seeds}; got {seeds!r}")


def control(reproduces: str, holds: bool, settings: dict, measured: Any, kind: str = "learns") -> dict:
    """A positive control that this machine runs: ``kind`` "learns" (the setup learns: a DCGAN
    makes recognisable digits, a 2-D run reaches its target) or "power" (the statistic detects the
    effect where it is planted: a generator that drops modes by construction, series that track
    by construction). ``reproduces`` names what it shows and its source. A result whose controls
    did not all pass decides no finding, either way (:func:`check_result`). Published-scale
    reproductions a CPU cannot run are drawn beside the verdicts, not used as controls."""
    if kind not in CONTROL_KINDS:
        raise ValueError(f"kind must be one of {CONTROL_KINDS}, got {kind!r}")
    return {"reproduces": reproduces, "holds": bool(holds), "settings": settings, "measured": measured,
            "kind": kind}


def check_result(result: dict, source: str | None = None) -> dict:
    """Fill each claim's missing ``source`` with the toy's, and check what a verdict rests on:
    every source names a paper (:func:`paper_of`), every finding has a verdict, and a decided
    verdict (``agrees`` or ``disagrees`` alike) has its test and seeds (:func:`claim`'s rule) and
    the result's positive ``controls`` (the setup learns; the statistic detects a planted effect),
    which must exist and have all passed. Raises ``ValueError`` naming the claim otherwise."""
    controls = result.get("controls", [])
    for c in result["claims"]:
        v = c.get("verdict")
        if v in DECIDED:
            _check_evidence(c["id"], v, c.get("holds"), c.get("test"), c.get("seeds"), MIN_SEEDS)
            if not (controls and all(k["holds"] for k in controls)):
                raise ValueError(f"{c['id']}: {v!r} needs the result's positive controls, all passed "
                                 "(the setup learns; the statistic detects a planted effect)")
        if c.get("source") is None:
            c["source"] = source
        if c["source"] is None:
            raise ValueError(f"{c['id']}: no source, and none given for the result")
        paper_of(c["source"])
        if c["kind"] == "finding" and v not in VERDICTS:
            raise ValueError(f"{c['id']}: a finding needs a verdict, one of {VERDICTS}")
    return result


def tally(claims: list[dict]) -> dict:
    """Verdict counts per paper: ``{"WGAN": {"agrees": n, ...}, ..., "sanity": {"pass": n, "fail": n}}``.

    Every paper of :data:`PAPERS` and every verdict of :data:`VERDICTS` is present (zeros
    included), so the counts of the papers and those beyond them are read the same way; the
    claims' ``source`` must be set (:func:`check_result`).
    """
    out = {p: dict.fromkeys(VERDICTS, 0) for p in PAPERS}
    out["sanity"] = {"pass": 0, "fail": 0}
    for c in claims:
        if c["kind"] == "sanity":
            out["sanity"]["pass" if c["holds"] else "fail"] += 1
        else:
            out[paper_of(c["source"])][c["verdict"]] += 1
    return out
