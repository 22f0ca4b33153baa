"""Whole-or-absent file writes: a crash leaves the old file or the new one, never a torn one."""

from __future__ import annotations

import os
from pathlib import Path


class WriteFailed(OSError):
    """A file could not be written (a full disk, a lost mount); nothing torn is left. One line
    naming the file."""

    def __init__(self, path: str | os.PathLike, err: OSError):
        super().__init__(err.errno, err.strerror or str(err))
        self.path = Path(path)

    def __str__(self) -> str:
        return f"could not write {self.path}: {self.strerror}"


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the filesystem allows it."""
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


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to the file descriptor ``fd`` (``os.write`` may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    The temporary file is ``.NAME.PID.RANDOM.tmp`` beside ``path``; it is flushed to disk
    (``fsync``) before the rename, and the folder after it, so a crash leaves either the old file
    or the new one. The folder is made if needed. The file gets ordinary permissions (``0o666``
    less the umask, as ``open`` gives), not the ``0o600`` of ``tempfile.mkstemp``. On failure
    nothing is left behind, ``path`` is untouched and :class:`WriteFailed` names it.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as err:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(err, OSError) and not isinstance(err, WriteFailed):
            raise WriteFailed(path, err) from None
        raise
    fsync_dir(path.parent)
