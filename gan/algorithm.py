r"""Algorithm 1 of the WGAN paper and the GAN baseline, as plain functions.

One iteration = ``n_critic`` critic (or discriminator) steps, each on a fresh real and a fresh
fake batch, then one generator step:

=====  ============================================  =========================================
algo   critic step                                   generator step
=====  ============================================  =========================================
wgan   ascend :math:`E_{P_r} f - E_{P_\theta} f`,     descend :math:`-E_z f(g_\theta(z))`
       then the Lipschitz constraint (clip, GP, LP,  (Algorithm 1, line 10)
       SN; :mod:`gan.lipschitz`) (lines 2-8)
gan    ascend :math:`E\log D(x) + E\log(1 - D(g(z)))` descend :math:`-E\log D(g(z))` (the -log D
                                                     trick, the DCGAN baseline) or the original
                                                     :math:`E\log(1 - D(g(z)))`
=====  ============================================  =========================================

This is the only implementation of the iteration: the trainer (:mod:`gan.train`) and every toy
that trains a GAN call :func:`iteration` (or its two halves, :func:`critic_step` and
:func:`generator_step`); a critic trained against fixed distributions (a fresh critic probing a
frozen generator) is :func:`train_critic`. The critic step back-propagates the real and the fake terms separately,
as the reference code does (``errD_real.backward(one)``, ``errD_fake.backward(mone)``): each batch
goes through batch norm on its own, and under DDP the first backward runs inside ``no_sync`` so
gradients are all-reduced once. The generator step evaluates the plain (unwrapped) critic with
its parameters frozen. Nothing here calls ``.item()``: a GPU loop never waits on the host.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from .defaults import OptimizerSpec, defaults
from .lipschitz import Constraint, make_constraint
from .losses import (
    GAN_LOSSES,
    accuracy,
    em_estimate,
    gan_generator_loss,
    js_lower_bound,
    log_d,
    log_one_minus_d,
    wgan_generator_loss,
)


@dataclass
class Players:
    """The generator and the critic, their optimisers, and how the critic is held in check.

    ``generator`` and ``critic`` are the modules the steps call: plain, or wrapped by DDP
    and/or ``torch.compile`` (:func:`unwrap` recovers the plain module).
    """

    generator: nn.Module | None  # None when only the critic is trained (a probe)
    critic: nn.Module
    opt_g: torch.optim.Optimizer | None
    opt_c: torch.optim.Optimizer
    algo: str = "wgan"
    constraint: Constraint | None = None  # WGAN only
    gan_loss: str = "nonsaturating"  # GAN only


@dataclass
class IterationStats:
    """Detached 0-d tensors of the iteration's last critic step and of its generator step.

    ``critic``: the EM estimate (WGAN) or the JS lower bound L/2 + ln 2 (GAN); ``accuracy``: the
    discriminator's (GAN; None for WGAN); ``loss_g``: the generator loss.
    """

    critic: Tensor
    accuracy: Tensor | None
    loss_g: Tensor


def make_players(generator: nn.Module | None, critic: nn.Module, algo: str = "wgan", *,
                 lipschitz: str = "clip", constraint_kwargs: dict | None = None,
                 optimizer: OptimizerSpec | None = None, generator_optimizer: OptimizerSpec | None = None,
                 gan_loss: str = "nonsaturating") -> Players:
    """Set up a GAN: attach the Lipschitz constraint to the critic (WGAN), start it inside the
    constraint set, and build both optimisers.

    ``optimizer`` defaults to the algorithm's paper's (the table of :mod:`gan.defaults`: RMSProp
    5e-5 for clipping, Adam for the penalties and spectral norm, Adam 2e-4 with beta1 = 0.5 for
    the GAN); ``generator_optimizer`` gives the generator another one. With ``generator=None``
    only the critic is set up (to probe a fixed pair of distributions).
    """
    if gan_loss not in GAN_LOSSES:
        raise ValueError(f"gan_loss must be one of {GAN_LOSSES}, got {gan_loss!r}")
    spec = optimizer or defaults(algo, lipschitz).optimizer  # also checks algo and lipschitz
    constraint = None
    if algo == "wgan":
        constraint = make_constraint(lipschitz, **(constraint_kwargs or {}))
        critic = constraint.attach(critic)
        constraint.project(critic)
    opt_g = (generator_optimizer or spec).build(generator.parameters()) if generator is not None else None
    return Players(generator, critic, opt_g, spec.build(critic.parameters()), algo, constraint, gan_loss)


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module under ``torch.compile`` and DDP wrappers."""
    module = getattr(module, "_orig_mod", module)
    if isinstance(module, nn.parallel.DistributedDataParallel):
        module = module.module
    return getattr(module, "_orig_mod", module)


def _autocast(x: Tensor, amp: torch.dtype | None):
    return torch.autocast(x.device.type, dtype=amp) if amp is not None else nullcontext()


def _scores(critic: nn.Module, x: Tensor, amp: torch.dtype | None) -> Tensor:
    """The critic's outputs on ``x``, computed under ``amp`` autocast, returned in float32."""
    with _autocast(x, amp):
        return critic(x).float()


@contextmanager
def _no_sync(critic: nn.Module):
    """Under DDP, backward passes inside accumulate local gradients without the all-reduce: the
    critic step's last backward, outside, reduces the sum once. A no-op without DDP."""
    with getattr(getattr(critic, "_orig_mod", critic), "no_sync", nullcontext)():
        yield


def _critic_update(p: Players, real: Tensor, fake: Tensor, amp: torch.dtype | None,
                   real_loss: Callable[[Tensor], Tensor], fake_loss: Callable[[Tensor], Tensor],
                   penalty: Callable[[nn.Module, Tensor, Tensor], Tensor | None] | None = None
                   ) -> tuple[Tensor, Tensor]:
    """One optimiser step of the critic on ``real_loss(f(real)) + penalty + fake_loss(f(fake))``.

    The real and the fake terms are back-propagated separately, as the reference code does
    (``errD_real.backward(one)``, ``errD_fake.backward(mone)``), so each batch goes through batch
    norm on its own. Returns the detached outputs (f(real), f(fake)).
    """
    p.opt_c.zero_grad(set_to_none=True)
    with _no_sync(p.critic):
        out_real = _scores(p.critic, real, amp)
        real_loss(out_real).backward()
        if penalty is not None:
            with _autocast(real, amp):
                term = penalty(p.critic, real, fake)
            if term is not None:
                term.float().backward()
    out_fake = _scores(p.critic, fake, amp)
    fake_loss(out_fake).backward()  # the gradients are all-reduced here, once
    p.opt_c.step()
    return out_real.detach(), out_fake.detach()


def wgan_critic_step(p: Players, real: Tensor, fake: Tensor, amp: torch.dtype | None = None
                     ) -> tuple[Tensor, None]:
    """WGAN, Algorithm 1 lines 3-7: ascend mean f(real) - mean f(fake) (plus the constraint's
    penalty, GP / LP), then project onto the constraint set (clipping). Returns (EM estimate,
    None)."""
    f_real, f_fake = _critic_update(p, real, fake, amp, lambda f: -f.mean(), lambda f: f.mean(),
                                    p.constraint.penalty)
    p.constraint.project(unwrap(p.critic))
    return em_estimate(f_real, f_fake), None


def gan_critic_step(p: Players, real: Tensor, fake: Tensor, amp: torch.dtype | None = None
                    ) -> tuple[Tensor, Tensor]:
    """GAN discriminator step: descend the binary cross-entropy -[mean log D(real) + mean
    log(1 - D(fake))] on logits. Returns (JS lower bound L/2 + ln 2, accuracy)."""
    d_real, d_fake = _critic_update(p, real, fake, amp, lambda d: -log_d(d).mean(),
                                    lambda d: -log_one_minus_d(d).mean())
    return js_lower_bound(d_real, d_fake), accuracy(d_real, d_fake)


def critic_step(p: Players, real: Tensor, fake: Tensor, amp: torch.dtype | None = None
                ) -> tuple[Tensor, Tensor | None]:
    """One critic (WGAN) or discriminator (GAN) step on a real and a detached fake batch:
    :func:`wgan_critic_step` or :func:`gan_critic_step`. ``amp`` (e.g. ``torch.bfloat16``)
    autocasts the forward passes."""
    step = wgan_critic_step if p.algo == "wgan" else gan_critic_step
    return step(p, real, fake, amp)


def generator_step(p: Players, z: Tensor, amp: torch.dtype | None = None) -> Tensor:
    """One generator step against the current critic, whose parameters are frozen for it.

    WGAN (Algorithm 1, line 10): descend -mean f(g(z)). GAN: ``p.gan_loss``, the -log D trick
    ("nonsaturating", the DCGAN baseline) or the original cost ("minimax"). Returns the loss.
    """
    critic = unwrap(p.critic)  # no gradient for the critic: no DDP reduction, no compile guard
    p.opt_g.zero_grad(set_to_none=True)
    frozen = [q for q in critic.parameters() if q.requires_grad]
    for q in frozen:
        q.requires_grad_(False)
    try:
        with _autocast(z, amp):
            out = critic(p.generator(z)).float()
        loss = wgan_generator_loss(out) if p.algo == "wgan" else gan_generator_loss(out, p.gan_loss)
        loss.backward()
    finally:
        for q in frozen:
            q.requires_grad_(True)
    p.opt_g.step()
    return loss.detach()


def iteration(p: Players, real: Callable[[], Tensor], noise: Callable[[], Tensor], n_critic: int,
              amp: torch.dtype | None = None) -> IterationStats:
    """One generator iteration: ``n_critic`` critic steps, then one generator step.

    Parameters
    ----------
    p : Players
    real : callable
        Returns the next real batch.
    noise : callable
        Returns a fresh latent batch; fakes are ``p.generator(noise())`` without gradient.
    n_critic : int
        Critic steps before the generator step (Algorithm 1's n_critic; the GAN baseline uses 1).
    amp : torch.dtype, optional
        Autocast dtype of the forward passes (None: full precision).
    """
    for _ in range(n_critic):
        x = real()
        with torch.no_grad(), _autocast(x, amp):
            fake = p.generator(noise()).float()
        stat, acc = critic_step(p, x, fake, amp)
    loss_g = generator_step(p, noise(), amp)
    return IterationStats(stat, acc, loss_g)


def train_critic(p: Players, batches: Callable[[], tuple[Tensor, Tensor]], steps: int
                 ) -> tuple[Tensor, Tensor | None]:
    """``steps`` critic steps against fixed distributions, with no generator step: a fresh critic
    (or discriminator) probing a frozen generator, or one trained to optimality on a fixed pair.

    Algorithm 1's lines 2-8 with :math:`\theta` held fixed; each step is :func:`critic_step` on a
    fresh pair of batches.

    Parameters
    ----------
    p : Players
        Usually made with ``generator=None`` (:func:`make_players`): only the critic is trained.
    batches : callable
        Returns the next ``(real, fake)`` pair of batches. It is called without gradient, so the
        fakes of a frozen generator come detached; the caller draws the two in its own order.
    steps : int
        Number of critic steps, at least 1.

    Returns
    -------
    (Tensor, Tensor or None)
        The last step's EM estimate and None (WGAN), or its JS lower bound and accuracy (GAN):
        detached 0-d tensors, never read on the host here.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps!r}")
    for _ in range(steps):
        with torch.no_grad():
            real, fake = batches()
        stat, acc = critic_step(p, real, fake)
    return stat, acc


class StepCosine:
    """Cosine between an optimiser's step and the negative gradient, at every ``step()``.

    The WGAN paper (Section 4.2) reports that with Adam (beta1 > 0) on the critic "the cosine
    between the Adam step and the gradient usually turned negative" exactly when training was
    unstable. For plain gradient descent the cosine is 1; for RMSProp (a positive diagonal
    rescaling of the gradient) it is positive by construction; only momentum can make it
    negative. The step is measured before any projection (clipping) that follows it.

    Use as ``monitor = StepCosine(opt)``; ``monitor.values`` holds one float per step (read on
    the host: this synchronises a GPU), ``monitor.remove()`` detaches the hooks.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.values: list[float] = []
        self._params = [q for g in optimizer.param_groups for q in g["params"]]
        self._before: list[Tensor] = []
        self._grads: list[Tensor] = []
        self._hooks = [optimizer.register_step_pre_hook(self._pre),
                       optimizer.register_step_post_hook(self._post)]

    def _pre(self, *_):
        live = [q for q in self._params if q.grad is not None]
        self._before = [q.detach().clone() for q in live]
        self._grads = [q.grad.detach().clone() for q in live]
        self._live = live

    @torch.no_grad()
    def _post(self, *_):
        step = torch.cat([(q - b).flatten() for q, b in zip(self._live, self._before)])
        grad = torch.cat([g.flatten() for g in self._grads])
        denom = step.norm() * grad.norm()
        self.values.append(float(-(step @ grad) / denom) if denom > 0 else 0.0)

    def remove(self) -> None:
        for h in self._hooks:
            h.remove()
