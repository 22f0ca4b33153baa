"""The figures of the write-up, in its order: the module that makes each.

Each is a claim module (:mod:`claims.contract`): a paper toy ``toys.NAME`` or a trainer
experiment ``experiments.NAME``, declaring itself in one record, ``FIGURE`` (its title, source,
claim, caption, departures, run, plot and extra tables). Adding a figure is one new module and
its line here.
"""

from __future__ import annotations

from claims.contract import Figure, load

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

#: the records of the claim modules, imported and checked against the contract
FIGURES: tuple[Figure, ...] = tuple(load(m) for m in MODULES)
