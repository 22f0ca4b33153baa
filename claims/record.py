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
    every source names a paper (:func:`paper_of`), every finding has a verdict, and
    ``"disagrees"`` only where the result's positive ``controls`` exist and all passed."""
    controls = result.get("controls", [])
    for c in result["claims"]:
        if c.get("verdict") == "disagrees" and not (controls and all(k["holds"] for k in controls)):
            raise ValueError(f"{c['id']}: 'disagrees' needs passed positive controls in the result")
        if c.get("source") is None:
            c["source"] = source
        if c["source"] is None:
            raise ValueError(f"{c['id']}: no source, and none given for the result")
        paper_of(c["source"])
        if c["kind"] == "finding" and c.get("verdict") not in VERDICTS:
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
