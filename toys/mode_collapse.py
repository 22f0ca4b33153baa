r"""Mode collapse under the VEEGAN / PacGAN protocol, over seeds (WGAN, Sections 4.2 and 4.3).

The WGAN paper: "in no experiment did we see evidence of mode collapse for the WGAN algorithm"
(Section 4.3), and the critic's estimate "correlates well" with the generator's convergence
(Section 4.2). Checked on the 8-Gaussian ring and the 25-Gaussian grid of VEEGAN and PacGAN
(:mod:`toys.mixtures`: their shapes, at the unit spread of WGAN-GP's ``gan_toy.py``), with their
protocol: 2,500 samples; a sample is *high quality* within 3 standard deviations of its nearest
mode; a mode is *captured* by at least one high-quality sample.

Where things are: the targets, the protocol, the published tables and the training loop in
:mod:`toys.mixtures`; the runs (main, quick, long budget, the decisive runs, the published-scale
reproductions for a GPU) in :mod:`toys.mode_collapse_runs`; the generic statistics in
:mod:`claims.stats`; here, the judging, the claims, the figure and the write-up's tables.

**The toy's runs**: one small architecture for every method (ReLU MLPs 8-64-64-2 and 2-64-64-1)
trained through the trainer's iteration by the GAN (-log D), WGAN with clipping (c = 0.03) and
WGAN-GP with the toy script's penalty weight 0.1 (:data:`toys.mixtures.TOY`). A run has
**learned** its target when its high-quality share reaches the lowest share at which the
published tables credit a method with its mode count (:data:`toys.mixtures.LEARNED`, Unrolled
GAN's row of VEEGAN's Table 1). Each finding rests on the longest budget there is for its method
and target: the long budget's committed runs where they exist (each seed's longest stage), the
main budget's otherwise.

**Controls this machine runs** (:func:`controls`, gating every verdict):

* *learns*: on each target a WGAN (WGAN-GP or clipped) has at least 5 seeds past the learned
  threshold;
* *power*: the statistic below detects a generator that drops one mode by construction
  (:func:`toys.mixtures.planted`) at the learned threshold's high-quality share, in each of 5
  seeds per target (Bonferroni over them), and does not fire on the intact target at that share.
  (A finding's own family is larger, all runs of a method: it counts only the learned runs with
  the high-quality samples that reveal an empty mode at its level.)

The published-scale reproductions (``gan_toy.py``'s WGAN-GP and its WGAN with weight clipping at
100,000 iterations, PacGAN's GAN at 400 epochs: :func:`published_reproductions`) are drawn beside
the verdicts, never gates. Where the long budget's plan for the clipped WGAN on a target is spent
(:data:`PLANNED`) and too few of its seeds learned, the coverage and balance findings name the
accelerator's task that would decide (:data:`GPU_CLIP_TASK`, run by ``python -m benchmarks.gpu``);
until then they name the CPU command that continues the long budget.

**Findings**:

* **No collapse** (the WGAN paper's claim, for clipping; beyond the papers for WGAN-GP), read two
  ways, two findings per method:

  - *as absolute coverage* (``*_no_collapse``): every run that learned captures every mode; the
    modes missed per learned run with their mean and 95 % interval over seeds (:func:`judge_coverage`);
    a learned run that missed a mode decides against, 5 learned seeds per target with none missed
    decide for;
  - *as balance* (``*_modes_balanced``; beyond the papers, a stricter reading than "no evidence of
    mode collapse"), on the runs that learned their target (a run still spreading over the target
    has modes it has not reached yet, which is not collapse): the smallest mode's count among the
    run's high-quality samples against half its fair share (:func:`claims.stats.smallest_share_test`,
    Bonferroni over modes and learned runs; :func:`judge_collapse` with ``learned_only``). Evidence
    (p < 0.05) on at least 5 learned seeds decides against; with none, it is decided when each
    target has at least 5 learned seeds with enough high-quality samples that an empty mode would
    have shown at that level.
* **The GAN misses modes** (PacGAN's GAN row): the same statistic on the GAN's runs.
* **The clipped critic's estimate tracks the exact EM** (Section 4.2): on each target the
  clipped WGAN learns (at least 3 of its seeds past the learned threshold), within each run, the
  Pearson correlation of the critic's mean estimate with the exact EM to the target over the
  checkpoints; the statistic is its mean over runs, the null a permutation over runs within the
  target (a trend every run shares scores as high across runs as within). Decided when it rests
  on at least 5 runs and the test has power on them: an estimate planted to track each run's own
  (smoothed) EM as closely as the observed one correlates with it is detected in at least 80 %
  of draws (:func:`claims.stats.planted_tracking_power`).

Budgets: the main job (``run``) trains the ring, 5 seeds x 3 methods x 2,000 steps; the long
budget (``python -m toys.mode_collapse --long``; :func:`toys.mode_collapse_runs.run_long`) is
about 3.6 CPU-hours at most (:func:`toys.mode_collapse_runs.long_cpu_hours`, from the per-step
costs measured on the 2-core machine; a WGAN-GP seed that stops at its threshold costs less), and
its results are committed at ``figures/long/mode_collapse.json`` as they land.

Run: ``python -m toys.mode_collapse [--quick] [--seed S] [--out DIR]``; ``--long [--out DIR]``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import torch

from claims import MIN_SEEDS_TOY, Figure, check_result, claim, control, decide, fmt, long_budget, parallel_map
from claims.stats import (
    ALPHA,
    agrees_with_published,
    bonferroni,
    mean_interval,
    min_detectable_n,
    planted_tracking_power,
    run_permutation,
    smallest_share_test,
)

from .mixtures import (
    GAN_TOY,
    GAN_TOY_CLIP,
    HQ_RATE,
    HQ_STDS,
    LEARNED,
    N_EVAL,
    PACGAN_GAN,
    PACGAN_TABLE,
    PACGAN_TRIALS,
    VEEGAN_TABLE,
    Target,
    planted,
    protocol,
)
from .mode_collapse_runs import (  # noqa: F401  (the runs' names, as the GPU command calls them)
    CONTROLS,
    COST_MS,
    DECIDE,
    DECIDE_SEEDS,
    GANTOY,
    GANTOY_CLIP,
    LONG,
    LONG_COMMAND,
    LONG_PATH,
    MAIN,
    METHODS,
    PACGAN,
    QUICK_RUN,
    SCALE,
    TARGETS,
    checkpoints,
    gan_toy_clip_control,
    gan_toy_control,
    latest,
    load_long,
    long_cpu_hours,
    long_tasks,
    main_tasks,
    pacgan_control,
    run_controls,
    run_key,
    run_long,
    toy_run,
)

LABELS = {"gan": "GAN (-log D)", "clip": "WGAN, clipping", "gp": "WGAN-GP (0.1)"}
#: learned seeds per target for the tracking test to use that target (a majority of the 5)
MIN_LEARNED = 3
#: a mode holding less than this share of its fair share of high-quality samples is collapsed
FLOOR = 0.5
#: the tracking test is decided where its power against a planted tracking reaches this
MIN_POWER = 0.8
_PCT = {t: f"{100 * LEARNED[t]:.3g} %" for t in TARGETS}  # the learned thresholds, as the prose says them
_K = {t: len(Target(t, SCALE).means) for t in TARGETS}
_CLIP_GRID = max(max(stages) for m, t, stages, *_ in DECIDE if (m, t) == ("clip", "grid"))
#: per method, the long budget's full plan per target: the largest stage of :data:`DECIDE` (steps)
PLANNED = {m: {t: max(stages) for mm, t, stages, *_ in DECIDE if mm == m} for m in ("gp", "clip")}
#: what would decide the clipped WGAN's coverage once the CPU's long budget is spent: a task of the GPU command
GPU_CLIP_TASK = (f"gan_toy.py's WGAN with weight clipping at its published scale (MODE = 'wgan': ReLU MLPs 512 x 3, "
                 f"RMSProp 5e-5, clip 0.01, n_critic 5, batch 256, {GANTOY_CLIP['published']:,} iterations, "
                 f"{GANTOY_CLIP['seeds']} seeds per target), a task of the GPU command: python -m benchmarks.gpu runs it "
                 "in its experiments phase (toys.mode_collapse_runs.run_controls, kind 'gan_toy_clip', on the ring "
                 "and the grid)")
_PACGAN_MODES = ", ".join(f"{PACGAN_TABLE[t]['GAN']['modes'][0]} of {_K[t]} {t} modes" for t in TARGETS)
_PACGAN_ROW = ", ".join(f"{PACGAN_TABLE[t]['GAN']['modes'][0]} +- {PACGAN_TABLE[t]['GAN']['modes'][1]} of {_K[t]} {t} "
                        f"modes with {PACGAN_TABLE[t]['GAN']['hq_pct'][0]} +- {PACGAN_TABLE[t]['GAN']['hq_pct'][1]} % "
                        "high-quality samples" for t in TARGETS) + f" ({PACGAN_TRIALS} trials, standard errors)"


# ---------------------------------------------------------------------------------------------
# Judging: pure functions of the runs' records (the tests feed them synthetic runs)

def final(run: dict) -> dict:
    """A run's statistics at its last checkpoint, whether it learned its target, and the smallest
    mode's test (:func:`claims.stats.smallest_share_test` at :data:`FLOOR`)."""
    hq = float(run["hq_share"][-1])
    counts = run["counts"][-1]
    return {"hq_share": hq, "modes": int(run["modes"][-1]), "counts": counts, "seed": run.get("seed"),
            "learned": hq >= LEARNED[run["target"]], "steps": int(run["step"][-1]),
            "smallest": smallest_share_test(counts, FLOOR)}


def basis(main_runs: list[dict], long_runs: dict | None) -> tuple[list[dict], dict]:
    """The runs each finding rests on: per (method, target), the long budget's (each seed's longest
    stage, :func:`toys.mode_collapse_runs.latest`) where it has any, else the main budget's; and,
    per "method/target", which budget that was."""
    staged = [r for k, r in latest(long_runs or {}).items() if k.startswith("toy/")]
    out, where = [], {}
    for m in METHODS:
        for t in TARGETS:
            lr = sorted((r for r in staged if r["method"] == m and r["target"] == t), key=lambda r: r["seed"])
            mr = [r for r in main_runs if r["method"] == m and r["target"] == t]
            if lr or mr:
                out += lr or mr
                where[f"{m}/{t}"] = "long" if lr else "main"
    return out, where


def collapse_evidence(runs: list[dict]) -> dict:
    """Per target: every run's final share, modes and smallest-mode test; the learned runs' modes with
    their mean and 95 % interval; the fewest high-quality samples at which the test finds an empty mode
    at this family's level (:func:`claims.stats.min_detectable_n` at 0.05 / runs) and the learned runs
    that had them (``powered``: a learned run with fewer could hide a dropped mode). Over all runs (no
    learned gate): ``p_value``, the smallest-mode test's smallest p, Bonferroni over the runs; over the
    learned runs only: ``learned_p_value`` (Bonferroni over them; 1.0 for none) and ``learned_runs``."""
    per, ps, lps = {}, [], []
    for t in [t for t in TARGETS if any(r["target"] == t for r in runs)]:
        fs = [final(r) for r in runs if r["target"] == t]
        k = len(fs[0]["counts"])
        need = min_detectable_n(k, FLOOR, ALPHA / len(runs))
        learned = [f for f in fs if f["learned"]]
        powered = [f for f in learned if f["smallest"]["n"] >= need]
        ps += [f["smallest"]["p_value"] for f in fs]
        lps += [f["smallest"]["p_value"] for f in learned]
        per[t] = {"modes_total": k, "runs": len(fs), "seeds": [f["seed"] for f in fs], "steps": [f["steps"] for f in fs],
                  "hq_share": [round(f["hq_share"], 4) for f in fs], "modes": [f["modes"] for f in fs],
                  "learned": len(learned), "learned_seeds": [f["seed"] for f in learned],
                  "learned_modes": [f["modes"] for f in learned],
                  "learned_smallest_ratio": [round(f["smallest"]["ratio"], 3) for f in learned],
                  "modes_interval": mean_interval([f["modes"] for f in learned]),
                  "smallest_ratio": [round(f["smallest"]["ratio"], 3) for f in fs],
                  "smallest_p": [f["smallest"]["p_value"] for f in fs], "detectable_from": need,
                  "powered": len(powered), "powered_seeds": [f["seed"] for f in powered],
                  "projection": projected_steps([r for r in runs if r["target"] == t], LEARNED[t]),
                  "peak_hq_share": [round(max(map(float, r["hq_share"])), 4) for r in runs if r["target"] == t],
                  "dead_since": [dead_since(r) for r in runs if r["target"] == t]}
    return {"targets": per, "p_value": bonferroni(ps), "runs": len(ps), "learned_p_value": bonferroni(lps),
            "learned_runs": len(lps)}


def dead_since(run: dict) -> int | None:
    """The first checkpoint from which the critic's mean estimate is exactly 0 to the run's end (a
    *dead* critic: every output constant, no gradient reaches the generator, which stops moving), or
    None when the last estimate is not 0."""
    est, steps = run.get("estimate") or [], run["step"]
    if not est or est[-1] is None or float(est[-1]) != 0.0:
        return None
    i = len(est) - 1
    while i > 0 and est[i - 1] is not None and float(est[i - 1]) == 0.0:
        i -= 1
    return int(steps[i])


def projected_steps(runs: list[dict], threshold: float) -> dict:
    """How the high-quality share was moving at the end: each run's least-squares slope over the second half
    of its checkpoints (per 1,000 steps), the median over runs, and the steps at which the median run would
    reach ``threshold`` if it kept that slope (None when it was not rising): an extrapolation that says
    what budget might decide, not a measurement."""
    slopes, reach = [], []
    for r in runs:
        st, hq = np.asarray(r["step"], float), np.asarray(r["hq_share"], float)
        half = st >= st[-1] / 2
        if half.sum() < 3:
            continue
        b = np.polyfit(st[half], hq[half], 1)[0]
        slopes.append(1000 * b)
        if hq[-1] < threshold:
            reach.append(st[-1] + (threshold - hq[-1]) / b if b * 1000 > 1e-9 else np.inf)  # flat: never
        else:
            reach.append(st[-1])
    if not slopes:
        return {"slope_per_1000": None, "steps": None}
    med = float(np.median(reach)) if reach else None
    return {"slope_per_1000": float(np.median(slopes)), "steps": med if med is not None and np.isfinite(med) else None}


def budget_spent(c: dict, target: str, planned: int | None) -> bool:
    """Is the long budget's full plan for a target spent: did its :data:`DECIDE_SEEDS` seeds run (in
    :func:`collapse_evidence`'s per-target entry ``c``), and every one that has not learned the target
    reach ``planned`` steps (a run stopped at its learned threshold is done)? None: no plan, not spent."""
    short = [st for st, hq in zip(c["steps"], c["hq_share"]) if hq < LEARNED[target]]
    return planned is not None and len(c["steps"]) >= DECIDE_SEEDS and all(st >= planned for st in short)


def _what_decides(c: dict, t: str, planned: dict | None, decider: str | None, min_seeds: int, such: str) -> str:
    """The end of an undecided reason for a target with too few learned seeds: with the long budget's
    plan (``planned``: {target: steps}) spent, the numbers and what would decide (``decider``, a GPU
    task); not yet spent, the CPU command that continues it; with no plan, the seeds that would decide."""
    need = f"{min_seeds} {such} seeds per target would decide"
    if planned is None or t not in planned:
        return f": {need}"
    if budget_spent(c, t, planned[t]):
        return (f"; these runs reached the long budget's full plan ({planned[t]:,} steps, {c['runs']} seeds; "
                f"{LONG_COMMAND}) with {c['learned']} of {c['runs']} seeds learned: the CPU budget is spent, and "
                + (f"what would decide is {decider}" if decider else f"a longer budget would decide ({need})"))
    return (f"; the long budget's plan trains {DECIDE_SEEDS} seeds to {planned[t]:,} steps ({LONG_COMMAND}), not "
            f"reached yet: {need}")


def judge_collapse(ev: dict, claim_is: str, min_seeds: int = MIN_SEEDS_TOY, learned_only: bool = False,
                   planned: dict | None = None, decider: str | None = None) -> dict:
    """The verdict's ingredients for "no collapse" (``claim_is="none"``) or "misses modes"
    (``claim_is="some"``) from :func:`collapse_evidence`: ``holds`` read off the smallest-mode test
    (evidence of collapse is p < 0.05), ``decided`` (evidence either way: collapse found, or every
    target trained with at least ``min_seeds`` learned seeds), the ``test`` record, the ``seeds``
    it rests on, and the ``reason`` when undecided.

    ``learned_only``: judge only the runs that learned their target (``learned_p_value``), so that a
    run still spreading over the target (a mode not yet reached) does not count as collapse; evidence
    then decides only when it rests on at least ``min_seeds`` learned seeds.

    ``planned`` ({target: steps}, the long budget's full plan) and ``decider`` (what would decide once it
    is spent: a GPU task) shape only the reason (:func:`_what_decides`), never the verdict."""
    if claim_is not in ("none", "some"):
        raise ValueError(f"claim_is must be 'none' or 'some', got {claim_is!r}")
    per = ev["targets"]
    p = ev["learned_p_value"] if learned_only else ev["p_value"]
    n_runs = ev["learned_runs"] if learned_only else ev["runs"]
    evidence = p < ALPHA
    missing = [t for t in TARGETS if t not in per]
    short = [t for t, c in per.items() if c["powered"] < min_seeds]
    learned_seeds = sorted({s for c in per.values() for s in c["learned_seeds"]})
    enough = len(learned_seeds) >= min_seeds if learned_only else True
    decided = (evidence and enough) or not (missing or short)
    seeds = sorted({s for c in per.values() for s in
                    ((c["learned_seeds"] if learned_only else c["seeds"]) if evidence else c["powered_seeds"])})
    which = ("the runs that learned their target only" if learned_only else "every run, no learned gate")
    test = {"statistic": "the smallest mode's count among a run's high-quality samples against half its fair "
                         f"share (binomial; Bonferroni over modes and runs; {which}), beside "
                         "the modes captured by the learned runs (mean, 95 % interval over seeds)",
            "p_value": p, "level": ALPHA, "n": n_runs,
            "null": f"every mode holds at least {FLOOR:g} of its fair share of the run's high-quality samples",
            "modes_interval": {t: [c["modes_interval"]["lo"], c["modes_interval"]["hi"]] for t, c in per.items()},
            "learned": {t: c["learned"] for t, c in per.items()}, "powered": {t: c["powered"] for t, c in per.items()}}
    holds = (not evidence) if claim_is == "none" else evidence
    reason = None
    if not decided:
        parts = []
        for t in short:
            c = per[t]
            pr = c["projection"]
            trend = ("" if pr["slope_per_1000"] is None else
                     f"; the median share moved {pr['slope_per_1000']:+.3f} per 1,000 steps over the second half, "
                     + (f"a pace that would reach it near {pr['steps']:,.0f} steps" if pr["steps"] else
                        "not towards the threshold"))
            parts.append(f"only {c['learned']} of {c['runs']} runs learned the {t} (high-quality share >= "
                         f"{LEARNED[t]:.1%}; shares {fmt(c['hq_share'])} at {fmt(sorted(set(c['steps'])))} steps)"
                         + (f", {c['powered']} of them with the {c['detectable_from']} high-quality samples that reveal "
                            f"an empty mode among {ev['runs']} runs" if c["powered"] < c["learned"] else "")
                         + trend + _what_decides(c, t, planned, decider, min_seeds, "such"))
        for t in missing:
            parts.append(f"the {t} is trained only by the long budget ({LONG_COMMAND}), not run here")
        if evidence and not enough:
            parts.append(f"the learned runs show a mode under {FLOOR:g} of its fair share (p = {p:.3g} over {n_runs} "
                         f"learned runs; smallest mode / fair share in the learned runs: "
                         + "; ".join(f"{t} {fmt(c['learned_smallest_ratio'])}" for t, c in per.items())
                         + f"), but they are {len(learned_seeds)} seeds, fewer than the {min_seeds} a verdict needs")
        parts.append(f"no {'learned ' if learned_only else ''}run shows evidence of collapse (smallest-mode test, "
                     f"p = {p:.3g} over {n_runs} runs)" if not evidence else "")
        reason = "; ".join(p for p in parts if p)
    return {"holds": holds if decided else None, "decided": decided, "test": test, "seeds": seeds,
            "reason": reason, "evidence": evidence}


def _history(c: dict, t: str) -> str:
    """What the unlearned runs of a target did before their last checkpoint: how many passed the learned
    threshold at some checkpoint (their peak shares), and how many ended with a dead critic
    (:func:`dead_since`) and from which step."""
    peaks, dead = c.get("peak_hq_share"), c.get("dead_since")
    if not peaks:
        return ""
    passed = [p >= LEARNED[t] for p in peaks]
    fell = sum(ok and h < LEARNED[t] for ok, h in zip(passed, c["hq_share"]))
    out = (f"; {sum(passed)} of {len(peaks)} runs passed the threshold at some checkpoint (peak shares {fmt(peaks)}), "
           f"{fell} of them ending below it")
    died = [d for d in (dead or []) if d is not None]
    if died:
        out += (f"; in {len(died)} of {len(peaks)} the critic died (its estimate exactly 0 from step "
                f"{', '.join(f'{d:,}' for d in died)} to the end: no gradient reaches the generator, which stops moving)")
    return out


def judge_coverage(ev: dict, min_seeds: int = MIN_SEEDS_TOY, planned: dict | None = None,
                   decider: str | None = None) -> dict:
    """Absolute coverage: does every run that learned its target capture every mode? From
    :func:`collapse_evidence`: ``holds`` (no learned run missed a mode), ``decided`` (a learned run
    missed one, or every target has at least ``min_seeds`` learned seeds), the ``test`` (the modes
    missed per learned run, K minus the modes captured, pooled over targets: mean and 95 % interval
    over the learned seeds; per target the modes' interval), the ``seeds`` and the ``reason``.
    ``planned`` ({target: steps}: the long budget's full plan) and ``decider`` (a GPU task) shape the
    reason only: a target whose runs reached the plan with too few learned seeds names ``decider``, one
    whose runs did not names the CPU command that continues them (:func:`_what_decides`)."""
    per = ev["targets"]
    missed = [c["modes_total"] - m for c in per.values() for m in c["learned_modes"]]
    missing = [t for t in TARGETS if t not in per]
    short = [t for t, c in per.items() if c["learned"] < min_seeds]
    miss = any(x > 0 for x in missed)
    decided = miss or not (missing or short)
    iv = mean_interval(missed)
    test = {"statistic": "modes missed per learned run (K minus the modes captured), mean and 95 % t-interval over the "
                         "learned seeds, pooled over targets", "interval": [iv["lo"], iv["hi"]], "mean": iv["mean"],
            "threshold": 0, "n": iv["n"],
            "modes_interval": {t: [c["modes_interval"]["lo"], c["modes_interval"]["hi"]] for t, c in per.items()},
            "learned": {t: c["learned"] for t, c in per.items()}}
    seeds = sorted({s for c in per.values() for s in c["learned_seeds"]})
    reason = None
    if not decided:
        parts = [f"only {per[t]['learned']} of {per[t]['runs']} runs learned the {t} (high-quality share >= "
                 f"{LEARNED[t]:.1%}; shares {fmt(per[t]['hq_share'])} at {fmt(sorted(set(per[t]['steps'])))} steps)"
                 + _history(per[t], t) + _what_decides(per[t], t, planned, decider, min_seeds, "learned")
                 for t in short]
        parts += [f"the {t} is trained only by the long budget ({LONG_COMMAND}), not run here" for t in missing]
        reason = "; ".join(parts)
        if decider and reason.count(decider) > 1:  # the GPU task named once, at its first mention
            head, _, tail = reason.partition(decider)
            reason = head + decider + tail.replace(decider, "the same task of the GPU command")
    return {"holds": (not miss) if decided else None, "decided": decided, "test": test, "seeds": seeds, "reason": reason}


def judge_tracking(clip_runs: list[dict], min_runs: int = MIN_SEEDS_TOY, power_reps: int = 100) -> dict:
    """The permutation-over-runs test of the clipped critic's estimate against the exact EM, on every
    clipped run of each target the clipped WGAN learns (at least :data:`MIN_LEARNED` of its runs past
    the learned threshold), runs permuted within their target; with its power against a planted
    tracking of the observed strength (:func:`claims.stats.planted_tracking_power`). ``decided`` when
    the test rests on at least ``min_runs`` runs and its power reaches :data:`MIN_POWER`."""
    learned_on = {t: sum(final(r)["learned"] for r in clip_runs if r["target"] == t)
                  for t in dict.fromkeys(r["target"] for r in clip_runs)}
    targets = [t for t, n in learned_on.items() if n >= MIN_LEARNED]
    use = [r for r in clip_runs if r["target"] in targets and all(e is not None for e in r["em"])]
    lengths = {t: min(len(r["em"]) for r in use if r["target"] == t) for t in targets}
    res = {"runs": len(clip_runs), "learned": learned_on, "targets": targets, "test": None, "power": None,
           "seeds": sorted({r["seed"] for r in use})}
    if len(use) >= 2:
        est = [r["estimate"][:lengths[r["target"]]] for r in use]
        em = [r["em"][:lengths[r["target"]]] for r in use]
        if len(set(lengths.values())) > 1:  # targets of different lengths: compare each on its common length
            n = min(lengths.values())
            est, em = [e[-n:] for e in est], [e[-n:] for e in em]
        groups = [r["target"] for r in use]
        res["test"] = run_permutation(est, em, groups=groups, statistic="within", keep_null=True)
        r_obs = float(np.clip(res["test"]["statistic"], 0.05, 0.95))
        res["power"] = planted_tracking_power(em, r_obs, groups=groups, reps=power_reps)
    tt = res["test"]
    decided = tt is not None and tt["runs"] >= min_runs and res["power"]["power"] >= MIN_POWER
    res["holds"] = (tt["p_value"] < ALPHA) if decided else None
    res["decided"] = decided
    if decided:
        res["reason"] = None
    elif tt is None:
        res["reason"] = (f"the clipped WGAN learned no target in this budget (runs past the learned threshold: "
                         f"{', '.join(f'{n} on the {t}' for t, n in learned_on.items()) or 'none'}; {MIN_LEARNED} "
                         "needed): a budget at which it learns one would decide")
    elif tt["runs"] < min_runs:
        res["reason"] = f"the test rests on {tt['runs']} runs, fewer than {min_runs}"
    else:
        res["reason"] = (f"the test has too little power on these runs: an estimate planted to track each run's "
                         f"own EM with r = {res['power']['r']:.2f} is detected in {res['power']['power']:.0%} of "
                         f"draws (< {MIN_POWER:.0%}); the runs' EM share one course, and nothing here separates "
                         "tracking from it")
    return res


def controls(runs: list[dict], n_planted: int = MIN_SEEDS_TOY) -> list[dict]:
    """The controls this machine runs (gating every verdict): the setup learns each target (a WGAN
    with at least 5 learned seeds on it), and the smallest-mode test detects a planted collapse (one
    mode dropped, :func:`toys.mixtures.planted`, at the learned threshold's high-quality share, in
    each of ``n_planted`` seeds per target; Bonferroni over them) and stays quiet on the intact
    target at that share."""
    learned = {t: {m: sum(final(r)["learned"] for r in runs if r["method"] == m and r["target"] == t)
                   for m in ("gp", "clip")} for t in TARGETS}
    learns = all(max(v.values()) >= MIN_SEEDS_TOY for v in learned.values())
    planted_p, intact_p = {}, {}
    for t in TARGETS:
        tg = Target(t, SCALE)
        for drop, store in ((1, planted_p), (0, intact_p)):
            recs = []
            share = math.ceil(LEARNED[t] * N_EVAL) / N_EVAL  # the fewest high-quality samples that count as learned
            for s in range(n_planted):
                r = protocol(planted(tg, share, drop, seed=s), tg)
                recs.append({"target": t, "seed": s, "step": [0], "hq_share": [r["hq_share"]],
                             "modes": [r["modes"]], "counts": [r["counts"]]})
            ev = collapse_evidence(recs)["targets"][t]
            store[t] = {"p": [float(f"{p:.3g}") for p in ev["smallest_p"]], "modes": ev["modes"],
                        "learned": ev["learned"]}
    detects = all(max(v["p"]) * n_planted < ALPHA and v["learned"] == n_planted for v in planted_p.values())
    quiet = all(min(v["p"]) * n_planted >= ALPHA for v in intact_p.values())
    return [
        control(f"the toy's setup learns each target: a WGAN (WGAN-GP or clipped) has at least {MIN_SEEDS_TOY} "
                f"seeds past the learned threshold ({_PCT['ring']} ring, {_PCT['grid']} grid high-quality samples, "
                "Unrolled GAN's row of VEEGAN Table 1) on the ring and on the grid",
                learns, {"threshold": LEARNED, "seeds needed": MIN_SEEDS_TOY},
                {"learned seeds": learned}, kind="learns"),
        control(f"the smallest-mode test detects a generator that drops one mode by construction, at the learned "
                f"threshold's high-quality share, in each of {n_planted} seeds per target (p < 0.05 after Bonferroni "
                "over them), and does not fire on the intact target at that share",
                detects and quiet, {"generator": "toys.mixtures.planted (drop 1; drop 0 for the intact target)",
                                    "high-quality share": LEARNED, "samples": N_EVAL, "floor": FLOOR},
                {"dropped one mode: p per seed": planted_p, "intact: p per seed": intact_p}, kind="power"),
    ]


def _reproduction_finals(runs: dict, kind: str, targets) -> dict:
    """Per target, the final statistics of a reproduction's runs (``kind``/target/seed), None where not run."""
    return {t: [final(r) for k, r in runs.items() if k.startswith(f"{kind}/{t}/")] or None for t in targets}


def published_reproductions(long: dict | None) -> list[dict]:
    """The published-scale reproductions, judged on the long budget's runs (and an accelerator's,
    merged by :func:`toys.mode_collapse_runs.load_long`), drawn beside the verdicts (never gates): each
    reproduced when it ran its published budget and its numbers match the published ones."""
    runs = (long or {}).get("runs", {})
    recs = []
    finals = _reproduction_finals(runs, "pacgan", PACGAN["targets"])  # PacGAN's GAN row
    measured, ok = {}, all(finals.values())
    for t, fs in finals.items():
        if fs is None:
            measured[t] = "not run"
            continue
        cmp = {stat: agrees_with_published([scale * f[key] for f in fs], PACGAN_TABLE[t]["GAN"][stat], 4)
               for stat, key, scale in (("modes", "modes", 1), ("hq_pct", "hq_share", 100))}
        steps = min(f["steps"] for f in fs)
        ok &= steps >= PACGAN["published"] and all(c["holds"] for c in cmp.values())
        measured[t] = {"iterations": steps, "seeds": len(fs), **cmp}
    recs.append({
        "reproduces": f"PacGAN Table 1, GAN row (Lin et al. 2018): {_PACGAN_ROW}, after 400 epochs; reproduced when, "
                      "at that budget, each mean lies within Welch's tolerance of the published one (family-wise 95 % "
                      "over the 4 statistics)",
        "holds": bool(ok), "settings": {"setup": PACGAN_GAN.name, "nets": "G 2-400x4-2 batch norm, D maxout 3 x 200 (5 pieces)",
                                        "optimizer": "Adam 1e-4, betas (0.2, 0.999) (blocks' beta1 0.8)", "batch": 100,
                                        "training points": 100_000, "published iterations": PACGAN["published"]},
        "measured": measured})
    finals = _reproduction_finals(runs, "gan_toy", GANTOY["targets"])  # gan_toy.py
    measured, ok = {}, all(finals.values())
    for t, fs in finals.items():
        if fs is None:
            measured[t] = "not run"
            continue
        ok &= all(f["steps"] >= GANTOY["published"] and f["learned"] and f["modes"] == len(f["counts"]) for f in fs)
        measured[t] = {"iterations": min(f["steps"] for f in fs), "seeds": len(fs),
                       "hq_share": [f["hq_share"] for f in fs], "modes": [f["modes"] for f in fs]}
    recs.append({
        "reproduces": f"WGAN-GP's gan_toy.py (Gulrajani et al. 2017) learns the 8 Gaussians in {GANTOY['published']:,} "
                      f"iterations: reproduced when, at {GANTOY['published']:,}, every mode is captured and the "
                      "high-quality share reaches the "
                      "learned threshold",
        "holds": bool(ok), "settings": {"setup": GAN_TOY.name, "nets": "ReLU MLPs 512 x 3, tflib initialisation, 2-D noise",
                                        "penalty": 0.1, "optimizer": "Adam 1e-4 (0.5, 0.9)", "n_critic": 5, "batch": 256,
                                        "published iterations": GANTOY["published"]},
        "measured": measured})
    finals = _reproduction_finals(runs, "gan_toy_clip", GANTOY_CLIP["targets"])  # gan_toy.py, MODE = 'wgan'
    measured, ok = {}, all(finals.values())
    for t, fs in finals.items():
        if fs is None:
            measured[t] = "not run (python -m benchmarks.gpu: its experiments phase runs it)"
            continue
        learned = [f for f in fs if f["learned"]]
        ok &= (all(f["steps"] >= GANTOY_CLIP["published"] for f in fs) and len(learned) >= MIN_SEEDS_TOY
               and all(f["modes"] == len(f["counts"]) for f in learned))
        measured[t] = {"iterations": min(f["steps"] for f in fs), "seeds": len(fs), "learned": len(learned),
                       "hq_share": [f["hq_share"] for f in fs], "modes": [f["modes"] for f in fs]}
    recs.append({
        "reproduces": f"gan_toy.py's WGAN with weight clipping (MODE = 'wgan'; Gulrajani et al. 2017's script) at its "
                      f"published scale shows no mode collapse as clip_no_collapse reads it: after "
                      f"{GANTOY_CLIP['published']:,} iterations at least {MIN_SEEDS_TOY} seeds per target learn it "
                      "(high-quality share past the learned threshold) and every one that learned captures every mode",
        "holds": bool(ok), "settings": {"setup": GAN_TOY_CLIP.name, "nets": "ReLU MLPs 512 x 3, tflib initialisation, "
                                        "2-D noise", "optimizer": "RMSProp 5e-5, both players", "clip": 0.01,
                                        "n_critic": 5, "batch": 256, "published iterations": GANTOY_CLIP["published"]},
        "measured": measured})
    return recs


# ---------------------------------------------------------------------------------------------
# The toy

def _upper(share: float, n: int = N_EVAL) -> float:
    """A share's upper bound, 4 binomial standard errors above it."""
    return share + 4 * math.sqrt(max(share * (1 - share), 1.0 / n) / n)


def _sanity(seed: int) -> dict:
    """The protocol on known samples: the target's own, one mode's, and a Gaussian with the target's mean
    and spread (a generator that learned nothing)."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for t in TARGETS:
        tg = Target(t, SCALE)
        own = protocol(tg.sample(N_EVAL, g).numpy(), tg)
        one = protocol(tg.means[[0] * N_EVAL] + tg.std * np.random.default_rng(seed).normal(size=(N_EVAL, 2)), tg)
        diffuse = protocol(np.random.default_rng(seed + 1).normal(size=(N_EVAL, 2)) * tg.means.std(0) + tg.means.mean(0), tg)
        rows.append({"target": t, "own": own, "one_mode": one, "diffuse": diffuse})
    se = math.sqrt(HQ_RATE * (1 - HQ_RATE) / N_EVAL)
    return claim(
        "protocol_on_known_samples",
        f"the protocol is sound: the target's own samples are high quality at the chi-square rate 1 - e^-{HQ_STDS ** 2 / 2:g} = "
        f"{HQ_RATE:.3f} (within 4 standard errors) and capture every mode; samples of one mode capture 1; a Gaussian "
        "with the target's mean and spread (a generator that learned nothing) stays below the learned threshold (its "
        "share's upper 4-standard-error bound)",
        f"{HQ_RATE:.3f}, all; 1; < {LEARNED['ring']:.3f} ring, < {LEARNED['grid']:.3f} grid",
        "; ".join(f"{s['target']}: {s['own']['hq_share']:.3f}, {s['own']['modes']}; {s['one_mode']['modes']}; "
                  f"{s['diffuse']['hq_share']:.4f}" for s in rows),
        all(abs(s["own"]["hq_share"] - HQ_RATE) < 4 * se and s["own"]["modes"] == len(Target(s["target"], SCALE).means)
            and s["one_mode"]["modes"] == 1 and _upper(s["diffuse"]["hq_share"]) < LEARNED[s["target"]] for s in rows),
        "sanity", source="beyond the papers: VEEGAN / PacGAN protocol"), rows


def _coverage_text(ev: dict) -> str:
    parts = []
    for t, c in ev["targets"].items():
        iv = c["modes_interval"]
        s = (f"{t}: {c['learned']}/{c['runs']} learned ({fmt(sorted(set(c['steps'])))} steps), modes of learned runs "
             f"{fmt(c['learned_modes'])} of {c['modes_total']}")
        if iv["n"] > 1:
            s += f" (mean {iv['mean']:.2f}, 95 % [{iv['lo']:.2f}, {iv['hi']:.2f}])"
        s += (f"; every run: modes {fmt(c['modes'])}, smallest mode / fair share {fmt(c['smallest_ratio'])}, "
              f"p {fmt([float(f'{p:.2g}') for p in c['smallest_p']])}")
        parts.append(s)
    return "; ".join(parts) + f"; over all {ev['runs']} runs p = {ev['p_value']:.3g}"


def _decided_claim(cid: str, statement: str, expected: str, measured: str, j: dict, source: str,
                   controls_ok: bool) -> dict:
    """A finding from a judge's ingredients (``holds``, ``decided``, ``test``, ``seeds``, ``reason``) by the
    evidence rule (:func:`claims.record.decide`, at least :data:`claims.MIN_SEEDS_TOY` seeds)."""
    verdict = decide(j["holds"], test=j["test"], seeds=j["seeds"], control_passed=controls_ok,
                     decided=j["decided"], min_seeds=MIN_SEEDS_TOY)
    reason = None
    if verdict not in ("agrees", "disagrees"):
        reason = "; ".join(x for x in ((None if controls_ok else "the controls have not all passed (see controls)"),
                                       j["reason"]) if x) or "not decided"
    return claim(cid, statement, expected, measured, j["holds"], source=source, verdict=verdict, reason=reason,
                 test=j["test"], seeds=j["seeds"], min_seeds=MIN_SEEDS_TOY)


_SOURCES = {"gp": "beyond the papers: WGAN-GP (Gulrajani et al. 2017) on WGAN Section 4.3's claim",
            "clip": "WGAN, Section 3 ('impossible to collapse modes' with an optimal critic) and Section 4.3",
            "gan": "beyond the papers: PacGAN Table 1 (Lin et al. 2018)"}
#: the balance reading is this toolkit's statistic (issue 28), stricter than any claim either paper makes
_BALANCE_SOURCES = {"gp": "beyond the papers: a mode-balance statistic on WGAN-GP (Gulrajani et al. 2017)",
                    "clip": "beyond the papers: a mode-balance statistic, stricter than WGAN Section 4.3's 'in no "
                            "experiment did we see evidence of mode collapse for the WGAN algorithm'"}


#: what would decide a method's findings once the CPU's long budget is spent (None: a longer CPU budget)
_DECIDERS = {"gp": None, "clip": GPU_CLIP_TASK}


def collapse_claims(runs: list[dict], where: dict, controls_ok: bool) -> tuple[list[dict], dict]:
    """The mode findings from the runs each rests on: for WGAN-GP and clipping, absolute coverage by the
    learned runs (``*_no_collapse``) and the balance of the modes with no learned gate
    (``*_modes_balanced``); the GAN misses modes (the balance test read the other way); and their evidence
    per method."""
    evs = {m: collapse_evidence([r for r in runs if r["method"] == m]) for m in METHODS}
    on = lambda m: ", ".join(f"{t}: {where[f'{m}/{t}']} budget" for t in TARGETS if f"{m}/{t}" in where) or "no runs"  # noqa: E731
    balance = (f"no learned run's smallest mode holds less than {FLOOR:g} of its fair share of the run's high-quality "
               "samples (binomial, p >= 0.05 after Bonferroni over modes and learned runs; a run that has not learned "
               "its target is still spreading over it and is not judged)")
    out = []
    for m in ("gp", "clip", "gan"):
        ids = [f"{m}_no_collapse", f"{m}_modes_balanced"] if m != "gan" else ["gan_misses_modes"]
        if not evs[m]["targets"]:
            out += [claim(cid, f"{LABELS[m]}: not run", "runs", "not run", None, source=_SOURCES[m],
                          reason="no runs of this method in this budget") for cid in ids]
            continue
        measured = _coverage_text(evs[m])
        if m == "gan":
            out.append(_decided_claim(
                "gan_misses_modes", f"the GAN misses modes (PacGAN's GAN: {_PACGAN_MODES}): some run's smallest mode "
                f"holds less than {FLOOR:g} of its fair share of high-quality samples (p < 0.05, Bonferroni over modes "
                f"and runs; every run, no learned gate); on {on(m)}", "p < 0.05", measured,
                judge_collapse(evs[m], "some"), _SOURCES[m], controls_ok))
            continue
        out.append(_decided_claim(
            f"{m}_no_collapse", f"{LABELS[m]} shows no mode collapse, as absolute coverage: every run that learned its "
            f"target (high-quality share >= {_PCT['ring']} ring, {_PCT['grid']} grid) captures every mode (modes missed "
            f"per learned run, mean and 95 % interval over >= {MIN_SEEDS_TOY} learned seeds per target); on {on(m)}",
            f"0 modes missed, >= {MIN_SEEDS_TOY} learned seeds per target", measured,
            judge_coverage(evs[m], planned=PLANNED[m], decider=_DECIDERS[m]), _SOURCES[m], controls_ok))
        out.append(_decided_claim(
            f"{m}_modes_balanced", f"{LABELS[m]}'s learned runs hold their modes in balance (stricter than the "
            "paper's 'no evidence of mode collapse', which it judges by eye: a mode held under half its share is "
            f"imbalance, not collapse): {balance}; decided with >= {MIN_SEEDS_TOY} learned seeds (evidence) or "
            f">= {MIN_SEEDS_TOY} learned seeds per target that had the high-quality samples to reveal an empty mode; "
            f"on {on(m)}", "p >= 0.05", measured,
            judge_collapse(evs[m], "none", learned_only=True, planned=PLANNED[m], decider=_DECIDERS[m]),
            _BALANCE_SOURCES[m], controls_ok))
    return out, evs


def tracking_claim(tracking: dict, controls_ok: bool, on: str) -> dict:
    """The Section 4.2 finding from :func:`judge_tracking`."""
    tt, pw = tracking["test"], tracking["power"]
    test = None if tt is None else {
        "statistic": "mean within-run Pearson r (critic estimate, exact EM), permutation over runs within targets",
        "p_value": tt["p_value"], "level": ALPHA, "n": tt["runs"], "null": "each run's estimate paired with another "
        "run's EM of the same target (removes the trend every run shares)", "power": pw}
    verdict = decide(tracking["holds"], test=test, seeds=tracking["seeds"], control_passed=controls_ok,
                     decided=tracking["decided"], min_seeds=MIN_SEEDS_TOY)
    reason = tracking["reason"]
    if verdict not in ("agrees", "disagrees"):
        reason = "; ".join(x for x in ((None if controls_ok else "the controls have not all passed (see controls)"),
                                       reason) if x) or "not decided"
    measured = (f"{tt['statistic']:.3f} over {tt['runs']} runs x {tt['checkpoints']} checkpoints; across runs "
                f"{tt['across_mean']:.3f}; null 95th percentile {tt['null_q95']:.3f}; p = {tt['p_value']:.4f}; power "
                f"against a planted tracking of that strength {pw['power']:.0%}") if tt else \
        f"no target learned by the clipped WGAN ({tracking['learned']})"
    return claim(
        "clip_estimate_tracks_em", "the clipped critic's estimate follows the exact EM to the target within a run, "
        "beyond the trend every run shares (Section 4.2: 'this estimate correlates well with the quality of the "
        "generated samples', read at toy scale with the exact EM as the quality, and the trend that time alone "
        "produces removed, as issue 28's evidence rule asks; the paper's Fig. 3 is on LSUN, not a 2-D toy): mean "
        "within-run Pearson correlation over the "
        f"checkpoints of the clipped runs on the targets it learns ({MIN_LEARNED} or more seeds past the learned "
        f"threshold), against a permutation over runs within each target (p < 0.05), where the test has power "
        f"(>= {MIN_POWER:.0%} against a planted tracking); on {on}", "p < 0.05", measured, tracking["holds"],
        source="WGAN, Section 4.2", verdict=verdict, reason=reason, test=test, seeds=tracking["seeds"],
        min_seeds=MIN_SEEDS_TOY)


def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O except reading the committed long results); runs on two workers."""
    plan = QUICK_RUN if quick else MAIN
    runs = parallel_map(toy_run, main_tasks(plan, seed), desc="mode-collapse runs")
    long = None if quick else load_long()
    on_runs, where = basis(runs, long["runs"] if long else None)
    ctrl = controls(on_runs)
    controls_ok = all(c["holds"] for c in ctrl)
    sanity_claim, sanity = _sanity(seed)
    claims = [sanity_claim]
    needs_full, evs, tracking = [], {}, {"test": None, "targets": [], "learned": {}, "power": None}
    if quick:
        needs_full = ["gp_no_collapse", "gp_modes_balanced", "clip_no_collapse", "clip_modes_balanced",
                      "gan_misses_modes", "clip_estimate_tracks_em"]
    else:
        found, evs = collapse_claims(on_runs, where, controls_ok)
        claims += found
        tracking = judge_tracking([r for r in on_runs if r["method"] == "clip"])
        claims.append(tracking_claim(tracking, controls_ok, ", ".join(f"{t}: {where.get(f'clip/{t}', 'no')} budget"
                                                                     for t in TARGETS)))
    result = {"targets": list(plan["targets"]), "methods": METHODS, "seeds": [seed + i for i in range(plan["seeds"])],
              "steps": plan["steps"], "checkpoints": checkpoints(plan["steps"], plan["every"]), "runs": runs,
              "controls": ctrl, "published_reproductions": published_reproductions(long),
              "long": _long_summary(long), "evidence": evs, "tracking": tracking, "sanity": sanity,
              "learned_threshold": LEARNED, "published": {"veegan": VEEGAN_TABLE, "pacgan": PACGAN_TABLE,
                                                          "pacgan_trials": PACGAN_TRIALS},
              "verdicts_rest_on": where, "claims": claims, "needs_full_run": needs_full,
              "settings": {"targets": f"{SCALE} scale (ring radius {Target('ring', SCALE).means[0, 0]:.3f}, std "
                           f"{Target('ring', SCALE).std:.4f}; grid spacing {np.diff(np.unique(Target('grid', SCALE).means[:, 0]))[0]:.3f}, "
                           f"std {Target('grid', SCALE).std:.4f})", "generator": "MLP 8-64-64-2",
                           "critic": "MLP 2-64-64-1", "batch": 256, "n_critic_wgan": 5, "eval_samples": N_EVAL,
                           "main": MAIN, "long": LONG, "decide": DECIDE, "floor": FLOOR}}
    return check_result(result, FIGURE.source)


def _long_summary(long: dict | None) -> dict | None:
    """What the plot and the write-up draw of the long budget: each run's longest stage, keyed by run,
    without its sample scatters except seed 0's."""
    if not long:
        return None
    runs = {}
    for k, r in latest(long["runs"]).items():
        keep = {key: v for key, v in r.items() if key != "scatter" and key != "counts"}
        keep["counts"] = r["counts"][-1:]
        if k.endswith("/0"):
            keep["scatter"] = r.get("scatter", {})
        runs[k] = keep
    return {"provenance": long.get("provenance"), "runs": runs}


# ---------------------------------------------------------------------------------------------
# Figure and write-up tables

def plot(result: dict):
    """Modes and high-quality shares per seed with intervals and the published rows; shares along training;
    the controls; the tracking test; samples."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(20, 21))
    outer = fig.add_gridspec(4, 1, height_ratios=[1.15, 1.0, 1.0, 0.75])
    long_runs = {k: r for k, r in ((result.get("long") or {}).get("runs") or {}).items() if k.startswith("toy/")}
    budgets = [("main", result["runs"], "o")]
    if long_runs:
        budgets.append(("long", list(long_runs.values()), "s"))
    colors = {"gan": "C0", "clip": "C1", "gp": "C2"}
    top = outer[0].subgridspec(1, 4)
    legend: dict = {}
    for i, (stat, t) in enumerate([(s, t) for s in ("modes", "hq_share") for t in TARGETS]):
        ax = fig.add_subplot(top[i])
        _seed_panel(ax, result, budgets, stat, t, colors)
        for h, lab in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(lab, h)
    from matplotlib.lines import Line2D

    for label, _, marker in budgets:  # what the markers mean, once for the row
        legend[f"{label} budget, a seed (filled: learned)"] = Line2D([], [], marker=marker, ls="", color="gray")
    legend["mean over seeds, 95 % interval"] = Line2D([], [], marker="D", ls="-", color="k", ms=4)
    # one legend above the row, clear of every panel's points (issue 32: per-panel legends hid the first columns)
    fig.legend(list(legend.values()), list(legend.keys()), loc="upper center", ncol=6, fontsize=9,
               bbox_to_anchor=(0.5, 0.978), frameon=False)
    mid = outer[1].subgridspec(1, 2)
    _curves_panel(fig.add_subplot(mid[0]), long_runs or {f"main/{i}": r for i, r in enumerate(result["runs"])},
                  colors, "long budget" if long_runs else "main budget")
    _controls_panel(fig.add_subplot(mid[1]), result)
    low = outer[2].subgridspec(1, 2)
    _tracking_panels(fig.add_subplot(low[0]), fig.add_subplot(low[1]), result, long_runs)
    _sample_panels(fig, outer[3].subgridspec(1, 6), result, long_runs)
    fig.suptitle("Mode collapse under the VEEGAN / PacGAN protocol: modes captured and high-quality share per "
                 "seed, beside the published tables", fontsize=15, y=0.997)
    fig.tight_layout(rect=(0, 0, 1, 0.935))
    return fig


def _seed_panel(ax, result, budgets, stat, t, colors):
    """One statistic on one target: per-seed points (filled when the run learned) with the mean and its 95 %
    interval, for each method and budget; the published rows on the right."""
    k = 8 if t == "ring" else 25
    scale = 1 if stat == "modes" else 100
    xt, xl, x = [], [], 0
    for m in METHODS:
        for label, runs, marker in budgets:
            rs = [r for r in runs if r["method"] == m and r["target"] == t]
            if not rs:
                continue
            fs = [final(r) for r in rs]
            vals = [scale * f[stat] for f in fs]
            for v, f, dx in zip(vals, fs, np.linspace(-0.18, 0.18, len(vals))):
                ax.scatter(x + dx, v, marker=marker, s=34, edgecolors=colors[m], linewidths=1.2,
                           facecolors=colors[m] if f["learned"] else "none", zorder=3)
            iv = mean_interval(vals)
            if iv["n"] > 1:
                ax.errorbar(x + 0.32, iv["mean"], yerr=[[iv["mean"] - iv["lo"]], [iv["hi"] - iv["mean"]]],
                            fmt="D", ms=4, color="k", capsize=3, zorder=4)
            xt.append(x)
            lo, hi = min(f["steps"] for f in fs), max(f["steps"] for f in fs)
            xl.append(f"{LABELS[m]}\n{label}, {lo:,}{'' if lo == hi else f'-{hi:,}'} st.")
            x += 1
        x += 0.4
    for i, (name, (modes, pct)) in enumerate(VEEGAN_TABLE[t].items()):
        ax.scatter(x, modes if stat == "modes" else pct, marker="^", color=f"C{4 + i}", s=50, zorder=3,
                   label=f"VEEGAN T1: {name}")
    pg = PACGAN_TABLE[t]["GAN"]["modes" if stat == "modes" else "hq_pct"]
    ax.errorbar(x + 1, pg[0], yerr=1.96 * pg[1], fmt="*", color="C9", ms=12, capsize=4,
                label="PacGAN T1: GAN (95 %)")
    xt += [x, x + 1]
    xl += ["VEEGAN\nTable 1", "PacGAN\nTable 1"]
    if stat == "modes":
        ax.axhline(k, color="gray", ls="--", lw=1)
        ax.set(ylabel=f"modes captured (of {k})", ylim=(0, k + 1))
    else:
        ax.axhline(100 * LEARNED[t], color="gray", ls=":", lw=1.5, label=f"learned threshold ({t}: {_PCT[t]})")
        ax.set(ylabel="high-quality samples (%)", ylim=(-2, 102))
    ax.set_xticks(xt)
    ax.set_xticklabels(xl, fontsize=7, rotation=35, ha="right")
    ax.set_xlabel("method (this toolkit's runs, then the published rows)", fontsize=7)
    ax.set_title(f"{t}: {'modes captured' if stat == 'modes' else 'high-quality samples'}\n(points: seeds, "
                 "filled = learned; black: mean, 95 % interval)", fontsize=10)


def _curves_panel(ax, runs, colors, label):
    for t, ls in zip(TARGETS, ("-", "--")):
        for m in METHODS:
            rs = [r for r in runs.values() if r["method"] == m and r["target"] == t]
            if not rs:
                continue
            for r in rs:
                ax.plot(r["step"], r["hq_share"], ls=ls, color=colors[m], alpha=0.15, lw=0.8)
            n = min(len(r["step"]) for r in rs)
            ax.plot(rs[0]["step"][:n], np.mean([r["hq_share"][:n] for r in rs], 0), ls=ls, color=colors[m], lw=2,
                    label=f"{LABELS[m]}, {t}")
        ax.axhline(LEARNED[t], color="gray", ls=ls, lw=1)
    ax.set(xlabel="generator steps", ylabel="share of high-quality samples", ylim=(0, 1),
           title=f"High-quality share along training ({label}; thin: seeds, thick: mean; gray: learned thresholds)")
    ax.legend(fontsize=7, ncol=2)


def _controls_panel(ax, result):
    long = result.get("long") or {}
    runs = long.get("runs") or {}
    drew = False
    names = {"pacgan": "PacGAN GAN", "gan_toy": "gan_toy.py WGAN-GP", "gan_toy_clip": "gan_toy.py WGAN (clipping)"}
    for kind, plan, c in (("pacgan", PACGAN, "C9"), ("gan_toy", GANTOY, "C2"), ("gan_toy_clip", GANTOY_CLIP, "C4")):
        for t, ls in zip(TARGETS, ("-", "--")):
            rs = [r for k, r in runs.items() if k.startswith(f"{kind}/{t}/")]
            for i, r in enumerate(rs):
                ax.plot(r["step"], 100 * np.asarray(r["hq_share"]), ls=ls, color=c, alpha=0.7, lw=1,
                        label=(f"{names[kind]}, {t} "
                               f"({len(rs)} seeds, published budget {plan['published']:,})") if i == 0 else None)
                drew = True
            if kind == "pacgan" and rs:
                pub = PACGAN_TABLE[t]["GAN"]["hq_pct"][0]
                ax.axhline(pub, color=c, ls=ls, lw=0.8)
                ax.annotate(f"PacGAN published, {t}: {pub} % at {PACGAN['published']:,}", (0.01, pub), xycoords=("axes fraction", "data"),
                            fontsize=7, va="bottom")
    status = "; ".join(f"{'reproduced' if c['holds'] else 'not reproduced'}" for c in result["published_reproductions"])
    ax.set(xlabel="iterations", ylabel="high-quality samples (%)", ylim=(0, 102),
           title=f"Published-scale reproductions, as far as they ran (beside the verdicts, not gates): {status}"
           if drew else "Published-scale reproductions: not run (python -m toys.mode_collapse --long)")
    if drew:
        ax.legend(fontsize=7, loc="center right")


def _tracking_panels(ax, ax2, result, long_runs):
    """Left: the clipped runs' estimate and exact EM, each z-scored within its run; right: the permutation
    null of the mean within-run correlation and the observed value."""
    clip = [r for r in (long_runs.values() if long_runs else result["runs"]) if r["method"] == "clip"]
    clip = [r for r in clip if r["em"] and r["em"][0] is not None]
    shown = [r for r in clip if r["target"] in result["tracking"].get("targets", [])] or clip
    for i, r in enumerate(shown[:6]):
        est, em = np.asarray(r["estimate"], float), np.asarray(r["em"], float)
        c = f"C{i}"
        ax.plot(r["step"], (em - em.mean()) / (em.std() or 1), color=c, lw=1.6,
                label=f"{r['target']}, seed {r['seed']}: exact EM (solid)")
        ax.plot(r["step"], (est - est.mean()) / (est.std() or 1), color=c, lw=1, ls=":")
    ax.set(xlabel="generator steps", ylabel="z-score within the run",
           title="Clipped WGAN: critic estimate (dotted) and exact EM (solid), z-scored within each run")
    ax.legend(fontsize=7)
    tr = result["tracking"]
    tt = tr["test"]
    if tt:
        ax2.hist(tt["null"], bins=40, color="gray", alpha=0.7, label=f"null: {len(tt['null'])} permutations over runs")
        ax2.axvline(tt["statistic"], color="C3", lw=2.5, label=f"observed {tt['statistic']:.3f} (p = {tt['p_value']:.3g})")
        ax2.axvline(tt["null_q95"], color="k", ls=":", label=f"null 95th percentile {tt['null_q95']:.3f}")
        ax2.set(xlabel="mean within-run Pearson r (critic estimate, exact EM)", ylabel="permutations",
                title=f"Permutation over runs: {tt['runs']} clipped runs ({', '.join(tr['targets'])}) x {tt['checkpoints']} checkpoints")
        ax2.legend(fontsize=8)
    else:
        ax2.text(0.5, 0.5, f"no test: the clipped WGAN learned no target\n(runs past the threshold: {tr['learned']}; "
                 f"{MIN_LEARNED} needed)", ha="center", va="center", transform=ax2.transAxes, fontsize=11)
        ax2.set_axis_off()


def _sample_panels(fig, row, result, long_runs):
    src = long_runs or {f"main/{r['target']}/{r['method']}/{r['seed']}": r for r in result["runs"]}
    i = 0
    for t in TARGETS:
        tg = Target(t, SCALE)
        for m in METHODS:
            rs = [r for r in src.values() if r["method"] == m and r["target"] == t and r.get("scatter")]
            if not rs:
                continue
            r = rs[0]
            ax = fig.add_subplot(row[i])
            i += 1
            step, xy = sorted(r["scatter"].items(), key=lambda kv: int(kv[0]))[-1]
            xy = np.asarray(xy)
            ax.scatter(xy[:, 0], xy[:, 1], s=2, alpha=0.4, color="C0")
            ax.scatter(tg.means[:, 0], tg.means[:, 1], marker="x", color="k", s=20)
            lim = 1.1 * np.abs(tg.means).max() + 0.3
            f = final(r)
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
                   title=f"{t}, {LABELS[m]}, seed {r['seed']}\nstep {step}: {f['modes']} modes, "
                   f"{f['hq_share']:.0%} high quality", xticks=[], yticks=[], xlabel="$x_1$", ylabel="$x_2$")
            ax.title.set_fontsize(8)


def tables(result: dict) -> list[str]:
    """The write-up's Markdown after the table of claims: per target and method, each budget's seeds."""
    lines = ["", "At the end of training, per seed (learned runs marked *), mean and 95 % interval over seeds:", "",
             "| budget | target | method | learned | modes captured | high-quality share | modes (mean, 95 %) |",
             "|---|---|---|---|---|---|---|"]
    sources = [("main", result["runs"])]
    long = result.get("long")
    if long:
        sources.append(("long", [r for k, r in long["runs"].items() if k.startswith("toy/")]))
    for label, runs in sources:
        for t in TARGETS:
            for m in METHODS:
                rs = [r for r in runs if r["method"] == m and r["target"] == t]
                if not rs:
                    continue
                fs = [final(r) for r in rs]
                iv = mean_interval([f["modes"] for f in fs])
                lo, hi = min(f["steps"] for f in fs), max(f["steps"] for f in fs)
                lines.append(f"| {label} ({lo:,}{'' if lo == hi else f'-{hi:,}'} steps) | {t} | {LABELS[m]} | {sum(f['learned'] for f in fs)}"
                             f"/{len(fs)} | {', '.join(str(f['modes']) + ('*' if f['learned'] else '') for f in fs)} | "
                             f"{', '.join('%.2f' % f['hq_share'] for f in fs)} | {iv['mean']:.2f} "
                             f"[{iv['lo']:.2f}, {iv['hi']:.2f}] |")
    lines += ["", "Published (VEEGAN Table 1, five runs; PacGAN Table 1, ten trials, mean +- standard error):", "",
              "| target | row | modes | high-quality % |", "|---|---|---|---|"]
    for t in TARGETS:
        for name, (modes, pct) in VEEGAN_TABLE[t].items():
            lines.append(f"| {t} | VEEGAN: {name} | {modes} | {pct} |")
        g = PACGAN_TABLE[t]["GAN"]
        lines.append(f"| {t} | PacGAN: GAN | {g['modes'][0]} +- {g['modes'][1]} | {g['hq_pct'][0]} +- {g['hq_pct'][1]} |")
    lines += ["", "Controls (this machine's runs; they gate every verdict):", ""]
    for c in result["controls"]:
        lines.append(f"- {c['kind']}, {'**passed**' if c['holds'] else '**failed**'}: {c['reproduces']}. Measured: "
                     f"{json.dumps(c['measured'], default=str)[:800]}")
    lines += ["", "Published-scale reproductions (drawn beside the verdicts, not gates):", ""]
    for c in result["published_reproductions"]:
        lines.append(f"- {'**reproduced**' if c['holds'] else '**not reproduced**'}: {c['reproduces']}. Measured: "
                     f"{json.dumps(c['measured'], default=str)[:600]}")
    prov = (result.get("long") or {}).get("provenance")
    if prov:
        lines += ["", f"Long budget: {long_budget.describe(prov)}."]
    return lines


FIGURE = Figure(
    name="mode_collapse",
    title="Mode collapse, measured",
    source="WGAN, Sections 4.2 and 4.3",
    claim=('"In no experiment did we see evidence of mode collapse for the WGAN algorithm", and the critic\'s '
           'estimate follows the generator\'s convergence: checked against a GAN on the 8-Gaussian ring and the '
           '25-Gaussian grid under the VEEGAN / PacGAN protocol, over seeds, with controls this machine runs.'),
    quick=("the ring, one seed per method, 200 generator steps (20 checkpoints), the long budget's committed "
           "results not read: too short to learn, no verdicts"),
    caption=(
        "Top: modes captured (left pair) and share of high-quality samples (right pair) at the end of training, "
        "one point per seed (filled: the run learned; hollow: it did not), the mean with its 95 % interval, "
        f"for the main budget ({MAIN['steps']:,} steps, the ring) and the long budget (committed; WGAN-GP stopped at its "
        "learned threshold, the clipped WGAN at its longest stage); the published rows beside (VEEGAN's Table 1, "
        f"PacGAN's Table 1), and the learned threshold (dotted, Unrolled GAN's row: {_PCT['ring']} ring, "
        f"{_PCT['grid']} grid). Middle left: the high-quality share along training per method (long budget, "
        "mean and each seed). Middle right: the published-scale reproductions (PacGAN's GAN, gan_toy.py's "
        "WGAN-GP and its WGAN with clipping) as far as they ran, beside their published numbers (not gates). Bottom left: the clipped "
        "critic's estimate against the exact EM along each run; bottom right: the permutation null of the "
        "tracking statistic with the observed value. Samples of one seed per method and target at the end of "
        "training are drawn in the last row."
    ),
    departures=(
        "The WGAN paper judges mode collapse by eye on LSUN; these targets and this protocol are VEEGAN's and "
        "PacGAN's, at the unit spread of WGAN-GP's gan_toy.py (the same shapes: ring radius / std = 100, grid "
        "spacing / std = 40). The toy's runs use one small architecture (64 x 2) for every method and toy "
        "learning rates (Adam 1e-3; RMSProp 5e-4 for clipping, 10x Algorithm 1's), clip the critic at c = 0.03 "
        "(at Algorithm 1's 0.01 this small critic is nearly constant: estimates of 1e-5 against an EM of 0.3), "
        f"train WGAN-GP until its learned threshold and the clipped WGAN up to {_CLIP_GRID:,} steps on the grid, and "
        "sample fresh data each batch. The published-scale reproductions keep the published settings but "
        "alternate the two players' steps (PacGAN's Theano code updates them simultaneously) and, on a CPU, "
        "stop far short of the published budgets."
    ),
    why={
        "gp_no_collapse": "WGAN-GP is not the WGAN paper's algorithm (beyond the papers).",
        "gp_modes_balanced": ("beyond the papers; and a run stopped at its first checkpoint past the learned threshold "
                              "may still be filling its last modes."),
        "clip_no_collapse": ("the clipped critic's small gradients (see 'Which critic reads as W?') leave the runs "
                             "short of the learned threshold at this budget."),
        "clip_modes_balanced": ("beyond the papers: the paper judges collapse by eye (samples all alike); this statistic, "
                                "on the learned runs only, also counts a mode held at less than half its fair share, "
                                "which is imbalance rather than collapse."),
        "gan_misses_modes": "the small GAN may cover every mode of the targets it learns at this budget.",
        "clip_estimate_tracks_em": ("the runs share one trend (both series fall together), which the permutation "
                                    "over runs discounts; only a run's own ups and downs count, and the critic's "
                                    "estimate follows the trend, not its run's own course."),
    },
    run=run, plot=plot, tables=tables, run_long=run_long, pooled=True,
)


if __name__ == "__main__":
    FIGURE.main()
