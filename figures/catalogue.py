"""The figures of the write-up, in its order: the module that makes each.

Each is a claim module (:mod:`claims.contract`): a paper toy ``toys.NAME`` or a trainer
experiment ``experiments.NAME``, carrying its title, source, claim, caption, departures and
extra tables itself. Adding a figure is one new module and its line here.
"""

from __future__ import annotations

from types import ModuleType

from claims.contract import load

MODULES = (
    "toys.parallel_lines",
    "toys.two_gaussians",
    "toys.noise_annealing",
    "toys.perfect_discriminator",
    "toys.generator_rank",
    "toys.vanishing_bound",
    "toys.finite_precision",
    "toys.noisy_gradient",
    "toys.noisy_training",
    "toys.critic_estimate",
    "toys.theorem3_gradient",
    "toys.critic_training",
    "toys.weight_clipping",
    "toys.weight_projection",
    "toys.mmd_bandwidth",
    "toys.mode_collapse",
    "experiments.quality_validation",
    "experiments.loss_quality",
    "experiments.architectures",
    "experiments.stacked_mnist",
)

#: the claim modules, imported and checked against the contract
FIGURES: tuple[ModuleType, ...] = tuple(load(m) for m in MODULES)
