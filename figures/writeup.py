"""The write-up (``README.md`` beside the figures), rendered from the toys' results.

The headline counts the *findings* (claims that could have come out otherwise) and lists every one
that disagrees with the papers; sanity checks (claims that hold by construction, or check the
code) are counted apart. Each section: the paper's claim in one sentence, the figure, what its
panels show (the module's ``CAPTION``), the settings that were run and every departure from the
paper's (``DEPARTURES``), the table of checked claims with their kind, the module's extra tables
(``tables``, if it has them), and a verdict paragraph: confirmed, or not confirmed and why (the
module's ``WHY`` for each finding that disagrees), and which claims need the full run when the
settings were ``--quick``. Every number comes from the results the tests assert; every text from
the figure's own module (:mod:`claims.contract`).
"""

from __future__ import annotations

import platform
from types import ModuleType

from claims import fmt

from .catalogue import FIGURES


def _cell(v) -> str:
    return fmt(v).replace("|", "\\|")


def claims_table(claims: list[dict]) -> list[str]:
    lines = ["| kind | claim | expected | measured | holds |", "|---|---|---|---|---|"]
    for c in claims:
        lines.append(f"| {c['kind']} | {_cell(c['statement'])} | {_cell(c['expected'])} | {_cell(c['measured'])} | "
                     f"{'yes' if c['holds'] else '**no**'} |")
    return lines


def _anchor(name: str) -> str:
    return name.replace("_", "-")


def _settings(result: dict) -> str:
    s = {k: v for k, v in result.get("settings", {}).items() if k not in ("quick", "seed", "seconds")}
    return "; ".join(f"{k.replace('_', ' ')}: {fmt(v) if not isinstance(v, dict) else ', '.join(f'{a} {fmt(b)}' for a, b in v.items())}"
                     for k, v in s.items())


def verdict(result: dict, module: ModuleType) -> list[str]:
    """The verdict paragraph of a figure: confirmed, or not and why (``module.WHY``)."""
    findings = [c for c in result["claims"] if c["kind"] == "finding"]
    against = [c for c in findings if not c["holds"]]
    broken = [c for c in result["claims"] if c["kind"] == "sanity" and not c["holds"]]
    pending = result.get("needs_full_run", [])
    out = []
    if findings and not against:
        out.append(f"**Confirmed**: all {len(findings)} findings agree with the paper.")
    elif findings:
        out.append(f"**Not confirmed** on {len(against)} of {len(findings)} findings:")
        for c in against:
            why = module.WHY.get(c["id"], "")
            out.append(f"- *{c['statement']}*: measured {fmt(c['measured'])}." + (f" Why: {why}" if why else ""))
    elif not pending:
        out.append("No finding to confirm: only sanity checks.")
    if pending:
        out.append(f"**Not checked at --quick settings** (need the full run, `python -m {module.__name__}`): "
                   + ", ".join(f"`{p}`" for p in pending) + ".")
    if broken:
        out.append("**Sanity checks FAILED** (the code is wrong): " + ", ".join(f"`{c['id']}`" for c in broken) + ".")
    return out














def render(results: dict[str, dict], quick: bool, seconds: float,
           runs: list[str] | None = None, runs_figure: str | None = None) -> str:
    """The Markdown write-up of one ``python -m figures`` run."""
    claims = [(n, c) for n, r in results.items() for c in r["claims"]]
    findings = [(n, c) for n, c in claims if c["kind"] == "finding"]
    against = [(n, c) for n, c in findings if not c["holds"]]
    sanity = [(n, c) for n, c in claims if c["kind"] == "sanity"]
    pending = sum(len(r.get("needs_full_run", [])) for r in results.values())
    titles = {f.NAME: f.TITLE for f in FIGURES}
    out = [
        "# Figures and checked claims",
        "",
        "Written by `python -m figures" + (" --quick" if quick else "") + f"` in {seconds / 60:.1f} minutes on "
        f"this machine ({platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores); "
        "regenerate it with `python -m figures` (full settings) or `python -m figures --quick` (about a minute, "
        "written to ./figures-quick). Each figure's numbers are in NAME.json beside NAME.png, and each claim's "
        "`holds` is computed from them by the toy (`python -m toys.NAME` or `python -m experiments.NAME` reruns "
        "one). A *finding* could have "
        "come out otherwise; a *sanity* check holds by construction or checks the code.",
        "",
        f"**Findings: {len(findings) - len(against)} of {len(findings)} agree with the papers"
        + (f"; {len(against)} do not.**" if against else ".**")
        + (f" Sanity checks: {sum(c['holds'] for _, c in sanity)} of {len(sanity)} pass." if sanity else "")
        + (" The findings against the papers:" if against else ""),
    ]
    for n, c in against:
        out.append(f"- [{titles.get(n, n)}](#{_anchor(n)}): {c['statement']} (measured {_cell(c['measured'])})")
    if pending:
        out += ["", f"{pending} claims need the full settings and were not checked in this --quick run."]
    out += ["", "| figure | source | findings agreeing | sanity checks |", "|---|---|---|---|"]
    for f in FIGURES:
        if f.NAME in results:
            cl = results[f.NAME]["claims"]
            fi = [c for c in cl if c["kind"] == "finding"]
            sa = [c for c in cl if c["kind"] == "sanity"]
            out.append(f"| [{f.TITLE}](#{_anchor(f.NAME)}) | {f.SOURCE} | {sum(c['holds'] for c in fi)} / {len(fi)} | "
                       f"{sum(c['holds'] for c in sa)} / {len(sa)} |")
    for f in FIGURES:
        if f.NAME not in results:
            continue
        r = results[f.NAME]
        secs = r.get("settings", {}).get("seconds")
        out += ["", f"<a id=\"{_anchor(f.NAME)}\"></a>", f"## {f.TITLE}", "",
                f"*{f.SOURCE}.* {f.CLAIM}", "", f"![{f.TITLE}]({f.NAME}.png)", "",
                f"*Panels.* {f.CAPTION}", "",
                f"*Settings.* {_settings(r)}." if _settings(r) else "",
                "", f"*Departures from the paper.* {f.DEPARTURES}", ""]
        out += claims_table(r["claims"])
        if hasattr(f, "tables"):
            out += f.tables(r)
        out += [""] + verdict(r, f)
        out += ["", f"`python -m {f.__name__}" + (" --quick" if quick else "") + "`" +
                (f" ran in {secs:.0f} s." if secs is not None else ".")]
    if runs_figure:
        out += ["", "## Training runs (WGAN Figures 3 and 4)", "",
                "The EM estimate (WGAN) or the JS lower bound L/2 + ln 2 (GAN) against generator "
                "steps, median-filtered as in the paper, and the latest samples, for: " +
                ", ".join(f"`{r}`" for r in runs) + f". Regenerate it with `python -m gan.plot {' '.join(runs)}`.",
                "", f"![training runs]({runs_figure})"]
    return "\n".join(out) + "\n"
