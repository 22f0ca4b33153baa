r"""A 1-D generator whose W to the target is exact: what the gradient toys share.

The target is :math:`P_r = N(\mu_r, \sigma_r^2)` and the generator is the affine map
:math:`g_\theta(z) = \mu + \sigma z`, :math:`z \sim N(0, 1)`, :math:`\theta = (\mu, \sigma)`
(``gan.models.mlp(1, 1, depth=0)``: one linear map, bias :math:`\mu`, weight :math:`\sigma`).
Then :math:`P_\theta = N(\mu, \sigma^2)` and :math:`W(P_r, P_\theta)` has a closed form
(:func:`divergences.wasserstein_gaussian_1d`), so the exact gradient :math:`\nabla_\theta W`
is known (a central difference of the closed form, error ~1e-9) and every critic's or
discriminator's gradient to the generator can be set against it.

* :func:`generator` -- the affine generator at :math:`\theta`;
* :func:`exact_w`, :func:`exact_gradient` -- :math:`W(P_r, P_\theta)` and :math:`\nabla_\theta W`;
* :func:`generator_gradient` -- the gradient of a generator loss (:mod:`gan.losses`) through a
  critic, :math:`\nabla_\theta` of e.g. :math:`-E_z f(g_\theta(z))` (WGAN, Theorem 3);
* :func:`cosine` -- the cosine between two gradients;
* :func:`batches` -- the ``(real, fake)`` sampler :func:`gan.algorithm.train_critic` wants;
* :func:`verdict_args` -- "no verdict" and its reason when a run cannot decide (too few seeds
  under ``--quick``, a failed control), else nothing: :func:`claims.claim` then decides.

The default pair, :math:`N(0, 0.5^2)` against :math:`N(0.3, 0.2^2)`, overlaps: the optimal
critic's slope :math:`\mathrm{sign}(F_\theta - F_r)` changes sign once (near x = 0.45), so both components of
:math:`\nabla_\theta W` are non-zero and a linear critic cannot give the :math:`\sigma` one.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

import divergences as D
from gan.models import mlp

#: the target N(mu_r, sigma_r^2)
REAL = (0.0, 0.5)
#: the generator's parameters theta = (mu, sigma)
THETA = (0.3, 0.2)


def generator(theta: tuple[float, float] = THETA) -> nn.Module:
    """The affine generator g(z) = mu + sigma z as ``gan.models.mlp(1, 1, depth=0)``."""
    mu, sigma = theta
    g = mlp(1, 1, depth=0)
    with torch.no_grad():
        g[0].bias.fill_(float(mu))
        g[0].weight.fill_(float(sigma))
    return g


def exact_w(theta: tuple[float, float] = THETA, real: tuple[float, float] = REAL) -> float:
    """W1(N(mu_r, sigma_r^2), N(mu, |sigma|^2)) in closed form."""
    return D.wasserstein_gaussian_1d(real[0], real[1], float(theta[0]), abs(float(theta[1])), order=1)


def exact_gradient(theta: tuple[float, float] = THETA, real: tuple[float, float] = REAL,
                   h: float = 1e-6) -> np.ndarray:
    r""":math:`(\partial W/\partial\mu, \partial W/\partial\sigma)` by central differences of
    the closed form (smooth in theta where sigma != sigma_r)."""
    t = np.asarray(theta, dtype=float)
    out = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[i] = (exact_w(t + e, real) - exact_w(t - e, real)) / (2 * h)
    return out


def generator_gradient(critic: nn.Module, loss: Callable[[Tensor], Tensor], theta: tuple[float, float] = THETA,
                       n: int = 20000, seed: int = 12345) -> np.ndarray:
    r""":math:`\nabla_\theta` of ``loss(critic(g_theta(z)))`` over ``n`` fixed latents, as
    (d/d mu, d/d sigma); e.g. ``loss = gan.losses.wgan_generator_loss`` gives
    :math:`-\nabla_\theta E_z f(g_\theta(z))`, which Theorem 3 equates with
    :math:`\nabla_\theta W` for the optimal critic. The critic is evaluated in eval mode (batch
    norm with its running statistics) and left as it was."""
    g = generator(theta)
    z = torch.randn(n, 1, generator=torch.Generator().manual_seed(seed))
    was = critic.training
    critic.eval()
    try:
        out = loss(critic(g(z)))
        gb, gw = torch.autograd.grad(out, [g[0].bias, g[0].weight])
    finally:
        critic.train(was)
    return np.array([float(gb.sum()), float(gw.sum())])


def cosine(a, b) -> float:
    """Cosine between two vectors (0 when either is 0)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / d) if d > 0 else 0.0


def batches(theta: tuple[float, float] = THETA, real: tuple[float, float] = REAL, batch: int = 256
            ) -> Callable[[], tuple[Tensor, Tensor]]:
    """A ``(real, fake)`` sampler for :func:`gan.algorithm.train_critic`: fresh batches of P_r and
    of P_theta (the generator held fixed)."""
    g = generator(theta)

    def draw():
        return real[0] + real[1] * torch.randn(batch, 1), g(torch.randn(batch, 1))
    return draw


def verdict_args(decided: bool, controls: list[dict], n_seeds: int) -> dict:
    """Keyword arguments for :func:`claims.claim`: ``{}`` when the finding can be decided (enough
    seeds, every control passed), else ``verdict="no verdict"`` with its reason."""
    if not decided:
        return {"verdict": "no verdict", "reason": f"--quick: {n_seeds} seeds, too few for a verdict (full run)"}
    failed = [c["reproduces"] for c in controls if not c["holds"]]
    if failed:
        return {"verdict": "no verdict", "reason": "a control failed: " + "; ".join(failed)}
    return {}
