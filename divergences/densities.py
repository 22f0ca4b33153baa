r"""TV, KL and JS between continuous densities, by numerical integration.

.. math::
    \delta = \tfrac12\int |p - q|,\quad KL = \int p \ln\frac pq,\quad
    JS = \tfrac12\int p \ln\frac{2p}{p+q} + \tfrac12\int q \ln\frac{2q}{p+q}

The densities are vectorised callables: in 1-D they take an array of shape (N,), in 2-D an
array of shape (N, 2), and return N values. With ``log=True`` they return log-densities
(``-inf`` where the density is 0), e.g. ``scipy.stats.norm(0, 1).logpdf``: then KL and JS
stay exact in the tails, where density values underflow to 0 (KL(N(0, 4) || N(0, 1/16)) is
finite, but q(x) underflows at |x| ~ 10 where p still has mass 1e-6). ``bounds`` is
``(lo, hi)`` in 1-D and ``((x0, x1), (y0, y1))`` in 2-D; the densities must vanish outside.

1-D integrals use adaptive Gauss-Kronrod quadrature (``scipy.integrate.quad``, tolerance
1e-10). On finite bounds it is given breakpoints at the crossings of p and q (the kinks of
|p - q|), so each sub-interval is smooth; prefer finite bounds that hold the mass. 2-D
integrals use the tensor-product Simpson rule on a ``grid`` x ``grid`` lattice (error
O(h^4) for smooth integrands, O(h^2) across the kinks of |p - q|).

KL is ``+inf`` when P has mass (more than ``KL_INF_MASS``) where q is exactly 0; this is
detected on a dense probe grid before integrating.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import integrate, optimize

from ._validation import check_choice, check_positive

Density = Callable[[np.ndarray], np.ndarray]

_DIVERGENCES = ("tv", "kl", "js")
_LN2 = np.log(2.0)

#: KL is +inf when P puts more than this mass where q = 0. Smaller masses are taken for
#: floating-point underflow of both tails (pass log-densities to avoid it) and ignored.
KL_INF_MASS = 1e-12


def _evaluate(f: Density, pts: np.ndarray, name: str, log: bool) -> np.ndarray:
    """Values of density (or log-density) ``f`` at ``pts``, validated."""
    v = np.asarray(f(pts), dtype=np.float64).reshape(-1)
    if v.shape[0] != pts.shape[0]:
        raise ValueError(f"{name} must return one value per point, got shape {v.shape}")
    if np.isnan(v).any() or (v == np.inf).any() or (not log and (v == -np.inf).any()):
        raise ValueError(f"{name} returned NaN or inf")
    if not log and (v < 0).any():
        raise ValueError(f"{name} returned negative density values")
    return v


def _integrand(kind: str, lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    """Pointwise integrand from log-densities (``-inf`` where a density is 0)."""
    p, q = np.exp(lp), np.exp(lq)
    if kind == "tv":
        return 0.5 * np.abs(p - q)
    with np.errstate(invalid="ignore"):
        if kind == "kl":  # where q = 0 exactly, the caller has checked P's mass is negligible
            return np.where((p > 0) & (lq > -np.inf), p * (lp - lq), 0.0)
        lm = np.logaddexp(lp, lq) - _LN2
        tp = np.where(p > 0, p * (lp - lm), 0.0)
        tq = np.where(q > 0, q * (lq - lm), 0.0)
    return 0.5 * (tp + tq)


def _logs(p: Density, q: Density, pts: np.ndarray, log: bool):
    lp, lq = _evaluate(p, pts, "p", log), _evaluate(q, pts, "q", log)
    if not log:
        with np.errstate(divide="ignore"):
            lp, lq = np.log(lp), np.log(lq)
    return lp, lq


def _kl_is_infinite(lp: np.ndarray, lq: np.ndarray, cell: float) -> bool:
    return float(np.exp(lp[lq == -np.inf]).sum() * cell) > KL_INF_MASS


def crossings(g: Callable[[np.ndarray], np.ndarray], lo: float, hi: float,
              n: int = 4097) -> list[float]:
    """Zeros of g on [lo, hi]: sign changes on an n-point scan, refined by Brent's method.

    Used to put the kinks of |g| at the breakpoints of an adaptive quadrature, so every
    sub-interval is smooth and the rule reaches its tolerance instead of stopping on
    round-off.
    """
    scan = np.linspace(lo, hi, n)
    v = g(scan)
    return [
        optimize.brentq(lambda t: float(g(np.array([t]))[0]), scan[i], scan[i + 1], xtol=1e-14)
        for i in np.flatnonzero(np.sign(v[:-1]) * np.sign(v[1:]) < 0)
    ]


def _breakpoints(p: Density, q: Density, lo: float, hi: float, points, log: bool) -> np.ndarray:
    """The caller's breakpoints, a uniform set, and the crossings of p and q."""

    def gap(t: np.ndarray) -> np.ndarray:
        lp, lq = _logs(p, q, t, log)
        return np.exp(lp) - np.exp(lq)

    extra = np.asarray(points if points is not None else [], dtype=np.float64)
    pts = np.concatenate([np.linspace(lo, hi, 17)[1:-1], crossings(gap, lo, hi), extra])
    return np.unique(pts[(pts > lo) & (pts < hi)])


def _check_bounds(bounds):
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape == (2,):
        dim = 1
    elif b.shape == (2, 2):
        dim = 2
    else:
        raise ValueError(f"bounds must be (lo, hi) or ((x0, x1), (y0, y1)), got shape {b.shape}")
    rows = b.reshape(dim, 2)
    if np.isnan(rows).any() or (rows[:, 0] >= rows[:, 1]).any():
        raise ValueError(f"bounds must have lo < hi on every axis, got {bounds!r}")
    if dim == 2 and not np.isfinite(rows).all():
        raise ValueError("bounds must be finite in 2-D")
    return dim, rows


def density_divergence(
    p: Density,
    q: Density,
    bounds,
    divergence: str,
    *,
    log: bool = False,
    points=None,
    grid: int = 801,
) -> float:
    """Integrate one of ``"tv"``, ``"kl"``, ``"js"`` between densities p and q.

    See the module docstring for the conventions; :func:`tv_density`, :func:`kl_density`
    and :func:`js_density` are the named shortcuts.

    Parameters
    ----------
    p, q : callable
        Vectorised densities (log-densities when ``log``).
    bounds : (lo, hi) or ((x0, x1), (y0, y1))
        Integration domain holding both supports.
    divergence : {"tv", "kl", "js"}
    log : bool
        Whether p and q return log-densities.
    points : sequence of float, optional
        1-D only: extra breakpoints for the adaptive quadrature (support ends, bumps).
    grid : int
        2-D only: lattice points per axis (made odd for Simpson's rule).

    Returns
    -------
    float
    """
    check_choice(divergence, "divergence", _DIVERGENCES)
    if not (callable(p) and callable(q)):
        raise ValueError("p and q must be callables returning density values")
    dim, rows = _check_bounds(bounds)
    if dim == 1:
        lo, hi = rows[0]
        if divergence == "kl":
            probe = np.linspace(max(lo, -1e3), min(hi, 1e3), 20001)
            if _kl_is_infinite(*_logs(p, q, probe, log), probe[1] - probe[0]):
                return float("inf")

        def f(t: float) -> float:
            return float(_integrand(divergence, *_logs(p, q, np.array([t]), log))[0])

        kw = dict(epsabs=1e-12, epsrel=1e-10, limit=1000)
        if np.isfinite([lo, hi]).all():
            kw["points"] = _breakpoints(p, q, lo, hi, points, log)
        value = integrate.quad(f, lo, hi, **kw)[0]
    else:
        n = check_positive(grid, "grid", integer=True) | 1
        xs, ys = np.linspace(*rows[0], n), np.linspace(*rows[1], n)
        X, Y = np.meshgrid(xs, ys, indexing="ij")
        lp, lq = _logs(p, q, np.column_stack([X.ravel(), Y.ravel()]), log)
        if divergence == "kl" and _kl_is_infinite(lp, lq, (xs[1] - xs[0]) * (ys[1] - ys[0])):
            return float("inf")
        vals = _integrand(divergence, lp, lq).reshape(n, n)
        value = integrate.simpson(integrate.simpson(vals, x=ys, axis=1), x=xs)
    upper = {"js": _LN2, "tv": 1.0, "kl": np.inf}[divergence]
    return float(min(max(value, 0.0), upper))


def tv_density(p: Density, q: Density, bounds, **kw) -> float:
    r"""TV distance :math:`\frac12\int|p - q|` between densities (see :func:`density_divergence`)."""
    return density_divergence(p, q, bounds, "tv", **kw)


def kl_density(p: Density, q: Density, bounds, **kw) -> float:
    r"""KL(p || q) :math:`= \int p\ln(p/q)` in nats; ``inf`` if P has mass where q = 0."""
    return density_divergence(p, q, bounds, "kl", **kw)


def js_density(p: Density, q: Density, bounds, **kw) -> float:
    r"""JS divergence (with the 1/2, nats) between densities (see :func:`density_divergence`)."""
    return density_divergence(p, q, bounds, "js", **kw)
