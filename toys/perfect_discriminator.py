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
  it grows and gets noisier (final over initial mean norm, and standard deviation of the norms).

Each of these findings is decided over 3 seeds (the GAN and its probing discriminators trained
anew from each; the data manifold fixed): each seed's worst stage gives one number, and the
finding holds when the 95% interval of those numbers over the seeds lies on the claim's side of
its threshold (:func:`judge`). The relative spread (std / mean, final over initial), which cuts
against reading the absolute spread's growth as noise beyond the gradient's growth, is reported at
every stage of every seed. Controls: the GAN learns (the generator's EM to the data falls), and the
growth and spread statistics detect a tripling planted in the run's own norms.

Theorem 2.6 says that each coordinate of :math:`E_z[-\nabla_\theta \log D(g_\theta(z))]` is a
centred Cauchy variable *when* :math:`D^* - D = \epsilon` and :math:`\nabla_x D^* - \nabla_x D = r`
are independent centred Gaussian white noise (the paper itself calls that too strong). It is
checked twice:

* **where its hypothesis holds** (:func:`theorem_2_6_hypothesis`): with the toy's own generator
  at each stage, :math:`D^* = 0` on its support (Theorems 2.1-2.2) and D = D* - eps with the white
  noise the theorem states, the minibatch gradient's projection on a fixed direction d is
  :math:`-\frac1n \sum_i r_i \cdot (J_i d) / \epsilon_i`, whose law the theorem's proof gives:
  centred Cauchy of scale :math:`\frac{\sigma_r}{\sigma_\epsilon} \frac1n \sum_i \|J_i d\|`
  (:math:`J_i d` by forward-mode differentiation). Draws of the noise are tested against that law
  (Kolmogorov-Smirnov) and for centring (sign test). A theorem under its hypothesis holds by its
  proof: a sanity check of the derivation and the code, as Theorem 2.5 is;
* **in the natural setting**, the trained discriminator (a smooth network read through its logit,
  whose error is not white noise): the same two tests on the 64 minibatch gradients at the last
  step. The hypothesis is not met, so these are reported with the verdict *not applicable*, not
  counted against the paper.

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
from claims import MIN_SEEDS, Figure, claim, control, fmt, progress, seed_all, single_threaded
from claims.stats import mean_interval
from gan.algorithm import iteration, make_players, train_critic
from gan.defaults import OptimizerSpec
from gan.losses import accuracy, discriminator_loss, log_d, log_one_minus_d
from gan.models import critic_mlp, mlp

DIM, LATENT, BATCH = 16, 2, 128
#: the family-wise level of the Theorem 2.6 tests (Bonferroni over stages, directions and tests)
ALPHA = 0.01
#: the white noise of Theorem 2.6's hypothesis: standard deviations of D* - D and of its x-gradient
SIGMA_EPS, SIGMA_R = 0.01, 0.01


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


def _directions(G: torch.nn.Module, seed: int, k: int = 4) -> torch.Tensor:
    """``k`` fixed random unit directions in the generator's parameter space (the coordinates of
    Theorem 2.6 are read as projections on them: any fixed direction has the same law)."""
    d = torch.randn(k, sum(p.numel() for p in G.parameters()), generator=torch.Generator().manual_seed(seed))
    return d / d.norm(dim=1, keepdim=True)


def probe_discriminator(G: torch.nn.Module, data: Manifold, steps: int, seed: int,
                        n_batches: int = 64) -> dict:
    """Train a discriminator from scratch against a frozen G; log Figures 1-3's quantities, and
    keep the minibatch gradients' coordinates at the last step (``proj``, (n_batches, 4))."""
    torch.manual_seed(seed)
    Dn = critic_mlp(DIM, 64, 2)
    players = make_players(None, Dn, "gan", optimizer=OptimizerSpec("adam", 2e-3))
    checkpoints = set(np.unique(np.geomspace(1, steps, 20).astype(int)).tolist())
    log = {k: [] for k in ("step", "error", "accuracy", "grad_original", "grad_logd_mean",
                           "grad_logd_std", "grad_logd_norms", "centred", "kurtosis")}
    directions = _directions(G, seed)

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
    return {**{k: np.array(v) for k, v in log.items()}, "proj": proj}


def centred_cauchy_tests(x: np.ndarray, scale: float | np.ndarray | None = None) -> dict:
    r"""Is each column of ``x`` (draws of one coordinate) a centred Cauchy variable?

    Two tests per column, each with its p-value (two-sided):

    * **centred**: the sign test (exact binomial test that P(x > 0) = 1/2: the median is 0, which
      a Cauchy variable's centre is, since it has no mean);
    * **Cauchy**: the Kolmogorov-Smirnov test against the centred Cauchy law of scale ``scale``
      (one per column); with ``scale`` None, the scale is estimated as the median of ``|x|``
      (exact for a centred Cauchy variable: :math:`P(|X| \le s) = 1/2`), which makes the test
      conservative.

    Returns the p-values (``p_sign``, ``p_ks``, one per column), the KS statistics and the scales.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or len(x) < 8:
        raise ValueError(f"x must be (draws >= 8, coordinates), got shape {x.shape}")
    scales = np.broadcast_to(np.median(np.abs(x), axis=0) if scale is None else np.asarray(scale, float),
                             (x.shape[1],))
    p_sign = [stats.binomtest(int((col > 0).sum()), int((col != 0).sum()), 0.5).pvalue for col in x.T]
    ks = [stats.kstest(col, stats.cauchy(0.0, s).cdf) for col, s in zip(x.T, scales)]
    return {"p_sign": np.array(p_sign), "p_ks": np.array([k.pvalue for k in ks]),
            "ks": np.array([k.statistic for k in ks]), "scale": np.array(scales)}


def theorem_2_6_hypothesis(G: torch.nn.Module, seed: int, draws: int = 1000, n: int = 64,
                           sigma_eps: float = SIGMA_EPS, sigma_r: float = SIGMA_R) -> dict:
    r"""Theorem 2.6 where its hypothesis holds, for the generator ``G`` as it is.

    On the generator's support :math:`D^* = 0` (Theorems 2.1-2.2), so D = D* - eps gives
    :math:`-
abla_	heta \log D(g(z)) = -J^	op 
abla_x D / D = -J^	op r / \epsilon` (the
    theorem's proof, with :math:`
abla_x D = -r`, D = -eps). For a minibatch of ``n`` latents
    (fixed) the projection of its mean on a direction d is
    :math:`X_d = -rac1n\sum_i r_i \cdot u_i / \epsilon_i` with :math:`u_i = J_i d`, computed
    exactly by forward-mode differentiation (:func:`torch.func.jvp`). The noise (r_i in R^16 and
    eps_i, independent centred Gaussians of standard deviations ``sigma_r`` and ``sigma_eps``) is
    drawn ``draws`` times; the theorem predicts a centred Cauchy law of scale
    :math:`rac{\sigma_r}{\sigma_\epsilon}rac1n\sum_i\|u_i\|` for each :math:`X_d`
    (:math:`r_i\cdot u_i / \epsilon_i` is Cauchy of scale :math:`\sigma_r\|u_i\|/\sigma_\epsilon`,
    and a mean of independent Cauchy variables is Cauchy with the mean scale).

    Returns the draws (``x``, (draws, 4)), the predicted scales and :func:`centred_cauchy_tests`
    against them.
    """
    from torch.func import functional_call, jvp

    gen = torch.Generator().manual_seed(20_000 + seed)
    z = torch.randn(n, LATENT, generator=gen)
    names = [k for k, _ in G.named_parameters()]
    params = {k: v.detach() for k, v in G.named_parameters()}
    shapes = [params[k].shape for k in names]

    def out(p: dict) -> torch.Tensor:
        return functional_call(G, p, (z,))

    u = []
    for d in _directions(G, seed):
        parts = torch.split(d, [int(np.prod(sh)) for sh in shapes])
        tangent = {k: t.reshape(sh) for k, t, sh in zip(names, parts, shapes)}
        u.append(jvp(out, (params,), (tangent,))[1].double().numpy())  # (n, DIM): J_i d
    u = np.stack(u, axis=1)  # (n, 4, DIM)
    rng = np.random.default_rng(30_000 + seed)
    r = sigma_r * rng.standard_normal((draws, n, 1, DIM))
    eps = sigma_eps * rng.standard_normal((draws, n, 1))
    x = -np.mean((r * u[None]).sum(-1) / eps, axis=1)  # (draws, 4)
    scale = sigma_r / sigma_eps * np.linalg.norm(u, axis=-1).mean(axis=0)
    return {"x": x, "predicted_scale": scale, **centred_cauchy_tests(x, scale)}


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


def _load(G: torch.nn.Module, state: dict) -> torch.nn.Module:
    """``G`` with the snapshot ``state`` loaded, its parameters requiring gradients."""
    G.load_state_dict(state)
    return G.requires_grad_(True)


#: the seeds of the GAN and its probes (offsets from ``--seed``): 3, a finding's minimum (the data are
#: 16-dimensional, not a 2-D toy)
SEED_OFFSETS = tuple(range(MIN_SEEDS))


def stage_numbers(probes: dict) -> dict:
    """One seed's numbers per stage (lists in the stages' order): the final accuracy and error,
    the original cost's gradient fall (peak / final), and the -log D gradient's growth (final /
    initial mean minibatch norm), spread growth (final / initial standard deviation of the norms)
    and relative spread growth (std / mean, final over initial)."""
    ps = list(probes.values())
    return {
        "accuracy": [float(p["accuracy"][-1]) for p in ps],
        "error": [float(p["error"][-1]) for p in ps],
        "fall": [float(p["grad_original"].max() / p["grad_original"][-1]) for p in ps],
        "growth": [float(p["grad_logd_mean"][-1] / p["grad_logd_mean"][0]) for p in ps],
        "spread": [float(p["grad_logd_std"][-1] / p["grad_logd_std"][0]) for p in ps],
        "relative_spread": [float((p["grad_logd_std"][-1] / p["grad_logd_mean"][-1])
                                  / (p["grad_logd_std"][0] / p["grad_logd_mean"][0])) for p in ps],
    }


def _by_stage(values: list, stages: list, seeds: list) -> str:
    """Every seed's value at every stage: 'seed 0: 1.24x, 0.56x, 0.49x; seed 1: ...'."""
    return "; ".join(f"seed {sd}: " + ", ".join(f"{v:.3g}x" for v in row) for sd, row in zip(seeds, values))


def judge(per_seed: list[dict], stages: list, seeds: list[int], controls_passed: bool = True) -> list[dict]:
    """Figures 1-3's findings from each seed's :func:`stage_numbers`, each read off a 95% interval
    over the seeds (:func:`claims.stats.mean_interval`) of the per-seed value that must hold at
    every stage (the worst stage of each seed):

    * ``perfect_accuracy``: min accuracy over stages; the interval lies above 0.99;
    * ``error_to_zero``: log10 of the max error over stages; the interval lies below -2;
    * ``original_cost_gradient_vanishes``: log10 of the smallest fall over stages; above 2;
    * ``logd_gradient_grows``: log of the smallest growth over stages; above 0;
    * ``logd_gradient_noisier``: log of the smallest spread growth over stages; above 0. The
      relative spread (std / mean), which cuts against reading it as noise beyond the growth, is
      reported in full, every seed and stage.
    """
    extra = {} if controls_passed else {"verdict": "no verdict", "reason": "a control failed (see the controls)"}
    tpm = "Towards Principled Methods, Theorems 2.1-2.6 and Figures 1-3"
    n = len(seeds)

    def worst(key, f):
        return [f(d[key]) for d in per_seed]

    acc = worst("accuracy", min)
    err = np.log10(np.maximum(worst("error", max), 1e-300))
    fall = np.log10(worst("fall", min))
    grow = np.log(worst("growth", min))
    spread = np.log(worst("spread", min))

    def one(cid, statement, expected, values, name, above=None, below=None, note=""):
        iv = mean_interval(values)
        if not np.isfinite(iv["lo"]):
            holds = None
        else:
            holds = bool(iv["lo"] > above) if above is not None else bool(iv["hi"] < below)
        measured = (f"mean {iv['mean']:.4g}, 95% interval [{iv['lo']:.4g}, {iv['hi']:.4g}] over {n} seeds; per seed "
                    + ", ".join(f"{v:.4g}" for v in values) + note)
        test = {"statistic": name, "interval": [iv["lo"], iv["hi"]], "level": 0.95,
                "threshold": above if above is not None else below, "n": iv["n"]}
        return claim(cid, statement, expected, measured, holds, source=tpm, test=test, seeds=seeds, **extra)

    rel = [d["relative_spread"] for d in per_seed]
    return [
        one("perfect_accuracy", "a discriminator trained from scratch against the frozen generator reaches "
            "accuracy 1 at every stage (Fig. 1, Thms 2.1-2.2): each seed's smallest final accuracy over the stages, "
            "its 95% interval over seeds above 0.99", "> 0.99", acc, "mean over seeds of the min accuracy over stages",
            above=0.99),
        one("error_to_zero", "its error goes to 0: log10 of each seed's largest final cross-entropy over the stages, "
            "its 95% interval over seeds below -2", "< -2", err,
            "mean over seeds of log10(max error over stages)", below=-2.0),
        one("original_cost_gradient_vanishes", "the generator gradient under the original cost falls by orders of "
            "magnitude, the paper's words (Fig. 2, Thm 2.4; it first rises): log10 of each seed's smallest peak / "
            "final over the stages, its 95% interval over seeds above 2", "> 2", fall,
            "mean over seeds of log10(min peak / final over stages)", above=2.0),
        one("logd_gradient_grows", "the gradient under -log D grows as D trains (Fig. 3): log of each seed's smallest "
            "final / initial mean minibatch norm over the stages, its 95% interval over seeds above 0", "> 0", grow,
            "mean over seeds of log(min growth over stages)", above=0.0,
            note="; growth by stage: " + _by_stage([d["growth"] for d in per_seed], stages, seeds)),
        one("logd_gradient_noisier", "and gets noisier (Fig. 3, 'the variance of the gradients is also increasing'): "
            "log of each seed's smallest final / initial standard deviation of the minibatch norms over the stages, "
            "its 95% interval over seeds above 0. The paper's variance is absolute and grows with the norm; the "
            "relative spread (std / mean, final over initial), every seed at every stage, is given beside it: near 1 "
            "or below, the noise grows only as fast as the gradient, or slower", "> 0", spread,
            "mean over seeds of log(min spread growth over stages)", above=0.0,
            note="; spread growth by stage: " + _by_stage([d["spread"] for d in per_seed], stages, seeds)
            + "; relative spread by stage: " + _by_stage(rel, stages, seeds)),
    ]


def planted_power(norms_first: list[np.ndarray], factor: float = 3.0) -> dict:
    """The growth and spread statistics on an effect planted in the run's own numbers: each seed's
    first-step minibatch norms split in two halves, the second scaled by ``factor``; the 95%
    intervals over seeds of log(mean ratio) and log(std ratio) must lie above 0."""
    g, sp = [], []
    for v in norms_first:
        v = np.asarray(v, float)
        a, b = v[: len(v) // 2], factor * v[len(v) // 2:]
        g.append(float(np.log(b.mean() / a.mean())))
        sp.append(float(np.log(b.std() / a.std())))
    gi, si = mean_interval(g), mean_interval(sp)
    return {"growth_lo": gi["lo"], "spread_lo": si["lo"]}


def _em_to_data(G: torch.nn.Module, data: Manifold, n: int = 500) -> float:
    with torch.no_grad():
        return D.wasserstein(G(torch.randn(n, LATENT)).double().numpy(), data.sample(n).double().numpy())


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    seed_all(seed)
    data = Manifold(seed)
    stages = [50, 200, 600] if quick else [100, 1000, 3000]
    d_steps = 600 if quick else 4000
    seeds = [seed] if quick else [seed + k for k in SEED_OFFSETS]
    G = mlp(LATENT, DIM, hidden=64, depth=2)
    all_probes, per_seed, em_path = [], [], []
    for sd in seeds:
        snaps = train_gan(data, stages, sd)
        probes = {}
        for st in progress(stages, f"discriminator from scratch (seed {sd})"):
            probes[st] = probe_discriminator(_load(G, snaps[st]), data, d_steps, sd + 1,
                                             n_batches=32 if quick else 64)
        torch.manual_seed(sd + 2)
        em_path.append([_em_to_data(_load(G, snaps[st]), data) for st in (stages[0], stages[-1])])
        all_probes.append(probes)
        per_seed.append(stage_numbers(probes))
        if sd == seeds[0]:
            first_snaps = snaps
    probes = all_probes[0]
    hyp = {st: theorem_2_6_hypothesis(_load(G, first_snaps[st]), seed + 1, draws=400 if quick else 1000)
           for st in stages}
    thm = [theorem_2_5(t) for t in (0.5, 1.5, 3.0)]
    k = len(stages)
    power = None if quick else planted_power([next(iter(p.values()))["grad_logd_norms"][0] for p in all_probes])
    em_path = np.array(em_path)
    controls = [
        control("the GAN setup learns: the exact EM between the generator's samples and the data (500 points each) "
                "falls from the first stage to the last, in every seed", bool(np.all(em_path[:, 1] < em_path[:, 0])),
                {"seeds": len(seeds), "stages": stages},
                "; ".join(f"seed {sd}: {a:.3g} -> {b:.3g}" for sd, (a, b) in zip(seeds, em_path)), kind="learns"),
    ] + ([
        control("the growth and spread statistics detect a planted growth: each seed's first-step minibatch norms "
                "split in halves, one tripled; both intervals over seeds lie above 0",
                bool(power["growth_lo"] > 0 and power["spread_lo"] > 0), {"planted": "x3 on half of the norms"},
                f"growth interval from {power['growth_lo']:.3g}, spread from {power['spread_lo']:.3g}", kind="power"),
    ] if power is not None else [])
    # Theorem 2.6: Bonferroni over the stages and the 4 directions (and the two tests, for the
    # sanity check that applies both)
    natural = {st: centred_cauchy_tests(p["proj"]) for st, p in probes.items()}
    nat_sign = min(float(t["p_sign"].min()) for t in natural.values())
    nat_ks = min(float(t["p_ks"].min()) for t in natural.values())
    hyp_p = min(min(float(t["p_sign"].min()), float(t["p_ks"].min())) for t in hyp.values())
    level_nat, level_hyp = ALPHA / (4 * k), ALPHA / (8 * k)
    rel = max(t["rel_error"] for t in thm)
    rel_g = max(t["rel_error_goodfellow"] for t in thm)
    na = ("not applicable: Theorem 2.6 assumes that D* - D and its x-gradient are independent centred Gaussian "
          "white noise (the paper calls this too strong); a trained network's error is smooth, so the hypothesis "
          "is unmet. The paper's footnote 4 expects the error to look more and more like centred noise 'due to "
          "the finite precision' as D improves; here D is read through its logit (-grad log D = -(1 - D) grad "
          "logit, as frameworks compute it), which removes the finite-precision division by a tiny D that the "
          "footnote's mechanism needs, so this measurement does not test the footnote either. The theorem is "
          "checked where it holds (theorem_2_6_under_its_hypothesis).")
    # at --quick (one seed) Figures 1-3's findings, each an interval over seeds, are left to the full run
    findings = [] if quick else judge(per_seed, stages, seeds, controls_passed=all(c["holds"] for c in controls))
    claims = findings + [
        claim("theorem_2_6_under_its_hypothesis", "Thm 2.6 where its hypothesis holds (D = D* - eps, eps and "
              "r white noise, D* = 0 on the generator's support): each gradient coordinate is centred Cauchy "
              "of the scale the proof gives (min p of the sign and Kolmogorov-Smirnov tests over stages and "
              "directions; the theorem's proof, so a check of it and of the code)", f"p >= {fmt(level_hyp)}",
              hyp_p, hyp_p >= level_hyp, "sanity"),
        claim("theorem_2_6_natural_centred", "Thm 2.6 in the natural setting (the trained discriminator): the "
              "-log D minibatch gradient's coordinates are centred (sign test at the last step; min p over "
              "stages and directions; the first seed)", f"p >= {fmt(level_nat)}", nat_sign, nat_sign >= level_nat,
              verdict="not applicable", reason=na,
              test={"statistic": "sign test (median 0)", "p_value": nat_sign}),
        claim("theorem_2_6_natural_cauchy", "and centred Cauchy (Kolmogorov-Smirnov against the centred Cauchy "
              "law of scale median |x|; min p over stages and directions; the first seed)", f"p >= {fmt(level_nat)}",
              nat_ks, nat_ks >= level_nat, verdict="not applicable", reason=na,
              test={"statistic": "Kolmogorov-Smirnov vs centred Cauchy", "p_value": nat_ks}),
        claim("theorem_2_5", "E[-grad log D*(g(z))] = grad[KL(Pg||Pr) - 2 JSD(Pg||Pr)] for 1-D "
              "Gaussians (max relative error)", "<= 1e-3", rel, rel <= 1e-3, "sanity"),
        claim("goodfellow_identity", "E[grad log(1 - D*(g(z)))] = grad 2 JSD(Pg||Pr) (the first "
              "step of the proof; max relative error)", "<= 1e-3", rel_g, rel_g <= 1e-3, "sanity"),
    ]
    return {"stages": stages, "discriminator_steps": d_steps, "seeds": seeds,
            "probes": {str(k): v for k, v in probes.items()}, "per_seed": per_seed, "em_to_data": em_path,
            "theorem_2_5": thm, "claims": claims, "controls": controls, "power": power,
            "needs_full_run": ["perfect_accuracy", "error_to_zero", "original_cost_gradient_vanishes",
                               "logd_gradient_grows", "logd_gradient_noisier"] if quick else [],
            "theorem_2_6": {"alpha": ALPHA, "sigma_eps": SIGMA_EPS, "sigma_r": SIGMA_R,
                            "hypothesis": {str(st): {k: t[k] for k in ("x", "predicted_scale", "p_sign", "p_ks")}
                                           for st, t in hyp.items()},
                            "natural": {str(st): {k: t[k] for k in ("scale", "p_sign", "p_ks")}
                                        for st, t in natural.items()}},
            "settings": {"data": "2-D manifold in R^16", "generator": "MLP 2-64-64-16", "seeds": len(seeds),
                         "discriminator": "MLP 16-64-64-1", "batch": BATCH}}


def plot(result: dict):
    """Figures 1-3 of *Towards Principled Methods* at toy scale, and Theorem 2.6 tested."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    ax = axes.ravel()
    grid = np.linspace(-8, 8, 400)
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
        t6 = result["theorem_2_6"]
        hyp = np.asarray(t6["hypothesis"][st]["x"], dtype=float) / np.asarray(t6["hypothesis"][st]["predicted_scale"])
        ax[5].plot(grid, [np.mean(hyp <= g) for g in grid], color=c, lw=1.5,
                   label=f"{st} steps, white-noise D (hypothesis)")
        nat = np.asarray(p["proj"], dtype=float) / np.asarray(t6["natural"][st]["scale"])
        ax[5].plot(grid, [np.mean(nat <= g) for g in grid], color=c, ls="--", lw=1.2,
                   label=f"{st} steps, trained D (natural)")
    ax[3].set(xscale="log", yscale="log")
    ax[5].plot(grid, stats.cauchy.cdf(grid), color="k", lw=3, alpha=0.3, label="centred Cauchy (Thm 2.6)")
    ax[0].set(xlabel="discriminator steps", ylabel="discriminator error (cross-entropy)",
              title="Fig. 1: error")
    ax[1].set(xlabel="discriminator steps", ylabel="accuracy", title="Fig. 1: accuracy")
    ax[2].set(xlabel="discriminator steps", ylabel=r"$\|\nabla_\theta E \log(1 - D(G(z)))\|$",
              title="Fig. 2: original cost, gradient vanishes")
    ax[3].set(xlabel="discriminator steps", ylabel=r"$\|\nabla_\theta E[-\log D(G(z))]\|$, per minibatch",
              title="Fig. 3: -log D, the gradient grows")
    ax[4].set(xlabel="discriminator steps", ylabel="|mean| / std of gradient coordinates",
              title="trained D: the -log D gradient is not centred", yscale="log")
    ax[5].set(xlabel="gradient coordinate / its Cauchy scale", ylabel="cumulative share",
              title="Thm 2.6: centred Cauchy under its hypothesis only")
    for a in ax:
        a.legend(fontsize=7)
    fig.suptitle("The perfect discriminator (Towards Principled Methods, Figs. 1-3 and Thm 2.6, toy scale)")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="perfect_discriminator",
    title="The perfect discriminator",
    source="Towards Principled Methods, Theorems 2.1-2.6 and Figures 1-3",
    claim=(
        'Against a generator on a low-dimensional manifold the discriminator becomes perfect; through'
        " it the original cost's gradient vanishes and the -log D gradient grows and gets noisy; "
        '-log D descends KL(Pg||Pr) - 2 JSD (Theorem 2.5), and against a white-noise error of D its '
        'gradient is centred Cauchy (Theorem 2.6).'
    ),
    quick=("one seed instead of 3 (Figures 1-3's findings, read off an interval over seeds, are left to the full "
           "run); generator stages at 50, 200, 600 steps instead of 100, 1000, 3000; 600 discriminator steps instead "
           "of 4000; 32 minibatches per gradient sample instead of 64"),
    caption=(
        'Top: Figures 1 and 2 of Towards Principled Methods at toy scale, a discriminator trained '
        'from scratch against the generator frozen at three stages: its error and accuracy, and the'
        " norm of the generator's gradient under the original cost (it first rises while the "
        'discriminator learns, then vanishes). Bottom left: Figure 3, the -log D gradient norm of '
        'each of 64 minibatches at each point. Bottom middle: the |mean| / std of its coordinates '
        '(projections on 4 fixed random directions) across the minibatches: far from centred. Bottom '
        "right: Theorem 2.6, the distribution of those coordinates against the theorem's centred "
        'Cauchy law: where its hypothesis holds (white-noise error of D, the curves on the Cauchy law) '
        'and in the natural setting (the trained discriminator, each coordinate divided by its median '
        '|value|).'
    ),
    departures=(
        'Data on a 2-D manifold in R^16 instead of LSUN; an MLP generator trained by the DCGAN '
        'baseline (-log D, Adam 2e-4) for 100, 1,000 and 3,000 steps instead of a DCGAN for 1, 10 '
        'and 25 epochs; the fresh discriminator trained by Adam 2e-3 for 4,000 steps. Theorem 2.6 is '
        "tested with the white noise it assumes (sigma 0.01 for D's error and for its gradient's), "
        'which no trained discriminator has.'
    ),
    why={
        'theorem_2_6_natural_centred': (
            "a smooth network read through its logit has no white-noise error: -grad log D(g(z)) = "
            '-(1 - D) grad logit(g(z)), with no division by a noisy D near 0, so the minibatch gradients '
            'keep a common direction and their spread grows in proportion to their mean. The growth of '
            'Figure 3 is reproduced; the Cauchy noise is not.'
        ),
        'theorem_2_6_natural_cauchy': (
            "for the same reason the gradient's coordinates are averages of 64 well-behaved per-sample "
            'terms, Gaussian-tailed around a nonzero mean, not centred Cauchy.'
        ),
    },
    run=run, plot=plot, cost=2.0,
)


if __name__ == "__main__":
    FIGURE.main()
