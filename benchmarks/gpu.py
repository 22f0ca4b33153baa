"""The GPU command: one call that, inside a wall-clock budget on one accelerator, installs what
the image lacks, runs the GPU-relevant tests on CUDA, measures the trainer against the reference
loop, and then runs the experiments a CPU cannot decide (issue 23). It conducts; each phase is
the project's own code:

    bash benchmarks/gpu_wheels.sh                   # once, where PyPI is reachable: wheels in .whl/
    python3 -m benchmarks.gpu                       # on the GPU machine, from the repository root
    python3 -m benchmarks.gpu --tiny --out DIR      # the same path at toy sizes on a CPU (a minute)

Phases, in priority order, under ``--budget-seconds`` (default 420, start to last line):

1. **install** (:func:`benchmarks.gpu_setup.install`): the modules the image lacks from ``.whl/``.
2. **tests** (:func:`benchmarks.gpu_setup.run_tests`): the trainer's GPU tests with
   ``WGAN_TEST_DEVICE=cuda``. A failure stops the command (exit status 1) unless ``--keep-going``.
3. **throughput** (:func:`benchmarks.gpu_profile.throughput`, in a child process): the trainer's
   generator steps per second against the reference loop, FLOPs, what bounds the step.
4. **experiments**, until the budget's end, in child processes on the one GPU, as long-budget
   tasks (:class:`claims.long_budget.Task`: each finished run is a record, skipped by the next
   call): ``gan_toy.py`` on the ring and the grid, WGAN-GP and its WGAN with weight clipping
   (:func:`toys.mode_collapse.run_controls`, kinds ``gan_toy`` and ``gan_toy_clip``, seed by seed,
   each run resumable from its state file); the MNIST runs at the paper's scale
   (:func:`experiments.mnist_runs.paper_scale_tasks`: WGAN with clipping, the DCGAN and the MLP
   generator, and Section 4.2's optimiser comparison, Adam on the critic at every rate beside RMSProp
   at that rate, :data:`experiments.mnist_runs.PAPER_SCALE_ADAM`); and Stacked MNIST at the
   published scale (:func:`experiments.stacked_mnist.paper_scale_tasks`: the WGAN and the GAN
   against critics of 1/4 and 1/2 the generator's size). An MNIST or Stacked MNIST run cut by the
   budget's end starts again on the next call, so ``--mnist-steps`` and ``--stacked-steps`` should
   fit the budget.
5. The output folder (``--out``, else ``$OUT``): the files of :data:`FILES` only (at most 8,
   each under 16 MB, written atomically as results come), and a short table printed last.
   ``toy_control.json`` is ``mode_collapse_controls.json`` of the long budget: committed beside
   ``figures/long/mode_collapse.json``, the toy judges its control on it.

Everything resumable lives in ``--state`` (default ``.gpu-state``, ignored by git): a second call
with the same code skips the finished phases and continues the experiments where the first
stopped. Nothing is ever measured on a CPU and reported as a GPU number: ``--tiny`` results say
``tiny`` and ``cpu`` everywhere. A failure says what failed: the phase, the exit status, the end
of the child's log, the file that could not be read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks.gpu_children import (  # noqa: F401 - FILES and MAX_FILE_BYTES: the command's limits, named here
    FILES, MAX_FILE_BYTES, ROOT, Child, Output, code_id, machine, read_json, run_children,
)
from common.files import atomic_write_bytes
from common.provenance import git_commit

__all__ = ["FILES", "MAX_FILE_BYTES", "Output", "main", "parse"]

#: the MNIST runs' settings at --tiny (the paper-scale tasks' own, made small for a CPU)
TINY_MNIST = {"image_size": 16, "width": 8, "batch_size": 8, "samples": 200, "reference_schedule": False}
#: Stacked MNIST's sizes at --tiny (:data:`experiments.stacked_mnist.PAPER`'s, made small for a CPU)
TINY_STACKED = {"samples": 200, "image_size": 16, "width": 8, "batch": 8}


# ============================================================================ the experiments


def mnist_paper(out: str, device: str, steps: int, seeds: tuple, names: list[str], every: int, tiny: bool) -> None:
    """The MNIST runs at the paper's scale as long-budget tasks into ``out`` (run in a child)."""
    from claims import long_budget

    long_budget.run_tasks(mnist_tasks(device, steps, seeds, names, every, tiny), Path(out), "MNIST, paper scale",
                          workers=1, command=f"benchmarks.gpu: mnist_runs.paper_scale_tasks({device!r}, {steps}, "
                                             f"{tuple(seeds)}, {names}, {every})" + (" at --tiny" if tiny else ""))


def mnist_tasks(device: str, steps: int, seeds: tuple, names: list[str], every: int, tiny: bool) -> list:
    """:func:`experiments.mnist_runs.paper_scale_tasks`; at ``tiny``, with :data:`TINY_MNIST`'s sizes."""
    import dataclasses

    from experiments import mnist_runs

    tasks = mnist_runs.paper_scale_tasks(device, steps, tuple(seeds), names, every)
    if tiny:  # the same tasks and keys, the run's settings made small: (name, seed, steps, kw)
        tasks = [dataclasses.replace(t, args=(t.args[0][:3] + ({**t.args[0][3], **TINY_MNIST},),)) for t in tasks]
    return tasks


def stacked_paper(out: str, device: str, steps: int, seeds: tuple, names: list[str], tiny: bool) -> None:
    """Stacked MNIST at the published scale as long-budget tasks into ``out`` (run in a child)."""
    from claims import long_budget

    long_budget.run_tasks(stacked_tasks(device, steps, seeds, names, tiny), Path(out), "Stacked MNIST, paper scale",
                          workers=1, command=f"benchmarks.gpu: stacked_mnist.paper_scale_tasks({device!r}, {steps}, "
                                             f"{tuple(seeds)}, {tuple(names)})" + (" at --tiny" if tiny else ""))


def stacked_tasks(device: str, steps: int, seeds: tuple, names: list[str], tiny: bool) -> list:
    """:func:`experiments.stacked_mnist.paper_scale_tasks`; at ``tiny``, with :data:`TINY_STACKED`'s sizes."""
    from experiments import stacked_mnist

    return stacked_mnist.paper_scale_tasks(device, steps, tuple(seeds), tuple(names), **(TINY_STACKED if tiny else {}))


def collect(args, long: Path, out: Output, children: list[Child], stop_at: float, final: bool = False) -> dict:
    """Write toy_control.json, mnist.json, stacked_mnist.json and samples.png from the runs' records
    (the sample sheets and curves of the first seed only: the output's files stay small); log a line."""
    from experiments.mnist_runs import compact
    from claims import long_budget

    status = {c.name: c.status() for c in children}
    problems = []
    try:
        toys = read_json(long / "mode_collapse_controls.json") or {"runs": {}}
    except ValueError as err:  # said in the log and the phase's status, not dropped
        toys = {"runs": {}}
        problems.append(str(err))
    out.write_json("toy_control.json", {**toys, "status": status.get("toys")})
    keys = [t.key for t in mnist_tasks(args.device, args.mnist_steps, args.mnist_seeds, args.mnist_runs,
                                       args.eval_every, args.tiny)]
    first = min(args.mnist_seeds)
    mnist = {k: compact(r, r.get("seed") == first) for k in keys if (r := long_budget.load_record(long, k)) is not None}
    out.write_json("mnist.json", {"status": status.get("mnist"), "runs": mnist})
    keys = [t.key for t in stacked_tasks(args.device, args.stacked_steps, args.stacked_seeds, args.stacked_runs,
                                         args.tiny)]
    stacked = {k: {f: v for f, v in r.items() if f != "samples" or r.get("seed") == min(args.stacked_seeds)}
               for k in keys if (r := long_budget.load_record(long, k)) is not None}
    out.write_json("stacked_mnist.json", {"status": status.get("stacked"), "runs": stacked})
    _sheets([r["samples"] for r in mnist.values() if r.get("samples")], out)
    parts = [f"{k} {r['step'][-1]:,} it (hq {r['hq_share'][-1]:.2f}, {r['modes'][-1]}/{len(r['counts'][-1])} modes)"
             for k, r in toys["runs"].items() if r.get("step")]
    parts += [f"{k}: FD {r['fd'][-1]:.1f} at {r['steps'][-1]:,}" for k, r in mnist.items() if r.get("fd")]
    parts += [f"{k}: {r['confident_modes']} confident modes" for k, r in stacked.items()]
    out.log(("experiments, final: " if final else f"experiments, {max(0.0, stop_at - time.time()):.0f} s left: ")
            + ("; ".join(parts) or "no run finished yet") + "".join(f"; {p}" for p in problems))
    return {"status": status, "toys": toys["runs"], "mnist": mnist, "stacked": stacked, "problems": problems}


def _sheets(sheets: list[dict], out: Output) -> None:
    """The last sample sheet of each run (uint8 images), side by side, as samples.png."""
    if not sheets:
        return
    import base64
    import io

    import numpy as np
    from PIL import Image

    tiles = []
    for s in sheets:  # {step: images}, as claims.output.jsonable writes uint8 arrays: base64 and shape
        last = s[max(s, key=int)]
        imgs = np.frombuffer(base64.b64decode(last["uint8_base64"]), np.uint8).reshape(last["shape"])
        side = int(np.ceil(np.sqrt(len(imgs))))
        grid = np.zeros((side * imgs.shape[1], side * imgs.shape[2]), np.uint8)
        for i, im in enumerate(imgs):
            grid[(i // side) * im.shape[0]:(i // side + 1) * im.shape[0], (i % side) * im.shape[1]:(i % side + 1) * im.shape[1]] = im
        tiles.append(np.pad(grid, ((0, 0), (0, 4)), constant_values=255))
    h = max(t.shape[0] for t in tiles)
    sheet = np.hstack([np.pad(t, ((0, h - t.shape[0]), (0, 0)), constant_values=255) for t in tiles])
    buf = io.BytesIO()
    Image.fromarray(sheet).resize((sheet.shape[1] * 4, sheet.shape[0] * 4), Image.NEAREST).save(buf, format="PNG")
    out.write("samples.png", buf.getvalue())


def experiments(args, state: Path, out: Output, stop_at: float) -> dict:
    """Phase 4: the toys' published-scale runs, the MNIST runs and Stacked MNIST, each in a child,
    until they end or ``stop_at``."""
    long = state / "long"
    jobs = [("toys", "toys.mode_collapse", "run_controls",
             {"out": long, "device": args.device, "kinds": tuple(args.toy_kinds), "targets": tuple(args.toy_targets),
              "seeds": {"gan_toy": tuple(args.toy_seeds), "pacgan": tuple(args.toy_seeds),
                        "gan_toy_clip": tuple(args.clip_seeds)},
              "iterations": {k: args.toy_iterations for k in args.toy_kinds}}),
            ("mnist", "benchmarks.gpu", "mnist_paper",
             {"out": str(long), "device": args.device, "steps": args.mnist_steps, "seeds": tuple(args.mnist_seeds),
              "names": args.mnist_runs, "every": args.eval_every, "tiny": args.tiny}),
            ("stacked", "benchmarks.gpu", "stacked_paper",
             {"out": str(long), "device": args.device, "steps": args.stacked_steps,
              "seeds": tuple(args.stacked_seeds), "names": list(args.stacked_runs), "tiny": args.tiny})]
    children = []
    try:
        for name, module, function, kwargs in jobs:
            out.log(f"experiments: started {name} ({module}.{function})")
            children.append(Child(name, module, function, kwargs, state / "logs" / f"{name}.log"))
        run_children(children, stop_at, lambda: collect(args, long, out, children, stop_at), 5 if args.tiny else 15)
    finally:  # an error here stops the runs (each keeps its state for the next call) instead of waiting on them
        for c in children:
            c.stop()
    res = collect(args, long, out, children, stop_at, final=True)
    for c in children:
        if c.exitcode not in (0, None) and not c.stopped:
            out.log(f"{c.name} failed (exit status {c.exitcode}); the end of its log {c.log_file}:")
            for line in c.tail():
                out.log(f"  {c.name}: {line}")
    failed = [f"{k}: {v}" for k, v in res["status"].items() if v.startswith("failed")] + res["problems"]
    parts = [f"{k}: {r['step'][-1]:,} it, hq {r['hq_share'][-1]:.2f}" for k, r in res["toys"].items() if r.get("step")]
    parts += [f"{k}: FD {r['fd'][-1]:.1f}" for k, r in res["mnist"].items() if r.get("fd")]
    parts += [f"{k}: {r['confident_modes']} confident modes" for k, r in res["stacked"].items()]
    return {"status": "failed: " + "; ".join(failed) if failed else "done", "runs": res["status"],
            "headline": "; ".join(parts)}


# ============================================================================ the command


def throughput(args, state: Path, out: Output, budget_left) -> dict:
    """Phase 3: :func:`benchmarks.gpu_profile.throughput` in a child, within its share of the budget."""
    from benchmarks.gpu_profile import best_loop, throughput_headline

    tp_file = state / "throughput.json"
    tp_file.unlink(missing_ok=True)
    cap = 0.6 * budget_left() if args.tiny else min(0.45 * budget_left(), budget_left() - 30)
    stop_at = time.time() + max(10.0, cap - 15)
    child = Child("throughput", "benchmarks.gpu_profile", "throughput",
                  {"device_name": args.device, "tiny": args.tiny, "state": state, "stop_at": stop_at,
                   "peak": args.peak_tflops, "graph": args.cuda_graph, "compile_": args.compile},
                  state / "logs" / "throughput.log")
    run_children([child], time.time() + max(20.0, cap), lambda: None, 60)
    try:
        tp = read_json(tp_file) or {}
        problem = "" if tp else f"it wrote no {tp_file.name}"
    except ValueError as err:
        tp, problem = {}, str(err)
    if tp:
        out.write_json("throughput.json", tp)
    st = ("done" if tp.get("done") else "partial" if tp.get("groups") else
          f"failed: {child.status()}" + (f"; {problem}" if problem else ""))
    return {"status": st, "headline": throughput_headline(tp) if tp else "", "best": best_loop(tp) if tp else None,
            "bound": tp.get("bound"), "notes": tp.get("notes")}


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


def parse(argv: list[str] | None) -> argparse.Namespace:
    from benchmarks.gpu_profile import BF16_PEAK_TFLOPS

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
    ap.add_argument("--toy-targets", nargs="+", choices=("ring", "grid"), default=None,
                    help="targets of the toy control (default ring grid; ring at --tiny)")
    ap.add_argument("--toy-kinds", nargs="+", choices=("gan_toy", "gan_toy_clip", "pacgan"), default=None,
                    help="the toys' published-scale runs (default gan_toy gan_toy_clip: gan_toy.py's WGAN-GP and its "
                         "WGAN with weight clipping)")
    ap.add_argument("--toy-seeds", type=int, nargs="+", default=None,
                    help="seeds of the toys' WGAN-GP control, and of pacgan (default 0 1)")
    ap.add_argument("--clip-seeds", type=int, nargs="+", default=None,
                    help="seeds of gan_toy.py's WGAN with clipping (default 0 1 2 3 4: the clipped toy's coverage "
                         "finding needs 5 learned seeds per target)")
    ap.add_argument("--toy-iterations", type=int, default=None, help="the toys' iterations (default 100,000)")
    ap.add_argument("--mnist-runs", nargs="+", default=None, metavar="NAME",
                    help="experiments.mnist_runs.PAPER_SCALE names (default: the optimiser comparison "
                         "experiments.mnist_runs.PAPER_SCALE_ADAM, wgan_dcgan first, then wgan_mlp)")
    ap.add_argument("--mnist-steps", type=int, default=None, help="generator steps of each MNIST run (default 5,000)")
    ap.add_argument("--mnist-seeds", type=int, nargs="+", default=None,
                    help="seeds of the MNIST runs (default 0 1 2: a verdict needs three)")
    ap.add_argument("--stacked-runs", nargs="+", default=None, metavar="NAME",
                    help="experiments.stacked_mnist.SETTINGS names (default wgan_d4 gan_d4 gan_d2)")
    ap.add_argument("--stacked-steps", type=int, default=None,
                    help="generator steps of each Stacked MNIST run (default 5,000; paper_scale_tasks' own default "
                         "50,000 needs a budget that fits one run)")
    ap.add_argument("--stacked-seeds", type=int, nargs="+", default=None,
                    help="seeds of the Stacked MNIST runs (default 0 1 2)")
    ap.add_argument("--eval-every", type=int, default=None, help="MNIST generator steps between FD/KID (default 500)")
    args = ap.parse_args(argv)
    from experiments.mnist_runs import PAPER_SCALE, PAPER_SCALE_ADAM
    from experiments.stacked_mnist import PAPER_NAMES, SETTINGS
    from toys.mode_collapse_runs import GANTOY_CLIP

    for name, full, small in (("budget_seconds", 420.0, 120.0), ("device", "cuda", "cpu"), ("toy_seeds", [0, 1], [0]),
                              ("toy_kinds", ["gan_toy", "gan_toy_clip"], ["gan_toy", "gan_toy_clip"]),
                              ("clip_seeds", list(range(GANTOY_CLIP["seeds"])), [0]),
                              ("toy_targets", ["ring", "grid"], ["ring"]), ("toy_iterations", 100_000, 20),
                              ("mnist_steps", 5000, 8), ("mnist_seeds", [0, 1, 2], [0]),
                              ("mnist_runs", PAPER_SCALE_ADAM + ["wgan_mlp"], ["wgan_dcgan", "wgan_adam_0.0002_0.5"]),
                              ("eval_every", 500, 4), ("stacked_runs", list(PAPER_NAMES), ["wgan_d4"]),
                              ("stacked_steps", 5000, 4), ("stacked_seeds", [0, 1, 2], [0])):
        if getattr(args, name) is None:
            setattr(args, name, small if args.tiny else full)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    bad = set(args.phases) - {"install", "tests", "throughput", "experiments"}
    if bad:
        ap.error(f"--phases: unknown {sorted(bad)}")
    if min(args.budget_seconds, args.toy_iterations, args.mnist_steps, args.eval_every, args.stacked_steps) <= 0:
        ap.error("--budget-seconds, --toy-iterations, --mnist-steps, --stacked-steps and --eval-every must be positive")
    bad = [n for n in args.stacked_runs if n not in SETTINGS]
    if bad:
        ap.error(f"--stacked-runs: {bad} are not among experiments.stacked_mnist.SETTINGS {sorted(SETTINGS)}")
    unknown = [n for n in args.mnist_runs if n not in PAPER_SCALE]
    if unknown:
        ap.error(f"--mnist-runs: {unknown} are not among experiments.mnist_runs.PAPER_SCALE {sorted(PAPER_SCALE)}")
    args.out = args.out or (Path(os.environ["OUT"]) if os.environ.get("OUT") else None)
    if args.out is None:
        ap.error("give --out DIR (or set $OUT)")
    return args


def main(argv: list[str] | None = None) -> int:
    """The command (see the module docstring). Exit status 0 when every phase asked for ran (the
    experiments may stop at the budget's end), 1 when one failed."""
    from benchmarks import gpu_setup

    args = parse(argv)
    t0 = time.monotonic()
    deadline = time.time() + args.budget_seconds
    out, state = Output(args.out, t0), args.state
    if args.tiny:  # one thread per process: a small CPU runs several at once
        os.environ["OMP_NUM_THREADS"] = "1"
    code = code_id()
    try:
        previous = read_json(state / "summary.json")
    except ValueError as err:
        out.log(f"{err}: starting afresh")
        previous = None
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

    def budget_left() -> float:
        return deadline - time.time()

    def save() -> None:
        summary["seconds"] = time.monotonic() - t0
        summary["table"] = table(summary)
        out.write_json("summary.json", summary)
        atomic_write_bytes(state / "summary.json", json.dumps(summary, default=str).encode())

    def phase(name: str, fn) -> dict:
        before = done_before.get(name)
        if before and (before["status"] == "done" or (name == "tests" and args.keep_going)) and name != "experiments":
            summary["phases"][name] = {**before, "note": "from an earlier call with the same code"}
            out.log(f"phase {name}: {before['status']} in an earlier call; not rerun")
            if name == "throughput" and (state / "throughput.json").exists():
                out.write_json("throughput.json", read_json(state / "throughput.json"))
            return summary["phases"][name]
        t = time.monotonic()
        out.log(f"phase {name} (the command ends within {max(0.0, budget_left()):.0f} s)")
        res = fn()
        res["seconds"] = time.monotonic() - t
        summary["phases"][name] = res
        save()
        out.log(f"phase {name}: {res['status']}" + (f": {res['headline']}" if res.get("headline") else ""))
        return res

    out.log(f"benchmarks.gpu: {summary['machine'].get('gpu') or 'no GPU'}, budget {args.budget_seconds:.0f} s, "
            f"output {args.out}, state {state}" + (" (--tiny)" if args.tiny else ""))
    save()
    status = 0
    if "install" in args.phases:
        res = phase("install", lambda: gpu_setup.install(args.wheels, args.site, out.log))
        res["headline"] = ", ".join(res.get("installed", [])) or res.get("note", "")
        if res["status"] != "done":
            out.log(f"INSTALL FAILED: {res.get('note')}")
            return _finish(summary, save, out, 1)
    if args.device.startswith("cuda") and not summary["machine"].get("gpu"):
        out.log("no GPU found (nvidia-smi): use --tiny, or --device cpu")
        return _finish(summary, save, out, 1)
    if "tests" in args.phases:
        res = phase("tests", lambda: gpu_setup.run_tests(
            gpu_setup.TINY_TESTS if args.tiny else gpu_setup.GPU_TESTS, args.device, state / "logs" / "tests.log",
            timeout=max(20.0, 0.3 * budget_left()), log=out.log))
        res["headline"] = f"{res['passed']} passed, {res['failed']} failed, {res['errors']} errors on {res['device']}"
        if res["status"] != "done":
            out.log(f"GPU TESTS {res['status'].upper()}:")
            for f in res["failures"]:
                out.log(f"  {f}")
            if not args.keep_going:
                out.log("stopping (rerun with --keep-going to measure anyway; finished phases are kept)")
                return _finish(summary, save, out, 1)
            status = 1
    if "throughput" in args.phases:
        if phase("throughput", lambda: throughput(args, state, out, budget_left))["status"].startswith("failed"):
            status = 1
    if "experiments" in args.phases:
        def run() -> dict:
            stop_at = deadline - (8.0 if args.tiny else max(25.0, 0.05 * args.budget_seconds))
            if stop_at - time.time() < (5 if args.tiny else 30):
                return {"status": "skipped", "headline": f"{budget_left():.0f} s left: too little"}
            return experiments(args, state, out, stop_at)
        if phase("experiments", run)["status"].startswith("failed"):
            status = 1
    return _finish(summary, save, out, status)


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
