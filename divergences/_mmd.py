r"""Maximum mean discrepancy, returned squared (``mmd2``), with the estimator named.

.. math::
    MMD^2(P, Q) = \mathbb E\,k(X, X') + \mathbb E\,k(Y, Y') - 2\,\mathbb E\,k(X, Y),
    \quad X, X' \sim P,\ Y, Y' \sim Q.

Estimators (Gretton, Borgwardt, Rasch, Schoelkopf, Smola 2012, JMLR 13):

* ``"unbiased"`` -- the U-statistic (eq. 3): the diagonal terms :math:`k(x_i, x_i)` are left
  out, so its mean is exactly :math:`MMD^2`; it can be negative when P = Q.
* ``"biased"`` -- the V-statistic (eq. 5): all terms kept; always >= 0 (it is the squared
  RKHS norm of the difference of the empirical mean embeddings), biased upward by
  O(1/n).
* ``"linear"`` -- the linear-time statistic (Lemma 14) on disjoint pairs: O(n) time and
  memory, unbiased, but with variance O(1/n) rather than O(1/n^2).

Kernels: ``"gaussian"`` :math:`\exp(-\|x-y\|^2 / (2 h^2))` (the design's convention);
``"laplacian"`` :math:`\exp(-\|x-y\| / h)`; ``"energy"`` :math:`-\|x-y\|`, for which
:math:`MMD^2` is the energy distance :math:`2E\|X-Y\| - E\|X-X'\| - E\|Y-Y'\|` (Sejdinovic et
al. 2013; the norm terms of the distance-induced kernel cancel); ``"polynomial"``
:math:`(\gamma\langle x, y\rangle + c_0)^{p}`, by default p = 3, :math:`\gamma = 1/d`,
:math:`c_0 = 1`: with the unbiased estimator, the Kernel Inception Distance (Binkowski et al.
2018) when x and y are Inception features. The bandwidth h of the first two defaults to the
median heuristic.

The quadratic estimators are computed in row blocks, so memory is O(n + m) for a fixed
block size, and the within-sample sums use the kernel matrix's symmetry (half the work).
For the Gaussian kernel a block is :math:`w_i w'_j e^{\langle x_i, y_j\rangle / h^2}` with
:math:`w_i = e^{-\|x_i\|^2/2h^2}` (after centring the pooled sample): one matrix product,
one exponential and one matrix-vector product, instead of building squared distances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from ._validation import (
    as_result,
    as_weights,
    check_choice,
    check_nonnegative,
    check_positive,
    check_seed,
    detached,
    is_tensor,
    namespace,
    numpy_only,
    sample_pair,
    to_numpy,
)

KERNELS = ("gaussian", "laplacian", "energy", "polynomial")
ESTIMATORS = ("unbiased", "biased", "linear")

#: Kernel-matrix entries per block (float64: 32 MiB). Memory of the quadratic estimators is
#: O(block) = O(n) once a single row no longer fits.
BLOCK_ENTRIES = 1 << 22

#: Points used by the median heuristic (a random subsample beyond this size).
MEDIAN_SUBSAMPLE = 1000


def median_heuristic(x: ArrayLike, y: ArrayLike, *, seed: int = 0) -> float:
    r"""Median of the pairwise Euclidean distances in the pooled sample.

    The standard bandwidth choice (Gretton et al. 2012, Section 8). Beyond
    ``MEDIAN_SUBSAMPLE`` pooled points, a seeded random subsample of that size is used:
    the sample median of 5e5 distances is within about 0.2% of the full one.

    Returns
    -------
    float
        The bandwidth h > 0 (1.0 when all points coincide).
    """
    from scipy.spatial.distance import pdist

    seed = check_seed(seed)
    xs, ys = sample_pair(x, y)
    pooled = np.concatenate([to_numpy(xs), to_numpy(ys)])  # on the CPU, detached: a constant
    if pooled.shape[0] > MEDIAN_SUBSAMPLE:
        idx = np.random.default_rng(seed).choice(pooled.shape[0], MEDIAN_SUBSAMPLE, replace=False)
        pooled = pooled[idx]
    scale = float(np.abs(pooled).max()) or 1.0  # distances at any magnitude, without overflow
    dist = pdist(pooled / scale)  # the N(N-1)/2 distances only: no N x N x d array
    h = float(np.median(dist)) * scale if dist.size else 0.0
    return h if h > 0 else 1.0


def _radial(d2, kernel: str, h: float):
    """A radial kernel's values from squared distances ``d2``: the one definition of the Gaussian,
    Laplacian and energy kernels, in the array namespace of ``d2`` (a tensor keeps its gradient).

    A numpy array is overwritten in place instead, by hand: measured on a 2048 x 2048 block
    (one thread), the Gaussian 139 ms in place against 155 ms out of place, the Laplacian 119-181
    ms against 231 ms, and no temporaries (``mmd_test``'s pooled matrix is up to 8000 x 8000)."""
    if is_tensor(d2):
        xp = namespace(d2)
        if kernel == "gaussian":
            return xp.exp(-0.5 * d2 / h / h)  # twice / h, never / (h * h): a tiny h would square to 0
        d = xp.sqrt(d2)
        return xp.exp(-d / h) if kernel == "laplacian" else -d
    if kernel == "gaussian":
        d2 *= -0.5
        d2 /= h  # twice, never h * h: a tiny h would square to 0
        d2 /= h
        return np.exp(d2, out=d2)
    np.sqrt(d2, out=d2)
    if kernel == "laplacian":
        d2 *= -1.0 / h
        return np.exp(d2, out=d2)
    d2 *= -1.0
    return d2


def _polynomial(gram, params):
    r"""The polynomial kernel :math:`(\gamma \langle x, y\rangle + c_0)^p` from inner products
    ``gram``. A numpy array is overwritten in place, by hand, with repeated multiplications for
    the integer power: measured on a 2048 x 2048 block (one thread, p = 3), 52-54 ms against
    280-293 ms for ``(gamma * gram + c0) ** p`` out of place; a tensor is not (gradients)."""
    degree, gamma, coef0 = params
    if is_tensor(gram):
        return (gamma * gram + coef0) ** degree
    gram *= gamma
    gram += coef0
    _int_power(gram, degree)
    return gram


def _kernel_numpy(xb, y, xb_sq, y_sq, kernel: str, h: float, zero_diag: bool):
    """Kernel block k(xb, y), computed in place in one (b, m) buffer."""
    K = xb @ y.T
    K *= -2.0
    K += xb_sq[:, None]
    K += y_sq[None, :]
    np.maximum(K, 0.0, out=K)  # squared distances; clip the expansion's rounding
    if zero_diag:
        np.fill_diagonal(K, 0.0)
    return _radial(K, kernel, h)


def _kernel_torch(xb, y, kernel: str, h):
    """A kernel block with torch. Distances from exact differences: a point's distance to itself
    is exactly 0 (the matrix-product form of cdist gives ~1e-8 above 25 rows, enough to break
    gradcheck)."""
    import torch

    if kernel == "polynomial":
        return _polynomial(xb @ y.T, h)
    return _radial(torch.cdist(xb, y, compute_mode="donot_use_mm_for_euclid_dist").square(), kernel, h)


def _pair_kernel(u, v, kernel: str, h):
    """k(u_i, v_i) for paired rows (the linear-time statistic)."""
    if kernel == "polynomial":
        return _polynomial((u * v).sum(1), h)
    return _radial(((u - v) ** 2).sum(1), kernel, h)


#: The factorised Gaussian block multiplies exp(-|x|^2/2h^2) exp(-|y|^2/2h^2) exp(x.y/h^2);
#: it is used while |x|^2 / (2 h^2) stays below this (no overflow, relative error ~1e-14).
_FACTORISED_MAX_EXPONENT = 250.0


def _gaussian_factors(x, y, h: float):
    """Scaled points and weights of the factorised Gaussian kernel, or None if unsafe.

    k(x, y) = exp(-|x|^2/2h^2) exp(-|y|^2/2h^2) exp(<x, y>/h^2): a block is then one
    matrix product, one in-place exp and a matrix-vector product with the weights.
    """
    with np.errstate(over="ignore"):
        sx, sy = 0.5 * ((x / h) ** 2).sum(1), 0.5 * ((y / h) ** 2).sum(1)
    if not max(sx.max(), sy.max()) <= _FACTORISED_MAX_EXPONENT:
        return None
    return x / h / h, np.exp(-sx), np.exp(-sy)


def _block_sum_gaussian(xs_b, y, wx_b, wy, diag_width: int):
    """sum_ij wx_i wy_j exp(<xs_i, y_j>), split as (first diag_width columns, the rest)."""
    E = xs_b @ y.T
    np.exp(E, out=E)
    head = wx_b @ (E[:, :diag_width] @ wy[:diag_width]) if diag_width else 0.0
    return head, wx_b @ (E[:, diag_width:] @ wy[diag_width:])


def _kernel_sum(x, y, kernel: str, h, *, same: bool, block: int, wx=None, wy=None) -> tuple:
    r"""Weighted sum :math:`\sum_{ij} w_i w'_j k(x_i, y_j)` (unit weights when None), in row blocks
    (``same``: x is y and wy is wx, using symmetry: the upper block-triangle only).

    Returns (total, trace) where trace is :math:`\sum_i w_i^2 k(x_i, x_i)` when ``same``.
    """
    n = x.shape[0]
    rows = max(1, block // max(y.shape[0], 1))
    # Two paths, by hand: numpy's blocks are computed in place (the factorised Gaussian, the
    # symmetric triangle), which python -m benchmarks.divergences measures at a fraction of the
    # full-matrix time and memory; torch's is an autograd Function with its own O(rows m) backward.
    if is_tensor(x):
        return _torch_sum(x, y, kernel, h, same, rows, wx, wy)
    if same:
        wy = wx
    if kernel == "polynomial":
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by mmd2
            return _polynomial_sum(x, y, h, same, rows, wx, wy)
    if same:
        trace = 0.0 if kernel == "energy" else (float(n) if wx is None else float(wx @ wx))
    else:
        trace = 0.0
    factors = _gaussian_factors(x, y, h) if kernel == "gaussian" else None
    total = 0.0
    if factors is not None:
        xs, fx, fy = factors
        if wx is not None:
            fx, fy = fx * wx, fy * wy
        for i0 in range(0, n, rows):
            i1 = min(n, i0 + rows)
            if same:  # upper block-triangle: the diagonal block once, the rest twice
                head, rest = _block_sum_gaussian(xs[i0:i1], y[i0:], fx[i0:i1], fy[i0:], i1 - i0)
                total += head + 2.0 * rest
            else:
                total += _block_sum_gaussian(xs[i0:i1], y, fx[i0:i1], fy, 0)[1]
        return total, trace
    x_sq, y_sq = (x * x).sum(1), (y * y).sum(1)
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        if same:
            K = _kernel_numpy(x[i0:i1], x[i0:], x_sq[i0:i1], x_sq[i0:], kernel, h, True)
            total += _triangle_sum(K, i0, i1, wx)
        else:
            K = _kernel_numpy(x[i0:i1], y, x_sq[i0:i1], y_sq, kernel, h, False)
            total += K.sum() if wx is None else wx[i0:i1] @ K @ wy
    return total, trace


def _triangle_sum(K, i0: int, i1: int, w) -> float:
    """The contribution of rows i0:i1 of a symmetric kernel matrix, given as the block
    K = k(x[i0:i1], x[i0:]): its diagonal square once, the rest twice (weighted by w)."""
    width = i1 - i0
    if w is None:
        return K[:, :width].sum() + 2.0 * K[:, width:].sum()
    wb = w[i0:i1]
    return wb @ K[:, :width] @ wb + 2.0 * (wb @ K[:, width:] @ w[i1:])


def _polynomial_sum(x, y, params, same: bool, rows: int, wx, wy) -> tuple:
    """Weighted sum and trace of (gamma <x_i, y_j> + c0)^p in row blocks (upper triangle when
    ``same``)."""
    total = 0.0
    for i0 in range(0, x.shape[0], rows):
        i1 = min(x.shape[0], i0 + rows)
        K = _polynomial(x[i0:i1] @ (x[i0:] if same else y).T, params)
        if same:
            total += _triangle_sum(K, i0, i1, wx)
        else:
            total += K.sum() if wx is None else wx[i0:i1] @ K @ wy
    if not same:
        return total, 0.0
    diag = _polynomial((x * x).sum(1), params)
    return total, float(diag.sum() if wx is None else (wx * wx) @ diag)


@lru_cache(maxsize=1)
def _kernel_sum_function():
    r"""The torch autograd function of a weighted kernel-matrix sum
    :math:`\sum_{ij} w_i w'_j k(x_i, y_j)` in row blocks, with a backward that recomputes each
    block and forms the gradient in closed form: O(rows m) memory both ways (autograd would keep
    every block: 1.2 GB for n = 10,000 even under checkpointing). Defined on first use: torch is
    imported only for tensors.

    For a radial kernel k(d), d = |x_i - y_j|: d/dx_i sum_j w_i w'_j k = x_i sum_j W_ij - (W y)_i
    with W_ij = w_i w'_j k'(d) / d (0 where d = 0); for the polynomial kernel (gamma x.y + c)^p:
    d/dx_i = (P y)_i with P_ij = w_i w'_j p gamma (gamma x.y + c)^(p - 1). The weights' gradients
    are K w' and K^T w.
    """
    import torch

    class KernelSum(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, wx, wy, kernel, h, rows):
            ctx.save_for_backward(x, y, wx, wy)
            ctx.kernel, ctx.h, ctx.rows = kernel, h, rows
            total = x.new_zeros(())
            for i0 in range(0, x.shape[0], rows):
                K = _kernel_torch(x[i0:i0 + rows], y, kernel, h)
                total = total + (K.sum() if wx is None else wx[i0:i0 + rows] @ K @ wy)
            return total

        @staticmethod
        def backward(ctx, g):
            x, y, wx, wy = ctx.saved_tensors
            kernel, h, rows = ctx.kernel, ctx.h, ctx.rows
            gx, gy = torch.zeros_like(x), torch.zeros_like(y)
            gwx = None if wx is None else torch.zeros_like(wx)
            gwy = None if wy is None else torch.zeros_like(wy)
            for i0 in range(0, x.shape[0], rows):
                xb = x[i0:i0 + rows]
                if kernel == "polynomial":
                    degree, gamma, coef0 = h
                    W = degree * gamma * (gamma * (xb @ y.T) + coef0) ** (degree - 1)
                else:
                    d = torch.cdist(xb, y, compute_mode="donot_use_mm_for_euclid_dist")
                    if kernel == "gaussian":
                        W = -torch.exp(-0.5 * d.square() / h / h) / h / h
                    else:
                        safe = torch.where(d > 0, d, torch.ones_like(d))
                        dk = -torch.exp(-d / h) / h if kernel == "laplacian" else -torch.ones_like(d)
                        W = torch.where(d > 0, dk / safe, torch.zeros_like(d))
                if wx is not None:
                    K = _kernel_torch(xb, y, kernel, h)
                    gwx[i0:i0 + rows] = K @ wy
                    gwy += K.T @ wx[i0:i0 + rows]
                    W = W * wx[i0:i0 + rows, None] * wy[None, :]
                if kernel == "polynomial":
                    gx[i0:i0 + rows] = W @ y
                    gy += W.T @ xb
                else:
                    gx[i0:i0 + rows] = xb * W.sum(1, keepdim=True) - W @ y
                    gy += y * W.sum(0).unsqueeze(1) - W.T @ xb
            return (g * gx, g * gy, None if gwx is None else g * gwx, None if gwy is None else g * gwy,
                    None, None, None)

    return KernelSum


def _torch_sum(x, y, kernel: str, h, same: bool, rows: int, wx, wy) -> tuple:
    """Weighted sum (and trace when ``same``) of a kernel matrix with torch, in O(rows m) memory."""
    if same:
        wy = wx
    total = _kernel_sum_function().apply(x, y, wx, wy, kernel, h, rows)
    if not same:
        return total, 0.0
    if kernel == "polynomial":
        diag = _polynomial((x * x).sum(1), h)
        return total, diag.sum() if wx is None else (wx * wx) @ diag
    if kernel == "energy":
        return total, 0.0
    return total, float(x.shape[0]) if wx is None else (wx * wx).sum()


def _int_power(K: np.ndarray, p: int) -> None:
    """K **= p in place by repeated squaring (np.power with an integer exponent on floats calls
    pow() per entry: 15x slower for p = 3)."""
    if p == 1:
        return
    base = K.copy()
    p -= 1
    while p:
        if p & 1:
            K *= base
        p >>= 1
        if p:
            base *= base


def _kernel_parameters(kernel: str, xs, ys, bandwidth, degree, gamma, coef0):
    """The kernel's parameter: the bandwidth h (the median heuristic when None), 1.0 for the
    energy kernel, or (degree, gamma, coef0) for the polynomial kernel (gamma None: 1/d).

    Every parameter is validated whatever the kernel (a string given for one the kernel does not
    use is still a mistake); each goes through the one gate, ``_validation.number``."""
    degree = check_positive(degree, "degree", integer=True)
    gamma = None if gamma is None else check_positive(gamma, "gamma")
    coef0 = check_nonnegative(coef0, "coef0")
    h = None if bandwidth is None else check_positive(bandwidth, "bandwidth")
    if kernel == "polynomial":
        return (degree, 1.0 / xs.shape[1] if gamma is None else gamma, coef0)
    if kernel == "energy":
        return 1.0
    return median_heuristic(xs, ys) if h is None else h


def _sample_weights(a, b, xs, ys, estimator: str):
    """Normalised weights (tensors for tensors), or (None, None) when both are uniform."""
    if a is None and b is None:
        return None, None
    if estimator == "linear":
        raise ValueError("a and b: the linear estimator pairs points one to one and has no weighted form; "
                         "use estimator='unbiased' or 'biased' with weights")
    wa = as_weights(a, xs.shape[0], "a", like=xs)
    wb = as_weights(b, ys.shape[0], "b", like=ys)
    if estimator == "unbiased":
        for name, w in (("a", wa), ("b", wb)):
            if not float(detached(1.0 - (w * w).sum())) > 1e-12:
                raise ValueError(f"{name} puts all its weight on one sample: the unbiased estimator needs two")
    return wa, wb


def mmd2(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    kernel: str = "gaussian",
    bandwidth: float | None = None,
    estimator: str = "unbiased",
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    block_entries: int = BLOCK_ENTRIES,
):
    r"""Squared maximum mean discrepancy between two samples.

    Parameters
    ----------
    x : array_like or Tensor, shape (n,) or (n, d)
    y : array_like or Tensor, shape (m,) or (m, d)
    a, b : array_like or Tensor, optional
        Non-negative sample weights (normalised); uniform when None. Not with the linear
        estimator.
    kernel : {"gaussian", "laplacian", "energy", "polynomial"}
        Gaussian :math:`\exp(-\|x-y\|^2/(2h^2))`, Laplacian :math:`\exp(-\|x-y\|/h)`, the
        energy kernel :math:`-\|x-y\|` (then MMD^2 is the energy distance), or the polynomial
        kernel :math:`(\gamma\langle x, y\rangle + c_0)^p` (KID's, with its defaults).
    bandwidth : float, optional
        h; the median heuristic (:func:`median_heuristic`) when None. Used by "gaussian" and
        "laplacian" only. scikit-learn's ``rbf_kernel`` and torchmetrics write the Gaussian
        kernel :math:`\exp(-\gamma\|x-y\|^2)`: :math:`\gamma = 1/(2h^2)`.
    estimator : {"unbiased", "biased", "linear"}
        U-statistic, V-statistic, or linear-time statistic (see the module docstring).
    degree, gamma, coef0 : int, float, float
        The polynomial kernel's p, :math:`\gamma` (None: 1/d) and :math:`c_0`.
    block_entries : int
        Kernel entries computed at a time (memory knob of the quadratic estimators).

    Returns
    -------
    float
        The estimate of :math:`MMD^2`; for torch tensors a 0-d tensor, differentiable with
        respect to x and y (and a, b; the bandwidth is treated as a constant).

    Notes
    -----
    Unbiased (Gretton et al. 2012, eq. 3):

    .. math:: \frac{1}{n(n-1)}\sum_{i\ne j} k(x_i, x_j) + \frac{1}{m(m-1)}\sum_{i\ne j}
              k(y_i, y_j) - \frac{2}{nm}\sum_{i,j} k(x_i, y_j)

    With weights (normalised to sum 1) the within-sample terms are
    :math:`\sum_{i\ne j} a_i a_j k(x_i, x_j) / (1 - \sum_i a_i^2)` (the same U-statistic for
    uniform weights), the cross term :math:`2\sum_{ij} a_i b_j k(x_i, y_j)`; the biased
    estimator is then the exact MMD^2 between the two weighted empirical measures.

    Squared distances come from the expansion :math:`\|x\|^2 + \|y\|^2 - 2\langle x, y\rangle`
    (one matrix product per block; the data are centred first). Its rounding is about 1e-16
    :math:`\|x\|^2`, so the Laplacian and energy kernels, which take the square root, see
    coinciding points (repeated samples) at a distance of about 1e-8 :math:`\|x\|` rather than 0;
    the Gaussian kernel, a function of the squared distance, does not.

    The linear statistic uses the first :math:`2\lfloor\min(n, m)/2\rfloor` points of each
    sample: :math:`\frac{2}{n'}\sum_{i} h(z_{2i-1}, z_{2i})` with
    :math:`h(z, z') = k(x, x') + k(y, y') - k(x, y') - k(x', y)`.

    References
    ----------
    Gretton, Borgwardt, Rasch, Schoelkopf, Smola (2012), A kernel two-sample test, JMLR 13.
    Sejdinovic, Sriperumbudur, Gretton, Fukumizu (2013), Equivalence of distance-based and
    RKHS-based statistics in hypothesis testing, Ann. Statist. 41.
    Binkowski, Sutherland, Arbel, Gretton (2018), Demystifying MMD GANs, Section 5 (KID).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(500, 2)), rng.normal(size=(500, 2)) + 1.0
    >>> mmd2(x, y, bandwidth=1.0) > 0.1
    True
    >>> bool(np.isclose(mmd2(x[:3], y[:2], [1, 1, 2], bandwidth=1.0, estimator="biased"),
    ...                 mmd2(x[[0, 1, 2, 2]], y[:2], bandwidth=1.0, estimator="biased")))   # weight 2: twice
    True
    """
    check_choice(kernel, "kernel", KERNELS)
    check_choice(estimator, "estimator", ESTIMATORS)
    xs, ys = sample_pair(x, y)
    check_positive(block_entries, "block_entries", integer=True)
    n, m = xs.shape[0], ys.shape[0]
    h = _kernel_parameters(kernel, xs, ys, bandwidth, degree, gamma, coef0)
    wa, wb = _sample_weights(a, b, xs, ys, estimator)

    if estimator == "linear":
        n2 = 2 * (min(n, m) // 2)
        if n2 < 2:
            raise ValueError("x and y need at least 2 samples each for the linear estimator")
        x1, x2, y1, y2 = xs[0:n2:2], xs[1:n2:2], ys[0:n2:2], ys[1:n2:2]
        hvals = (
            _pair_kernel(x1, x2, kernel, h) + _pair_kernel(y1, y2, kernel, h)
            - _pair_kernel(x1, y2, kernel, h) - _pair_kernel(x2, y1, kernel, h)
        )
        return as_result(hvals.mean())

    if estimator == "unbiased" and (n < 2 or m < 2):
        raise ValueError("x and y need at least 2 samples each for the unbiased estimator")
    value = _quadratic(xs, ys, kernel, h, estimator, block_entries, wa, wb)
    if not math.isfinite(float(detached(value))):
        top = max(float(abs(to_numpy(xs)).max()), float(abs(to_numpy(ys)).max()))
        raise ValueError(f"x and y: the {kernel} kernel's sums overflow at these magnitudes (entries up to "
                         f"{top:.3g}); rescale the data")
    return as_result(value)


def _standardised(xs, ys, kernel: str, h):
    """The data as the quadratic estimators and the test see it: for translation-invariant
    kernels centred (|x| / h small); the Gaussian and Laplacian ones in units of the bandwidth
    (their values depend on distances / h only), the energy distance (homogeneous of degree 1)
    rescaled when its coordinates are beyond 1e100 or below 1e-100; coordinates in units of h
    beyond 1e100 are rescaled with h (then only coinciding points have a kernel value above 0).

    Returns (xs, ys, h, scale): the energy statistic is to be multiplied by ``scale``."""
    scale = 1.0
    if kernel == "polynomial":
        return xs, ys, h, scale
    centre = detached(0.5 * (xs.mean(0) + ys.mean(0)))
    xs, ys = xs - centre, ys - centre
    if kernel in ("gaussian", "laplacian"):
        xs, ys, h = xs / h, ys / h, 1.0
    top = max(float(abs(detached(xs)).max()), float(abs(detached(ys)).max()))
    if top > 1e100 or 0 < top < 1e-100:
        scale = top
        xs, ys = xs / scale, ys / scale
        if kernel != "energy":
            h = 1.0 / scale
    return xs, ys, h, scale if kernel == "energy" else 1.0


def _quadratic(xs, ys, kernel: str, h, estimator: str, block: int, wa=None, wb=None):
    """The quadratic estimators (weighted when ``wa``, ``wb`` are given, normalised)."""
    n, m = xs.shape[0], ys.shape[0]
    xs, ys, h, scale = _standardised(xs, ys, kernel, h)
    sxx, txx = _kernel_sum(xs, xs, kernel, h, same=True, block=block, wx=wa)
    syy, tyy = _kernel_sum(ys, ys, kernel, h, same=True, block=block, wx=wb)
    sxy, _ = _kernel_sum(xs, ys, kernel, h, same=False, block=block, wx=wa, wy=wb)
    if wa is None:
        if estimator == "unbiased":
            value = (sxx - txx) / (n * (n - 1)) + (syy - tyy) / (m * (m - 1)) - 2 * sxy / (n * m)
        else:
            value = sxx / n**2 + syy / m**2 - 2 * sxy / (n * m)
    elif estimator == "unbiased":
        value = (sxx - txx) / (1 - (wa * wa).sum()) + (syy - tyy) / (1 - (wb * wb).sum()) - 2 * sxy
    else:
        value = sxx + syy - 2 * sxy
    if estimator == "biased":  # >= 0 exactly; clip only the rounding of the sums (a tensor keeps its gradient)
        value = namespace(value).clip(value, min=0.0)
    return value * scale


@dataclass(frozen=True, repr=False)
class MMDTest:
    """A two-sample test's outcome: the statistic, its p-value, and the permutation null.

    It unpacks as ``statistic, p_value = mmd_test(x, y)``, as scipy's test results (and hyppo's
    ``(stat, pvalue)``) do; ``null`` holds the statistic under each permutation of the pooled
    sample, and stays out of the one-line repr.
    """

    statistic: float
    p_value: float
    null: np.ndarray

    def __iter__(self):
        return iter((self.statistic, self.p_value))

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i):
        return (self.statistic, self.p_value)[i]

    def __repr__(self) -> str:
        return (f"MMDTest(statistic={self.statistic:.6g}, p_value={self.p_value:.6g}, "
                f"n_permutations={len(self.null)})")


#: the permutation test holds the (n + m)^2 kernel matrix: beyond this many points, subsample
TEST_MAX_POINTS = 8000


def _pooled_kernel_matrix(z: np.ndarray, kernel: str, h) -> np.ndarray:
    """The (N, N) kernel matrix of the pooled, standardised sample, from exact pairwise
    differences (``pdist``) for the radial kernels; the same kernel definitions as :func:`mmd2`."""
    from scipy.spatial.distance import pdist, squareform

    if kernel == "polynomial":
        with np.errstate(over="ignore", invalid="ignore"):
            return _polynomial(z @ z.T, h)
    return _radial(squareform(pdist(z, "sqeuclidean")), kernel, h)


def mmd_test(
    x: ArrayLike,
    y: ArrayLike,
    *,
    kernel: str = "gaussian",
    bandwidth: float | None = None,
    n_permutations: int = 1000,
    seed: int | None = 0,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
) -> MMDTest:
    r"""Two-sample test of P = Q with the unbiased MMD^2 (or the energy distance), by permutation.

    The statistic is :func:`mmd2` (unbiased) between x and y; its null distribution is that of the
    same statistic between random relabellings of the pooled sample, all from one kernel matrix
    of the pooled points (the bandwidth, the median heuristic by default, is fixed from the pooled
    sample, so it is the same under every permutation). The p-value is
    :math:`(1 + \#\{\text{null} \ge \text{statistic}\}) / (1 + B)`, exact in level for B
    permutations (it is never 0). ``kernel="energy"`` is the energy-distance test; every kernel
    of :data:`MMD_KERNELS` is accepted, with :func:`mmd2`'s parameters.

    There are no sample weights (``a``, ``b``), unlike :func:`mmd2`: the permutation null assumes
    the pooled points are exchangeable under P = Q, which weighted points are not.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
    y : array_like, shape (m,) or (m, d)
    kernel : {"gaussian", "laplacian", "energy", "polynomial"}
    bandwidth : float, optional
        The Gaussian / Laplacian bandwidth; the median heuristic when None.
    n_permutations : int
        B, the number of relabellings.
    seed : int or None
        Seed of the permutations.
    degree, gamma, coef0 : int, float, float
        The polynomial kernel's parameters, as in :func:`mmd2`.

    Returns
    -------
    MMDTest
        ``statistic``, ``p_value`` and the ``null`` sample; unpacks as ``statistic, p_value``.

    References
    ----------
    Gretton, Borgwardt, Rasch, Schoelkopf, Smola (2012), A kernel two-sample test, JMLR 13,
    Section 5. As ``hyppo.ksample.MMD`` and ``scipy.stats.permutation_test`` compute it.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stat, p = mmd_test(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 0.5)
    >>> p < 0.01
    True
    >>> mmd_test(rng.normal(size=(50, 2)), rng.normal(size=(50, 2)), n_permutations=99)
    MMDTest(statistic=..., p_value=..., n_permutations=99)
    """
    check_choice(kernel, "kernel", KERNELS)
    xs, ys = sample_pair(numpy_only(x, "x", "mmd_test"), numpy_only(y, "y", "mmd_test"))
    B = check_positive(n_permutations, "n_permutations", integer=True)
    seed = check_seed(seed)
    n, m = xs.shape[0], ys.shape[0]
    if n < 2 or m < 2:
        raise ValueError("x and y need at least 2 samples each for the unbiased estimator")
    if n + m > TEST_MAX_POINTS:
        raise ValueError(f"x and y: the test holds the ({n + m})^2 kernel matrix of the pooled sample; "
                         f"subsample to at most {TEST_MAX_POINTS} points in all")
    h = _kernel_parameters(kernel, xs, ys, bandwidth, degree, gamma, coef0)
    xz, yz, h, scale = _standardised(xs, ys, kernel, h)
    K = _pooled_kernel_matrix(np.concatenate([xz, yz]), kernel, h)
    if not np.isfinite(K).all():
        raise ValueError(f"x and y: the {kernel} kernel overflows at these magnitudes; rescale the data")
    np.fill_diagonal(K, 0.0)  # the unbiased statistic leaves out k(z_i, z_i)

    def statistic(labels: np.ndarray) -> np.ndarray:
        """The unbiased MMD^2 for each column of 0/1 labels (1: in the first sample), (N, B)."""
        ka = K @ labels
        sxx = (labels * ka).sum(0)
        sxy = ((1 - labels) * ka).sum(0)
        syy = K.sum() - sxx - 2 * sxy
        return scale * (sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2 * sxy / (n * m))

    first = np.r_[np.ones(n), np.zeros(m)]
    stat = float(statistic(first[:, None])[0])
    rng = np.random.default_rng(seed)
    null = np.concatenate([statistic(np.stack([rng.permutation(first) for _ in range(k)], 1))
                           for k in np.diff(np.r_[np.arange(0, B, 200), B])])
    p = (1 + int((null >= stat - 1e-12 * abs(stat)).sum())) / (1 + B)
    return MMDTest(stat, float(p), null)
