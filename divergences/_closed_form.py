r"""Closed forms (or exact 1-D integrals) of the divergences between known distributions.

These are the ground truth that the sample estimators and exact OT are tested against:
KL and W2 between Gaussians, W1 between 1-D Gaussians (folded normal), W_p between any two 1-D
``scipy.stats`` laws (W1 as :math:`\int |F - G|`), TV between 1-D Gaussians (from the two
density crossings), MMD^2 between Gaussians under the Gaussian kernel, and the Frechet distance
of two sample sets.

One convention, said by the name's input kind and the argument names:

* ``*_gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)``: 1-D Gaussians by mean and **standard
  deviation**, as scipy's ``loc`` and ``scale`` (``stats.norm(mu, sigma)``,
  ``torch.distributions.Normal``);
* ``*_gaussian(mean_p, cov_p, mean_q, cov_q)``: Gaussians in d dimensions by mean vector (d,) and
  **covariance matrix** (d, d). A bare number is refused as a covariance (is it a variance or a
  standard deviation?): the message points to the ``_gaussian_1d`` function;
* ``*_laws(p, q)``: frozen 1-D ``scipy.stats`` laws.

The 1-D forms are computed in standardised units (gaps and ratios of the parameters, never their
squares), so any finite parameters give a value: one beyond the float range is ``inf`` (KL), or
the limit the float range cannot tell from it (TV = 1), never an ``OverflowError``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._densities import crossings
from ._validation import as_samples, as_weights, check_positive, check_scalar, number, numpy_only, peer_names, real_array


def _gaussian(mean, cov, side: str, function: str, definite: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Validate a Gaussian's mean (d,) and covariance matrix (d, d); ``side`` is "p" or "q".

    ``definite``: the covariance must be positive definite (KL needs its inverse); otherwise
    positive semi-definite up to rounding is enough (W2 of degenerate Gaussians is finite)."""
    mname, cname = f"mean_{side}", f"cov_{side}"
    mu = np.atleast_1d(real_array(numpy_only(mean, mname, function), mname))
    S = real_array(numpy_only(cov, cname, function), cname)
    if S.ndim != 2:
        raise ValueError(f"{cname} must be a (d, d) covariance matrix, got shape {S.shape}; for 1-D "
                         f"Gaussians by mean and standard deviation use {function}_1d(mu_p, sigma_p, mu_q, sigma_q)")
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError(f"{mname} must have shape (d,) with d >= 1, got {mu.shape}")
    if S.shape != (mu.size, mu.size):
        raise ValueError(f"{cname} must have shape ({mu.size}, {mu.size}) to match {mname}, got {S.shape}")
    for name, a in ((mname, mu), (cname, S)):
        if not np.isfinite(a).all():
            raise ValueError(f"{name} contains NaN or inf")
    if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(S).max())):
        raise ValueError(f"{cname} must be symmetric")
    ev = np.linalg.eigvalsh(S)
    if definite and not ev.min() > 1e-14 * max(1.0, abs(ev).max()):
        raise ValueError(f"{cname} must be positive definite (smallest eigenvalue {ev.min():.3g})")
    if ev.min() < -1e-8 * max(1.0, abs(ev).max()):
        raise ValueError(f"{cname} must be positive semi-definite (eigenvalue {ev.min():.3g})")
    return mu, S


def _pair(mean_p, cov_p, mean_q, cov_q, function: str, definite: bool = True):
    mp, Sp = _gaussian(mean_p, cov_p, "p", function, definite)
    mq, Sq = _gaussian(mean_q, cov_q, "q", function, definite)
    if mp.size != mq.size:
        raise ValueError(f"mean_p and mean_q must have the same dimension, got {mp.size} and {mq.size}")
    return mp, Sp, mq, Sq


def _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q) -> tuple[float, float, float, float]:
    return (check_scalar(mu_p, "mu_p"), check_positive(sigma_p, "sigma_p"), check_scalar(mu_q, "mu_q"),
            check_positive(sigma_q, "sigma_q"))


def _closed_order(order) -> int:
    """The order of a closed-form W_p between Gaussians: 1 or 2 (2.0 too), through the one gate."""
    v = number(order, "order")
    if v not in (1.0, 2.0):
        raise ValueError(f"order must be 1 or 2 (the orders with a closed form), got {order!r}")
    return int(v)


def _gap(mu_p: float, mu_q: float, scale: float) -> float:
    """(mu_p - mu_q) / scale without a spurious overflow: when the difference itself overflows
    (means near 1e308 of opposite signs), the two quotients are subtracted instead (they have
    opposite signs, so this cannot cancel to NaN). The result may be +-inf: a true value."""
    d = mu_p - mu_q
    return d / scale if math.isfinite(d) else mu_p / scale - mu_q / scale


def _log_ratio(a: float, b: float) -> float:
    """ln(a / b) for positive normal floats, also where a / b overflows or underflows."""
    r = a / b
    return math.log(r) if 0.0 < r < math.inf else math.log(a) - math.log(b)


def kl_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> float:
    r"""KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2)) in nats; sigma is the standard deviation.

    .. math:: \ln\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12

    Equals ``torch.distributions.kl_divergence(Normal(mu_p, sigma_p), Normal(mu_q, sigma_q))``.
    Computed from :math:`\sigma_p/\sigma_q` and :math:`(\mu_p - \mu_q)/\sigma_q`: ``inf`` when
    the value is beyond the float range.

    Examples
    --------
    >>> round(kl_gaussian_1d(0.0, 1.0, 1.0, 2.0), 6)   # as torch's Normal(0, 1) || Normal(1, 2)
    0.443147
    """
    mp, sp, mq, sq = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    r, g = sp / sq, _gap(mp, mq, sq)
    return float(max(0.0, _log_ratio(sq, sp) + 0.5 * (r * r + g * g) - 0.5))


def kl_gaussian(mean_p: ArrayLike, cov_p: ArrayLike, mean_q: ArrayLike, cov_q: ArrayLike) -> float:
    r"""KL(N(mean_p, cov_p) || N(mean_q, cov_q)) in nats, for d-dimensional Gaussians.

    .. math:: \tfrac12\Big[\operatorname{tr}(S_q^{-1} S_p) + (\mu_q-\mu_p)^T S_q^{-1}
              (\mu_q-\mu_p) - d + \ln\frac{\det S_q}{\det S_p}\Big]

    Computed with Cholesky factors (no explicit inverse). Covariances are (d, d) matrices; for
    1-D Gaussians by standard deviation see :func:`kl_gaussian_1d`.

    Examples
    --------
    >>> round(kl_gaussian([0.0, 0.0], np.eye(2), [1.0, 0.0], np.eye(2)), 12)
    0.5
    """
    from scipy.linalg import cho_factor, cho_solve

    mp, Sp, mq, Sq = _pair(mean_p, cov_p, mean_q, cov_q, "kl_gaussian")
    cq = cho_factor(Sq, lower=True)
    d = mp.size
    delta = mq - mp
    trace = np.trace(cho_solve(cq, Sp))
    maha = delta @ cho_solve(cq, delta)
    logdet_q = 2.0 * np.log(np.diag(cq[0])).sum()
    logdet_p = 2.0 * np.log(np.diag(np.linalg.cholesky(Sp))).sum()
    return float(max(0.0, 0.5 * (trace + maha - d + logdet_q - logdet_p)))


@peer_names(p="order")
def wasserstein_gaussian(
    mean_p: ArrayLike, cov_p: ArrayLike, mean_q: ArrayLike, cov_q: ArrayLike, *, order: int
) -> float:
    r"""Wasserstein distance W_p between two d-dimensional Gaussians: W2 by the Bures-Wasserstein
    formula in any d (``order=2``), W1 in d = 1 (``order=1``, the folded normal).

    .. math:: W_2^2 = \|\mu_p - \mu_q\|^2 + \operatorname{tr}\big(S_p + S_q
              - 2 (S_p^{1/2} S_q S_p^{1/2})^{1/2}\big)

    The order has no default: W1 between Gaussians has a closed form in d = 1 only, so a default
    of 1 (as :func:`wasserstein`'s) would fail in d > 1 and a default of 2 would be a different
    number from :func:`wasserstein`'s default: say which.

    Covariances may be singular (positive semi-definite): the matrix square roots are taken
    by symmetric eigendecomposition with rounding-negative eigenvalues set to 0. (POT's
    ``ot.gaussian.bures_wasserstein_distance(m_p, m_q, C_p, C_q)``, note its argument order, agrees
    on definite covariances to 1e-12 but returns NaN as soon as an eigenvalue rounds below 0, as
    it does for the covariance of features with a dead unit.) Returns W_p, not W_p^p: W2 here is
    the square root of :func:`frechet_distance` of the same Gaussians. :math:`W_1 \le W_2`
    always, with equality for a pure translation.

    Parameters
    ----------
    mean_p, mean_q : array_like, shape (d,)
    cov_p, cov_q : array_like, shape (d, d)
        Covariance matrices (PSD). For 1-D Gaussians by standard deviation see
        :func:`wasserstein_gaussian_1d`.
    order : {1, 2}
        2: W2 (any d); 1: W1 (d = 1 only).

    Returns
    -------
    float

    Examples
    --------
    >>> wasserstein_gaussian([0, 0], np.eye(2), [3, 4], np.eye(2), order=2)
    5.0
    """
    mp, Sp, mq, Sq = _pair(mean_p, cov_p, mean_q, cov_q, "wasserstein_gaussian", definite=False)
    order = _closed_order(order)
    if order == 1:
        if mp.size != 1:
            raise ValueError(f"order=1 has a closed form between Gaussians in d = 1 only (here d = {mp.size}); "
                             "use order=2, or wasserstein() on samples")
        sp, sq = math.sqrt(Sp[0, 0]), math.sqrt(Sq[0, 0])
        return _w1_gaussian_1d(float(mp[0]), sp, float(mq[0]), sq)
    return math.sqrt(_w2_squared(mp, Sp, mq, Sq))


def _w1_gaussian_1d(mp: float, sp: float, mq: float, sq: float) -> float:
    """The folded-normal W1 (see :func:`wasserstein_gaussian_1d`); standard deviations may be 0."""
    dmu, ds = mp - mq, abs(sp - sq)
    if ds == 0.0 or not math.isfinite(dmu):
        return abs(dmu)
    z = dmu / ds
    return float(ds * math.sqrt(2.0 / math.pi) * math.exp(-0.5 * z * z) + dmu * math.erf(z / math.sqrt(2.0)))


@peer_names(p="order")
def wasserstein_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float, *, order: int) -> float:
    r"""Exact W1 (``order=1``) or W2 (``order=2``) between N(mu_p, sigma_p^2) and N(mu_q, sigma_q^2)
    on the real line (sigma: standard deviations).

    The quantile coupling gives :math:`W_p = (E|\Delta\mu + \Delta\sigma Z|^p)^{1/p}`, Z ~ N(0, 1),
    with :math:`\Delta\mu = \mu_p - \mu_q`, :math:`\Delta\sigma = \sigma_p - \sigma_q`:

    .. math:: W_1 = |\Delta\sigma|\sqrt{2/\pi}\, e^{-\Delta\mu^2 / (2\Delta\sigma^2)}
              + \Delta\mu\, \operatorname{erf}\big(\Delta\mu / (\sqrt2 |\Delta\sigma|)\big)
              \quad\text{(the mean of a folded normal)},\qquad
              W_2 = \sqrt{\Delta\mu^2 + \Delta\sigma^2}

    (and :math:`W_1 = |\Delta\mu|` when the scales are equal). The order has no default, as in
    :func:`wasserstein_gaussian`.

    Examples
    --------
    >>> wasserstein_gaussian_1d(0.0, 1.0, 3.0, 1.0, order=1)
    3.0
    >>> wasserstein_gaussian_1d(0.0, 1.0, 3.0, 5.0, order=2)
    5.0
    """
    mp, sp, mq, sq = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    order = _closed_order(order)
    if order == 2:
        return float(math.hypot(mp - mq, sp - sq))
    return _w1_gaussian_1d(mp, sp, mq, sq)


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    """Symmetric square root of a PSD matrix; eigenvalues below 0 (rounding) are set to 0."""
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def _w2_squared(mp, Sp, mq, Sq) -> float:
    """||mp - mq||^2 + tr(Sp + Sq - 2 (Sp^1/2 Sq Sp^1/2)^1/2), >= 0."""
    r = _sqrt_psd(Sp)
    M = r @ Sq @ r
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(0.5 * (M + M.T)), 0.0, None)).sum()
    bures = max(float(np.trace(Sp) + np.trace(Sq) - 2.0 * cross), 0.0)
    return float(np.sum((mp - mq) ** 2)) + bures


def _fit(s: np.ndarray, w) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of samples ``s`` (n, d) with weights ``w`` (None: uniform, divisor n - 1;
    else numpy's reliability-weighted unbiased covariance, which reduces to it)."""
    if w is None:
        return s.mean(0), np.atleast_2d(np.cov(s, rowvar=False))
    return w @ s, np.atleast_2d(np.cov(s, rowvar=False, aweights=w))


def _statistics(x) -> bool:
    """Whether ``x`` is a (mean, cov) pair rather than samples: a tuple of two whose second item
    is a matrix (samples given as a tuple of two rows have a vector there)."""
    return isinstance(x, tuple) and len(x) == 2 and np.ndim(x[1]) == 2


def frechet_distance(x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None) -> float:
    r"""Frechet distance between two sample sets: the squared W2 between their Gaussian fits.

    .. math:: FD = \|\mu_x - \mu_y\|^2 + \operatorname{tr}\big(\Sigma_x + \Sigma_y
              - 2(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2})^{1/2}\big)

    with the sample means and the sample covariances (``np.cov``, divisor n - 1). This is FID's
    formula (Heusel et al. 2017), on whatever features are given: Inception pool3 features for
    FID, a classifier's penultimate features for MNIST (:mod:`gan.quality`). It is squared, as
    FID is reported (the one squared quantity whose name has no "2": the field's name for this
    number), and biased upward at small n (its expectation between two samples of one law is
    > 0): compare values at equal sample sizes, against a real-versus-real floor.

    Either side may instead be given as its Gaussian's statistics, a tuple ``(mu, sigma)`` of the
    mean (d,) and the covariance matrix (d, d), as pytorch-fid stores them (``.npz`` with ``mu``
    and ``sigma``; its ``calculate_frechet_distance(mu1, sigma1, mu2, sigma2)`` is this formula).

    Parameters
    ----------
    x : array_like, shape (n, d), or tuple (mu, sigma)
    y : array_like, shape (m, d), or tuple (mu, sigma)
        At least 2 samples each; n, m may be smaller than d (singular covariances are fine).
    a, b : array_like, optional
        Non-negative sample weights (weighted mean, and numpy's weighted unbiased covariance);
        uniform when None.

    Returns
    -------
    float
        FD >= 0. Equals :func:`wasserstein_gaussian` (``order=2``) squared of the fitted Gaussians.

    References
    ----------
    Heusel, Ramsauer, Unterthiner, Nessler, Hochreiter (2017), GANs trained by a two
    time-scale update rule converge to a local Nash equilibrium, eq. (6).
    Dowson, Landau (1982), The Frechet distance between multivariate normal distributions.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(4000, 2))
    >>> round(frechet_distance(x, x + [3.0, 4.0]), 6)   # a translation: ||shift||^2
    25.0
    >>> round(frechet_distance(x, (x.mean(0) + [3.0, 4.0], np.cov(x.T))), 6)   # one side as (mu, sigma)
    25.0
    """
    f = "frechet_distance"
    fits = []
    for name, s, wname, w in (("x", x, "a", a), ("y", y, "b", b)):
        if _statistics(s):
            if w is not None:
                raise ValueError(f"{wname}: weights go with samples, but {name} is given as (mu, sigma)")
            fits.append(_gaussian(*(numpy_only(v, name, f) for v in s), name, f, definite=False))
            continue
        s = as_samples(numpy_only(s, name, f), name)
        if s.shape[0] < 2:
            raise ValueError(f"{name} needs at least 2 samples to fit a covariance, got {s.shape[0]}")
        if w is not None:
            w = as_weights(numpy_only(w, wname, f), s.shape[0], wname)
            if np.count_nonzero(w) < 2:
                raise ValueError(f"{wname} puts weight on fewer than 2 samples: a covariance needs 2")
        fits.append(_fit(s, w))
    (mx, Sx), (my, Sy) = fits
    if mx.size != my.size:
        raise ValueError(f"x and y must have the same dimension: x has d = {mx.size}, y has d = {my.size}")
    return _w2_squared(mx, Sx, my, Sy)


def _frozen_1d(dist, name: str, order: float | None = None):
    """A frozen 1-D scipy.stats law with valid parameters (and, given ``order``, a finite moment of
    order ceil(order))."""
    if not (hasattr(dist, "cdf") and hasattr(dist, "ppf") and hasattr(dist, "support")):
        raise ValueError(f"{name} must be a frozen 1-D scipy.stats distribution, got {dist!r}")
    lo, hi = dist.support()
    if np.isnan(lo) or np.isnan(hi) or not np.isfinite(dist.ppf(0.5)):
        raise ValueError(f"{name} has invalid parameters ({dist.args}, {dist.kwds})")
    if order is not None:
        k = math.ceil(order)
        with np.errstate(all="ignore"):
            moment = dist.mean() if k == 1 else dist.moment(k)
        if not np.isfinite(moment):
            what = "first moment" if k == 1 else f"moment of order {k}"
            raise ValueError(f"{name} has no finite {what} ({moment}): W_p is defined between laws with a "
                             f"finite moment of order p (a Cauchy law has none)")
    return dist


def _jumps(law, cdf, most: int = 300) -> np.ndarray:
    """The levels where a discrete law's quantile function jumps (``cdf``, its CDF or survival
    function, at the support points of the central range), so that the quadrature sees a constant
    on each piece; none for a continuous law or a central range of more than ``most`` points."""
    if not hasattr(law.dist, "pmf"):
        return np.empty(0)
    a, b = law.ppf(1e-12), law.isf(1e-12)
    if not (np.isfinite(a) and np.isfinite(b)) or b - a > most:
        return np.empty(0)
    return cdf(np.arange(a, b + 1))


#: quantile levels that split the quadratures of :func:`wasserstein_laws` (the tails apart)
_LEVELS = [1e-9, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 1 - 1e-3, 1 - 1e-9]


def wasserstein_laws(p, q, *, order: float = 1.0, tol: float = 1e-10) -> float:
    r"""Wasserstein distance W_p between two 1-D laws, by quadrature of their CDFs (p = 1) or
    quantile functions (p > 1).

    .. math:: W_1(P, Q) = \int_{-\infty}^{\infty} |F_P(t) - F_Q(t)|\, dt, \qquad
              W_p(P, Q)^p = \int_0^1 |F_P^{-1}(u) - F_Q^{-1}(u)|^p\, du

    By adaptive quadrature (``scipy.integrate.quad``), with breakpoints at quantiles of both
    laws, where the two functions cross and where a discrete law's quantile function jumps, and
    the tails integrated apart; for p > 1 the upper half as :math:`\int_0^{1/2}
    |\bar F_P^{-1}(s) - \bar F_Q^{-1}(s)|^p ds` with the survival functions' inverses (``isf``),
    so that both tails are integrated where floats are dense.

    Parameters
    ----------
    p, q : frozen scipy.stats distributions (continuous or discrete), e.g. ``stats.norm(0, 1)``,
        with a finite moment of order ceil(order) (W_p is defined on laws with a p-th moment; a
        Cauchy law is refused: the quadrature would return a truncated, finite and wrong number).
    order : float
        The order p >= 1.
    tol : float
        Absolute and relative tolerance of the quadrature.

    Returns
    -------
    float
        W_p (not W_p^p).

    Examples
    --------
    >>> from scipy import stats
    >>> round(wasserstein_laws(stats.norm(0, 1), stats.norm(2, 1)), 8)
    2.0
    >>> round(wasserstein_laws(stats.norm(0, 1), stats.norm(1, 2), order=2), 8)   # sqrt(1 + 1)
    1.41421356
    """
    from ._wasserstein import _check_order

    order = _check_order(order)
    from scipy import integrate

    p, q = _frozen_1d(p, "p", order), _frozen_1d(q, "q", order)
    tol = check_positive(tol, "tol")
    kw = dict(epsabs=tol, epsrel=tol, limit=500)
    if order == 1:
        gap = lambda t: abs(float(p.cdf(t)) - float(q.cdf(t)))  # noqa: E731
        points = np.unique(np.concatenate([p.ppf(_LEVELS), q.ppf(_LEVELS)]))
        points = points[np.isfinite(points)]
        lo, hi = points[0], points[-1]
        if hi > lo:  # the kinks of |F - G|, where the CDFs cross, become breakpoints
            points = np.unique(np.r_[points, crossings(lambda t: p.cdf(t) - q.cdf(t), lo, hi)])
        core = integrate.quad(gap, lo, hi, points=points[1:-1], **kw)[0] if hi > lo else 0.0
        s_lo = min(p.support()[0], q.support()[0])
        s_hi = max(p.support()[1], q.support()[1])
        left = integrate.quad(gap, s_lo, lo, **kw)[0] if s_lo < lo else 0.0
        right = integrate.quad(gap, hi, s_hi, **kw)[0] if s_hi > hi else 0.0
        return float(core + left + right)
    # the quantile integral in two halves, each from its tail end at 0, where floats are dense:
    # ppf on (0, 1/2] and isf (the upper quantiles, isf(s) = ppf(1 - s)) on (0, 1/2]
    lower = _quantile_half(p.ppf, q.ppf, order, np.r_[_jumps(p, p.cdf), _jumps(q, q.cdf)], kw)
    upper = _quantile_half(p.isf, q.isf, order, np.r_[_jumps(p, p.sf), _jumps(q, q.sf)], kw)
    return float((lower + upper) ** (1.0 / order))


def _quantile_half(qp, qq, order: float, jumps, kw) -> float:
    r""":math:`\int_0^{1/2} |q_P(u) - q_Q(u)|^p\, du` for two quantile functions, with breakpoints at
    levels, at their crossings and at the jumps of discrete laws; the tail (0, 1e-9) apart."""
    from scipy import integrate

    power = lambda u: abs(float(qp(u)) - float(qq(u))) ** order  # noqa: E731
    lo, hi = _LEVELS[0], 0.5
    points = np.unique(np.r_[_LEVELS, crossings(lambda u: qp(u) - qq(u), lo, hi), jumps])
    points = points[(points > lo) & (points < hi)]
    return integrate.quad(power, lo, hi, points=points, **kw)[0] + integrate.quad(power, 0.0, lo, **kw)[0]


def tv_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> float:
    r"""Exact TV distance between two 1-D Gaussians (sigma: standard deviations).

    :math:`\delta = P(A) - Q(A)` with :math:`A = \{p > q\}`. TV is symmetric: let Q be the
    narrower law. In its units (P becomes
    :math:`N(g, r^2)` with :math:`g = (\mu_p - \mu_q)/\sigma_q`, :math:`r = \sigma_p/\sigma_q`)
    the log density ratio is the quadratic :math:`(r^2 - 1) t^2 + 2 g t - g^2 - 2 r^2 \ln r`
    (times :math:`1/2r^2`), whose two real roots (one when the scales are equal) bound A; the
    probabilities are normal CDFs. For equal scales :math:`\delta = \operatorname{erf}(|g| / 2\sqrt2)`.
    When :math:`r \ge 1` or :math:`|g|` is beyond 1e150 the quadratic's coefficients overflow;
    TV is then 1 to double precision (the two laws' masses are apart by more than 1e150 of the narrower
    one's scale), and 1.0 is returned.

    Examples
    --------
    >>> round(tv_gaussian_1d(0, 1, 0, 1), 12)
    0.0
    >>> tv_gaussian_1d(1e308, 1, 1, 2)
    1.0
    """
    mp, sp, mq, sq = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    if sp < sq:  # TV is symmetric: in units of the narrower law, r >= 1 (no underflow below)
        mp, sp, mq, sq = mq, sq, mp, sp
    g, r = _gap(mp, mq, sq), sp / sq
    if sp == sq:
        return float(math.erf(abs(g) / (2.0 * math.sqrt(2.0))))
    A, B = r * r - 1.0, 2.0 * g
    inner = g * g + 2.0 * A * _log_ratio(sp, sq)  # >= 0: (r^2 - 1) ln r >= 0
    if not (math.isfinite(A) and math.isfinite(inner) and A > 0.0):
        return 1.0
    from scipy.special import ndtr

    root = math.sqrt(inner) * r  # the discriminant's root, halved
    qq = -(0.5 * B + math.copysign(root, B))  # roots q / A and C / q, without cancellation
    C = -(g * g + 2.0 * r * r * _log_ratio(sp, sq))
    t1, t2 = sorted((qq / A, C / qq)) if qq != 0.0 else (-root / abs(A), root / abs(A))
    inside = (ndtr((t2 - g) / r) - ndtr((t1 - g) / r)) - (ndtr(t2) - ndtr(t1))  # P(A) - Q(A), A = (t1, t2)
    return float(min(1.0, abs(inside)))  # r > 1: A is the outside, and P(out) - Q(out) = -inside


def mmd2_gaussian(
    mean_p: ArrayLike, cov_p: ArrayLike, mean_q: ArrayLike, cov_q: ArrayLike, bandwidth: float
) -> float:
    r"""MMD^2 between two Gaussians under the Gaussian kernel of bandwidth h.

    With :math:`k(x, y) = e^{-\|x-y\|^2/(2h^2)}` and independent X ~ N(mu_1, S_1),
    Y ~ N(mu_2, S_2), X - Y ~ N(delta, S) with S = S_1 + S_2, and

    .. math:: E\,k(X, Y) = \det(I + S/h^2)^{-1/2}
              \exp\!\big(-\tfrac12 \delta^T (S + h^2 I)^{-1} \delta\big),

    so :math:`MMD^2 = e(0, 2S_p) + e(0, 2S_q) - 2 e(\mu_p - \mu_q, S_p + S_q)`. Covariances are
    (d, d) matrices (PSD); for 1-D Gaussians by standard deviation see :func:`mmd2_gaussian_1d`.
    """
    mp, Sp, mq, Sq = _pair(mean_p, cov_p, mean_q, cov_q, "mmd2_gaussian", definite=False)
    h = check_positive(bandwidth, "bandwidth")
    eye = np.eye(mp.size)

    def expected_kernel(delta, S):
        # in units of the bandwidth (h * h could overflow)
        S, delta = S / h / h, delta / h
        _, logdet = np.linalg.slogdet(eye + S)
        return math.exp(-0.5 * logdet - 0.5 * delta @ np.linalg.solve(S + eye, delta))

    zero = np.zeros_like(mp)
    value = expected_kernel(zero, 2 * Sp) + expected_kernel(zero, 2 * Sq) - 2 * expected_kernel(
        mp - mq, Sp + Sq
    )
    return float(max(value, 0.0))


def mmd2_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float, bandwidth: float) -> float:
    r"""MMD^2 between N(mu_p, sigma_p^2) and N(mu_q, sigma_q^2) (standard deviations) under the
    Gaussian kernel of bandwidth h: :func:`mmd2_gaussian` in d = 1,

    .. math:: \frac{h}{\sqrt{h^2 + 2\sigma_p^2}} + \frac{h}{\sqrt{h^2 + 2\sigma_q^2}}
              - \frac{2h}{\sqrt{h^2 + \sigma_p^2 + \sigma_q^2}}
              \exp\Big(-\frac{(\mu_p - \mu_q)^2}{2(h^2 + \sigma_p^2 + \sigma_q^2)}\Big),

    computed with ``math.hypot`` (any finite parameters give a value).

    Examples
    --------
    >>> mmd2_gaussian_1d(0.0, 1.0, 0.0, 1.0, 1.0)
    0.0
    """
    mp, sp, mq, sq = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    h = check_positive(bandwidth, "bandwidth")
    r2 = math.sqrt(2.0)
    s = math.hypot(h, sp, sq)  # hypot: no overflow or underflow of the squares
    z = _gap(mp, mq, s)
    value = h / math.hypot(h, r2 * sp) + h / math.hypot(h, r2 * sq) - 2.0 * (h / s) * math.exp(-0.5 * z * z)
    return float(max(value, 0.0))
