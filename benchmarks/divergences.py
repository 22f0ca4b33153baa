"""Speed and memory of the divergences against their peers, in one process.

    python -m benchmarks.divergences [--quick]

1. exact EM, 2-D, n = 2000: ``divergences.wasserstein`` / bare ``ot.emd2`` on
   ``ot.dist(x, y, "euclidean")`` (the overhead of validation, the exact cost matrix, the
   sized pivot limit and the result check; target <= 1.05);
2. exact EM, 1-D, n = 1e6: ``divergences.wasserstein`` / ``scipy.stats.wasserstein_distance``
   (target <= 0.10); where numpy dispatches its sorts to AVX-512, again in a fresh process
   with numpy's AVX-512 targets turned off (see ``avx512_targets``);
3. the same with weights on both sides and n != m (1e6 and 8e5 points; target <= 0.15);
4. unbiased MMD^2, n = 8000, 2-D: ``divergences.mmd2`` / a full-matrix numpy version (the
   three n x n kernel matrices from ``scipy.spatial.distance.cdist``), time (target <= 0.5)
   and peak memory (target <= 0.1), with every thread pool fixed to 1 thread and then to all
   cores (threadpoolctl and ``torch.set_num_threads``): the ratio depends on how the two sides
   use threads, so both are reported.

The first line printed names the CPU, its cores and every thread pool: ratios of sort- and
BLAS-bound code differ between CPU models (see ``avx512_targets`` for one such case).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import ot
import scipy.stats
from scipy.spatial.distance import cdist

import divergences as D

from .common import fixed_threads, interleaved_times, machine_line, peak_memory, row


def naive_mmd2_unbiased(x: np.ndarray, y: np.ndarray, h: float) -> float:
    """The textbook full-matrix U-statistic (the peer)."""
    Kxx = np.exp(-cdist(x, x, "sqeuclidean") / (2 * h * h))
    Kyy = np.exp(-cdist(y, y, "sqeuclidean") / (2 * h * h))
    Kxy = np.exp(-cdist(x, y, "sqeuclidean") / (2 * h * h))
    n, m = len(x), len(y)
    return (
        (Kxx.sum() - np.trace(Kxx)) / (n * (n - 1))
        + (Kyy.sum() - np.trace(Kyy)) / (m * (m - 1))
        - 2 * Kxy.mean()
    )


def bench_em_2d(n: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 0.5
    w = np.full(n, 1 / n)
    ours, bare = D.wasserstein(x, y), ot.emd2(w, w, ot.dist(x, y, metric="euclidean"))
    t = interleaved_times(
        {
            "project": lambda: D.wasserstein(x, y),
            "pot": lambda: ot.emd2(w, w, ot.dist(x, y, metric="euclidean")),
        },
        repeats,
    )
    return {"n": n, "value": ours, "peer_value": float(bare), "seconds": t,
            "ratio": t["project"] / t["pot"]}


def bench_em_1d(n: int, repeats: int) -> dict:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=n), rng.normal(0.1, 1.2, size=n)
    t = interleaved_times(
        {
            "project": lambda: D.wasserstein(x, y),
            "scipy": lambda: scipy.stats.wasserstein_distance(x, y),
        },
        repeats,
    )
    return {"n": n, "value": D.wasserstein(x, y),
            "peer_value": scipy.stats.wasserstein_distance(x, y), "seconds": t,
            "ratio": t["project"] / t["scipy"]}


def bench_em_1d_weighted(n: int, repeats: int) -> dict:
    rng = np.random.default_rng(3)
    m = int(0.8 * n)
    x, y = rng.normal(size=n), rng.normal(0.1, 1.2, size=m)
    a, b = rng.random(n), rng.random(m)
    t = interleaved_times(
        {
            "project": lambda: D.wasserstein(x, y, a, b),
            "scipy": lambda: scipy.stats.wasserstein_distance(x, y, a, b),
        },
        repeats,
    )
    return {"n": n, "m": m, "value": D.wasserstein(x, y, a, b),
            "peer_value": scipy.stats.wasserstein_distance(x, y, a, b), "seconds": t,
            "ratio": t["project"] / t["scipy"]}


def avx512_targets() -> list[str]:
    """numpy's AVX-512 dispatch targets that this CPU has (empty elsewhere).

    ``np.sort`` of 64-bit keys dispatches to x86-simd-sort's AVX-512 kernel. On AMD Zen 4 that
    kernel is slower than the AVX2 one (its masked compress-store to memory is microcoded).
    Measured on an AMD EPYC (Zen 4) with numpy 2.x: one ``np.sort`` of 1e6 float64 took 53 ms by
    default and 9.3 ms with ``NPY_DISABLE_CPU_FEATURES`` naming these targets (numpy reads it
    when it is imported), which took the 1-D ratio from above 0.10 to 0.053. CPUs without
    AVX-512 (AMD EPYC Zen 3: 19 ms per sort) and Intel CPUs, fast with AVX-512, are unaffected.
    """
    try:
        from numpy._core import _multiarray_umath as mu
    except ImportError:  # numpy 1.x
        from numpy.core import _multiarray_umath as mu
    found = mu.__cpu_features__
    return [t for t in mu.__cpu_dispatch__
            if (t == "X86_V4" or t.startswith("AVX512")) and found.get(t, False)]


def bench_em_1d_without_avx512(n: int, repeats: int) -> dict | None:
    """``bench_em_1d`` in a fresh interpreter with numpy's AVX-512 targets disabled."""
    targets = avx512_targets()
    if not targets or os.environ.get("NPY_DISABLE_CPU_FEATURES"):
        return None
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=" ".join(targets))
    out = subprocess.run([sys.executable, "-m", "benchmarks.divergences", "--em-1d-json",
                          str(n), str(repeats)], env=env, check=True, capture_output=True,
                         text=True).stdout
    return {**json.loads(out.splitlines()[-1]), "disabled": env["NPY_DISABLE_CPU_FEATURES"]}


def bench_mmd(n: int, repeats: int, threads: int) -> dict:
    with fixed_threads(threads):
        return {**_bench_mmd(n, repeats), "threads": threads}


def _bench_mmd(n: int, repeats: int) -> dict:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + [0.3, 0.0]
    h = D.median_heuristic(x, y)
    t = interleaved_times(
        {
            "project": lambda: D.mmd2(x, y, bandwidth=h),
            "naive": lambda: naive_mmd2_unbiased(x, y, h),
        },
        repeats,
    )
    mem_ours = peak_memory(lambda: D.mmd2(x, y, bandwidth=h))
    mem_naive = peak_memory(lambda: naive_mmd2_unbiased(x, y, h))
    return {"n": n, "value": D.mmd2(x, y, bandwidth=h), "peer_value": naive_mmd2_unbiased(x, y, h),
            "seconds": t, "ratio": t["project"] / t["naive"],
            "peak_bytes": {"project": mem_ours, "naive": mem_naive},
            "memory_ratio": mem_ours / mem_naive}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--em-1d-json", nargs=2, type=int, metavar=("N", "REPEATS"),
                    help=argparse.SUPPRESS)  # the child of bench_em_1d_without_avx512
    args = ap.parse_args(argv)
    if args.em_1d_json:
        result = bench_em_1d(*args.em_1d_json)
        print(json.dumps(result))
        return {"em_1d": result}
    q = args.quick
    em2 = bench_em_2d(500 if q else 2000, 3 if q else 7)
    em1 = bench_em_1d(10**5 if q else 10**6, 3 if q else 9)
    em1_avx2 = bench_em_1d_without_avx512(em1["n"], 3 if q else 9)
    em1w = bench_em_1d_weighted(em1["n"], 3 if q else 9)
    mms = [bench_mmd(1000 if q else 8000, 2 if q else 3, t) for t in sorted({1, os.cpu_count() or 1})]
    print(machine_line())

    print(f"exact EM, 2-D, n={em2['n']}: W = {em2['value']:.12f} (POT {em2['peer_value']:.12f})")
    print(row("  time project / bare ot.emd2", em2["ratio"], "<= 1.05"))
    print(f"exact EM, 1-D, n={em1['n']}: W = {em1['value']:.12f} (scipy {em1['peer_value']:.12f})")
    print(f"  project {em1['seconds']['project'] * 1e3:.1f} ms, scipy {em1['seconds']['scipy'] * 1e3:.1f} ms")
    print(row("  time project / scipy.stats.wasserstein_distance", em1["ratio"], "<= 0.10"))
    if em1_avx2 is not None:
        print(f"  again with NPY_DISABLE_CPU_FEATURES=\"{em1_avx2['disabled']}\" (numpy's AVX2 sort): "
              f"project {em1_avx2['seconds']['project'] * 1e3:.1f} ms, "
              f"scipy {em1_avx2['seconds']['scipy'] * 1e3:.1f} ms")
        print(row("  time project / scipy, numpy without AVX-512", em1_avx2["ratio"], "<= 0.10"))
    print(f"exact EM, 1-D weighted, n={em1w['n']}, m={em1w['m']}: W = {em1w['value']:.12f} "
          f"(scipy {em1w['peer_value']:.12f})")
    print(f"  project {em1w['seconds']['project'] * 1e3:.1f} ms, scipy {em1w['seconds']['scipy'] * 1e3:.1f} ms")
    print(row("  time project / scipy.stats.wasserstein_distance", em1w["ratio"], "<= 0.15"))
    for mm in mms:
        print(f"unbiased MMD^2, 2-D, n={mm['n']}, {mm['threads']} thread(s) on both sides: "
              f"{mm['value']:.12f} (naive {mm['peer_value']:.12f})")
        print(f"  project {mm['seconds']['project']:.2f} s, naive {mm['seconds']['naive']:.2f} s; "
              f"peak {mm['peak_bytes']['project'] / 2**20:.0f} MiB vs {mm['peak_bytes']['naive'] / 2**20:.0f} MiB")
        print(row("  time project / naive full-matrix numpy", mm["ratio"], "<= 0.5"))
        print(row("  peak memory project / naive full-matrix numpy", mm["memory_ratio"], "<= 0.1"))
    return {"em_2d": em2, "em_1d": em1, "em_1d_without_avx512": em1_avx2, "em_1d_weighted": em1w,
            "mmd": mms}


if __name__ == "__main__":
    main()
