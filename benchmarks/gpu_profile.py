"""The throughput phase of the GPU command (:mod:`benchmarks.gpu`) and its profiling helpers.

:func:`throughput`: WGAN Algorithm 1 generator steps per second, DCGAN 64x64, batch 64, n_critic 5,
of the trainer in fp32 and bf16, of a CUDA graph of its iteration (:class:`GraphedIteration`),
and with ``torch.compile``, each against the reference loop of :mod:`benchmarks.gan_throughput`
in the same process, interleaved; the model FLOPs per step (:func:`count_flops`,
``FlopCounterMode``) against the chip's bf16 peak; what bounds the step (:func:`profile_step`:
the profiler's kernels per step, their time against the wall time, math kernels against the
rest; :func:`bound_text`). Nothing is measured on a CPU and reported as a GPU number: the CUDA
parts say "needs CUDA" there.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from common.files import atomic_write_bytes

#: H200 dense bf16 peak, TFLOP/s (as the issue states it); --peak-tflops changes it
BF16_PEAK_TFLOPS = 790.0


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
    """The throughput phase of the GPU command (run in a child process): see the module docstring.
    ``device_name``: "cuda" or "cpu"; ``tiny``: 16 x 16, batch 8, a few steps; ``peak``: the chip's
    bf16 peak in TFLOP/s; ``graph``, ``compile_``: measure the CUDA graph, ``torch.compile``.
    Each part is written to ``state/throughput.json`` as soon as it is measured; a part that does
    not fit before ``stop_at`` (a ``time.time()``) is skipped and says so, a part that fails says
    what failed in ``notes``."""
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
        atomic_write_bytes(path, json.dumps(res, indent=1, default=str).encode())

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
