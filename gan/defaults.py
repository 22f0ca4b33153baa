"""Each algorithm's published training settings: one table, read by the trainer's ``Config`` and
by :func:`gan.algorithm.make_players` alike.

=====  =========  ============================  =========  ========  ==========================
algo   lipschitz  optimiser (both players)      critic     n_critic  reference critic schedule
                                                norm
=====  =========  ============================  =========  ========  ==========================
wgan   clip       RMSProp, lr 5e-5              batch      5         yes (100 critic steps for
                  (WGAN, Algorithm 1)                                the first 25 generator
                                                                     steps and every 500th)
wgan   gp         Adam, lr 1e-4, betas (0, 0.9) layer      5         no
                  (WGAN-GP, Algorithm 1)
wgan   lp         as gp (Petzka et al. compare  layer      5         no
                  under WGAN-GP's settings)
wgan   sn         Adam, lr 1e-4, betas          none       5         no
                  (0.5, 0.9) (Miyato et al.,
                  setting A)
gan    (any)      Adam, lr 2e-4, betas          batch      1         no
                  (0.5, 0.999) (DCGAN)
=====  =========  ============================  =========  ========  ==========================

Changing the optimiser keeps the row's learning rate; Adam then takes the DCGAN betas
(0.5, 0.999), the WGAN paper's Section 4.2 setting ("Adam ... beta1 = 0.5").

References
----------
Arjovsky, Chintala, Bottou (2017), Wasserstein GAN, Algorithm 1 and Section 4.2.
Gulrajani et al. (2017), Improved Training of Wasserstein GANs, Algorithm 1.
Petzka, Fischer, Lukovnicov (2018), On the regularization of Wasserstein GANs.
Miyato, Kataoka, Koyama, Yoshida (2018), Spectral Normalization for GANs, Table 1 (A).
Radford, Metz, Chintala (2016), DCGAN, Section 4.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

ALGOS = ("wgan", "gan")
OPTIMIZERS = ("rmsprop", "adam", "sgd")
#: Adam's betas when Adam replaces another optimiser (DCGAN's, and the WGAN paper's Section 4.2)
ADAM_BETAS = (0.5, 0.999)


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimiser by name, learning rate and (Adam's) betas; ``build`` makes it."""

    name: str  # "rmsprop", "adam" or "sgd"
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's

    def build(self, params) -> torch.optim.Optimizer:
        if self.name == "rmsprop":
            return torch.optim.RMSprop(params, lr=self.lr)
        if self.name == "adam":
            return torch.optim.Adam(params, lr=self.lr, betas=tuple(self.betas))
        if self.name == "sgd":
            return torch.optim.SGD(params, lr=self.lr)
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.name!r}")

    def with_optimizer(self, name: str | None) -> OptimizerSpec:
        """Another optimiser at this learning rate (Adam with :data:`ADAM_BETAS`)."""
        if name is None or name == self.name:
            return self
        return replace(self, name=name, betas=ADAM_BETAS if name == "adam" else self.betas)


@dataclass(frozen=True)
class Defaults:
    """One row of the table: what a run of this algorithm and constraint uses unless told."""

    optimizer: OptimizerSpec
    critic_norm: str
    n_critic: int
    reference_schedule: bool


_WGAN_PENALTY = Defaults(OptimizerSpec("adam", 1e-4, (0.0, 0.9)), "layer", 5, False)

TABLE: dict[tuple[str, str | None], Defaults] = {
    ("wgan", "clip"): Defaults(OptimizerSpec("rmsprop", 5e-5), "batch", 5, True),
    ("wgan", "gp"): _WGAN_PENALTY,
    ("wgan", "lp"): _WGAN_PENALTY,
    ("wgan", "sn"): Defaults(OptimizerSpec("adam", 1e-4, (0.5, 0.9)), "none", 5, False),
    ("gan", None): Defaults(OptimizerSpec("adam", 2e-4, ADAM_BETAS), "batch", 1, False),
}


def defaults(algo: str, lipschitz: str | None = "clip") -> Defaults:
    """The table's row for ``algo`` and (WGAN only) its Lipschitz constraint."""
    if algo not in ALGOS:
        raise ValueError(f"algo must be one of {ALGOS}, got {algo!r}")
    key = (algo, lipschitz if algo == "wgan" else None)
    if key not in TABLE:
        raise ValueError(f"lipschitz must be one of {sorted(k[1] for k in TABLE if k[0] == 'wgan')}, "
                         f"got {lipschitz!r}")
    return TABLE[key]
