"""A training run's directory: atomic writes, the metrics log, sample sheets.

Layout (``--out RUN_DIR``)::

    config.json            the run's configuration
    metrics.jsonl          one JSON line per generator step (and evaluation rows)
    checkpoint.pt          the latest checkpoint, checksummed (see :mod:`gan.checkpoint`)
    checkpoint.prev.pt     the one before it, the fallback when the latest fails its check
    samples/step_NNNNNNN.png, samples/latest.png (and *_ema.png with --ema)
    snapshots/step_NNNNNNN.pt    generator weights at each sample sheet, for gan.evaluate

Every file but the metrics log is written to a temporary name (``.NAME.*.tmp``) in the same
folder, flushed to disk and renamed into place, so a crash leaves either the old file or the
new one. A kill can still leave a temporary file behind: :func:`remove_stale_temporaries` runs
when a run starts or resumes. Files get ordinary permissions (0666 less the umask).

The metrics log is appended to, one write per batch of whole lines; if a write fails (a full
disk) the file is cut back to its previous size, so it only ever holds whole lines. A torn last
line left by a kill is skipped (and reported) by :func:`read_metrics`, and a resumed run
rewrites the log up to its checkpoint's step.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np

CONFIG = "config.json"
METRICS = "metrics.jsonl"
SAMPLES = "samples"
SNAPSHOTS = "snapshots"


class RunDirError(OSError):
    """A run directory cannot be written (read-only, a file, full disk): one clear line."""


def describe(err: OSError) -> str:
    return err.strerror or str(err)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - some filesystems do not open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    The file gets ordinary permissions (``0o666`` less the umask, as ``open`` gives), not the
    ``0o600`` of ``tempfile.mkstemp``. On failure nothing is left behind and ``path`` is
    untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def remove_stale_temporaries(run_dir: str | os.PathLike) -> list[Path]:
    """Delete the ``.NAME.*.tmp`` files a killed writer left in the run (and its sub-folders)."""
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
    """The run's ``config.json`` as a dict."""
    return json.loads((Path(run_dir) / CONFIG).read_text())


# --------------------------------------------------------------------------- metrics


def read_metrics(run_dir: str | os.PathLike, *, warn: bool = True) -> list[dict]:
    """The whole lines of ``metrics.jsonl`` (empty if there are none yet).

    A last line without its newline, or one that does not parse (a write cut by a kill), is
    skipped with a warning; a bad line anywhere else raises ``ValueError`` naming it.
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
            rows.append(json.loads(line))
        except ValueError:
            if last or all(not rest.strip() for rest in lines[i + 1:]):
                if warn:
                    warnings.warn(f"{path}: skipped a torn last line ({len(line)} bytes) left by an "
                                  "interrupted write", RuntimeWarning, stacklevel=2)
                break
            raise ValueError(f"{path}: line {i + 1} is not JSON: {line[:80]!r}") from None
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
    """Append whole lines in one write; on failure, cut the file back and raise RunDirError."""
    path = Path(run_dir) / METRICS
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    if not data:
        return
    with open(path, "ab") as fh:
        size = fh.tell()
        try:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        except OSError as err:
            fh.truncate(size)
            raise RunDirError(f"cannot append to {path}: {describe(err)}") from None


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
