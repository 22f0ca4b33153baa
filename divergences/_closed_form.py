r"""Closed forms (or exact 1-D integrals) of the divergences between known distributions.

These are the ground truth that the sample estimators and exact OT are tested against:
KL and W2 between Gaussians, W1 between 1-D Gaussians (folded normal), W1 between any two 1-D
``scipy.stats`` distributions as :math:`\int |F - G|`, TV between 1-D Gaussians (from the two
density crossings), MMD^2 between Gaussians under the Gaussian kernel, and the Frechet distance
of two sample sets.

One convention, said by the argument names:

* ``*_1d(mu_p, sigma_p, mu_q, sigma_q)``: 1-D Gaussians by mean and **standard deviation**, as
  scipy's ``loc`` and ``scale`` (``stats.norm(mu, sigma)``, ``torch.distributions.Normal``);
* ``(mean_p, cov_p, mean_q, cov_q)``: Gaussians in d dimensions by mean vector (d,) and
  **covariance matrix** (d, d). A bare number is refused as a covariance (is it a variance or a
  standard deviation?): the message points to the ``_1d`` function.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, stats
from scipy.linalg import cho_factor, cho_solve

from ._densities import crossings
from ._validation import check_positive, check_scalar, numpy_only, real_array, sample_pair


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


def kl_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> float:
    r"""KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2)) in nats; sigma is the standard deviation.

    .. math:: \ln\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12

    Equals ``torch.distributions.kl_divergence(Normal(mu_p, sigma_p), Normal(mu_q, sigma_q))``.

    Examples
    --------
    >>> round(kl_gaussian_1d(0.0, 1.0, 1.0, 2.0), 6)   # as torch's Normal(0, 1) || Normal(1, 2)
    0.443147
    """
    mp, sp, mq, sq = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    return float(max(0.0, math.log(sq / sp) + (sp * sp + (mp - mq) ** 2) / (2 * sq * sq) - 0.5))


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
    mp, Sp, mq, Sq = _pair(mean_p, cov_p, mean_q, cov_q, "kl_gaussian")
    cq = cho_factor(Sq, lower=True)
    d = mp.size
    delta = mq - mp
    trace = np.trace(cho_solve(cq, Sp))
    maha = delta @ cho_solve(cq, delta)
    logdet_q = 2.0 * np.log(np.diag(cq[0])).sum()
    logdet_p = 2.0 * np.log(np.diag(np.linalg.cholesky(Sp))).sum()
    return float(max(0.0, 0.5 * (trace + maha - d + logdet_q - logdet_p)))


def w2_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> float:
    r"""Wasserstein-2 distance between N(mu_p, sigma_p^2) and N(mu_q, sigma_q^2):
    :math:`\sqrt{(\mu_p - \mu_q)^2 + (\sigma_p - \sigma_q)^2}` (sigma: standard deviations).

    Examples
    --------
    >>> w2_gaussian_1d(0.0, 1.0, 3.0, 5.0)
    5.0
    """
    mp, sp, mq, sq = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    return float(math.hypot(mp - mq, sp - sq))


def w2_gaussian(mean_p: ArrayLike, cov_p: ArrayLike, mean_q: ArrayLike, cov_q: ArrayLike) -> float:
    r"""Wasserstein-2 distance between two d-dimensional Gaussians (the Bures-Wasserstein formula).

    .. math:: W_2^2 = \|\mu_p - \mu_q\|^2 + \operatorname{tr}\big(S_p + S_q
              - 2 (S_p^{1/2} S_q S_p^{1/2})^{1/2}\big)

    Covariances may be singular (positive semi-definite): the matrix square roots are taken
    by symmetric eigendecomposition with rounding-negative eigenvalues set to 0. (POT's
    ``ot.gaussian.bures_wasserstein_distance``, which agrees on definite covariances to 1e-12,
    returns NaN as soon as an eigenvalue rounds below 0, as it does for the covariance of
    features with a dead unit.) Returns W2, not W2^2. Note :math:`W_1 \le W_2` always, with
    equality for a pure translation.
    """
    mp, Sp, mq, Sq = _pair(mean_p, cov_p, mean_q, cov_q, "w2_gaussian", definite=False)
    return math.sqrt(_w2_squared(mp, Sp, mq, Sq))


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


def frechet_distance(x: ArrayLike, y: ArrayLike) -> float:
    r"""Frechet distance between two sample sets: the squared W2 between their Gaussian fits.

    .. math:: FD = \|\mu_x - \mu_y\|^2 + \operatorname{tr}\big(\Sigma_x + \Sigma_y
              - 2(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2})^{1/2}\big)

    with the sample means and the sample covariances (``np.cov``, divisor n - 1). This is FID's
    formula (Heusel et al. 2017), on whatever features are given: Inception pool3 features for
    FID, a classifier's penultimate features for MNIST (:mod:`gan.quality`). It is squared, as
    FID is reported, and biased upward at small n (its expectation between two samples of one
    law is > 0): compare values at equal sample sizes, against a real-versus-real floor.

    Parameters
    ----------
    x : array_like, shape (n, d)
    y : array_like, shape (m, d)
        At least 2 samples each; n, m may be smaller than d (singular covariances are fine).

    Returns
    -------
    float
        FD >= 0. Equals :func:`w2_gaussian` (squared) of the fitted Gaussians.

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
    """
    xs, ys = sample_pair(numpy_only(x, "x", "frechet_distance"), numpy_only(y, "y", "frechet_distance"))
    for name, s in (("x", xs), ("y", ys)):
        if s.shape[0] < 2:
            raise ValueError(f"{name} needs at least 2 samples to fit a covariance, got {s.shape[0]}")
    mx, my = xs.mean(0), ys.mean(0)
    Sx = np.atleast_2d(np.cov(xs, rowvar=False))
    Sy = np.atleast_2d(np.cov(ys, rowvar=False))
    return _w2_squared(mx, Sx, my, Sy)


def w1_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> float:
    r"""Exact W1 between N(mu_p, sigma_p^2) and N(mu_q, sigma_q^2) on the real line.

    The quantile coupling gives :math:`W_1 = E|\Delta\mu + \Delta\sigma Z|`, Z ~ N(0, 1),
    the mean of a folded normal:

    .. math:: W_1 = |\Delta\sigma|\sqrt{2/\pi}\, e^{-\Delta\mu^2 / (2\Delta\sigma^2)}
              + \Delta\mu\,\big(1 - 2\Phi(-\Delta\mu / |\Delta\sigma|)\big),

    with :math:`\Delta\mu = \mu_p - \mu_q`, :math:`\Delta\sigma = \sigma_p - \sigma_q`
    (and :math:`W_1 = |\Delta\mu|` when the scales are equal).

    Examples
    --------
    >>> w1_gaussian_1d(0.0, 1.0, 3.0, 1.0)
    3.0
    """
    mu_p, sigma_p, mu_q, sigma_q = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    dmu, ds = float(mu_p - mu_q), abs(float(sigma_p - sigma_q))
    if ds == 0.0:
        return abs(dmu)
    return float(
        ds * math.sqrt(2.0 / math.pi) * math.exp(-dmu * dmu / (2.0 * ds * ds))
        + dmu * (1.0 - 2.0 * stats.norm.cdf(-dmu / ds))
    )


def _frozen_1d(dist, name: str, moment: bool = False):
    """A frozen 1-D scipy.stats law with valid parameters (and a finite mean when ``moment``)."""
    if not (hasattr(dist, "cdf") and hasattr(dist, "ppf") and hasattr(dist, "support")):
        raise ValueError(f"{name} must be a frozen 1-D scipy.stats distribution, got {dist!r}")
    lo, hi = dist.support()
    if np.isnan(lo) or np.isnan(hi) or not np.isfinite(dist.ppf(0.5)):
        raise ValueError(f"{name} has invalid parameters ({dist.args}, {dist.kwds})")
    if moment and not np.isfinite(dist.mean()):
        raise ValueError(f"{name} has no finite first moment (mean {dist.mean()}): W1 is defined between "
                         "laws with one (a Cauchy law has none)")
    return dist


def w1_1d(p, q, *, tol: float = 1e-10) -> float:
    r"""W1 between two 1-D distributions as the integral of the CDF gap.

    .. math:: W_1(P, Q) = \int_{-\infty}^{\infty} |F_P(t) - F_Q(t)|\, dt

    By adaptive quadrature (``scipy.integrate.quad``) on the central range, with
    breakpoints at quantiles of both laws and where the CDFs cross, plus the two tails.

    Parameters
    ----------
    p, q : frozen scipy.stats distributions (continuous or discrete), e.g. ``stats.norm(0, 1)``,
        with a finite first moment (W1 is defined on such laws; a Cauchy law is refused: the
        quadrature would return a truncated, finite and wrong number).
    tol : float
        Absolute and relative tolerance of the quadrature.

    Examples
    --------
    >>> from scipy import stats
    >>> round(w1_1d(stats.norm(0, 1), stats.norm(2, 1)), 8)
    2.0
    """
    p, q = _frozen_1d(p, "p", moment=True), _frozen_1d(q, "q", moment=True)
    tol = check_positive(tol, "tol")
    gap = lambda t: abs(float(p.cdf(t)) - float(q.cdf(t)))  # noqa: E731
    levels = [1e-9, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 1 - 1e-3, 1 - 1e-9]
    points = np.unique(np.concatenate([p.ppf(levels), q.ppf(levels)]))
    points = points[np.isfinite(points)]
    lo, hi = points[0], points[-1]
    if hi > lo:  # the kinks of |F - G|, where the CDFs cross, become breakpoints
        points = np.unique(np.r_[points, crossings(lambda t: p.cdf(t) - q.cdf(t), lo, hi)])
    kw = dict(epsabs=tol, epsrel=tol, limit=500)
    core = integrate.quad(gap, lo, hi, points=points[1:-1], **kw)[0] if hi > lo else 0.0
    s_lo = min(p.support()[0], q.support()[0])
    s_hi = max(p.support()[1], q.support()[1])
    left = integrate.quad(gap, s_lo, lo, **kw)[0] if s_lo < lo else 0.0
    right = integrate.quad(gap, hi, s_hi, **kw)[0] if s_hi > hi else 0.0
    return float(core + left + right)


def tv_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> float:
    r"""Exact TV distance between two 1-D Gaussians.

    :math:`\delta = P(A) - Q(A)` with :math:`A = \{p > q\}`. The log density ratio is a
    quadratic; its roots (one when the scales are equal, two otherwise) bound A, and the
    probabilities are normal CDFs. For equal scales :math:`\delta = 2\Phi(|\Delta\mu|/2\sigma) - 1`.

    Examples
    --------
    >>> round(tv_gaussian_1d(0, 1, 0, 1), 12)
    0.0
    """
    mu_p, sigma_p, mu_q, sigma_q = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    P, Q = stats.norm(mu_p, sigma_p), stats.norm(mu_q, sigma_q)
    if sigma_p == sigma_q:
        return float(2.0 * stats.norm.cdf(abs(mu_p - mu_q) / (2.0 * sigma_p)) - 1.0)
    # log p - log q = a t^2 + b t + c
    a = 0.5 / sigma_q**2 - 0.5 / sigma_p**2
    b = mu_p / sigma_p**2 - mu_q / sigma_q**2
    c = 0.5 * mu_q**2 / sigma_q**2 - 0.5 * mu_p**2 / sigma_p**2 + math.log(sigma_q / sigma_p)
    r1, r2 = np.sort(np.roots([a, b, c]).real)  # discriminant > 0 when the scales differ
    inside = (P.cdf(r2) - P.cdf(r1)) - (Q.cdf(r2) - Q.cdf(r1))  # P(A) - Q(A) for A=(r1, r2)
    return float(abs(inside))  # a > 0: A is the outside, and P(out)-Q(out) = -inside


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
    h2 = check_positive(bandwidth, "bandwidth") ** 2
    eye = np.eye(mp.size)

    def expected_kernel(delta, S):
        _, logdet = np.linalg.slogdet(eye + S / h2)
        return math.exp(-0.5 * logdet - 0.5 * delta @ np.linalg.solve(S + h2 * eye, delta))

    zero = np.zeros_like(mp)
    value = expected_kernel(zero, 2 * Sp) + expected_kernel(zero, 2 * Sq) - 2 * expected_kernel(
        mp - mq, Sp + Sq
    )
    return float(max(value, 0.0))


def mmd2_gaussian_1d(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float, bandwidth: float) -> float:
    """MMD^2 between N(mu_p, sigma_p^2) and N(mu_q, sigma_q^2) (standard deviations) under the
    Gaussian kernel of bandwidth h: :func:`mmd2_gaussian` in d = 1.

    Examples
    --------
    >>> mmd2_gaussian_1d(0.0, 1.0, 0.0, 1.0, 1.0)
    0.0
    """
    mp, sp, mq, sq = _gaussian_1d(mu_p, sigma_p, mu_q, sigma_q)
    return mmd2_gaussian([mp], [[sp * sp]], [mq], [[sq * sq]], bandwidth)
