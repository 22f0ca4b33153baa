"""Starting a run: the configuration from the command line, and the run directory made ready.

A new run (``--out``) refuses a directory that already holds a run unless ``--overwrite``; a
resumed run (``--resume``) takes its configuration from the run's ``config.json`` (with the
resumable options given on the command line), loads the latest valid checkpoint, removes the
temporary files a kill left behind and cuts ``metrics.jsonl`` back to the checkpoint's step.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from . import checkpoint, rundir
from .config import Config, resume_config


def holds_run(folder: Path) -> list[str]:
    """The files of a run that ``folder`` holds (empty when it holds none)."""
    names = (rundir.CONFIG, rundir.METRICS, checkpoint.CHECKPOINT, checkpoint.PREVIOUS, rundir.SAMPLES)
    return [n for n in names if (folder / n).exists()] if folder.is_dir() else []


def config_from_args(args) -> tuple[Config, bool]:
    """The run's Config from parsed arguments (:func:`gan.config.build_parser`); and whether
    it resumes. Defaults are resolved later, once, by :func:`gan.train.train`."""
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
