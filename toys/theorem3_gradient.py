r"""WGAN Theorem 3: the generator's gradient is minus the critic's expected gradient at the fakes.

Theorem 3 of the WGAN paper: for the optimal critic f (the Kantorovich potential),
:math:`\nabla_\theta W(P_r, P_\theta) = -E_z[\nabla_\theta f(g_\theta(z))]`.

**Exactly, in 1-D.** P_r is 500 fixed points, :math:`P_\theta` the 500 points
:math:`g_\theta(z_i) = \mu + \sigma z_i` of fixed latents. Between two empirical measures on the
line the optimal transport is monotone and the Kantorovich potential is
:math:`f(t) = \int^t \mathrm{sign}(F_\theta(s) - F_r(s))\,ds` (it maximises
:math:`E_r f - E_\theta f = \int f'(F_\theta - F_r)`). At a fake point the slope is read at
the middle of its own jump of :math:`F_\theta` (it never ties with :math:`F_r` there). The
theorem's right-hand side :math:`-\frac1n\sum_i f'(g_i)(1, z_i)` is set against a central
difference of the exact W of :func:`divergences.wasserstein` over a grid of :math:`\theta`.
This checks the theorem's algebra on our code (the potential from the CDFs, W from the sorted
transport): it holds by construction, a *sanity* check, not a finding.

**With a trained clipped critic.** On :math:`N(0, 0.5^2)` against :math:`N(0.3, 0.2^2)`
(:mod:`toys.affine_1d`: W and :math:`\nabla_\theta W` in closed form), a ReLU MLP critic is
trained with weight clipping; it estimates :math:`K\,W` for an unknown K. If it is K times the
potential, the theorem gives :math:`-\nabla_\theta E_z f(g_\theta(z)) = K \nabla_\theta W`:
the gradient's *direction* is the exact one (cosine 1) and its *size* reads the same K as the
critic's value (:math:`K_{grad} / K_{value} = 1`, with :math:`K_{value} = (E_r f - E_\theta
f) / W` and :math:`K_{grad} = g\cdot\nabla W / |\nabla W|^2`). Both are findings: a clipped
critic need not be proportional to the potential (its kinks are where the architecture puts
them). Over 5 critic seeds, each a 95% Student-t interval.

**Sources.** Theorem 3's hypothesis is the *optimal* critic over all 1-Lipschitz functions; the
paper itself calls a clipped network a rough approximation of it ("To roughly approximate this
[...] train a neural network parameterized with weights w lying in a compact space", "up to an
irrelevant scaling factor and the capacity of the 'critic' f_w") and proves the clipped-family
version only "if the supremum in (2) is attained for some w" ("a pretty strong assumption").
A trained ReLU critic with c = 0.01 is not shown to attain it, so the two trained findings are
sourced *beyond the papers* (:data:`CLIPPED_SOURCE`): they measure what clipping and training
give, not the theorem; their thresholds (cosine 0.95, ratio 1 +- 0.1) are this module's choice.

Run: ``python -m toys.theorem3_gradient [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import divergences as D
from claims import MIN_SEEDS_TOY, Figure, claim, control, fmt, seed_all, single_threaded
from claims.stats import mean_interval
from gan.algorithm import make_players, train_critic
from gan.defaults import OptimizerSpec
from gan.losses import em_estimate, wgan_generator_loss
from gan.models import critic_mlp
from toys import affine_1d as A
from toys.affine_1d import verdict_args

#: the trained clipped critic's findings: not the theorem's hypothesis (the optimal critic), so beyond the papers
CLIPPED_SOURCE = ("beyond the papers (WGAN, Section 3 after Theorem 3: a clipped network is a rough approximation "
                  "of the theorem's optimal critic, 'up to an irrelevant scaling factor and the capacity of the critic')")

N_POINTS = 500
C = 0.01
COS_MIN = 0.95
RATIO_MARGIN = 0.10


def potential_slope(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    r"""The Kantorovich potential's slope :math:`\mathrm{sign}(F_\theta - F_r)` at each fake
    point ``g`` (equal-size samples), :math:`F_\theta` read at the middle of its jump."""
    n = len(g)
    xs = np.sort(x)
    rank = np.argsort(np.argsort(g)) + 1
    f_theta = (rank - 0.5) / n
    f_r = np.searchsorted(xs, g, side="right") / len(xs)
    return np.sign(f_theta - f_r)


def potential(x: np.ndarray, g: np.ndarray, at: np.ndarray) -> np.ndarray:
    r"""The potential :math:`f(t) = \int_{t_0}^t \mathrm{sign}(F_\theta - F_r)` at the points
    ``at``: exact at every point of ``x`` and ``g`` (it is linear between them), constant
    outside their range."""
    u = np.unique(np.concatenate([x, g]))
    f_r = np.searchsorted(np.sort(x), u, side="right") / len(x)
    f_t = np.searchsorted(np.sort(g), u, side="right") / len(g)
    f = np.concatenate([[0.0], np.cumsum(np.sign(f_t - f_r)[:-1] * np.diff(u))])
    return np.interp(at, u, f)


def theorem_gradient(x: np.ndarray, z: np.ndarray, theta: tuple[float, float]) -> np.ndarray:
    r"""Theorem 3's right-hand side :math:`-\frac1n\sum_i f'(g_\theta(z_i))\,(1, z_i)`."""
    g = theta[0] + theta[1] * z
    s = potential_slope(x, g)
    return -np.array([s.mean(), (s * z).mean()])


def finite_difference(x: np.ndarray, z: np.ndarray, theta: tuple[float, float], h: float = 1e-7) -> np.ndarray:
    """Central difference of the exact W (:func:`divergences.wasserstein`) in (mu, sigma)."""
    out = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        tp, tm = np.asarray(theta) + e, np.asarray(theta) - e
        out[i] = (D.wasserstein(x, tp[0] + tp[1] * z) - D.wasserstein(x, tm[0] + tm[1] * z)) / (2 * h)
    return out


class Mirrored(nn.Module):
    """x -> f(-x): a trained critic reflected, the optimal critic of the mirrored pair (a planted
    wrong gradient, the power control)."""

    def __init__(self, critic: nn.Module):
        super().__init__()
        self.critic = critic

    def forward(self, x):
        return self.critic(-x)


def train_clipped(seed: int, steps: int, checkpoints: list[int], grad_w: np.ndarray, w: float) -> dict:
    """Train one clipped critic on the default pair; at each checkpoint the cosine of its generator
    gradient with the exact one, K_value and K_grad."""
    torch.manual_seed(seed)
    players = make_players(None, critic_mlp(1, 64, 3), "wgan", lipschitz="clip", constraint_kwargs={"c": C},
                           optimizer=OptimizerSpec("rmsprop", 1e-3))
    draw = A.batches()
    big = torch.Generator().manual_seed(999)
    xr = A.REAL[0] + A.REAL[1] * torch.randn(20000, 1, generator=big)
    xf = A.generator()(torch.randn(20000, 1, generator=big)).detach()
    log = {"step": [], "cosine": [], "k_value": [], "k_grad": []}
    done = 0
    for step in checkpoints:
        train_critic(players, draw, step - done)
        done = step
        with torch.no_grad():
            k_value = float(em_estimate(players.critic(xr), players.critic(xf))) / w
        g = A.generator_gradient(players.critic, wgan_generator_loss)
        log["step"].append(step)
        log["cosine"].append(A.cosine(g, grad_w))
        log["k_value"].append(k_value)
        log["k_grad"].append(float(g @ grad_w / (grad_w @ grad_w)))
    grid = np.linspace(-1.5, 1.5, 301)
    with torch.no_grad():
        curve = players.critic(torch.as_tensor(grid, dtype=torch.float32)[:, None]).numpy()
    mirrored = A.generator_gradient(Mirrored(players.critic), wgan_generator_loss)
    return {**log, "curve": curve, "mirrored_cosine": A.cosine(mirrored, grad_w), "gradient": g.tolist()}


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    rng = seed_all(seed)
    # exact 1-D: empirical measures, the potential from the CDFs, against the exact W
    x = A.REAL[0] + A.REAL[1] * rng.standard_normal(N_POINTS)
    z = rng.standard_normal(N_POINTS)
    mus = np.linspace(-0.6, 0.6, 3 if quick else 6)
    sigmas = [0.2, 0.8] if quick else [0.1, 0.3, 0.6, 0.9]
    thetas = [(m, s) for m in mus for s in sigmas]
    lhs = np.array([finite_difference(x, z, t) for t in thetas])
    rhs = np.array([theorem_gradient(x, z, t) for t in thetas])
    exact_err = float(np.abs(lhs - rhs).max())
    g0 = A.THETA[0] + A.THETA[1] * z
    grid = np.linspace(-1.6, 1.6, 641)
    f = potential(x, g0, grid)
    dual = float(potential(x, g0, x).mean() - potential(x, g0, g0).mean())
    w_emp = float(D.wasserstein(x, g0))
    # trained clipped critics on the Gaussian pair
    steps = 150 if quick else 1000
    checkpoints = [c for c in (25, 50, 100, 200, 300, 500, 700) if c < steps] + [steps]
    grad_w, w = A.exact_gradient(), A.exact_w()
    seeds = [seed + k for k in range(2 if quick else MIN_SEEDS_TOY)]
    runs = [train_clipped(s, steps, checkpoints, grad_w, w) for s in seeds]
    cos = [r["cosine"][-1] for r in runs]
    ratio = [r["k_grad"][-1] / r["k_value"][-1] for r in runs]
    cos_ci, ratio_ci = mean_interval(cos), mean_interval(ratio)
    half = checkpoints.index(min(checkpoints, key=lambda c: abs(c - steps / 2)))
    plateau = [abs(r["k_value"][-1] / r["k_value"][half] - 1) for r in runs]
    mirrored = [r["mirrored_cosine"] for r in runs]
    controls = [
        control(f"the clipped critic's training has levelled off: K_value at the last step within 5% of K_value at step "
                f"{checkpoints[half]}, every seed", max(plateau) < 0.05, {"steps": steps, "seeds": len(seeds)},
                {"max relative change": max(plateau)}, kind="learns"),
        control(f"the cosine detects a wrong gradient where it is planted: each trained critic reflected, "
                f"x -> f(-x) (the optimal critic of the mirrored pair), gives cosine < {COS_MIN}",
                max(mirrored) < COS_MIN, {"seeds": len(seeds)}, {"cosines": mirrored}, kind="power"),
    ]
    decided = len(seeds) >= MIN_SEEDS_TOY
    cos_holds = bool(cos_ci["lo"] > COS_MIN) if decided else None
    ratio_holds = bool(1 - RATIO_MARGIN < ratio_ci["lo"] and ratio_ci["hi"] < 1 + RATIO_MARGIN) if decided else None
    how = verdict_args(decided, controls, len(seeds))
    claims = [
        claim("theorem3_exact_1d", "in 1-D between empirical measures, -E f'(g(z)) dg/dtheta with f the Kantorovich "
              f"potential (from the CDFs) equals the central difference of the exact W, at {len(thetas)} values of "
              "theta (max absolute difference; the theorem's algebra on our code, true by construction)", "< 1e-6",
              exact_err, exact_err < 1e-6, "sanity"),
        claim("potential_is_dual_optimal", "the potential reaches the dual value: E_r f - E_theta f = W exactly "
              "(absolute difference)", "< 1e-6", abs(dual - w_emp), abs(dual - w_emp) < 1e-6, "sanity"),
        claim("clipped_gradient_direction", "a clipped critic trained until its estimate levels off gives the "
              f"generator the direction of grad_theta W (not Theorem 3's hypothesis, the optimal critic: a question "
              f"beyond the papers): cosine between -grad E f(g(z)) and the exact gradient, 95% t-interval "
              f"over {len(seeds)} seeds above {COS_MIN} (this module's threshold)", f"> {COS_MIN}",
              f"{fmt(cos_ci['mean'])} [{fmt(cos_ci['lo'])}, {fmt(cos_ci['hi'])}]", cos_holds,
              test={"statistic": "cosine, 95% Student t interval over seeds", "interval": [cos_ci["lo"], cos_ci["hi"]],
                    "threshold": COS_MIN, "n": len(seeds)},
              seeds=seeds, min_seeds=MIN_SEEDS_TOY, source=CLIPPED_SOURCE, **how),
        claim("clipped_gradient_scale", "and its size is K |grad W| for the K the critic's value reads: "
              f"K_grad / K_value, 95% t-interval over {len(seeds)} seeds inside 1 +- {RATIO_MARGIN} (equivalence "
              "margin of this module's choosing; beyond the papers, as above)",
              f"inside [{1 - RATIO_MARGIN:g}, {1 + RATIO_MARGIN:g}]",
              f"{fmt(ratio_ci['mean'])} [{fmt(ratio_ci['lo'])}, {fmt(ratio_ci['hi'])}]", ratio_holds,
              test={"statistic": "K_grad / K_value, 95% Student t interval over seeds",
                    "interval": [ratio_ci["lo"], ratio_ci["hi"]], "n": len(seeds)},
              seeds=seeds, min_seeds=MIN_SEEDS_TOY, source=CLIPPED_SOURCE, **how),
    ]
    needs_full = [c["id"] for c in claims if c["kind"] == "finding"] if quick else []
    claims = [c for c in claims if c["id"] not in needs_full]
    return {"claims": claims, "controls": controls,
            "needs_full_run": needs_full,
            "exact": {"thetas": thetas, "finite_difference": lhs, "theorem": rhs, "max_error": exact_err,
                      "x": x, "g": g0, "grid": grid, "potential": f},
            "trained": {"seeds": seeds, "checkpoints": checkpoints, "runs": runs, "cosine": cos_ci,
                        "ratio": ratio_ci, "exact_gradient": grad_w, "exact_w": w,
                        "potential": _gaussian_potential(np.linspace(-1.5, 1.5, 301))},
            "settings": {"points": N_POINTS, "critic": "ReLU MLP 1-64-64-64-1", "clip": C, "steps": steps,
                         "optimizer": "RMSProp 1e-3", "batch": 256, "pair": "N(0, 0.5^2) vs N(0.3, 0.2^2)",
                         "seeds": seeds}}


def _gaussian_potential(grid: np.ndarray) -> np.ndarray:
    """The Kantorovich potential of the default Gaussian pair on ``grid`` (from the exact CDFs)."""
    from scipy import stats

    f_r = stats.norm.cdf(grid, *A.REAL)
    f_t = stats.norm.cdf(grid, *A.THETA)
    slope = np.sign(f_t - f_r)
    return np.concatenate([[0.0], np.cumsum(slope[:-1] * np.diff(grid))])


def plot(result: dict):
    """The exact potential, the theorem against the finite difference, the trained critics."""
    import matplotlib.pyplot as plt

    ex, tr = result["exact"], result["trained"]
    fig, ax = plt.subplots(1, 4, figsize=(20, 4.8))
    ax[0].hist(ex["x"], bins=40, density=True, alpha=0.4, color="C0", label="P_r (500 points)")
    ax[0].hist(ex["g"], bins=40, density=True, alpha=0.4, color="C1", label="P_theta (500 points)")
    a2 = ax[0].twinx()
    a2.plot(ex["grid"], ex["potential"], "k", label="Kantorovich potential f")
    a2.set_ylabel("f(x)")
    ax[0].set(xlabel="x", ylabel="density", title="exact 1-D: the potential from the CDFs")
    ax[0].legend(loc="upper left", fontsize=8)
    a2.legend(loc="upper right", fontsize=8)
    fd, th = np.asarray(ex["finite_difference"]), np.asarray(ex["theorem"])
    ax[1].plot(fd[:, 0], th[:, 0], "o", label="d/d mu")
    ax[1].plot(fd[:, 1], th[:, 1], "s", mfc="none", label="d/d sigma")
    lim = [min(fd.min(), th.min()) - 0.05, max(fd.max(), th.max()) + 0.05]
    ax[1].plot(lim, lim, "k:", lw=1)
    ax[1].set(xlabel="finite difference of the exact W", ylabel="-E f'(g(z)) dg/dtheta (Theorem 3)",
              title=f"Theorem 3, exactly (max error {ex['max_error']:.1e})")
    ax[1].legend(fontsize=8)
    grid = np.linspace(-1.5, 1.5, 301)
    pot = np.asarray(tr["potential"])
    ax[2].plot(grid, pot - pot[150], "k", lw=2.5, label="potential (exact CDFs)")
    for i, r in enumerate(tr["runs"]):
        c = np.asarray(r["curve"]) / r["k_value"][-1]
        ax[2].plot(grid, c - c[150], color=f"C{i}", lw=1, label=f"critic / K, seed {tr['seeds'][i]}")
    ax[2].set(xlabel="x", ylabel="f(x) - f(0)", title="trained clipped critics, rescaled by K")
    ax[2].legend(fontsize=7)
    steps = tr["checkpoints"]
    for i, r in enumerate(tr["runs"]):
        ax[3].plot(steps, r["cosine"], "-o", ms=3, color=f"C{i}")
        ax[3].plot(steps, np.asarray(r["k_grad"]) / np.asarray(r["k_value"]), "--s", ms=3, color=f"C{i}")
    ax[3].plot([], [], "k-o", ms=3, label="cosine with exact grad W")
    ax[3].plot([], [], "k--s", ms=3, label="K_grad / K_value")
    ax[3].axhline(COS_MIN, color="gray", ls=":", label=f"cosine threshold {COS_MIN}")
    ax[3].axhspan(1 - RATIO_MARGIN, 1 + RATIO_MARGIN, color="gray", alpha=0.15, label="ratio margin")
    ax[3].set(xscale="log", xlabel="critic steps", ylabel="cosine / ratio",
              title=f"cos {tr['cosine']['mean']:.3f}, ratio {tr['ratio']['mean']:.2f} (last step)")
    ax[3].legend(fontsize=8)
    fig.suptitle("WGAN Theorem 3: -E_z grad f(g(z)) = grad W, exactly and with a clipped critic")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="theorem3_gradient",
    title="Theorem 3: the generator's gradient from the critic",
    source="WGAN, Theorem 3",
    claim=(
        'grad_theta W(P_r, P_theta) = -E_z[grad_theta f(g_theta(z))] for the optimal critic, the '
        'solution f of max over ||f||_L <= 1 of E_r f - E_theta f (the Kantorovich potential). A weight-clipped '
        'network only "roughly" approximates f, "up to an irrelevant scaling factor and the capacity of the critic".'
    ),
    quick="2 critic seeds of 150 steps instead of 5 of 1,000, a 6-point theta grid instead of 24",
    caption=(
        'Left: the exact 1-D case: the two empirical measures (histograms) and the Kantorovich '
        'potential f built from their CDFs. Second: the theorem\'s -E f\'(g(z)) dg/dtheta against a '
        'central difference of the exact W over a grid of theta (d/d mu and d/d sigma; the diagonal '
        'is equality). Third: the trained clipped critics divided by their K, beside the potential of '
        'N(0, 0.5^2) against N(0.3, 0.2^2). Right: the cosine between the critic\'s generator gradient '
        'and the exact one, and K_grad / K_value, against critic steps, one line per seed.'
    ),
    departures=(
        'The paper proves the theorem and shows no experiment of it. Here: 1-D, an affine generator '
        'mu + sigma z; the critic a ReLU MLP 1-64-64-64-1 with clipping c = 0.01, trained by RMSProp '
        "at 1e-3 (20x the paper's rate) for 1,000 steps of batch 256 with the generator fixed. The theorem is about "
        "the optimal critic; the trained clipped critic does not meet that hypothesis (the paper proves nothing for it "
        "unless the supremum is attained in the clipped family), so its two findings are sourced beyond the papers, "
        "with thresholds of this module's choosing (cosine > 0.95; K_grad / K_value within 1 +- 0.1)."
    ),
    why={
        'clipped_gradient_direction': (
            "the clipped critic is not K times the potential: its kinks sit where clipping puts them, "
            "not at the crossings of the CDFs, so the sigma component of its gradient is off."
        ),
        'clipped_gradient_scale': (
            'the slope of the clipped critic at the fakes is not the K its value gap reads: the '
            'critic is not uniformly K-Lipschitz-tight.'
        ),
    },
    run=run, plot=plot, cost=0.8,
)


if __name__ == "__main__":
    FIGURE.main()
