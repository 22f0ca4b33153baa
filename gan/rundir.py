"""A training run's directory: one owner at a time, atomic writes, the metrics log, sample sheets.

Layout (``--out RUN_DIR``)::

    config.json            the run's configuration (and the options changed on resume, by step)
    metrics.jsonl          one JSON line per generator step, steps strictly increasing
    checkpoint.pt          the latest checkpoint, checksummed (see :mod:`gan.checkpoint`)
    checkpoint.prev.pt     the one before it, the fallback when the latest fails its check
    samples/step_NNNNNNN.png, samples/latest.png (and *_ema.png with --ema)
    snapshots/step_NNNNNNN.pt    generator weights at each sample sheet, for gan.evaluate
    .lock                  names the process that owns the run (see :func:`lock`)
    .replaced/             a run being replaced by ``--overwrite``, until the new one's first
                           checkpoint

**One process owns a run.** :func:`lock` takes an advisory ``fcntl.flock`` on ``.lock``; a second
process is refused with one line naming the holder. The kernel drops the lock when its process
ends, however it ends (``kill -9`` included), so it never needs cleaning up.

**Every write is whole or absent.** Every file but the metrics log is written to a temporary name
(``.NAME.*.tmp``) in the same folder, flushed to disk and renamed into place, so a crash leaves
either the old file or the new one; a kill can leave the temporary file, which
:func:`remove_stale_temporaries` deletes when the run's owner starts. The metrics log is appended
to with one unbuffered write per batch of whole lines; if it fails (a full disk) the file is cut
back to its previous size with ``ftruncate``. A failed write raises :class:`WriteFailed`, one line
naming the file. Files get ordinary permissions (0666 less the umask).

A torn last line (a kill during the append) is skipped, and reported, by :func:`read_metrics`;
duplicate or decreasing steps (two writers) are refused; a resumed run rewrites the log up to its
checkpoint's step.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import socket
import time
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from common.files import WriteFailed, atomic_write_bytes, fsync_dir, write_all

CONFIG = "config.json"
METRICS = "metrics.jsonl"
SAMPLES = "samples"
SNAPSHOTS = "snapshots"
LOCK = ".lock"
REPLACED = ".replaced"
#: where :func:`set_aside` gathers the old run before renaming it to :data:`REPLACED` (all or nothing)
REPLACING = ".replacing"
#: where :func:`restore_set_aside` puts :data:`REPLACED` while it moves the old run back
RESTORING = ".restoring"
#: what a run's directory holds besides its lock: what --overwrite replaces
RUN_FILES = (CONFIG, METRICS, "checkpoint.pt", "checkpoint.prev.pt", SAMPLES, SNAPSHOTS, "evaluation.jsonl",
             "curves.png", "metrics.csv", "tensorboard")


class RunDirError(OSError):
    """A run directory cannot be used (read-only, a file, owned by another process): one line.
    A file of the run that cannot be written raises :class:`common.files.WriteFailed` instead."""


def describe(err: OSError) -> str:
    return err.strerror or str(err)


def remove_stale_temporaries(run_dir: str | os.PathLike) -> list[Path]:
    """Delete the ``.NAME.*.tmp`` files a killed writer left in the run (and its sub-folders).

    Only the run's owner (:func:`lock`) may call this: it alone writes there."""
    run_dir = Path(run_dir)
    stale = [p for p in run_dir.rglob(".*.tmp") if p.is_file()] if run_dir.is_dir() else []
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def check_writable(run_dir: str | os.PathLike) -> Path:
    """Create the run directory if needed and prove it can be written; else :class:`RunDirError`."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"--out {run_dir} is a file, not a directory")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(run_dir / ".write-test", b"")
        (run_dir / ".write-test").unlink()
    except OSError as err:
        raise RunDirError(f"--out {run_dir} cannot be written: {describe(err)}") from None
    return run_dir


def write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def read_config(run_dir: str | os.PathLike) -> dict:
    """The run's ``config.json`` as a dict (``OSError`` or ``ValueError`` when unreadable)."""
    return json.loads((Path(run_dir) / CONFIG).read_text())


# --------------------------------------------------------------------------- ownership


class RunLock:
    """The advisory lock of a run directory, held by this process until :meth:`release`."""

    def __init__(self, fd: int, path: Path):
        self.fd, self.path = fd, path

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the file drops the flock
            self.fd = None


def lock(run_dir: str | os.PathLike, holder: str = "") -> RunLock:
    """Own ``run_dir`` (which must exist): ``fcntl.flock`` on ``run_dir/.lock``, non-blocking.

    The file is rewritten with one line naming this process (pid, host, start time and
    ``holder``), which another process's refusal quotes. Raises :class:`RunDirError` when another
    process holds the lock.
    """
    path = Path(run_dir) / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise RunDirError(f"--out {run_dir} cannot be written: {describe(err)}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        line = os.pread(fd, 1000, 0).decode("utf-8", errors="replace").strip() or "another process"
        os.close(fd)
        raise RunDirError(f"{run_dir} is in use by {line}; one process owns a run: wait for it to end, "
                          "or stop it, before starting another on this directory") from None
    me = (f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
          + (f" ({holder})" if holder else ""))
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (me + "\n").encode(), 0)
    except OSError:  # a full disk: the lock holds all the same, only the name is missing
        pass
    return RunLock(fd, path)


def holds_run(folder: str | os.PathLike) -> list[str]:
    """The files of a run that ``folder`` holds (empty when it holds none)."""
    folder = Path(folder)
    names = (CONFIG, METRICS, "checkpoint.pt", "checkpoint.prev.pt", SAMPLES, REPLACED, REPLACING, RESTORING)
    return [n for n in names if (folder / n).exists()] if folder.is_dir() else []


def set_aside(run_dir: str | os.PathLike) -> list[str]:
    """Move the run in ``run_dir`` (its :data:`RUN_FILES`) into ``run_dir/.replaced``.

    ``.replaced`` may already hold a run whose replacement was killed before its first
    checkpoint: that one is kept (it is the last run that trained), and the killed replacement's
    files are deleted instead of being set aside. Returns the names moved.

    The files are gathered in ``.replacing`` and that folder is renamed ``.replaced`` once they
    are all in it, so ``.replaced`` only ever holds a whole run: a kill during the move leaves
    ``.replacing``, which :func:`finish_interrupted_moves` moves back on the next start.
    """
    run_dir = Path(run_dir)
    aside, staging = run_dir / REPLACED, run_dir / REPLACING
    present = [n for n in RUN_FILES if (run_dir / n).exists()]
    if aside.exists():
        for name in present:
            _remove(run_dir / name)
        return []
    staging.mkdir()
    moved = []
    try:
        for name in present:
            os.replace(run_dir / name, staging / name)
            moved.append(name)
        fsync_dir(staging)
        os.replace(staging, aside)
    except BaseException:  # all or nothing: put back what was moved
        for name in moved:
            os.replace(staging / name, run_dir / name)
        staging.rmdir()
        raise
    fsync_dir(run_dir)
    return present


def restore_set_aside(run_dir: str | os.PathLike) -> None:
    """Undo :func:`set_aside`: delete the new run's files (every :data:`RUN_FILES` outside
    ``.replaced``), move the replaced run back. The new run's files that have no counterpart in
    ``.replaced`` are deleted first; then ``.replaced`` is renamed ``.restoring`` and its files
    replace the new run's, so that a kill half-way is finished by :func:`finish_interrupted_moves`,
    never mistaken for a whole replaced run."""
    run_dir = Path(run_dir)
    aside = run_dir / REPLACED
    if not aside.is_dir():
        return
    for name in RUN_FILES:
        if not (aside / name).exists():  # the new run's file, with nothing of the old run to put back
            _remove(run_dir / name)
    os.replace(aside, run_dir / RESTORING)
    fsync_dir(run_dir)
    _move_back(run_dir, run_dir / RESTORING)


def _move_back(run_dir: Path, folder: Path) -> list[str]:
    """Move every entry of ``folder`` back into ``run_dir`` (replacing what is there), then
    remove ``folder``; the names moved."""
    names = sorted(p.name for p in folder.iterdir())
    for name in names:
        _remove(run_dir / name)
        os.replace(folder / name, run_dir / name)
    folder.rmdir()
    fsync_dir(run_dir)
    return names


def finish_interrupted_moves(run_dir: str | os.PathLike) -> list[str]:
    """Finish what a kill cut short in :func:`set_aside` or :func:`restore_set_aside`: the old
    run's files are moved back into ``run_dir``, whole. Only the run's owner may call this.
    Returns sentences saying what was done (empty when there was nothing to do)."""
    run_dir = Path(run_dir)
    done = []
    if (run_dir / REPLACING).is_dir():  # killed while setting the old run aside: none of the new run exists
        names = _move_back(run_dir, run_dir / REPLACING)
        done.append(f"an --overwrite was interrupted while it set the old run aside: moved {len(names)} of "
                    f"its file(s) back ({', '.join(names) or 'none'}); the old run is whole again")
    if (run_dir / RESTORING).is_dir():  # killed while moving the old run back after a failed replacement
        _move_back(run_dir, run_dir / RESTORING)
        done.append("a failed --overwrite was interrupted while it moved the old run back: finished; "
                    "the old run is whole again")
    return done


def drop_set_aside(run_dir: str | os.PathLike) -> bool:
    """Delete the replaced run (the new one has its first checkpoint); True if there was one."""
    aside = Path(run_dir) / REPLACED
    if not aside.exists():
        return False
    shutil.rmtree(aside)
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- metrics


def read_metrics(run_dir: str | os.PathLike, *, warn: bool = True) -> list[dict]:
    """The whole lines of ``metrics.jsonl`` (empty if there are none yet).

    A last line without its newline, or one that does not parse (a write cut by a kill), is
    skipped with a warning; a bad line anywhere else, or a step that is not above the one
    before it (two processes wrote the run), raises ``ValueError`` naming the line.
    """
    path = Path(run_dir) / METRICS
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.split("\n")
    rows = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        last = i == len(lines) - 1  # no newline after it
        try:
            if last:
                raise ValueError("no newline")
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("step"), int):
                raise ValueError("not a row")
        except ValueError:
            if last or all(not rest.strip() for rest in lines[i + 1:]):
                if warn:
                    warnings.warn(f"{path}: skipped a torn last line ({len(line)} bytes) left by an "
                                  "interrupted write", RuntimeWarning, stacklevel=2)
                break
            raise ValueError(f"{path}: line {i + 1} is not a metrics row: {line[:80]!r}; to repair, delete that "
                             f"line (sed -i '{i + 1}d' {path}): --resume then trains again the steps it lacks "
                             "from an earlier checkpoint, or names them") from None
        if rows and row["step"] <= rows[-1]["step"]:
            raise ValueError(f"{path}: line {i + 1} has step {row['step']} after step {rows[-1]['step']} "
                             "(duplicate or out of order: were two processes writing this run?); to repair, keep one "
                             f"line per step in increasing order, e.g. delete line {i + 1} if it repeats an earlier "
                             f"step (sed -i '{i + 1}d' {path})")
        rows.append(row)
    return rows


def rewrite_metrics(run_dir: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Replace ``metrics.jsonl`` with these rows, atomically."""
    atomic_write_bytes(Path(run_dir) / METRICS, "".join(json.dumps(r) + "\n" for r in rows).encode())


def truncate_metrics(run_dir: str | os.PathLike, last_step: int) -> list[dict]:
    """Keep only the whole lines up to ``last_step`` (a resumed run recomputes the rest)."""
    rows = [r for r in read_metrics(run_dir, warn=False) if r["step"] <= last_step]
    rewrite_metrics(run_dir, rows)
    return rows


def append_metrics(run_dir: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Append whole lines in one unbuffered write, flushed to disk; on failure cut the file back
    to its previous size (``ftruncate``: nothing buffered to flush first) and raise
    :class:`WriteFailed`."""
    path = Path(run_dir) / METRICS
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    if not data:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as err:
        raise WriteFailed(path, err) from None
    try:
        size = os.fstat(fd).st_size
        try:
            write_all(fd, data)
            os.fsync(fd)
        except OSError as err:
            try:
                os.ftruncate(fd, size)
            except OSError:  # pragma: no cover - then read_metrics skips the torn line
                pass
            raise WriteFailed(path, err) from None
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- images


def image_grid(images: np.ndarray, nrow: int = 8, pad: int = 2) -> np.ndarray:
    """Tile uint8 images (N, H, W, C), C = 1 or 3, into one RGB sheet."""
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    n, h, w, c = images.shape
    rows = -(-n // nrow)
    sheet = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), 255, np.uint8)
    for i, img in enumerate(images):
        r, k = divmod(i, nrow)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = img
    return sheet


def save_sheet(path: str | os.PathLike, images_uint8: np.ndarray, nrow: int = 8, scale: int = 1) -> None:
    """A PNG sheet of uint8 images (N, H, W, C); ``scale`` enlarges small images (nearest)."""
    from PIL import Image

    sheet = Image.fromarray(image_grid(images_uint8, nrow))
    if scale > 1:
        sheet = sheet.resize((sheet.width * scale, sheet.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
