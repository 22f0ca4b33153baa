"""A training run in memory: its players, data, EMA and counters (:class:`Run`), built from a
resolved :class:`gan.config.Config` (:func:`build`), and what its checkpoint holds.

Everything is made in a fixed order from ``cfg.seed`` (the models' initialisation, the fixed
noise of the sample sheets, then the training noise, which differs across ranks), so that a
resumed run, which builds the same objects and then loads the checkpoint over them, continues
exactly.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import checkpoint, distributed
from .algorithm import Players, make_players, unwrap
from .batches import open_batches
from .config import Config, identity
from .data import open_source
from .models import build_critic, build_generator
from .progress import millions


@dataclass
class Run:
    """Everything a training run holds (what a checkpoint saves, and how to continue)."""

    cfg: Config
    d: distributed.Dist
    players: Players
    data: object  # gan.batches.ArrayBatches or DecodedBatches
    fixed_noise: torch.Tensor
    ema: nn.Module | None = None
    evaluator: object = None  # gan.quality.Evaluator, with --eval-every
    channels: int = 3  # of the data's images
    tensorboard: object = None  # a torch.utils.tensorboard SummaryWriter, with --tensorboard (rank 0)
    step: int = 0
    started_at: int = 0  # the step this process started from (the checkpoint's, when resuming)
    critic_steps: int = 0
    elapsed: float = 0.0
    pending: list = field(default_factory=list)

    @property
    def G(self) -> nn.Module:
        return unwrap(self.players.generator)

    @property
    def C(self) -> nn.Module:
        return unwrap(self.players.critic)

    @property
    def run_dir(self) -> Path:
        return Path(self.cfg.out)

    @property
    def amp(self) -> torch.dtype | None:
        return torch.bfloat16 if self.cfg.bf16 else None

    def noise(self, n: int | None = None) -> torch.Tensor:
        return torch.randn(n or self.cfg.batch_size, self.cfg.nz, device=self.d.device)

    def state_dict(self) -> dict:
        """The checkpoint (every rank takes part: RNG and data positions are gathered)."""
        return {
            "config": dataclasses.asdict(self.cfg), "world": self.d.world,
            "step": self.step, "critic_steps": self.critic_steps, "elapsed": self.elapsed,
            "generator": self.G.state_dict(), "critic": self.C.state_dict(),
            "opt_g": self.players.opt_g.state_dict(), "opt_c": self.players.opt_c.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "rng": distributed.all_gather(self.d, checkpoint.rng_state(self.d.device)),
            "data": distributed.all_gather(self.d, self.data.state_dict()),
            "fixed_noise": self.fixed_noise,
        }

    def close(self, wait_for_peers: bool = True) -> None:
        """Drop the DDP wrappers and leave the process group this run started."""
        if self.tensorboard is not None:
            self.tensorboard.close()
            self.tensorboard = None
        self.players.generator, self.players.critic = self.G, self.C
        distributed.close(self.d, wait_for_peers)

    def board(self):
        """The TensorBoard writer of ``--tensorboard`` (rank 0; None otherwise), opened at its first
        use, once start-up is over (so that ``--overwrite`` never sets it aside). A resumed run
        purges the events logged after its checkpoint, as it cuts ``metrics.jsonl``."""
        if self.tensorboard is None and self.cfg.tensorboard and self.d.is_main:
            from torch.utils.tensorboard import SummaryWriter  # optional: Config.validate checked it

            self.tensorboard = SummaryWriter(str(self.run_dir / "tensorboard"),
                                             purge_step=self.started_at + 1 if self.started_at else None)
        return self.tensorboard

    def describe(self, how: str) -> dict[str, str]:
        """What the run is about to do, for the start banner (``how``: new, resumed ...)."""
        cfg = self.cfg
        count = lambda m: millions(sum(p.numel() for p in m.parameters()))  # noqa: E731
        opt = f"{cfg.optimizer} lr {cfg.lr:g}" + (f" betas {tuple(cfg.betas)}" if cfg.optimizer == "adam" else "")
        algo = (f"WGAN, Lipschitz constraint {cfg.lipschitz}" + (f" (c = {cfg.clip:g})" if cfg.lipschitz == "clip" else "")
                if cfg.algo == "wgan" else f"GAN ({cfg.gan_loss} generator loss)")
        schedule = " (100 for the first 25 steps and every 500th)" if cfg.reference_schedule and cfg.algo == "wgan" else ""
        fields = {
            "run": f"{self.run_dir} ({how})",
            "algorithm": f"{algo}, {opt}, n_critic {cfg.n_critic}{schedule}",
            "models": f"generator {cfg.generator} {count(self.G)} parameters, critic {cfg.critic} "
                      f"{count(self.C)} parameters ({cfg.critic_norm} norm)",
            "data": f"{cfg.data}: {self.data.order.n:,} images {cfg.image_size}x{cfg.image_size}x{self.channels}, "
                    f"batch {cfg.batch_size}" + (f" x {self.d.world} processes" if self.d.world > 1 else ""),
            "device": f"{self.d.device}, {'bfloat16 autocast' if cfg.bf16 else 'float32'}"
                      f"{', torch.compile' if cfg.compile else ''}, seed {cfg.seed}",
            "steps": f"{self.step} -> {cfg.generator_steps} generator steps; checkpoint every {cfg.checkpoint_every} "
                     f"steps and {cfg.checkpoint_minutes:g} min",
        }
        if cfg.ema is not None or cfg.eval_every:
            fields["extras"] = ", ".join(([f"EMA of the generator (decay {cfg.ema:g})"] if cfg.ema is not None else [])
                                         + ([f"quality every {cfg.eval_every} steps"] if cfg.eval_every else []))
        return fields

    def load_state_dict(self, state: dict) -> None:
        saved, now = identity(state["config"]), identity(self.cfg)
        for key in now:
            if saved.get(key) != now[key]:
                raise ValueError(f"checkpoint does not match the run: {key} is {saved.get(key)!r} "
                                 f"in the checkpoint, {now[key]!r} now")
        if state["world"] != self.d.world:
            raise ValueError(f"checkpoint was written by {state['world']} process(es), this run has "
                             f"{self.d.world}: the data shards would differ")
        try:
            self.G.load_state_dict(state["generator"])
            self.C.load_state_dict(state["critic"])
            self.players.opt_g.load_state_dict(state["opt_g"])
            self.players.opt_c.load_state_dict(state["opt_c"])
            if self.ema is not None:
                self.ema.load_state_dict(state["ema"])
        except (RuntimeError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"checkpoint does not match the models: {err}") from None
        self.step, self.critic_steps = int(state["step"]), int(state["critic_steps"])
        self.started_at = self.step
        self.elapsed = float(state["elapsed"])
        self.fixed_noise = state["fixed_noise"]
        checkpoint.set_rng_state(state["rng"][self.d.rank], self.d.device)


def build(cfg: Config, state: dict | None = None) -> Run:
    """Set up a run from a resolved config: processes, data, models (initialised from
    ``cfg.seed``), optimisers, EMA; then, when resuming, the checkpoint's state. A failure leaves
    no process group behind."""
    d = distributed.setup(cfg.device)
    try:
        return _build(cfg, d, state)
    except BaseException:
        distributed.close(d, wait_for_peers=False)
        raise


def _build(cfg: Config, d: distributed.Dist, state: dict | None) -> Run:
    slow = distributed.bf16_warning(d.device, cfg.bf16)
    if slow and d.is_main:
        warnings.warn(slow, RuntimeWarning, stacklevel=3)
    source = open_source(cfg.data, cfg.image_size, seed=cfg.seed)
    torch.manual_seed(cfg.seed)  # the same initialisation on every rank
    nc = source.channels
    G = build_generator(cfg.generator, cfg.image_size, cfg.nz, cfg.width, cfg.mlp_hidden, nc, cfg.extra_layers)
    C = build_critic(cfg.critic, cfg.image_size, cfg.critic_width or cfg.width, cfg.mlp_hidden, nc, cfg.critic_norm,
                     cfg.extra_layers)
    # channels-last: cuDNN's and oneDNN's fast convolution layout (6% faster on a CPU for DCGAN)
    G = G.to(d.device, memory_format=torch.channels_last)
    C = C.to(d.device, memory_format=torch.channels_last)
    players = make_players(G, C, cfg.algo, lipschitz=cfg.lipschitz, constraint_kwargs=cfg.constraint_kwargs(),
                           optimizer=cfg.optimizer_spec(),
                           generator_optimizer=cfg.generator_optimizer_spec(), gan_loss=cfg.gan_loss)
    ema = None
    if cfg.ema is not None:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema), use_buffers=True)
    fixed_noise = torch.randn(64, cfg.nz, generator=torch.Generator().manual_seed(cfg.seed))
    torch.manual_seed(cfg.seed * 7919 + 1 + d.rank)  # the noise differs across ranks
    data_state = state["data"][d.rank] if state is not None else None
    data = open_batches(source, cfg.batch_size, d.device, cfg.seed, d.rank, d.world, cfg.workers,
                        cfg.data_on_device, data_state, name=f"--data {cfg.data}")
    run = Run(cfg, d, players, data, fixed_noise, ema, channels=nc)
    if state is not None:
        run.load_state_dict(state)
    if cfg.eval_every:
        from .quality import Evaluator

        run.evaluator = Evaluator.for_data(cfg.data, cfg.image_size)

    # what the steps call: wrapped by DDP and compiled as asked (run.G and run.C stay plain)
    players.generator, players.critic = distributed.wrap(G, d), distributed.wrap(players.critic, d)
    if cfg.compile:
        players.generator, players.critic = torch.compile(players.generator), torch.compile(players.critic)
    return run
