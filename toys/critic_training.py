r"""WGAN Sections 3 and 4.3: the more the critic trains, the better the generator's gradient.

Section 3: "we can (and should) train the critic till optimality ... the more we train the
critic, the more reliable gradient of the Wasserstein we get"; Section 4.3: "we no longer need
to balance generator and discriminator's capacity properly". With the generator held fixed
(:mod:`toys.affine_1d`: an affine 1-D generator whose W and :math:`\nabla_\theta W` are exact),
a critic is trained for n steps from a fresh start (n = 1 ... 300: the amount of critic training
an iteration of Algorithm 1 gives it), and at each n the generator's gradient through it,
:math:`-\nabla_\theta E_z f(g_\theta(z))`, is set against the exact :math:`\nabla_\theta W`:

* its *direction error* :math:`1 - \cos` (the clipped critic reads W only up to K, so its size
  is not compared here; :mod:`toys.theorem3_gradient` does), on the overlapping pair
  :math:`N(0, 0.5^2)` / :math:`N(0.3, 0.2^2)`, for critic widths 16, 64 and 256;
* beside it, on the far-apart pair of WGAN Figure 2 (:math:`N(-0.5, 0.06^2)` /
  :math:`N(0.5, 0.1^2)`), the GAN discriminator's gradient to the generator (the original
  minimax cost and the -log D one) as the discriminator trains, against the WGAN critic's,
  divided by its K.

Findings, each over 5 seeds with a 95% Student-t interval: the direction error falls with
critic training (per-seed Spearman correlation between n and the error, below 0); a wider
critic is not worse (the paired difference of the final error, widest minus narrowest, below
a margin of 0.01, this module's choice: no capacity to balance); the GAN's minimax gradient
vanishes as its discriminator trains (log10 of its norm at the last n over its largest value,
below -1, a tenfold fall of this module's choosing: it first grows while the discriminator leaves
its initialisation, then falls).

Sources: the first finding is WGAN Section 3's; the second quotes Section 4.3 ("we no longer
need to balance generator and discriminator's capacity properly"); the third is WGAN Section 3's
on this very pair, with Figure 2 ("the discriminator of a minimax GAN saturates and results in
vanishing gradients"), not *Towards Principled Methods* Theorem 2.4, whose hypothesis (supports
on disjoint compact sets or low-dimensional manifolds, Theorems 2.1-2.2) two Gaussians do not meet.

Measured (5 seeds, full run): the clipped critic's direction error falls mostly over the first
steps and then plateaus near 0.1 (width 64), so the Spearman interval lies only just below 0; the
plateau is clipping's, not the training's (see :mod:`toys.theorem3_gradient`).

Run: ``python -m toys.critic_training [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats

import divergences as D
from claims import MIN_SEEDS_TOY, Figure, claim, control, fmt, seed_all, single_threaded
from claims.stats import mean_interval
from gan.algorithm import make_players, train_critic
from gan.defaults import OptimizerSpec
from gan.losses import em_estimate, gan_generator_loss, wgan_generator_loss
from gan.models import critic_mlp
from toys import affine_1d as A
from toys.affine_1d import verdict_args

#: the GAN discriminator's vanishing gradient on the far-apart Gaussians: WGAN makes this claim on this pair
#: (Figure 2); TPM Theorem 2.4 assumes disjoint supports, which two Gaussians do not have
GAN_SOURCE = "WGAN, Section 3 and Figure 2"

C = 0.01
FAR = {"real": (-0.5, 0.06), "theta": (0.5, 0.1)}
MARGIN = 0.01


def _critic(width: int, seed: int, algo: str):
    torch.manual_seed(seed)
    net = critic_mlp(1, width, 3)
    if algo == "wgan":
        return make_players(None, net, "wgan", lipschitz="clip", constraint_kwargs={"c": C},
                            optimizer=OptimizerSpec("rmsprop", 1e-3))
    return make_players(None, net, "gan", optimizer=OptimizerSpec("adam", 1e-3))


def wgan_errors(width: int, seed: int, checkpoints: list[int]) -> tuple[list[float], list[float]]:
    """Direction error 1 - cos(critic's generator gradient, exact grad W) and the critic's
    K = (E_r f - E_theta f) / W at each checkpoint, on the overlapping pair."""
    p = _critic(width, seed, "wgan")
    grad_w, w = A.exact_gradient(), A.exact_w()
    big = torch.Generator().manual_seed(7)
    xr = A.REAL[0] + A.REAL[1] * torch.randn(20000, 1, generator=big)
    xf = A.generator()(torch.randn(20000, 1, generator=big)).detach()
    draw, out, ks, done = A.batches(), [], [], 0
    for step in checkpoints:
        train_critic(p, draw, step - done)
        done = step
        out.append(1.0 - A.cosine(A.generator_gradient(p.critic, wgan_generator_loss, n=5000), grad_w))
        with torch.no_grad():
            ks.append(float(em_estimate(p.critic(xr), p.critic(xf))) / w)
    return out, ks


def far_gradients(seed: int, checkpoints: list[int]) -> dict:
    """On the far-apart pair: norms of the generator's gradient through the GAN discriminator
    (minimax, -log D) and through the WGAN critic divided by its K, at each checkpoint."""
    real, theta = FAR["real"], FAR["theta"]
    w = A.exact_w(theta, real)
    draw = A.batches(theta, real)
    big = torch.Generator().manual_seed(7)
    xr = real[0] + real[1] * torch.randn(20000, 1, generator=big)
    xf = A.generator(theta)(torch.randn(20000, 1, generator=big)).detach()
    gan, wgan = _critic(64, seed, "gan"), _critic(64, seed, "wgan")
    log = {"minimax": [], "nonsaturating": [], "wgan_over_k": []}
    done = 0
    for step in checkpoints:
        train_critic(gan, draw, step - done)
        train_critic(wgan, draw, step - done)
        done = step
        for kind in ("minimax", "nonsaturating"):
            g = A.generator_gradient(gan.critic, lambda out, k=kind: gan_generator_loss(out, k), theta, n=5000)
            log[kind].append(float(np.linalg.norm(g)))
        with torch.no_grad():
            k = float(em_estimate(wgan.critic(xr), wgan.critic(xf))) / w
        g = A.generator_gradient(wgan.critic, wgan_generator_loss, theta, n=5000)
        log["wgan_over_k"].append(float(np.linalg.norm(g)) / k)
    return log


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    seed_all(seed)
    top = 20 if quick else 300
    checkpoints = [c for c in (1, 2, 5, 10, 20, 50, 100, 200) if c < top] + [top]
    widths = [16, 64] if quick else [16, 64, 256]
    seeds = [seed + k for k in range(2 if quick else MIN_SEEDS_TOY)]
    both = {w: [wgan_errors(w, s, checkpoints) for s in seeds] for w in widths}
    errors = {w: [e for e, _ in v] for w, v in both.items()}
    ks = [k for _, k in both[64]]
    far = [far_gradients(s, checkpoints) for s in seeds]
    decided = len(seeds) >= MIN_SEEDS_TOY
    # per-seed Spearman correlation of the error with the steps (width 64)
    rho = [float(stats.spearmanr(checkpoints, e)[0]) for e in errors[64]]
    rho_ci = mean_interval(rho)
    diff = [a[-1] - b[-1] for a, b in zip(errors[widths[-1]], errors[widths[0]])]
    diff_ci = mean_interval(diff)
    fall = [float(np.log10(f["minimax"][-1] / max(f["minimax"]))) for f in far]
    fall_ci = mean_interval(fall)
    far_norm = float(np.linalg.norm(A.exact_gradient(FAR["theta"], FAR["real"])))
    wgan_keep = [f["wgan_over_k"][-1] / far_norm for f in far]
    plateau = [abs(k[-1] / k[-2] - 1) for k in ks]
    controls = [
        control(f"the clipped critic reaches its optimum: its K at step {top} within 5% of its K at step "
                f"{checkpoints[-2]} (width 64, every seed)", max(plateau) < 0.05, {"seeds": len(seeds)},
                {"max relative change": max(plateau)}, kind="learns"),
        control("the GAN discriminator starts unsaturated: its minimax gradient after one step is above 1e-3, "
                "every seed",
                all(f["minimax"][0] > 1e-3 for f in far), {"seeds": len(seeds)},
                {"minimax at step 1": [f["minimax"][0] for f in far]}, kind="learns"),
        control("the Spearman statistic detects a planted decrease: errors falling as 1/n from the measured "
                "first-step error to the measured final one, plus the measured seed-to-seed spread, give an "
                "interval below 0",
                _planted_power(checkpoints, errors[64]), {"seeds": len(seeds)}, "planted 1/n", kind="power"),
    ]
    how = verdict_args(decided, controls, len(seeds))
    test = {"n": len(seeds)}
    # the exact gradient of the closed form against a finite difference of the exact W of samples (quantiles)
    u = (np.arange(20000) + 0.5) / 20000
    q = stats.norm.ppf(u)
    xq = A.REAL[0] + A.REAL[1] * q
    h = 1e-4
    fd = [(D.wasserstein(xq, (A.THETA[0] + h * (i == 0)) + (A.THETA[1] + h * (i == 1)) * q)
           - D.wasserstein(xq, (A.THETA[0] - h * (i == 0)) + (A.THETA[1] - h * (i == 1)) * q)) / (2 * h)
          for i in range(2)]
    fd_err = float(np.abs(np.asarray(fd) - A.exact_gradient()).max())
    claims = [
        claim("exact_gradient", "the exact grad_theta W of the closed form agrees with a central difference of the "
              "exact W (divergences.wasserstein) between 20,000 quantiles of each Gaussian (max absolute difference)",
              "< 1e-3", fd_err, fd_err < 1e-3, "sanity"),
        claim("error_falls_with_training", "the more the critic trains (n steps, generator fixed), the better the "
              "direction of its gradient to the generator: per-seed Spearman correlation between n and 1 - cos "
              f"(width 64, {len(checkpoints)} values of n), 95% t-interval over {len(seeds)} seeds below 0", "< 0",
              f"{fmt(rho_ci['mean'])} [{fmt(rho_ci['lo'])}, {fmt(rho_ci['hi'])}]",
              bool(rho_ci["hi"] < 0) if decided else None, seeds=seeds, min_seeds=MIN_SEEDS_TOY,
              test={"statistic": "per-seed Spearman rho, 95% Student t interval", "interval": [rho_ci["lo"], rho_ci["hi"]],
                    **test}, **how),
        claim("wider_not_worse", f"no capacity to balance: the widest critic ({widths[-1]}) is not worse than the "
              f"narrowest ({widths[0]}): final 1 - cos, paired difference, 95% t-interval upper end below "
              f"{MARGIN} (this module's non-inferiority margin)", f"< {MARGIN}", f"{fmt(diff_ci['mean'])} [{fmt(diff_ci['lo'])}, {fmt(diff_ci['hi'])}]",
              bool(diff_ci["hi"] < MARGIN) if decided else None, seeds=seeds, min_seeds=MIN_SEEDS_TOY,
              test={"statistic": "paired difference of final 1 - cos, 95% Student t interval (non-inferiority)",
                    "interval": [diff_ci["lo"], diff_ci["hi"]], "threshold": MARGIN, **test},
              source="WGAN, Section 4.3", **how),
        claim("gan_gradient_vanishes", "the GAN's minimax gradient to the generator vanishes as the discriminator "
              f"improves (far-apart pair): log10(|grad| at n = {top} / its largest value over n; it first grows while the "
              "discriminator leaves its initialisation), 95% t-interval below -1 (a tenfold fall, this module's "
              "threshold)",
              "< -1", f"{fmt(fall_ci['mean'])} [{fmt(fall_ci['lo'])}, {fmt(fall_ci['hi'])}]",
              bool(fall_ci["hi"] < -1) if decided else None, seeds=seeds, min_seeds=MIN_SEEDS_TOY,
              test={"statistic": "log10 gradient-norm ratio, 95% Student t interval",
                    "interval": [fall_ci["lo"], fall_ci["hi"]], **test},
              source=GAN_SOURCE, **how),
    ]
    needs_full = [c["id"] for c in claims if c["kind"] == "finding"] if quick else []
    claims = [c for c in claims if c["id"] not in needs_full]
    return {"claims": claims, "controls": controls, "checkpoints": checkpoints, "widths": widths, "seeds": seeds,
            "errors": {str(w): v for w, v in errors.items()}, "far": far, "rho": rho, "diff": diff, "fall": fall,
            "wgan_far_over_exact": wgan_keep,
            "needs_full_run": needs_full,
            "settings": {"critic": "ReLU MLP 1-w-w-w-1", "widths": widths, "clip": C, "optimizer": "RMSProp 1e-3",
                         "gan_optimizer": "Adam 1e-3", "batch": 256, "steps": top, "seeds": seeds,
                         "pairs": {"overlap": "N(0, 0.5^2) vs N(0.3, 0.2^2)", "far": "N(-0.5, 0.06^2) vs N(0.5, 0.1^2)"}}}


def _planted_power(checkpoints: list[int], errors: list[list[float]]) -> bool:
    """Does the per-seed Spearman interval fall below 0 for errors planted to decrease as 1/n,
    with the measured spread between seeds added as noise?"""
    rng = np.random.default_rng(0)
    e = np.asarray(errors)
    spread = float(np.std(e, axis=0, ddof=1).mean())
    first, last = float(e[:, 0].mean()), float(e[:, -1].mean())
    n = np.asarray(checkpoints, float)
    planted = [last + (first - last) / n + spread * rng.standard_normal(len(n)) for _ in errors]
    rho = [float(stats.spearmanr(checkpoints, e)[0]) for e in planted]
    return bool(mean_interval(rho)["hi"] < 0)


def plot(result: dict):
    """Direction error against critic steps per width; final error; the GAN's gradient beside."""
    import matplotlib.pyplot as plt

    steps, widths = result["checkpoints"], result["widths"]
    fig, ax = plt.subplots(1, 3, figsize=(17, 4.8), gridspec_kw={"width_ratios": [2, 1, 2]})
    for j, w in enumerate(widths):
        e = np.asarray(result["errors"][str(w)])
        for row in e:
            ax[0].plot(steps, row, color=f"C{j}", lw=0.6, alpha=0.5)
        ax[0].plot(steps, e.mean(0), "-o", color=f"C{j}", lw=2, label=f"critic width {w}")
        ax[1].plot([j] * len(e), e[:, -1], "o", color=f"C{j}")
    ax[0].set(xscale="log", yscale="log", xlabel="critic steps with the generator fixed",
              ylabel="1 - cos(critic's gradient, exact grad W)", title="WGAN: the gradient's direction error")
    ax[0].legend(fontsize=8)
    ax[1].set_xticks(range(len(widths)), [str(w) for w in widths])
    ax[1].set(xlabel="critic width", ylabel=f"1 - cos after {steps[-1]} steps", yscale="log",
              title="capacity: final error per seed")
    for key, color, label in (("minimax", "C3", "GAN, minimax log(1 - D)"), ("nonsaturating", "C1", "GAN, -log D"),
                              ("wgan_over_k", "C0", "WGAN critic / K")):
        v = np.asarray([f[key] for f in result["far"]])
        for row in v:
            ax[2].plot(steps, row, color=color, lw=0.6, alpha=0.5)
        ax[2].plot(steps, np.exp(np.log(np.abs(v)).mean(0)), "-o", color=color, lw=2, label=label)
    ax[2].set(xscale="log", yscale="log", xlabel="discriminator / critic steps",
              ylabel="|gradient to the generator|", title="far-apart Gaussians: the GAN's gradient vanishes")
    ax[2].legend(fontsize=8)
    fig.suptitle("Train the critic till optimality (WGAN Section 3): generator fixed, exact grad W known")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="critic_training",
    title="Train the critic till optimality",
    source="WGAN, Section 3",
    claim=(
        'The more the critic is trained, the more reliable the gradient of W it gives the generator, '
        'with no capacity to balance against the generator; the GAN discriminator\'s gradient instead '
        'vanishes as it improves.'
    ),
    quick="2 seeds instead of 5, critic steps up to 20 instead of 300, widths 16 and 64 only",
    caption=(
        "Left: the direction error 1 - cos between the clipped critic's gradient to the generator and "
        "the exact grad_theta W, against the critic's training steps with the generator fixed, for "
        "three critic widths (mean over seeds, thin lines per seed). Middle: the final error per width "
        "and seed. Right: on far-apart Gaussians, the norm of the generator's gradient through the GAN "
        "discriminator (minimax and -log D) and through the WGAN critic divided by its K, against the "
        "training steps (log-log)."
    ),
    departures=(
        'The paper states it for image GANs with the generator moving; here the generator is held '
        'fixed and the critic trained from scratch for n steps, 1-D. Critic a ReLU MLP 1-w-w-w-1, '
        "clipping c = 0.01, RMSProp 1e-3 (20x the paper's rate); the GAN discriminator the same MLP "
        "(width 64), Adam 1e-3 (5x DCGAN's), batch 256."
    ),
    why={
        'error_falls_with_training': (
            "the clipped critic's gradient direction stops improving early: it plateaus at an error "
            "clipping sets, not at 0."
        ),
        'wider_not_worse': 'a wider clipped critic has a different K and different kinks, and here a worse direction.',
        'gan_gradient_vanishes': 'the discriminator did not saturate within the steps given.',
    },
    run=run, plot=plot,
)


if __name__ == "__main__":
    FIGURE.main()
