"""The user cache directory: derived files that can always be made again (the LSUN key list,
the MNIST feature network).

``$XDG_CACHE_HOME/wgan-toolkit`` or ``~/.cache/wgan-toolkit``; never the working directory.
Writes are best effort: a read-only or full cache is not an error, since whatever was to be
cached is still in memory.
"""

from __future__ import annotations

import os
from pathlib import Path

from common.files import atomic_write_bytes


def cache_dir(*parts: str) -> Path:
    """The cache directory (or a folder under it); not created here."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "wgan-toolkit", *parts)


def save(path: str | os.PathLike, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically if possible; False (and nothing left behind) when the
    cache cannot be written."""
    try:
        atomic_write_bytes(path, data)
        return True
    except OSError:
        return False
