"""Closed forms against exact OT, quadrature and Monte Carlo, each within a stated tolerance."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import divergences as D

mus = st.floats(-3, 3)
sigmas = st.floats(0.2, 3)


@given(mus, sigmas, mus, sigmas)
def test_w1_gaussian_folded_normal_equals_cdf_integral(m1, s1, m2, s2):
    """Folded-normal W1 equals the quadrature of |F - G| to 1e-7."""
    w = D.wasserstein_gaussian_1d(m1, s1, m2, s2, order=1)
    assert w == pytest.approx(D.wasserstein_laws(stats.norm(m1, s1), stats.norm(m2, s2)), abs=1e-7)
    assert abs(m1 - m2) <= w + 1e-12  # W1 >= |difference of means|
    assert w <= D.wasserstein_gaussian_1d(m1, s1, m2, s2, order=2) + 1e-12  # W1 <= W2


def test_w1_gaussian_against_exact_ot_on_samples():
    """Exact EM between 2e5 quantile points of each law is within 1e-3 of the closed form."""
    u = (np.arange(200_000) + 0.5) / 200_000
    x, y = stats.norm(0, 1).ppf(u), stats.norm(1.5, 0.5).ppf(u)
    assert D.wasserstein(x, y) == pytest.approx(D.wasserstein_gaussian_1d(0, 1, 1.5, 0.5, order=1), abs=1e-3)


def test_w1_1d_of_other_laws():
    """W1(U[0,1], U[a, a+1]) = |a|; W1(Exp(1), Exp(2)) = |1 - 1/2| (stochastic order)."""
    assert D.wasserstein_laws(stats.uniform(0, 1), stats.uniform(0.3, 1)) == pytest.approx(0.3, abs=1e-9)
    assert D.wasserstein_laws(stats.expon(scale=1), stats.expon(scale=0.5)) == pytest.approx(0.5, abs=1e-8)


@given(mus, sigmas, mus, sigmas)
def test_tv_gaussian_equals_quadrature(m1, s1, m2, s2):
    """The crossing-point formula equals (1/2) int |p - q| to 1e-8."""
    t = D.tv_gaussian_1d(m1, s1, m2, s2)
    quad = D.tv_density(stats.norm(m1, s1).pdf, stats.norm(m2, s2).pdf, (-40, 40))
    assert t == pytest.approx(quad, abs=1e-9)
    assert 0.0 <= t <= 1.0


@given(mus, sigmas, mus, sigmas)
def test_kl_gaussian_1d_equals_quadrature(m1, s1, m2, s2):
    """KL closed form equals int p ln(p/q) (log-densities, exact in the tails) to 1e-8."""
    P, Q = stats.norm(m1, s1), stats.norm(m2, s2)
    quad = D.kl_density(P.logpdf, Q.logpdf, (-60, 60), log=True)
    assert D.kl_gaussian_1d(m1, s1, m2, s2) == pytest.approx(quad, rel=1e-8, abs=1e-10)


def test_density_values_that_underflow_read_as_infinite_kl():
    """With density values, q underflowing where P has mass 1e-6 reads as KL = inf; the
    log-densities give the finite closed form."""
    P, Q = stats.norm(0, 2), stats.norm(0, 0.25)
    with pytest.warns(RuntimeWarning, match="q is 0 where p has mass"):
        assert D.kl_density(P.pdf, Q.pdf, (-60, 60)) == math.inf
    assert D.kl_density(P.logpdf, Q.logpdf, (-60, 60), log=True) == pytest.approx(
        D.kl_gaussian_1d(0, 2, 0, 0.25), rel=1e-9
    )


def test_kl_gaussian_multivariate_against_knn_estimate(rng):
    """3-D KL closed form vs the k-NN estimator on 8000 samples (within 0.05 nats), in the
    regime where the estimator is accurate: P inside the bulk of Q."""
    Sp = np.array([[0.5, 0.2, 0.0], [0.2, 0.6, 0.1], [0.0, 0.1, 0.4]])
    Sq = np.diag([1.0, 1.5, 0.8])
    mp, mq = np.zeros(3), np.array([0.5, -0.3, 0.2])
    x = rng.multivariate_normal(mp, Sp, size=8000)
    y = rng.multivariate_normal(mq, Sq, size=8000)
    assert D.kl_knn(x, y, k=3) == pytest.approx(D.kl_gaussian(mp, Sp, mq, Sq), abs=0.05)


def test_w2_gaussian_known_cases():
    """W2 of a translation is the shift; 1-D W2 = sqrt(dmu^2 + dsigma^2)."""
    assert D.wasserstein_gaussian([0, 0], np.eye(2), [3, 4], np.eye(2), order=2) == pytest.approx(5.0, rel=1e-12)
    assert D.wasserstein_gaussian_1d(1.0, 2.0, 0.0, 1.0, order=2) == pytest.approx(math.sqrt(1 + 1), rel=1e-10)


def test_mmd2_gaussian_against_monte_carlo():
    """MMD^2 closed form vs the mean of 50 unbiased estimates (n = 300): within 3 SE."""
    Sp, Sq = np.array([[1.0, 0.3], [0.3, 0.5]]), np.eye(2) * 0.7
    truth = D.mmd2_gaussian([0, 0], Sp, [0.4, 0.1], Sq, 1.2)
    vals = []
    for seed in range(50):
        r = np.random.default_rng(seed)
        x = r.multivariate_normal([0, 0], Sp, size=300)
        y = r.multivariate_normal([0.4, 0.1], Sq, size=300)
        vals.append(D.mmd2(x, y, bandwidth=1.2))
    assert abs(np.mean(vals) - truth) <= 3 * np.std(vals, ddof=1) / math.sqrt(50)


def test_js_density_2d_equals_1d_for_a_product():
    """JS of two 2-D densities differing along one axis equals the 1-D JS (Simpson, 1e-6)."""
    p1, q1 = stats.norm(0, 1), stats.norm(1.2, 0.8)
    one = D.js_density(p1.pdf, q1.pdf, (-30, 30))
    g = stats.norm(0, 1)
    p2 = lambda z: p1.pdf(z[:, 0]) * g.pdf(z[:, 1])  # noqa: E731
    q2 = lambda z: q1.pdf(z[:, 0]) * g.pdf(z[:, 1])  # noqa: E731
    two = D.js_density(p2, q2, ((-9, 10), (-9, 9)), grid=601)
    assert two == pytest.approx(one, abs=1e-6)


def test_density_divergences_on_disjoint_supports():
    """Disjoint supports: TV = 1, JS = ln 2, KL = inf (detected, not integrated)."""
    p, q = stats.uniform(0, 1).pdf, stats.uniform(2, 1).pdf
    assert D.tv_density(p, q, (-1, 4), points=[0, 1, 2, 3]) == pytest.approx(1.0, abs=1e-9)
    assert D.js_density(p, q, (-1, 4), points=[0, 1, 2, 3]) == pytest.approx(math.log(2), abs=1e-9)
    with pytest.warns(RuntimeWarning, match="q is 0 where p has mass"):
        assert D.kl_density(p, q, (-1, 4)) == math.inf  # no breakpoints given: the edges are found
    assert D.tv_density(p, q, (-1, 4)) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # the reference sqrtm on a singular matrix
def test_frechet_distance_is_fids_formula(rng):
    """Against the direct scipy computation used by FID implementations, on definite and on
    singular covariances (a dead feature), and exact for a translation."""
    from scipy import linalg

    def fid(a, b):
        m1, m2, s1, s2 = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        return np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)

    x, y = rng.normal(size=(500, 12)), 1.3 * rng.normal(size=(400, 12)) + 0.2
    assert D.frechet_distance(x, y) == pytest.approx(fid(x, y), rel=1e-10)
    x[:, 3] = 0.0  # singular covariance: POT's sqrtm would return NaN here
    value = D.frechet_distance(x, y)
    assert np.isfinite(value) and value == pytest.approx(fid(x, y), rel=1e-6)
    assert D.frechet_distance(x, x + 2.0) == pytest.approx(4.0 * 12, rel=1e-9)
    assert D.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    assert D.frechet_distance(x, y) == pytest.approx(D.wasserstein_gaussian(x.mean(0), np.cov(x.T), y.mean(0), np.cov(y.T), order=2) ** 2)
    with pytest.raises(ValueError, match="x needs at least 2 samples"):
        D.frechet_distance(x[:1], y)


@pytest.mark.parametrize("order", [1.5, 3])
def test_wasserstein_laws_any_order_against_quantile_samples(order):
    """W_p between two laws by quadrature equals exact W_p between 1e5 of their quantile points,
    for continuous and discrete laws (order 1 and 2 against the closed forms elsewhere)."""
    u = (np.arange(100_000) + 0.5) / 100_000
    for p, q in [(stats.expon(), stats.norm(0.5, 0.5)), (stats.uniform(0, 1), stats.uniform(0.3, 2)),
                 (stats.bernoulli(0.3), stats.poisson(0.8))]:
        exact = D.wasserstein(p.ppf(u), q.ppf(u), order=order)
        assert D.wasserstein_laws(p, q, order=order) == pytest.approx(exact, rel=2e-3, abs=1e-4)
    assert D.wasserstein_laws(stats.bernoulli(0.3), stats.bernoulli(0.5), order=order) == pytest.approx(
        0.2 ** (1 / order), rel=1e-9)


def test_wasserstein_laws_order_2_is_the_gaussian_closed_form():
    assert D.wasserstein_laws(stats.norm(0, 1), stats.norm(1, 2), order=2) == pytest.approx(
        D.wasserstein_gaussian_1d(0, 1, 1, 2, order=2), rel=1e-9)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # the t(1.5) tail, slowly integrable
def test_wasserstein_laws_needs_the_moment_of_its_order():
    """Student's t with 1.5 degrees of freedom has a mean but no variance: W1 yes, W2 refused."""
    t15 = stats.t(1.5)
    assert np.isfinite(D.wasserstein_laws(t15, stats.norm()))
    with pytest.raises(ValueError, match="^p has no finite moment of order 2"):
        D.wasserstein_laws(t15, stats.norm(), order=2)


def test_wasserstein_gaussian_orders():
    """order=1 in d = 1 is the folded normal of the 1-D form; order=2 the Bures formula."""
    assert D.wasserstein_gaussian([0.5], [[4.0]], [-1.0], [[0.25]], order=1) == pytest.approx(
        D.wasserstein_gaussian_1d(0.5, 2.0, -1.0, 0.5, order=1), rel=1e-12)
    assert D.wasserstein_gaussian([0.5], [[4.0]], [-1.0], [[0.25]], order=2) == pytest.approx(
        D.wasserstein_gaussian_1d(0.5, 2.0, -1.0, 0.5, order=2), rel=1e-12)


def test_frechet_distance_takes_weights(rng):
    """Weighted mean and numpy's weighted (reliability) covariance; uniform weights change nothing,
    zero weights drop points."""
    x, y = rng.normal(size=(200, 4)), 1.2 * rng.normal(size=(150, 4)) + 0.3
    plain = D.frechet_distance(x, y)
    assert D.frechet_distance(x, y, np.full(200, 5.0), np.ones(150)) == pytest.approx(plain, rel=1e-10)
    a = np.r_[np.ones(120), np.zeros(80)]
    assert D.frechet_distance(x, y, a) == pytest.approx(D.frechet_distance(x[:120], y), rel=1e-10)
    w = rng.random(200)
    m, C = np.average(x, axis=0, weights=w), np.cov(x, rowvar=False, aweights=w)
    assert D.frechet_distance(x, y, w) == pytest.approx(
        D.wasserstein_gaussian(m, C, y.mean(0), np.cov(y.T), order=2) ** 2, rel=1e-10)
