r"""The GAN and WGAN objectives, written once and used by the toys and the LSUN trainer.

WGAN (Arjovsky, Chintala, Bottou 2017, eq. 3 and Algorithm 1), in the paper's orientation:
the critic f maximises :math:`E_{P_r} f - E_{P_\theta} f`, an estimate of K W(P_r, P_theta);
the generator descends :math:`-E_z f(g_\theta(z))`.

GAN (Goodfellow et al. 2014): the discriminator D = sigmoid(logit) maximises
:math:`L(D, g) = E_{P_r}\log D + E_{P_g}\log(1 - D)`, and :math:`L/2 + \ln 2` is a lower
bound of :math:`JS(P_r, P_g)` (WGAN paper, Section 4.2). The generator either descends
the original ("minimax") cost :math:`E\log(1 - D(g(z)))`, whose gradient vanishes as D
becomes perfect (Arjovsky & Bottou 2017, Theorem 2.4), or the "-log D" alternative
:math:`-E\log D(g(z))` (the DCGAN baseline), whose gradient is unstable (Theorems 2.5-2.6).

Discriminators output logits; every log D and log(1 - D) is computed with softplus, so
saturated discriminators give exact, finite losses and gradients.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

LN2 = math.log(2.0)
GAN_LOSSES = ("nonsaturating", "minimax")


def em_estimate(f_real: Tensor, f_fake: Tensor) -> Tensor:
    """The critic's estimate of K * W(P_r, P_g): mean f(real) - mean f(fake)."""
    return f_real.mean() - f_fake.mean()


def wgan_generator_loss(f_fake: Tensor) -> Tensor:
    """WGAN generator loss to minimise: -mean f(g(z)) (Algorithm 1, line 10)."""
    return -f_fake.mean()


def log_d(logits: Tensor) -> Tensor:
    """log D(x) = log sigmoid(logit) = -softplus(-logit), exact for saturated logits."""
    return -F.softplus(-logits)


def log_one_minus_d(logits: Tensor) -> Tensor:
    """log(1 - D(x)) = -softplus(logit)."""
    return -F.softplus(logits)


def gan_value(logit_real: Tensor, logit_fake: Tensor) -> Tensor:
    """L(D, g) = mean log D(real) + mean log(1 - D(fake)) (WGAN paper, Section 4.2)."""
    return log_d(logit_real).mean() + log_one_minus_d(logit_fake).mean()


def discriminator_loss(logit_real: Tensor, logit_fake: Tensor) -> Tensor:
    """GAN discriminator loss to minimise: -L(D, g) (binary cross-entropy, real = 1)."""
    return -gan_value(logit_real, logit_fake)


def js_lower_bound(logit_real: Tensor, logit_fake: Tensor) -> Tensor:
    """L/2 + ln 2 <= JS(P_r, P_g), the quantity of the WGAN paper's Figure 4."""
    return 0.5 * gan_value(logit_real, logit_fake) + LN2


def gan_generator_loss(logit_fake: Tensor, kind: str = "nonsaturating") -> Tensor:
    """GAN generator loss to minimise.

    Parameters
    ----------
    logit_fake : Tensor
        Discriminator logits on generated samples.
    kind : {"nonsaturating", "minimax"}
        ``"nonsaturating"``: the -log D trick, -mean log D(g(z)) (the DCGAN baseline).
        ``"minimax"``: the original cost, mean log(1 - D(g(z))).
    """
    if kind == "nonsaturating":
        return -log_d(logit_fake).mean()
    if kind == "minimax":
        return log_one_minus_d(logit_fake).mean()
    raise ValueError(f"kind must be one of {GAN_LOSSES}, got {kind!r}")


def accuracy(logit_real: Tensor, logit_fake: Tensor) -> Tensor:
    """Fraction of real and fake samples the discriminator classifies correctly."""
    correct = (logit_real > 0).float().sum() + (logit_fake < 0).float().sum()
    return correct / (logit_real.numel() + logit_fake.numel())
