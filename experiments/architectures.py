r"""Robustness across generators (WGAN Figures 5-7) and the Adam remark (Section 4.2), on digits.

The paper trains WGAN and the GAN with three generators and the DCGAN critic / discriminator:
the DCGAN generator (Figure 5: "both algorithms produce high quality samples"), the DCGAN
generator without batch norm and with a constant number of filters (Figure 6: "the standard GAN
failed to learn while the WGAN still was able to produce samples"), and a 4-layer ReLU MLP of
512 units (Figure 7: WGAN's samples are of "higher quality than the MLP of the standard GAN",
which shows "a significant degree of mode collapse"). Here the six runs are the trainer's on
real digits (:mod:`experiments.mnist_runs`), each scored by the validated FD and KID, by precision and
recall, and by the classifier's coverage (classes covered, class-histogram KL to uniform: the
validated mode-dropping measures; recall is validated too, but it is 0 for samples off the real
manifold, as both MLP generators' are, so it cannot tell their coverage apart).

Section 4.2's negative result: with Adam (beta1 > 0) on the critic, "WGAN training becomes
unstable at times", and "the cosine between the Adam step and the gradient usually turned
negative" then. The trainer logs that cosine at every critic step (``--log-step-cosine``, in
:class:`gan.algorithm.StepCosine`) for an Adam run and for the RMSProp run; an instability is a
rise of FD by more than 10% between consecutive checkpoints. For RMSProp the cosine is positive
by construction (a positive diagonal rescaling of the gradient): a sanity check.

Comparisons are at the runs' fixed budgets (1,600 GAN / 640 WGAN generator steps, about the same
time), not at convergence as in the paper.

Run: ``python -m experiments.architectures [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np

from claims import claim, fmt, toy_main

from . import mnist_runs

NAME = "architectures"
TITLE = "Robustness across generators"
SOURCE = "WGAN, Figures 5-7 and Section 4.2"
#: the paper's claim, in one sentence (the write-up's)
CLAIM = (
    'WGAN learns with generators the GAN cannot train (no batch norm, an MLP), the GAN shows mode'
    ' collapse with the MLP, and Adam on the critic makes WGAN unstable, its step turning against'
    ' the gradient.'
)
#: True when it spreads its own runs over the two worker processes (``python -m figures`` runs it alone)
POOLED = True
#: relative running time, to start the longest single-core toys first
COST = 1.0
QUICK = "only the two DCGAN runs, a few dozen steps: no verdict; the other claims need the full run"
#: what the figure's panels show (the write-up's caption)
CAPTION = (
    'Top two rows: samples of WGAN (top) and of the GAN (middle) with each generator, their '
    'scores above them. Bottom: FD along training with RMSProp and with Adam on the WGAN '
    "critic; the cosine between the critic optimiser's step and the negative gradient (mean "
    'over the critic steps of each generator step); the share of generator steps with a '
    'negative cosine in each checkpoint window (red where FD rose by more than 10%).'
)
#: every departure from the paper's settings
DEPARTURES = (
    "Real MNIST digits at 16 x 16 instead of LSUN bedrooms; the runs of 'Does the loss track "
    "sample quality?' (1,600 GAN / 640 WGAN generator steps: compared at these budgets, not at "
    'convergence); Adam at lr 2e-4, betas (0.5, 0.999) (the paper does not give its Adam '
    'settings).'
)
#: why a finding may disagree with the paper, by claim id (the write-up says it when one does)
WHY = {
    'fig6_wgan_beats_gan_without_bn': (
        'without batch norm the GAN trained as well as WGAN at this budget.'
    ),
    'fig6_wgan_learns_without_bn': (
        'WGAN without batch norm did not reduce FD 3x in its 640 steps.'
    ),
    'fig7_wgan_beats_gan_with_mlp': (
        'the MLP generator trained by the GAN reached a lower FD at these budgets.'
    ),
    'fig7_gan_mode_collapse': (
        "the GAN's MLP generator covered the classes as evenly as WGAN's."
    ),
    'fig5_both_learn': (
        'a DCGAN run did not reduce FD 3x or covered fewer than 8 classes.'
    ),
    'adam_unstable': (
        'with Adam, FD did not rise between checkpoints more often than with RMSProp at this scale.'
    ),
    'adam_cosine_turns_negative': (
        "Adam's step kept a positive cosine with the gradient throughout."
    ),
    'adam_cosine_coincides': (
        'negative cosines were not more frequent where FD rose (or FD never rose).'
    ),
}

GENERATORS = ("dcgan", "nobn", "mlp")
NAMES = [f"{a}_{g}" for g in GENERATORS for a in ("wgan", "gan")] + ["wgan_dcgan_adam"]
TITLES = {"dcgan": "DCGAN generator (Fig. 5)", "nobn": "no batch norm, constant width (Fig. 6)",
          "mlp": "4-layer ReLU MLP generator (Fig. 7)"}
METRICS = ("fd", "kid", "precision", "recall", "classes", "class_kl", "confident")


def final(rec: dict) -> dict:
    return {k: rec["evals"][-1][k] for k in METRICS}


def instabilities(rec: dict, rise: float = 1.1) -> tuple[list[int], list[float]]:
    """Checkpoint steps where FD rose by more than ``rise`` since the previous one, and the share
    of generator steps with a negative mean critic-step cosine in each checkpoint window."""
    ev = rec["evals"]
    steps = [r["step"] for r in ev]
    fd = [r["fd"] for r in ev]
    rises = [steps[i] for i in range(1, len(ev)) if fd[i] > rise * fd[i - 1]]
    cos = [(r["step"], r["critic_step_cosine"]) for r in rec["log"] if "critic_step_cosine" in r]
    bounds = [0] + steps
    neg = [float(np.mean([c < 0 for s, c in cos if lo < s <= hi] or [0.0])) for lo, hi in zip(bounds[:-1], bounds[1:])]
    return rises, neg


def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the experiment; the trainer's files go to temporary folders."""
    names = list(mnist_runs.QUICK_RUNS) if quick else NAMES
    runs = mnist_runs.train_runs(names, quick, seed)
    res = {k: {"final": final(runs[k]), "first_fd": runs[k]["evals"][0]["fd"], "label": runs[k]["label"],
               "samples": runs[k]["samples"][max(runs[k]["samples"])],
               "fd_curve": [(r["step"], r["fd"]) for r in runs[k]["evals"]]} for k in names}
    rms = [r["critic_step_cosine"] for r in runs["wgan_dcgan"]["log"] if "critic_step_cosine" in r]
    claims = [claim("rmsprop_cosine_positive", "RMSProp's step always has a positive cosine with the gradient "
                    "(a positive rescaling: by construction; min over the run's generator steps)", "> 0",
                    float(min(rms)), min(rms) > 0, "sanity")]
    needs_full = []
    f = {k: res[k]["final"] for k in names}
    learned = {k: f[k]["fd"] <= res[k]["first_fd"] / 3 for k in names}
    if not quick:
        adam = runs["wgan_dcgan_adam"]
        rises_adam, neg_adam = instabilities(adam)
        rises_rms, _ = instabilities(runs["wgan_dcgan"])
        steps = [r["step"] for r in adam["evals"]]
        neg_at_rise = [n for s, n in zip(steps, neg_adam) if s in rises_adam]
        neg_else = [n for s, n in zip(steps, neg_adam) if s not in rises_adam]
        res["adam"] = {"rises": rises_adam, "rises_rmsprop": rises_rms, "negative_share": neg_adam,
                       "steps": steps, "cosine": [(r["step"], r["critic_step_cosine"]) for r in adam["log"]
                                                  if "critic_step_cosine" in r],
                       "cosine_rmsprop": [(r["step"], r["critic_step_cosine"]) for r in runs["wgan_dcgan"]["log"]
                                          if "critic_step_cosine" in r]}
        all_neg = float(np.mean([c < 0 for _, c in res["adam"]["cosine"]]))
        claims += [
            claim("fig5_both_learn", "Fig. 5: with the DCGAN generator both algorithms learn (FD falls at least "
                  "3x, and at least 8 classes are covered)", "both",
                  {k: (round(f[k]["fd"], 1), f[k]["classes"]) for k in ("wgan_dcgan", "gan_dcgan")},
                  all(learned[k] and f[k]["classes"] >= 8 for k in ("wgan_dcgan", "gan_dcgan"))),
            claim("fig6_wgan_beats_gan_without_bn", "Fig. 6: without batch norm the GAN does worse than WGAN "
                  "(final FD of the GAN / WGAN's; the paper: the GAN fails to learn)", "> 1",
                  f["gan_nobn"]["fd"] / f["wgan_nobn"]["fd"], f["gan_nobn"]["fd"] > f["wgan_nobn"]["fd"]),
            claim("fig6_wgan_learns_without_bn", "Fig. 6: and WGAN still produces samples without batch norm (FD "
                  "falls at least 3x)", "learns", round(f["wgan_nobn"]["fd"], 1), learned["wgan_nobn"]),
            claim("fig7_wgan_beats_gan_with_mlp", "Fig. 7: with the MLP generator WGAN's samples are better than "
                  "the GAN's (final FD of the GAN / WGAN's)", "> 1", f["gan_mlp"]["fd"] / f["wgan_mlp"]["fd"],
                  f["gan_mlp"]["fd"] > f["wgan_mlp"]["fd"]),
            claim("fig7_gan_mode_collapse", "Fig. 7: the MLP generator's GAN shows mode collapse: fewer classes "
                  "covered and a class histogram further from uniform than WGAN's (the classifier's coverage; "
                  "GAN, WGAN)", "fewer classes, higher class KL",
                  {"classes": (f["gan_mlp"]["classes"], f["wgan_mlp"]["classes"]),
                   "class_kl": (round(f["gan_mlp"]["class_kl"], 3), round(f["wgan_mlp"]["class_kl"], 3))},
                  f["gan_mlp"]["classes"] < f["wgan_mlp"]["classes"] and f["gan_mlp"]["class_kl"] > f["wgan_mlp"]["class_kl"]),
            claim("adam_unstable", "Sec. 4.2: with Adam on the critic, training is unstable at times: FD rises by "
                  "more than 10% between checkpoints more often than with RMSProp", f"> {len(rises_rms)}",
                  len(rises_adam), len(rises_adam) > len(rises_rms)),
            claim("adam_cosine_turns_negative", "Sec. 4.2: the cosine between the Adam step and the gradient turns "
                  "negative (share of generator steps with a negative mean cosine)", "> 0", all_neg, all_neg > 0),
            claim("adam_cosine_coincides", "Sec. 4.2: and it is negative more often where FD rose than elsewhere "
                  "(share in rising windows vs others)", "higher where FD rose",
                  (round(float(np.mean(neg_at_rise)), 3) if neg_at_rise else "no rise",
                   round(float(np.mean(neg_else)), 3) if neg_else else "none"),
                  bool(neg_at_rise) and bool(neg_else) and np.mean(neg_at_rise) > np.mean(neg_else)),
        ]
    else:
        needs_full = ["fig5_both_learn", "fig6_wgan_beats_gan_without_bn", "fig6_wgan_learns_without_bn",
                      "fig7_wgan_beats_gan_with_mlp", "fig7_gan_mode_collapse", "adam_unstable",
                      "adam_cosine_turns_negative", "adam_cosine_coincides"]
    return {"runs": res, "names": names, "needs_full_run": needs_full, "claims": claims,
            "settings": {"data": "MNIST, 4,000 training digits, 16 x 16", "critic": "DCGAN, width 32",
                         "steps": {k: mnist_runs.steps_for(k, quick)[0] for k in names},
                         "adam": "Adam lr 2e-4, betas (0.5, 0.999) on both players"}}


def plot(result: dict):
    """Sample sheets of both algorithms with each generator, with their scores; Adam vs RMSProp."""
    import matplotlib.pyplot as plt

    from gan.rundir import image_grid

    runs = result["runs"]
    full = "adam" in runs
    fig, axes = plt.subplots(3 if full else 2, 3, figsize=(15, 15 if full else 10), squeeze=False)
    for j, g in enumerate(GENERATORS):
        for i, algo in enumerate(("wgan", "gan")):
            a = axes[i, j]
            k = f"{algo}_{g}"
            a.axis("off")
            if k not in runs:
                a.set_title(f"{algo.upper()}, {TITLES[g]}: full run only", fontsize=9)
                continue
            r = runs[k]["final"]
            a.imshow(image_grid(np.asarray(runs[k]["samples"], dtype=np.uint8)[:36, ..., None], nrow=6))
            a.set_title(f"{algo.upper()}, {TITLES[g]}\nFD {r['fd']:.0f}  KID {r['kid']:.1f}  precision "
                        f"{r['precision']:.2f}  recall {r['recall']:.2f}\nclasses {r['classes']}  class KL "
                        f"{r['class_kl']:.2f}  confident {r['confident']:.2f}", fontsize=9)
    if full:
        ad = runs["adam"]
        a = axes[2, 0]
        for k, lab in (("wgan_dcgan", "RMSProp (Algorithm 1)"), ("wgan_dcgan_adam", "Adam, beta1 = 0.5")):
            s, v = zip(*runs[k]["fd_curve"])
            a.plot(s, v, "o-", ms=3, label=lab)
        for x in ad["rises"]:
            a.axvline(x, color="C1", alpha=0.3)
        a.set(xlabel="generator steps", ylabel="FD", yscale="log", title="WGAN critic optimiser: quality")
        a.legend(fontsize=8)
        a = axes[2, 1]
        for key, lab, col in (("cosine_rmsprop", "RMSProp", "C0"), ("cosine", "Adam", "C1")):
            s, c = zip(*ad[key])
            a.plot(s, c, lw=0.6, color=col, label=lab)
        a.axhline(0, color="k", lw=0.8)
        for x in ad["rises"]:
            a.axvline(x, color="C1", alpha=0.3)
        a.set(xlabel="generator steps", ylabel="cos(step, -gradient), mean over critic steps",
              title="the optimiser's step against the gradient (shaded: FD rose >10%)")
        a.legend(fontsize=8)
        a = axes[2, 2]
        a.bar(range(len(ad["steps"])), ad["negative_share"], color=["C3" if s in ad["rises"] else "C7" for s in ad["steps"]])
        a.set_xticks(range(len(ad["steps"])), [str(s) for s in ad["steps"]], rotation=90, fontsize=7)
        a.set(xlabel="checkpoint (red: FD rose)", ylabel="share of steps with a negative cosine",
              title="Adam: negative cosines by checkpoint window")
    fig.suptitle("Robustness across generators (WGAN Figs. 5-7) and Adam on the critic (Sec. 4.2), MNIST 16x16")
    fig.tight_layout()
    return fig


def tables(result: dict) -> list[str]:
    """The write-up's Markdown after the table of claims: the final scores of each run."""
    lines = ["", "Final scores:", "", "| run | FD | KID | precision | recall | classes | class KL | confident |",
             "|---|---|---|---|---|---|---|---|"]
    for k in result["names"]:
        f = result["runs"][k]["final"]
        lines.append(f"| {result['runs'][k]['label']} | {fmt(f['fd'])} | {fmt(f['kid'])} | {fmt(f['precision'])} | "
                     f"{fmt(f['recall'])} | {f['classes']} | {fmt(f['class_kl'])} | {fmt(f['confident'])} |")
    return lines


def main(argv: list[str] | None = None) -> dict:
    return toy_main(NAME, "WGAN Figures 5-7 and Section 4.2: generators without batch norm or convolutions, "
                    "and Adam on the critic", run, plot, argv, quick=QUICK)


if __name__ == "__main__":
    main()
