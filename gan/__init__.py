"""The WGAN trainer (Algorithm 1 of Arjovsky et al. 2017) and the DCGAN baseline, with their
models, data, checkpoints and quality metrics; ``python -m gan.train``."""

import os as _os
import signal as _signal
import sys as _sys
import threading as _threading


def _stop_during_imports(signum, frame):  # pragma: no cover - runs in a child process (tests/gan/test_safety.py)
    _os.write(2, f"stopped by {_signal.Signals(signum).name} during start-up, before the first step; nothing "
                 "of the run was made\n".encode())
    _os._exit(128 + signum)


def _python_m(module: str) -> bool:
    argv = getattr(_sys, "orig_argv", [])
    return any(a == "-m" and b == module for a, b in zip(argv, argv[1:]))


# ``python -m gan.train``: SIGINT and SIGTERM give one line and 130 / 143 from the first line of the
# package on, through the seconds of importing torch, until gan.train.main installs its own handlers
# (nothing of the run exists before then, so there is nothing to clean up)
if _python_m("gan.train") and _threading.current_thread() is _threading.main_thread():
    for _s in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(_s, _stop_during_imports)

from divergences import __version__  # noqa: E402  # one version for the whole toolkit

__all__ = ["__version__"]
