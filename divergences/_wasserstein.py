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

``order`` p >= 1 gives W_p (cost :math:`\|x - y\|^p`, result :math:`(\min \sum \gamma c)^{1/p}`,
W_p itself, not POT's W_p^p), by the same simplex, and in 1-D by the quantile formula
:math:`W_p^p = \int_0^1 |F^{-1} - G^{-1}|^p`.
Coordinates of any magnitude work: W_p is positively homogeneous, so points beyond 1e100 (or
below 1e-100) are rescaled before solving, and the result scaled back (at 1e200 the squared
distances would overflow). Beyond exact OT, :func:`sinkhorn_divergence` is the debiased
entropic approximation, through POT.

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
from numpy.typing import ArrayLike

from ._validation import (
    as_histogram,
    as_result,
    as_weights,
    check_positive,
    check_seed,
    detached,
    is_tensor,
    numpy_only,
    peer_names,
    real_array,
    sample_pair,
)

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
            "divergences.sinkhorn_divergence (the debiased entropic approximation: 5/6 of this "
            "memory, fast on a GPU), "
            "divergences.sliced_wasserstein (exact in 1-D, a lower bound of W1 in d > 1), or subsample."
        )


def _default_max_iter(n: int, m: int) -> int:
    # Random 2-D clouds converge in about 25-50 pivots per point (measured up to n=8000);
    # 1000 per point is a generous cap that costs nothing unless it is reached.
    return max(100_000, 1000 * (n + m))


#: POT's network simplex counts pivots in a C int
MAX_ITER_LIMIT = 2**31 - 1


def _simplex(a, b, M, max_iter: int | None, return_plan: bool = False):
    """Run ``ot.emd2`` with a sized pivot limit and refuse an unconverged answer."""
    n, m = M.shape
    limit = _default_max_iter(n, m) if max_iter is None else check_positive(
        max_iter, "max_iter", integer=True
    )
    if limit > MAX_ITER_LIMIT:
        raise ValueError(f"max_iter must be at most {MAX_ITER_LIMIT} (POT counts pivots in a C int), got {limit}")
    import ot  # here, not at import: POT loads every array library it finds (torch among them)

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


def euclidean_cost(x, y, p: float = 1.0):
    """Pairwise Euclidean distances to the power p, from exact differences (no cancellation).

    Two libraries' own routines, by hand: no array-API function computes pairwise distances, and
    building the (n, m, d) differences in the namespace would take d times the memory of scipy's
    ``cdist`` and torch's ``cdist``."""
    if is_tensor(x):
        import torch

        d = torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
    else:
        from scipy.spatial.distance import cdist

        d = cdist(x, y)
    return d if p == 1 else d**p


def _check_order(order) -> float:
    v = check_positive(order, "order")
    if v < 1:
        raise ValueError(f"order must be >= 1 (W_p is a metric for p >= 1), got {order!r}")
    return v


def _scale(x, y):
    """A scale to divide coordinates by when they are beyond 1e100 or below 1e-100 (else 1)."""
    x, y = detached(x), detached(y)
    top = max(float(abs(x).max()), float(abs(y).max()))
    return top if top > 1e100 or 0 < top < 1e-100 else 1.0


def transport_cost(p: ArrayLike, q: ArrayLike, cost: ArrayLike, *, max_iter: int | None = None) -> float:
    r"""Exact optimal transport cost between two histograms for any ground cost.

    POT's ``ot.emd2(a, b, M)`` (the same value, by the same network simplex, with the pivot limit
    sized and the result checked). With a metric as the cost it is W1 on that finite space (the
    earth mover's distance); with :math:`d^p` it is :math:`W_p^p`. For the plan and the dual
    potentials of points in R^d see :func:`optimal_transport`.

    .. math:: \min_{\gamma \ge 0,\ \gamma 1 = p,\ \gamma^T 1 = q}
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
    >>> transport_cost([1, 0], [0, 1], [[0, 1], [1, 0]])
    1.0
    """
    f = "transport_cost"
    hp = as_histogram(numpy_only(p, "p", f), "p")
    hq = as_histogram(numpy_only(q, "q", f), "q")
    C = real_array(numpy_only(cost, "cost", f), "cost")
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
    f = "optimal_transport"
    x, y = sample_pair(numpy_only(x, "x", f), numpy_only(y, "y", f))
    a = as_weights(numpy_only(a, "a", f), x.shape[0], "a")
    b = as_weights(numpy_only(b, "b", f), y.shape[0], "b")
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


if hasattr(os, "register_at_fork"):  # a forked child gets the parent's pool without its threads
    os.register_at_fork(after_in_child=_sort_pool.cache_clear)


def _both(fn, x, y, size: int | None = None):
    """``(fn(x), fn(y))``, on two threads when both are large (``size``, by default their sizes)
    and 2 cores are available."""
    if (min(x.size, y.size) if size is None else size) >= PARALLEL_SORT_MIN and (os.cpu_count() or 1) > 1:
        fx = _sort_pool().submit(fn, x)
        fy = fn(y)
        return fx.result(), fy
    return fn(x), fn(y)


#: in-group sorts :func:`_sorted_with_weights` fixes one by one before it falls back to timsort
_MAX_FIXES = 10_000


def _sorted_with_weights(v: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``v`` sorted and ``w`` in the same order (float64), about 1.6x faster than an argsort and
    two gathers at 1e6 points.

    numpy's value sort is vectorised (x86-simd-sort), its argsort much less so. The values are
    mapped to order-preserving integer keys whose low bits are replaced by the index; one value
    sort of those keys orders the points up to their last mantissa bits, and one gather of each
    array (``np.take``, faster than fancy indexing) brings values and weights along. Only points
    whose keys agree but for those bits (values within a relative 2^-(52 - bits) of each other: a
    few dozen at 1e6 normal samples) can be out of order; each such group is sorted on its own
    (a stable sort of all the values when there are more than ``_MAX_FIXES``). Equal values may
    come in any order, which no quantity here can see.
    """
    n = v.size
    bits = max(1, int(n - 1).bit_length())
    if n < PARALLEL_SORT_MIN or bits > 40 or v.dtype != np.float64:
        order = np.argsort(v, kind="stable")
        return np.take(v, order), np.take(w, order)
    key = (v + 0.0).view(np.int64)  # a copy; -0.0 + 0.0 is +0.0: equal values get equal keys
    flip = key >> 63  # -1 for negative values (no NaN here), else 0
    flip &= np.int64(0x7FFFFFFFFFFFFFFF)
    key ^= flip  # order-preserving signed keys
    low = np.int64((1 << bits) - 1)
    key &= ~low
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    idx = key & low
    vs, ws = np.take(v, idx), np.take(w, idx)
    bad = np.flatnonzero(vs[1:] < vs[:-1])
    if bad.size > _MAX_FIXES:
        order = np.argsort(vs, kind="stable")
        return np.take(vs, order), np.take(ws, order)
    end = -1
    for k in bad.tolist():  # k and k + 1 are out of order: sort their group of equal high bits
        if k < end:
            continue
        top = key[k] & ~low
        lo, end = k, k + 2
        while lo > 0 and key[lo - 1] & ~low == top:
            lo -= 1
        while end < n and key[end] & ~low == top:
            end += 1
        order = np.argsort(vs[lo:end], kind="stable")
        vs[lo:end], ws[lo:end] = vs[lo:end][order], ws[lo:end][order]
    return vs, ws


def _sorted_with_levels(vw):
    """Sort the values ``v`` of ``vw = (v, w)``; return them with the cumulative weights, ending at 1."""
    vs, ws = _sorted_with_weights(*vw)
    levels = np.cumsum(ws, out=ws)
    levels /= levels[-1]
    return vs, levels


def _one_side(xs, ca, ys, cb, before, p: float) -> float:
    """The part of W_p^p on the quantile intervals that end at x's levels: interval i runs from
    the previous merged level, max(ca[i - 1], cb[before_i - 1]), to ca[i], where x's quantile is
    xs[i] and y's is ys[before_i] (``before``: y's levels before each of x's in the merge)."""
    prev = np.empty_like(ca)
    prev[0] = 0.0
    prev[1:] = ca[:-1]
    np.maximum(prev, np.take(np.r_[0.0, cb], before), out=prev)
    du = ca - prev
    gap = np.take(ys, before, mode="clip")  # before = m on the last intervals: y's last quantile
    gap -= xs
    np.abs(gap, out=gap)
    if p != 1:
        gap **= p
    return float(du @ gap)


def _weighted_wp(xs, ca, ys, cb, p: float) -> float:
    """W_p^p of two sorted weighted samples from their cumulative weights ca, cb (ending at 1).

    The merged levels are never built: a stable argsort of the two runs (timsort's linear merge;
    x's level goes first at a tie) gives, for each level of one sample, how many of the other's
    come before it, and each sample's intervals are summed apart (on two threads when large).
    """
    n, m = ca.size, cb.size
    order = np.argsort(np.concatenate([ca, cb]), kind="stable")
    is_x = order < n
    y_before_x = np.flatnonzero(is_x) - np.arange(n)
    x_before_y = np.flatnonzero(~is_x) - np.arange(m)
    sx, sy = _both(lambda args: _one_side(*args, p), (xs, ca, ys, cb, y_before_x), (ys, cb, xs, ca, x_before_y),
                   size=min(n, m))
    return sx + sy


def _merged_quantiles(n: int, m: int, ca=None, cb=None):
    """The quantile intervals of two sorted samples: interval lengths du and the indices ia, ib
    of x's and y's quantile on each (W_p^p = sum du |x[ia] - y[ib]|^p).

    ``ca``, ``cb``: the cumulative weights of the sorted samples, ending at 1; None for uniform
    weights, whose levels i/n and j/m are merged by arithmetic (exact, in integers n m). A level
    of x goes before an equal level of y. Linear time after the sorts.
    """
    if ca is None:
        i, j = np.arange(1, n + 1, dtype=np.int64), np.arange(1, m + 1, dtype=np.int64)
        pa = i - 1 + (i * m - 1) // n  # y's levels strictly below i/n come first
        pb = j - 1 + (j * n) // m  # x's levels up to j/m come first
        levels = np.empty(n + m, np.int64)
        levels[pa], levels[pb] = i * m, j * n
        du = np.diff(levels, prepend=0) / (n * m)
        is_a = np.zeros(n + m, bool)
        is_a[pa] = True
    else:
        # A stable sort of two sorted runs is timsort's linear merge; x's runs come first, so a
        # level of x goes before an equal level of y.
        levels = np.concatenate([ca, cb])
        order = np.argsort(levels, kind="stable")
        du = np.diff(levels[order], prepend=0.0)
        is_a = order < n
    ia = np.cumsum(is_a) - is_a  # x's levels before each one
    ib = np.arange(n + m) - ia  # y's levels before it
    return du, np.minimum(ia, n - 1), np.minimum(ib, m - 1)


def _wasserstein_1d(x, y, a, b, p: float):
    r"""Exact W_p between two weighted point sets on the real line, in O(n log n) (the 1-D path
    of :func:`wasserstein`; ``x``, ``y`` validated samples of shape (n, 1), ``p`` the order)."""
    n, m = x.shape[0], y.shape[0]
    uniform = a is None and b is None
    aw = as_weights(a, n, "a", like=x)
    bw = as_weights(b, m, "b", like=y)
    x, y = x[:, 0], y[:, 0]
    scale = _scale(x, y)
    if scale != 1.0:
        x, y = x / scale, y / scale
    power = (lambda d: d) if p == 1 else (lambda d: d**p)
    root = (lambda v: v) if p == 1 else (lambda v: v ** (1.0 / p))
    # Two paths, by hand: the numpy one is tuned for time (value sorts on two threads, in-place
    # gaps, an O(n) merge of the levels; python -m benchmarks.divergences measures it at 0.03-0.1
    # of scipy's time), which torch's sort and autograd cannot share; the torch one is the same
    # formulas, with gradients through the sorted values.
    if is_tensor(x):
        import torch

        if uniform and n == m:
            return scale * root(power((torch.sort(x).values - torch.sort(y).values).abs()).mean())
        ox, oy = torch.argsort(x), torch.argsort(y)
        ca, cb = torch.cumsum(aw[ox], 0), torch.cumsum(bw[oy], 0)
        ca, cb = ca / ca[-1], cb / cb[-1]
        du, ia, ib = _merged_quantiles(n, m, ca.detach().cpu().numpy(), cb.detach().cpu().numpy())
        levels = torch.sort(torch.cat([ca, cb])).values  # differentiable in the weights
        du = torch.diff(levels, prepend=levels.new_zeros(1))
        ia, ib = torch.as_tensor(ia, device=x.device), torch.as_tensor(ib, device=x.device)
        return scale * root((du * power((x[ox][ia] - y[oy][ib]).abs())).sum())
    if uniform and n == m:
        gap, ys = _both(np.sort, x, y)
        gap -= ys  # in place: the sorted copies are ours
        np.abs(gap, out=gap)
        return float(scale * root(power(gap).mean()))
    if uniform:
        xs, ys = _both(np.sort, x, y)
        du, ia, ib = _merged_quantiles(n, m)
    else:
        (xs, ca), (ys, cb) = _both(_sorted_with_levels, (x, aw), (y, bw), size=min(n, m))
        return float(scale * root(_weighted_wp(xs, ca, ys, cb, p)))
    return float(scale * root(du @ power(np.abs(np.take(xs, ia) - np.take(ys, ib)))))


@peer_names(p="order")
def wasserstein(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None,
    *, order: float = 1.0, max_iter: int | None = None,
):
    r"""Exact Earth-Mover distance W1 (Euclidean ground metric) between weighted samples; W_p with ``order``.

    .. math::
        W_p\Big(\sum_i a_i \delta_{x_i}, \sum_j b_j \delta_{y_j}\Big)
        = \Big(\min_{\gamma \in \Pi(a, b)} \sum_{ij} \gamma_{ij} \, \|x_i - y_j\|_2^p\Big)^{1/p}

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Support of the first measure (a 1-D array is n points in d = 1).
    y : array_like, shape (m,) or (m, d)
        Support of the second measure.
    a, b : array_like, optional
        Non-negative weights, normalised like histograms; uniform when None.
    order : float
        The order p >= 1 (1: the Earth-Mover distance of the WGAN paper). POT and scipy call it
        ``p``; here ``p`` and ``q`` always name distributions.
    max_iter : int, optional
        Network simplex pivot limit (d > 1); sized to the problem by default. If it is
        reached, :class:`ConvergenceError` is raised rather than a wrong value returned.

    Returns
    -------
    float
        W_p (not W_p^p, which POT's ``ot.wasserstein_1d`` and ``ot.emd2`` return), exact to
        floating-point precision. For torch tensors a 0-d tensor whose gradient reaches x and y
        (and a, b).

    Raises
    ------
    ValueError
        Bad input (names the argument), or an n x m problem too large for memory.
    ConvergenceError
        If the simplex stopped before optimality.

    Notes
    -----
    d = 1 takes an exact O(n log n) path for any weights:
    :math:`W_p^p = \int_0^1 |F_P^{-1}(u) - F_Q^{-1}(u)|^p\, du` (:math:`= \int |F_P - F_Q|` for
    p = 1). With uniform weights and n = m it is :math:`\frac1n \sum_i |x_{(i)} - y_{(i)}|^p`
    (two sorts); otherwise both sets are sorted with their weights and the two runs of quantile
    levels merged in linear time. Its time is numpy's sort (the two sorts run on two threads
    from 2e5 points); ``python -m benchmarks.divergences`` reports it against scipy. d > 1
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
    >>> wasserstein([0.0, 1.0], [2.0, 3.0])
    2.0
    >>> round(wasserstein([0.0, 1.0], [2.0, 3.0, 4.0], order=2), 10)
    2.5495097568
    """
    xs, ys = sample_pair(x, y)
    p = _check_order(order)
    if max_iter is not None:  # checked here too: the 1-D path has no pivots, but a bad value is a mistake
        max_iter = check_positive(max_iter, "max_iter", integer=True)
    if xs.shape[1] == 1:
        return _wasserstein_1d(xs, ys, a, b, p)
    n, m = xs.shape[0], ys.shape[0]
    aw = as_weights(a, n, "a", like=xs)
    bw = as_weights(b, m, "b", like=ys)
    check_exact_size(n, m)
    scale = _scale(xs, ys)
    if scale != 1.0:
        xs, ys = xs / scale, ys / scale
    cost, _ = _simplex(aw, bw, euclidean_cost(xs, ys, p), max_iter)
    value = cost if p == 1 else cost ** (1.0 / p)
    return as_result(scale * value)


@peer_names(p="order")
def sliced_wasserstein(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None,
    *, order: float = 1.0, n_projections: int = 256, seed: int | None = 0,
):
    r"""Sliced Wasserstein distance: over random directions, the exact 1-D W_p, averaged.

    .. math:: SW_p(P, Q) = \Big(\mathbb E_{\theta \sim U(S^{d-1})}\,
              W_p^p(\theta_\# P, \theta_\# Q)\Big)^{1/p}

    An approximation, named as such: each projection is 1-Lipschitz, so
    :math:`SW_p \le W_p`, with equality in d = 1. The Monte Carlo error over directions
    is O(n_projections^{-1/2}); the cost is O(n_projections (n + m) log(n + m)) time and
    O(n_projections (n + m)) memory, so it scales to millions of points where exact OT
    cannot. Computed by POT's ``ot.sliced_wasserstein_distance``.

    Parameters
    ----------
    x, y : array_like, shapes (n, d) and (m, d)
    a, b : array_like, optional
        Weights; uniform when None.
    order : float
        The order p >= 1 (POT's ``p``, whose default is 2; here 1, the EM distance).
    n_projections : int
        Number of random directions (POT's default is 50).
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
    p = _check_order(order)
    check_positive(n_projections, "n_projections", integer=True)
    seed = check_seed(seed)
    aw = as_weights(a, xs.shape[0], "a", like=xs)
    bw = as_weights(b, ys.shape[0], "b", like=ys)
    scale = _scale(xs, ys)
    if scale != 1.0:
        xs, ys = xs / scale, ys / scale
    import ot

    value = ot.sliced_wasserstein_distance(xs, ys, aw, bw, n_projections=n_projections, p=p, seed=seed)
    return as_result(scale * value)


#: Bytes per cost-matrix entry that the dense Sinkhorn path holds at its peak (the cost, the
#: plan and torch's logsumexp temporaries; 36 measured at n = 3000 with POT 0.9.7, torch 2.13)
SINKHORN_BYTES_PER_ENTRY = 40


def _check_sinkhorn(err: float, plan, eps: float, max_iter: int, tol: float, which: str) -> None:
    if not np.isfinite(err) or not bool(plan.isfinite().all()):
        raise ValueError(f"epsilon = {eps} is too small for the distances between the points of "
                         f"{which}: the Sinkhorn iterations overflowed; use a larger epsilon")
    if err > tol:
        raise ConvergenceError(
            f"Sinkhorn for {which} did not converge in max_iter={max_iter} iterations (marginal "
            f"error {err:.2g} > tol={tol:g}); pass a larger max_iter or a larger epsilon")


def _entropic_cost(M, a, b, eps: float, max_iter: int, tol: float, which: str):
    r""":math:`\langle \gamma_\varepsilon, M \rangle` for the entropic plan of (a, b, M), by POT's
    log-domain Sinkhorn (``ot.bregman.sinkhorn_log``). The plan is computed without autograd, so
    the gradient reaching M is the plan (the envelope theorem)."""
    import ot
    import torch

    with torch.no_grad():
        plan, log = ot.bregman.sinkhorn_log(a, b, M.detach(), eps, numItermax=max_iter, stopThr=tol,
                                            log=True, warn=False)
    err = float(log["err"][-1]) if log["err"] else float("inf")
    _check_sinkhorn(err, plan, eps, max_iter, tol, which)
    return (plan * M).sum()


def _symmetric_entropic_cost(M, a, eps: float, max_iter: int, tol: float, which: str):
    r"""The same for a measure against itself (M symmetric), by the symmetric Sinkhorn update

    .. math:: f \leftarrow \tfrac12\big(f - \varepsilon \log \textstyle\sum_j a_j
              e^{(f_j - M_{ij})/\varepsilon}\big), \qquad
              \gamma_{ij} = a_i a_j e^{(f_i + f_j - M_{ij})/\varepsilon}

    (Feydy et al. 2019, Sec. 3.1), which converges in tens of iterations where the alternating
    updates need thousands (n = 1000, epsilon = 0.05: 20 against 4,580 iterations, 0.2 s against
    30 s; same value to 1e-9). Stops on the L2 norm of the marginal error, as POT's ``stopThr``.
    """
    import torch

    with torch.no_grad():
        Md, loga = M.detach(), torch.log(a)
        f = torch.zeros_like(a)
        err, plan = float("inf"), None
        for it in range(1, max_iter + 1):
            f = 0.5 * (f - eps * torch.logsumexp(loga[None, :] + (f[None, :] - Md) / eps, dim=1))
            if it % 10 == 0 or it == max_iter:
                plan = torch.exp(loga[:, None] + loga[None, :] + (f[:, None] + f[None, :] - Md) / eps)
                err = float(torch.linalg.vector_norm(plan.sum(1) - a))
                if not err > tol:  # also stops on NaN, which the check reports
                    break
    _check_sinkhorn(err, plan, eps, max_iter, tol, which)
    return (plan * M).sum()


@peer_names(reg="epsilon")
def sinkhorn_divergence(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None,
    *, epsilon: float = 0.01, max_iter: int = 100_000, tol: float = 1e-6,
):
    r"""The debiased Sinkhorn divergence for the Euclidean cost: an entropic approximation of W1
    that runs on the GPU and is differentiable at sizes where the network simplex is slow.

    .. math:: S_\varepsilon(P, Q) = W_\varepsilon(P, Q) - \tfrac12 W_\varepsilon(P, P)
              - \tfrac12 W_\varepsilon(Q, Q), \qquad
              W_\varepsilon(P, Q) = \langle \gamma_\varepsilon, C \rangle

    where :math:`\gamma_\varepsilon` is the entropic plan with regularisation :math:`\varepsilon`
    (in units of the cost, here distances) and :math:`C_{ij} = \|x_i - y_j\|`: the definition of
    Genevay et al. (2018) and of POT's ``empirical_sinkhorn_divergence`` (the transport cost of the
    entropic plan; Feydy et al.'s variant adds :math:`\varepsilon\,KL(\gamma | a \otimes b)` to
    each term, and its bias against W1 is several times larger for this cost). Each term is solved
    by POT's log-domain Sinkhorn on torch tensors (float64 for numpy input; the input's device for
    tensors; the two self terms by the symmetric update, tens of iterations).
    :math:`S_\varepsilon \to W_1` as :math:`\varepsilon \to 0`; the bias is of order
    :math:`\varepsilon` and of either sign. Measured against the exact W1 between two 2-D Gaussian
    clouds of 1,000 points (W1 = 1.100, ``tests/divergences/test_edges.py`` pins it): relative error
    +0.4%, -2.6% and -21% at epsilon = 0.01, 0.05 and 0.2 (epsilon = 0.01 is the default).

    Memory is that of the dense cost matrices, about 40 bytes per entry of the largest of the
    three (n x m, n x n, m x m): 5/6 of what the exact solver needs. Its use is speed on a GPU
    and smooth gradients, not memory, and not speed on the CPU: there the exact network simplex
    is faster at every size that fits (n = 3000 2-D points: 2.8 s exact against 81 s at epsilon
    = 0.01, 2 cores). Beyond memory use :func:`sliced_wasserstein` or subsample. Its thousands of
    small iterations cost torch's thread-pool overhead more than arithmetic: on a busy CPU
    ``torch.set_num_threads(1)`` can be many times faster (POT's log-domain Sinkhorn on 150
    points, 25,340 iterations: 444 s with 2 threads, 20 s with 1, on 2 cores at a load of 15).
    Unconverged iterations raise :class:`ConvergenceError`; they are never returned.

    Parameters
    ----------
    x, y : array_like or Tensor, shapes (n, d) and (m, d)
    a, b : array_like, optional
        Weights; uniform when None.
    epsilon : float
        Entropic regularisation, in units of distance (scale it with your data: smaller is closer
        to W1 and needs more iterations).
    max_iter : int
        Sinkhorn iterations per term before :class:`ConvergenceError`.
    tol : float
        Stopping threshold on the L2 norm of the plan's marginal error (POT's ``stopThr``).

    Returns
    -------
    float, or a 0-d tensor for torch inputs, whose gradient (through the plans, held fixed) reaches
    x and y.

    Raises
    ------
    ConvergenceError
        When a term has not converged after ``max_iter`` iterations.
    ValueError
        For bad input, an epsilon so small that the iterations overflow, or matrices that would
        not fit in memory.

    References
    ----------
    Genevay, Peyre, Cuturi (2018), Learning generative models with Sinkhorn divergences, eq. (4).
    Feydy, Sejourne, Vialard, Amari, Trouve, Peyre (2019), Interpolating between optimal
    transport and MMD using Sinkhorn divergences.

    Examples
    --------
    >>> import numpy as np, divergences as D
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + [1.0, 0.0]
    >>> s, w = D.sinkhorn_divergence(x, y, epsilon=0.01), D.wasserstein(x, y)
    >>> bool(abs(s - w) < 0.02 * w)
    True
    """
    xs, ys = sample_pair(x, y)
    eps = check_positive(epsilon, "epsilon")
    max_iter = check_positive(max_iter, "max_iter", integer=True)
    tol = check_positive(tol, "tol")
    aw = as_weights(a, xs.shape[0], "a", like=xs)
    bw = as_weights(b, ys.shape[0], "b", like=ys)
    n, m = xs.shape[0], ys.shape[0]
    need = SINKHORN_BYTES_PER_ENTRY * max(n * m, n * n, m * m)
    have = _available_memory()
    if have is not None and need > 0.8 * have:
        raise ValueError(
            f"x and y are too large for the dense Sinkhorn divergence: n={n}, m={m} needs about "
            f"{need / 1e9:.3g} GB, but only {have / 1e9:.3g} GB are available. Use "
            "divergences.sliced_wasserstein (O(n) memory) or subsample.")
    import torch

    x_in = xs  # numpy input gives a float, tensors a tensor
    # numpy input is solved in torch (float64, sharing its memory); tensors stay as they are
    xs, ys, aw, bw = (torch.as_tensor(v) for v in (xs, ys, aw, bw))
    scale = _scale(xs, ys)
    if scale != 1.0:
        xs, ys, eps = xs / scale, ys / scale, eps / scale
    value = (_entropic_cost(euclidean_cost(xs, ys), aw, bw, eps, max_iter, tol, "x and y")
             - 0.5 * _symmetric_entropic_cost(euclidean_cost(xs, xs), aw, eps, max_iter, tol, "x and x")
             - 0.5 * _symmetric_entropic_cost(euclidean_cost(ys, ys), bw, eps, max_iter, tol, "y and y"))
    return as_result(scale * value, like=x_in)
