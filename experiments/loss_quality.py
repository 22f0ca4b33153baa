r"""Does the loss track sample quality? WGAN Section 4.2, Figures 3, 4 and 8, on real digits.

The paper: the WGAN critic's EM estimate "correlates remarkably well" with sample quality
(Figure 3), while the GAN's JS estimate L/2 + ln 2 (Figure 4) and its generator cost (Figure 8)
do not: they stay constant or go up, the JS estimate "often remains very close to log 2". Here
the trainer itself runs the paper's six settings on real MNIST digits (:mod:`experiments.mnist_runs`:
WGAN with a DCGAN critic and the DCGAN or MLP generator, WGAN with MLP generator and critic at a
high learning rate, the failing case; the GAN with the same three pairs), and sample quality is
measured by the validated FD and KID (``experiments.quality_validation``) at evenly spaced checkpoints.

Two curves that both trend with the training step correlate whether or not either tracks
quality, so the claims rest on statistics time alone cannot produce:

1. **a fresh-critic probe**: at each checkpoint the generator is frozen and a new clipped critic
   and a new GAN discriminator are trained from scratch for a fixed budget
   (:func:`experiments.mnist_runs.probe`); the paper predicts the first estimate tracks FD and the
   second sits near ln 2 whatever the quality;
2. **across runs**: at each checkpoint step, the fresh critic's estimates of the generators that
   share the DCGAN critic order them as FD does (a comparison at equal time);
3. **within a run**: the step-to-step changes of the training critic's estimate correlate with
   the changes of FD.

The training curves are median-filtered as in the paper, with the raw curve visible. Settings
and their departures from the paper's: :mod:`experiments.mnist_runs`. Claims that need runs that
learned are checked only when the runs did (FD fell at least 3x); ``--quick`` runs are too short
for that and say so instead of asserting a trivial version.

Run: ``python -m experiments.loss_quality [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.ndimage import median_filter

from claims import claim, fmt, toy_main

from . import mnist_runs

NAME = "loss_quality"
TITLE = "Does the loss track sample quality?"
SOURCE = "WGAN, Section 4.2, Figures 3, 4 and 8"
#: the paper's claim, in one sentence (the write-up's)
CLAIM = (
    "The WGAN critic's EM estimate correlates with sample quality, while the GAN's JS estimate "
    'and generator cost stay constant or go up whatever the quality; measured on real digits with'
    ' the validated FD, a fresh-critic probe, and statistics that time alone cannot produce.'
)
#: True when it spreads its own runs over the two worker processes (``python -m figures`` runs it alone)
POOLED = True
#: relative running time, to start the longest single-core toys first
COST = 1.0
QUICK = ("only the two DCGAN runs, 60 GAN / 20 WGAN generator steps instead of 1600 / 640, 500 samples per "
         "evaluation, 20-step probes: too short to learn, so only the sanity checks run")
#: what the figure's panels show (the write-up's caption)
CAPTION = (
    'Left column WGAN (Figure 3), right column the GAN (Figure 4): for each run the training '
    "statistic (raw, faint; median-filtered, solid), the fresh critic's or discriminator's "
    'estimate at every other checkpoint (diamonds), and FD to the held-out digits (red squares,'
    ' log scale, right axis); the corner gives the Spearman correlations of the levels, of the '
    'changes, and of the fresh estimate with FD. Beside each run: samples at its first, middle '
    'and last checkpoints.'
)
#: every departure from the paper's settings
DEPARTURES = (
    'Real MNIST digits at 16 x 16 instead of LSUN bedrooms at 64 x 64; width 32; 1,600 GAN and '
    "640 WGAN generator steps instead of ~10^5; RMSProp 2e-4 for WGAN (4x the paper's 5e-5: at "
    '5e-5 a 1,500-step run reaches FD 248 against 127), n_critic 5 throughout (the reference '
    "code's 100-step critic phases would double runs this short); the failing run uses 5e-3 "
    "(the paper: 'substantially high learning rates'); quality on 1,000 generated digits at 16 "
    'checkpoints; probes of 100 critic steps (RMSProp 5e-4) and 100 discriminator steps (Adam '
    '2e-4).'
)
#: why a finding may disagree with the paper, by claim id (the write-up says it when one does)
WHY = {
    'probe_tracks_fd': (
        'a fresh clipped critic of 100 steps may not converge enough to rank nearby checkpoints; '
        'its estimate followed FD less closely than Spearman 0.7 in some run.'
    ),
    'probe_js_near_ln2': (
        'a fresh discriminator of 100 steps (the probe budget) is far from perfect on these digits: '
        'its JS estimate falls as the samples improve, instead of sitting at ln 2. The paper\'s '
        'observation is about a discriminator trained to saturation, which this budget does not reach.'
    ),
    'across_runs_order': (
        'at equal time the fresh estimates did not order the four generators as FD does.'
    ),
    'wgan_changes_track_fd': (
        "the training critic's estimate is noisy from step to step; its changes did not follow "
        "FD's."
    ),
    'gan_js_does_not_track': (
        "the GAN's JS estimate fell as FD fell: at this scale the discriminator is not "
        'near-perfect, and the bound moves with quality.'
    ),
    'gan_cost_does_not_track': (
        "the GAN's generator cost fell as FD fell."
    ),
    'high_lr_fails': (
        'the MLP pair trained at the high learning rate improved its FD by 1.5x or more.'
    ),
    'dcgan_runs_learned': (
        'a DCGAN-generator run did not reduce FD 3x within the budget.'
    ),
}

NAMES = ["wgan_dcgan", "wgan_mlp", "wgan_mlp_mlp_high_lr", "gan_dcgan", "gan_mlp", "gan_mlp_mlp"]
SHARED_CRITIC = list(mnist_runs.PROBED)  # the runs with the DCGAN critic / discriminator
LN2 = math.log(2.0)


def _rho(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(stats.spearmanr(a, b)[0])


def summarise(rec: dict) -> dict:
    """Per-checkpoint series of a run: FD, KID, the training statistic averaged since the last
    checkpoint, the generator cost, and the probes."""
    key = "em_estimate" if rec["config"]["algo"] == "wgan" else "js_lower_bound"
    ev = rec["evals"]
    steps = np.array([r["step"] for r in ev])
    log_steps, log_vals = mnist_runs.curve(rec, key)
    _, loss_g = mnist_runs.curve(rec, "loss_g")
    bounds = np.r_[0, steps]
    window = [(log_steps > lo) & (log_steps <= hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
    out = {"steps": steps, "fd": np.array([r["fd"] for r in ev]), "kid": np.array([r["kid"] for r in ev]),
           "classes": np.array([r["classes"] for r in ev]), "confident": np.array([r["confident"] for r in ev]),
           "stat_key": key, "stat": np.array([log_vals[w].mean() for w in window]),
           "loss_g": np.array([loss_g[w].mean() for w in window]),
           "log_steps": log_steps, "log_stat": log_vals, "log_loss_g": loss_g}
    probed = [i for i, r in enumerate(ev) if "probe_em" in r]
    if probed:
        out["probe_steps"] = steps[probed]
        out["probe_fd"] = out["fd"][probed]
        out["probe_em"] = np.array([ev[i]["probe_em"] for i in probed])
        out["probe_js"] = np.array([ev[i]["probe_js"] for i in probed])
    out["learned"] = bool(out["fd"][-1] <= out["fd"][0] / 3)
    out["rho_stat_fd"] = _rho(out["stat"], out["fd"])
    out["rho_dstat_dfd"] = _rho(np.diff(out["stat"]), np.diff(out["fd"]))
    out["rho_loss_g_fd"] = _rho(out["loss_g"], out["fd"])
    if probed:
        out["rho_probe_fd"] = _rho(out["probe_em"], out["probe_fd"])
    return out


def across_runs(series: dict[str, dict], names: list[str]) -> float:
    """Mean over checkpoints of Spearman(fresh WGAN estimate, FD) across the runs ``names``
    (a comparison at equal time: the trend with the step cancels)."""
    n = min(len(series[k]["probe_em"]) for k in names)
    rhos = [_rho([series[k]["probe_em"][i] for k in names], [series[k]["probe_fd"][i] for k in names])
            for i in range(n)]
    return float(np.nanmean(rhos)) if rhos else float("nan")


def _stages(samples: dict) -> dict:
    """The sample sheets at the first, middle and last checkpoint (what the figure draws)."""
    steps = sorted(samples, key=int)
    return {p: samples[p] for p in (steps[0], steps[len(steps) // 2], steps[-1])}


def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the experiment; the trainer's files go to temporary folders."""
    names = list(mnist_runs.QUICK_RUNS) if quick else NAMES
    runs = mnist_runs.train_runs(names, quick, seed, mnist_runs.probe_steps(quick), mnist_runs.PROBED)
    s = {k: summarise(runs[k]) for k in names}
    claims = [
        claim("runs_measured", "every run is scored by the validated FD at every checkpoint (count of "
              "finite FD values)", f"{sum(len(s[k]['fd']) for k in names)}",
              int(sum(np.isfinite(s[k]["fd"]).sum() for k in names)),
              all(np.isfinite(s[k]["fd"]).all() for k in names), "sanity"),
    ]
    needs_full = []
    if not quick:
        learned = [k for k in SHARED_CRITIC if s[k]["learned"]]
        wgan = [k for k in learned if k.startswith("wgan")]
        gan = [k for k in learned if k.startswith("gan")]
        claims.append(claim("dcgan_runs_learned", "both runs with the DCGAN generator learned (FD fell at least "
                            "3x; the statistics below are read on the runs that learned)", "wgan_dcgan, gan_dcgan",
                            ", ".join(learned) or "none", {"wgan_dcgan", "gan_dcgan"} <= set(learned)))

        def over(runs, value, test, cid, statement, expected):
            if not runs:
                claims.append(claim(cid, statement, expected, "no run learned: no verdict", False))
                return
            v = value(runs)
            claims.append(claim(cid, statement, expected, v, bool(np.isfinite(v) and test(v))))

        over(learned, lambda r: min(s[k]["rho_probe_fd"] for k in r), lambda v: v >= 0.7, "probe_tracks_fd",
             "Fig. 3: a fresh clipped critic's WGAN estimate tracks FD across checkpoints, for every generator "
             "that learned (Spearman, the lowest)", ">= 0.7")
        over(learned, lambda r: min(s[k]["probe_js"].min() for k in r) / LN2, lambda v: v >= 0.9,
             "probe_js_near_ln2", "Fig. 4: a fresh discriminator's JS estimate sits near ln 2 whatever the "
             "quality (lowest value / ln 2 over the checkpoints of the runs that learned)", ">= 0.9")
        claims.append(claim("across_runs_order", "across the four generators with the DCGAN critic, at equal time, "
                            "the fresh WGAN estimate orders them as FD does (Spearman across runs, mean over "
                            "checkpoints; levels that share the time axis)", ">= 0.5",
                            across_runs(s, SHARED_CRITIC), across_runs(s, SHARED_CRITIC) >= 0.5))
        over(wgan, lambda r: min(s[k]["rho_dstat_dfd"] for k in r), lambda v: v >= 0.3, "wgan_changes_track_fd",
             "Fig. 3: within a WGAN run that learned, the step-to-step changes of the training critic's estimate "
             "follow the changes of FD (Spearman of the differences)", ">= 0.3")
        over(gan, lambda r: max(s[k]["rho_stat_fd"] for k in r), lambda v: v < 0.5, "gan_js_does_not_track",
             "Fig. 4: the GAN's own JS estimate does not fall with FD in a run that learned (Spearman(JS bound, "
             "FD))", "< 0.5")
        over(gan, lambda r: max(s[k]["rho_loss_g_fd"] for k in r), lambda v: v < 0.5, "gan_cost_does_not_track",
             "Fig. 8: nor does its generator cost (Spearman(cost, FD))", "< 0.5")
        hl = s["wgan_mlp_mlp_high_lr"]
        claims.append(claim("high_lr_fails", "Fig. 3 bottom: MLP generator and critic at a high learning rate fail "
                            "to learn: FD falls by less than 1.5x (final / first)", "> 0.67",
                            hl["fd"][-1] / hl["fd"][0], hl["fd"][-1] / hl["fd"][0] > 2 / 3))
    else:
        needs_full = ["dcgan_runs_learned", "probe_tracks_fd", "probe_js_near_ln2", "across_runs_order",
                      "wgan_changes_track_fd", "gan_js_does_not_track", "gan_cost_does_not_track", "high_lr_fails"]
    return {"runs": {k: {**s[k], "label": runs[k]["label"], "samples": _stages(runs[k]["samples"])} for k in names},
            "names": names, "needs_full_run": needs_full, "claims": claims,
            "settings": {"data": "MNIST, 4,000 training digits, 16 x 16", "width": mnist_runs.WIDTH,
                         "wgan_lr": mnist_runs.WGAN_LR, "probe_steps": mnist_runs.probe_steps(quick),
                         "steps": {k: mnist_runs.steps_for(k, quick)[0] for k in names}}}


def plot(result: dict):
    """Per run: the training statistic (raw and median-filtered) beside FD, and the probes;
    samples at three stages."""
    import matplotlib.pyplot as plt

    from gan.rundir import image_grid

    names = result["names"]
    rows = max(1, (len(names) + 1) // 2)
    fig, axes = plt.subplots(rows, 4, figsize=(21, 4.4 * rows), squeeze=False,
                             gridspec_kw={"width_ratios": [1.25, 1, 1.25, 1]})
    for i, k in enumerate(names):
        r = result["runs"][k]
        a = axes[i % rows, 2 * (i // rows)]
        steps = np.asarray(r["log_steps"])
        raw = np.asarray(r["log_stat"])
        w = max(1, min(51, len(raw) - (len(raw) % 2 == 0)))
        label = {"em_estimate": "EM estimate (training critic)", "js_lower_bound": "JS lower bound L/2 + ln 2"}[r["stat_key"]]
        a.plot(steps, raw, color="C0", alpha=0.25, lw=0.7)
        a.plot(steps, median_filter(raw, size=w, mode="nearest"), color="C0", lw=1.8, label=f"{label} (median {w})")
        if r["stat_key"] == "js_lower_bound":
            a.axhline(LN2, color="gray", ls=":", lw=1)
        if "probe_em" in r:
            key = "probe_em" if r["stat_key"] == "em_estimate" else "probe_js"
            a.plot(r["probe_steps"], r[key], "D", ms=4, color="C2",
                   label="fresh critic's estimate" if key == "probe_em" else "fresh discriminator's JS estimate")
        a.set(xlabel="generator steps", ylabel=label, title=r["label"])
        b = a.twinx()
        b.plot(r["steps"], r["fd"], "s--", ms=4, color="C3", label="FD to held-out digits")
        b.set_yscale("log")
        b.set_ylabel("FD (lower = better samples)")
        b.grid(False)
        a.legend(loc="upper center", fontsize=7)
        b.legend(loc="upper right", fontsize=7)
        s = a.text(0.02, 0.03, f"Spearman(statistic, FD) {r['rho_stat_fd']:+.2f}; of changes {r['rho_dstat_dfd']:+.2f}"
                   + (f"; fresh critic {r['rho_probe_fd']:+.2f}" if "rho_probe_fd" in r else ""),
                   transform=a.transAxes, fontsize=7)
        s.set_bbox(dict(facecolor="white", alpha=0.7, lw=0))
        kept = sorted(int(x) for x in r["samples"])  # three stages; fewer in a short --quick run
        picks = [kept[0], kept[len(kept) // 2], kept[-1]]
        sheets = [image_grid(np.asarray(r["samples"][str(p)] if str(p) in r["samples"] else r["samples"][p],
                                        dtype=np.uint8)[:16, ..., None], nrow=4) for p in picks]
        gap = np.full((sheets[0].shape[0], 4, 3), 255, np.uint8)
        ax_s = axes[i % rows, 2 * (i // rows) + 1]
        ax_s.imshow(np.concatenate([sheets[0], gap, sheets[1], gap, sheets[2]], axis=1))
        ax_s.set_title(f"samples at steps {picks[0]}, {picks[1]}, {picks[2]}", fontsize=9)
        ax_s.axis("off")
    fig.suptitle("Does the loss track sample quality? (WGAN Section 4.2; left: WGAN, Fig. 3; right: GAN, Fig. 4)")
    fig.tight_layout()
    return fig


def tables(result: dict) -> list[str]:
    """The write-up's Markdown after the table of claims: the statistics of each run."""
    lines = ["", "Per run (16 checkpoints; the fresh-critic probe at 8):", "",
             "| run | FD first -> last | Spearman(statistic, FD) | of changes | fresh critic vs FD | "
             "fresh JS estimate (min - max) |", "|---|---|---|---|---|---|"]
    for k in result["names"]:
        r = result["runs"][k]
        js = r.get("probe_js")
        lines.append(f"| {r['label']} | {fmt(r['fd'][0])} -> {fmt(r['fd'][-1])} | {fmt(r['rho_stat_fd'])} | "
                     f"{fmt(r['rho_dstat_dfd'])} | {fmt(r.get('rho_probe_fd', float('nan')))} | "
                     + (f"{fmt(min(js))} - {fmt(max(js))}" if js is not None and len(js) else "-") + " |")
    return lines


def main(argv: list[str] | None = None) -> dict:
    return toy_main(NAME, "WGAN Section 4.2, Figures 3, 4, 8: the loss against validated sample quality",
                    run, plot, argv, quick=QUICK)


if __name__ == "__main__":
    main()
