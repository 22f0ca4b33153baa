"""What the command lines print: results on standard output, warnings as one line each.

* :func:`emit` prints a command's result and flushes it. When standard output cannot take it
  (``> /dev/full``, a closed pipe, a full disk) it says so in one line on standard error and
  returns False, instead of ending in an ``OSError`` traceback at the print or at exit; files
  the command already wrote are kept.
* :func:`one_line_warnings` shows each warning as ``warning: MESSAGE`` instead of Python's
  two-line ``file:line: Category: message`` form with the source line under it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import Iterator


def emit(*lines: str, kept: str | os.PathLike | None = None) -> bool:
    """Print ``lines`` to standard output and flush; False (after one line on standard error,
    naming ``kept``, the file that holds the result, if any) when the stream cannot be written.
    Standard output is then pointed at ``/dev/null`` so that the interpreter's own flush at exit
    does not fail again."""
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
        return True
    except OSError as err:
        what = err.strerror or str(err)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # not a real file (captured in a test)
            pass
        note = f"; the result is kept in {kept}" if kept is not None else ""
        print(f"error: could not write the result to standard output: {what}{note}", file=sys.stderr, flush=True)
        return False


def _one_line(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Within the block, warnings print as one line each (``warning: MESSAGE``)."""
    old = warnings.formatwarning
    warnings.formatwarning = _one_line
    try:
        yield
    finally:
        warnings.formatwarning = old
