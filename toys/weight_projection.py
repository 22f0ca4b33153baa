r"""WGAN Section 3: projecting the weights to a sphere instead of clipping makes "little difference".

Section 3 of the WGAN paper: "we experimented with simple variants (such as projecting the
weights to a sphere) with little difference". The same critic (a ReLU MLP 1-64-64-64-1, same
initialisation, same batches) is held in check by weight clipping to :math:`[-c, c]` and by
projection of every parameter tensor onto the sphere of radius :math:`c\sqrt{n}`
(:class:`gan.lipschitz.WeightSphere`: the sphere through the corners of clipping's box), c = 0.01.
Two things are compared, paired by seed, on the 1-D targets of :mod:`toys.affine_1d` (exact W):

* the critic's gradient to a fixed generator: its direction error :math:`1 - \cos` against the
  exact :math:`\nabla_\theta W` after 300 critic steps;
* a WGAN training the affine generator (Algorithm 1, :func:`gan.algorithm.iteration`,
  n_critic = 5) from :math:`N(0.8, 0.1^2)` towards :math:`N(0, 0.5^2)`: the exact W of the
  generator, averaged over the iterations (the area under its W curve, which weighs the whole
  run, not only its end).

"Little difference" is stated as an equivalence margin and tested TOST-style: the 90% Student-t
interval of the paired difference (sphere minus clipping) over 5 seeds lies inside
:math:`\pm` the margin (0.05 for 1 - cos; 10% of the clipping runs' mean for W). The margins are
this module's choice: the paper quantifies "little difference" nowhere, and neither names the
sphere's radius nor says on what the difference was seen (its experiments are image GANs).

Run: ``python -m toys.weight_projection [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np
import torch

from claims import MIN_SEEDS_TOY, Figure, claim, control, fmt, seed_all, single_threaded
from claims.stats import mean_interval
from gan.algorithm import iteration, make_players, train_critic
from gan.defaults import OptimizerSpec
from gan.lipschitz import WeightSphere
from gan.losses import wgan_generator_loss
from gan.models import critic_mlp
from toys import affine_1d as A
from toys.affine_1d import verdict_args


C = 0.01
START = (0.8, 0.1)
COS_MARGIN = 0.05
W_MARGIN = 0.10  # relative to the clipping runs' mean W


def players(kind: str, seed: int, with_generator: bool):
    """The players with clipping (``kind="clip"``) or with the sphere projection (``"sphere"``)."""
    torch.manual_seed(seed)
    g = A.generator(START) if with_generator else None
    p = make_players(g, critic_mlp(1, 64, 3), "wgan", lipschitz="clip", constraint_kwargs={"c": C},
                     optimizer=OptimizerSpec("rmsprop", 1e-3), generator_optimizer=OptimizerSpec("rmsprop", 5e-3))
    if kind == "sphere":
        p.constraint = WeightSphere(c=C)
        p.constraint.project(p.critic)
    return p


def gradient_error(kind: str, seed: int, steps: int) -> float:
    """1 - cos between the critic's generator gradient and the exact grad W after ``steps`` steps."""
    p = players(kind, seed, False)
    train_critic(p, A.batches(), steps)
    return 1.0 - A.cosine(A.generator_gradient(p.critic, wgan_generator_loss, n=5000), A.exact_gradient())


def train_generator(kind: str, seed: int, iterations: int) -> dict:
    """A WGAN run of the affine generator; theta and its exact W after every iteration, and how far
    the critic's parameters end from their constraint set (the largest |p| - c for clipping, the
    largest | |p| - c sqrt(n) | for the sphere)."""
    p = players(kind, seed, True)
    lin = p.generator[0]

    def theta():
        return float(lin.bias.detach()), float(lin.weight.detach())

    thetas = [theta()]
    for _ in range(iterations):
        iteration(p, lambda: A.REAL[0] + A.REAL[1] * torch.randn(256, 1), lambda: torch.randn(256, 1), 5)
        thetas.append(theta())
    with torch.no_grad():
        ps = list(p.critic.parameters())
        off = (max(float(q.abs().max()) - C for q in ps) if kind == "clip"
               else max(abs(float(q.norm()) - C * q.numel() ** 0.5) for q in ps))
    return {"theta": thetas, "w": [A.exact_w(t) for t in thetas], "off_constraint": off}


def tost(diff: list[float], margin: float) -> dict:
    """The 90% Student-t interval of the paired differences (two one-sided 5% tests) and whether it
    lies inside +-margin."""
    ci = mean_interval(diff, level=0.90)
    return {**ci, "margin": margin, "inside": bool(-margin < ci["lo"] and ci["hi"] < margin)}


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    seed_all(seed)
    seeds = [seed + k for k in range(2 if quick else MIN_SEEDS_TOY)]
    steps, iters = (60, 40) if quick else (300, 200)
    err = {k: [gradient_error(k, s, steps) for s in seeds] for k in ("clip", "sphere")}
    runs = {k: [train_generator(k, s, iters) for s in seeds] for k in ("clip", "sphere")}
    area = {k: [float(np.mean(r["w"][1:])) for r in v] for k, v in runs.items()}
    cos_t = tost([b - a for a, b in zip(err["clip"], err["sphere"])], COS_MARGIN)
    w_margin = W_MARGIN * float(np.mean(area["clip"]))
    w_t = tost([b - a for a, b in zip(area["clip"], area["sphere"])], w_margin)
    planted = tost([b - a + 2 * w_margin for a, b in zip(area["clip"], area["sphere"])], w_margin)
    fall = [r["w"][-1] / r["w"][0] for r in runs["clip"] + runs["sphere"]]
    decided = len(seeds) >= MIN_SEEDS_TOY
    controls = [
        control("the WGAN learns: the generator's exact W at the end is below half its W at the start, every seed and "
                "both constraints", max(fall) < 0.5, {"iterations": iters, "n_critic": 5}, {"max W_end / W_start": max(fall)},
                kind="learns"),
        control("the equivalence test detects a planted difference: the measured W differences shifted by twice the "
                "margin are not called equivalent", not planted["inside"], {"shift": 2 * w_margin},
                {"interval": [planted["lo"], planted["hi"]]}, kind="power"),
    ]
    how = verdict_args(decided, controls, len(seeds))

    def text(t):
        return f"{fmt(t['mean'])} [{fmt(t['lo'])}, {fmt(t['hi'])}]"

    off = max(r["off_constraint"] for v in runs.values() for r in v)
    claims = [
        claim("constraints_hold", "after training, every critic parameter lies in its constraint set: in [-c, c] "
              "(clipping) or on its sphere (projection) (largest excess; by construction)", "<= 1e-6", off,
              off <= 1e-6, "sanity"),
        claim("sphere_same_gradient", "the sphere-projected critic gives the generator the same gradient direction "
              f"as the clipped one: paired difference of 1 - cos (sphere - clip) after {steps} steps, 90% t-interval "
              f"over {len(seeds)} seeds inside +-{COS_MARGIN} (TOST; this module's margin for 'little difference')", f"inside +-{COS_MARGIN}", text(cos_t),
              cos_t["inside"] if decided else None, seeds=seeds, min_seeds=MIN_SEEDS_TOY,
              test={"statistic": "paired difference, 90% Student t interval (two one-sided tests at 5%)",
                    "interval": [cos_t["lo"], cos_t["hi"]], "threshold": COS_MARGIN, "n": len(seeds)}, **how),
        claim("sphere_same_training", "and trains the generator as well: paired difference of the exact W averaged "
              f"over {iters} iterations (sphere - clip), 90% t-interval inside +-{W_MARGIN:.0%} of the clipping runs' "
              f"mean ({fmt(w_margin)}, TOST; this module's margin)", f"inside +-{fmt(w_margin)}", text(w_t),
              w_t["inside"] if decided else None, seeds=seeds, min_seeds=MIN_SEEDS_TOY,
              test={"statistic": "paired difference, 90% Student t interval (two one-sided tests at 5%)",
                    "interval": [w_t["lo"], w_t["hi"]], "threshold": w_margin, "n": len(seeds)}, **how),
    ]
    needs_full = [c["id"] for c in claims if c["kind"] == "finding"] if quick else []
    claims = [c for c in claims if c["id"] not in needs_full]
    return {"claims": claims, "controls": controls, "seeds": seeds, "errors": err, "runs": runs, "area": area,
            "tost": {"gradient": cos_t, "training": w_t},
            "needs_full_run": needs_full,
            "settings": {"critic": "ReLU MLP 1-64-64-64-1", "c": C, "sphere_radius": "c sqrt(numel) per tensor",
                         "critic_steps": steps, "iterations": iters, "n_critic": 5, "start": START,
                         "optimizers": "RMSProp 1e-3 (critic), 5e-3 (generator)", "seeds": seeds}}


def plot(result: dict):
    """W against iterations for both constraints, theta's path, the paired differences against the margins."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(17, 4.8), gridspec_kw={"width_ratios": [2, 1.3, 1.3]})
    for k, color, label in (("clip", "C0", "weight clipping"), ("sphere", "C1", "projection to a sphere")):
        for i, r in enumerate(result["runs"][k]):
            ax[0].plot(r["w"], color=color, lw=1, alpha=0.8, label=label if i == 0 else None)
            t = np.asarray(r["theta"])
            ax[1].plot(t[:, 0], t[:, 1], color=color, lw=1, alpha=0.8, label=label if i == 0 else None)
    ax[0].set(xlabel="generator iterations (n_critic = 5)", ylabel="exact W(P_r, P_theta)",
              title="training the generator")
    ax[0].legend(fontsize=8)
    ax[1].plot(*START, "ks", label="start")
    ax[1].plot(*A.REAL, "k*", ms=12, label="target")
    ax[1].set(xlabel="mu", ylabel="sigma", title="the generator's path")
    ax[1].legend(fontsize=8)
    tost_ = result["tost"]
    diffs = {"gradient": [b - a for a, b in zip(result["errors"]["clip"], result["errors"]["sphere"])],
             "training": [b - a for a, b in zip(result["area"]["clip"], result["area"]["sphere"])]}
    for j, (key, label) in enumerate((("gradient", "1 - cos"), ("training", "mean W"))):
        t, m = tost_[key], tost_[key]["margin"]
        ax[2].plot([j] * len(diffs[key]), np.asarray(diffs[key]) / m, "o", color="C2", alpha=0.7)
        ax[2].errorbar([j + 0.15], [t["mean"] / m], yerr=[[(t["mean"] - t["lo"]) / m], [(t["hi"] - t["mean"]) / m]],
                       fmt="ks", capsize=4)
    ax[2].axhspan(-1, 1, color="gray", alpha=0.2, label="equivalence margin")
    ax[2].axhline(0, color="k", lw=0.5)
    ax[2].set_xticks([0, 1], ["gradient 1 - cos", "mean W"])
    ax[2].set(xlabel="statistic (paired by seed)", ylabel="sphere - clip, in margins", xlim=(-0.5, 1.5),
              title="little difference? (90% intervals)")
    ax[2].legend(fontsize=8)
    fig.suptitle("Projecting the weights to a sphere against clipping them (WGAN Section 3)")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="weight_projection",
    title="Projection to a sphere against clipping",
    source="WGAN, Section 3",
    claim='Projecting the critic\'s weights to a sphere instead of clipping them makes little difference.',
    quick="2 seeds instead of 5, 40 generator iterations instead of 200, 60 critic steps instead of 300",
    caption=(
        "Left: the exact W of the generator against WGAN iterations, weight clipping (blue) and "
        "projection to a sphere (orange), one line per seed. Middle: the generator's parameters "
        "(mu, sigma) along training, target (0, 0.5). Right: the paired differences (sphere minus "
        "clipping) of the two statistics per seed, divided by their margins, with the 90% intervals: "
        "inside the shaded band is 'little difference'."
    ),
    departures=(
        "The paper gives neither the sphere's radius nor its experiment; here every parameter tensor "
        "is projected onto the sphere through the corners of the clip box (radius c sqrt(n), c = 0.01). "
        "1-D toy: an affine generator, a ReLU MLP critic 1-64-64-64-1, RMSProp 1e-3 for the critic "
        "(20x the paper's rate) and 5e-3 for the generator, n_critic = 5, 200 iterations, batch 256."
    ),
    why={
        'sphere_same_gradient': "the two constraints give critics whose gradient directions differ beyond the margin.",
        'sphere_same_training': "the generator's W curve differs beyond the margin between the two constraints.",
    },
    run=run, plot=plot,
)


if __name__ == "__main__":
    FIGURE.main()
