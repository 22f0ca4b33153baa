"""Train a WGAN (Algorithm 1 of Arjovsky, Chintala, Bottou 2017) or the DCGAN baseline.

    python -m gan.train --data prepared:bedroom64.npy --out runs/wgan-dcgan
    python -m gan.train --data synthetic --algo gan --generator mlp --generator-steps 2000
    torchrun --nproc_per_node=8 -m gan.train --data prepared:bedroom64.npy --bf16
    python -m gan.train --resume runs/wgan-dcgan --generator-steps 200000

WGAN, Algorithm 1: for each generator step, n_critic critic steps (100 for the first 25
generator steps and every 500th, as the reference code does; ``--no-reference-schedule``
turns that off), each on a fresh real batch and a fresh fake batch, RMSProp lr 5e-5, every
critic parameter clipped to [-0.01, 0.01] after each step (batch-norm affine parameters
included); then one generator step descending -mean f(g(z)). Batch 64. Other Lipschitz
constraints (``--lipschitz gp|lp|sn``) use their papers' optimisers.

GAN (the DCGAN baseline): one discriminator step per generator step, Adam lr 2e-4,
beta1 0.5, the -log D generator loss.

A run is a directory (see :mod:`gan.rundir`). Each line of ``metrics.jsonl`` has ``step``
(generator steps done), ``critic_steps``, ``em_estimate`` (WGAN: mean f(real) - mean f(fake)
of the last critic step, >= 0 in the paper's orientation) or ``js_lower_bound`` (GAN: L/2 +
ln 2) and ``d_accuracy``, ``loss_g``, ``images_per_sec``, ``seconds`` and
``decode_failures``. ``--resume RUN_DIR`` continues exactly where the checkpoint stopped:
models, optimisers, RNG states, data order, step counters and the critic schedule.

Speed: no host synchronisation inside the critic loop (the metrics of ``--log-every`` steps
are gathered with one transfer); channels-last memory; optional bf16 autocast (``--bf16``,
1.9x on a CPU with AVX512-BF16; the default stays fp32, as the paper) and ``torch.compile``
(``--compile``); a prepared dataset is moved to the GPU once when it fits. Multi-GPU through
torchrun: each rank trains on its own shard of the data with its own batch (the global batch
is batch-size x world size), gradients are averaged by DDP, rank 0 alone writes, and
``Trainer.close`` leaves the process group before the interpreter exits.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import math
import os
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from tqdm.auto import tqdm

from . import rundir
from .data import RealBatches, open_source
from .lipschitz import CONSTRAINTS, OptimizerSpec, make_constraint
from .models import CRITICS, GENERATORS, build_critic, build_generator, stages
from .steps import gan_discriminator_step, generator_step, wgan_critic_step


@dataclass
class Config:
    """Everything that defines a run (saved as config.json)."""

    data: str = ""
    algo: str = "wgan"
    generator: str = "dcgan"
    critic: str = "dcgan"
    lipschitz: str = "clip"
    clip: float = 0.01
    critic_norm: str = "auto"
    gan_loss: str = "nonsaturating"
    image_size: int = 64
    batch_size: int = 64
    nz: int = 100
    width: int = 64
    mlp_hidden: int = 512
    generator_steps: int = 100_000
    n_critic: int = 5
    reference_schedule: bool = True
    lr: float = 0.0  # 0: the algorithm's / constraint's default
    seed: int = 0
    device: str = "auto"
    out: str = ""
    bf16: bool = False
    compile: bool = False
    workers: int = 4
    data_on_device: str = "auto"
    log_every: int = 10
    sample_every: int = 500
    checkpoint_every: int = 1000

    def validate(self) -> Config:
        def need(ok: bool, msg: str):
            if not ok:
                raise ValueError(msg)

        need(bool(self.data), "--data is required: lsun:PATH, folder:PATH, prepared:PATH or synthetic")
        need(self.algo in ("wgan", "gan"), f"--algo must be wgan or gan, got {self.algo!r}")
        need(self.generator in GENERATORS, f"--generator must be one of {GENERATORS}, got {self.generator!r}")
        need(self.critic in CRITICS, f"--critic must be one of {CRITICS}, got {self.critic!r}")
        need(self.lipschitz in CONSTRAINTS, f"--lipschitz must be one of {sorted(CONSTRAINTS)}, got {self.lipschitz!r}")
        need(self.critic_norm in ("auto", "batch", "layer", "none"),
             f"--critic-norm must be auto, batch, layer or none, got {self.critic_norm!r}")
        need(self.gan_loss in ("nonsaturating", "minimax"),
             f"--gan-loss must be nonsaturating or minimax, got {self.gan_loss!r}")
        try:
            stages(self.image_size)
        except ValueError:
            raise ValueError(f"--image-size must be a positive multiple of 16, got {self.image_size}") from None
        for name in ("batch_size", "nz", "width", "mlp_hidden", "generator_steps", "n_critic",
                     "log_every", "sample_every", "checkpoint_every"):
            need(getattr(self, name) > 0, f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        need(self.workers >= 0, f"--workers must be >= 0, got {self.workers}")
        need(self.clip > 0, f"--clip must be positive, got {self.clip}")
        need(self.lr >= 0, f"--lr must be positive, got {self.lr}")
        need(self.device in ("auto", "cpu", "cuda"), f"--device must be auto, cpu or cuda, got {self.device!r}")
        need(self.data_on_device in ("auto", "yes", "no"), "--data-on-device must be auto, yes or no")
        need(not (self.compile and self.algo == "wgan" and self.lipschitz in ("gp", "lp")),
             "--compile does not support the double backward of --lipschitz gp/lp")
        return self

    def norm(self) -> str:
        """The critic's normalisation: batch norm for clipping and the GAN (the reference),
        layer norm for the gradient penalties (WGAN-GP's advice), none with spectral norm."""
        if self.critic_norm != "auto":
            return self.critic_norm
        if self.algo == "wgan" and self.lipschitz in ("gp", "lp"):
            return "layer"
        if self.algo == "wgan" and self.lipschitz == "sn":
            return "none"
        return "batch"

    def optimizer(self) -> OptimizerSpec:
        """The optimiser of the paper the configuration follows (``--lr`` overrides the rate)."""
        if self.algo == "gan":
            spec = OptimizerSpec("adam", 2e-4, (0.5, 0.999))
        else:
            spec = make_constraint(self.lipschitz).optimizer
        return dataclasses.replace(spec, lr=self.lr) if self.lr > 0 else spec


#: Options a resumed run may change; the others define the run and must stay as they were.
RESUME_OVERRIDES = ("generator_steps", "device", "workers", "data_on_device", "log_every",
                    "sample_every", "checkpoint_every", "data", "compile")


def critic_iterations(step: int, cfg: Config) -> int:
    """Critic steps before generator step ``step`` (0-based): the reference schedule gives 100
    for the first 25 generator steps and every 500th, n_critic otherwise; the GAN takes 1."""
    if cfg.algo == "gan":
        return 1
    if cfg.reference_schedule and (step < 25 or step % 500 == 0):
        return 100
    return cfg.n_critic


class TrainingDiverged(RuntimeError):
    """A loss became NaN or inf; the last good checkpoint is kept."""


@contextmanager
def frozen_batchnorm_stats(module: nn.Module):
    """Forward in train mode (batch statistics, as the reference samples) without updating the
    running statistics, so drawing samples does not change the model's state."""
    saved = [(m, m.momentum, m.num_batches_tracked.clone() if m.num_batches_tracked is not None else None)
             for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m, _, _ in saved:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, mom, count in saved:
            m.momentum = mom
            if count is not None:
                m.num_batches_tracked.copy_(count)


def _rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


class Trainer:
    """One training run: models, optimisers, data, and the loop. See the module docstring."""

    def __init__(self, cfg: Config, resume: dict | None = None, progress: bool = True):
        self.cfg = cfg.validate()
        self._setup_distributed()
        self.progress = progress and self.is_main
        self.run_dir = Path(cfg.out)
        if self.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)

        torch.manual_seed(cfg.seed)  # the same initialisation on every rank
        G = build_generator(cfg.generator, cfg.image_size, cfg.nz, cfg.width, cfg.mlp_hidden)
        C = build_critic(cfg.critic, cfg.image_size, cfg.width, cfg.mlp_hidden, norm=cfg.norm())
        self.constraint = make_constraint(cfg.lipschitz, **({"c": cfg.clip} if cfg.lipschitz == "clip" else {}))
        if cfg.algo == "wgan":
            C = self.constraint.attach(C)
        # channels-last on both devices: cuDNN's and oneDNN's fast convolution layout
        # (measured 6% faster on the CPU for the DCGAN pair); real batches arrive in it
        self.G = G.to(self.device, memory_format=torch.channels_last)
        self.C = C.to(self.device, memory_format=torch.channels_last)
        if cfg.algo == "wgan":
            self.constraint.project(self.C)  # start inside the constraint set
        spec = cfg.optimizer()
        self.opt_g, self.opt_c = spec.build(self.G.parameters()), spec.build(self.C.parameters())
        self.fixed_noise = torch.randn(64, cfg.nz, generator=torch.Generator().manual_seed(cfg.seed))
        self.step, self.critic_steps, self.elapsed = 0, 0, 0.0
        torch.manual_seed(cfg.seed * 7919 + 1 + self.rank)  # noise differs across ranks
        data_state = None
        if resume is not None:
            data_state = self._load(resume)

        source = open_source(cfg.data, cfg.image_size, seed=cfg.seed)
        self.data = RealBatches(source, cfg.batch_size, self.device, cfg.seed, self.rank, self.world,
                                cfg.workers, cfg.data_on_device, state=data_state)
        # G_fwd and C_fwd are what the steps call: the models, wrapped by DDP and compiled as
        # asked; G and C stay the plain modules (state dicts, sampling, the generator step's
        # frozen critic)
        self.G_fwd, self.C_fwd, self.no_sync = self.G, self.C, nullcontext
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.G_fwd, self.C_fwd = DDP(self.G, device_ids=ids), DDP(self.C, device_ids=ids)
            self.no_sync = self.C_fwd.no_sync
        if cfg.compile:
            self.G_fwd, self.C_fwd = torch.compile(self.G_fwd), torch.compile(self.C_fwd)
        self.amp = (lambda: torch.autocast(self.device.type, dtype=torch.bfloat16)) if cfg.bf16 else nullcontext
        self._pending: list = []
        self._zero = torch.zeros((), device=self.device)

    # ------------------------------------------------------------------ setup

    def _setup_distributed(self) -> None:
        cfg = self.cfg
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        want_cuda = cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available())
        if want_cuda and not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available")
        self.device = torch.device(f"cuda:{local}" if want_cuda else "cpu")
        if want_cuda:
            torch.cuda.set_device(self.device)
        self._owns_group = self.world > 1 and not dist.is_initialized()
        if self._owns_group:
            # DDP imports torch._dynamo; imported after the group exists, it keeps a reference
            # to the group for the life of the process (torch 2.13), and the group's gloo threads
            # then outlive destroy_process_group (see close)
            importlib.import_module("torch._dynamo")
            dist.init_process_group("nccl" if want_cuda else "gloo")
        self.is_main = self.rank == 0

    def close(self, wait_for_peers: bool = True) -> None:
        """Leave the process group this trainer started, once every rank is done with it.

        The group is destroyed while the interpreter is fully alive, its worker threads joined.
        Left to interpreter shutdown, a gloo worker thread that drops the last reference to a
        tensor made in Python (a gathered metric) needs the GIL, cannot have it, and aborts the
        process ("terminate called without an active exception"): 8 runs in 40 of a two-rank
        stress test before this, 0 in 60 after. Pass ``wait_for_peers=False`` after a failure,
        when a peer may be gone. A group that the caller started is left to the caller.
        """
        self.G_fwd, self.C_fwd, self.no_sync = self.G, self.C, nullcontext
        if self._owns_group and dist.is_initialized():
            if wait_for_peers:
                dist.barrier()
            gc.collect()  # frees the DDP wrappers (they hold the group) even inside a reference cycle
            dist.destroy_process_group()
        self._owns_group = False

    # ------------------------------------------------------------------ checkpoints

    def checkpoint(self) -> dict:
        rng = _rng_state(self.device)
        if self.world > 1:
            all_rng = [None] * self.world
            dist.all_gather_object(all_rng, rng)
        else:
            all_rng = [rng]
        return {
            "format": rundir.CHECKPOINT_FORMAT,
            "config": dataclasses.asdict(self.cfg),
            "step": self.step, "critic_steps": self.critic_steps, "elapsed": self.elapsed,
            "world": self.world,
            "generator": self.G.state_dict(), "critic": self.C.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_c": self.opt_c.state_dict(),
            "rng": all_rng, "data": self.data.state_dict(), "fixed_noise": self.fixed_noise,
        }

    def save_checkpoint(self) -> None:
        ckpt = self.checkpoint()  # every rank takes part (RNG gather)
        if self.is_main:
            rundir.atomic_torch_save(ckpt, self.run_dir / rundir.CHECKPOINT)

    def _load(self, ckpt: dict) -> dict:
        saved = ckpt["config"]
        for key in ("algo", "generator", "critic", "lipschitz", "image_size", "nz", "width",
                    "mlp_hidden", "critic_norm", "batch_size", "seed"):
            if saved.get(key) != getattr(self.cfg, key):
                raise ValueError(f"checkpoint does not match the run: {key} is {saved.get(key)!r} "
                                 f"in the checkpoint, {getattr(self.cfg, key)!r} now")
        if ckpt["world"] != self.world:
            raise ValueError(f"checkpoint was written by {ckpt['world']} process(es), "
                             f"this run has {self.world}: the data shards would differ")
        try:
            self.G.load_state_dict(ckpt["generator"])
            self.C.load_state_dict(ckpt["critic"])
            self.opt_g.load_state_dict(ckpt["opt_g"])
            self.opt_c.load_state_dict(ckpt["opt_c"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(f"checkpoint does not match the models: {err}") from None
        self.step, self.critic_steps = int(ckpt["step"]), int(ckpt["critic_steps"])
        self.elapsed = float(ckpt.get("elapsed", 0.0))
        self.fixed_noise = ckpt["fixed_noise"]
        _set_rng_state(ckpt["rng"][self.rank], self.device)
        return ckpt["data"]

    # ------------------------------------------------------------------ loop

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.nz, device=self.device)

    def train_step(self) -> None:
        """One generator step and the critic steps before it (no host synchronisation)."""
        cfg, B = self.cfg, self.cfg.batch_size
        n = critic_iterations(self.step, cfg)
        for _ in range(n):
            real = self.data.next()
            with torch.no_grad(), self.amp():
                fake = self.G_fwd(self._noise(B)).float()
            if cfg.algo == "wgan":
                stat = wgan_critic_step(self.C_fwd, self.opt_c, self.constraint, real, fake,
                                        self.no_sync, self.amp)
                acc = self._zero  # the GAN's accuracy slot in the metrics
            else:
                stat, acc = gan_discriminator_step(self.C_fwd, self.opt_c, real, fake,
                                                   self.no_sync, self.amp)
        loss_g = generator_step(self.G_fwd, self.C, self.opt_g, self._noise(B), cfg.algo,
                                cfg.gan_loss, self.amp)
        self.step += 1
        self.critic_steps += n
        self._pending.append((self.step, self.critic_steps, n, torch.stack([stat, acc, loss_g])))

    def flush(self, t_start: float) -> list[dict]:
        """Gather pending metrics in one transfer, check them, write them (rank 0)."""
        if not self._pending:
            return []
        values = torch.stack([p[3] for p in self._pending]).float()
        if self.world > 1:
            dist.all_reduce(values)
            values /= self.world
        values = values.tolist()
        now = time.perf_counter()
        self.elapsed += now - t_start
        images = sum(p[2] for p in self._pending) * self.cfg.batch_size * self.world
        ips = images / max(now - t_start, 1e-9)
        stat_key = "em_estimate" if self.cfg.algo == "wgan" else "js_lower_bound"
        rows = []
        for (step, critic_steps, _, _), (stat, acc, loss_g) in zip(self._pending, values):
            if not (math.isfinite(stat) and math.isfinite(loss_g)):
                self._pending = []
                raise TrainingDiverged(
                    f"non-finite loss at generator step {step} ({stat_key}={stat}, loss_g={loss_g}); "
                    f"stopping. The last good checkpoint is kept: {self.run_dir / rundir.CHECKPOINT}")
            row = {"step": step, "critic_steps": critic_steps, stat_key: stat, "loss_g": loss_g,
                   "images_per_sec": ips, "seconds": self.elapsed,
                   "decode_failures": self.data.decode_failures}
            if self.cfg.algo == "gan":
                row["d_accuracy"] = acc
            rows.append(row)
        self._pending = []
        if self.is_main:
            rundir.append_metrics(self.run_dir, rows)
        return rows

    @torch.no_grad()
    def sample(self) -> None:
        if not self.is_main:
            return
        with frozen_batchnorm_stats(self.G):
            images = rundir.to_uint8(self.G(self.fixed_noise.to(self.device)))
        folder = self.run_dir / rundir.SAMPLES
        rundir.save_sheet(folder / f"step_{self.step:07d}.png", images)
        rundir.save_sheet(folder / "latest.png", images)

    def train(self) -> list[dict]:
        """Run until ``generator_steps``; returns the metric rows written by this call."""
        cfg = self.cfg
        if self.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            rundir.write_json(self.run_dir / rundir.CONFIG, dataclasses.asdict(cfg))
            rundir.truncate_metrics(self.run_dir, self.step)
        bar = tqdm(total=cfg.generator_steps, initial=self.step, unit="step", dynamic_ncols=True,
                   disable=not self.progress, desc=f"{cfg.algo} {cfg.generator}")
        written: list[dict] = []
        t0 = time.perf_counter()
        try:
            while self.step < cfg.generator_steps:
                self.train_step()
                last = self.step == cfg.generator_steps
                if self.step % cfg.log_every == 0 or last or self.step % cfg.checkpoint_every == 0:
                    rows = self.flush(t0)
                    t0 = time.perf_counter()
                    written += rows
                    bar.update(len(rows))
                    key = "em_estimate" if cfg.algo == "wgan" else "js_lower_bound"
                    bar.set_postfix({key.split("_")[0]: f"{rows[-1][key]:.4g}",
                                     "img/s": f"{rows[-1]['images_per_sec']:.0f}"})
                if self.step % cfg.sample_every == 0 or last:
                    self.sample()
                if self.step % cfg.checkpoint_every == 0 or last:
                    self.save_checkpoint()
        except KeyboardInterrupt:  # keep what was done: metrics up to here and a checkpoint
            written += self.flush(t0)
            self.save_checkpoint()
            raise
        finally:
            bar.close()
        return written


# ---------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m gan.train", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    d = Config()
    add = ap.add_argument
    add("--data", help="lsun:PATH | folder:PATH | prepared:PATH | synthetic[:N] (required for a new run)")
    add("--algo", choices=["wgan", "gan"], help=f"WGAN (Algorithm 1) or the DCGAN baseline (default {d.algo})")
    add("--generator", choices=GENERATORS, help=f"default {d.generator}")
    add("--critic", choices=CRITICS, help=f"critic / discriminator (default {d.critic})")
    add("--lipschitz", choices=sorted(CONSTRAINTS), help=f"WGAN Lipschitz constraint (default {d.lipschitz})")
    add("--clip", type=float, help=f"weight clipping bound c (default {d.clip})")
    add("--critic-norm", choices=["auto", "batch", "layer", "none"], help="critic normalisation (default auto)")
    add("--gan-loss", choices=["nonsaturating", "minimax"], help="GAN generator loss (default -log D)")
    add("--image-size", type=int, help=f"a multiple of 16 (default {d.image_size})")
    add("--batch-size", type=int, help=f"per process (default {d.batch_size})")
    add("--nz", type=int, help=f"latent dimension (default {d.nz})")
    add("--width", type=int, help=f"DCGAN base width ngf = ndf (default {d.width})")
    add("--mlp-hidden", type=int, help=f"MLP hidden units (default {d.mlp_hidden})")
    add("--generator-steps", type=int, help=f"total generator steps of the run (default {d.generator_steps})")
    add("--n-critic", type=int, help=f"critic steps per generator step (default {d.n_critic})")
    add("--no-reference-schedule", dest="reference_schedule", action="store_const", const=False,
        help="no 100 critic steps for the first 25 generator steps and every 500th")
    add("--lr", type=float, help="learning rate of both players (default: the paper's)")
    add("--seed", type=int, help=f"default {d.seed}")
    add("--device", choices=["auto", "cpu", "cuda"], help="default auto")
    add("--out", help="run directory (default runs/ALGO-GENERATOR-TIME)")
    add("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    add("--bf16", action="store_const", const=True, help="bf16 autocast (GPU)")
    add("--compile", action="store_const", const=True, help="torch.compile the models")
    add("--workers", type=int, help=f"decoding processes (default {d.workers})")
    add("--data-on-device", choices=["auto", "yes", "no"], help="move a prepared array to the GPU")
    add("--log-every", type=int, help=f"metrics gathered every N steps (default {d.log_every})")
    add("--sample-every", type=int, help=f"default {d.sample_every}")
    add("--checkpoint-every", type=int, help=f"default {d.checkpoint_every}")
    return ap


def config_from_args(args: argparse.Namespace) -> tuple[Config, dict | None]:
    """The run's Config, and the checkpoint to resume from (None for a new run)."""
    given = {k: v for k, v in vars(args).items() if v is not None and k != "resume"}
    if args.resume:
        run = Path(args.resume)
        if not (run / rundir.CONFIG).is_file():
            raise ValueError(f"--resume {run}: no {rundir.CONFIG} there; not a run directory")
        base = rundir.read_config(run)
        for key, value in given.items():
            if key not in RESUME_OVERRIDES and key != "out" and base.get(key) != value:
                raise ValueError(f"--{key.replace('_', '-')} cannot change when resuming "
                                 f"(the run has {base.get(key)!r})")
        base.update({k: v for k, v in given.items() if k in RESUME_OVERRIDES})
        base["out"] = str(run)
        cfg = Config(**base)
        return cfg.validate(), rundir.load_checkpoint(run / rundir.CHECKPOINT)
    cfg = Config(**given)
    if not cfg.out:
        cfg.out = os.path.join("runs", f"{cfg.algo}-{cfg.generator}-{time.strftime('%Y%m%d-%H%M%S')}")
    cfg.validate()
    if (Path(cfg.out) / rundir.CHECKPOINT).exists():
        raise ValueError(f"--out {cfg.out} already holds a run; continue it with --resume {cfg.out}")
    return cfg, None


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        cfg, ckpt = config_from_args(args)
        trainer = Trainer(cfg, resume=ckpt)
    except ValueError as err:
        if dist.is_initialized():  # started by the Trainer before it found the error
            dist.destroy_process_group()
        ap.error(str(err))
    try:
        trainer.train()
    except TrainingDiverged as err:  # every rank sees the same reduced losses: all stop here
        trainer.close()
        print(f"error: {err}", file=sys.stderr)
        return 1
    except BaseException:
        trainer.close(wait_for_peers=False)
        raise
    trainer.close()
    if trainer.is_main:
        print(f"done: {trainer.step} generator steps in {trainer.run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
