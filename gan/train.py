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

import contextlib
import io
import math
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
from .console import one_line_warnings
from .images import to_uint8
from .models import generate
from .progress import Progress, banner
from .run import Run, build
from .startup import Start


class TrainingDiverged(RuntimeError):
    """A loss became NaN or inf; the last good checkpoint is kept."""


class WriteError(RuntimeError):
    """A file of the run could not be written (a full disk); the message says what is safe."""


class Interrupted(Exception):
    """SIGTERM or SIGINT during start-up, before the first step: nothing of the run is kept."""

    def __init__(self, signum: int, note: str = ""):
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name} during start-up, before the first step"
                         + (f"; {note}" if note else ""))


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
    """SIGTERM and SIGINT, handled from the moment this is made until :meth:`restore`.

    Once :meth:`arm` ed (the loop is running) a signal sets a flag that the loop reads after each
    generator step: it finishes the step, writes a checkpoint and stops. Before that (start-up,
    when made with ``at_once=True``) a signal raises :class:`Interrupted` at once, so that a run
    that has not started stops without leaving anything half made. A second Ctrl-C interrupts
    at once (the default handler is back after the first). Handlers are only installed from the
    main thread.
    """

    def __init__(self, at_once: bool = False):
        self.signum: int | None = None
        self.at_once = at_once
        self._old = {}
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGTERM, signal.SIGINT):
                self._old[s] = signal.signal(s, self._handle)

    def _handle(self, signum, frame):
        self.signum = signum
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, self._old.get(signal.SIGINT, signal.default_int_handler))
        if self.at_once:
            self.at_once = False  # one raise: the clean-up it starts is not interrupted again
            raise Interrupted(signum)

    def arm(self) -> None:
        """From now on a signal only sets the flag."""
        self.at_once = False

    @contextlib.contextmanager
    def held(self):
        """A start-up step that a signal must not cut in two (making the run directory and
        taking its lock: cut between the two, the directory exists but nothing owns it, so
        nothing removes it). A signal that arrives inside is acted on at its end."""
        was, self.at_once = self.at_once, False
        try:
            yield
        finally:
            self.at_once = was
            if was and self.signum is not None:
                self.at_once = False  # one raise, as in _handle
                raise Interrupted(self.signum)

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
                                   f"loss_g={loss_g}); stopping")
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
        board = run.board()
        if board is not None:  # --tensorboard: the same numbers, as scalars
            for row in rows:
                for k, v in row.items():
                    if k != "step" and isinstance(v, (int, float)):
                        board.add_scalar(k, v, row["step"])
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
        if run.board() is not None:
            run.board().add_image(f"samples{suffix}", rundir.image_grid(images), run.step, dataformats="HWC")
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


def train(cfg: Config, *, resume: bool = False, overwrite: bool = False, progress: bool = True,
          signals: StopSignals | None = None) -> Run:
    """Train until ``cfg.generator_steps`` in the run directory ``cfg.out``; returns the run.

    ``resume``: continue the run there from its checkpoint (``cfg`` is then its configuration,
    see :func:`gan.config.resume_config`). A new run refuses a directory that holds a run unless
    ``overwrite``. What happens to the directory on every path, including failures, is
    :mod:`gan.startup`'s :class:`~gan.startup.Start`. Progress goes to a bar on a terminal, and
    to one line per metrics flush otherwise. ``signals``: the handlers :func:`main` installed
    on its first line (default: installed here, for the loop only).
    """
    cfg = cfg.validate().resolved()  # the only place defaults are filled in
    start = Start(cfg, hold=signals.held if signals is not None else contextlib.nullcontext)
    try:
        start.prepare(resume, overwrite)  # this process owns the run directory from here
        run = loop(cfg, start, signals, progress)
    except BaseException as err:
        start.finish(ok=False)  # a new run that never wrote a checkpoint leaves the directory as it was
        if isinstance(err, TrainingDiverged):
            raise TrainingDiverged(f"{err}; {start.note()}") from None
        if isinstance(err, rundir.WriteFailed):
            again = f"; free space, then continue with --resume {start.out}" if start.saved_step is not None else ""
            raise WriteError(f"{err}; {start.note()}{again}") from None
        if isinstance(err, checkpoint.CheckpointError) and start.saved_step is None:
            raise checkpoint.CheckpointError(f"{err}; {start.out} is left as it was before this run") from None
        if isinstance(err, Interrupted):
            raise Interrupted(err.signum, start.note()) from None
        raise
    start.finish(ok=True)
    return run


def loop(cfg: Config, start: Start, signals: StopSignals | None, progress: bool) -> Run:
    """Build the run, then train it: the training loop."""
    run = build(cfg, start.state)
    own_signals = signals is None
    signals = signals or StopSignals()
    bar = Progress(critic_total=sum(critic_iterations(s, cfg) for s in range(cfg.generator_steps)),
                   critic_done=sum(critic_iterations(s, cfg) for s in range(run.step)),
                   total_steps=cfg.generator_steps, done_steps=run.step,
                   desc=f"{cfg.algo} {cfg.generator}", show=progress and run.d.is_main)
    cosine = StepCosine(run.players.opt_c) if cfg.log_step_cosine else None
    when = Schedule(cfg, run.d, signals)
    peers_alive = True  # after a crash a peer may be gone: do not wait for it
    try:
        start.begin(run.d.device)  # built: now --overwrite sets the old run aside; config.json is written
        if progress and run.d.is_main:
            print(f"python -m gan.train\n{banner(run.describe(start.describe()))}", flush=True)
        signals.arm()  # from here SIGTERM / Ctrl-C finish the step, write a checkpoint and stop
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
                start.checkpointed(run.step)  # the new run has started: a replaced one is deleted
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
        if own_signals:
            signals.restore()
        if cosine is not None:
            cosine.remove()
        run.close(wait_for_peers=peers_alive)
    return run


def main(argv: list[str] | None = None) -> int:
    """``python -m gan.train``. Exit status: 0 when done (or nothing to do); 1 on divergence or
    a failed write; 128 + the signal's number when stopped by SIGTERM (143) or SIGINT (130),
    during start-up too; 2 on bad input."""
    signals = StopSignals(at_once=True)  # first: a signal during start-up stops cleanly, with one line
    try:
        with one_line_warnings():
            return _main(argv, signals)
    except Interrupted as err:  # before train() took over (parsing, reading the run's config)
        print(str(err), file=sys.stderr)
        return 128 + int(err.signum)
    finally:
        signals.restore()


def _main(argv: list[str] | None, signals: StopSignals) -> int:
    ap = build_parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--overwrite", action="store_true",
                    help="start a new run in an --out that already holds one (that run is kept aside "
                         "until the new one writes its first checkpoint, then deleted)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        cfg, resuming = startup.config_from_args(args)
        run = train(cfg, resume=resuming, overwrite=args.overwrite, signals=signals)
    except (TrainingDiverged, WriteError, checkpoint.CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (ValueError, rundir.RunDirError) as err:
        ap.exit(2, f"{ap.prog}: error: {err}\n")  # one line, no usage block
    except (Stopped, Interrupted) as stopped:
        print(str(stopped), file=sys.stderr)
        return 128 + int(stopped.signum)
    if run.started_at >= cfg.generator_steps and resuming:
        print(f"nothing to do: the run in {run.run_dir} is already at step {run.step} "
              f"(--generator-steps {cfg.generator_steps})")
    else:
        print(done_line(run, time.perf_counter() - t0))
    return 0


def done_line(run: Run, seconds: float) -> str:
    """The last line of a finished run: the steps and the time this invocation took, the last
    statistic (and FD / KID when evaluated), and where the samples, the checkpoint and the
    metrics are."""
    from .progress import duration

    rows = rundir.read_metrics(run.run_dir)
    last = rows[-1] if rows else {}
    key = "em_estimate" if run.cfg.algo == "wgan" else "js_lower_bound"
    stats = []
    if key in last:
        stats.append(f"{key.replace('_', ' ')} {last[key]:.4g}")
    scored = [r for r in rows if "fd" in r]
    if scored:
        stats.append(f"FD {scored[-1]['fd']:.4g} at step {scored[-1]['step']}")
    d = run.run_dir
    files = [f"samples {d / rundir.SAMPLES / 'latest.png'}", f"checkpoint {d / checkpoint.CHECKPOINT}",
             f"metrics {d / rundir.METRICS}"]
    began = "" if run.started_at == 0 else f" (resumed at step {run.started_at})"
    return (f"done: {run.step} generator steps{began} in {duration(seconds)}"
            + (f"; last {', '.join(stats)}" if stats else "") + f"; {', '.join(files)}")


if __name__ == "__main__":
    sys.exit(main())
