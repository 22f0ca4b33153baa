"""Starting a run: the configuration from the command line, and the run directory made ready.

What is guaranteed (the README's "Runs" section says the same):

* **One process owns a run.** The run directory is locked (:func:`gan.rundir.lock`) before
  anything in it is read for writing; a second ``gan.train`` on it stops with one line naming
  the owner. Then, and only then, temporary files left by a killed writer are removed.
* **A new run** refuses a directory that already holds one, unless ``--overwrite``. With
  ``--overwrite`` nothing of the old run is touched until the new one is built (data, models);
  then the old run is moved into ``.replaced/``, and deleted only once the new run has written
  its first checkpoint. If the new run fails before that (an error, a signal, a full disk, a
  NaN), the old run is moved back. A directory made for a run that fails to start is removed.
* **A resumed run** takes its configuration from ``config.json`` (recovered from the checkpoint,
  and said so, when the file is missing or damaged), loads the latest valid checkpoint whose
  history ``metrics.jsonl`` holds whole (an earlier one when lines are missing, said so; a
  refusal naming the missing steps when there is none), cuts ``metrics.jsonl`` back to its step and records in ``config.json`` the options changed on the
  command line, with the step at which they took effect. A ``--generator-steps`` below the
  checkpoint's step is refused.

* **A kill is finished, not undone, where that keeps more**: a checkpoint complete on disk
  between :func:`gan.checkpoint.save`'s two renames is put in place; a move of the old run to
  or from ``.replaced`` cut half-way is finished (the old run whole again) before anything else.

Under ``torchrun`` only rank 0 touches the directory; every rank reads the checkpoint (the same
one rank 0 chooses).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager

from common.provenance import git_commit

from . import checkpoint, rundir
from .config import Config, changed, flag, load_run_config, resume_config


def config_from_args(args) -> tuple[Config, bool]:
    """The run's Config from parsed arguments (:func:`gan.config.build_parser`); and whether it
    resumes. Defaults are resolved later, once, by :func:`gan.train.train`."""
    given = {k: v for k, v in vars(args).items() if v is not None and k not in ("resume", "overwrite")}
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    if args.resume:
        run = Path(args.resume)
        if run.is_dir():
            for text in _recover_once(run):
                _say(text)
        if not run.is_dir() or not rundir.holds_run(run):
            raise ValueError(f"--resume {run}: not a run directory (no {rundir.CONFIG}, no checkpoint)")
        if not _has_checkpoint(run):
            raise ValueError(_no_checkpoint(run))
        saved, _ = load_run_config(run)  # the note is given once the run is owned (Start.resume)
        return resume_config(saved, {**given, "out": str(run)}), True
    cfg = Config(**given)
    if not cfg.out:
        cfg.out = os.path.join("runs", f"{cfg.algo}-{cfg.generator}-{time.strftime('%Y%m%d-%H%M%S')}")
    return cfg, False


def recover(run: Path) -> list[str]:
    """Finish what a kill cut short (a move to or from ``.replaced``, a checkpoint between its two
    renames) so the run is whole; sentences saying what was done. The caller owns ``run``."""
    done = rundir.finish_interrupted_moves(run)
    saved = checkpoint.recover_interrupted_save(run)
    return done + ([saved] if saved else [])


def _recover_once(run: Path) -> list[str]:
    """:func:`recover`, under the run's lock, before ``--resume`` reads the run (its config.json
    may be in the middle of a move); nothing when another process owns the run (the start is
    then refused anyway)."""
    if int(os.environ.get("RANK", "0")) != 0:  # torchrun: rank 0 alone touches the directory
        return []
    if not any((run / n).exists() for n in (rundir.REPLACING, rundir.RESTORING, checkpoint.NEW)):
        return []
    try:
        held = rundir.lock(run, "python -m gan.train --resume (finishing an interrupted write)")
    except rundir.RunDirError:
        return []
    try:
        return recover(run)
    finally:
        held.release()


def _has_checkpoint(run: Path) -> bool:
    """A checkpoint in the run, or in the old run that an interrupted move left half-way."""
    return any((run / d / n).exists() for d in ("", rundir.REPLACING, rundir.RESTORING)
               for n in (checkpoint.CHECKPOINT, checkpoint.PREVIOUS))


def _no_checkpoint(run: Path, how: str = "--resume") -> str:
    text = (f"{how} {run}: the run there has no checkpoint yet (it stopped before its first), so there is "
            f"nothing to continue; start it again with --out {run} --overwrite")
    if (run / rundir.REPLACED).is_dir():
        text += (f". {run / rundir.REPLACED} holds the run that an interrupted --overwrite was replacing: "
                 "--overwrite keeps it aside again; move its files back to continue that run instead")
    return text


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Start:
    """A run directory owned by this process, made ready for :func:`gan.train.train`.

    ``state`` is the checkpoint to resume from (None for a new run). The owner must call
    :meth:`begin` once the run is built, :meth:`checkpointed` after each checkpoint, and
    :meth:`finish` on every exit.
    """

    cfg: Config
    state: dict | None = None
    lock: rundir.RunLock | None = None
    created: bool = False  # the directory was made by this start
    replacing: bool = False  # --overwrite of an existing run
    saved_step: int | None = None  # the step of the last checkpoint on disk
    config_record: dict | None = None  # what config.json is to hold (rank 0)
    history: list = field(default_factory=list)  # the "changes" config.json records (resume)
    saved_environment: dict | None = None  # config.json's "environment" before this start
    set_aside: bool = False  # the replaced run is in .replaced
    began: bool = False  # the new run may have written files
    messages: list[str] = field(default_factory=list)
    #: a context in which a stop signal waits for its end (:meth:`gan.train.StopSignals.held`)
    hold: Callable[[], ContextManager] = field(default=contextlib.nullcontext, repr=False)

    @property
    def out(self) -> Path:
        return Path(self.cfg.out)

    @property
    def owner(self) -> bool:
        return self.lock is not None

    def prepare(self, resume: bool = False, overwrite: bool = False) -> Start:
        """Own and check the run directory; for a resumed run, load the checkpoint. On failure
        the caller calls :meth:`finish` (``ok=False``)."""
        out = self.out
        if int(os.environ.get("RANK", "0")) != 0:  # torchrun: rank 0 owns the directory
            if resume:  # the checkpoint rank 0 resumes from, read while rank 0 may be finishing a save
                self.state = self._complete_history(checkpoint.load_newest(out))
                self.saved_step = int(self.state["step"])
            return self
        if resume and not out.is_dir():
            raise ValueError(f"--resume {out}: not a run directory")
        if not resume and not overwrite:
            self._new(overwrite)  # refused before anything is touched (checked again once owned)
        if out.exists() and not out.is_dir():
            raise rundir.RunDirError(f"--out {out} is a file, not a directory")
        with self.hold():  # a signal here waits until the directory is owned: finish() can remove it
            self.created = not out.exists()
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise rundir.RunDirError(f"--out {out} cannot be written: {rundir.describe(err)}") from None
            self.lock = rundir.lock(out, "python -m gan.train" + (" --resume" if resume else ""))
        rundir.check_writable(out)
        self.messages += recover(out)  # before the stale temporaries go: one may be a whole checkpoint
        stale = rundir.remove_stale_temporaries(out)  # safe: no other process writes here now
        if stale:
            self.messages.append(f"removed {len(stale)} temporary file(s) left by an interrupted write")
        self._resume() if resume else self._new(overwrite)
        for text in self.messages:
            _say(text)
        return self

    def _new(self, overwrite: bool) -> None:
        existing = rundir.holds_run(self.out)
        if existing and not overwrite and not _has_checkpoint(self.out):
            raise ValueError(_no_checkpoint(self.out, "--out"))  # the same advice as --resume gives
        if existing and not overwrite:
            raise ValueError(f"--out {self.out} already holds a run ({', '.join(existing)}); continue it "
                             f"with --resume {self.out}, or pass --overwrite to replace it")
        self.replacing = bool(existing)
        self.config_record = dataclasses.asdict(self.cfg)

    def _resume(self) -> None:
        out = self.out
        if not _has_checkpoint(out):
            raise ValueError(_no_checkpoint(out))
        self.state = checkpoint.load(out)
        self.state = self._complete_history(self.state)
        step = self.saved_step = int(self.state["step"])
        saved, note = load_run_config(out, self.state)
        if note:
            self.messages.append(f"warning: {note}; {rundir.CONFIG} is rewritten from it")
        if self.cfg.generator_steps < step:
            raise ValueError(f"--generator-steps {self.cfg.generator_steps} is below the run's step {step}: a "
                             "run cannot go back (its checkpoint is at that step); give a total of at least "
                             f"{step}, or start a new run")
        if rundir.drop_set_aside(out):  # this run has a checkpoint: the one it replaced can go
            self.messages.append(f"removed {out / rundir.REPLACED}, the run that this one replaced")
        rundir.truncate_metrics(out, step)
        changes = changed(saved, self.cfg)
        raw = _saved_record(out)
        self.history = list(raw.get("changes", [])) if isinstance(raw.get("changes"), list) else []
        self.saved_environment = raw.get("environment")
        if changes:
            self.messages.append(f"resuming at step {step} with " + ", ".join(
                f"{flag(k)} {new} (was {old})" for k, (old, new) in changes.items()))
            self.history.append({"step": step, "changed": {k: {"from": old, "to": new}
                                                           for k, (old, new) in changes.items()}})
        if changes or note or saved.out != self.cfg.out:
            self.config_record = {**dataclasses.asdict(self.cfg), "changes": self.history}

    def _complete_history(self, state: dict) -> dict:
        """The checkpoint to resume from such that ``metrics.jsonl`` holds every step up to it.

        A resumed run appends the steps after its checkpoint; the steps before it must be in the
        log already, or the run's history would have a silent gap. When lines are missing (a
        torn, cut or deleted file), an earlier checkpoint at or before the last step of the
        unbroken log is used instead (the steps after it are trained again, exactly as the first
        time); when there is none, ``ValueError`` names the missing steps and what to do.
        """
        out, step = self.out, int(state["step"])
        steps = [r["step"] for r in rundir.read_metrics(out, warn=False) if r["step"] <= step]
        have = 0
        while have < len(steps) and steps[have] == have + 1:
            have += 1
        if have >= step:
            return state
        missing = _ranges(sorted(set(range(1, step + 1)) - set(steps)))
        lacks = f"{out / rundir.METRICS} lacks the metrics of generator step(s) {missing} (the checkpoint is at step {step})"
        earlier = checkpoint.load_at_most(out, have)
        if earlier is None:
            raise ValueError(f"--resume {out}: {lacks}, and no checkpoint is at or before step {have}, where the "
                             "log is whole, so they cannot be trained again: continuing would leave a gap in the "
                             f"run's history. Put back the missing lines (a backup of {rundir.METRICS}), or start "
                             f"again with --out {out} --overwrite")
        self.messages.append(f"warning: {lacks}: resuming from the checkpoint of step {earlier['step']} instead, "
                             f"where the log is whole; steps {int(earlier['step']) + 1}-{step} are trained again")
        return earlier

    def begin(self, device) -> None:
        """The run is built (on ``device``): set aside the run it replaces (--overwrite) and write
        ``config.json`` with the environment (device, torch, the code's commit); a resumed run
        records a change of environment with the step, as it does a change of options."""
        if not self.owner:
            return
        env = environment(device)
        if self.state is not None and env != self.saved_environment:
            self.history.append({"step": self.saved_step, "environment": {"from": self.saved_environment, "to": env}})
            self.config_record = self.config_record or {**dataclasses.asdict(self.cfg), "changes": self.history}
        if self.replacing:
            rundir.set_aside(self.out)  # all or nothing
            self.set_aside = True
        self.began = True
        if self.config_record is not None:
            rundir.write_json(self.out / rundir.CONFIG, {**self.config_record, "environment": env})

    def describe(self) -> str:
        """New or resumed, for the start banner."""
        if self.state is not None:
            return f"resumed at step {self.saved_step}"
        if self.replacing:
            return f"new, replacing the run there (kept in {rundir.REPLACED}/ until the first checkpoint)"
        return "new"

    def checkpointed(self, step: int) -> None:
        """A checkpoint of ``step`` is on disk: the new run has started, the replaced one can go."""
        self.saved_step = step
        if self.set_aside and self.owner:
            rundir.drop_set_aside(self.out)
            self.set_aside = False

    def finish(self, ok: bool) -> None:
        """Release the run. After a failure before the first checkpoint of a new run, leave the
        directory as it was: the replaced run moved back, or the directory made for it removed."""
        if self.owner and not ok and self.saved_step is None:  # a new run, before its first checkpoint
            if self.set_aside:
                rundir.restore_set_aside(self.out)
                self.set_aside = False
            elif self.created:
                shutil.rmtree(self.out, ignore_errors=True)
            elif self.began and not self.replacing:
                for name in rundir.RUN_FILES:  # a new run in a folder that held other files
                    path = self.out / name
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def note(self) -> str:
        """What is safe on disk, for an error message (after :meth:`finish`)."""
        if self.saved_step is not None:
            return f"the last good checkpoint (step {self.saved_step}) is intact in {self.out}"
        return f"there is no last good checkpoint (none was written yet): {self.out} is left as it was before this run"


def _ranges(steps: list[int]) -> str:
    """``[1, 2, 3, 7]`` as ``"1-3, 7"``."""
    parts, i = [], 0
    while i < len(steps):
        j = i
        while j + 1 < len(steps) and steps[j + 1] == steps[j] + 1:
            j += 1
        parts.append(str(steps[i]) if i == j else f"{steps[i]}-{steps[j]}")
        i = j + 1
    return ", ".join(parts)


def _saved_record(out: Path) -> dict:
    """The run's config.json as saved (empty when it is unreadable)."""
    try:
        record = rundir.read_config(out)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def environment(device) -> dict:
    """What ran the run, for ``config.json``: the resolved device, torch, Python, the commit."""
    import platform

    import torch

    return {"device": str(device), "torch": torch.__version__, "python": platform.python_version(),
            "commit": git_commit()}
