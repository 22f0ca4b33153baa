r"""Robustness across generators (WGAN Figures 5-7) and the Adam remark (Section 4.2), on digits.

The paper trains WGAN and the GAN with three generators and the DCGAN critic / discriminator:
the DCGAN generator (Figure 5: "both algorithms produce high quality samples"), the DCGAN
generator without batch norm and with a constant number of filters (Figure 6: "the standard GAN
failed to learn while the WGAN still was able to produce samples"), and a 4-layer ReLU MLP of
512 units (Figure 7: WGAN's samples are of "higher quality than the MLP of the standard GAN",
which shows "a significant degree of mode collapse"). Here the runs are the trainer's on real
digits (:mod:`experiments.mnist_runs`), judged over seeds (paired by seed: log FD ratios and class-KL
differences with their 95% Student-t intervals) by the validated FD and the classifier's coverage
(class KL to uniform: mode dropping). "Learns" means recognisable digits
(:func:`experiments.mnist_runs.recognisable`, anchored on real digits).

Figure 6 is read with a control of its own: the constant-width generator *with* batch norm
restored (``gan_const``). If the GAN learns with it, the grey samples of the no-batch-norm GAN
are the GAN failing without batch norm, not its narrow layers or their initialisation (the same
initialisation, in WGAN, learns).

Section 4.2's negative result: with Adam (beta1 = .5) on the critic, "WGAN training becomes
unstable at times", and "the cosine between the Adam step and the gradient usually turned
negative" then ("the only places where this cosine was negative"). Adam on the critic (the
generator keeping RMSProp) at learning rates {2e-4, 1e-3} x beta1 {0.5, 0.9} is set against
RMSProp at the same rates, three seeds each, 640 generator steps (long budget; 5e-5 on a GPU).
An instability *event* is log FD rising by more than log 1.5 between consecutive checkpoints (set
before the runs, the same for both optimisers); the events per run of Adam (beta1 .5) and of
RMSProp are compared by a one-sided Mann-Whitney test over the runs of both rates (beta1 .9 and
the largest rises reported beside). The cosine between the critic optimiser's step and the
negative gradient is logged at every critic step (``--log-step-cosine``); for RMSProp it is
positive by construction (a positive diagonal rescaling of the gradient): a sanity check.

Figures 5-7 are read off intervals over seeds: a setting *learns* when the 95% interval of its log
final FD lies below log of the ten-real-digit generator's FD and that of its confident share above
half the real digits' (every seed covering ten classes); it *fails* when an interval lies wholly on
the wrong side.

Run: ``python -m experiments.architectures [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from claims import Figure, check_result, claim, long_budget
from claims import stats as S

from . import mnist_runs


GENERATORS = ("dcgan", "nobn", "mlp")
NAMES = list(dict.fromkeys(
    [f"{a}_{g}" for g in GENERATORS for a in ("wgan", "gan")] + ["gan_const"]
    + [f"wgan_rmsprop_{lr:g}" for lr in mnist_runs.LONG_ADAM_LRS]
    + [mnist_runs.adam_name(lr, b1) for lr in mnist_runs.LONG_ADAM_LRS for b1 in mnist_runs.ADAM_BETA1]))
#: the main job's runs (one seed): the generators, and Adam at the WGAN runs' rate
MAIN_NAMES = [f"{a}_{g}" for g in GENERATORS for a in ("wgan", "gan")] + ["gan_const", "wgan_adam_0.0002_0.5"]
QUICK_RUNS = ["wgan_dcgan", "gan_dcgan"]
TITLES = {"dcgan": "DCGAN generator (Fig. 5)", "nobn": "no batch norm, constant width (Fig. 6)",
          "mlp": "4-layer ReLU MLP generator (Fig. 7)"}
SRC = "WGAN, Section 4.3"
NEEDS_LONG = mnist_runs.NEEDS_LONG


def _paired(groups, a: str, b: str, fn) -> dict | None:
    """fn(record of a, record of b) per seed both have, with the 95% interval over seeds."""
    ra = {r["seed"]: r for r in groups.get(a, [])}
    rb = {r["seed"]: r for r in groups.get(b, [])}
    seeds = sorted(set(ra) & set(rb))
    if not seeds:
        return None
    vals = [fn(ra[s], rb[s]) for s in seeds]
    return {"per_seed": [round(float(v), 4) for v in vals], "seeds": seeds, **S.mean_interval(vals)}


def _side(mi: dict, threshold: float) -> bool | None:
    """True when the 95% interval lies above ``threshold``, False when below, None otherwise."""
    if mi["n"] < 2 or not np.isfinite(mi["lo"]):
        return None
    return True if mi["lo"] > threshold else False if mi["hi"] < threshold else None


def _interval_claim(cid, statement, expected, res, gates, where, source, reason_against, beside=None):
    """A finding that holds when the interval of ``res`` lies above 0 and disagrees when it lies
    below (the test); otherwise, or with fewer than three seeds or a failed gate, no verdict."""
    if res is None:
        return claim(cid, statement + where, expected, "not run", None, source=source, verdict="no verdict",
                     reason="the runs are missing at this budget")
    m = {"mean": round(res["mean"], 3), "interval": [round(res["lo"], 3), round(res["hi"], 3)] if res["n"] > 1
         else None, "per_seed": res["per_seed"], **(beside or {})}
    test = ({"statistic": "mean over seeds (paired by seed), Student t", "interval": [res["lo"], res["hi"]],
             "threshold": 0.0} if res["n"] > 1 else None)
    return mnist_runs.finding(cid, statement + where, expected, m, _side(res, 0.0), source=source, test=test,
                              seeds=res["seeds"], gates=gates, against=reason_against,
                              undecided="the interval over seeds straddles 0: more seeds would decide")


def scores(groups: dict[str, list[dict]], name: str) -> dict | None:
    """A setting's final scores over seeds: FD, log FD, classes covered and the confident share,
    each per seed with its 95% interval."""
    recs = groups.get(name, [])
    if not recs:
        return None
    out = {"seeds": [r["seed"] for r in recs], "recognisable": [bool(r["recognisable"]) for r in recs]}
    for k, f in (("fd", lambda r: r["final"]["fd"]), ("log_fd", lambda r: math.log(r["final"]["fd"])),
                 ("classes", lambda r: r["final"]["classes"]), ("confident", lambda r: r["final"]["confident"])):
        v = [float(f(r)) for r in recs]
        out[k] = {"per_seed": [round(x, 3) for x in v], **S.mean_interval(v)}
    return out


def _score_text(sc: dict | None) -> dict | str:
    if sc is None:
        return "not run"
    return {"final FD per seed": sc["fd"]["per_seed"], "log FD interval": [round(sc["log_fd"]["lo"], 3),
                                                                          round(sc["log_fd"]["hi"], 3)]
            if sc["log_fd"]["n"] > 1 else None,
            "classes per seed": sc["classes"]["per_seed"], "confident per seed": sc["confident"]["per_seed"],
            "recognisable": sc["recognisable"]}


def learns(sc: dict | None, need: dict) -> bool | None:
    """Does a setting make recognisable digits, read off intervals over seeds? True when the
    interval of log FD lies below log of the ten-real-digit generator's FD and that of the
    confident share above its threshold, every seed covering the ten classes; False when either
    interval lies wholly on the wrong side, or no seed covers the ten classes; None otherwise."""
    if sc is None or sc["fd"]["n"] < 2:
        return None
    fd = _side(sc["log_fd"], math.log(need["fd_below"]))
    conf = _side(sc["confident"], need["confident_at_least"])
    if fd is True or conf is False or all(c < need["classes"] for c in sc["classes"]["per_seed"]):
        return False
    if fd is False and conf is True and min(sc["classes"]["per_seed"]) >= need["classes"]:
        return True
    return None


#: an instability event: log FD rises by more than this between consecutive checkpoints (FD up by
#: half within 1/32 of a run; set before the runs, the same for both optimisers)
EVENT_RISE = math.log(1.5)


def instability(groups: dict[str, list[dict]]) -> dict | None:
    """Per learning rate: each RMSProp and Adam run's instability events (rises of log FD between
    consecutive checkpoints above :data:`EVENT_RISE`) and largest rise; RMSProp's largest rise at
    that rate (the earlier, RMSProp-relative threshold, reported beside); and, per window of the
    Adam runs, the share of negative step cosines."""
    out = {"rates": {}, "rates_done": [], "event_rise": EVENT_RISE}

    def rises(r):
        return np.diff(np.log(np.asarray(r["fd"], float)))

    def row(r):
        d = rises(r)
        return {"seed": r["seed"], "max_rise": float(d.max()), "events": [int(i + 1) for i in np.flatnonzero(d > EVENT_RISE)],
                "negative_share": r.get("cosine", {}).get("negative_share"),
                "negative_total": r.get("cosine", {}).get("negative_total"),
                "cosine_steps": r.get("cosine", {}).get("count")}

    for lr in mnist_runs.ADAM_LRS:
        rms = mnist_runs.rmsprop_runs(groups, lr)
        if not rms:
            continue
        entry = {"rmsprop_runs": [row(r) for r in rms], "rmsprop": [float(rises(r).max()) for r in rms], "adam": {}}
        entry["threshold"] = float(max(entry["rmsprop"]))
        for b1 in mnist_runs.ADAM_BETA1:
            entry["adam"][str(b1)] = [row(r) for r in groups.get(mnist_runs.adam_name(lr, b1), [])]
        out["rates"][f"{lr:g}"] = entry
        out["rates_done"].append(lr)
    return out if out["rates"] else None


def what_decides_adam(where: str) -> str:
    """What would decide Section 4.2's findings beyond the runs judged (``where``, their label): the
    long budget's (the CPU's plan for the sweep, spent) or a GPU's paper-scale runs -> the GPU
    command's task (:data:`experiments.mnist_runs.GPU_ADAM_TASK`), more of it on a GPU's; the main
    budget's -> the CPU's long budget."""
    if "[paper scale" in where:
        return "more seeds or longer runs of the GPU task that made these would decide: " + mnist_runs.GPU_ADAM_TASK
    if "[long budget" in where:
        return ("the CPU's long budget is spent (its sweep: Adam and RMSProp at "
                + ", ".join(f"{lr:g}" for lr in mnist_runs.LONG_ADAM_LRS) + f", {mnist_runs.SWEEP_STEPS['long']} "
                "generator steps, three seeds); what would decide is " + mnist_runs.GPU_ADAM_TASK)
    return "the long budget (python -m figures --budget long: the sweep at three seeds) would decide"


def adam_claims(inst: dict | None, gates: tuple, where: str) -> list[dict]:
    src = "WGAN, Section 4.2 (the negative result on momentum)"
    st1 = ("Sec. 4.2: with Adam (beta1 = .5) on the critic WGAN training becomes unstable at times: Adam runs have "
           "more instability events (log FD rising by more than log 1.5 between consecutive checkpoints) than "
           "RMSProp runs at the same learning rate (per run; one-sided Mann-Whitney over the runs of every rate; "
           "beta1 = .9 and RMSProp's largest rise reported beside)")
    st2 = ("Sec. 4.2: the Adam step's cosine with the gradient turns negative where training is unstable and only "
           "there: the share of critic steps with a negative cosine is higher in windows with an instability event "
           "than elsewhere (flags permuted within runs)")
    if inst is None:
        return [claim("adam_unstable", st1 + where, "p < 0.05", "not run", None, source=src, verdict="no verdict",
                      reason="the runs are missing at this budget"),
                claim("adam_cosine_where_unstable", st2 + where, "p < 0.05", "not run", None, source=src,
                      verdict="no verdict", reason="the runs are missing at this budget")]
    rates = inst["rates"]
    adam = [a for e in rates.values() for a in e["adam"].get("0.5", [])]
    adam9 = [a for e in rates.values() for a in e["adam"].get("0.9", [])]
    rms = [a for e in rates.values() for a in e["rmsprop_runs"]]

    def n_events(runs):
        return [len(a["events"]) for a in runs]

    mw = S.mann_whitney(n_events(adam), n_events(rms))
    low = S.mann_whitney(n_events(rms), n_events(adam))
    mw9 = S.mann_whitney(n_events(adam9), n_events(rms))
    rise = S.mann_whitney([a["max_rise"] for a in adam], [a["max_rise"] for a in rms])
    per_rate = {lr: {"RMSProp events per run": n_events(e["rmsprop_runs"]),
                     **{f"Adam beta1 {b} events per run": n_events(runs) for b, runs in e["adam"].items()},
                     "RMSProp largest rises": [round(v, 3) for v in e["rmsprop"]],
                     **{f"Adam beta1 {b} largest rises": [round(a["max_rise"], 3) for a in runs]
                        for b, runs in e["adam"].items()}} for lr, e in rates.items()}
    m1 = {"Adam (beta1 .5) runs": len(adam), "RMSProp runs": len(rms), "p (beta1 .5 > RMSProp)": mw["p_value"],
          "p (RMSProp > beta1 .5)": low["p_value"], "p (beta1 .9 > RMSProp)": mw9["p_value"],
          "p (largest rise, beta1 .5 > RMSProp)": rise["p_value"], "per rate": per_rate,
          "event": f"log FD rise > {inst['event_rise']:.3f}"}
    seeds = sorted({a["seed"] for a in adam} & {a["seed"] for a in rms})
    p, q = mw["p_value"], low["p_value"]
    decided = np.isfinite(p) and np.isfinite(q) and (p < S.ALPHA or q < S.ALPHA)
    holds = (p < S.ALPHA) if decided else None
    test = ({"statistic": "Mann-Whitney U on instability events per run, one-sided (Adam beta1 .5 > RMSProp; "
                          "disagrees when RMSProp > Adam is significant)",
             "p_value": p if holds or not decided else q, "n": [len(adam), len(rms)]} if adam and rms else None)
    from math import comb

    floor = 1 / comb(len(adam) + len(rms), len(adam)) if adam and rms else 1.0
    enough = (len(rates) >= 2 and all(len(e["rmsprop_runs"]) >= 3 and len(e["adam"].get("0.5", [])) >= 3
                                      for e in rates.values()),
              f"the sweep is incomplete ({len(adam)} Adam and {len(rms)} RMSProp runs, {len(rates)} rate(s); the "
              f"smallest attainable p-value is {floor:.2g}): " + ("more seeds or rates of the GPU task would decide: "
                                                                  + mnist_runs.GPU_ADAM_TASK if "[paper scale" in where
                                                                  else "the long budget (python -m figures --budget "
                                                                  "long: both rates, three seeds) would decide"))
    c1 = mnist_runs.finding("adam_unstable", st1 + where, "p < 0.05", m1, holds, source=src, test=test, seeds=seeds,
                            gates=(*gates, enough), against=FIGURE.why["adam_unstable"],
                            undecided=f"Adam's events were not more frequent than RMSProp's (p = {p:.2g}), nor "
                            f"significantly rarer (p = {q:.2g}); the paper says 'at times', so longer runs would "
                            f"decide: {what_decides_adam(where)}")
    runs = [a for e in rates.values() for r in e["adam"].values() for a in r]
    shares, flags = [], []
    for a in runs:
        if a["negative_share"] is None:
            continue
        f = np.zeros(len(a["negative_share"]), bool)
        f[[e for e in a["events"] if e < len(f)]] = True
        shares.append(a["negative_share"])
        flags.append(f)
    wp = S.window_permutation(shares, flags) if shares else {"p_value": float("nan"), "statistic": float("nan")}
    events = sum(len(a["events"]) for a in runs)
    neg_total = sum(a["negative_total"] or 0 for a in runs)
    steps_total = sum(a["cosine_steps"] or 0 for a in runs)
    m2 = {"negative cosines": f"{neg_total} of {steps_total} critic steps", "events": events,
          "difference (unstable - other windows)": None if np.isnan(wp["statistic"]) else round(wp["statistic"], 4),
          "p": None if np.isnan(wp["p_value"]) else round(wp["p_value"], 4)}
    if not events:
        c2 = claim("adam_cosine_where_unstable", st2 + where, "p < 0.05", m2, None, source=src,
                   verdict="no verdict", reason="no Adam run had an instability event at this budget "
                   f"({len(runs)} run(s)): the claim is about the unstable stretches, so a budget in which Adam runs "
                   f"become unstable would decide: {what_decides_adam(where)}; negative cosines elsewhere: {neg_total}")
    else:
        ok = np.isfinite(wp["p_value"]) and wp["p_value"] < S.ALPHA
        c2 = mnist_runs.finding(
            "adam_cosine_where_unstable", st2 + where, "p < 0.05", m2, True if ok else None, source=src,
            test={"statistic": wp.get("test", "difference of means"), "p_value": wp["p_value"]} if np.isfinite(
                wp["p_value"]) else None, seeds=sorted({a["seed"] for a in runs}), gates=(*gates, enough),
            undecided="negative cosines were not significantly more frequent in the unstable windows; no test "
                      "excludes the claim")
    return [c1, c2]


def judge(groups: dict[str, list[dict]], where: str) -> tuple[list[dict], list[dict], dict]:
    """Controls, findings and the numbers behind them from the runs in ``groups``."""
    controls, ok = mnist_runs.control_records(groups)
    gan_ok, wgan_ok = ok.get("dcgan"), ok.get("wgangp")

    def why(key, label):
        return (ok.get(key), f"the {label} control " + ("failed" if ok.get(key) is False else "did not run at this budget"))

    both = (why("dcgan", "DCGAN"), why("wgangp", "WGAN-GP"))
    need = mnist_runs.recognisable({"fd": 0.0, "classes": 10, "confident": 1.0})[1]
    sc = {n: scores(groups, n) for n in NAMES}
    claims = []

    def seeds(*names):
        return mnist_runs.seeds_of(groups, names)

    def fd_test(*names):
        ivs = [sc[n]["log_fd"] for n in names if sc[n] and sc[n]["log_fd"]["n"] > 1]
        if len(ivs) < len(names):
            return None
        return {"statistic": "mean log final FD over seeds, Student t, against log of the ten-real-digit generator's "
                             "FD (and the confident share against its threshold)",
                "interval": [ivs[0]["lo"], ivs[0]["hi"]], "threshold": math.log(need["fd_below"]),
                **{f"interval_{n}": [sc[n]["log_fd"]["lo"], sc[n]["log_fd"]["hi"]] for n in names}}

    # Figure 5: both learn with the DCGAN generator
    lw, lg = learns(sc["wgan_dcgan"], need), learns(sc["gan_dcgan"], need)
    st = ("Fig. 5: with the DCGAN generator both algorithms learn: WGAN (clipping, 1,500 generator steps) and the GAN "
          "make recognisable digits -- over seeds, the 95% interval of log final FD below log of the ten-real-digit "
          "generator's FD, that of the confident share above half the real digits', every seed covering 10 classes")
    m = {"threshold": {"FD below": round(need["fd_below"], 1), "confident at least": round(need["confident_at_least"], 3)},
         "WGAN": _score_text(sc["wgan_dcgan"]), "GAN": _score_text(sc["gan_dcgan"])}
    holds = False if False in (lw, lg) else (True if lw and lg else None)
    claims.append(mnist_runs.finding("fig5_both_learn", st + where, "both learn", m, holds, source=SRC + ", Figure 5",
                                     test=fd_test("wgan_dcgan", "gan_dcgan"), seeds=seeds("wgan_dcgan", "gan_dcgan"),
                                     gates=both, against="a run did not reach recognisable digits at this budget (the "
                                     "paper trains ~10^5 steps)", undecided="an interval straddles its threshold: more "
                                     "seeds would decide"))
    # Figure 6: the GAN fails without batch norm, and it is the missing batch norm
    ln, lc = learns(sc["gan_nobn"], need), learns(sc["gan_const"], need)
    st = ("Fig. 6: without batch norm (constant width) the GAN fails to learn -- over seeds, the interval of its log "
          "final FD lies above the recognisable threshold (or its confident share below) -- while the same generator "
          "with batch norm restored learns (this control is the toolkit's, not the paper's: it puts the failure on "
          "the missing batch norm, not the narrow layers or their initialisation); WGAN beside")
    m = {"GAN without batch norm": _score_text(sc["gan_nobn"]), "GAN, batch norm restored": _score_text(sc["gan_const"]),
         "WGAN without batch norm (beside)": _score_text(sc["wgan_nobn"])}
    holds = True if (ln is False and lc is True) else False if ln is True else None
    claims.append(mnist_runs.finding(
        "fig6_gan_fails_without_bn", st + where, "fails / learns", m, holds, source=SRC + ", Figure 6",
        test=fd_test("gan_nobn", "gan_const"), seeds=seeds("gan_nobn", "gan_const"), gates=both[:1],
        against=FIGURE.why["fig6_gan_fails_without_bn"],
        undecided="the constant-width generator did not learn with batch norm restored either (or an interval "
        "straddles its threshold): the failure cannot be put on batch norm at this budget"))
    beside = {"WGAN": _score_text(sc["wgan_nobn"]), "GAN": _score_text(sc["gan_nobn"]),
              "WGAN learns (intervals)": learns(sc["wgan_nobn"], need)}
    ratio = _paired(groups, "gan_nobn", "wgan_nobn", lambda g, w: np.log(g["final"]["fd"] / w["final"]["fd"]))
    claims.append(_interval_claim("fig6_wgan_beats_gan_without_bn", "Fig. 6: without batch norm WGAN's samples are "
                                  "better than the GAN's: log(final FD of the GAN / WGAN's), paired by seed (each "
                                  "one's FD and classes covered beside)", "interval above 0", ratio, both, where,
                                  SRC + ", Figure 6", FIGURE.why["fig6_wgan_beats_gan_without_bn"], beside))
    beside = {"WGAN": _score_text(sc["wgan_mlp"]), "GAN": _score_text(sc["gan_mlp"]),
              "WGAN learns (intervals)": learns(sc["wgan_mlp"], need)}
    ratio = _paired(groups, "gan_mlp", "wgan_mlp", lambda g, w: np.log(g["final"]["fd"] / w["final"]["fd"]))
    claims.append(_interval_claim("fig7_wgan_beats_gan_with_mlp", "Fig. 7: with the MLP generator WGAN's samples are "
                                  "better than the GAN's: log(final FD of the GAN / WGAN's), paired by seed (each "
                                  "one's FD and classes covered beside)", "interval above 0", ratio, both, where,
                                  SRC + ", Figure 7", FIGURE.why["fig7_wgan_beats_gan_with_mlp"], beside))
    kl = _paired(groups, "gan_mlp", "wgan_mlp", lambda g, w: g["final"]["class_kl"] - w["final"]["class_kl"])
    cl = _paired(groups, "gan_mlp", "wgan_mlp", lambda g, w: w["final"]["classes"] - g["final"]["classes"])
    claims.append(_interval_claim("fig7_gan_mode_collapse", "Fig. 7: the GAN's MLP generator shows mode collapse: "
                                  "its class histogram is further from uniform than WGAN's (class KL of the GAN "
                                  "minus WGAN's, nats, paired by seed; classes covered beside)", "interval above 0",
                                  kl, both, where, SRC + ", Figure 7", FIGURE.why["fig7_gan_mode_collapse"],
                                  {"classes covered, WGAN minus GAN, per seed": cl["per_seed"] if cl else None}))
    inst = instability(groups)
    claims += adam_claims(inst, both[1:], where)
    return controls, mnist_runs.gate(claims, controls), {"instability": inst, "scores": {
        n: {"seeds": s["seeds"], "recognisable": s["recognisable"],
            **{k: {"per_seed": s[k]["per_seed"], "mean": s[k]["mean"], "lo": s[k]["lo"], "hi": s[k]["hi"]}
               for k in ("fd", "classes", "confident")}} for n, s in sc.items() if s}}


def _final_table(groups) -> dict:
    out = {}
    for n, recs in groups.items():
        if n in NAMES:
            f = [r["final"] for r in recs]
            out[n] = {"label": recs[0]["label"], "seeds": len(recs),
                      **{k: float(np.mean([x[k] for x in f])) for k in ("fd", "kid", "classes", "class_kl",
                                                                         "confident")},
                      "recognisable": [bool(r["recognisable"]) for r in recs]}
    return out


def _strip(rec: dict) -> dict:
    keep = ("name", "seed", "label", "steps", "fd", "final", "recognisable", "samples", "generator_steps", "config")
    out = {k: rec[k] for k in keep if k in rec}
    if "cosine" in rec:
        out["cosine"] = rec["cosine"]
    return out


def run(quick: bool = False, seed: int = 0, cache: mnist_runs.RunCache | None = None) -> dict:
    """Numbers of the experiment: the main job's runs (one seed; from ``cache`` when it holds
    them), and the committed long results when there are some."""
    budget = "quick" if quick else "main"
    names = QUICK_RUNS if quick else MAIN_NAMES
    own = mnist_runs.runs(names, budget, (seed,), cache)
    groups = mnist_runs.by_name(own)
    rms = [c for r in own.values() if r["config"].get("optimizer") == "rmsprop" and "cosine" in r
           for c in [r["cosine"]["min"]]]
    claims = [claim("rmsprop_cosine_positive", "RMSProp's step has a positive cosine with the gradient at every "
                    "critic step (a positive rescaling of it: by construction; the lowest over the runs)", "> 0",
                    float(min(rms)), min(rms) > 0, "sanity", source="beyond the papers (the measurement)")]
    result = {"names": names, "budget": budget, "runs": [_strip(r) for r in own.values()],
              "table": _final_table(groups), "long": None,
              "settings": {"data": "MNIST, 4,000 training digits, 16 x 16", "critic": "DCGAN, width 32",
                           "steps": dict(mnist_runs.BUDGETS[budget]["steps"]), "seeds": [seed],
                           "adam": "Adam on the critic (the generator on RMSProp), beta2 0.999; lr x beta1 in "
                                   f"{list(mnist_runs.LONG_ADAM_LRS)} x {list(mnist_runs.ADAM_BETA1)} (long "
                                   "budget; 5e-5 on a GPU: mnist_runs.paper_scale_tasks)"}}
    if quick:
        controls, _ = mnist_runs.control_records(groups)
        result.update(controls=controls, claims=claims, tests={}, needs_full_run=[
            "fig5_both_learn", "fig6_gan_fails_without_bn", "fig6_wgan_beats_gan_without_bn",
            "fig7_wgan_beats_gan_with_mlp", "fig7_gan_mode_collapse", "adam_unstable", "adam_cosine_where_unstable"])
        return check_result(result, SRC)
    long, where = mnist_runs.committed(FIGURE.name)
    if long is not None:
        lg = mnist_runs.by_name(long["runs"])
        controls, found, tests = judge(lg, where)
        first = long["seeds"][0]  # the sweep's FD curves of its first seed (what the figure draws)
        sweep = [r for r in long["runs"] if r["seed"] == first and (mnist_runs.is_sweep(r["name"])
                                                                    or r["name"] == "wgan_dcgan")]
        result["long"] = {"provenance": long["provenance"], "seeds": long["seeds"], "steps": long["steps"],
                          "label": where.strip(" []"), "table": _final_table(lg),
                          "runs": [{k: r[k] for k in ("name", "seed", "label", "steps", "fd", "config")} for r in sweep],
                          # the generators' samples of the long budget's first seed (what Figures 5-7 are judged on)
                          "drawn": [_strip(r) for r in long["runs"] if r["seed"] == first and r.get("samples")
                                    and r["name"] in [f"{a}_{g}" for g in GENERATORS for a in ("wgan", "gan")]
                                    + ["gan_const"]]}
    else:
        controls, found, tests = judge(groups, where)
    result.update(controls=controls, claims=claims + found, tests=tests, needs_full_run=[])
    return check_result(result, SRC)


def run_long(out: Path = long_budget.LONG_DIR) -> None:
    """The long budget: three seeds of every generator (five of those of Figures 5-7; 640 WGAN / 1,600 GAN generator steps) and
    of the optimiser sweep (at 2e-4 and 1e-3), and the WGAN-GP control; writes
    ``out/architectures.json``."""
    names = NAMES + ["wgangp_mnist"]
    records = long_budget.run_tasks(mnist_runs.long_tasks(names), out, desc="architectures, long budget")
    long_budget.write(out, FIGURE.name, mnist_runs.long_result(names, records), records)


def tables(result: dict) -> list[str]:
    """The write-up's extra lines: the controls, the final scores, the optimiser sweep."""
    from claims import fmt

    lines: list[str] = []  # the controls and the provenance: figures.writeup prints them
    table = (result.get("long") or result)["table"]
    lines += ["", "Final scores (mean over seeds; precision / recall are not validated and not shown):", "",
              "| run | seeds | FD | KID | classes | class KL | confident | recognisable (per seed) |",
              "|---|---|---|---|---|---|---|---|"]
    for n, t in table.items():
        lines.append(f"| {t['label']} | {t['seeds']} | {fmt(t['fd'])} | {fmt(t['kid'])} | {fmt(t['classes'])} | "
                     f"{fmt(t['class_kl'])} | {fmt(t['confident'])} | {fmt(t['recognisable'])} |")
    inst = (result.get("tests") or {}).get("instability")
    if inst:
        lines += ["", "Optimiser sweep (Adam on the critic, the generator on RMSProp): each run's largest rise of log FD "
                  f"between checkpoints and, in brackets, its instability events (rises above log 1.5 = "
                  f"{inst['event_rise']:.3f}):", "",
                  "| rate | RMSProp | Adam beta1 0.5 | Adam beta1 0.9 |", "|---|---|---|---|"]
        for lr, e in inst["rates"].items():
            cells = [", ".join(f"{a['max_rise']:.2f} ({len(a['events'])})" for a in runs) or "-"
                     for runs in [e["rmsprop_runs"]] + [e["adam"].get(str(b), []) for b in mnist_runs.ADAM_BETA1]]
            lines.append(f"| {lr} | " + " | ".join(cells) + " |")
    return lines


#: for a GPU: this experiment's runs at the paper's scale, into ``out/architectures_paper.json``
run_paper_scale = mnist_runs.paper_scale_runner("architectures", list(mnist_runs.PAPER_SCALE))


def plot(result: dict):
    """See the record's caption."""
    import matplotlib.pyplot as plt

    from gan.rundir import image_grid

    long = result.get("long")
    drawn = mnist_runs.by_name(result["runs"])  # the main job's own runs (seed 0)
    # the samples of the long budget's first seed where there are some (what the verdicts rest on)
    samples = {**drawn, **mnist_runs.by_name((long or {}).get("drawn") or [])}
    sweep = mnist_runs.by_name(long["runs"]) if long else drawn  # the optimiser sweep: the long budget's
    table = (long or result)["table"]
    full = result["budget"] != "quick"
    fig, axes = plt.subplots(3 if full else 1, 4, figsize=(20, 15 if full else 5), squeeze=False)
    cells = [(0, j, f"wgan_{g}") for j, g in enumerate(GENERATORS)] + [(1, j, f"gan_{g}") for j, g in
                                                                      enumerate(GENERATORS)]
    cells += [(1, 3, "gan_const")]
    axes[0, 3].set_axis_off()
    for i, j, n in cells:
        if i >= axes.shape[0]:
            continue
        a = axes[i, j]
        a.set_axis_off()
        recs = samples.get(n)
        if not recs or not recs[0].get("samples"):
            a.set_title(f"{n}: not run at this budget", fontsize=9)
            continue
        r = recs[0]
        whose = f"long budget, seed {r['seed']}, {r['generator_steps']} steps" if recs is not drawn.get(n) else \
            f"this run, {r.get('generator_steps', '')} steps"
        st = sorted(r["samples"], key=int)
        a.imshow(image_grid(mnist_runs.images(r["samples"][st[-1]])[:16, ..., None], nrow=4))
        t = table.get(n, {})
        sc = ((result.get("tests") or {}).get("scores") or {}).get(n)
        mean = ""
        if sc and sc["fd"].get("lo") is not None and np.isfinite(sc["fd"]["lo"]):
            mean = (f"[{len(sc['seeds'])} seeds: FD {sc['fd']['mean']:.0f}, 95% [{sc['fd']['lo']:.0f}, "
                    f"{sc['fd']['hi']:.0f}]; classes {', '.join(f'{c:.0f}' for c in sc['classes']['per_seed'])}]")
        elif t.get("seeds", 0) > 1:
            mean = f"[mean over {t['seeds']} seeds: FD {t['fd']:.0f}, classes {t['classes']:.1f}]"
        g = n.split("_", 1)[1]
        algo = "WGAN" if n.startswith("wgan") else "GAN"
        title = (f"{algo}, {TITLES.get(g, 'constant width, batch norm restored (control of Fig. 6)')}\n"
                 f"{whose}: FD {r['final']['fd']:.0f}, classes {r['final']['classes']}, class KL "
                 f"{r['final']['class_kl']:.2f}{' (recognisable)' if r['recognisable'] else ''}\n{mean}")
        a.set_title(title, fontsize=8)
    if full:
        a = axes[2, 0]
        for k, (lr, b1) in enumerate([(lr, None) for lr in mnist_runs.ADAM_LRS]):
            rm = mnist_runs.rmsprop_runs(sweep, lr)
            if rm:
                a.plot(rm[0]["steps"], rm[0]["fd"], "-", color=f"C{k}", lw=1.2, label=f"RMSProp {lr:g}")
            for b1, ls in zip(mnist_runs.ADAM_BETA1, (":", "--")):
                ad = sweep.get(mnist_runs.adam_name(lr, b1))
                if ad:
                    a.plot(ad[0]["steps"], ad[0]["fd"], ls, color=f"C{k}", lw=1.2, label=f"Adam {lr:g}, beta1 {b1:g}")
        a.set(xlabel="generator steps", ylabel="FD (log)", yscale="log")
        a.set_title(f"WGAN critic optimiser: FD along training\n(seed 0{', long budget' if long else ''})", fontsize=9)
        a.legend(fontsize=6.5, ncol=2)
        inst = (result.get("tests") or {}).get("instability")
        a = axes[2, 1]
        if inst:
            x0 = 0
            ticks, labels = [], []
            for lr, e in inst["rates"].items():
                a.scatter([x0] * len(e["rmsprop"]), e["rmsprop"], color="C0", s=18)
                ticks.append(x0)
                labels.append(f"RMSProp {lr}")
                for k, (b1, runs) in enumerate(e["adam"].items(), 1):
                    a.scatter([x0 + k] * len(runs), [r["max_rise"] for r in runs], color="C1" if b1 == "0.5" else "C3",
                              s=18)
                    ticks.append(x0 + k)
                    labels.append(f"Adam {lr}, beta1 {b1}")
                a.hlines(e["threshold"], x0 - 0.4, x0 + 2.4, color="k", ls="--", lw=0.8)
                for k, runs in enumerate([e["rmsprop_runs"]] + list(e["adam"].values())):
                    for r in runs:  # the number of events beside each run's dot
                        if r["events"]:
                            a.annotate(str(len(r["events"])), (x0 + k, r["max_rise"]), fontsize=6,
                                       xytext=(3, 0), textcoords="offset points")
                x0 += 4
            a.set_xticks(ticks, labels, fontsize=7, rotation=60, ha="right")
            a.axhline(inst["event_rise"], color="C3", ls=":", lw=1)
            a.set_ylabel("largest rise of log FD between checkpoints")
            a.set_title("Each run's largest FD rise (numbers: its events)\nred dotted: an event (log 1.5); dashed: "
                        "RMSProp's largest", fontsize=9)
        else:
            a.set_axis_off()
        a = axes[2, 2]
        if inst:
            rows = []
            for lr, e in inst["rates"].items():
                for b1, runs in e["adam"].items():
                    for r in runs:
                        if r["negative_share"] is None:
                            continue
                        ev = set(r["events"])
                        neg = np.asarray(r["negative_share"], float)
                        flag = np.array([i in ev for i in range(len(neg))])
                        rows.append((f"{lr}, b1 {b1}", neg[flag].mean() if flag.any() else np.nan,
                                     neg[~flag].mean()))
            if rows:
                labels = sorted({r[0] for r in rows})
                def mean(values):  # nan when no window of that kind exists (no warning)
                    values = [v for v in values if not np.isnan(v)]
                    return float(np.mean(values)) if values else np.nan

                un = [mean([r[1] for r in rows if r[0] == lab]) for lab in labels]
                st = [mean([r[2] for r in rows if r[0] == lab]) for lab in labels]
                x = np.arange(len(labels))
                a.bar(x - 0.2, np.nan_to_num(un), 0.4, color="C3", label="windows with an instability event")
                a.bar(x + 0.2, st, 0.4, color="C7", label="other windows")
                a.set_xticks(x, labels, rotation=30, fontsize=7)
                a.set_ylabel("share of critic steps with a negative step cosine")
                a.set_title("Adam: negative cosines,\nunstable windows vs others", fontsize=9)
                a.legend(fontsize=7)
                if not any(r["events"] for e in inst["rates"].values() for runs in e["adam"].values() for r in runs):
                    a.text(0.5, 0.5, "no Adam run had an instability event\n(log FD rising by more than log 1.5)",
                           ha="center", va="center", transform=a.transAxes, fontsize=9)
        else:
            a.set_axis_off()
        a = axes[2, 3]
        r = (drawn.get("wgan_adam_0.0002_0.5") or [None])[0]
        rm = (drawn.get("wgan_dcgan") or [None])[0]
        for rec, lab, c in ((rm, "RMSProp 2e-4", "C0"), (r, "Adam 2e-4, beta1 0.5", "C1")):
            if rec and "cosine" in rec and "curve" in rec["cosine"]:
                a.plot(rec["cosine"]["curve_steps"], rec["cosine"]["curve"], lw=0.7, color=c, label=lab)
        a.axhline(0, color="k", lw=0.8)
        a.set(xlabel="generator steps", ylabel="cos(step, -gradient), mean per generator step",
              title="The optimiser's step against the gradient (this run)")
        a.legend(fontsize=7)
    fig.suptitle("Robustness across generators (WGAN Figs. 5-7) and Adam on the critic (Sec. 4.2), MNIST 16x16: "
                 "samples of this run (one seed)" + (f"; means, the sweep and its tests: {long['label']}, seeds "
                                                     f"{', '.join(map(str, long['seeds']))}" if long else ""))
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="architectures",
    title="Robustness across generators",
    source="WGAN, Figures 5-7 and Section 4.2",
    claim=(
        "WGAN learns with generators the GAN cannot train (no batch norm, an MLP), the GAN shows mode "
        "collapse with the MLP, and Adam on the critic makes WGAN unstable at times, its step turning against "
        "the gradient there."
    ),
    quick="only the two DCGAN runs, a few dozen steps: no verdict; the other claims need the full run",
    caption=(
        "Top two rows: the last samples of WGAN (top) and the GAN (middle) with each generator, and the GAN "
        "with the constant-width generator with batch norm restored; above each, FD and classes covered (seed "
        "0; in brackets the mean over seeds). Bottom: FD along training with RMSProp and with Adam on the WGAN "
        "critic at each learning rate (one seed); per run, the largest rise of log FD between checkpoints (dots, "
        "with the run's number of instability events; red dotted: an event, log 1.5; dashed: RMSProp's largest at "
        "that rate); the share of critic steps "
        "whose step cosine is negative, in windows with an instability event and elsewhere."
    ),
    departures=(
        "Real MNIST digits at 16 x 16 instead of LSUN bedrooms; compared at the runs' budgets (640 WGAN / "
        "1,600 GAN generator steps and one seed in the main job; 1,500 WGAN / 1,600 GAN and three seeds in the long "
        "budget (five for the settings of Figures 5-7), the optimiser sweep 640 steps; "
        "the paper's rate 5e-5 and longer Adam runs left to a GPU), not at "
        "convergence; WGAN's RMSProp at 2e-4 (4x the paper's); Adam on the critic with beta2 0.999 (the paper "
        "does not give its Adam settings); instability read from FD at 32 checkpoints."
    ),
    why={
        "fig6_gan_fails_without_bn": "the GAN without batch norm learned.",
        "fig6_wgan_beats_gan_without_bn": "without batch norm the GAN reached a lower FD than WGAN.",
        "fig7_wgan_beats_gan_with_mlp": "the MLP generator trained by the GAN reached a lower FD than WGAN's.",
        "fig7_gan_mode_collapse": "the GAN's MLP generator covered the classes as evenly as WGAN's, or more.",
        "adam_unstable": "with Adam on the critic there were fewer instability events than with RMSProp at the same rates.",
        "adam_cosine_where_unstable": "negative cosines were rarer in the unstable windows than elsewhere.",
    },
    run=run, plot=plot, tables=tables, run_long=run_long, pooled=True,
)


if __name__ == "__main__":
    FIGURE.main()
