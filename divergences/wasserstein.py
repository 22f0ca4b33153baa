r"""Exact Earth-Mover (Wasserstein-1) distances between weighted point sets.

.. math::
    W(P, Q) = \min_{\gamma \in \Pi(a, b)} \sum_{ij} \gamma_{ij} \, \|x_i - y_j\|_2

is solved exactly: by POT's network simplex (``ot.emd2``) in dimension d > 1, and by the
closed form :math:`W = \int |F(t) - G(t)|\,dt` on sorted samples in d = 1 (O(n log n), any
weights). Two traps of the bare solver are closed here:

* ``ot.emd2`` stops after ``numItermax`` pivots (default 1e5, reached from n ~ 4000 points)
  and then returns the cost of a feasible but sub-optimal plan with only a warning. Here
  the limit is sized to the problem and the solver's result code is checked: an
  unconverged value raises :class:`ConvergenceError`; it is never returned.
* The solver needs the dense n x m cost matrix plus about 33 bytes per entry of working
  memory (measured with POT 0.9.7). A problem that would not fit in the available memory
  fails at once with a message giving its size and the approximate alternatives.

Torch tensors are accepted everywhere: the result is then a 0-d tensor whose gradient
reaches the sample positions (POT's torch backend for the simplex, ``torch.sort`` in 1-D).

References
----------
Arjovsky, Chintala, Bottou (2017), *Wasserstein GAN*, eq. (1).
Bonneel, van de Panne, Paris, Heidrich (2011), Displacement interpolation using Lagrangian
mass transport (the network simplex used by POT).
Peyre, Cuturi (2019), *Computational Optimal Transport*, Remark 2.30 (the 1-D formula).
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import ot
from numpy.typing import ArrayLike
from scipy.spatial.distance import cdist

from ._validation import (
    as_histogram,
    as_weights,
    check_positive,
    is_tensor,
    sample_pair,
    to_numpy,
)

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

#: Bytes of memory per cost-matrix entry that an exact solve needs: 8 for the float64 cost
#: matrix and about 33 for the network simplex's arcs (measured with POT 0.9.7, see
#: benchmarks/divergences.py), rounded up.
BYTES_PER_COST_ENTRY = 48

_OPTIMAL = 1


class ConvergenceError(RuntimeError):
    """The network simplex stopped before optimality; its value would be wrong."""


@dataclass(frozen=True)
class TransportResult:
    """The exact optimal transport between two discrete measures.

    Attributes
    ----------
    cost : float
        The optimal cost :math:`\\sum_{ij} \\gamma_{ij} M_{ij}` (W1 for the Euclidean cost).
    plan : ndarray, shape (n, m)
        The optimal coupling :math:`\\gamma` (rows sum to ``a``, columns to ``b``).
    u, v : ndarray, shapes (n,) and (m,)
        Optimal dual potentials: :math:`u_i + v_j \\le M_{ij}` and
        :math:`\\sum_i a_i u_i + \\sum_j b_j v_j` equals ``cost`` (strong duality).
    """

    cost: float
    plan: np.ndarray
    u: np.ndarray
    v: np.ndarray


def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_exact_size(n: int, m: int) -> None:
    """Fail fast when an exact n x m transport problem would not fit in memory.

    Raises
    ------
    ValueError
        With the problem's size, the memory it needs and the approximate alternatives.
    """
    need = BYTES_PER_COST_ENTRY * n * m
    have = _available_memory()
    if have is not None and need > 0.8 * have:
        raise ValueError(
            f"x and y are too large for exact optimal transport: n={n}, m={m} needs an "
            f"{n} x {m} cost matrix, about {need / 1e9:.3g} GB with the network simplex's "
            f"working memory, but only {have / 1e9:.3g} GB are available. Use "
            "divergences.sliced_wasserstein (exact in 1-D, a lower bound of W1 in d > 1), "
            "or subsample, or an entropic approximation (ot.sinkhorn2)."
        )


def _default_max_iter(n: int, m: int) -> int:
    # Random 2-D clouds converge in about 25-50 pivots per point (measured up to n=8000);
    # 1000 per point is a generous cap that costs nothing unless it is reached.
    return max(100_000, 1000 * (n + m))


def _simplex(a, b, M, max_iter: int | None, return_plan: bool = False):
    """Run ``ot.emd2`` with a sized pivot limit and refuse an unconverged answer."""
    n, m = M.shape
    limit = _default_max_iter(n, m) if max_iter is None else check_positive(
        max_iter, "max_iter", integer=True
    )
    with warnings.catch_warnings():
        # POT warns on non-convergence; we check the result code and raise instead.
        warnings.simplefilter("ignore", UserWarning)
        cost, log = ot.emd2(a, b, M, numItermax=limit, log=True, return_matrix=return_plan)
    code = log["result_code"]
    if code != _OPTIMAL:
        if code == 3:
            raise ConvergenceError(
                f"network simplex reached max_iter={limit} pivots before optimality "
                f"(n={n}, m={m}); its cost would overestimate W. Pass a larger max_iter."
            )
        raise ConvergenceError(f"network simplex failed: {log['warning']} (code {code})")
    return cost, log


def euclidean_cost(x, y):
    """Pairwise Euclidean distances, computed from exact differences (no cancellation)."""
    if is_tensor(x):
        return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
    return cdist(x, y)


def emd(p: ArrayLike, q: ArrayLike, cost: ArrayLike, *, max_iter: int | None = None) -> float:
    r"""Exact earth mover's distance between two histograms for a given ground cost.

    .. math:: EMD(p, q) = \min_{\gamma \ge 0,\ \gamma 1 = p,\ \gamma^T 1 = q}
              \langle \gamma, C \rangle

    Parameters
    ----------
    p : array_like, shape (n,)
        Source histogram (counts allowed; normalised).
    q : array_like, shape (m,)
        Target histogram.
    cost : array_like, shape (n, m)
        Ground cost :math:`C_{ij}` (e.g. a metric on a finite space: then EMD is W1).
    max_iter : int, optional
        Network simplex pivot limit; sized to the problem by default.

    Returns
    -------
    float

    Examples
    --------
    >>> emd([1, 0], [0, 1], [[0, 1], [1, 0]])
    1.0
    """
    hp, hq = as_histogram(to_numpy(p), "p"), as_histogram(to_numpy(q), "q")
    C = np.asarray(to_numpy(cost), dtype=np.float64)
    if C.shape != (hp.size, hq.size):
        raise ValueError(f"cost must have shape ({hp.size}, {hq.size}), got {C.shape}")
    if not np.isfinite(C).all():
        raise ValueError("cost contains NaN or inf")
    check_exact_size(hp.size, hq.size)
    value, _ = _simplex(hp, hq, np.ascontiguousarray(C), max_iter)
    return float(value)


def optimal_transport(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None,
    *, max_iter: int | None = None,
) -> TransportResult:
    """Exact optimal transport for the Euclidean cost, with plan and dual potentials.

    Same inputs as :func:`wasserstein`; numpy only. Use it to inspect the coupling or to
    certify optimality (feasible potentials with zero duality gap).

    Returns
    -------
    TransportResult
    """
    x, y = sample_pair(to_numpy(x), to_numpy(y))
    a = as_weights(to_numpy(a), x.shape[0], "a")
    b = as_weights(to_numpy(b), y.shape[0], "b")
    check_exact_size(x.shape[0], y.shape[0])
    M = euclidean_cost(x, y)
    cost, log = _simplex(a, b, M, max_iter, return_plan=True)
    return TransportResult(float(cost), log["G"], log["u"], log["v"])


#: Above this many points per side, the two independent sorts of the 1-D path run on two
#: threads (numpy releases the GIL while sorting), which halves their wall time on 2 cores.
PARALLEL_SORT_MIN = 200_000


@lru_cache(maxsize=1)
def _sort_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="w1-sort")


def _both(fn, x: np.ndarray, y: np.ndarray):
    """``(fn(x), fn(y))``, on two threads when both are large and 2 cores are available."""
    if min(x.size, y.size) >= PARALLEL_SORT_MIN and (os.cpu_count() or 1) > 1:
        fx = _sort_pool().submit(fn, x)
        fy = fn(y)
        return fx.result(), fy
    return fn(x), fn(y)


def wasserstein_1d(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None
):
    r"""Exact W1 between two weighted point sets on the real line, in O(n log n).

    .. math:: W(P, Q) = \int_{\mathbb R} |F_P(t) - F_Q(t)|\, dt

    With uniform weights and n = m this is :math:`\frac1n \sum_i |x_{(i)} - y_{(i)}|` (the
    sorted matching, two sorts). Otherwise both sets are sorted, their two sorted runs are
    merged by a stable sort in linear time, and the integral of |F - G| is summed exactly
    over the merged breakpoints.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, 1)
    y : array_like, shape (m,) or (m, 1)
    a, b : array_like, optional
        Non-negative weights (normalised); uniform when None.

    Returns
    -------
    float, or a 0-d tensor (differentiable) for torch inputs.

    Notes
    -----
    The time is numpy's sort. On AMD Zen 4, numpy's AVX-512 sort is about 5x slower than its
    AVX2 sort; ``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL"``, set before Python starts,
    takes n = 1e6 from 71 ms to 21.5 ms (``python -m benchmarks.divergences``).

    Examples
    --------
    >>> wasserstein_1d([0.0, 1.0], [2.0, 3.0])
    2.0
    """
    x, y = sample_pair(x, y)
    if x.shape[1] != 1:
        raise ValueError(f"x must be 1-D samples, shape (n,) or (n, 1), got d = {x.shape[1]}")
    n, m = x.shape[0], y.shape[0]
    uniform = a is None and b is None
    aw = as_weights(a, n, "a", like=x)
    bw = as_weights(b, m, "b", like=y)
    x, y = x[:, 0], y[:, 0]
    if is_tensor(x):  # same formulas; gradients flow through the sorted values
        if uniform and n == m:
            return (torch.sort(x).values - torch.sort(y).values).abs().mean()
        values = torch.cat([x, y])
        mass = torch.cat([aw, -bw])
        order = torch.argsort(values, stable=True)
        values, cdf_gap = values[order], torch.cumsum(mass[order], 0)
        return (cdf_gap[:-1].abs() * torch.diff(values)).sum()
    if uniform and n == m:
        gap, ys = _both(np.sort, x, y)
        gap -= ys  # in place: the sorted copies are ours
        return float(np.abs(gap, out=gap).mean())
    ox, oy = _both(np.argsort, x, y)
    values = np.concatenate([x[ox], y[oy]])
    mass = np.concatenate([aw[ox], -bw[oy]])
    order = np.argsort(values, kind="stable")  # timsort: merges the two sorted runs
    values, cdf_gap = values[order], np.cumsum(mass[order])
    return float(np.abs(cdf_gap[:-1]) @ np.diff(values))


def wasserstein(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None,
    *, max_iter: int | None = None,
):
    r"""Exact Earth-Mover distance W1 (Euclidean ground metric) between weighted samples.

    .. math::
        W\Big(\sum_i a_i \delta_{x_i}, \sum_j b_j \delta_{y_j}\Big)
        = \min_{\gamma \in \Pi(a, b)} \sum_{ij} \gamma_{ij} \|x_i - y_j\|_2

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Support of the first measure (a 1-D array is n points in d = 1).
    y : array_like, shape (m,) or (m, d)
        Support of the second measure.
    a, b : array_like, optional
        Non-negative weights, normalised like histograms; uniform when None.
    max_iter : int, optional
        Network simplex pivot limit (d > 1); sized to the problem by default. If it is
        reached, :class:`ConvergenceError` is raised rather than a wrong value returned.

    Returns
    -------
    float
        W1, exact to floating-point precision. For torch tensors a 0-d tensor whose
        gradient reaches x and y (and a, b).

    Raises
    ------
    ValueError
        Bad input (names the argument), or an n x m problem too large for memory.
    ConvergenceError
        If the simplex stopped before optimality.

    Notes
    -----
    d = 1 takes the exact O(n log n) path of :func:`wasserstein_1d` for any weights; d > 1
    solves the linear program with POT's network simplex in about O(n^2) memory.

    References
    ----------
    Arjovsky, Chintala, Bottou (2017), *Wasserstein GAN*, eq. (1) and Example 1.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.linspace(0, 1, 5)
    >>> line0 = np.c_[np.zeros(5), z]
    >>> round(wasserstein(line0, line0 + [0.3, 0.0]), 12)   # WGAN Example 1: |theta|
    0.3
    """
    xs, ys = sample_pair(x, y)
    if xs.shape[1] == 1:
        return wasserstein_1d(xs, ys, a, b)
    n, m = xs.shape[0], ys.shape[0]
    aw = as_weights(a, n, "a", like=xs)
    bw = as_weights(b, m, "b", like=ys)
    check_exact_size(n, m)
    cost, _ = _simplex(aw, bw, euclidean_cost(xs, ys), max_iter)
    return cost if is_tensor(xs) else float(cost)


def sliced_wasserstein(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None,
    *, n_projections: int = 256, seed: int | None = 0,
):
    r"""Sliced Wasserstein-1 distance: the mean of exact 1-D W1 over random directions.

    .. math:: SW_1(P, Q) = \mathbb E_{\theta \sim U(S^{d-1})}\,
              W_1(\theta_\# P, \theta_\# Q)

    An approximation, named as such: each projection is 1-Lipschitz, so
    :math:`SW_1 \le W_1`, with equality in d = 1. The Monte Carlo error over directions
    is O(n_projections^{-1/2}); the cost is O(n_projections (n + m) log(n + m)) time and
    O(n_projections (n + m)) memory, so it scales to millions of points where exact OT
    cannot. Computed by POT's ``ot.sliced_wasserstein_distance`` (p = 1).

    Parameters
    ----------
    x, y : array_like, shapes (n, d) and (m, d)
    a, b : array_like, optional
        Weights; uniform when None.
    n_projections : int
        Number of random directions.
    seed : int or None
        Seed of the directions (fixed by default, so results are reproducible).

    Returns
    -------
    float, or a differentiable 0-d tensor for torch inputs.

    References
    ----------
    Bonneel, Rabin, Peyre, Pfister (2015), Sliced and Radon Wasserstein barycenters of
    measures.
    """
    xs, ys = sample_pair(x, y)
    check_positive(n_projections, "n_projections", integer=True)
    aw = as_weights(a, xs.shape[0], "a", like=xs)
    bw = as_weights(b, ys.shape[0], "b", like=ys)
    value = ot.sliced_wasserstein_distance(
        xs, ys, aw, bw, n_projections=n_projections, p=1, seed=seed
    )
    return value if is_tensor(xs) else float(value)
