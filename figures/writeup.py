"""The write-up (``README.md`` beside the figures), rendered from the toys' results.

Each section: the paper's claim in one sentence, the figure, and the table of the claims the
toy checked (expected, measured, whether it holds), read from the same ``claims`` list the
tests assert. Nothing in it is typed by hand.
"""

from __future__ import annotations

from toys.common import fmt

from .catalogue import FIGURES


def _cell(v) -> str:
    return fmt(v).replace("|", "\\|")


def claims_table(claims: list[dict]) -> list[str]:
    lines = ["| claim | expected | measured | holds |", "|---|---|---|---|"]
    for c in claims:
        lines.append(f"| {_cell(c['statement'])} | {_cell(c['expected'])} | {_cell(c['measured'])} | "
                     f"{'yes' if c['holds'] else '**no**'} |")
    return lines


def _critic_table(result: dict) -> list[str]:
    rows = {}
    for t in result["table"]:
        rows.setdefault((t["pair"], t["exact_w"]), {})[t["constraint"]] = t["ratio"]
    cons = ("clip", "gp", "lp", "sn")
    lines = ["", "Critic estimate / exact W:", "",
             "| pair | exact W | " + " | ".join(cons) + " |", "|---|---|" + "---|" * len(cons)]
    for (pair, w), r in rows.items():
        lines.append(f"| {pair} | {fmt(w)} | " + " | ".join(fmt(r[c]) for c in cons) + " |")
    rev = result["reversal"]
    lines += ["", f"Gradient penalty from {len(rev['gp'])} random initialisations on the shift-3 pair: "
              f"{rev['gp_reversed_fraction']:.0%} end reversed (estimate / W: "
              f"{', '.join(fmt(x) for x in rev['gp'])}; the spurious optimum predicts "
              f"{fmt(rev['reversed_prediction'])}); the one-sided penalty: "
              f"{', '.join(fmt(x) for x in rev['lp'])}."]
    return lines


def _mode_table(result: dict) -> list[str]:
    lines = ["", "At the end of training (mean over seeds; min entropy over runs and checkpoints):", "",
             "| target / method | modes covered | high-quality share | min mode entropy | exact EM | "
             "Spearman(critic estimate, EM) |", "|---|---|---|---|---|---|"]
    for key, s in result["summary"].items():
        lines.append(f"| {key} | {fmt(s['modes_mean'])} ({s['modes_min']}-{s['modes_max']}) | "
                     f"{fmt(s['quality_mean'])} | {fmt(s['mode_entropy_min'])} | "
                     f"{fmt(s['em_mean'])} +- {fmt(s['em_std'])} | {fmt(s['spearman_estimate_vs_em'])} |")
    return lines


def _loss_quality(result: dict) -> list[str]:
    c = result["paper_comparison"]
    return ["", "The paper's comparison, as measured (reported, not asserted):", "",
            "| statement | Spearman(WGAN EM estimate, pixel EM) | Spearman(GAN JS bound, pixel EM) | "
            "agrees with the paper |", "|---|---|---|---|",
            f"| {_cell(c['statement'])} | {fmt(c['spearman_wgan'])} | {fmt(c['spearman_gan'])} | "
            f"{'yes' if c['agrees'] else 'no'} |"]


EXTRA = {"critic_estimate": _critic_table, "mode_collapse": _mode_table, "loss_quality": _loss_quality}


def render(results: dict[str, dict], quick: bool, seconds: float,
           runs: list[str] | None = None, runs_figure: str | None = None) -> str:
    """The Markdown write-up of one ``python -m figures`` run."""
    total = sum(len(r["claims"]) for r in results.values())
    held = sum(c["holds"] for r in results.values() for c in r["claims"])
    out = [
        "# Figures and checked claims",
        "",
        "Written by `python -m figures" + (" --quick" if quick else "") + "` in "
        f"{seconds / 60:.1f} minutes on this machine; regenerate it with `python -m figures` "
        "(full settings, under 10 minutes on 2 CPU cores) or `python -m figures --quick` (under a "
        "minute). Each figure's numbers are in NAME.json beside NAME.png, and each claim's "
        "`holds` is computed from them by the toy (`python -m toys.NAME` reruns one).",
        "",
        f"**{held} of {total} checked claims hold.**",
        "",
        "| figure | source | claims holding |",
        "|---|---|---|",
    ]
    for f in FIGURES:
        if f.name in results:
            cl = results[f.name]["claims"]
            out.append(f"| [{f.title}](#{f.name.replace('_', '-')}) | {f.source} | "
                       f"{sum(c['holds'] for c in cl)} / {len(cl)} |")
    for f in FIGURES:
        if f.name not in results:
            continue
        r = results[f.name]
        secs = r.get("settings", {}).get("seconds")
        out += ["", f"<a id=\"{f.name.replace('_', '-')}\"></a>", f"## {f.title}", "",
                f"*{f.source}.* {f.claim}", "", f"![{f.title}]({f.name}.png)", ""]
        out += claims_table(r["claims"])
        if f.name in EXTRA:
            out += EXTRA[f.name](r)
        out += ["", f"`python -m toys.{f.name}`" + (" --quick" if quick else "") +
                (f" ran in {secs:.0f} s." if secs is not None else ".")]
    if runs_figure:
        out += ["", "## Training runs (WGAN Figures 3 and 4)", "",
                "The EM estimate (WGAN) or the JS lower bound L/2 + ln 2 (GAN) against generator "
                "steps, median-filtered as in the paper, and the latest samples, for: " +
                ", ".join(f"`{r}`" for r in runs) + ".", "", f"![training runs]({runs_figure})"]
    return "\n".join(out) + "\n"
