r"""WGAN Section 3: a large clip is slow to reach optimality, a small one vanishes with depth.

Section 3 of the WGAN paper on weight clipping: "If the clipping parameter is large, then it can
take a long time for any weights to reach their limit, thereby making it harder to train the
critic till optimality. If the clipping is small, this can easily lead to vanishing gradients
when the number of layers is big, or batch normalization is not used (such as in RNNs)."

**Large c.** A ReLU MLP critic 1-64-64-64-1 is trained on :math:`N(0, 0.5^2)` against
:math:`N(0.3, 0.2^2)` (:mod:`toys.affine_1d`) for each c in 0.003 ... 0.3. Its time to
optimality is the first step at which its estimate :math:`E_r f - E_\theta f` (on fixed samples
of 5,000) reaches 90% of its value at the last step; beside it, the share of weights at the
clip limit. Finding: per seed, the slope of log time against log c; its 95% t-interval over 5
seeds lies above 0.

**Small c.** With c = 0.01, critics of depth 2, 4 and 8 (hidden layers of 64), with and without
batch norm (``gan.models.mlp(batch_norm=True)``: batch norm before each ReLU; its affine
parameters are clipped too, as the reference code clamps ``netD.parameters()``), are trained 100
steps; then the norm of the critic loss's gradient with respect to each linear layer's weight
is read on a fresh pair of batches (real and fake apart, as the critic step does). Findings:
without batch norm, the gradient of the second linear layer (the first 64 -> 64 one) falls with
depth (per-seed slope of log10 of its norm against depth, interval below 0); with batch norm it
falls less (paired difference of the slopes, interval above 0). Not the first layer: with batch
norm after it and a 1-D input, each unit's single weight is normalised away and its gradient is
0 by construction.

The paper's sentence names two conditions ("when the number of layers is big, or batch
normalization is not used"), each enough on its own; it does not say that batch norm changes how
the gradient falls with depth, nor does it measure anything. The batch-norm finding is therefore
this module's reading, sourced *beyond the papers* (:data:`BN_SOURCE`), not a claim of the paper.

Measured (5 seeds): batch norm makes it vanish *faster* here. The critic's loss is a batch mean
of f, and each batch is normalised on its own, so the part of the back-propagated gradient that
is constant across the batch (most of it, for a nearly linear critic) is removed by every batch
norm's mean subtraction; clipping also holds its scale gamma at 0.01 or less.

Run: ``python -m toys.weight_clipping [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from claims import MIN_SEEDS_TOY, Figure, claim, control, fmt, seed_all, single_threaded
from claims.stats import mean_interval
from gan.algorithm import make_players, train_critic
from gan.defaults import OptimizerSpec
from gan.losses import em_estimate
from gan.models import critic_mlp, mlp
from toys import affine_1d as A
from toys.affine_1d import verdict_args

#: the batch-norm finding: the paper names "batch normalization is not used" as a condition of vanishing, beside depth;
#: it does not claim that batch norm changes how the gradient falls with depth, so that reading is beyond the papers
BN_SOURCE = ("beyond the papers (a reading of WGAN, Section 3: small clipping 'can easily lead to vanishing gradients "
             "when the number of layers is big, or batch normalization is not used')")

LR = 1e-3
EVAL = 5000
LAYER = 1  # the linear layer whose gradient is read against depth (0 = input layer)
C_LEARNS = 0.01  # the paper's clip: the setup learns there


def _players(net: nn.Module, c: float):
    return make_players(None, net, "wgan", lipschitz="clip", constraint_kwargs={"c": c},
                        optimizer=OptimizerSpec("rmsprop", LR))


def time_to_optimality(c: float, seed: int, checkpoints: list[int]) -> dict:
    """Train a clipped critic; its estimate and the share of weights at the limit at each checkpoint."""
    torch.manual_seed(seed)
    p = _players(critic_mlp(1, 64, 3), c)
    big = torch.Generator().manual_seed(11)
    xr = A.REAL[0] + A.REAL[1] * torch.randn(EVAL, 1, generator=big)
    xf = A.generator()(torch.randn(EVAL, 1, generator=big)).detach()
    draw, done = A.batches(), 0
    est, at_limit = [], []
    for step in checkpoints:
        train_critic(p, draw, step - done)
        done = step
        with torch.no_grad():
            est.append(float(em_estimate(p.critic(xr), p.critic(xf))))
            w = torch.cat([q.flatten() for q in p.critic.parameters()])
            at_limit.append(float((w.abs() >= c * (1 - 1e-6)).float().mean()))
    return {"estimate": est, "at_limit": at_limit, "t90": t90(checkpoints, est), "max_weight": float(w.abs().max())}


def t90(checkpoints: list[int], estimate: list[float]) -> int:
    """The first checkpoint at which the estimate reaches 90% of its last value."""
    e = np.asarray(estimate)
    return int(checkpoints[int(np.argmax(e >= 0.9 * e[-1]))])


def clipped_critic(depth: int, batch_norm: bool) -> nn.Module:
    """A ReLU MLP critic 1-64-...-64-1 with ``depth`` hidden layers, with or without batch norm."""
    if not batch_norm:
        return critic_mlp(1, 64, depth)
    return nn.Sequential(*mlp(1, 1, 64, depth, batch_norm=True), nn.Flatten(0))


def layer_gradients(depth: int, batch_norm: bool, seed: int, steps: int, c: float = 0.01) -> list[float]:
    """Norm of the critic loss's gradient for each linear layer's weight (input layer first),
    after ``steps`` clipped steps, on a fresh pair of batches."""
    torch.manual_seed(seed)
    p = _players(clipped_critic(depth, batch_norm), c)
    draw = A.batches()
    train_critic(p, draw, steps)
    real, fake = draw()
    p.critic.zero_grad(set_to_none=True)
    loss = -em_estimate(p.critic(real), p.critic(fake))  # the critic's loss (real and fake pass apart)
    loss.backward()
    return [float(m.weight.grad.norm()) for m in p.critic.modules() if isinstance(m, nn.Linear)]


def slope(x, y) -> float:
    """Least-squares slope of y on x."""
    return float(np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)[0])


def planted_power(xs: list[float], sign: int, noise: float, n: int, rng: np.random.Generator) -> bool:
    """Does the per-seed slope interval exclude 0 (on the side ``sign``) for a planted unit slope
    with the measured noise added, over ``n`` seeds?"""
    slopes = [slope(xs, sign * np.asarray(xs) + noise * rng.standard_normal(len(xs))) for _ in range(n)]
    ci = mean_interval(slopes)
    return bool(ci["lo"] > 0) if sign > 0 else bool(ci["hi"] < 0)


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    rng = seed_all(seed)
    seeds = [seed + k for k in range(2 if quick else MIN_SEEDS_TOY)]
    cs = [0.01, 0.1] if quick else [0.003, 0.01, 0.03, 0.1, 0.3]
    top = 60 if quick else 600
    checkpoints = [t for t in (5, 10, 20, 40, 80, 120, 160, 240, 320, 450) if t < top] + [top]
    sweep = {c: [time_to_optimality(c, s, checkpoints) for s in seeds] for c in cs}
    logc = np.log10(cs)
    c_slopes = [slope(logc, np.log10([sweep[c][i]["t90"] for c in cs])) for i in range(len(seeds))]
    c_ci = mean_interval(c_slopes)
    depths = [2, 4] if quick else [2, 4, 8]
    dsteps = 20 if quick else 100
    grads = {bn: {d: [layer_gradients(d, bn, s, dsteps) for s in seeds] for d in depths} for bn in (False, True)}
    # the second linear layer (64 -> 64), the lowest with more than one input: with batch norm, the first
    # layer's gradient is 0 by construction in 1-D (each unit's single weight is normalised away)
    first = {bn: [[np.log10(grads[bn][d][i][LAYER]) for d in depths] for i in range(len(seeds))] for bn in (False, True)}
    d_slopes = {bn: [slope(depths, f) for f in first[bn]] for bn in (False, True)}
    plain_ci = mean_interval(d_slopes[False])
    gap = [b - a for a, b in zip(d_slopes[False], d_slopes[True])]
    gap_ci = mean_interval(gap)
    decided = len(seeds) >= MIN_SEEDS_TOY
    half = len(checkpoints) // 2
    plateau = [abs(r["estimate"][-1] / r["estimate"][half] - 1) for r in sweep[C_LEARNS]]
    noise_c = float(np.std([np.log10([sweep[c][i]["t90"] for c in cs]) for i in range(len(seeds))], axis=0).mean())
    noise_d = float(np.std(np.asarray(first[False]), axis=0).mean())
    controls = [
        control(f"the critic with the paper's clip (c = {C_LEARNS}) reaches its optimum: its estimate at the last "
                f"step within 5% of its estimate at step {checkpoints[half]}, every seed", max(plateau) < 0.05,
                {"c": C_LEARNS, "steps": top}, {"max relative change": max(plateau)}, kind="learns"),
        control("the slope statistics detect a planted unit slope (up for time against c, down for the gradient "
                "against depth) with the measured seed-to-seed noise, over as many seeds",
                planted_power(list(logc), 1, noise_c, len(seeds), rng)
                and planted_power(depths, -1, noise_d, len(seeds), rng),
                {"seeds": len(seeds)}, {"noise log10 t90": noise_c, "noise log10 grad": noise_d}, kind="power"),
    ]
    how = verdict_args(decided, controls, len(seeds))

    def ci_text(ci):
        return f"{fmt(ci['mean'])} [{fmt(ci['lo'])}, {fmt(ci['hi'])}]"

    excess = max(r["max_weight"] / c for c in cs for r in sweep[c])
    claims = [
        claim("weights_inside_the_box", "after training every critic parameter lies in [-c, c] (largest |p| / c over "
              "the sweep; by construction)", "<= 1", excess, excess <= 1 + 1e-6, "sanity"),
        claim("large_c_slow", "a large clip takes longer to reach optimality: per-seed slope of log10(steps to 90% of "
              f"the final estimate) against log10 c ({len(cs)} values of c), 95% t-interval over {len(seeds)} seeds "
              "above 0", "> 0", ci_text(c_ci), bool(c_ci["lo"] > 0) if decided else None, seeds=seeds,
              min_seeds=MIN_SEEDS_TOY, test={"statistic": "per-seed least-squares slope, 95% Student t interval",
                                             "interval": [c_ci["lo"], c_ci["hi"]], "n": len(seeds)}, **how),
        claim("small_c_vanishes_with_depth", "with c = 0.01 and no batch norm the lower layers' gradient vanishes as "
              "layers are added: per-seed slope of log10 |grad W_2| (the first 64 -> 64 layer) against depth "
              f"({depths}), 95% t-interval below 0",
              "< 0", ci_text(plain_ci), bool(plain_ci["hi"] < 0) if decided else None, seeds=seeds,
              min_seeds=MIN_SEEDS_TOY, test={"statistic": "per-seed least-squares slope, 95% Student t interval",
                                             "interval": [plain_ci["lo"], plain_ci["hi"]], "n": len(seeds)}, **how),
        claim("batch_norm_prevents_vanishing", "batch norm slows the fall with depth (this module's reading; the paper "
              "names no batch norm as a condition of vanishing beside depth, not a change of the slope): the slope "
              "with batch norm minus the slope without (paired by seed), 95% t-interval above 0", "> 0",
              ci_text(gap_ci),
              bool(gap_ci["lo"] > 0) if decided else None, seeds=seeds, min_seeds=MIN_SEEDS_TOY,
              test={"statistic": "paired difference of per-seed slopes, 95% Student t interval",
                    "interval": [gap_ci["lo"], gap_ci["hi"]], "n": len(seeds)}, source=BN_SOURCE, **how),
    ]
    needs_full = [c["id"] for c in claims if c["kind"] == "finding"] if quick else []
    claims = [c for c in claims if c["id"] not in needs_full]
    return {"claims": claims, "controls": controls, "cs": cs, "checkpoints": checkpoints, "seeds": seeds,
            "sweep": {str(c): v for c, v in sweep.items()}, "c_slopes": c_slopes, "depths": depths,
            "grads": {("bn" if bn else "plain"): {str(d): v for d, v in g.items()} for bn, g in grads.items()},
            "depth_slopes": {"plain": d_slopes[False], "bn": d_slopes[True]},
            "needs_full_run": needs_full,
            "settings": {"critic": "ReLU MLP 1-64-...-64-1", "optimizer": f"RMSProp {LR}", "batch": 256,
                         "c_sweep_steps": top, "depth_sweep_steps": dsteps, "depth_sweep_c": 0.01, "seeds": seeds}}


def plot(result: dict):
    """Estimate curves per c, time to optimality against c, per-layer gradients, first layer against depth."""
    import matplotlib.pyplot as plt

    cs, steps, seeds = result["cs"], result["checkpoints"], result["seeds"]
    fig, ax = plt.subplots(1, 4, figsize=(21, 4.8))
    for j, c in enumerate(cs):
        r = result["sweep"][str(c)][0]
        e = np.asarray(r["estimate"])
        ax[0].plot(steps, e / e[-1], "-o", ms=3, color=f"C{j}", label=f"c = {c:g}")
    ax[0].axhline(0.9, color="gray", ls=":", label="90% of final")
    ax[0].set(xscale="log", xlabel="critic steps", ylabel="estimate / final estimate",
              title=f"reaching optimality (seed {seeds[0]})")
    ax[0].legend(fontsize=8)
    t = np.array([[r["t90"] for r in result["sweep"][str(c)]] for c in cs])
    lim = np.array([[r["at_limit"][-1] for r in result["sweep"][str(c)]] for c in cs])
    for i in range(len(seeds)):
        ax[1].plot(cs, t[:, i], "o-", color="C0", lw=0.7, alpha=0.7)
    ax[1].set(xscale="log", yscale="log", xlabel="clipping parameter c", ylabel="steps to 90% of final estimate",
              title="large c: slower to optimality")
    a2 = ax[1].twinx()
    a2.plot(cs, lim.mean(1), "s--", color="C3")
    a2.set_ylabel("share of weights at the limit (last step)", color="C3")
    a2.set_ylim(0, 1.05)
    for j, d in enumerate(result["depths"]):
        for kind, ls in (("plain", "-"), ("bn", "--")):
            g = np.exp(np.log(np.maximum(np.asarray(result["grads"][kind][str(d)]), 1e-30)).mean(0))
            ax[2].plot(range(1, len(g) + 1), g, ls, marker="o", ms=3, color=f"C{j}",
                       label=f"depth {d}" + (", batch norm" if kind == "bn" else ""))
    ax[2].set(yscale="log", xlabel="linear layer (1 = input)", ylabel="|grad of the weight|",
              title="per-layer gradients, c = 0.01")
    ax[2].legend(fontsize=7, ncol=2)
    for kind, color, label in (("plain", "C0", "no batch norm"), ("bn", "C1", "batch norm")):
        g = np.array([[result["grads"][kind][str(d)][i][LAYER] for d in result["depths"]] for i in range(len(seeds))])
        for row in g:
            ax[3].plot(result["depths"], row, "o-", color=color, lw=0.7, alpha=0.7)
        ax[3].plot([], [], "o-", color=color, label=label)
    ax[3].set(yscale="log", xlabel="number of hidden layers", ylabel="|grad of layer 2's weight| (first 64 -> 64)",
              title="small c: vanishing with depth")
    ax[3].legend(fontsize=8)
    fig.suptitle("Weight clipping (WGAN Section 3): large c is slow, small c vanishes with depth")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="weight_clipping",
    title="Weight clipping: too large or too small",
    source="WGAN, Section 3",
    claim=(
        'With a large clipping parameter the critic takes long to reach optimality; with a small one '
        'its gradients vanish as the number of layers grows, unless batch norm is used.'
    ),
    quick="2 seeds instead of 5; c in {0.01, 0.1} for 60 steps instead of 5 values for 600; depths 2 and 4 trained 20 steps",
    caption=(
        "Left: the critic's estimate E_r f - E_theta f divided by its final value against training "
        "steps, for each clipping parameter c (one seed). Second: the time to 90% of the final "
        "estimate against c (log-log, every seed) and the share of weights at the clip limit. Third: "
        "the gradient norm of each linear layer's weight (layer 1 = input) after 100 steps with "
        "c = 0.01, for depths 2, 4 and 8, without (solid) and with (dashed) batch norm. Right: the "
        "second layer's (the first 64 -> 64) gradient norm against depth, every seed."
    ),
    departures=(
        "The paper gives no experiment of this; here 1-D toy critics (ReLU MLPs of width 64), RMSProp "
        "at 1e-3 (20x the paper's rate: every weight moves about 1e-3 a step, so reaching the limit c "
        "takes about c / 1e-3 steps), batch 256, 600 steps for the c sweep and 100 for the depth sweep. The "
        "paper's critics are convolutional on images; with a 1-D input and batch norm after the first layer, "
        "that layer's gradient is 0 by construction, so the second layer's is read. The paper names batch norm only "
        "as a condition ('when the number of layers is big, or batch normalization is not used'); whether batch norm "
        "changes the fall with depth is this module's question, sourced beyond the papers."
    ),
    why={
        'large_c_slow': 'the critic reached 90% of its final estimate no later with a large clip than with a small one.',
        'small_c_vanishes_with_depth': "the lower layers' gradient did not fall with depth at c = 0.01.",
        'batch_norm_prevents_vanishing': (
            "each batch is normalised on its own and the critic's loss is a batch mean of f: batch norm's "
            "mean subtraction removes the part of the back-propagated gradient that is constant across the batch, "
            "most of it for a nearly linear critic, at every layer (and clipping holds its scale at 0.01 or less)."
        ),
    },
    run=run, plot=plot,
)


if __name__ == "__main__":
    FIGURE.main()
