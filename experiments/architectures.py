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

Section 4.2's negative result: with Adam (beta1 > 0) on the critic, "WGAN training becomes
unstable at times", and "the cosine between the Adam step and the gradient usually turned
negative" then ("the only places where this cosine was negative"). Adam runs at learning rates
{5e-5, 2e-4, 1e-3} x beta1 {0.5, 0.9} are set against RMSProp at the same rates, three seeds
each (long budget). Instability is defined from RMSProp's own variability: an *event* is a rise
of log FD between consecutive checkpoints larger than the largest rise in any RMSProp run at that
rate. The cosine between the critic optimiser's step and the negative gradient is logged at every
critic step (``--log-step-cosine``); for RMSProp it is positive by construction (a positive
diagonal rescaling of the gradient): a sanity check.

Run: ``python -m experiments.architectures [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from claims import Figure, check_result, claim, long_budget
from claims import stats as S

from . import mnist_runs


GENERATORS = ("dcgan", "nobn", "mlp")
NAMES = list(dict.fromkeys(
    [f"{a}_{g}" for g in GENERATORS for a in ("wgan", "gan")] + ["gan_const"]
    + [f"wgan_rmsprop_{lr:g}" for lr in mnist_runs.LONG_ADAM_LRS if lr != mnist_runs.WGAN_LR]
    + [mnist_runs.adam_name(lr, b1) for lr in mnist_runs.LONG_ADAM_LRS for b1 in mnist_runs.ADAM_BETA1]))
#: the main job's runs (one seed): the generators, and Adam at the WGAN runs' rate
MAIN_NAMES = [f"{a}_{g}" for g in GENERATORS for a in ("wgan", "gan")] + ["gan_const", "wgan_adam_0.0002_0.5"]
QUICK_RUNS = ["wgan_dcgan", "gan_dcgan"]
TITLES = {"dcgan": "DCGAN generator (Fig. 5)", "nobn": "no batch norm, constant width (Fig. 6)",
          "mlp": "4-layer ReLU MLP generator (Fig. 7)"}
SRC = "WGAN, Section 4.3"
NEEDS_LONG = "one seed at the main budget; the long budget (python -m figures --budget long) decides"


def _paired(groups, a: str, b: str, fn) -> dict | None:
    """fn(record of a, record of b) per seed both have, with the 95% interval over seeds."""
    ra = {r["seed"]: r for r in groups.get(a, [])}
    rb = {r["seed"]: r for r in groups.get(b, [])}
    seeds = sorted(set(ra) & set(rb))
    if not seeds:
        return None
    vals = [fn(ra[s], rb[s]) for s in seeds]
    return {"per_seed": [round(float(v), 4) for v in vals], **S.mean_interval(vals)}


def _interval_claim(cid, statement, expected, res, control_ok, where, source, reason_against):
    """A finding that holds when the interval of ``res`` lies above 0 and disagrees when it lies
    below (the test); otherwise, or with fewer than three seeds or a failed control, no verdict."""
    if res is None:
        return claim(cid, statement + where, expected, "not run", None, source=source, verdict="no verdict",
                     reason="the runs are missing at this budget")
    m = {"mean": round(res["mean"], 3), "interval": [round(res["lo"], 3), round(res["hi"], 3)] if res["n"] > 1
         else None, "per_seed": res["per_seed"]}
    if res["n"] < 3 or control_ok is not True:
        return claim(cid, statement + where, expected, m, res["mean"] > 0, source=source, verdict="no verdict",
                     reason=NEEDS_LONG if res["n"] < 3 else "the positive control "
                     + ("failed" if control_ok is False else "did not run"))
    if res["lo"] > 0:
        return claim(cid, statement + where, expected, m, True, source=source)
    if res["hi"] < 0:
        return claim(cid, statement + where, expected, m, False, source=source, verdict="disagrees",
                     reason=reason_against, test={"statistic": "mean over seeds, Student t",
                                                  "interval": [res["lo"], res["hi"]]})
    return claim(cid, statement + where, expected, m, False, source=source, verdict="no verdict",
                 reason="the interval over seeds straddles 0: more seeds would decide")


def instability(groups: dict[str, list[dict]]) -> dict | None:
    """Per learning rate and optimiser: each run's largest rise of log FD between consecutive
    checkpoints; the threshold (RMSProp's largest at that rate); the events; and, per window of
    the Adam runs, the share of negative step cosines and whether the window holds an event."""
    out = {"rates": {}, "rates_done": []}
    for lr in mnist_runs.ADAM_LRS:
        rms = mnist_runs.rmsprop_runs(groups, lr)
        if not rms:
            continue
        def rises(r):
            return np.diff(np.log(np.asarray(r["fd"], float)))
        thr = float(max(rises(r).max() for r in rms))
        entry = {"threshold": thr, "rmsprop": [float(rises(r).max()) for r in rms], "adam": {}}
        for b1 in mnist_runs.ADAM_BETA1:
            runs = groups.get(mnist_runs.adam_name(lr, b1), [])
            entry["adam"][str(b1)] = [{"seed": r["seed"], "max_rise": float(rises(r).max()),
                                       "events": [int(i + 1) for i in np.flatnonzero(rises(r) > thr)],
                                       "negative_share": r.get("cosine", {}).get("negative_share"),
                                       "negative_total": r.get("cosine", {}).get("negative_total"),
                                       "cosine_steps": r.get("cosine", {}).get("count")} for r in runs]
        out["rates"][f"{lr:g}"] = entry
        out["rates_done"].append(lr)
    return out if out["rates"] else None


def adam_claims(inst: dict | None, control_ok, where: str) -> list[dict]:
    src = "WGAN, Section 4.2 (the negative result on momentum)"
    st1 = ("Sec. 4.2: with Adam (beta1 > 0) on the critic WGAN training becomes unstable at times: the largest "
           "rise of log FD between checkpoints is larger than with RMSProp at the same learning rate (per run; "
           "one-sided Mann-Whitney over runs, every rate and beta1)")
    st2 = ("Sec. 4.2: the Adam step's cosine with the gradient turns negative where training is unstable and only "
           "there: the share of critic steps with a negative cosine is higher in windows with an instability event "
           "(a rise of log FD above RMSProp's largest) than elsewhere (flags permuted within runs)")
    if inst is None:
        return [claim("adam_unstable", st1 + where, "p < 0.05", "not run", None, source=src, verdict="no verdict",
                      reason="the runs are missing at this budget"),
                claim("adam_cosine_where_unstable", st2 + where, "p < 0.05", "not run", None, source=src,
                      verdict="no verdict", reason="the runs are missing at this budget")]
    adam = [a for e in inst["rates"].values() for runs in e["adam"].values() for a in runs]
    rms = [v for e in inst["rates"].values() for v in e["rmsprop"]]
    mw = S.mann_whitney([a["max_rise"] for a in adam], rms)
    events = sum(len(a["events"]) for a in adam)
    runs_with = sum(bool(a["events"]) for a in adam)
    m1 = {"adam_runs": len(adam), "rmsprop_runs": len(rms), "p": round(mw["p_value"], 4) if adam else None,
          "runs with an event": runs_with, "events": events}
    few = len(rms) < 3 * len(inst["rates"]) or len(adam) < 3 * len(mnist_runs.ADAM_BETA1) * len(inst["rates"]) \
        or len(inst["rates"]) < 2
    if few or control_ok is not True:
        from math import comb

        floor = 1 / comb(len(adam) + len(rms), len(adam)) if adam and rms else 1.0  # the one-sided test's smallest p
        c1 = claim("adam_unstable", st1 + where, "p < 0.05", m1, bool(adam) and mw["p_value"] < 0.05, source=src,
                   verdict="no verdict", reason=(f"{NEEDS_LONG}; with {len(adam)} Adam and {len(rms)} RMSProp runs the "
                                                 f"smallest attainable p-value is {floor:.2g}") if few
                   else "the positive control did not pass")
    elif mw["p_value"] < 0.05:
        c1 = claim("adam_unstable", st1 + where, "p < 0.05", m1, True, source=src)
    else:
        low = S.mann_whitney(rms, [a["max_rise"] for a in adam])
        if low["p_value"] < 0.05:
            c1 = claim("adam_unstable", st1 + where, "p < 0.05", m1, False, source=src, verdict="disagrees",
                       reason=FIGURE.why["adam_unstable"], test={"statistic": "Mann-Whitney U, RMSProp > Adam",
                                                          "p_value": low["p_value"]})
        else:
            c1 = claim("adam_unstable", st1 + where, "p < 0.05", m1, False, source=src, verdict="no verdict",
                       reason=f"Adam's FD rises were not larger than RMSProp's (p = {mw['p_value']:.2f}), nor "
                              "significantly smaller; the paper says 'at times': longer runs would decide")
    rates = [a["negative_share"] for a in adam if a["negative_share"] is not None]
    flags = []
    for a in adam:
        if a["negative_share"] is None:
            continue
        f = np.zeros(len(a["negative_share"]), bool)
        f[[e for e in a["events"] if e < len(f)]] = True
        flags.append(f)
    wp = S.window_permutation(rates, flags) if rates else {"p_value": float("nan"), "statistic": float("nan")}
    neg_total = sum(a["negative_total"] or 0 for a in adam)
    steps_total = sum(a["cosine_steps"] or 0 for a in adam)
    m2 = {"negative cosines": f"{neg_total} of {steps_total} critic steps",
          "difference (unstable - other windows)": None if np.isnan(wp["statistic"]) else round(wp["statistic"], 4),
          "p": None if np.isnan(wp["p_value"]) else round(wp["p_value"], 4)}
    if not events:
        configs = sorted({(e, b) for e, r in inst["rates"].items() for b, runs in r["adam"].items() if runs})
        c2 = claim("adam_cosine_where_unstable", st2 + where, "p < 0.05", m2, None, source=src,
                   verdict="no verdict", reason="no Adam run had an instability event at this budget "
                   f"({len(adam)} run(s), {len(configs)} of {len(mnist_runs.ADAM_LRS) * len(mnist_runs.ADAM_BETA1)} "
                   "learning-rate / beta1 settings): the claim is about the unstable stretches, so a budget in which "
                   "Adam runs become unstable would decide (the long budget's sweep, the GPU command's longer runs); "
                   f"negative cosines elsewhere: {neg_total}")
    elif few or control_ok is not True:
        c2 = claim("adam_cosine_where_unstable", st2 + where, "p < 0.05", m2, wp["p_value"] < 0.05, source=src,
                   verdict="no verdict", reason=NEEDS_LONG if few else "the positive control did not pass")
    elif wp["p_value"] < 0.05:
        c2 = claim("adam_cosine_where_unstable", st2 + where, "p < 0.05", m2, True, source=src)
    else:
        c2 = claim("adam_cosine_where_unstable", st2 + where, "p < 0.05", m2, False, source=src,
                   verdict="no verdict", reason="negative cosines were not significantly more frequent in the "
                   "unstable windows; no test excludes the claim")
    return [c1, c2]


def judge(groups: dict[str, list[dict]], where: str) -> tuple[list[dict], list[dict], dict]:
    """Controls, findings and the numbers behind them from the runs in ``groups``."""
    controls, ok = mnist_runs.control_records(groups)
    gan_ok, wgan_ok = ok.get("dcgan"), ok.get("wgangp")
    both = True if gan_ok and wgan_ok else (False if gan_ok is False or wgan_ok is False else None)
    claims = []

    def learned(name):
        recs = groups.get(name, [])
        return [bool(r["recognisable"]) for r in recs]

    def fd(name):
        mi = S.mean_interval([r["final"]["fd"] for r in groups.get(name, [])])
        return f"{mi['mean']:.0f}" + (f" [{mi['lo']:.0f}, {mi['hi']:.0f}]" if mi["n"] > 1 else "")

    # Figure 5: both learn with the DCGAN generator
    lw, lg = learned("wgan_dcgan"), learned("gan_dcgan")
    st = ("Fig. 5: with the DCGAN generator both algorithms learn: every seed of WGAN and of the GAN makes "
          "recognisable digits")
    m = {"WGAN recognisable": lw, "GAN recognisable": lg, "final FD (mean [95% interval])":
         {"WGAN": fd("wgan_dcgan"), "GAN": fd("gan_dcgan")}}
    if len(lw) < 3 or len(lg) < 3 or both is not True:
        slow = "" if all(lw + lg) else (
            "; a run did not reach recognisable digits at this budget, and the long budget adds seeds at the same "
            "number of steps, so only longer runs (the paper trains ~10^5 steps; the GPU command) would decide")
        claims.append(claim("fig5_both_learn", st + where, "all seeds", m, bool(lw and lg and all(lw + lg)),
                            source=SRC + ", Figure 5", verdict="no verdict",
                            reason=(NEEDS_LONG + slow) if len(lw) < 3 or len(lg) < 3
                            else "a positive control did not pass"))
    elif all(lw + lg):
        claims.append(claim("fig5_both_learn", st + where, "all seeds", m, True, source=SRC + ", Figure 5"))
    else:
        claims.append(claim("fig5_both_learn", st + where, "all seeds", m, False, source=SRC + ", Figure 5",
                            verdict="no verdict", reason="a run did not reach recognisable digits at this budget "
                            "(the paper trains ~10^5 steps); longer runs would decide"))
    # Figure 6: the GAN fails without batch norm, and it is the missing batch norm
    ln, lc = learned("gan_nobn"), learned("gan_const")
    st = ("Fig. 6: without batch norm (constant width) the GAN fails to learn -- no seed makes recognisable "
          "digits -- while the same generator with batch norm restored learns in every seed (this control is the "
          "toolkit's, not the paper's: it puts the failure on the missing batch norm, not the narrow layers or "
          "their initialisation)")
    m = {"recognisable without batch norm": ln, "with batch norm restored": lc,
         "final FD (mean [95% interval])": {"without": fd("gan_nobn"), "restored": fd("gan_const")}}
    if len(ln) < 3 or len(lc) < 3 or gan_ok is not True:
        claims.append(claim("fig6_gan_fails_without_bn", st + where, "none / all", m,
                            bool(ln and lc and not any(ln) and all(lc)), source=SRC + ", Figure 6",
                            verdict="no verdict", reason=NEEDS_LONG if len(ln) < 3 or len(lc) < 3 else
                            "the DCGAN control did not pass"))
    elif not all(lc):
        claims.append(claim("fig6_gan_fails_without_bn", st + where, "none / all", m, False, source=SRC + ", Figure 6",
                            verdict="no verdict", reason="the constant-width generator did not learn with batch "
                            "norm either: the failure cannot be put on batch norm at this budget"))
    elif not any(ln):
        claims.append(claim("fig6_gan_fails_without_bn", st + where, "none / all", m, True, source=SRC + ", Figure 6"))
    else:
        claims.append(claim("fig6_gan_fails_without_bn", st + where, "none / all", m, False, source=SRC + ", Figure 6",
                            verdict="disagrees" if all(ln) else "no verdict", reason=FIGURE.why["fig6_gan_fails_without_bn"]
                            if all(ln) else "some seeds learned without batch norm",
                            test={"statistic": "seeds recognisable without batch norm",
                                  "interval": [sum(ln), sum(ln)]} if all(ln) else None))
    ratio = _paired(groups, "gan_nobn", "wgan_nobn", lambda g, w: np.log(g["final"]["fd"] / w["final"]["fd"]))
    claims.append(_interval_claim("fig6_wgan_beats_gan_without_bn", "Fig. 6: without batch norm WGAN's samples are "
                                  "better than the GAN's: log(final FD of the GAN / WGAN's), paired by seed",
                                  "interval above 0", ratio, both, where, SRC + ", Figure 6",
                                  FIGURE.why["fig6_wgan_beats_gan_without_bn"]))
    ratio = _paired(groups, "gan_mlp", "wgan_mlp", lambda g, w: np.log(g["final"]["fd"] / w["final"]["fd"]))
    claims.append(_interval_claim("fig7_wgan_beats_gan_with_mlp", "Fig. 7: with the MLP generator WGAN's samples are "
                                  "better than the GAN's: log(final FD of the GAN / WGAN's), paired by seed",
                                  "interval above 0", ratio, both, where, SRC + ", Figure 7",
                                  FIGURE.why["fig7_wgan_beats_gan_with_mlp"]))
    kl = _paired(groups, "gan_mlp", "wgan_mlp", lambda g, w: g["final"]["class_kl"] - w["final"]["class_kl"])
    claims.append(_interval_claim("fig7_gan_mode_collapse", "Fig. 7: the GAN's MLP generator shows mode collapse: "
                                  "its class histogram is further from uniform than WGAN's (class KL of the GAN "
                                  "minus WGAN's, nats, paired by seed)", "interval above 0", kl, both, where,
                                  SRC + ", Figure 7", FIGURE.why["fig7_gan_mode_collapse"]))
    inst = instability(groups)
    claims += adam_claims(inst, wgan_ok, where)
    return controls, claims, {"instability": inst}


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


def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the experiment: the main job's runs (one seed), and the committed long results
    when there are some."""
    budget = "quick" if quick else "main"
    names = QUICK_RUNS if quick else MAIN_NAMES
    own = mnist_runs.runs(names, budget, (seed,))
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
                           "adam": "Adam on both players, beta2 0.999; lr x beta1 in "
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
                          "runs": [{k: r[k] for k in ("name", "seed", "label", "steps", "fd", "config")} for r in sweep]}
    else:
        controls, found, tests = judge(groups, where)
    result.update(controls=controls, claims=claims + found, tests=tests, needs_full_run=[])
    return check_result(result, SRC)


def run_long(out: Path = long_budget.LONG_DIR) -> None:
    """The long budget: three seeds of every generator (640 WGAN / 1,600 GAN generator steps) and
    of the optimiser sweep (at 2e-4 and 1e-3), and the WGAN-GP control; writes
    ``out/architectures.json``."""
    names = NAMES + ["wgangp_mnist"]
    records = long_budget.run_tasks(mnist_runs.long_tasks(names), out, desc="architectures, long budget")
    long_budget.write(out, FIGURE.name, mnist_runs.long_result(names, records), records)


def tables(result: dict) -> list[str]:
    """The write-up's extra lines after the controls: the final scores, the optimiser sweep."""
    from claims import fmt

    lines = []  # the controls' table is the write-up's (figures.writeup.controls_table)
    table = (result.get("long") or result)["table"]
    lines += ["", "Final scores (mean over seeds; precision / recall are not validated and not shown):", "",
              "| run | seeds | FD | KID | classes | class KL | confident | recognisable (per seed) |",
              "|---|---|---|---|---|---|---|---|"]
    for n, t in table.items():
        lines.append(f"| {t['label']} | {t['seeds']} | {fmt(t['fd'])} | {fmt(t['kid'])} | {fmt(t['classes'])} | "
                     f"{fmt(t['class_kl'])} | {fmt(t['confident'])} | {fmt(t['recognisable'])} |")
    inst = (result.get("tests") or {}).get("instability")
    if inst:
        lines += ["", "Optimiser sweep: each run's largest rise of log FD between checkpoints; an instability event is "
                  "a rise above RMSProp's largest at that rate:", "",
                  "| rate | RMSProp (threshold) | Adam beta1 0.5: largest rises (events) | Adam beta1 0.9 |",
                  "|---|---|---|---|"]
        for lr, e in inst["rates"].items():
            cells = [", ".join(f"{a['max_rise']:.2f} ({len(a['events'])})" for a in e["adam"].get(str(b), []))
                     or "-" for b in mnist_runs.ADAM_BETA1]
            lines.append(f"| {lr} | {', '.join(f'{v:.2f}' for v in e['rmsprop'])} ({e['threshold']:.2f}) | "
                         + " | ".join(cells) + " |")
    lines += mnist_runs.provenance_line(result.get("long"))
    return lines


#: for a GPU: this experiment's runs at the paper's scale, into ``out/architectures_paper.json``
run_paper_scale = mnist_runs.paper_scale_runner("architectures", list(mnist_runs.PAPER_SCALE))


def plot(result: dict):
    """See the record's caption."""
    import matplotlib.pyplot as plt

    from gan.rundir import image_grid

    long = result.get("long")
    drawn = mnist_runs.by_name(result["runs"])  # the main job's own runs (seed 0)
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
        recs = drawn.get(n)
        if not recs or not recs[0].get("samples"):
            a.set_title(f"{n}: not run at this budget", fontsize=9)
            continue
        r = recs[0]
        st = sorted(r["samples"], key=int)
        a.imshow(image_grid(np.asarray(r["samples"][st[-1]], dtype=np.uint8)[:16, ..., None], nrow=4))
        t = table.get(n, {})
        mean = f" [mean over {t['seeds']} seeds: FD {t['fd']:.0f}, classes {t['classes']:.1f}]" if t.get("seeds", 0) > 1 \
            else ""
        g = n.split("_", 1)[1]
        algo = "WGAN" if n.startswith("wgan") else "GAN"
        title = (f"{algo}, {TITLES.get(g, 'constant width, batch norm restored (control of Fig. 6)')}\n"
                 f"FD {r['final']['fd']:.0f}, classes {r['final']['classes']}, class KL {r['final']['class_kl']:.2f}"
                 f"{' (recognisable)' if r['recognisable'] else ''}\n{mean}")
        a.set_title(title, fontsize=8.5)
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
        a.set(xlabel="generator steps", ylabel="FD (log)", yscale="log", title="WGAN critic optimiser: FD along "
              f"training (seed 0{', long budget' if long else ''})")
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
                x0 += 4
            a.set_xticks(ticks, labels, fontsize=7, rotation=60, ha="right")
            a.set(ylabel="largest rise of log FD between checkpoints",
                  title="Instability: each run's largest FD rise\n(dashed: RMSProp's largest at that rate)")
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
                a.set(ylabel="share of critic steps with a negative step cosine",
                      title="Adam: negative cosines, unstable windows vs others")
                a.legend(fontsize=7)
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
        "critic at each learning rate (one seed); per run, the largest rise of log FD between checkpoints (dots; "
        "the dashed line: RMSProp's largest at that rate, the instability threshold); the share of critic steps "
        "whose step cosine is negative, in windows with an instability event and elsewhere."
    ),
    departures=(
        "Real MNIST digits at 16 x 16 instead of LSUN bedrooms; compared at the runs' budgets (640 WGAN / "
        "1,600 GAN generator steps, one seed in the main job, three in the long budget, the optimiser sweep too; "
        "the paper's rate 5e-5 and longer Adam runs left to a GPU), not at "
        "convergence; WGAN's RMSProp at 2e-4 (4x the paper's); Adam on both players with beta2 0.999 (the paper "
        "does not give its Adam settings); instability read from FD at 32 checkpoints."
    ),
    why={
        "fig6_gan_fails_without_bn": "the GAN without batch norm learned.",
        "fig6_wgan_beats_gan_without_bn": "without batch norm the GAN reached a lower FD than WGAN.",
        "fig7_wgan_beats_gan_with_mlp": "the MLP generator trained by the GAN reached a lower FD than WGAN's.",
        "fig7_gan_mode_collapse": "the GAN's MLP generator covered the classes as evenly as WGAN's, or more.",
        "adam_unstable": "with Adam the largest FD rises were smaller than with RMSProp.",
        "adam_cosine_where_unstable": "negative cosines were rarer in the unstable windows than elsewhere.",
    },
    run=run, plot=plot, tables=tables, run_long=run_long, pooled=True,
)


if __name__ == "__main__":
    FIGURE.main()
