"""The output folder and the child processes of the GPU command (:mod:`benchmarks.gpu`): the
files it may write (:data:`FILES`, :class:`Output`), what it records about the machine and the
code, and a phase's work in a fresh process (:class:`Child`) stopped at the budget's end."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import sys
import threading
import time
from pathlib import Path

from common.files import atomic_write_bytes
from common.provenance import machine as cpu_machine, utc_now

ROOT = Path(__file__).resolve().parents[1]

#: the output folder's files (what each holds); nothing else is written there
FILES = {
    "summary.json": "the machine, the code, every phase's status, seconds and headline numbers, the table",
    "log.txt": "every progress line, as printed",
    "throughput.json": "steps/s of each loop and its ratio to the reference, FLOPs, the profile",
    "toy_control.json": "gan_toy.py's WGAN-GP and its WGAN with weight clipping: mode_collapse_controls.json of "
                        "the long budget",
    "mnist.json": "the MNIST runs at the paper's scale: each finished run's record (FD, KID, cosines; the curves "
                  "and samples of the first seed)",
    "stacked_mnist.json": "Stacked MNIST at the published scale: each finished run's record (modes, KL, confident "
                          "modes; the samples of the first seed)",
    "samples.png": "the last sample sheet of each finished MNIST run, side by side",
}
MAX_FILE_BYTES = 16_000_000
class Output:
    """The output folder: only the files of :data:`FILES`, each written atomically and refused
    above 16 MB, and the progress log (printed, and appended to ``log.txt``)."""

    def __init__(self, folder: Path, t0: float):
        self.folder, self.t0 = Path(folder), t0
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, name: str, data: bytes) -> bool:
        if name not in FILES:
            raise ValueError(f"{name} is not one of the output folder's files {sorted(FILES)}")
        if len(data) >= MAX_FILE_BYTES:
            self.log(f"warning: {name} would be {len(data) / 1e6:.1f} MB (limit 16 MB): not written")
            return False
        atomic_write_bytes(self.folder / name, data)
        return True

    def write_json(self, name: str, obj) -> bool:
        return self.write(name, json.dumps(obj, indent=1, default=str).encode())

    def log(self, line: str) -> None:
        text = f"[{time.monotonic() - self.t0:6.0f} s] {line}"
        with self._lock:
            print(text, file=sys.stderr, flush=True)
            with open(self.folder / "log.txt", "a") as fh:
                fh.write(text + "\n")


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``; None when there is no such file; ValueError naming the file
    and what is wrong when it cannot be read (never a silent None)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} could not be read: {err}") from None


def code_id() -> str:
    """A hash of the Python sources (the device's copy of the tree may have no git)."""
    h = hashlib.sha256()
    for pkg in ("common", "divergences", "gan", "claims", "toys", "experiments", "benchmarks", "tests"):
        for p in sorted((ROOT / pkg).rglob("*.py")):
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def machine() -> dict:
    """The accelerator (nvidia-smi: no CUDA context is made here), torch, Python, the CPU, the date."""
    import platform
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    gpu = None
    try:
        q = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=20)
        gpu = q.stdout.strip().splitlines()[0] if q.returncode == 0 and q.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = None
    return {"gpu": gpu, "torch": torch_version, "python": platform.python_version(), **cpu_machine(), "date": utc_now()}


# ============================================================================ children


def _in_child(log_file: str, module: str, function: str, kwargs: dict) -> None:
    """A child process's body: its output into ``log_file``, then ``module.function(**kwargs)``."""
    import importlib

    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    getattr(importlib.import_module(module), function)(**kwargs)


class Child:
    """The project's ``module.function(**kwargs)`` in a fresh (spawned) process, its output in ``log_file``."""

    def __init__(self, name: str, module: str, function: str, kwargs: dict, log_file: Path):
        self.name, self.log_file, self.stopped = name, Path(log_file), False
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.proc = mp.get_context("spawn").Process(target=_in_child, name=name,
                                                     args=(str(log_file), module, function, kwargs))
        self.proc.start()

    @property
    def exitcode(self) -> int | None:
        return self.proc.exitcode

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM (a run saves nothing more: its last state file stands), SIGKILL after ``grace`` s."""
        if self.proc.is_alive():
            self.stopped = True
            self.proc.terminate()
            self.proc.join(grace)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join()

    def status(self) -> str:
        code = self.exitcode
        return ("running" if code is None else "stopped at the budget's end" if self.stopped else
                "done" if code == 0 else f"failed (exit status {code}): " + " | ".join(self.tail(3)))

    def tail(self, n: int = 15) -> list[str]:
        try:
            return self.log_file.read_text(errors="replace").splitlines()[-n:]
        except OSError as err:
            return [f"(its log {self.log_file} could not be read: {err})"]


def run_children(children: list[Child], stop_at: float, report, every: float) -> None:
    """Wait for ``children`` until ``stop_at`` (then stop them), calling ``report()`` every ``every`` s."""
    last = time.monotonic()
    while any(c.exitcode is None for c in children):
        if time.time() >= stop_at:
            for c in children:
                c.stop()
            break
        time.sleep(0.5)
        if time.monotonic() - last >= every:
            last = time.monotonic()
            report()
