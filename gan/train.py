"""Train a WGAN (Algorithm 1 of Arjovsky, Chintala, Bottou 2017) or the DCGAN baseline.

    python -m gan.train --data mnist --image-size 16 --width 32 --out runs/wgan-mnist
    python -m gan.train --data prepared:bedroom64.npy --out runs/wgan-dcgan
    torchrun --nproc_per_node=8 -m gan.train --data prepared:bedroom64.npy --bf16 --out runs/wgan8
    python -m gan.train --resume runs/wgan-dcgan --generator-steps 200000

WGAN, Algorithm 1: for each generator step, n_critic critic steps, each on a fresh real and a
fresh fake batch, RMSProp lr 5e-5, every critic parameter clipped to [-0.01, 0.01] after each
step (batch-norm affine parameters included); then one generator step descending
-mean f(g(z)). Batch 64. With clipping, the reference code's schedule is on by default: 100
critic steps for the first 25 generator steps and every 500th (``--no-reference-schedule``
turns it off; the gradient-penalty, Lipschitz-penalty and spectral-norm papers use a constant
n_critic, so it is off by default for ``--lipschitz gp|lp|sn``). ``--optimizer adam`` reruns
the paper's negative result (Section 4.2). GAN (the DCGAN baseline): one discriminator step
per generator step, Adam lr 2e-4, beta1 0.5, the -log D generator loss.

A run is a directory (:mod:`gan.rundir`): ``config.json``, ``metrics.jsonl`` (one line per
generator step: ``step``, ``critic_steps``, ``em_estimate`` (WGAN: mean f(real) - mean f(fake) of
the last critic step, >= 0 in the paper's orientation) or ``js_lower_bound`` (GAN: L/2 + ln 2)
and ``d_accuracy``, ``loss_g``, ``images_per_sec``, ``seconds``, ``bad_records``; with
``--eval-every`` the feature-space quality metrics of :mod:`gan.quality` on those steps), sample
sheets, generator snapshots and checksummed checkpoints (:mod:`gan.checkpoint`).

Nothing is lost: a checkpoint is written every ``--checkpoint-every`` steps and every
``--checkpoint-minutes``; SIGTERM or Ctrl-C finishes the current step, writes one and exits
with status 143 / 130; ``--resume RUN_DIR`` continues exactly (models, optimisers, EMA, RNG
states, data order, counters, schedule). A NaN or inf stops the run before it reaches a
checkpoint. An existing run is never overwritten unless ``--overwrite`` is given.

Speed: no host synchronisation inside the critic loop (the metrics of ``--log-every`` steps
are gathered with one transfer); channels-last memory; ``--bf16`` autocast; ``--compile``; a
prepared dataset is moved to the GPU once when it fits. Multi-GPU through torchrun and DDP
(:mod:`gan.distributed`).
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import shutil
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from . import checkpoint, distributed, rundir
from .algorithm import Players, StepCosine, iteration, make_players, unwrap
from .batches import open_batches
from .config import Config, build_parser, identity, resume_config
from .data import open_source
from .models import build_critic, build_generator


class TrainingDiverged(RuntimeError):
    """A loss became NaN or inf; the last good checkpoint is kept."""


class Stopped(Exception):
    """SIGTERM or SIGINT: the run stopped after writing a checkpoint."""

    def __init__(self, signum: int, step: int, run_dir: Path):
        self.signum, self.step, self.run_dir = signum, step, run_dir
        super().__init__(f"stopped by {signal.Signals(signum).name} after generator step {step}; "
                         f"checkpoint written. Continue with: python -m gan.train --resume {run_dir}")


def critic_iterations(step: int, cfg: Config) -> int:
    """Critic steps before generator step ``step`` (0-based): with the reference schedule 100 for
    the first 25 generator steps and every 500th, else n_critic; the GAN takes 1."""
    if cfg.algo == "gan":
        return 1
    if cfg.reference_schedule and (step < 25 or step % 500 == 0):
        return 100
    return cfg.n_critic


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
def generate(G: nn.Module, z: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """Images of a generator for the latents ``z``, in batches, without changing its state."""
    with frozen_batchnorm_stats(G):
        return torch.cat([G(z[i:i + batch]).float() for i in range(0, len(z), batch)])


class StopSignals:
    """SIGTERM and SIGINT set a flag that the loop reads after each generator step.

    A second Ctrl-C interrupts at once (the default handler is back after the first).
    Handlers are only installed from the main thread.
    """

    def __init__(self):
        self.signum: int | None = None
        self._old = {}
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGTERM, signal.SIGINT):
                self._old[s] = signal.signal(s, self._handle)

    def _handle(self, signum, frame):
        self.signum = signum
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, self._old.get(signal.SIGINT, signal.default_int_handler))

    def restore(self) -> None:
        for s, h in self._old.items():
            signal.signal(s, h)
        self._old = {}


# ---------------------------------------------------------------------------------- the run


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
    step: int = 0
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
        self.players.generator, self.players.critic = self.G, self.C
        distributed.close(self.d, wait_for_peers)

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
        self.elapsed = float(state["elapsed"])
        self.fixed_noise = state["fixed_noise"]
        checkpoint.set_rng_state(state["rng"][self.d.rank], self.d.device)


def build(cfg: Config, state: dict | None = None) -> Run:
    """Set up a run: processes, data, models (initialised from ``cfg.seed``), optimisers, EMA;
    then, when resuming, the checkpoint's state. A failure leaves no process group behind."""
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
                           optimizer=cfg.optimizer_spec(), gan_loss=cfg.gan_loss)
    ema = None
    if cfg.ema is not None:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema), use_buffers=True)
    fixed_noise = torch.randn(64, cfg.nz, generator=torch.Generator().manual_seed(cfg.seed))
    torch.manual_seed(cfg.seed * 7919 + 1 + d.rank)  # the noise differs across ranks
    data_state = state["data"][d.rank] if state is not None else None
    data = open_batches(source, cfg.batch_size, d.device, cfg.seed, d.rank, d.world, cfg.workers,
                        cfg.data_on_device, data_state, name=f"--data {cfg.data}")
    run = Run(cfg, d, players, data, fixed_noise, ema)
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


# ---------------------------------------------------------------------------------- outputs


@dataclass
class Pending:
    """A generator step's metrics, still on the device until the next flush."""

    step: int
    critic_steps: int
    n_critic: int
    values: torch.Tensor  # (critic statistic, accuracy, loss_g[, step cosine])
    scores: dict = field(default_factory=dict)  # quality metrics of an evaluated step
    cosines: list | None = None  # the step cosine of each of its critic steps (host floats)


def flush(run: Run, seconds: float) -> list[dict]:
    """Gather the pending metrics in one transfer, check them, write them (rank 0)."""
    if not run.pending:
        return []
    values = distributed.mean(run.d, torch.stack([p.values for p in run.pending]).float()).tolist()
    run.elapsed += seconds
    images = sum(p.n_critic for p in run.pending) * run.cfg.batch_size * run.d.world
    key = "em_estimate" if run.cfg.algo == "wgan" else "js_lower_bound"
    rows = []
    for p, vals in zip(run.pending, values):
        stat, acc, loss_g = vals[:3]
        if not (math.isfinite(stat) and math.isfinite(loss_g)):
            run.pending = []
            raise TrainingDiverged(f"non-finite loss at generator step {p.step} ({key}={stat}, "
                                   f"loss_g={loss_g}); stopping. The last good checkpoint is kept in "
                                   f"{run.run_dir}")
        row = {"step": p.step, "critic_steps": p.critic_steps, key: stat, "loss_g": loss_g,
               "images_per_sec": images / max(seconds, 1e-9), "seconds": run.elapsed,
               "bad_records": len(getattr(run.data, "bad_records", ()))}
        if run.cfg.algo == "gan":
            row["d_accuracy"] = acc
        if run.cfg.log_step_cosine:
            row["critic_step_cosine"] = vals[3]
            row["critic_step_cosines"] = [round(c, 6) for c in p.cosines]
        rows.append({**row, **p.scores})
    run.pending = []
    if run.d.is_main:
        rundir.append_metrics(run.run_dir, rows)
    return rows


def sample(run: Run) -> None:
    """Sample sheets from the fixed noise, and a snapshot of the generator (rank 0)."""
    if not run.d.is_main:
        return
    models = {"": run.G} if run.ema is None else {"": run.G, "_ema": run.ema.module}
    scale = max(1, 64 // run.cfg.image_size)  # small images are enlarged to be seen
    for suffix, G in models.items():
        images = rundir.to_uint8(generate(G, run.fixed_noise.to(run.d.device)))
        folder = run.run_dir / rundir.SAMPLES
        rundir.save_sheet(folder / f"step_{run.step:07d}{suffix}.png", images, scale=scale)
        rundir.save_sheet(folder / f"latest{suffix}.png", images, scale=scale)
    snapshot = {"step": run.step, "generator": run.G.state_dict(),
                "ema": run.ema.module.state_dict() if run.ema is not None else None}
    buf = io.BytesIO()
    torch.save(snapshot, buf)
    rundir.atomic_write_bytes(run.run_dir / rundir.SNAPSHOTS / f"step_{run.step:07d}.pt", buf.getvalue())


def evaluate(run: Run) -> dict:
    """The quality metrics of the generator (and of its EMA) on ``eval_samples`` images (rank 0)."""
    if not run.d.is_main:
        return {}
    g = torch.Generator().manual_seed(run.cfg.seed + 12345)  # the same latents at every evaluation
    z = torch.randn(run.cfg.eval_samples, run.cfg.nz, generator=g).to(run.d.device)
    scores = run.evaluator.score(generate(run.G, z))
    if run.ema is not None:
        scores.update({f"ema_{k}": v for k, v in run.evaluator.score(generate(run.ema.module, z)).items()})
    return scores


def save_checkpoint(run: Run) -> None:
    state = run.state_dict()  # every rank takes part
    if run.d.is_main:
        checkpoint.save(state, run.run_dir)


def describe_row(run: Run, row: dict) -> str:
    """One line of progress: step, critic statistic, speed, and quality when evaluated."""
    key = "em_estimate" if run.cfg.algo == "wgan" else "js_lower_bound"
    text = (f"step {row['step']}/{run.cfg.generator_steps} critic steps {row['critic_steps']} "
            f"{key} {row[key]:.4g} loss_g {row['loss_g']:.4g} {row['images_per_sec']:.0f} img/s")
    if "fd" in row:
        text += f" FD {row['fd']:.3g} KID {row['kid']:.3g}"
    return text


# ---------------------------------------------------------------------------------- the loop


def train(cfg: Config, *, resume: bool = False, overwrite: bool = False, progress: bool = True) -> Run:
    """Train until ``cfg.generator_steps`` in the run directory ``cfg.out``; returns the run.

    ``resume``: continue the run there from its checkpoint (``cfg`` is then its configuration,
    see :func:`gan.config.resume_config`). A new run refuses a directory that holds a run unless
    ``overwrite``, writes ``config.json`` once everything is set up, and removes the directory it
    made if it fails to start. Progress goes to a bar on a terminal, and to one line per metrics
    flush otherwise. The process group, if the run started one, is closed on every exit.
    """
    cfg = cfg.validate() if resume else cfg.validate().resolved()
    state, created = start(cfg, resume, overwrite)
    try:
        run = build(cfg, state)
    except BaseException:
        if created:
            shutil.rmtree(cfg.out, ignore_errors=True)  # a failed start leaves nothing behind
        raise
    if state is None and run.d.is_main:
        rundir.write_json(run.run_dir / rundir.CONFIG, dataclasses.asdict(cfg))
    show = progress and run.d.is_main
    tty = show and sys.stderr.isatty()
    total = sum(critic_iterations(s, cfg) for s in range(cfg.generator_steps))
    done = sum(critic_iterations(s, cfg) for s in range(run.step))
    bar = tqdm(total=total, initial=done, unit="critic step", dynamic_ncols=True, disable=not tty,
               desc=f"{cfg.algo} {cfg.generator}")
    cosine = StepCosine(run.players.opt_c) if cfg.log_step_cosine else None
    stop = StopSignals()
    t_log = t_ckpt = time.perf_counter()
    peers_alive = True  # after a crash a peer may be gone: do not wait for it
    try:
        while run.step < cfg.generator_steps:
            n = critic_iterations(run.step, cfg)
            stats = iteration(run.players, run.data.next, run.noise, n, run.amp)
            run.step += 1
            run.critic_steps += n
            if run.ema is not None:
                run.ema.update_parameters(run.G)
            acc = stats.accuracy if stats.accuracy is not None else stats.critic.new_zeros(())
            values = [stats.critic, acc, stats.loss_g]
            if cosine is not None:
                values.append(torch.tensor(sum(cosine.values[-n:]) / n, device=stats.critic.device))
            run.pending.append(Pending(run.step, run.critic_steps, n, torch.stack(values),
                                       cosines=cosine.values[-n:] if cosine is not None else None))
            bar.update(n)

            now, last = time.perf_counter(), run.step == cfg.generator_steps
            stop_now, ckpt_due, log_due = distributed.agree(
                run.d, stop.signum is not None, now - t_ckpt >= 60 * cfg.checkpoint_minutes,
                now - t_log >= cfg.log_seconds)
            ckpt_due = ckpt_due or stop_now or last or run.step % cfg.checkpoint_every == 0
            eval_due = bool(cfg.eval_every) and (run.step % cfg.eval_every == 0 or last)
            if eval_due:
                run.pending[-1].scores = evaluate(run)
            if log_due or ckpt_due or eval_due or run.step % cfg.log_every == 0:
                rows = flush(run, now - t_log)
                t_log = time.perf_counter()
                if rows and tty:
                    bar.set_postfix_str(describe_row(run, rows[-1]).split(" ", 2)[2][:70])
                elif rows and show:
                    print(describe_row(run, rows[-1]), flush=True)
            if run.step % cfg.sample_every == 0 or last:
                sample(run)
            if ckpt_due:
                save_checkpoint(run)
                t_ckpt = time.perf_counter()
            if stop_now:
                raise Stopped(stop.signum or signal.SIGTERM, run.step, run.run_dir)
    except (Stopped, TrainingDiverged):
        raise  # every rank stops at the same step
    except BaseException:
        peers_alive = False
        raise
    finally:
        bar.close()
        stop.restore()
        if cosine is not None:
            cosine.remove()
        run.close(wait_for_peers=peers_alive)
    return run


# ---------------------------------------------------------------------------------- run directory


def holds_run(folder: Path) -> list[str]:
    """The files of a run that ``folder`` holds (empty when it holds none)."""
    names = (rundir.CONFIG, rundir.METRICS, checkpoint.CHECKPOINT, checkpoint.PREVIOUS, rundir.SAMPLES)
    return [n for n in names if (folder / n).exists()] if folder.is_dir() else []


def start(cfg: Config, resume: bool = False, overwrite: bool = False) -> tuple[dict | None, bool]:
    """Check the run directory; return (the checkpoint to resume from or None, created).

    A new run refuses a directory that holds a run (unless ``overwrite``: then that run's files
    are deleted). A resumed run loads the latest valid checkpoint, removes the temporary files a
    kill left behind and cuts ``metrics.jsonl`` back to the checkpoint's step. ``created`` says
    whether the directory was made here (a failed start then removes it).
    """
    out = Path(cfg.out)
    if resume:
        if not any((out / n).exists() for n in (checkpoint.CHECKPOINT, checkpoint.PREVIOUS)):
            raise ValueError(f"--resume {out}: the run has no checkpoint yet (it stopped before its first); "
                             f"start it again with --out {out} --overwrite")
        rundir.check_writable(out)
        state = checkpoint.load(out)
        stale = rundir.remove_stale_temporaries(out)
        if stale:
            print(f"removed {len(stale)} temporary file(s) left by an interrupted write", file=sys.stderr)
        rundir.truncate_metrics(out, int(state["step"]))
        return state, False
    existing = holds_run(out)
    if existing and not overwrite:
        raise ValueError(f"--out {out} already holds a run ({', '.join(existing)}); continue it with "
                         f"--resume {out}, or pass --overwrite to delete it and start again")
    created = not out.exists()
    rundir.check_writable(out)
    for name in existing + ([rundir.SNAPSHOTS] if existing else []):
        path = out / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    return None, created


def config_from_args(args) -> tuple[Config, bool]:
    """The run's Config (validated, defaults resolved) from parsed arguments; and whether resuming."""
    given = {k: v for k, v in vars(args).items() if v is not None and k not in ("resume", "overwrite")}
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    if args.resume:
        run = Path(args.resume)
        if not (run / rundir.CONFIG).is_file():
            raise ValueError(f"--resume {run}: no {rundir.CONFIG} there; not a run directory")
        return resume_config(rundir.read_config(run), {**given, "out": str(run)}), True
    cfg = Config(**given)
    if not cfg.out:
        cfg.out = os.path.join("runs", f"{cfg.algo}-{cfg.generator}-{time.strftime('%Y%m%d-%H%M%S')}")
    return cfg, False


def main(argv: list[str] | None = None) -> int:
    """``python -m gan.train``. Exit status: 0 when done; 1 on divergence or a failed write;
    128 + the signal's number when stopped by SIGTERM (143) or SIGINT (130); 2 on bad input."""
    ap = build_parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--overwrite", action="store_true",
                    help="start a new run in an --out that already holds one (deletes that run)")
    args = ap.parse_args(argv)
    try:
        cfg, resuming = config_from_args(args)
        run = train(cfg, resume=resuming, overwrite=args.overwrite)
    except (ValueError, rundir.RunDirError) as err:
        ap.exit(2, f"{ap.prog}: error: {err}\n")  # one line, no usage block
    except (TrainingDiverged, checkpoint.CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Stopped as stopped:
        print(str(stopped), file=sys.stderr)
        return 128 + int(stopped.signum)
    print(f"done: {run.step} generator steps in {run.run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
