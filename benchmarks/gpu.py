"""The GPU command: one call that, inside a wall-clock budget on one accelerator, installs what
the image lacks, runs the GPU-relevant tests on CUDA, measures the trainer against the reference
loop, and then runs the experiments a CPU cannot decide (issue 23).

    bash benchmarks/gpu_wheels.sh                   # once, where PyPI is reachable: wheels in .whl/
    python3 -m benchmarks.gpu                       # on the GPU machine, from the repository root
    python3 -m benchmarks.gpu --tiny --out DIR      # the same path at toy sizes on a CPU (a minute)

Phases, in priority order, under ``--budget-seconds`` (default 420, start to last line):

1. **install**: the modules the image lacks (POT, lmdb, mlxtend, threadpoolctl) from the wheels in
   ``.whl/``: ``pip install --no-index --no-deps --target /tmp/site``, then on ``PYTHONPATH``.
2. **tests**: :data:`GPU_TESTS` (the trainer's smoke and resume tests, the torch paths of
   ``divergences``, the quality metrics inside training) with ``WGAN_TEST_DEVICE=cuda``. A
   failure stops the command (exit status 1) unless ``--keep-going``.
3. **throughput** (:func:`throughput`, a child process): WGAN Algorithm 1 generator steps per
   second, DCGAN 64x64, batch 64, n_critic 5, of the trainer in fp32 and bf16, of a CUDA graph
   of its iteration, and with ``torch.compile``, each against the reference loop of
   :mod:`benchmarks.gan_throughput` in the same process, interleaved; the model FLOPs per step
   (``FlopCounterMode``) against the chip's bf16 peak; what bounds the step (the profiler's
   kernels per step, their time against the wall time, math kernels against the rest).
4. **experiments** until the budget's end, all at once on the one GPU, each resumable and each
   writing its results as it goes (:func:`experiment_tasks`, priority order): WGAN-GP's
   ``gan_toy.py`` control on the ring and the grid (several seeds); WGAN with clipping at the
   paper's settings on MNIST 32x32 with the DCGAN and the MLP generator, FD / KID every
   ``--eval-every`` steps; Adam on the critic (the paper's Section 4.2) at the same settings.
5. The output folder (``--out``, else ``$OUT``): the files of :data:`FILES` only (at most 8,
   each under 16 MB, written atomically as results come), and a short table printed last.

Everything resumable lives in ``--state`` (default ``.gpu-state``, ignored by git): a second
call with the same code skips the finished phases and continues the experiments where the
first stopped (a killed call loses at most a minute of any run). Nothing is ever measured on a
CPU and reported as a GPU number: ``--tiny`` results say ``tiny`` and ``cpu`` everywhere.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common.provenance import git_commit

ROOT = Path(__file__).resolve().parents[1]

#: the output folder's files (what each holds); nothing else is written there
FILES = {
    "summary.json": "the machine, the code, every phase's status, seconds and headline numbers, the table",
    "log.txt": "every progress line, as printed",
    "throughput.json": "steps/s of each loop and its ratio to the reference, FLOPs, the profile",
    "toy_control.json": "gan_toy.py's WGAN-GP control: each run's statistics at its checkpoints",
    "mnist.json": "the MNIST runs: FD / KID at each evaluation, the critic's curve, the step cosine",
    "samples.png": "the latest sample sheet of each MNIST run, side by side",
}
MAX_FILE_BYTES = 16_000_000

#: what the image lacks: import name -> distribution name (the wheels of gpu_wheels.sh)
NEEDED = {"ot": "POT", "lmdb": "lmdb", "mlxtend": "mlxtend", "threadpoolctl": "threadpoolctl"}

#: the tests that exercise the GPU paths, run with WGAN_TEST_DEVICE=cuda
GPU_TESTS = [
    "tests/gan/test_train.py::test_em_estimate_positive_when_real_and_fake_differ",
    "tests/gan/test_train.py::test_smoke_every_algorithm_and_architecture",
    "tests/gan/test_train.py::test_one_channel_mnist_end_to_end",
    "tests/gan/test_train.py::test_ema_of_the_generator",
    "tests/gan/test_train.py::test_adam_on_the_critic_and_extra_layers",
    "tests/gan/test_resume.py::test_resume_continues_exactly",
    "tests/gan/test_quality.py::test_trainer_eval_every_and_gan_evaluate",
    "tests/divergences/test_device.py",
]
#: the same path at --tiny: one trainer run and the divergences' torch paths
TINY_TESTS = [
    "tests/gan/test_train.py::test_smoke_every_algorithm_and_architecture[wgan-dcgan-dcgan-clip]",
    "tests/divergences/test_device.py::test_histogram_divergences_on_the_device",
]

#: H200 dense bf16 peak, TFLOP/s (as the issue states it); --peak-tflops changes it
BF16_PEAK_TFLOPS = 790.0


# ============================================================================ the output folder


class Output:
    """The output folder: only the files of :data:`FILES`, each written atomically and refused
    above 16 MB, and the progress log (printed, and appended to ``log.txt``)."""

    def __init__(self, folder: Path, t0: float):
        self.folder, self.t0 = Path(folder), t0
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, name: str, data: bytes) -> bool:
        from common.files import atomic_write_bytes

        if name not in FILES:
            raise ValueError(f"{name} is not one of the output folder's files {sorted(FILES)}")
        if len(data) >= MAX_FILE_BYTES:
            self.log(f"warning: {name} would be {len(data) / 1e6:.1f} MB (limit 16 MB): not written")
            return False
        atomic_write_bytes(self.folder / name, data)
        return True

    def write_json(self, name: str, obj) -> bool:
        return self.write(name, json.dumps(obj, indent=1, default=_jsonable).encode())

    def log(self, line: str) -> None:
        text = f"[{time.monotonic() - self.t0:6.0f} s] {line}"
        with self._lock:
            print(text, file=sys.stderr, flush=True)
            with open(self.folder / "log.txt", "a") as fh:
                fh.write(text + "\n")


def _jsonable(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def _read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _write_json(path: Path, obj) -> None:
    from common.files import atomic_write_bytes

    atomic_write_bytes(path, json.dumps(obj, default=_jsonable).encode())


def code_id() -> str:
    """A hash of the Python sources (the device's copy of the tree may have no git)."""
    h = hashlib.sha256()
    for pkg in ("divergences", "gan", "claims", "toys", "experiments", "benchmarks", "tests"):
        for p in sorted((ROOT / pkg).rglob("*.py")):
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def machine() -> dict:
    """The accelerator (nvidia-smi: no CUDA context is made here), torch, Python and the CPU."""
    from importlib.metadata import PackageNotFoundError, version

    from benchmarks.common import cpu_model

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
    if gpu is None and shutil.which("nvidia-smi") is None:  # no nvidia-smi: ask torch, in a child
        try:
            q = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.get_device_name(0) "
                                "if torch.cuda.is_available() else '')"], capture_output=True, text=True, timeout=120)
            gpu = q.stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            pass
    return {"gpu": gpu, "torch": torch_version, "python": platform.python_version(), "cpu": cpu_model(),
            "cores": os.cpu_count(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


# ============================================================================ children


@dataclass
class Child:
    """A child process with a name, its output going to the log (``stream``) or to a file."""

    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    started: float = 0.0
    ended: float | None = None
    returncode: int | None = None
    stopped: bool = False  # sent SIGTERM by us
    log_file: Path | None = None
    threads: list = field(default_factory=list)

    def start(self, out: Output, env: dict, stream: bool) -> None:
        self.started = time.monotonic()
        if stream:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, bufsize=1)
            t = threading.Thread(target=self._pump, args=(out,), daemon=True)
            t.start()
            self.threads.append(t)
        else:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.log_file, "a")
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
            fh.close()

    def _pump(self, out: Output) -> None:
        for line in self.proc.stdout:
            if not line.startswith("USDT:"):  # the profiler's start and stop notices
                out.log(f"  {self.name}: {line.rstrip()}")

    def poll(self) -> int | None:
        if self.proc is not None and self.returncode is None:
            self.returncode = self.proc.poll()
            if self.returncode is not None:
                self.ended = time.monotonic()
        return self.returncode

    def stop(self) -> None:
        if self.proc is not None and self.poll() is None:
            self.stopped = True
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc is not None and self.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self.poll()

    def wait(self, seconds: float) -> int | None:
        try:
            self.proc.wait(timeout=max(0.0, seconds))
        except subprocess.TimeoutExpired:
            pass
        for t in self.threads:
            t.join(timeout=1)
        return self.poll()

    def tail(self, n: int = 15) -> list[str]:
        try:
            return self.log_file.read_text(errors="replace").splitlines()[-n:] if self.log_file else []
        except OSError:
            return []


def run_child(child: Child, out: Output, env: dict, timeout: float, grace: float = 15.0) -> Child:
    """Run a child to its end or ``timeout`` seconds (then SIGTERM, ``grace`` seconds, SIGKILL),
    its output streamed into the log."""
    child.start(out, env, stream=True)
    if child.wait(timeout) is None:
        out.log(f"{child.name}: out of its {timeout:.0f} s, stopping it")
        child.stop()
        if child.wait(grace) is None:
            child.kill()
    return child


def child_env(threads: int | None = None) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


# ============================================================================ 1. install


def install(wheels: Path, site: Path, out: Output) -> dict:
    """Install the modules of :data:`NEEDED` that this interpreter lacks from ``wheels`` into
    ``site`` (no index, no dependencies) and put ``site`` on ``sys.path`` and ``PYTHONPATH`` (for
    the children)."""
    _use_site(site)
    missing = {m: d for m, d in NEEDED.items() if importlib.util.find_spec(m) is None}
    if not missing:
        return {"status": "done", "installed": [], "note": "every module present"}
    files = sorted(Path(wheels).glob("*.whl"))
    by_name = {d.lower(): [w for w in files if w.name.split("-")[0].lower() == d.lower()] for d in missing.values()}
    absent = [d for d, ws in by_name.items() if not ws]
    if absent:
        return {"status": "failed", "installed": [], "note": f"no wheel for {', '.join(absent)} in {wheels}: "
                "run bash benchmarks/gpu_wheels.sh where PyPI is reachable, and send .whl/ with the call"}
    chosen = [str(ws[-1]) for ws in by_name.values()]
    out.log(f"install: {', '.join(Path(c).name for c in chosen)} into {site}")
    how = "pip"
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0:
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--upgrade",
               "--target", str(site), *chosen]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            return {"status": "failed", "installed": [], "note": (proc.stderr or proc.stdout).strip()[-800:]}
    else:  # no pip on the image: a wheel is a zip of what goes into site-packages
        import zipfile

        how = "unzipped (no pip)"
        for w in chosen:
            with zipfile.ZipFile(w) as z:
                z.extractall(site)
    _use_site(site)
    still = [m for m in missing if importlib.util.find_spec(m) is None]
    if still:
        return {"status": "failed", "installed": chosen, "note": f"still missing after install: {still}"}
    return {"status": "done", "installed": [Path(c).name for c in chosen], "how": how}


def _use_site(site: Path) -> None:
    site = str(site)
    if Path(site).is_dir() and site not in sys.path:
        sys.path.insert(0, site)
        importlib.invalidate_caches()
    if Path(site).is_dir():
        parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        if site not in parts:
            os.environ["PYTHONPATH"] = os.pathsep.join([site, *parts])


# ============================================================================ 2. tests


def run_tests(ids: list[str], device: str, state: Path, out: Output, timeout: float) -> dict:
    """pytest on ``ids`` with ``WGAN_TEST_DEVICE=device``; the counts and every failure from its
    JUnit report."""
    xml = state / "tests.xml"
    xml.unlink(missing_ok=True)
    env = child_env()
    env.update(WGAN_TEST_DEVICE=device, CUBLAS_WORKSPACE_CONFIG=":4096:8")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}", *ids]
    out.log(f"tests: {len(ids)} selections on {device} (timeout {timeout:.0f} s)")
    child = run_child(Child("pytest", argv), out, env, timeout)
    res = junit_counts(xml)
    res["timed_out"] = child.stopped
    ok = child.returncode == 0 and res["failed"] == 0 and res["errors"] == 0 and res["passed"] > 0
    res["status"] = "done" if ok else ("timed out" if child.stopped else "failed")
    res["device"] = device
    return res


def junit_counts(xml: Path) -> dict:
    """Passed, failed, errors, skipped and the failures' names and first message lines."""
    import xml.etree.ElementTree as ET

    res = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "failures": [], "seconds": None}
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError):
        return res
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        kinds = {c.tag for c in case}
        if "failure" in kinds or "error" in kinds:
            res["failed" if "failure" in kinds else "errors"] += 1
            msg = next(c for c in case if c.tag in ("failure", "error")).get("message", "")
            res["failures"].append(f"{name}: {msg.splitlines()[0][:300] if msg else ''}")
        elif "skipped" in kinds:
            res["skipped"] += 1
        else:
            res["passed"] += 1
    suites = list(root.iter("testsuite"))
    if suites:
        res["seconds"] = round(sum(float(s.get("time", 0)) for s in suites), 1)
    return res


# ============================================================================ 3. throughput


def cuda_capture(fn):
    """Capture ``fn`` (which returns a tuple of tensors) as a CUDA graph after three warm-up calls
    on a side stream (cuDNN's choices, the optimisers' state); returns its static outputs and
    the replay."""
    import torch

    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        outputs = fn()
    return outputs, graph.replay


def eager_capture(fn):
    """What :func:`cuda_capture` does, eagerly (a CPU stand-in for tests): a replay reruns ``fn``
    and copies its results into the first call's outputs."""
    outputs = fn()

    def replay():
        for a, b in zip(outputs, fn()):
            a.copy_(b)
    return outputs, replay


class GraphedIteration:
    """One generator iteration of the trainer (:func:`gan.algorithm.iteration`: ``n_critic``
    critic steps, then the generator step) captured once and replayed: before each replay the
    next ``n_critic`` real batches are copied into static buffers; the noise is drawn inside the
    graph. The optimisers are made capturable (their step counts on the device), and autocast's
    weight cache is off (it cannot live across replays)."""

    def __init__(self, run, n_critic: int, capture=cuda_capture):
        import torch

        from gan.algorithm import iteration

        self.run = run
        self.buffers = [run.data.next().clone() for _ in range(n_critic)]
        if self.buffers[0].is_cuda:
            for opt in (run.players.opt_c, run.players.opt_g):
                for group in opt.param_groups:
                    group["capturable"] = True

        def one():
            batches = iter(self.buffers)
            stats = iteration(run.players, lambda: next(batches), run.noise, n_critic, run.amp)
            return stats.critic, stats.loss_g
        cache = torch.is_autocast_cache_enabled()
        torch.set_autocast_cache_enabled(False)
        try:
            (self.critic, self.loss_g), self._replay = capture(one)
        finally:
            torch.set_autocast_cache_enabled(cache)

    def __call__(self):
        for b in self.buffers:
            b.copy_(self.run.data.next())
        self._replay()
        return self.critic, self.loss_g


def graphed_step(run, n_critic: int = 5, capture=cuda_capture):
    """A generator step of the trainer through :class:`GraphedIteration`, with the trainer's
    metrics handling (:func:`benchmarks.gan_throughput.metered`), as a closure."""
    from benchmarks.gan_throughput import metered

    return metered(run, GraphedIteration(run, n_critic, capture), n_critic)


def count_flops(step) -> int:
    """Model FLOPs of one call of ``step`` (matrix products and convolutions, forward and
    backward: ``torch.utils.flop_counter``)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step()
    return int(counter.get_total_flops())


def profile_step(step, device, n: int) -> dict:
    """Per generator step, from ``torch.profiler`` over ``n`` steps: wall time, aten ops, and on
    CUDA the kernels, their summed time, its share of the wall time, and the share of the kernel
    time in matrix products and convolutions (the rest moves bytes: element-wise, reductions,
    copies, optimiser and clamping kernels)."""
    import torch
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    cuda = device.type == "cuda"
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    step()
    if cuda:
        torch.cuda.synchronize(device)
    with profile(activities=acts) as prof:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        if cuda:
            torch.cuda.synchronize(device)
        wall = (time.perf_counter() - t0) / n
    events = prof.events()
    ops = sum(1 for e in events if e.device_type == DeviceType.CPU and e.name.startswith("aten::"))
    res = {"steps": n, "wall_ms": wall * 1e3, "aten_ops": ops / n}
    if cuda:
        kernels = [e for e in events if e.device_type == DeviceType.CUDA]
        us = [e.time_range.end - e.time_range.start for e in kernels]
        math_words = ("gemm", "conv", "cutlass", "cudnn", "xmma", "sm90", "sm80", "implicit", "dgrad", "wgrad")
        math_us = sum(u for e, u in zip(kernels, us) if any(w in e.name.lower() for w in math_words))
        busy = sum(us) / n / 1e3
        res.update(kernels=len(kernels) / n, kernel_ms=busy, busy=busy / res["wall_ms"],
                   math_share=math_us / max(sum(us), 1e-9),
                   wall_us_per_kernel=res["wall_ms"] * 1e3 / max(len(kernels) / n, 1e-9))
    return res


def bound_text(p: dict, flops: int | None, rate: float | None, peak: float) -> str:
    """What bounds a step, read from :func:`profile_step`'s numbers."""
    if "kernels" not in p:
        return "unmeasured: the kernel profile needs CUDA"
    util = f"; {flops * rate / (peak * 1e12):.1%} of the bf16 peak" if flops and rate else ""
    if p["busy"] < 0.6:
        return (f"the host: the GPU runs kernels {p['busy']:.0%} of the step ({p['kernels']:.0f} kernels, "
                f"{p['wall_us_per_kernel']:.1f} us of wall time each): launches and the Python loop{util}")
    kind = "math (matrix products, convolutions)" if p["math_share"] >= 0.5 else "bytes (element-wise, reductions, copies)"
    return (f"the device: kernels fill {p['busy']:.0%} of the step, {p['math_share']:.0%} of their time in "
            f"matrix products and convolutions, so {kind}{util}")


def throughput(device_name: str, tiny: bool, state: Path, stop_at: float, peak: float,
               graph: bool = True, compile_: bool = True) -> dict:
    """The throughput phase (run in a child process): see the module docstring. Each part is
    written to ``state/throughput.json`` as soon as it is measured; a part that does not fit
    before ``stop_at`` (a ``time.time()``) is skipped and says so."""
    import statistics
    import tempfile

    import torch

    from benchmarks.gan_throughput import interleaved_rates, reference_step, trainer_run
    from gan.data import prepare

    device = torch.device(device_name)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True  # as the reference main.py sets it, for both loops: fixed shapes
    size, batch = (16, 8) if tiny else (64, 64)
    steps, warmup, blocks = (4, 1, 2) if tiny else (200, 20, 4)
    precisions = ["fp32", "bf16"] if cuda else ["fp32"]  # bf16 is emulated on most CPUs: tens of times slower
    path = state / "throughput.json"
    from benchmarks.common import machine_line

    res = {"device": torch.cuda.get_device_name(device) if cuda else "cpu", "torch": torch.__version__,
           "machine": machine_line(), "tiny": tiny, "image_size": size, "batch_size": batch, "n_critic": 5, "steps": steps,
           "warmup": warmup, "blocks": blocks, "bf16_peak_tflops": peak, "groups": {}, "notes": [],
           "cudnn_benchmark": torch.backends.cudnn.benchmark, "tf32": {
               "matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32}}

    def save():
        _write_json(path, res)

    def left() -> float:
        return stop_at - time.time()

    def group(name: str, loops: dict) -> dict:
        rates = interleaved_rates(loops, device, steps, warmup, blocks)
        ref = rates["reference fp32"]
        g = {"steps_per_sec": {k: statistics.median(v) for k, v in rates.items()},
             "ratio": {k: statistics.median([a / b for a, b in zip(v, ref)]) for k, v in rates.items()
                       if k != "reference fp32"},
             "ratio_range": {k: [min(a / b for a, b in zip(v, ref)), max(a / b for a, b in zip(v, ref))]
                             for k, v in rates.items() if k != "reference fp32"}}
        res["groups"][name] = g
        save()
        return g

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        prepared = tmp / "prepared.npy"
        prepare(f"synthetic:{64 if tiny else 1024}", prepared, size, workers=0, progress=False)
        runs, loops = {}, {}
        for p in precisions:
            runs[p], loops[f"trainer {p}"] = trainer_run(prepared, device, batch, size, False, p == "bf16", tmp / p)
        reference = reference_step(runs["fp32"].data.next, device, batch, size)
        t0 = time.perf_counter()
        eager = group("eager", {"reference fp32": reference, **loops})
        group_seconds = time.perf_counter() - t0

        res["flops_per_step"] = {"trainer": count_flops(loops["trainer fp32"]), "reference": count_flops(reference)}
        save()
        res["profile"] = {name: profile_step(step, device, 3 if tiny else 20)
                          for name, step in (("reference fp32", reference), *loops.items())}
        rate = eager["steps_per_sec"]
        res["bound"] = {k: bound_text(p, res["flops_per_step"]["trainer" if k.startswith("trainer") else "reference"],
                                      rate.get(k), peak) for k, p in res["profile"].items()}
        save()

        if not graph:
            res["notes"].append("CUDA graph: not asked (--no-cuda-graph)")
        elif not cuda:
            res["notes"].append("CUDA graph: unmeasured, it needs CUDA (its code is tested on the CPU with an eager stand-in)")
        elif left() < 2 * group_seconds + 10:
            res["notes"].append(f"CUDA graph: skipped, {left():.0f} s left")
        else:
            try:
                graphed = {}
                for p in precisions:
                    run = trainer_run(prepared, device, batch, size, False, p == "bf16", tmp / f"graph-{p}")[0]
                    graphed[f"graph {p}"] = graphed_step(run)
                group("cuda graph", {"reference fp32": reference, **graphed})
            except Exception as err:  # noqa: BLE001 - a measurement that fails is reported, the rest goes on
                res["notes"].append(f"CUDA graph: failed: {type(err).__name__}: {str(err)[:400]}")
            save()

        if not compile_:
            res["notes"].append("torch.compile: not asked (--no-compile)")
        elif tiny:
            res["notes"].append("torch.compile: not run at --tiny (compiling takes minutes on a CPU)")
        else:
            for p in reversed(precisions):  # bf16 first: the likeliest to be fastest
                if left() < 60 + group_seconds:
                    res["notes"].append(f"torch.compile {p}: skipped, {left():.0f} s left")
                    save()
                    continue
                try:
                    step = trainer_run(prepared, device, batch, size, True, p == "bf16", tmp / f"compile-{p}")[1]
                    t1 = time.perf_counter()
                    step()  # compiles
                    res.setdefault("compile_seconds", {})[p] = time.perf_counter() - t1
                    group(f"compile {p}", {"reference fp32": reference, f"compile {p}": step})
                except Exception as err:  # noqa: BLE001
                    res["notes"].append(f"torch.compile {p}: failed: {type(err).__name__}: {str(err)[:400]}")
                    save()
    res["done"] = True
    save()
    return res


def best_loop(tp: dict) -> tuple[str, float, float] | None:
    """The fastest loop of any group: (name, steps/s, ratio to the reference of its group)."""
    best = None
    for g in tp.get("groups", {}).values():
        for k, r in g["ratio"].items():
            if best is None or r > best[2]:
                best = (k, g["steps_per_sec"][k], r)
    return best


# ============================================================================ 4. experiments

#: WGAN-GP's toy script (gan_toy.py, Gulrajani et al. 2017): ReLU MLPs 512 x 3, 2-D noise, penalty
#: 0.1, Adam 1e-4 betas (0.5, 0.9) for both players, n_critic 5, batch 256, 100,000 iterations
GAN_TOY = {"hidden": 512, "depth": 3, "latent": 2, "penalty": 0.1, "lr": 1e-4, "betas": (0.5, 0.9),
           "n_critic": 5, "batch": 256, "iterations": 100_000}
TOY_EVAL = 2500  # samples per checkpoint (VEEGAN / PacGAN's protocol)


def gan_toy_modes(target: str):
    """gan_toy.py's data: the 8 Gaussians at radius 2 (std 0.02) divided by 1.414, or the 25 on
    the grid {-4, ..., 4}^2 (std 0.05) divided by 2.828 ("to unit spread"). Returns (centres,
    standard deviation) after the division.

    Interim, until ``toys.mode_collapse.gan_toy_control`` (branch ``modes``) lands: switch to it."""
    import numpy as np

    if target == "ring":
        s = 1 / np.sqrt(2)
        c = 2 * np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)])
        return c / 1.414, 0.02 / 1.414
    if target == "grid":
        c = np.array([(2 * x, 2 * y) for x in range(-2, 3) for y in range(-2, 3)], dtype=float)
        return c / 2.828, 0.05 / 2.828
    raise ValueError(f"target must be ring or grid, got {target!r}")


def toy_statistics(x, target: str) -> dict:
    """VEEGAN / PacGAN's protocol: a sample is high quality within 3 standard deviations of its
    nearest mode; a mode is captured by at least one; the KL of the high-quality samples' mode
    histogram to uniform (:func:`divergences.kl`)."""
    import numpy as np

    import divergences as D

    centres, std = gan_toy_modes(target)
    d = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
    hq = d.min(1) <= 3 * std
    counts = np.bincount(d.argmin(1)[hq], minlength=len(centres))
    return {"hq_share": float(hq.mean()), "modes": int((counts > 0).sum()), "of": len(centres),
            "mode_kl": float(D.kl(counts, np.ones(len(centres)))) if counts.sum() else None}


def toy_control(target: str, seed: int, device_name: str, state: Path, stop_at: float, tiny: bool,
                every: int) -> dict:
    """gan_toy.py's WGAN-GP on ``target`` through :func:`gan.algorithm.iteration`, until 100,000
    iterations or ``stop_at`` (or SIGTERM), measured every ``every`` iterations (written to
    ``state/toy-TARGET-sSEED.json``) and resumable from ``state/toy-TARGET-sSEED.pt``.

    Interim, until ``toys.mode_collapse.gan_toy_control`` (branch ``modes``, with tflib's
    initialisation and the grid's fixed 100,000 points) lands: switch to it."""
    import io

    import numpy as np
    import torch

    from gan.algorithm import iteration, make_players
    from gan.defaults import OptimizerSpec
    from gan.models import critic_mlp, mlp
    from common.files import atomic_write_bytes

    s = dict(GAN_TOY, hidden=64, batch=64, iterations=40) if tiny else GAN_TOY
    device = torch.device(device_name)
    key = f"toy-{target}-s{seed}"
    stop = {"flag": False}
    torch.manual_seed(seed)
    G = mlp(s["latent"], 2, s["hidden"], s["depth"]).to(device)
    C = critic_mlp(2, s["hidden"], s["depth"]).to(device)
    players = make_players(G, C, "wgan", lipschitz="gp", constraint_kwargs={"weight": s["penalty"]},
                           optimizer=OptimizerSpec("adam", s["lr"], s["betas"]))
    centres, std = gan_toy_modes(target)
    centres = torch.as_tensor(centres, dtype=torch.float32, device=device)
    z_eval = torch.randn(TOY_EVAL, s["latent"], generator=torch.Generator().manual_seed(10_000 + seed)).to(device)

    def real() -> torch.Tensor:
        k = torch.randint(0, len(centres), (s["batch"],), device=device)
        return centres[k] + std * torch.randn(s["batch"], 2, device=device)

    def noise() -> torch.Tensor:
        return torch.randn(s["batch"], s["latent"], device=device)

    rec = {"key": key, "target": target, "seed": seed, "device": device_name, "tiny": tiny,
           "settings": {k: v for k, v in s.items()}, "interim": True, "std": std,
           "centres": np.round(gan_toy_modes(target)[0], 6).tolist(), "step": [], "hq_share": [], "modes": [],
           "mode_kl": [], "estimate": [], "seconds": [], "scatter": None}
    step, spent = 0, 0.0
    ckpt = state / f"{key}.pt"
    if ckpt.exists():
        saved = torch.load(ckpt, map_location="cpu", weights_only=False)  # RNG states stay host tensors
        G.load_state_dict(saved["G"])
        C.load_state_dict(saved["C"])
        players.opt_g.load_state_dict(saved["opt_g"])
        players.opt_c.load_state_dict(saved["opt_c"])
        torch.set_rng_state(saved["rng"])
        if saved.get("cuda_rng") is not None and device.type == "cuda":
            torch.cuda.set_rng_state(saved["cuda_rng"], device)
        rec, step, spent = saved["rec"], saved["step"], saved["seconds"]

    def checkpoint(window: list) -> None:
        with torch.no_grad():
            x = G(z_eval).cpu().numpy().astype(np.float64)
        st = toy_statistics(x, target)
        rec["step"].append(step)
        for k in ("hq_share", "modes", "mode_kl"):
            rec[k].append(st[k])
        rec["of"] = st["of"]
        rec["estimate"].append(float(torch.stack(window).mean()) if window else None)
        rec["seconds"].append(round(spent + time.perf_counter() - t0, 2))
        rec["scatter"] = {"step": step, "xy": np.round(x[:500], 4).tolist()}
        buf = io.BytesIO()
        torch.save({"G": G.state_dict(), "C": C.state_dict(), "opt_g": players.opt_g.state_dict(),
                    "opt_c": players.opt_c.state_dict(), "rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
                    "rec": rec, "step": step, "seconds": rec["seconds"][-1]}, buf)
        atomic_write_bytes(ckpt, buf.getvalue())
        _write_json(state / f"{key}.json", rec)

    t0 = time.perf_counter()
    window: list = []
    old = signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))  # finish the iteration, save, exit
    try:
        while step < s["iterations"] and not stop["flag"] and time.time() < stop_at:
            stats = iteration(players, real, noise, s["n_critic"])
            step += 1
            window.append(stats.critic)
            if step % every == 0:
                checkpoint(window)
                window = []
        if window or not rec["step"]:
            checkpoint(window)
    finally:
        signal.signal(signal.SIGTERM, old)
    return rec


@dataclass
class Task:
    """An experiment run as a child process: its name, priority, command, what it waits for."""

    name: str
    kind: str  # "toy", "mnist" or "setup"
    argv: list[str]
    after: tuple[str, ...] = ()
    child: Child | None = None


#: the MNIST runs at the paper's settings (the trainer's defaults: RMSProp 5e-5, clipping at 0.01,
#: n_critic 5, batch 64, the reference critic schedule, DCGAN width 64), 32 x 32 digits
MNIST_RUNS = {
    "mnist-clip-dcgan": ["--generator", "dcgan"],
    "mnist-clip-mlp": ["--generator", "mlp"],
    "mnist-adam-dcgan": ["--generator", "dcgan", "--optimizer", "adam", "--log-step-cosine"],
}


def mnist_argv(name: str, run_dir: Path, device: str, tiny: bool, eval_every: int, eval_samples: int) -> list[str]:
    """``python -m gan.train`` for run ``name``, or ``--resume`` when its checkpoint exists.

    Interim, until ``experiments.mnist_runs.paper_scale_tasks`` (branch ``mnist-exp``) lands:
    switch to its configurations (the same trainer options)."""
    if (run_dir / "checkpoint.pt").exists():
        return [sys.executable, "-m", "gan.train", "--resume", str(run_dir)]
    size = ["--image-size", "16", "--width", "8", "--batch-size", "8", "--generator-steps", "8",
            "--no-reference-schedule", "--mlp-hidden", "32"] if tiny else \
        ["--image-size", "32", "--generator-steps", "100000"]
    return [sys.executable, "-m", "gan.train", "--data", "mnist", *MNIST_RUNS[name], *size,
            "--eval-every", str(eval_every), "--eval-samples", str(eval_samples), "--device", device,
            "--workers", "0", "--log-every", "50", "--sample-every", str(eval_every),
            "--checkpoint-every", "2000", "--checkpoint-minutes", "1", "--out", str(run_dir),
            "--overwrite"]  # a run killed before its first checkpoint starts again


def experiment_tasks(args, state: Path, device: str, stop_at: float) -> list[Task]:
    """The experiments in priority order: the toy control (each target, each seed), the feature
    network the MNIST evaluations need (trained once, cached), the MNIST runs."""
    me = [sys.executable, "-m", "benchmarks.gpu"]
    size = 16 if args.tiny else 32
    # the MNIST runs' feature network, trained once (seconds) and cached, before they start
    tasks = [Task("features", "setup", [sys.executable, "-c", "from gan.features import load_feature_net; "
                                        f"load_feature_net(None, {size})"])]
    for target in ("ring", "grid"):
        for seed in args.toy_seeds:
            tasks.append(Task(f"toy-{target}-s{seed}", "toy",
                              me + ["--child", "toy", "--target", target, "--seed", str(seed), "--device", device,
                                    "--state", str(state), "--stop-at", str(stop_at), "--toy-every", str(args.toy_every)]
                              + (["--tiny"] if args.tiny else [])))
    for name in MNIST_RUNS if not args.tiny else ("mnist-clip-dcgan", "mnist-adam-dcgan"):
        tasks.append(Task(name, "mnist", mnist_argv(name, state / name, device, args.tiny, args.eval_every,
                                                    args.eval_samples), after=("features",)))
    return tasks


def run_experiments(tasks: list[Task], state: Path, out: Output, stop_at: float, parallel: int,
                    report_every: float) -> dict:
    """Start the tasks in order as slots free up and their prerequisites finish; stop every child
    at ``stop_at`` (SIGTERM: each writes its state and exits; SIGKILL 20 s later); every
    ``report_every`` seconds collect the results into the output folder and log one progress
    line with the time left."""
    threads = max(1, (os.cpu_count() or 2) // max(1, min(parallel, len(tasks))))
    env = child_env(threads)
    for t in tasks:
        t.child = Child(t.name, t.argv, log_file=state / "logs" / f"{t.name}.log")
    last = 0.0
    stopping = False
    while True:
        now = time.time()
        running = [t for t in tasks if t.child.proc is not None and t.child.poll() is None]
        if not stopping and now >= stop_at:
            stopping = True
            out.log(f"experiments: the budget's end, stopping {len(running)} runs")
            for t in running:
                t.child.stop()
            stop_deadline = time.monotonic() + 20
        if stopping:
            if not running or time.monotonic() > stop_deadline:
                for t in running:
                    t.child.kill()
                break
        else:
            done = {t.name for t in tasks if t.child.returncode is not None}
            failed = {t.name for t in tasks if t.child.returncode not in (None, 0)}
            for t in tasks:
                if t.child.proc is None and len(running) < parallel and all(a in done for a in t.after):
                    if any(a in failed for a in t.after):
                        t.child.returncode = -1  # never started
                        continue
                    t.child.start(out, env, stream=False)
                    running.append(t)
                    out.log(f"experiments: started {t.name}")
            if all(t.child.returncode is not None for t in tasks):
                break
        if time.monotonic() - last >= report_every:
            last = time.monotonic()
            collect(tasks, state, out, stop_at)
        time.sleep(0.5)
    return collect(tasks, state, out, stop_at, final=True)


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    try:
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass  # a torn last line
    except OSError:
        pass
    return rows


def _blocks(steps: list, values: list, n: int = 300) -> dict:
    """At most ``n`` block means (and minima) of a per-step curve."""
    import numpy as np

    if not values:
        return {"step": [], "mean": [], "min": []}
    v, s = np.asarray(values, float), np.asarray(steps)
    edges = np.unique(np.linspace(0, len(v), min(n, len(v)) + 1).astype(int))
    return {"step": [int(s[b - 1]) for b in edges[1:]],
            "mean": [float(v[a:b].mean()) for a, b in zip(edges[:-1], edges[1:])],
            "min": [float(v[a:b].min()) for a, b in zip(edges[:-1], edges[1:])]}


QUALITY = ("fd", "kid", "kid_se", "w1", "precision", "recall", "confident", "classes", "class_kl")


def mnist_record(run_dir: Path) -> dict | None:
    """A run's compact record: its configuration, the quality rows, the critic's curve (block
    means), the step cosine (block means and minima, negatives counted), the speed."""
    config = _read_json(run_dir / "config.json")
    if config is None:
        return None
    rows = _read_jsonl(run_dir / "metrics.jsonl")
    key = "em_estimate" if config.get("algo") == "wgan" else "js_lower_bound"
    train = [r for r in rows if key in r]
    rec = {"config": {k: config.get(k) for k in ("algo", "generator", "critic", "lipschitz", "optimizer", "lr",
                                                  "betas", "n_critic", "batch_size", "image_size", "width", "clip",
                                                  "reference_schedule", "device", "eval_samples")},
           "steps": train[-1]["step"] if train else 0, "critic_steps": train[-1]["critic_steps"] if train else 0,
           "seconds": train[-1].get("seconds") if train else None,
           "quality": [{"step": r["step"], **{k: r[k] for k in QUALITY if k in r}} for r in rows if "fd" in r],
           "curve_key": key, "curve": _blocks([r["step"] for r in train], [r[key] for r in train]),
           "loss_g": _blocks([r["step"] for r in train], [r["loss_g"] for r in train])["mean"]}
    rates = [r["images_per_sec"] for r in train if "images_per_sec" in r]
    if rates:
        rec["images_per_sec_median"] = sorted(rates)[len(rates) // 2]
    cos = [(r["step"], r["critic_step_cosine"]) for r in train if "critic_step_cosine" in r]
    if cos:
        rec["cosine"] = {**_blocks([c[0] for c in cos], [c[1] for c in cos]),
                         "negative_steps": sum(1 for c in cos if c[1] < 0), "count": len(cos),
                         "resolution": "the mean over each generator step's critic steps"}
    return rec


def collect(tasks: list[Task], state: Path, out: Output, stop_at: float, final: bool = False) -> dict:
    """Write toy_control.json, mnist.json and samples.png from the runs' state; log a line."""
    toys, mnist, status = {}, {}, {}
    for t in tasks:
        c = t.child
        status[t.name] = ("not started" if c.proc is None and c.returncode is None else
                          "failed: not started, a prerequisite failed" if c.proc is None else
                          "running" if c.returncode is None else
                          "stopped at the budget's end" if c.stopped else
                          "done" if c.returncode == 0 else f"failed (exit {c.returncode})")
        if t.kind == "toy":
            rec = _read_json(state / f"{t.name}.json")
            if rec is not None:
                toys[t.name] = rec
        elif t.kind == "mnist":
            rec = mnist_record(state / t.name)
            if rec is not None:
                mnist[t.name] = rec
    out.write_json("toy_control.json", {"status": {k: v for k, v in status.items() if k.startswith("toy")},
                                        "gan_toy_py": GAN_TOY, "runs": toys})
    out.write_json("mnist.json", {"status": {k: v for k, v in status.items() if k.startswith("mnist")},
                                  "runs": mnist})
    sheets = [state / t.name / "samples" / "latest.png" for t in tasks if t.kind == "mnist"]
    _side_by_side([p for p in sheets if p.exists()], out)
    parts = []
    for k, r in toys.items():
        if r["step"]:
            rate = r["step"][-1] / max(r["seconds"][-1], 1e-9)
            parts.append(f"{k} {r['step'][-1]:,} it, {rate:.0f} it/s (hq {r['hq_share'][-1]:.2f}, "
                         f"{r['modes'][-1]}/{r.get('of', '?')} modes)")
    for k, r in mnist.items():
        q = r["quality"][-1] if r["quality"] else None
        rate = f", {r['steps'] / r['seconds']:.1f} steps/s" if r.get("seconds") else ""
        parts.append(f"{k} {r['steps']:,} steps{rate}" + (f" (FD {q['fd']:.1f} at {q['step']:,})" if q else ""))
    left = max(0.0, stop_at - time.time())
    out.log(("experiments, final: " if final else f"experiments, {left:.0f} s left (ETA: the budget's end): ")
            + ("; ".join(parts) or "starting"))
    for t in tasks:
        if final and t.child.returncode not in (None, 0) and not t.child.stopped and t.child.proc is not None:
            out.log(f"{t.name} failed (exit {t.child.returncode}); the end of its log:")
            for line in t.child.tail():
                out.log(f"  {t.name}: {line}")
    return {"status": status, "toys": toys, "mnist": mnist}


def _side_by_side(pngs: list[Path], out: Output) -> None:
    if not pngs:
        return
    import io

    from PIL import Image

    images = []
    for p in pngs:
        try:
            with Image.open(p) as im:
                images.append(im.convert("RGB"))
        except OSError:
            pass  # being replaced right now: the next collection takes it
    if not images:
        return
    pad = 8
    sheet = Image.new("RGB", (sum(i.width for i in images) + pad * (len(images) - 1), max(i.height for i in images)),
                      "white")
    x = 0
    for im in images:
        sheet.paste(im, (x, 0))
        x += im.width + pad
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    out.write("samples.png", buf.getvalue())


# ============================================================================ 5. the table


def table(summary: dict) -> list[str]:
    """The short table printed last: one line per phase, then the headline numbers."""
    m = summary["machine"]
    lines = [f"GPU command{' (--tiny, CPU: no GPU number here)' if summary['tiny'] else ''}: "
             f"{m.get('gpu') or 'no GPU'}, torch {m.get('torch')}, {m['date']}, "
             f"{summary.get('seconds', 0):.0f} s of a {summary['budget_seconds']:.0f} s budget",
             f"{'phase':<12} {'status':<28} {'seconds':>7}  result"]
    for name, ph in summary["phases"].items():
        lines.append(f"{name:<12} {ph.get('status', '?'):<28} {ph.get('seconds', 0):>7.0f}  {ph.get('headline', '')}")
    return lines


def throughput_headline(tp: dict) -> str:
    g = tp.get("groups", {}).get("eager")
    if not g:
        return "no measurement"
    ref = g["steps_per_sec"]["reference fp32"]
    parts = [f"reference {ref:.1f} steps/s"]
    for grp in tp["groups"].values():
        parts += [f"{k} {r:.2f}x" for k, r in grp["ratio"].items()]
    best = best_loop(tp)
    fl = tp.get("flops_per_step", {}).get("trainer")
    if best and fl and tp.get("device") != "cpu":
        parts.append(f"best {best[0]}: {fl * best[1] / 1e12:.2f} TFLOP/s = {fl * best[1] / (tp['bf16_peak_tflops'] * 1e12):.1%} "
                     f"of the bf16 peak; target 3x: {'met' if best[2] >= 3 else 'not met'}")
    return "; ".join(parts)


# ============================================================================ main


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default $OUT)")
    ap.add_argument("--budget-seconds", type=float, default=None, help="wall-clock budget (default 420; 120 at --tiny)")
    ap.add_argument("--tiny", action="store_true", help="toy sizes on the CPU: the same code path in about a minute")
    ap.add_argument("--device", default=None, help="cuda (default) or cpu (default at --tiny)")
    ap.add_argument("--state", type=Path, default=ROOT / ".gpu-state", help="resumable state (default .gpu-state)")
    ap.add_argument("--wheels", type=Path, default=ROOT / ".whl", help="wheels of gpu_wheels.sh (default .whl)")
    ap.add_argument("--site", type=Path, default=Path("/tmp/site"), help="where the wheels are installed")
    ap.add_argument("--phases", default="install,tests,throughput,experiments",
                    help="comma-separated subset of install,tests,throughput,experiments")
    ap.add_argument("--keep-going", action="store_true", help="go on after failed tests")
    ap.add_argument("--no-cuda-graph", dest="cuda_graph", action="store_false")
    ap.add_argument("--no-compile", dest="compile", action="store_false")
    ap.add_argument("--peak-tflops", type=float, default=BF16_PEAK_TFLOPS, help="the chip's bf16 peak")
    ap.add_argument("--toy-seeds", type=int, nargs="+", default=None, help="seeds of the toy control (default 0 1)")
    ap.add_argument("--toy-every", type=int, default=None, help="toy iterations between checkpoints (default 1000)")
    ap.add_argument("--eval-every", type=int, default=None, help="MNIST generator steps between FD/KID (default 500)")
    ap.add_argument("--eval-samples", type=int, default=None, help="images per MNIST evaluation (default 1000)")
    ap.add_argument("--parallel", type=int, default=None, help="experiment processes at once (default all)")
    # a child's job (internal)
    ap.add_argument("--child", choices=("throughput", "toy"), help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--stop-at", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    tiny = args.tiny
    for name, full, small in (("budget_seconds", 420.0, 120.0), ("device", "cuda", "cpu"), ("toy_seeds", [0, 1], [0]),
                              ("toy_every", 1000, 10), ("eval_every", 500, 4), ("eval_samples", 1000, 200),
                              ("parallel", 8, 5)):
        if getattr(args, name) is None:
            setattr(args, name, small if tiny else full)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    bad = set(args.phases) - {"install", "tests", "throughput", "experiments"}
    if bad:
        ap.error(f"--phases: unknown {sorted(bad)}")
    if args.budget_seconds <= 0 or args.parallel < 1 or args.toy_every < 1 or args.eval_every < 1:
        ap.error("--budget-seconds, --parallel, --toy-every and --eval-every must be positive")
    if args.child is None:
        args.out = args.out or (Path(os.environ["OUT"]) if os.environ.get("OUT") else None)
        if args.out is None:
            ap.error("give --out DIR (or set $OUT)")
    return args


def child_main(args) -> int:
    if args.child == "throughput":
        throughput(args.device, args.tiny, args.state, args.stop_at, args.peak_tflops, args.cuda_graph, args.compile)
    else:
        toy_control(args.target, args.seed, args.device, args.state, args.stop_at, args.tiny, args.toy_every)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command (see the module docstring). Exit status 0 when every phase asked for ran (the
    experiments may stop at the budget's end), 1 when one failed."""
    args = parse(argv)
    if args.child:
        return child_main(args)
    t0, wall0 = time.monotonic(), time.time()
    deadline = wall0 + args.budget_seconds
    out = Output(args.out, t0)
    state = args.state
    if args.tiny:  # one thread per process: a small CPU runs several at once
        os.environ["OMP_NUM_THREADS"] = "1"
    code = code_id()
    previous = _read_json(state / "summary.json")
    if previous is not None and (previous.get("code") != code or previous.get("tiny") != args.tiny):
        out.log(f"state {state} was written by other code or settings: starting afresh")
        shutil.rmtree(state, ignore_errors=True)
        previous = None
    state.mkdir(parents=True, exist_ok=True)
    summary = {"command": ["python", "-m", "benchmarks.gpu", *(argv if argv is not None else sys.argv[1:])],
               "code": code, "commit": git_commit(), "tiny": args.tiny, "device": args.device,
               "budget_seconds": args.budget_seconds, "machine": machine(), "phases": {},
               "files": FILES, "calls": (previous or {}).get("calls", 0) + 1}
    done_before = (previous or {}).get("phases", {})

    def save() -> None:
        summary["seconds"] = time.monotonic() - t0
        summary["table"] = table(summary)
        out.write_json("summary.json", summary)
        _write_json(state / "summary.json", summary)

    def phase(name: str, fn) -> dict:
        t = time.monotonic()
        out.log(f"phase {name} (the command ends within {max(0.0, deadline - time.time()):.0f} s)")
        res = fn()
        res["seconds"] = time.monotonic() - t
        summary["phases"][name] = res
        save()
        out.log(f"phase {name}: {res['status']}" + (f": {res.get('headline', '')}" if res.get("headline") else ""))
        return res

    out.log(f"benchmarks.gpu: {summary['machine'].get('gpu') or 'no GPU'}, budget {args.budget_seconds:.0f} s, "
            f"output {args.out}, state {state}" + (" (--tiny)" if args.tiny else ""))
    save()
    status = 0
    if "install" in args.phases:
        res = phase("install", lambda: _headline(install(args.wheels, args.site, out),
                                                 lambda r: ", ".join(r["installed"]) or r.get("note", "")))
        if res["status"] != "done":
            out.log(f"INSTALL FAILED: {res.get('note')}")
            return _finish(summary, save, out, 1)
    if args.device.startswith("cuda") and not summary["machine"].get("gpu"):
        out.log("no GPU found (nvidia-smi): use --tiny, or --device cpu")
        return _finish(summary, save, out, 1)

    def budget_left() -> float:
        return deadline - time.time()

    if "tests" in args.phases:
        before = done_before.get("tests")
        if before and (before["status"] == "done" or (args.keep_going and before["status"] != "skipped")):
            summary["phases"]["tests"] = {**before, "note": "from an earlier call with the same code"}
            out.log(f"phase tests: {before['status']} in an earlier call; not rerun")
        else:
            res = phase("tests", lambda: _headline(
                run_tests(TINY_TESTS if args.tiny else GPU_TESTS, args.device, state, out,
                          timeout=max(20.0, 0.3 * budget_left())),
                lambda r: f"{r['passed']} passed, {r['failed']} failed, {r['errors']} errors on {r['device']}"))
            if res["status"] != "done":
                out.log("GPU TESTS FAILED:" if res["status"] == "failed" else "GPU TESTS TIMED OUT:")
                for f in res["failures"]:
                    out.log(f"  {f}")
                if not args.keep_going:
                    out.log("stopping (rerun with --keep-going to measure anyway; finished phases are kept)")
                    return _finish(summary, save, out, 1)
                status = 1

    if "throughput" in args.phases:
        before = done_before.get("throughput")
        tp_file = state / "throughput.json"
        if before and before["status"] == "done" and tp_file.exists():
            summary["phases"]["throughput"] = {**before, "note": "from an earlier call with the same code"}
            out.write_json("throughput.json", _read_json(tp_file))
            out.log("phase throughput: done in an earlier call; not rerun")
        else:
            def measure() -> dict:
                tp_file.unlink(missing_ok=True)
                cap = min(0.45 * budget_left(), budget_left() - 30) if not args.tiny else 0.6 * budget_left()
                stop_at = time.time() + max(10.0, cap - 15)
                argv_ = [sys.executable, "-m", "benchmarks.gpu", "--child", "throughput", "--device", args.device,
                         "--state", str(state), "--stop-at", str(stop_at), "--peak-tflops", str(args.peak_tflops)]
                argv_ += (["--tiny"] if args.tiny else []) + ([] if args.cuda_graph else ["--no-cuda-graph"])
                argv_ += [] if args.compile else ["--no-compile"]
                child = run_child(Child("throughput", argv_), out, child_env(), timeout=max(20.0, cap))
                tp = _read_json(tp_file) or {}
                if tp:
                    out.write_json("throughput.json", tp)
                st = "done" if tp.get("done") else ("partial" if tp.get("groups") else
                                                    "timed out" if child.stopped else f"failed (exit {child.returncode})")
                return {"status": st, "headline": throughput_headline(tp) if tp else "",
                        "best": best_loop(tp) if tp else None, "bound": tp.get("bound"), "notes": tp.get("notes")}
            res = phase("throughput", measure)
            if res["status"].startswith("failed"):
                status = 1

    if "experiments" in args.phases:
        def experiments() -> dict:
            reserve = 8.0 if args.tiny else max(25.0, 0.05 * args.budget_seconds)
            stop_at = deadline - reserve
            if stop_at - time.time() < (5 if args.tiny else 30):
                return {"status": "skipped", "headline": f"{budget_left():.0f} s left: too little"}
            tasks = experiment_tasks(args, state, args.device, stop_at)
            res = run_experiments(tasks, state, out, stop_at, args.parallel, 5 if args.tiny else 15)
            failed = [k for k, v in res["status"].items() if v.startswith("failed")]
            parts = []
            for k, r in res["toys"].items():
                if r["step"]:
                    parts.append(f"{k}: {r['step'][-1]:,} it, hq {r['hq_share'][-1]:.2f}, {r['modes'][-1]}/{r['of']} modes")
            for k, r in res["mnist"].items():
                q = r["quality"][-1] if r["quality"] else {}
                parts.append(f"{k}: {r['steps']:,} steps" + (f", FD {q['fd']:.1f}" if q else ""))
            return {"status": "failed: " + ", ".join(failed) if failed else "done", "runs": res["status"],
                    "headline": "; ".join(parts)}
        res = phase("experiments", experiments)
        if res["status"].startswith("failed"):
            status = 1
    return _finish(summary, save, out, status)


def _headline(res: dict, fn) -> dict:
    res["headline"] = fn(res)
    return res


def _finish(summary: dict, save, out: Output, status: int) -> int:
    summary["exit_status"] = status
    save()
    for line in summary["table"]:
        print(line, flush=True)
    with open(out.folder / "log.txt", "a") as fh:
        fh.write("\n".join(summary["table"]) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
