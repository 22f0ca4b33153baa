"""The figures of the write-up: which toy makes each, and the paper's claim in one sentence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str  # the toy module, toys.NAME, and the files NAME.png / NAME.json
    title: str
    source: str  # where the claim is made
    claim: str  # the paper's claim, in one sentence
    pooled: bool = False  # the toy runs its own two worker processes
    cost: float = 1.0  # relative running time, to schedule the longest single-core toys first


FIGURES = (
    Figure("parallel_lines", "Learning parallel lines", "WGAN, Example 1 and Figure 1",
           "Between two parallel segments at horizontal distance theta, the EM distance is |theta| "
           "and gives a usable gradient, while JS (ln 2), KL (+inf) and TV (1) jump at theta = 0, "
           "so only EM lets gradient descent learn theta.", cost=1.2),
    Figure("two_gaussians", "Optimal discriminator and critic", "WGAN, Figure 2",
           "Trained to optimality on two far-apart Gaussians, a GAN discriminator saturates and "
           "its gradient vanishes, while the WGAN critic stays linear and gives clean gradients "
           "everywhere.", cost=1.5),
    Figure("noise_annealing", "Noise annealing bounds W", "Towards Principled Methods, Lemma 4 and Theorem 3.3",
           "Noise of variance V moves a distribution by at most V^(1/2) in EM distance yet keeps "
           "its JS with the noiseless one at ln 2, and W(Pr, Pg) <= 2 V^(1/2) + 2 C sqrt(JSD) of "
           "the noisy pair."),
    Figure("perfect_discriminator", "The perfect discriminator", "Towards Principled Methods, Theorems 2.1-2.6 and Figures 1-3",
           "Against a generator on a low-dimensional manifold the discriminator becomes perfect; "
           "through it the original cost's gradient vanishes and the -log D gradient grows and "
           "gets noisy, and -log D descends KL(Pg||Pr) - 2 JSD (Theorem 2.5).", cost=2.0),
    Figure("critic_estimate", "Which critic reads as W?", "beyond the papers (WGAN, Section 3: \"a clearly terrible way\")",
           "Weight clipping makes the critic estimate K W for an unknown K; the other Lipschitz "
           "constraints are measured against the exact EM to find which critic reads W itself.",
           pooled=True),
    Figure("mode_collapse", "Mode collapse, measured", "WGAN, Section 4.3",
           "\"In no experiment did we see evidence of mode collapse for the WGAN algorithm\": "
           "checked against a GAN on the 8-Gaussian ring and the 25-Gaussian grid, with each "
           "Lipschitz constraint.", pooled=True),
    Figure("quality_validation", "Which quality metric can be believed?", "Heusel et al. 2017, Figure 1, on MNIST",
           cost=3.0, claim=(
           "A quality metric must rank known degradations of real digits (noise, blur, salt and pepper, "
           "occlusion, elastic warp, foreign images), dropped classes and degenerate generators monotonically "
           "above the real-versus-real floor before any training claim may rest on it.")),
    Figure("loss_quality", "Does the loss track sample quality?", "WGAN, Section 4.2, Figures 3, 4 and 8",
           "The WGAN critic's EM estimate correlates with sample quality, while the GAN's JS estimate and "
           "generator cost stay constant or go up whatever the quality; measured on real digits with the "
           "validated FD, a fresh-critic probe, and statistics that time alone cannot produce.", pooled=True),
    Figure("architectures", "Robustness across generators", "WGAN, Figures 5-7 and Section 4.2",
           "WGAN learns with generators the GAN cannot train (no batch norm, an MLP), the GAN shows mode "
           "collapse with the MLP, and Adam on the critic makes WGAN unstable, its step turning against "
           "the gradient.", pooled=True),
    Figure("stacked_mnist", "Mode collapse on Stacked MNIST", "VEEGAN / PacGAN benchmark (WGAN, Section 4.3)",
           "On 1,000 modes (three digits stacked in the channels), count the modes each method covers, "
           "beside the published table.", pooled=True),
)
