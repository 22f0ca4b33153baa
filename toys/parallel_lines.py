r"""WGAN Example 1 and Figure 1: learning parallel lines.

:math:`P_0` is uniform on :math:`\{0\} \times [0, 1]` and :math:`P_\theta` on
:math:`\{\theta\} \times [0, 1]`. Then :math:`W(P_0, P_\theta) = |\theta|`, while
:math:`JS = \ln 2`, :math:`KL = +\infty` and :math:`TV = 1` for every :math:`\theta \ne 0`
(and 0 at :math:`\theta = 0`): only EM is continuous in :math:`\theta`.

The toy checks this analytically, then from samples (exact EM between sampled lines;
histogram JS / TV / KL), then learns :math:`\theta` from :math:`\theta_0 = 1` by plain gradient
descent through (a) the exact EM, (b) a WGAN critic trained with weight clipping, (c) a GAN
discriminator trained to optimality, with the original (minimax) generator cost. (a) and (b)
reach :math:`\theta \approx 0`; (c) stalls, its gradient vanishing as the discriminator
saturates (Arjovsky & Bottou 2017, Theorem 2.4).

Run: ``python -m toys.parallel_lines [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm.auto import tqdm

import divergences as D
from gan.algorithm import iteration, make_players
from gan.lipschitz import OptimizerSpec
from gan.models import critic_mlp

from .common import claim, seed_all, single_threaded, toy_main

NAME = "parallel_lines"
LN2 = math.log(2.0)


def _line(x: float, z: np.ndarray) -> np.ndarray:
    return np.c_[np.full_like(z, x), z]


def _histograms(a: np.ndarray, b: np.ndarray, step: float, ybins: int):
    """2-D histograms on a common grid whose x-bins are centred on multiples of ``step``."""
    xedges = (np.arange(-1.0 / step - 1, 1.0 / step + 2) + 0.5) * step
    yedges = np.linspace(0.0, 1.0, ybins + 1)
    ha = np.histogram2d(a[:, 0], a[:, 1], bins=(xedges, yedges))[0]
    hb = np.histogram2d(b[:, 0], b[:, 1], bins=(xedges, yedges))[0]
    return ha, hb


def sweep(thetas: np.ndarray, n: int, rng: np.random.Generator, step: float) -> dict:
    """Analytic and sample values of W, JS, KL, TV over a grid of theta."""
    grid_z = (np.arange(n) + 0.5) / n  # the same quantile points on both lines
    out = {k: [] for k in ("w_grid", "w_sample", "w_1d_gap", "js_hist", "tv_hist", "kl_hist")}
    for th in thetas:
        out["w_grid"].append(D.wasserstein(_line(0.0, grid_z), _line(th, grid_z)))
        z0, z1 = rng.random(n), rng.random(n)
        a, b = _line(0.0, z0), _line(th, z1)
        out["w_sample"].append(D.wasserstein(a, b))
        # |theta| <= W(samples) <= |theta| + W1(z0, z1): the vertical mismatch of the samples
        out["w_1d_gap"].append(D.wasserstein(z0, z1))
        ha, hb = _histograms(a, b, step, ybins=10)
        out["js_hist"].append(D.js(ha, hb))
        out["tv_hist"].append(D.tv(ha, hb))
        out["kl_hist"].append(D.kl(ha, hb))
    return {k: np.array(v) for k, v in out.items()}


class Line(torch.nn.Module):
    """The generator of WGAN Example 1: g_theta(z) = (theta, z), z ~ U[0, 1]; one parameter."""

    def __init__(self, theta0: float = 1.0):
        super().__init__()
        self.theta = torch.nn.Parameter(torch.tensor(theta0))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.theta.expand(len(z)), z], 1)


def learn(kind: str, steps: int, lr: float, batch: int, n_critic: int, seed: int) -> dict:
    """Gradient descent on theta from 1 through the exact EM, a WGAN critic or a GAN discriminator.

    The critic and discriminator runs are the shared iteration (:func:`gan.algorithm.iteration`):
    ``n_critic`` critic steps, then one SGD step on theta through the trained critic.
    """
    torch.manual_seed(seed)
    G = Line(1.0)
    thetas, grads = [1.0], []

    def real() -> torch.Tensor:
        return torch.stack([torch.zeros(batch), torch.rand(batch)], 1)

    if kind == "em":
        opt = torch.optim.SGD(G.parameters(), lr=lr)
        u = (torch.arange(batch) + 0.5) / batch  # the same quantile points on both lines
        line0 = torch.stack([torch.zeros(batch), u], 1)
    else:
        critic_opt = OptimizerSpec("rmsprop", 5e-3) if kind == "wgan" else OptimizerSpec("adam", 1e-3)
        players = make_players(G, critic_mlp(2, hidden=64, depth=2), kind, lipschitz="clip",
                               constraint_kwargs={"c": 0.1}, optimizer=critic_opt,
                               generator_optimizer=OptimizerSpec("sgd", lr), gan_loss="minimax")
    for _ in tqdm(range(steps), desc=f"learn theta ({kind})", leave=False, disable=None):
        if kind == "em":
            opt.zero_grad()
            D.wasserstein(line0, G(u)).backward()
            opt.step()
        else:
            iteration(players, real, lambda: torch.rand(batch), n_critic)
        grads.append(abs(float(G.theta.grad)))
        thetas.append(float(G.theta.detach()))
    return {"theta": np.array(thetas), "grad": np.array(grads)}


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O). ``quick``: fewer samples and steps."""
    rng = seed_all(seed)
    step = 0.1 if quick else 0.05
    thetas = np.round(np.arange(-1.0, 1.0 + step / 2, step), 10)
    n = 300 if quick else 600
    s = sweep(thetas, n, rng, step)
    nz = thetas != 0
    i0 = int(np.flatnonzero(~nz)[0])

    steps = 150 if quick else 300
    curves = {k: learn(k, steps, lr=0.01, batch=128, n_critic=10, seed=seed)
              for k in ("em", "wgan", "gan")}
    final = {k: float(abs(v["theta"][-1])) for k, v in curves.items()}
    g = curves["gan"]["grad"]
    gan_decay = float(g[:5].mean() / max(g[-20:].mean(), 1e-300))

    err_grid = float(np.max(np.abs(s["w_grid"] - np.abs(thetas))))
    within = (s["w_sample"] >= np.abs(thetas) - 1e-12) & (s["w_sample"] <= np.abs(thetas) + s["w_1d_gap"] + 1e-12)
    claims = [
        claim("em_equals_abs_theta", "W(P0, Ptheta) = |theta| (WGAN, Example 1), exact EM on the "
              "lines' quantile points", "max |W - |theta|| <= 1e-9", err_grid, err_grid <= 1e-9),
        claim("em_samples_within_sampling_error",
              "EM between sampled lines lies in [|theta|, |theta| + W1(z, z')] (the vertical "
              "sampling mismatch)", f"{len(thetas)} of {len(thetas)} thetas",
              f"{int(within.sum())} of {len(thetas)} thetas", bool(within.all())),
        claim("js_is_ln2", "histogram JS = ln 2 for every theta != 0 (jumps from ~0 at theta = 0)",
              LN2, float(s["js_hist"][nz].min()),
              np.allclose(s["js_hist"][nz], LN2, atol=1e-12) and s["js_hist"][i0] < 0.05),
        claim("tv_is_1", "histogram TV = 1 for every theta != 0", 1.0, float(s["tv_hist"][nz].min()),
              np.allclose(s["tv_hist"][nz], 1.0, atol=1e-12)),
        claim("kl_is_inf", "histogram KL = +inf for every theta != 0", "inf",
              float(s["kl_hist"][nz].min()), np.all(np.isinf(s["kl_hist"][nz]))),
        claim("em_descent_converges", "descent on the exact EM from theta0 = 1 reaches |theta| < 0.05",
              "< 0.05", final["em"], final["em"] < 0.05),
        claim("wgan_critic_converges", "descent through a trained WGAN critic (clipping) reaches "
              "|theta| < 0.05", "< 0.05", final["wgan"], final["wgan"] < 0.05),
        claim("gan_discriminator_stalls", "descent through an optimal GAN discriminator (original "
              "cost) does not move: theta stays > 0.9", "> 0.9", final["gan"], final["gan"] > 0.9),
        claim("gan_gradient_vanishes", "its generator gradient falls by orders of magnitude "
              "(first 5 / last 20 steps)", ">= 100", gan_decay, gan_decay >= 100),
    ]
    return {
        "thetas": thetas, "n_samples": n, **s,
        "learning": {k: {"theta": v["theta"], "grad": v["grad"]} for k, v in curves.items()},
        "claims": claims,
        "settings": {"steps": steps, "lr": 0.01, "batch": 128, "n_critic": 10, "clip": 0.1},
    }


def plot(result: dict):
    """EM and JS against theta (WGAN Figure 1), learning curves and gradient magnitudes."""
    import matplotlib.pyplot as plt

    th = np.asarray(result["thetas"], dtype=float)
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    a = ax[0, 0]
    a.plot(th, np.abs(th), color="C0", label="analytic $|\\theta|$")
    a.plot(th, result["w_sample"], "o", ms=3, color="C1", label="exact EM between sampled lines")
    a.set(xlabel=r"$\theta$", ylabel=r"$W(P_0, P_\theta)$", title="Earth Mover distance")
    a.legend()
    a = ax[0, 1]
    js_analytic = np.where(th == 0, 0.0, math.log(2))
    a.plot(th, js_analytic, "o", ms=4, color="C0", label="analytic ($\\ln 2$ off 0)")
    a.plot(th, result["js_hist"], "x", ms=5, color="C1", label="histogram estimate")
    a.set(xlabel=r"$\theta$", ylabel=r"$JS(P_0, P_\theta)$", title="Jensen-Shannon divergence",
          ylim=(-0.05, 0.8))
    a.legend(loc="center right")
    labels = {"em": "exact EM", "wgan": "WGAN critic (clipping)", "gan": "GAN discriminator (minimax)"}
    for k, lab in labels.items():
        c = result["learning"][k]
        ax[1, 0].plot(c["theta"], label=lab)
        ax[1, 1].semilogy(np.where(c["grad"] > 0, c["grad"], np.nan), label=lab)  # 0: not drawn
    ax[1, 0].set(xlabel="generator step", ylabel=r"$\theta$", title=r"learning $\theta$ from $\theta_0 = 1$")
    ax[1, 0].legend()
    ax[1, 1].set(xlabel="generator step", ylabel=r"$|\partial\,\mathrm{loss} / \partial\theta|$",
                 title="generator gradient (log scale)")
    ax[1, 1].legend()
    fig.suptitle("WGAN Example 1: parallel lines")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    return toy_main(NAME, "WGAN Example 1 / Figure 1: EM is continuous in theta, JS, KL, TV are not",
                    run, plot, argv)


if __name__ == "__main__":
    main()
