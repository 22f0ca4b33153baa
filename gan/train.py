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

The loop is :func:`train`; starting a run (the command line, the run directory, resuming) is
:mod:`gan.startup`; the options are :class:`gan.config.Config`, their defaults the table of
:mod:`gan.defaults`; one iteration is :func:`gan.algorithm.iteration`.

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
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import checkpoint, distributed, rundir, startup
from .algorithm import IterationStats, StepCosine, iteration
from .config import Config, build_parser
from .images import to_uint8
from .models import generate
from .progress import Progress
from .run import Run, build


class TrainingDiverged(RuntimeError):
    """A loss became NaN or inf; the last good checkpoint is kept."""


class Stopped(Exception):
    """SIGTERM or SIGINT: the run stopped after writing a checkpoint."""

    def __init__(self, signum: int, step: int, run_dir: Path):
        self.signum, self.step, self.run_dir = signum, step, run_dir
        super().__init__(f"stopped by {signal.Signals(signum).name} after generator step {step}; "
                         f"checkpoint written. Continue with: python -m gan.train --resume {run_dir}")


def critic_iterations(step: int, cfg: Config) -> int:
    """Critic steps before generator step ``step`` (0-based): n_critic, but with the WGAN
    reference schedule 100 for the first 25 generator steps and every 500th."""
    if cfg.reference_schedule and cfg.algo == "wgan" and (step < 25 or step % 500 == 0):
        return 100
    return cfg.n_critic


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


def pending(run: Run, stats: IterationStats, n: int, cosine: StepCosine | None) -> Pending:
    """The step's metrics as one device tensor (read later, with the others, in one transfer)."""
    acc = stats.accuracy if stats.accuracy is not None else stats.critic.new_zeros(())
    values = [stats.critic, acc, stats.loss_g]
    if cosine is not None:
        values.append(torch.tensor(sum(cosine.values[-n:]) / n, device=stats.critic.device))
    return Pending(run.step, run.critic_steps, n, torch.stack(values),
                   cosines=cosine.values[-n:] if cosine is not None else None)


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
        images = to_uint8(generate(G, run.fixed_noise.to(run.d.device)))
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


# ---------------------------------------------------------------------------------- when


@dataclass
class Due:
    """What to do after a generator step."""

    evaluate: bool
    log: bool
    sample: bool
    checkpoint: bool
    stop: bool
    now: float  # when it was decided (the end of the step's training)


class Schedule:
    """Decides, after each generator step, what is due: every N steps by the config, every S
    seconds or M minutes by the clock, on a signal, and everything at the last step. The
    clock's and the signal's answers are agreed by all ranks, so they all act at the same step."""

    def __init__(self, cfg: Config, d: distributed.Dist, signals: StopSignals):
        self.cfg, self.d, self.signals = cfg, d, signals
        self.t_log = self.t_checkpoint = time.perf_counter()

    def after(self, step: int) -> Due:
        cfg, now, last = self.cfg, time.perf_counter(), step == self.cfg.generator_steps
        stop, minutes_up, seconds_up = distributed.agree(
            self.d, self.signals.signum is not None, now - self.t_checkpoint >= 60 * cfg.checkpoint_minutes,
            now - self.t_log >= cfg.log_seconds)
        ckpt = minutes_up or stop or last or step % cfg.checkpoint_every == 0
        evaluate = bool(cfg.eval_every) and (step % cfg.eval_every == 0 or last)
        # a checkpoint or an evaluation flushes the log too: metrics.jsonl reaches the checkpoint's step
        log = seconds_up or ckpt or evaluate or step % cfg.log_every == 0
        return Due(evaluate=evaluate, log=log, sample=step % cfg.sample_every == 0 or last, checkpoint=ckpt,
                   stop=stop, now=now)

    def logged(self, due: Due) -> float:
        """Seconds of training since the last log (up to the step's end); restarts that clock."""
        seconds, self.t_log = due.now - self.t_log, time.perf_counter()
        return seconds

    def checkpointed(self) -> None:
        self.t_checkpoint = time.perf_counter()


# ---------------------------------------------------------------------------------- the loop


def train(cfg: Config, *, resume: bool = False, overwrite: bool = False, progress: bool = True) -> Run:
    """Train until ``cfg.generator_steps`` in the run directory ``cfg.out``; returns the run.

    ``resume``: continue the run there from its checkpoint (``cfg`` is then its configuration,
    see :func:`gan.config.resume_config`). A new run refuses a directory that holds a run unless
    ``overwrite``, writes ``config.json`` once everything is set up, and removes the directory it
    made if it fails to start. Progress goes to a bar on a terminal, and to one line per metrics
    flush otherwise. The process group, if the run started one, is closed on every exit.
    """
    cfg = cfg.validate().resolved()  # the only place defaults are filled in
    state, created = startup.start(cfg, resume, overwrite)
    try:
        run = build(cfg, state)
    except BaseException:
        if created:
            shutil.rmtree(cfg.out, ignore_errors=True)  # a failed start leaves nothing behind
        raise
    if state is None and run.d.is_main:
        rundir.write_json(run.run_dir / rundir.CONFIG, dataclasses.asdict(cfg))
    bar = Progress(total=sum(critic_iterations(s, cfg) for s in range(cfg.generator_steps)),
                   done=sum(critic_iterations(s, cfg) for s in range(run.step)), total_steps=cfg.generator_steps,
                   desc=f"{cfg.algo} {cfg.generator}", show=progress and run.d.is_main)
    cosine = StepCosine(run.players.opt_c) if cfg.log_step_cosine else None
    signals = StopSignals()  # SIGTERM / Ctrl-C: finish the step, checkpoint, exit
    when = Schedule(cfg, run.d, signals)
    peers_alive = True  # after a crash a peer may be gone: do not wait for it
    try:
        while run.step < cfg.generator_steps:
            n = critic_iterations(run.step, cfg)
            stats = iteration(run.players, run.data.next, run.noise, n, run.amp)
            run.step += 1
            run.critic_steps += n
            if run.ema is not None:
                run.ema.update_parameters(run.G)
            # the step's metrics stay on the device: reading them now would wait for the GPU
            run.pending.append(pending(run, stats, n, cosine))
            bar.update(n)

            due = when.after(run.step)
            if due.evaluate:  # scored now, written with the step's row
                run.pending[-1].scores = evaluate(run)
            if due.log:  # one transfer for every pending step; raises on a NaN before any checkpoint
                bar.report(flush(run, when.logged(due)))
            if due.sample:
                sample(run)
            if due.checkpoint:  # after the flush: the checkpoint's step is in metrics.jsonl
                save_checkpoint(run)
                when.checkpointed()
            if due.stop:
                raise Stopped(signals.signum or signal.SIGTERM, run.step, run.run_dir)
    except (Stopped, TrainingDiverged):
        raise  # every rank stops at the same step
    except BaseException:
        peers_alive = False
        raise
    finally:
        bar.close()
        signals.restore()
        if cosine is not None:
            cosine.remove()
        run.close(wait_for_peers=peers_alive)
    return run


def main(argv: list[str] | None = None) -> int:
    """``python -m gan.train``. Exit status: 0 when done; 1 on divergence or a failed write;
    128 + the signal's number when stopped by SIGTERM (143) or SIGINT (130); 2 on bad input."""
    ap = build_parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--overwrite", action="store_true",
                    help="start a new run in an --out that already holds one (deletes that run)")
    args = ap.parse_args(argv)
    try:
        cfg, resuming = startup.config_from_args(args)
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
