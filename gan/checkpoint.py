"""Checkpoints that cannot be silently wrong: checksummed, finite, with a fallback.

A checkpoint file is ``MAGIC | sha256(payload) | payload``, where the payload is ``torch.save``
of a dict of tensors and plain values (loaded with ``weights_only=True``). Saving

* refuses state with a NaN or inf anywhere (model parameters, buffers, optimiser moments): a
  diverged run keeps its last good checkpoint instead of replacing it with a poisoned one;
* writes to a temporary file, flushes it to disk, moves the current checkpoint to
  ``checkpoint.prev.pt`` and renames the new one into place; a full disk or a read-only folder
  raises :class:`CheckpointError` with one clear line, the previous checkpoint intact.

Loading verifies the magic, the checksum and the format, and falls back to
``checkpoint.prev.pt`` (with a warning that says why) when the latest fails, so a flipped bit or
a zeroed block is detected, not trained on.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from common.files import atomic_write_bytes

from .rundir import describe

CHECKPOINT = "checkpoint.pt"
PREVIOUS = "checkpoint.prev.pt"
#: the new checkpoint, complete on disk, between :func:`save`'s two renames
NEW = f".{CHECKPOINT}.new.tmp"
FORMAT = "wgan-toolkit-checkpoint-v2"
MAGIC = b"WGANTK-CKPT-v2\n"


class CheckpointError(RuntimeError):
    """A checkpoint could not be written or read; the message says what to do."""


def nonfinite(obj: Any, prefix: str = "") -> list[str]:
    """Names of the floating-point tensors in a nested dict/list that hold NaN or inf."""
    if isinstance(obj, torch.Tensor):
        return [prefix] if obj.is_floating_point() and not bool(torch.isfinite(obj).all()) else []
    if isinstance(obj, float):
        return [prefix] if not math.isfinite(obj) else []
    if isinstance(obj, dict):
        return [n for k, v in obj.items() for n in nonfinite(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(obj, (list, tuple)):
        return [n for i, v in enumerate(obj) for n in nonfinite(v, f"{prefix}[{i}]")]
    return []


def encode(state: dict) -> bytes:
    buf = io.BytesIO()
    torch.save({"format": FORMAT, **state}, buf)
    payload = buf.getvalue()
    return MAGIC + hashlib.sha256(payload).digest() + payload


def decode(blob: bytes, name: str = "checkpoint") -> dict:
    """The state in a checkpoint's bytes; ``ValueError`` saying what is wrong otherwise."""
    if not blob.startswith(MAGIC):
        raise ValueError(f"{name} is not a wgan-toolkit checkpoint ({FORMAT})")
    digest, payload = blob[len(MAGIC):len(MAGIC) + 32], blob[len(MAGIC) + 32:]
    if hashlib.sha256(payload).digest() != digest:
        raise ValueError(f"{name} fails its checksum (the file is corrupt)")
    try:
        state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means an unusable file
        raise ValueError(f"{name} is unreadable: {err}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{name} has an unknown format (expected {FORMAT})")
    return state


def save(state: dict, run_dir: str | os.PathLike) -> Path:
    """Check and write ``state`` as the run's checkpoint; the old one becomes the fallback."""
    run_dir = Path(run_dir)
    path = run_dir / CHECKPOINT
    bad = nonfinite(state)
    if bad:
        kept = ("the last good checkpoint is kept" if path.exists() or (run_dir / PREVIOUS).exists()
                else "there is no last good checkpoint (none was written yet)")
        raise CheckpointError(f"refusing to write a checkpoint with non-finite values in "
                              f"{', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}; {kept}")
    try:
        blob = encode(state)
        if path.exists():
            # the new file is complete on disk before the old one moves aside
            tmp = run_dir / NEW
            atomic_write_bytes(tmp, blob)
            os.replace(path, run_dir / PREVIOUS)
            os.replace(tmp, path)
        else:
            atomic_write_bytes(path, blob)
    except OSError as err:
        for p in run_dir.glob(f".{CHECKPOINT}*.tmp"):
            p.unlink(missing_ok=True)
        if path.exists() or (run_dir / PREVIOUS).exists():
            raise CheckpointError(f"could not write the checkpoint in {run_dir}: {describe(err)}; the previous "
                                  f"checkpoint is intact. Free space (or fix permissions), then continue with "
                                  f"--resume {run_dir}") from None
        raise CheckpointError(f"could not write the checkpoint in {run_dir}: {describe(err)}; there is no last "
                              "good checkpoint (none was written yet)") from None
    return path


def _step(path: Path) -> int | None:
    """The step of the valid checkpoint at ``path``; None when it is missing or invalid."""
    try:
        return int(decode(path.read_bytes(), str(path))["step"])
    except (ValueError, OSError, KeyError, TypeError):
        return None


def recover_interrupted_save(run_dir: str | os.PathLike) -> str | None:
    """Finish a :func:`save` that a kill cut between writing the new checkpoint (complete on
    disk as :data:`NEW`) and renaming it into place: when that file is a valid checkpoint of a
    later step than ``checkpoint.pt`` (or ``checkpoint.pt`` is gone: killed between the two
    renames), the renames are done now. Returns a sentence saying so, or None. Only the run's
    owner may call this (before removing stale temporaries, which would delete the file)."""
    run_dir = Path(run_dir)
    tmp, path = run_dir / NEW, run_dir / CHECKPOINT
    if not tmp.is_file():
        return None
    new = _step(tmp)
    if new is None:
        return None  # torn: an ordinary stale temporary
    current = _step(path) if path.exists() else None
    if current is not None and current >= new:
        return None
    if path.exists():
        os.replace(path, run_dir / PREVIOUS)
    os.replace(tmp, path)
    try:
        fd = os.open(run_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - some filesystems do not open directories
        pass
    return (f"completed the checkpoint of step {new}, which a kill had left as {NEW} before its rename "
            f"to {CHECKPOINT}")


def load_at_most(run_dir: str | os.PathLike, step: int) -> dict | None:
    """The latest valid checkpoint of the run (``checkpoint.pt``, else ``checkpoint.prev.pt``)
    at or before generator step ``step``; None when there is none."""
    for name in (CHECKPOINT, PREVIOUS):
        path = Path(run_dir) / name
        try:
            state = decode(path.read_bytes(), str(path))
        except (ValueError, OSError):
            continue
        if int(state["step"]) <= step:
            return state
    return None


def load_newest(run_dir: str | os.PathLike) -> dict:
    """The valid checkpoint of the latest step among :data:`NEW`, ``checkpoint.pt`` and
    ``checkpoint.prev.pt``: what :func:`load` gives once :func:`recover_interrupted_save` has
    run, whether or not it has run yet (for the ranks that do not own the run directory).
    Raises ``ValueError`` when none is valid."""
    run_dir = Path(run_dir)
    best = None
    for name in (NEW, CHECKPOINT, PREVIOUS):
        path = run_dir / name
        try:
            state = decode(path.read_bytes(), str(path))
        except (ValueError, OSError):  # missing, invalid, or renamed by rank 0 meanwhile
            continue
        if best is None or int(state["step"]) > int(best["step"]):
            best = state
    return best if best is not None else load(run_dir)


def load(run_dir: str | os.PathLike) -> dict:
    """The run's latest valid checkpoint: ``checkpoint.pt``, else ``checkpoint.prev.pt``.

    Raises ``ValueError`` when neither is valid.
    """
    run_dir = Path(run_dir)
    problems = []
    for name in (CHECKPOINT, PREVIOUS):
        path = run_dir / name
        if not path.is_file():
            problems.append(f"no {name}")
            continue
        try:
            state = decode(path.read_bytes(), str(path))
        except (ValueError, OSError) as err:
            problems.append(str(err))
            continue
        if problems:
            warnings.warn(f"{problems[0]}; resuming from {path} (step {state.get('step')}) instead",
                          RuntimeWarning, stacklevel=2)
        return state
    raise ValueError(f"no usable checkpoint in {run_dir}: " + "; ".join(problems))


def rng_state(device: torch.device) -> dict:
    """This process's torch RNG states (CPU, and the CUDA device's when training there)."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)
