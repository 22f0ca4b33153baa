"""One optimisation step of each player, shared by the toys and the LSUN trainer.

The critic and discriminator steps back-propagate the real and the fake terms separately, as
the WGAN reference code does (``errD_real.backward(one)``, ``errD_fake.backward(mone)``): each
batch goes through batch norm on its own, and under DDP the first backward runs inside
``no_sync`` so the gradients are all-reduced once, after the second. Steps return detached
tensors and never call ``.item()``, so a GPU loop never waits on the host.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Callable, ContextManager

import torch
from torch import Tensor, nn

from .lipschitz import Constraint
from .losses import (
    accuracy,
    em_estimate,
    gan_generator_loss,
    js_lower_bound,
    log_d,
    log_one_minus_d,
    wgan_generator_loss,
)

NoSync = Callable[[], ContextManager]
Amp = Callable[[], ContextManager]


def wgan_critic_step(critic: nn.Module, optimizer: torch.optim.Optimizer, constraint: Constraint,
                     real: Tensor, fake: Tensor, no_sync: NoSync = nullcontext,
                     amp: Amp = nullcontext) -> Tensor:
    """Algorithm 1, lines 3-7: ascend mean f(real) - mean f(fake), then apply the constraint.

    ``fake`` must be detached from the generator. ``amp`` wraps the forward passes (e.g.
    bf16 autocast); backward passes run outside it. Returns the EM estimate of this step.
    """
    optimizer.zero_grad(set_to_none=True)
    with no_sync():
        with amp():
            f_real = critic(real).float()
        (-f_real.mean()).backward()
        with amp():
            penalty = constraint.penalty(critic, real, fake)
        if penalty is not None:
            penalty.float().backward()
    with amp():
        f_fake = critic(fake).float()
    f_fake.mean().backward()
    optimizer.step()
    constraint.project(critic)
    return em_estimate(f_real.detach(), f_fake.detach())


def gan_discriminator_step(disc: nn.Module, optimizer: torch.optim.Optimizer, real: Tensor,
                           fake: Tensor, no_sync: NoSync = nullcontext,
                           amp: Amp = nullcontext) -> tuple[Tensor, Tensor]:
    """Descend -[mean log D(real) + mean log(1 - D(fake))] (D outputs logits).

    Returns (JS lower bound L/2 + ln 2, accuracy) of this step.
    """
    optimizer.zero_grad(set_to_none=True)
    with no_sync():
        with amp():
            l_real = disc(real).float()
        (-log_d(l_real).mean()).backward()
    with amp():
        l_fake = disc(fake).float()
    (-log_one_minus_d(l_fake).mean()).backward()
    optimizer.step()
    l_real, l_fake = l_real.detach(), l_fake.detach()
    return js_lower_bound(l_real, l_fake), accuracy(l_real, l_fake)


def generator_step(generator: nn.Module, critic: nn.Module, optimizer: torch.optim.Optimizer,
                   z: Tensor, algo: str = "wgan", gan_loss: str = "nonsaturating",
                   amp: Amp = nullcontext) -> Tensor:
    """One generator step against a fixed critic / discriminator.

    WGAN (Algorithm 1, line 10): descend -mean f(g(z)). GAN: the -log D trick
    (``gan_loss="nonsaturating"``, the DCGAN baseline) or the original cost
    (``"minimax"``). The critic's parameters are frozen for the step, so no gradient is
    accumulated into them. Returns the generator loss.
    """
    optimizer.zero_grad(set_to_none=True)
    flags = [p.requires_grad for p in critic.parameters()]
    critic.requires_grad_(False)
    try:
        with amp():
            out = critic(generator(z)).float()
        loss = wgan_generator_loss(out) if algo == "wgan" else gan_generator_loss(out, gan_loss)
        loss.backward()
    finally:
        for p, f in zip(critic.parameters(), flags):
            p.requires_grad_(f)
    optimizer.step()
    return loss.detach()
