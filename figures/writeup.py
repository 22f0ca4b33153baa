"""The write-up (``README.md`` beside the figures), rendered from the toys' results.

The headline is one line of verdict counts per paper (:func:`claims.record.tally`): the findings
(claims that could have come out otherwise) of the WGAN paper and of *Towards Principled Methods*
by verdict (agrees / disagrees / no verdict / not applicable), the findings beyond the papers
counted apart, the sanity checks (claims that hold by construction, or check the code) apart;
then every finding that does not agree, with its reason (and its test, for a disagreement). Each
section: the paper's claim in one sentence, the figure, what its panels show (the module's
``caption``), the settings that were run and every departure from the paper's (``departures``),
the table of checked claims with their kind, source and verdict, the positive controls where the
result has them (``controls``), the provenance of long-budget results where it rests on them
(``long``), the module's extra tables (``tables``, if it has them), and a verdict paragraph: each
finding that does not agree with its reason and the module's ``why``, and which claims need the
full run when the settings were ``--quick``. Every number comes from the results the tests assert;
every text from the figure's own record (:class:`claims.contract.Figure`).
"""

from __future__ import annotations

import os
import platform

from claims import DECIDED, VERDICTS, fmt, tally, verdict_cell
from claims.contract import Figure
from claims.record import n_seeds

from .run import SHARED_RUNS

from .catalogue import FIGURES


def _cell(v) -> str:
    """A measured or expected value for Markdown: a dict as ``key value; ...``, a list of dicts (one
    per seed, say) as ``[key value, ... / key value, ...]``, nothing measured said so (a claim that
    its budget did not reach)."""
    if v is None or (isinstance(v, (str, list, dict)) and not v):
        text = "not measured at this budget"
    elif isinstance(v, dict):
        text = "; ".join(f"{k} {_inner(x)}" for k, x in v.items())
    else:
        text = fmt(v)
    return text.replace("|", "\\|")


def evidence_cell(c: dict) -> str:
    """What a decided finding rests on, for the claims table: its test (statistic, p-value or
    interval) and its number of seeds; ``-`` for a sanity check or an undecided finding, and for a
    result written before findings recorded their seeds (``python -m figures --render`` on old JSONs)."""
    if c.get("kind") != "finding" or c.get("verdict") not in DECIDED:
        return "-"
    n = n_seeds(c.get("seeds"))
    test = describe_test(c.get("test")) or "no test recorded"
    return _cell(f"{test}; {n} seeds" if n else f"{test}; seeds not recorded")


def _inner(v) -> str:
    """A value inside a dict cell: a dict as a cell of its own, a list of dicts one after another."""
    if isinstance(v, dict):
        return _cell(v)
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return "[" + " / ".join(", ".join(f"{k} {_inner(y)}" for k, y in x.items()) for x in v) + "]"
    return fmt(v)


def claims_table(claims: list[dict]) -> list[str]:
    """The Markdown table of a figure's claims: kind, statement, source, expected, measured,
    holds, verdict, and for a decided finding its test and number of seeds."""
    lines = ["| kind | claim | source | expected | measured | holds | verdict | test (seeds) |",
             "|---|---|---|---|---|---|---|---|"]
    for c in claims:
        holds = "-" if c["holds"] is None else "yes" if c["holds"] else "**no**"
        verdict = verdict_cell(c)
        if verdict not in ("agrees", "pass"):
            verdict = f"**{verdict}**"
        lines.append(f"| {c['kind']} | {_cell(c['statement'])} | {_cell(c['source'])} | {_cell(c['expected'])} | "
                     f"{_cell(c['measured'])} | {holds} | {verdict} | {evidence_cell(c)} |")
    return lines


def _anchor(name: str) -> str:
    return name.replace("_", "-")


def _settings(result: dict) -> str:
    s = {k: v for k, v in result.get("settings", {}).items() if k not in ("quick", "seed", "seconds")}
    return "; ".join(f"{k.replace('_', ' ')}: {fmt(v) if not isinstance(v, dict) else ', '.join(f'{a} {fmt(b)}' for a, b in v.items())}"
                     for k, v in s.items())


def describe_test(test: dict | None) -> str:
    """A finding's test in words: the statistic, and its p-value or interval."""
    if not test:
        return ""
    parts = [str(test.get("statistic", "test"))]
    if "p_value" in test:  # a p-value that underflowed to 0 is below double precision, not 0
        parts.append("p < 1e-300" if test["p_value"] == 0 else f"p = {fmt(test['p_value'])}")
    if "interval" in test:
        parts.append(f"interval [{', '.join(fmt(v) for v in test['interval'])}]")
    return ", ".join(parts)


def _reason(c: dict, figure: Figure | None) -> str:
    """Why a finding does not agree: its reason, its test, and the module's ``why`` for it."""
    out = c.get("reason") or ""
    if c.get("test"):
        n = n_seeds(c.get("seeds"))
        out += f" (test: {describe_test(c['test'])}" + (f"; {n} seeds)" if n else ")")
    # WHY explains a finding that came out against its statement (disagrees, or not applicable where
    # the hypothesis is unmet); a finding the budget could not decide gets its reason only, since a
    # fixed explanation of an outcome that was not reached would be a guess
    decided = c.get("holds") is False and c.get("verdict") in ("disagrees", "not applicable")
    why = figure.why.get(c["id"]) if figure is not None and decided else None
    if why and why not in out:
        out += f" Why: {why}"
    out = out.strip()
    return out[:1].upper() + out[1:]


def controls_table(controls: list[dict]) -> list[str]:
    """The positive controls of a toy or an experiment (``controls``, :func:`claims.record.control`):
    what each reproduces, with what settings, what was measured, and whether it passed (a claim
    judged on a failed control has no verdict). The one Markdown table of controls: a module's own
    ``tables`` do not repeat it."""
    lines = ["", "Positive controls (the same code reproducing a published result first):", "",
             "| reproduces | settings | measured | passed |", "|---|---|---|---|"]
    for k in controls:
        settings = k["settings"]
        if isinstance(settings, dict):
            settings = "; ".join(f"{a}: {fmt(b)}" for a, b in settings.items())
        m = k["measured"]
        if isinstance(m, dict) and "per_seed" in m and "thresholds" in m:  # a trainer run's "learns", per seed
            t = m["thresholds"]
            m = ("; ".join(f"FD {x['fd']:.0f}, {x['classes']:.0f} classes, confident {x['confident']:.2f}"
                           for x in m["per_seed"])
                 + f" (needs FD < {t['fd_below']:.0f}, {t['classes']:.0f} classes, confident >= "
                   f"{t['confident_at_least']:.2f})")
        lines.append(f"| {_cell(k['reproduces'])} | {_cell(settings)} | {_cell(m)} | "
                     f"{'yes' if k['holds'] else '**no**'} |")
    return lines


def provenance_line(long: dict | None) -> list[str]:
    """The label of the long-budget results a section draws on: the command, commit, machine, date
    and CPU time that produced them (``figures/long/NAME.json``); nothing when there are none."""
    prov = (long or {}).get("provenance")
    if not prov:
        return []
    from claims.long_budget import describe

    return ["", "*Long budget.* Some numbers here come from the committed long-budget results, not from this "
            f"run: made by {describe(prov)}."]


def verdict(result: dict, figure: Figure) -> list[str]:
    """The verdict paragraph of a figure: the count of each verdict, then every finding that does
    not agree with its reason (``reason``, ``test``, ``figure.why``)."""
    findings = [c for c in result["claims"] if c["kind"] == "finding"]
    other = [c for c in findings if c["verdict"] != "agrees"]
    broken = [c for c in result["claims"] if c["kind"] == "sanity" and not c["holds"]]
    pending = result.get("needs_full_run", [])
    out = []
    if findings and not other:
        beyond = all(str(c.get("source", "")).startswith("beyond") for c in findings)
        out.append(f"**Agrees**: all {len(findings)} findings agree with "
                   + ("the work they test (beyond the two papers)." if beyond else "the paper."))
    elif findings:
        counts = {v: sum(c["verdict"] == v for c in findings) for v in VERDICTS}
        out.append("**Verdicts**: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + ".")
        for c in other:
            out.append(f"- **{c['verdict']}**: *{c['statement']}* (measured {_cell(c['measured'])}). {_reason(c, figure)}")
    elif not pending:
        out.append("No finding to judge: only sanity checks.")
    if pending:
        out.append(f"**Not checked at --quick settings** (need the full run, `python -m {figure.module}`): "
                   + ", ".join(f"`{p}`" for p in pending) + ".")
    if broken:
        out.append("**Sanity checks FAILED** (the code is wrong): " + ", ".join(f"`{c['id']}`" for c in broken) + ".")
    return out


def headline(results: dict[str, dict]) -> list[str]:
    """The write-up's opening: the verdict counts per paper, then every finding that does not
    agree (disagrees first), with a link to its section and its reason."""
    figures = {f.name: f for f in FIGURES}
    # in the catalogue's order, whatever order the results were made in (worker processes finish in any)
    claims = [(f.name, c) for f in FIGURES if f.name in results for c in results[f.name]["claims"]]
    counts = tally([c for _, c in claims])
    out = ["**Verdicts**, one line per paper (the findings beyond the papers counted apart):", ""]
    for paper, v in counts.items():
        if paper != "sanity" and sum(v.values()):
            out.append(f"- **{paper}**{' (counted apart)' if paper.startswith('beyond') else ''}: "
                       f"{sum(v.values())} findings: " + ", ".join(f"{n} {k}" for k, n in v.items()))
    s = counts.get("sanity", {"pass": 0, "fail": 0})
    out.append(f"- sanity checks (not findings): {s['pass']} of {s['pass'] + s['fail']} pass")
    for v in VERDICTS[1:]:
        these = [(n, c) for n, c in claims if c["kind"] == "finding" and c["verdict"] == v]
        if not these:
            continue
        out += ["", f"Findings with the verdict **{v}**:"]
        for n, c in these:
            title = figures[n].title if n in figures else n
            out.append(f"- [{title}](#{_anchor(n)}), {c['source']}: {c['statement']} (measured {_cell(c['measured'])}). "
                       + _reason(c, figures.get(n)))
    return out


def render(results: dict[str, dict], quick: bool, seconds: float | None,
           runs: list[str] | None = None, runs_figure: str | None = None) -> str:
    """The Markdown write-up of one ``python -m figures`` run (``seconds``: its time), or of the
    committed results (``seconds`` None: ``python -m figures --render``)."""
    pending = sum(len(r.get("needs_full_run", [])) for r in results.values())
    out = [
        "# Figures and checked claims",
        "",
        ("Written by `python -m figures" + (" --quick" if quick else "") + f"` in {seconds / 60:.1f} minutes on "
         f"this machine ({platform.processor() or platform.machine()}, {os.cpu_count()} cores); "
         if seconds is not None else
         "Rendered by `python -m figures --render` from the results committed beside it (each section says how "
         f"long its module ran, on this machine: {platform.processor() or platform.machine()}, {os.cpu_count()} "
         "cores); ") +
        "regenerate it with `python -m figures` (full settings) or `python -m figures --quick` (about 75 s on 2 quiet cores, "
        "written to ./figures-quick). Each figure's numbers are in NAME.json beside NAME.png, and each claim's "
        "`holds` and verdict are computed from them by the toy (`python -m toys.NAME` or `python -m "
        "experiments.NAME` reruns one). A *finding* could have come out otherwise; a *sanity* check holds by "
        "construction or checks the code. A finding's verdict against the paper that makes the claim: "
        "*agrees*; *disagrees* (only after a passed positive control, with a test that excludes the paper's "
        "claim); *no verdict* (the experiment could not decide at this budget); *not applicable* (the "
        "claim's hypothesis is not met, or the paper does not make it). Findings beyond the two papers are "
        "counted apart.",
        "",
    ]
    out += headline(results)
    if pending:
        out += ["", f"{pending} claims need the full settings and were not checked in this --quick run."]
    out += ["", "| figure | source | " + " | ".join(VERDICTS) + " | sanity checks |", "|---|---|" + "---|" * len(VERDICTS) + "---|"]
    for f in FIGURES:
        if f.name in results:
            cl = results[f.name]["claims"]
            counts = [sum(c["kind"] == "finding" and c["verdict"] == v for c in cl) for v in VERDICTS]
            sa = [c for c in cl if c["kind"] == "sanity"]
            out.append(f"| [{f.title}](#{_anchor(f.name)}) | {f.source} | " + " | ".join(map(str, counts))
                       + f" | {sum(c['holds'] for c in sa)} / {len(sa)} |")
    for f in FIGURES:
        if f.name not in results:
            continue
        r = results[f.name]
        secs = r.get("settings", {}).get("seconds")
        out += ["", f"<a id=\"{_anchor(f.name)}\"></a>", f"## {f.title}", "",
                f"*{f.source}.* {f.claim}", "", f"![{f.title}]({f.name}.png)", "",
                f"*Panels.* {f.caption}", "",
                f"*Settings.* {_settings(r)}." if _settings(r) else "",
                "", f"*Departures from the paper.* {f.departures}", ""]
        out += claims_table(r["claims"])
        if r.get("controls"):
            out += controls_table(r["controls"])
        out += provenance_line(r.get("long"))
        if f.tables is not None:
            out += f.tables(r)
        out += [""] + verdict(r, f)
        out += ["", f"`python -m {f.module}" + (" --quick" if quick else "") + "`" +
                (f" ran in {secs:.0f} s" + (" after its trainer runs, which `python -m figures` makes first for "
                                            "both MNIST experiments (its log gives their time)" if f.module in
                                            SHARED_RUNS else "") + "." if secs is not None else ".")]
    if runs_figure:
        out += ["", "## Training runs (WGAN Figures 3 and 4)", "",
                "The EM estimate (WGAN) or the JS lower bound L/2 + ln 2 (GAN) against generator "
                "steps, median-filtered as in the paper, and the latest samples, for: " +
                ", ".join(f"`{r}`" for r in runs) + f". Regenerate it with `python -m gan.plot {' '.join(runs)}`.",
                "", f"![training runs]({runs_figure})"]
    return "\n".join(out) + "\n"
