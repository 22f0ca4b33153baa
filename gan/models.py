"""Generators and critics: the WGAN paper's three generators, its two critics, and small MLPs.

Image models take latents of shape (B, nz) and images of shape (B, nc, S, S) in [-1, 1], for
any S that is a multiple of 16. A critic returns one value per image, shape (B,): the WGAN
critic's output is used as is (no sigmoid) and averaged over the batch by the loss; the GAN
discriminator's output is a logit.

* ``DCGANGenerator`` / ``DCGANCritic``: Radford et al. (2016), as in the WGAN reference code:
  for S = 64, ConvT 100->512 (4x4), 512->256->128->64, ->3 (64x64) with batch norm and ReLU,
  tanh output; the critic mirrors it with LeakyReLU(0.2), batch norm after every conv but the
  first, no bias. For other S the stride-2 stages run from S down to a base size
  S / 2^L in {3, ..., 7} (4 for powers of two).
  ``extra_layers`` adds 3x3 stride-1 conv layers (with the block's normalisation) at the top
  resolution of both, as the reference code's ``n_extra_layers``.
* ``DCGANGenerator(batch_norm=False, constant_width=True)``: the WGAN paper's Figure 6
  generator, "without batch normalization and constant number of filters at every layer".
* ``dcgan-const``: the same constant-width generator with batch norm kept: the Figure 6
  generator with only batch norm restored (what tells the GAN's failure without batch norm
  from its narrow layers or their initialisation).
* ``MLPGenerator`` / ``MLPCritic``: 4-layer ReLU MLPs with 512 hidden units (Figures 3 and 7),
  the generator with a linear output as in the reference code.
* ``mlp`` / ``critic_mlp``: plain ReLU MLPs for the low-dimensional toys (``batch_norm=True``:
  batch norm before every ReLU and no hidden biases, the generator of ALI's and PacGAN's 2-D
  experiments); ``maxout_critic``: the maxout discriminator of those experiments;
  ``tflib_init_``: the initialisation of WGAN-GP's toy script (``gan_toy.py``).

:func:`generate` draws a generator's images without changing its state (the trainer's sample
sheets and evaluations, :mod:`gan.evaluate`, the experiments).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import Tensor, nn


def mlp(in_dim: int, out_dim: int, hidden: int = 64, depth: int = 3,
        activation: type[nn.Module] = nn.ReLU, batch_norm: bool = False) -> nn.Sequential:
    """A ReLU MLP with ``depth`` hidden layers of ``hidden`` units (``depth + 1`` linear maps).

    ``batch_norm``: each hidden linear map (without bias) is followed by ``BatchNorm1d`` before
    the activation, as the generators of ALI's and PacGAN's 2-D experiments; the output map
    keeps its bias.
    """
    dims = [in_dim] + [hidden] * depth
    layers: list[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b, bias=not batch_norm), *([nn.BatchNorm1d(b)] if batch_norm else []), activation()]
    layers.append(nn.Linear(dims[-1], out_dim))
    return nn.Sequential(*layers)


def critic_mlp(in_dim: int, hidden: int = 64, depth: int = 3) -> nn.Sequential:
    """A scalar-valued ReLU MLP (B, in_dim) -> (B,): a toy critic or discriminator (logit)."""
    return nn.Sequential(*mlp(in_dim, 1, hidden, depth), nn.Flatten(0))


class Maxout(nn.Module):
    """A linear map to ``out_dim * pieces`` units, then the maximum over each group of ``pieces``
    (Goodfellow et al. 2013; Theano blocks' ``LinearMaxout``)."""

    def __init__(self, in_dim: int, out_dim: int, pieces: int):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim * pieces)
        self.out_dim, self.pieces = out_dim, pieces

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).reshape(x.shape[0], self.out_dim, self.pieces).amax(dim=2)


def maxout_critic(in_dim: int, hidden: int = 200, depth: int = 3, pieces: int = 5, init_std: float | None = 0.02
                  ) -> nn.Sequential:
    """A scalar-valued maxout MLP (B, in_dim) -> (B,): ``depth`` maxout layers of ``hidden`` units
    with ``pieces`` pieces, then a linear output, the discriminator of ALI's and PacGAN's 2-D
    experiments (200 units, 5 pieces, 3 layers). ``init_std``: every weight ~ N(0, init_std),
    biases 0, as those experiments initialise (None keeps PyTorch's default)."""
    dims = [in_dim] + [hidden] * depth
    net = nn.Sequential(*[Maxout(a, b, pieces) for a, b in zip(dims[:-1], dims[1:])], nn.Linear(hidden, 1),
                        nn.Flatten(0))
    return normal_init_(net, init_std) if init_std is not None else net


def normal_init_(net: nn.Module, std: float = 0.02) -> nn.Module:
    """Every linear weight ~ N(0, std), every linear bias 0 (blocks' ``IsotropicGaussian(std)``,
    ``Constant(0)``, as ALI's and PacGAN's 2-D experiments initialise). Returns ``net``."""
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return net


def tflib_init_(net: nn.Module) -> nn.Module:
    """The initialisation of WGAN-GP's toy script (``gan_toy.py``, tflib's ``Linear``): hidden
    linear maps "he" (uniform, standard deviation sqrt(2 / fan_in)), the output map "glorot"
    (uniform, standard deviation sqrt(2 / (fan_in + fan_out))), biases 0. Returns ``net``."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    for i, m in enumerate(linears):
        fan_out, fan_in = m.weight.shape
        std = (2.0 / fan_in) ** 0.5 if i < len(linears) - 1 else (2.0 / (fan_in + fan_out)) ** 0.5
        nn.init.uniform_(m.weight, -std * 3 ** 0.5, std * 3 ** 0.5)
        nn.init.zeros_(m.bias)
    return net


class Squeeze(nn.Module):
    """(B, 1, ...) -> (B,)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0])


def stages(image_size: int) -> tuple[int, int]:
    """(number of stride-2 stages L, base size S / 2^L) for an image size multiple of 16."""
    if image_size < 16 or image_size % 16:
        raise ValueError(f"image_size must be a positive multiple of 16, got {image_size}")
    size, n = image_size, 0
    while size % 2 == 0 and size > 4:
        size //= 2
        n += 1
    return n, size


class DCGANGenerator(nn.Module):
    """DCGAN generator (latent (B, nz) -> image (B, nc, S, S) in [-1, 1])."""

    def __init__(self, image_size: int = 64, nz: int = 100, ngf: int = 64, nc: int = 3,
                 batch_norm: bool = True, constant_width: bool = False, extra_layers: int = 0):
        super().__init__()
        n, base = stages(image_size)
        width = ngf if constant_width else ngf * 2 ** (n - 1)

        def block(cin: int, cout: int, k: int, s: int, p: int) -> list[nn.Module]:
            out: list[nn.Module] = [nn.ConvTranspose2d(cin, cout, k, s, p, bias=False)]
            if batch_norm:
                out.append(nn.BatchNorm2d(cout))
            return out + [nn.ReLU(True)]

        layers = block(nz, width, base, 1, 0)
        for _ in range(n - 1):
            nxt = width if constant_width else width // 2
            layers += block(width, nxt, 4, 2, 1)
            width = nxt
        for _ in range(extra_layers):  # at the last hidden resolution, S / 2
            layers += [nn.Conv2d(width, width, 3, 1, 1, bias=False)]
            layers += ([nn.BatchNorm2d(width)] if batch_norm else []) + [nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.nz = nz
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z.reshape(z.shape[0], self.nz, 1, 1))


def _norm(kind: str, channels: int) -> list[nn.Module]:
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    if kind == "layer":  # layer norm over (C, H, W), as WGAN-GP's critics use
        return [nn.GroupNorm(1, channels)]
    if kind == "none":
        return []
    raise ValueError(f"norm must be 'batch', 'layer' or 'none', got {kind!r}")


class DCGANCritic(nn.Module):
    """DCGAN discriminator / WGAN critic (image (B, nc, S, S) -> (B,), no sigmoid)."""

    def __init__(self, image_size: int = 64, ndf: int = 64, nc: int = 3, norm: str = "batch",
                 extra_layers: int = 0):
        super().__init__()
        n, base = stages(image_size)
        layers: list[nn.Module] = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        width = ndf
        for _ in range(extra_layers):  # at the first hidden resolution, S / 2
            layers += [nn.Conv2d(width, width, 3, 1, 1, bias=False), *_norm(norm, width),
                       nn.LeakyReLU(0.2, True)]
        for _ in range(n - 1):
            layers += [nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), *_norm(norm, 2 * width),
                       nn.LeakyReLU(0.2, True)]
            width *= 2
        layers += [nn.Conv2d(width, 1, base, 1, 0, bias=False), Squeeze()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


class MLPGenerator(nn.Module):
    """4-layer ReLU MLP generator, linear output reshaped to (B, nc, S, S) (reference code)."""

    def __init__(self, image_size: int = 64, nz: int = 100, hidden: int = 512, nc: int = 3):
        super().__init__()
        stages(image_size)
        self.shape = (nc, image_size, image_size)
        self.main = mlp(nz, nc * image_size * image_size, hidden=hidden, depth=3)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z.reshape(z.shape[0], -1)).reshape(z.shape[0], *self.shape)


class MLPCritic(nn.Module):
    """4-layer ReLU MLP critic on flattened images, output (B,)."""

    def __init__(self, image_size: int = 64, hidden: int = 512, nc: int = 3):
        super().__init__()
        stages(image_size)
        self.main = mlp(nc * image_size * image_size, 1, hidden=hidden, depth=3)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x.reshape(x.shape[0], -1)).reshape(x.shape[0])


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights ~ N(0, 0.02); batch-norm weights ~ N(1, 0.02), bias 0.

    Apply with ``model.apply(dcgan_init_)``; linear layers keep PyTorch's default, as in the
    reference code.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


GENERATORS = ("dcgan", "dcgan-nobn", "dcgan-const", "mlp")
CRITICS = ("dcgan", "mlp")
NORMS = ("batch", "layer", "none")


def build_generator(name: str, image_size: int, nz: int = 100, width: int = 64,
                    mlp_hidden: int = 512, nc: int = 3, extra_layers: int = 0) -> nn.Module:
    """One of the WGAN paper's generators by name: ``dcgan``, ``dcgan-nobn`` or ``mlp`` (or
    ``dcgan-const``, the ``dcgan-nobn`` generator with batch norm)."""
    if name == "dcgan":
        net = DCGANGenerator(image_size, nz, width, nc, extra_layers=extra_layers)
    elif name == "dcgan-const":
        net = DCGANGenerator(image_size, nz, width, nc, constant_width=True, extra_layers=extra_layers)
    elif name == "dcgan-nobn":
        net = DCGANGenerator(image_size, nz, width, nc, batch_norm=False, constant_width=True,
                             extra_layers=extra_layers)
    elif name == "mlp":
        net = MLPGenerator(image_size, nz, mlp_hidden, nc)
    else:
        raise ValueError(f"generator must be one of {GENERATORS}, got {name!r}")
    net.apply(dcgan_init_)
    return net


def build_critic(name: str, image_size: int, width: int = 64, mlp_hidden: int = 512,
                 nc: int = 3, norm: str = "batch", extra_layers: int = 0) -> nn.Module:
    """A critic (or GAN discriminator) by name: ``dcgan`` or ``mlp``."""
    if name == "dcgan":
        net = DCGANCritic(image_size, width, nc, norm, extra_layers)
    elif name == "mlp":
        net = MLPCritic(image_size, mlp_hidden, nc)
    else:
        raise ValueError(f"critic must be one of {CRITICS}, got {name!r}")
    net.apply(dcgan_init_)
    return net


def output_channels(state_dict: dict, image_size: int) -> int:
    """The image channels of a generator of :func:`build_generator`, read from its weights: the
    last entry is the output layer's (a transposed convolution's weight (C_in, C, 4, 4), or an
    MLP's bias of C * S * S values)."""
    last = list(state_dict.values())[-1]
    return int(last.shape[1]) if last.dim() == 4 else int(last.numel()) // image_size ** 2


@contextmanager
def frozen_batchnorm_stats(module: nn.Module):
    """Forward in train mode (batch statistics, as the reference samples) without updating the
    running statistics, so drawing samples does not change the model's state."""
    bns = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.momentum, m.num_batches_tracked.clone() if m.num_batches_tracked is not None else None)
             for m in bns]
    for m in bns:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, (mom, count) in zip(bns, saved):
            m.momentum = mom
            if count is not None:
                m.num_batches_tracked.copy_(count)


@torch.no_grad()
def generate(G: nn.Module, z: Tensor, batch: int = 500) -> Tensor:
    """Images of a generator for the latents ``z`` (float32, in batches of ``batch``), without
    changing its state (:func:`frozen_batchnorm_stats`)."""
    with frozen_batchnorm_stats(G):
        return torch.cat([G(z[i:i + batch]).float() for i in range(0, len(z), batch)])
