r"""*Towards Principled Methods*, Theorems 2.1-2.6 and Figures 1-3, at toy scale.

Real data lie on a 2-D manifold embedded in :math:`\mathbb R^{16}` (a fixed random smooth map
of :math:`U[-1, 1]^2`); a small generator maps a 2-D latent into :math:`\mathbb R^{16}`, so its
samples lie on another 2-D manifold (Lemma 1). The generator is trained by a standard GAN
(the DCGAN baseline's -log D loss, Adam 2e-4, beta1 0.5) to three stages, the analogue of the
paper's 1, 10 and 25 epochs. At each stage it is frozen and a discriminator is trained from
scratch, logging against discriminator steps:

* its error (the cross-entropy) and accuracy (Figure 1): accuracy 1, error toward 0 --
  the perfect discriminator of Theorems 2.1-2.2 for distributions on disjoint or
  transversal low-dimensional manifolds;
* the norm of the generator's gradient under the original cost
  :math:`\nabla_\theta E\log(1 - D(G(z)))` (Figure 2): it vanishes (Theorem 2.4);
* the norm of the gradient under :math:`-\log D` and its spread over minibatches (Figure 3):
  it grows and gets noisier (Theorem 2.6).

Theorem 2.5 is checked exactly on 1-D Gaussians, where the optimal discriminator
:math:`D^* = p_r / (p_r + p_{g_{\theta_0}})` is known: for :math:`g_\theta(z) = \theta + s z`,
:math:`E_z[-\nabla_\theta \log D^*(g_\theta(z))]|_{\theta_0}` (Gauss-Hermite quadrature of the
analytic derivative) equals :math:`\nabla_\theta[KL(P_{g_\theta} \| P_r) - 2 JSD(P_{g_\theta}
\| P_r)]|_{\theta_0}` (closed-form KL, JSD by quadrature, central differences), and the
first step of its proof, :math:`E_z[\nabla_\theta \log(1 - D^*(g_\theta(z)))] =
\nabla_\theta 2 JSD` (Goodfellow et al. 2014), is checked the same way.

Run: ``python -m toys.perfect_discriminator [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats

import divergences as D
from claims import claim, progress, seed_all, single_threaded, toy_main
from gan.algorithm import iteration, make_players, train_critic
from gan.defaults import OptimizerSpec
from gan.losses import accuracy, discriminator_loss, log_d, log_one_minus_d
from gan.models import critic_mlp, mlp

NAME = "perfect_discriminator"
TITLE = "The perfect discriminator"
SOURCE = "Towards Principled Methods, Theorems 2.1-2.6 and Figures 1-3"
#: the paper's claim, in one sentence (the write-up's)
CLAIM = (
    'Against a generator on a low-dimensional manifold the discriminator becomes perfect; through'
    " it the original cost's gradient vanishes and the -log D gradient grows and gets noisy, and "
    '-log D descends KL(Pg||Pr) - 2 JSD (Theorem 2.5).'
)
#: True when it spreads its own runs over the two worker processes (``python -m figures`` runs it alone)
POOLED = False
#: relative running time, to start the longest single-core toys first
COST = 2.0
QUICK = ("generator stages at 50, 200, 600 steps instead of 100, 1000, 3000; 600 discriminator steps instead "
         "of 4000; 32 minibatches per gradient sample instead of 64")
DIM, LATENT, BATCH = 16, 2, 128
#: what the figure's panels show (the write-up's caption)
CAPTION = (
    'Top: Figures 1 and 2 of Towards Principled Methods at toy scale, a discriminator trained '
    'from scratch against the generator frozen at three stages: its error and accuracy, and the'
    " norm of the generator's gradient under the original cost (it first rises while the "
    'discriminator learns, then vanishes). Bottom left: Figure 3, the -log D gradient norm of '
    'each of 64 minibatches at each point. Bottom middle and right: Theorem 2.6, the |mean| / '
    "std and the excess kurtosis of the gradient's coordinates (projections on 4 fixed random "
    'directions) across the minibatches.'
)
#: every departure from the paper's settings
DEPARTURES = (
    'Data on a 2-D manifold in R^16 instead of LSUN; an MLP generator trained by the DCGAN '
    'baseline (-log D, Adam 2e-4) for 100, 1,000 and 3,000 steps instead of a DCGAN for 1, 10 '
    'and 25 epochs; the fresh discriminator trained by Adam 2e-3 for 4,000 steps.'
)
#: why a finding may disagree with the paper, by claim id (the write-up says it when one does)
WHY = {
    'theorem_2_6_centred': (
        "Theorem 2.6 assumes that the discriminator's error D* - D, and that of its gradient, are "
        'white noise, independent at every x. A smooth network read through its logit has neither: '
        '-grad log D(g(z)) = -(1 - D) grad logit(g(z)), with no division by a noisy D near 0, so '
        'the minibatch gradients keep a common direction and their spread grows in proportion to '
        'their mean. The growth of Figure 3 is reproduced; the Cauchy noise is not.'
),
    'theorem_2_6_heavy_tailed': (
        "for the same reason the gradient's coordinates are averages of 64 well-behaved per-sample "
        'terms, Gaussian-tailed, not Cauchy.'
),
}



class Manifold:
    """x = tanh(u W1 + b1) W2, u ~ U[-1, 1]^2: a smooth 2-D manifold in R^16 (fixed by seed)."""

    def __init__(self, seed: int):
        g = torch.Generator().manual_seed(10_000 + seed)
        self.W1 = torch.randn(LATENT, 32, generator=g) * 1.5
        self.b1 = torch.randn(32, generator=g) * 0.5
        self.W2 = torch.randn(32, DIM, generator=g) / math.sqrt(32)

    def sample(self, n: int) -> torch.Tensor:
        u = torch.rand(n, LATENT) * 2 - 1
        return torch.tanh(u @ self.W1 + self.b1) @ self.W2


def _grad_norm(module: torch.nn.Module, loss: torch.Tensor) -> float:
    module.zero_grad(set_to_none=True)
    loss.backward()
    return float(torch.sqrt(sum((p.grad ** 2).sum() for p in module.parameters())))


def train_gan(data: Manifold, stages: list[int], seed: int) -> dict[int, dict]:
    """Train generator and discriminator jointly; snapshot the generator at each stage."""
    torch.manual_seed(seed)
    G = mlp(LATENT, DIM, hidden=64, depth=2)
    players = make_players(G, critic_mlp(DIM, 64, 2), "gan")  # the DCGAN baseline: Adam 2e-4, -log D
    snaps = {}
    for step in progress(range(1, stages[-1] + 1), "GAN training"):
        iteration(players, lambda: data.sample(BATCH), lambda: torch.randn(BATCH, LATENT), 1)
        if step in stages:
            snaps[step] = {k: v.clone() for k, v in G.state_dict().items()}
    return snaps


def _grad(module: torch.nn.Module, loss: torch.Tensor) -> torch.Tensor:
    """The gradient of ``loss`` with respect to the module's parameters, flattened."""
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, list(module.parameters()))])


def probe_discriminator(G: torch.nn.Module, data: Manifold, steps: int, seed: int,
                        n_batches: int = 64) -> dict:
    """Train a discriminator from scratch against a frozen G; log Figures 1-3's quantities."""
    torch.manual_seed(seed)
    Dn = critic_mlp(DIM, 64, 2)
    players = make_players(None, Dn, "gan", optimizer=OptimizerSpec("adam", 2e-3))
    checkpoints = set(np.unique(np.geomspace(1, steps, 20).astype(int)).tolist())
    log = {k: [] for k in ("step", "error", "accuracy", "grad_original", "grad_logd_mean",
                           "grad_logd_std", "grad_logd_norms", "centred", "kurtosis")}
    directions = torch.randn(4, sum(p.numel() for p in G.parameters()),
                             generator=torch.Generator().manual_seed(seed))
    directions /= directions.norm(dim=1, keepdim=True)

    def batches():  # this toy draws each step's fake batch before its real one
        fake = G(torch.randn(BATCH, LATENT))
        return data.sample(BATCH), fake

    done = 0
    for step in sorted(checkpoints):  # the last checkpoint is ``steps``
        train_critic(players, batches, step - done)
        done = step
        with torch.no_grad():
            lr_, lf = Dn(data.sample(2000)), Dn(G(torch.randn(2000, LATENT)))
        g_orig = _grad_norm(G, log_one_minus_d(Dn(G(torch.randn(1024, LATENT)))).mean())
        grads = torch.stack([_grad(G, -log_d(Dn(G(torch.randn(64, LATENT)))).mean()) for _ in range(n_batches)])
        norms = grads.norm(dim=1).numpy()
        proj = (grads @ directions.T).double().numpy()  # (n_batches, 4) coordinates
        log["step"].append(step)
        log["error"].append(float(discriminator_loss(lr_, lf)))
        log["accuracy"].append(float(accuracy(lr_, lf)))
        log["grad_original"].append(g_orig)
        log["grad_logd_mean"].append(float(norms.mean()))
        log["grad_logd_std"].append(float(norms.std()))
        log["grad_logd_norms"].append(norms)
        log["centred"].append(float(np.mean(np.abs(proj.mean(0)) / proj.std(0))))
        log["kurtosis"].append(float(np.mean(stats.kurtosis(proj, axis=0))))
    G.zero_grad(set_to_none=True)
    return {k: np.array(v) for k, v in log.items()}


def theorem_2_5(theta0: float, s: float = 0.7, mu_r: float = 0.0, sigma_r: float = 1.0,
                h: float = 1e-3) -> dict:
    """Both sides of Theorem 2.5 (and of Goodfellow's identity) for 1-D Gaussians."""
    # E over x = theta0 + s z, z ~ N(0, 1), by 120-point Gauss-Hermite quadrature
    nodes, weights = np.polynomial.hermite_e.hermegauss(120)
    x = theta0 + s * nodes
    w = weights / weights.sum()
    log_pr = stats.norm(mu_r, sigma_r).logpdf(x)
    log_pg = stats.norm(theta0, s).logpdf(x)
    d_star = 1.0 / (1.0 + np.exp(log_pg - log_pr))  # D* fixed at theta0
    score_gap = -(x - mu_r) / sigma_r**2 + (x - theta0) / s**2  # (log p_r)' - (log p_g0)'
    dlog_d = (1 - d_star) * score_gap  # d/dx log D*(x); d x / d theta = 1
    dlog_1md = -d_star * score_gap  # d/dx log(1 - D*(x))
    lhs = float(-(w @ dlog_d))
    lhs_goodfellow = float(w @ dlog_1md)

    def kl(t):
        return D.kl_gaussian_1d(t, s, mu_r, sigma_r)

    def jsd(t):
        bounds = (min(t, mu_r) - 30, max(t, mu_r) + 30)
        return D.js_density(stats.norm(t, s).logpdf, stats.norm(mu_r, sigma_r).logpdf, bounds,
                            log=True)

    def deriv(f):
        return (f(theta0 + h) - f(theta0 - h)) / (2 * h)

    d_kl, d_jsd = deriv(kl), deriv(jsd)
    rhs = d_kl - 2 * d_jsd
    return {"theta0": theta0, "lhs": lhs, "rhs": rhs, "rel_error": abs(lhs - rhs) / abs(rhs),
            "lhs_goodfellow": lhs_goodfellow, "rhs_goodfellow": 2 * d_jsd,
            "rel_error_goodfellow": abs(lhs_goodfellow - 2 * d_jsd) / abs(2 * d_jsd)}


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    seed_all(seed)
    data = Manifold(seed)
    stages = [50, 200, 600] if quick else [100, 1000, 3000]
    d_steps = 600 if quick else 4000
    snaps = train_gan(data, stages, seed)
    G = mlp(LATENT, DIM, hidden=64, depth=2)
    probes = {}
    for st in progress(stages, "discriminator from scratch"):
        G.load_state_dict(snaps[st])
        G.requires_grad_(True)
        probes[st] = probe_discriminator(G, data, d_steps, seed + 1, n_batches=32 if quick else 64)

    thm = [theorem_2_5(t) for t in (0.5, 1.5, 3.0)]
    acc = min(p["accuracy"][-1] for p in probes.values())
    err = max(p["error"][-1] for p in probes.values())
    vanish = min(p["grad_original"].max() / p["grad_original"][-1] for p in probes.values())
    grow = min(p["grad_logd_mean"][-1] / p["grad_logd_mean"][0] for p in probes.values())
    centred = max(p["centred"][-1] for p in probes.values())  # the least centred stage
    kurt = min(p["kurtosis"][-1] for p in probes.values())  # the lightest-tailed stage
    rel = max(t["rel_error"] for t in thm)
    rel_g = max(t["rel_error_goodfellow"] for t in thm)
    claims = [
        claim("perfect_accuracy", "a discriminator trained from scratch against the frozen "
              "generator reaches accuracy 1 at every stage (Fig. 1, Thms 2.1-2.2; min over stages)", ">= 0.99",
              acc, acc >= 0.99),
        claim("error_to_zero", "its error goes to 0 (cross-entropy, max over stages)", "<= 1e-2",
              err, err <= 1e-2),
        claim("original_cost_gradient_vanishes", "the generator gradient under the original cost "
              "falls by orders of magnitude (Fig. 2, Thm 2.4; it first rises: peak / final, min over stages)",
              ">= 100", vanish, vanish >= 100),
        claim("logd_gradient_grows", "the gradient under -log D grows as D trains (Fig. 3; final "
              "/ initial norm, min over stages)", ">= 10", grow, grow >= 10),
        claim("theorem_2_6_centred", "Thm 2.6: against a perfect discriminator the -log D gradient is "
              "centred: its per-minibatch coordinates have |mean| / std < 0.5 (at the last step; the least "
              "centred stage)", "< 0.5", centred, centred < 0.5),
        claim("theorem_2_6_heavy_tailed", "Thm 2.6: and Cauchy-like, heavy-tailed: the excess kurtosis of "
              "those coordinates is > 3 (a Gaussian's is 0; the lightest-tailed stage)", "> 3", kurt, kurt > 3),
        claim("theorem_2_5", "E[-grad log D*(g(z))] = grad[KL(Pg||Pr) - 2 JSD(Pg||Pr)] for 1-D "
              "Gaussians (max relative error)", "<= 1e-3", rel, rel <= 1e-3, "sanity"),
        claim("goodfellow_identity", "E[grad log(1 - D*(g(z)))] = grad 2 JSD(Pg||Pr) (the first "
              "step of the proof; max relative error)", "<= 1e-3", rel_g, rel_g <= 1e-3, "sanity"),
    ]
    return {"stages": stages, "discriminator_steps": d_steps,
            "probes": {str(k): v for k, v in probes.items()}, "theorem_2_5": thm, "claims": claims,
            "settings": {"data": "2-D manifold in R^16", "generator": "MLP 2-64-64-16",
                         "discriminator": "MLP 16-64-64-1", "batch": BATCH}}


def plot(result: dict):
    """Figures 1-3 of *Towards Principled Methods* at toy scale."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    ax = axes.ravel()
    for i, (st, p) in enumerate(result["probes"].items()):
        c = f"C{i}"
        lab = f"generator after {st} steps"
        s = np.asarray(p["step"])
        ax[0].loglog(s, p["error"], color=c, label=lab)
        ax[1].semilogx(s, p["accuracy"], color=c, label=lab)
        ax[2].loglog(s, p["grad_original"], color=c, label=lab)
        norms = np.asarray(p["grad_logd_norms"], dtype=float)
        xs = np.repeat(s, norms.shape[1]) * np.exp(np.random.default_rng(i).uniform(-0.08, 0.08, norms.size))
        ax[3].scatter(xs, norms.ravel(), s=3, alpha=0.35, color=c, label=lab)
        ax[4].semilogx(s, p["centred"], "o-", ms=3, color=c, label=lab)
        ax[5].semilogx(s, p["kurtosis"], "o-", ms=3, color=c, label=lab)
    ax[3].set(xscale="log", yscale="log")
    ax[4].axhline(0.5, color="gray", ls=":", label="centred below")
    ax[5].axhline(3.0, color="gray", ls=":", label="heavy-tailed above")
    ax[5].axhline(0.0, color="k", lw=0.8, label="a Gaussian")
    ax[0].set(xlabel="discriminator steps", ylabel="discriminator error (cross-entropy)",
              title="Fig. 1: error")
    ax[1].set(xlabel="discriminator steps", ylabel="accuracy", title="Fig. 1: accuracy")
    ax[2].set(xlabel="discriminator steps", ylabel=r"$\|\nabla_\theta E \log(1 - D(G(z)))\|$",
              title="Fig. 2: original cost, gradient vanishes")
    ax[3].set(xlabel="discriminator steps", ylabel=r"$\|\nabla_\theta E[-\log D(G(z))]\|$, per minibatch",
              title="Fig. 3: -log D, the gradient grows")
    ax[4].set(xlabel="discriminator steps", ylabel="|mean| / std of gradient coordinates",
              title="Thm 2.6: is it centred?", yscale="log")
    ax[5].set(xlabel="discriminator steps", ylabel="excess kurtosis of gradient coordinates",
              title="Thm 2.6: is it heavy-tailed?")
    for a in ax:
        a.legend(fontsize=7)
    fig.suptitle("The perfect discriminator (Towards Principled Methods, Figs. 1-3, toy scale)")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    return toy_main(NAME, "Towards Principled Methods, Thms 2.1-2.6 / Figs 1-3: the perfect "
                    "discriminator", run, plot, argv, quick=QUICK)


if __name__ == "__main__":
    main()
