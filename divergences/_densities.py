r"""TV, KL and JS between continuous densities, by numerical integration.

.. math::
    \delta = \tfrac12\int |p - q|,\quad KL = \int p \ln\frac pq,\quad
    JS = \tfrac12\int p \ln\frac{2p}{p+q} + \tfrac12\int q \ln\frac{2q}{p+q}

The densities are frozen ``scipy.stats`` distributions (``stats.norm(0, 2)``: their ``logpdf`` is
used) or vectorised callables: in 1-D they take an array of shape (N,), in 2-D an array of shape
(N, 2), and return N values. With ``log=True`` callables return log-densities (``-inf`` where the
density is 0): then KL and JS stay exact in the tails, where density values underflow to 0
(KL(N(0, 4) || N(0, 1/16)) = 29.42, but q(x) underflows at |x| ~ 10 where p still has mass
1e-6; a warning says so when it happens with density values). ``bounds`` is ``(lo, hi)`` in 1-D
(infinite ends allowed; optional for frozen laws) and ``((x0, x1), (y0, y1))`` in 2-D; the
densities must vanish outside.

Wide or infinite 1-D bounds never miss the mass: the integration range is the laws' quantile
range [ppf(1e-15), isf(1e-15)] for frozen laws, and for callables the span of a scan (a log-
spaced and a uniform grid over the bounds) where a density is within e^-50 of its peak. Then
both densities are integrated over that range: if either does not integrate to 1 (within
1e-3 an error, within 1e-7 a warning), the bounds missed mass (or a density is not normalised),
and the value is not returned silently.

1-D integrals use adaptive Gauss-Kronrod quadrature (``scipy.integrate.quad``, tolerance
1e-10). It is given breakpoints at the crossings of p and q (the kinks of |p - q|) and at the
edges of each support (the jumps of a uniform density), so each sub-interval is smooth;
prefer finite bounds that hold the mass. 2-D integrals use the tensor-product Simpson rule on a ``grid`` x ``grid`` lattice (error
O(h^4) for smooth integrands, O(h^2) across the kinks of |p - q|).

KL is ``+inf`` when P has mass (more than ``KL_INF_MASS``) where q is exactly 0; this is
detected on a dense probe grid before integrating.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

from ._validation import check_choice, check_positive, real_array

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


def _kl_infinite_mass(lp: np.ndarray, lq: np.ndarray, cell: float) -> float:
    """P's mass (on a grid of cell size ``cell``) where q is exactly 0."""
    return float(np.exp(lp[lq == -np.inf]).sum() * cell)


def crossings(g: Callable[[np.ndarray], np.ndarray], lo: float, hi: float,
              n: int = 4097) -> list[float]:
    """Zeros of g on [lo, hi]: sign changes on an n-point scan, refined by Brent's method.

    Used to put the kinks of |g| at the breakpoints of an adaptive quadrature, so every
    sub-interval is smooth and the rule reaches its tolerance instead of stopping on
    round-off.
    """
    from scipy import optimize

    scan = np.linspace(lo, hi, n)
    v = g(scan)
    return [
        optimize.brentq(lambda t: float(g(np.array([t]))[0]), scan[i], scan[i + 1], xtol=1e-14)
        for i in np.flatnonzero(np.sign(v[:-1]) * np.sign(v[1:]) < 0)
    ]


def support_edges(lf: Callable[[np.ndarray], np.ndarray], lo: float, hi: float,
                  n: int = 4097) -> list[float]:
    """Where log-density ``lf`` turns from ``-inf`` (density 0) to finite on [lo, hi]: changes on
    an n-point scan, refined by bisection to 1e-14 (the jumps of a uniform law's density)."""
    scan = np.linspace(lo, hi, n)
    inside = np.isfinite(lf(scan))
    edges = []
    for i in np.flatnonzero(inside[:-1] != inside[1:]):
        a, b, left = scan[i], scan[i + 1], inside[i]
        while b - a > 1e-14 * max(1.0, abs(a)):
            m = 0.5 * (a + b)
            if m <= a or m >= b:
                break
            if bool(np.isfinite(lf(np.array([m])))[0]) == left:
                a = m
            else:
                b = m
        edges.append(0.5 * (a + b))
    return edges


def _breakpoints(lp, lq, lo: float, hi: float, points) -> np.ndarray:
    """The caller's breakpoints, a uniform set, the crossings of p and q and the support edges
    of each (where a density jumps from 0)."""

    def gap(t: np.ndarray) -> np.ndarray:
        return np.exp(lp(t)) - np.exp(lq(t))

    extra = real_array(points if points is not None else [], "points").reshape(-1)
    pts = np.concatenate([np.linspace(lo, hi, 17)[1:-1], crossings(gap, lo, hi), extra,
                          support_edges(lp, lo, hi), support_edges(lq, lo, hi)])
    return np.unique(pts[(pts > lo) & (pts < hi)])


def _check_bounds(bounds):
    try:
        b = real_array(bounds, "bounds")
    except TypeError:
        raise ValueError(f"bounds must be numbers, (lo, hi) or ((x0, x1), (y0, y1)), got {bounds!r}") from None
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


def _log_density(f, name: str, log: bool):
    """(log-density callable, frozen law or None) of a frozen scipy.stats law or a callable."""
    if hasattr(f, "logpdf") and hasattr(f, "ppf") and hasattr(f, "dist"):
        if not np.isfinite(f.ppf(0.5)):
            raise ValueError(f"{name} has invalid parameters ({f.args}, {f.kwds})")
        return f.logpdf, f
    if not callable(f):
        raise ValueError(f"{name} must be a frozen scipy.stats distribution or a callable density, got {f!r}")
    if log:
        return (lambda t: _evaluate(f, t, name, True)), None

    def lf(t):
        with np.errstate(divide="ignore"):
            return np.log(_evaluate(f, t, name, False))

    return lf, None


#: a scan for the mass of densities given by callables over wide or infinite bounds
_SCAN = np.unique(np.r_[-np.geomspace(1e-3, 1e8, 3000), np.linspace(-1e3, 1e3, 20001), np.geomspace(1e-3, 1e8, 3000)])


def _mass_range(lp, lq, frozen, lo: float, hi: float) -> tuple[float, float]:
    """A finite range inside [lo, hi] that holds the mass of both densities (see the module)."""
    if all(f is not None for f in frozen):
        a = min(f.ppf(1e-15) for f in frozen)
        b = max(f.isf(1e-15) for f in frozen)
        return max(lo, a), min(hi, b)
    grid = _SCAN[(_SCAN > lo) & (_SCAN < hi)]
    grid = np.unique(np.r_[grid, [v for v in (lo, hi) if np.isfinite(v)],
                           [f.ppf(u) for f in frozen if f is not None for u in (1e-15, 0.5, 1 - 1e-15)]])
    with np.errstate(invalid="ignore"):
        level = np.maximum(lp(grid), lq(grid))
    if not np.isfinite(level).any():
        raise ValueError("p and q: no mass found on a scan of the bounds; give bounds around the mass")
    keep = np.flatnonzero(level >= np.nanmax(level[np.isfinite(level)]) - 50)
    i0, i1 = max(keep[0] - 1, 0), min(keep[-1] + 1, len(grid) - 1)
    return max(lo, grid[i0]), min(hi, grid[i1])


def _check_mass(lf, name: str, a: float, b: float, points) -> None:
    from scipy import integrate

    mass = integrate.quad(lambda t: float(np.exp(lf(np.array([t]))[0])), a, b, points=points,
                          epsabs=1e-13, epsrel=1e-10, limit=1000)[0]
    if abs(mass - 1.0) > 1e-3:
        raise ValueError(f"{name} integrates to {mass:.6g} over [{a:.6g}, {b:.6g}]: the bounds miss its mass, "
                         "or it is not a normalised density")
    if abs(mass - 1.0) > 1e-7:
        warnings.warn(f"{name} integrates to {mass:.10g} over [{a:.6g}, {b:.6g}], not 1: the result is off by "
                      "about as much", RuntimeWarning, stacklevel=3)


def _density_divergence(
    p,
    q,
    bounds=None,
    divergence: str = "tv",
    *,
    log: bool = False,
    points=None,
    grid: int = 801,
) -> float:
    """Integrate ``divergence`` (one of "tv", "kl", "js") between densities p and q: the engine of
    :func:`tv_density`, :func:`kl_density` and :func:`js_density`, whose docstring says the rest."""
    from scipy import integrate

    check_choice(divergence, "divergence", _DIVERGENCES)
    # checked whatever the dimension (grid is used in 2-D only, points in 1-D only): a bad value is a mistake
    n = check_positive(grid, "grid", integer=True, minimum=3) | 1
    if points is not None:
        points = real_array(points, "points").reshape(-1)
    lp, fp = _log_density(p, "p", log)
    lq, fq = _log_density(q, "q", log)
    if bounds is None:
        if fp is None and fq is None:
            raise ValueError("bounds are required for densities given as callables")
        bounds = (-np.inf, np.inf)
    dim, rows = _check_bounds(bounds)
    if dim == 1:
        a, b = _mass_range(lp, lq, (fp, fq), *rows[0])
        if not b > a:
            raise ValueError(f"bounds {bounds!r} hold no mass of p or q")
        pts = _breakpoints(lp, lq, a, b, points)
        for lf, name in ((lp, "p"), (lq, "q")):
            _check_mass(lf, name, a, b, pts)
        if divergence == "kl":
            probe = np.linspace(a, b, 20001)
            mass = _kl_infinite_mass(lp(probe), lq(probe), probe[1] - probe[0])
            if mass > KL_INF_MASS:
                if fq is None and not log:
                    warnings.warn(f"q is 0 where p has mass {mass:.3g}: KL is +inf if q is truly 0 there; if q "
                                  "only underflows, pass log-densities (log=True) or the frozen scipy.stats law",
                                  RuntimeWarning, stacklevel=2)
                return float("inf")

        def f(t: float) -> float:
            return float(_integrand(divergence, lp(np.array([t])), lq(np.array([t])))[0])

        value = integrate.quad(f, a, b, points=pts, epsabs=1e-12, epsrel=1e-10, limit=1000)[0]
    else:
        xs, ys = np.linspace(*rows[0], n), np.linspace(*rows[1], n)
        X, Y = np.meshgrid(xs, ys, indexing="ij")
        pts2 = np.column_stack([X.ravel(), Y.ravel()])
        vp, vq = lp(pts2), lq(pts2)
        if divergence == "kl" and _kl_infinite_mass(vp, vq, (xs[1] - xs[0]) * (ys[1] - ys[0])) > KL_INF_MASS:
            return float("inf")
        vals = _integrand(divergence, vp, vq).reshape(n, n)
        value = integrate.simpson(integrate.simpson(vals, x=ys, axis=1), x=xs)
    upper = {"js": _LN2, "tv": 1.0, "kl": np.inf}[divergence]
    return float(min(max(value, 0.0), upper))


_PARAMETERS = """
    Parameters
    ----------
    p, q : frozen scipy.stats distribution, or callable
        Laws (their ``logpdf`` is used) or vectorised densities (log-densities when ``log``).
    bounds : (lo, hi) or ((x0, x1), (y0, y1)), optional
        Integration domain holding both supports (1-D ends may be infinite); by default, in
        1-D, the whole line (frozen laws only).
    log : bool
        Whether callables return log-densities.
    points : sequence of float, optional
        1-D only: extra breakpoints for the adaptive quadrature (support ends, bumps).
    grid : int
        2-D only: lattice points per axis (made odd for Simpson's rule), at least 3.

    Returns
    -------
    float
"""


def tv_density(p, q, bounds=None, *, log: bool = False, points=None, grid: int = 801) -> float:
    r"""TV distance :math:`\frac12\int|p - q|` between two densities, in [0, 1] (see the module
    docstring for the quadrature).
    {parameters}
    Examples
    --------
    >>> from scipy import stats
    >>> round(tv_density(stats.norm(0, 1), stats.norm(1, 1)), 8)   # 2 Phi(1/2) - 1
    0.38292492
    """
    return _density_divergence(p, q, bounds, "tv", log=log, points=points, grid=grid)


def kl_density(p, q, bounds=None, *, log: bool = False, points=None, grid: int = 801) -> float:
    r"""KL(p || q) :math:`= \int p\ln(p/q)` in nats between two densities; ``inf`` if P has mass
    where q = 0 (see the module docstring).
    {parameters}
    Examples
    --------
    >>> from scipy import stats
    >>> round(kl_density(stats.norm(0, 2), stats.norm(0, 0.25)), 4)   # tails of 1e-6 matter
    29.4206
    """
    return _density_divergence(p, q, bounds, "kl", log=log, points=points, grid=grid)


def js_density(p, q, bounds=None, *, log: bool = False, points=None, grid: int = 801) -> float:
    r"""JS divergence (with the 1/2, nats) between two densities, in [0, ln 2] (see the module
    docstring).
    {parameters}
    Examples
    --------
    >>> from scipy import stats
    >>> import math
    >>> abs(js_density(stats.uniform(0, 1), stats.uniform(2, 1)) - math.log(2)) < 1e-12   # disjoint
    True
    """
    return _density_divergence(p, q, bounds, "js", log=log, points=points, grid=grid)


for _f in (tv_density, kl_density, js_density):
    _f.__doc__ = _f.__doc__.replace("{parameters}", _PARAMETERS.strip())
