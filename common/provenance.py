"""What made a result: the commit of the code, the machine, the date.

One owner for each, so that every record the project writes (a trainer run's ``config.json``,
a long-budget result, the GPU command's summary) says the same thing the same way, and fails
the same way: where a fact cannot be read it is ``None``, never a made-up placeholder.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

#: the repository's root (the folder that holds this package)
ROOT = Path(__file__).resolve().parents[1]


def git_commit(root: str | os.PathLike | None = None) -> str | None:
    """The commit of the code that runs, with ``-dirty`` when tracked files differ from it.

    ``root``: the checkout's root (default: the one this package is in). None outside a git
    checkout (an installed copy, a copied tree), without git, or when git does not answer within
    ten seconds.
    """
    root = Path(root) if root is not None else ROOT
    if not (root / ".git").exists():  # not a checkout's root: never the commit of a folder above it
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode or not head.stdout.strip():
        return None
    return head.stdout.strip() + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def cpu_model() -> str:
    """The CPU's model name with its family and model numbers (Linux ``/proc/cpuinfo``; virtual
    machines often report only "AMD EPYC", and family 25 model 1 is Zen 3, 25/17 Zen 4); else
    what :mod:`platform` knows."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if not line.strip():
                    break  # the first processor is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    if "model name" in fields:
        return f"{fields['model name']} (family {fields.get('cpu family', '?')} model {fields.get('model', '?')})"
    return platform.processor() or platform.machine()


def machine() -> dict:
    """The CPU model (:func:`cpu_model`) and the number of logical cores: ``{"cpu", "cores"}``."""
    return {"cpu": cpu_model(), "cores": os.cpu_count()}


def utc_now() -> str:
    """The date and time now, UTC, to the second, ISO 8601 (``2026-12-07T03:43:07+00:00``)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
