r"""Lipschitz constraints for the WGAN critic, one small object per method.

The Kantorovich-Rubinstein duality needs the critic in a Lipschitz ball; each method keeps it
there differently. A constraint acts at three points of a critic step:

* ``attach(critic)`` once, before training (spectral normalisation reparametrises layers);
* ``penalty(critic, real, fake)`` each step, a term added to the critic loss (GP, LP);
* ``project(critic)`` after each optimiser step (weight clipping).

=====  ==========================================================================
name   method
=====  ==========================================================================
clip   weight clipping to [-c, c], c = 0.01 (Arjovsky et al. 2017)
gp     gradient penalty lambda E(|grad f| - 1)^2, lambda = 10 (Gulrajani et al. 2017)
lp     one-sided penalty lambda E max(0, |grad f| - 1)^2 (Petzka et al. 2018)
sn     spectral normalisation of every linear and conv layer (Miyato et al. 2018)
=====  ==========================================================================

The optimiser each one's paper trains with (and the critic's normalisation) is in the table of
:mod:`gan.defaults`.

Only ``sn`` bounds the Lipschitz constant by construction (by 1 for the layers, times the
activations' constants); clipping bounds it by an architecture-dependent K; the penalties
enforce it softly, on the sampled interpolates only. ``toys.critic_estimate`` measures what
each one does to the critic's estimate of W.

References
----------
Arjovsky, Chintala, Bottou (2017), Wasserstein GAN, Section 3.
Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), Improved Training of Wasserstein GANs.
Petzka, Fischer, Lukovnicov (2018), On the regularization of Wasserstein GANs.
Miyato, Kataoka, Koyama, Yoshida (2018), Spectral Normalization for GANs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass
class Constraint:
    """No constraint (a base for the others): an unconstrained critic is not a WGAN."""

    name: str = "none"

    def attach(self, critic: nn.Module) -> nn.Module:
        return critic

    def penalty(self, critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor | None:
        return None

    @torch.no_grad()
    def project(self, critic: nn.Module) -> None:
        return None


@dataclass
class WeightClipping(Constraint):
    """Clamp every critic parameter to [-c, c] after each step (batch-norm affine parameters
    included, as the reference implementation clamps ``netD.parameters()``)."""

    name: str = "clip"
    c: float = 0.01

    @torch.no_grad()
    def project(self, critic: nn.Module) -> None:
        params = [p for p in critic.parameters()]
        if hasattr(torch, "_foreach_clamp_min_"):  # one fused launch per list on GPU
            torch._foreach_clamp_min_(params, -self.c)
            torch._foreach_clamp_max_(params, self.c)
        else:  # pragma: no cover - older torch
            for p in params:
                p.clamp_(-self.c, self.c)


def interpolates(real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """x_hat = eps real + (1 - eps) fake, eps ~ U[0, 1] per sample (WGAN-GP, Algorithm 1)."""
    n = min(real.shape[0], fake.shape[0])
    shape = (n,) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)
    return (eps * real[:n] + (1 - eps) * fake[:n]).requires_grad_(True)


def critic_grad_norm(critic: nn.Module, x: Tensor, create_graph: bool = False) -> Tensor:
    """Per-sample norm of the critic's input gradient, |grad_x f(x)|_2."""
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    out = critic(x)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    return g.flatten(1).norm(dim=1)


@dataclass
class GradientPenalty(Constraint):
    """lambda * E[(|grad f(x_hat)|_2 - 1)^2] on random interpolates (two-sided)."""

    name: str = "gp"
    weight: float = 10.0

    def _excess(self, norms: Tensor) -> Tensor:
        return norms - 1.0

    def penalty(self, critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        norms = critic_grad_norm(critic, interpolates(real, fake.detach()), create_graph=True)
        return self.weight * self._excess(norms).square().mean()


@dataclass
class LipschitzPenalty(GradientPenalty):
    """lambda * E[max(0, |grad f(x_hat)|_2 - 1)^2]: penalises only slopes above 1."""

    name: str = "lp"

    def _excess(self, norms: Tensor) -> Tensor:
        return (norms - 1.0).clamp_min(0.0)


@dataclass
class SpectralNorm(Constraint):
    """Divide each linear / conv weight by its largest singular value (one power iteration
    per forward pass, torch's ``spectral_norm`` parametrisation)."""

    name: str = "sn"

    def attach(self, critic: nn.Module) -> nn.Module:
        from torch.nn.utils.parametrizations import spectral_norm

        layers = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
        for module in list(critic.modules()):
            if isinstance(module, layers):
                spectral_norm(module)
        return critic


CONSTRAINTS = {
    "clip": WeightClipping,
    "gp": GradientPenalty,
    "lp": LipschitzPenalty,
    "sn": SpectralNorm,
}


def make_constraint(name: str, **kwargs) -> Constraint:
    """Build a constraint by name: ``clip``, ``gp``, ``lp`` or ``sn``."""
    if name not in CONSTRAINTS:
        raise ValueError(f"lipschitz must be one of {sorted(CONSTRAINTS)}, got {name!r}")
    return CONSTRAINTS[name](**kwargs)


@dataclass
class WeightSphere(Constraint):
    r"""Project every critic parameter tensor onto a sphere after each step: :math:`p \leftarrow
    r_p\, p / \|p\|_2` with :math:`r_p = c\sqrt{\mathrm{numel}(p)}`, the radius of the corners of
    clipping's box :math:`[-c, c]^{\mathrm{numel}(p)}` (a fully saturated clipped tensor lies on
    it). The WGAN paper (Section 3) tried "projecting the weights to a sphere" instead of clipping,
    with "little difference"; it gives no radius, so this one is ours. Not a trainer option (not in
    :data:`CONSTRAINTS`): ``toys.weight_projection`` sets it on the players itself."""

    name: str = "sphere"
    c: float = 0.01

    @torch.no_grad()
    def project(self, critic: nn.Module) -> None:
        for p in critic.parameters():
            norm = p.norm()
            if norm > 0:
                p.mul_(self.c * p.numel() ** 0.5 / norm)
