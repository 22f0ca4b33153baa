"""One convention everywhere, pinned against the peers a user compares with: torch.distributions,
scipy.stats, scipy.spatial.distance; arrays of histograms along an axis; torch gradients."""

import functools
import math

import numpy as np
import pytest
import scipy.stats
import torch
from scipy.spatial.distance import jensenshannon
from torch.distributions import Normal, kl_divergence

import divergences as D


@pytest.mark.parametrize("mu_p,sigma_p,mu_q,sigma_q", [(0, 1, 1, 2), (0.3, 0.5, -1, 0.7), (2, 3, 2, 3)])
def test_1d_gaussians_take_the_standard_deviation(mu_p, sigma_p, mu_q, sigma_q):
    """Every *_1d function reads sigma as scipy's scale and torch's Normal do."""
    torch_kl = float(kl_divergence(Normal(float(mu_p), float(sigma_p)), Normal(float(mu_q), float(sigma_q))))
    assert D.kl_gaussian_1d(mu_p, sigma_p, mu_q, sigma_q) == pytest.approx(torch_kl, rel=1e-6, abs=1e-12)
    assert D.kl_gaussian_1d(mu_p, sigma_p, mu_q, sigma_q) == pytest.approx(
        D.kl_gaussian([mu_p], [[sigma_p**2]], [mu_q], [[sigma_q**2]]), rel=1e-12, abs=1e-15)
    p, q = scipy.stats.norm(mu_p, sigma_p), scipy.stats.norm(mu_q, sigma_q)
    assert D.wasserstein_gaussian_1d(mu_p, sigma_p, mu_q, sigma_q, order=1) == pytest.approx(D.wasserstein_laws(p, q), abs=1e-8)
    assert D.tv_gaussian_1d(mu_p, sigma_p, mu_q, sigma_q) == pytest.approx(D.tv_density(p, q), abs=1e-8)
    assert D.wasserstein_gaussian_1d(mu_p, sigma_p, mu_q, sigma_q, order=2) == pytest.approx(
        D.wasserstein_gaussian([mu_p], [[sigma_p**2]], [mu_q], [[sigma_q**2]], order=2), rel=1e-10, abs=1e-12)
    assert D.mmd2_gaussian_1d(mu_p, sigma_p, mu_q, sigma_q, 0.8) == pytest.approx(
        D.mmd2_gaussian([mu_p], [[sigma_p**2]], [mu_q], [[sigma_q**2]], 0.8), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("f", [D.kl_gaussian, functools.partial(D.wasserstein_gaussian, order=2)])
def test_a_bare_number_is_not_taken_as_a_covariance(f):
    with pytest.raises(ValueError, match=r"^cov_p must be a \(d, d\) covariance matrix.*_gaussian_1d\(mu_p, sigma_p"):
        f(0.0, 1.0, 1.0, 2.0)
    with pytest.raises(ValueError, match=r"^cov_q must have shape \(2, 2\)"):
        f([0, 0], np.eye(2), [1, 1], np.eye(3))


def test_values_relate_to_scipy_as_documented(rng):
    p, q = rng.random(12), rng.random(12)
    assert D.js(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-12)  # scipy's is sqrt(JS)
    assert D.kl(p, q) == pytest.approx(scipy.stats.entropy(p, q), rel=1e-12)
    x, y = rng.normal(size=300), rng.normal(0.5, 1.3, size=200)
    energy = D.mmd2(x, y, kernel="energy", estimator="biased")
    assert energy == pytest.approx(scipy.stats.energy_distance(x, y) ** 2, rel=1e-10)  # scipy's is sqrt


def test_arrays_of_histograms_along_an_axis(rng):
    P, Q = rng.random((3, 5)), rng.random((3, 5))
    np.testing.assert_allclose(D.kl(P, Q, axis=1), scipy.stats.entropy(P, Q, axis=1), rtol=1e-12)
    np.testing.assert_allclose(D.kl(P, Q, axis=0), scipy.stats.entropy(P, Q, axis=0), rtol=1e-12)
    np.testing.assert_allclose(D.js(P, Q, axis=-1), [D.js(a, b) for a, b in zip(P, Q)], rtol=1e-12)
    assert D.tv(P, Q, axis=1).shape == (3,)
    with pytest.raises(ValueError, match=r"^p has shape \(3, 5\): a histogram is 1-D; pass axis="):
        D.kl(P, Q)
    with pytest.raises(ValueError, match=r"^axis must be an integer"):
        D.kl(P, Q, axis=2)


@pytest.mark.parametrize("f", [D.tv, D.kl, D.js])
def test_histogram_divergences_are_differentiable_for_tensors(f, rng):
    p = torch.tensor(rng.random(6) + 0.1, requires_grad=True)
    q = torch.tensor(rng.random(6) + 0.1, requires_grad=True)
    value = f(p, q)
    assert isinstance(value, torch.Tensor) and value.requires_grad
    assert float(value.detach()) == pytest.approx(f(p.detach().numpy(), q.detach().numpy()), rel=1e-12)
    assert torch.autograd.gradcheck(lambda a, b: f(a, b), (p, q))


def test_densities_accept_frozen_laws_and_do_not_miss_mass():
    """KL(N(0, 2^2) || N(0, 0.25^2)) is 29.42: with density values q underflows where p still has
    mass 1e-6 (inf, with a warning); with the frozen laws their logpdf is used. Narrow laws far from
    0 over infinite bounds: the mass is found."""
    p, q = scipy.stats.norm(0, 2), scipy.stats.norm(0, 0.25)
    exact = math.log(0.25 / 2) + 4 / (2 * 0.0625) - 0.5
    assert D.kl_density(p, q) == pytest.approx(exact, rel=1e-8)
    with pytest.warns(RuntimeWarning, match="q is 0 where p has mass"):
        assert D.kl_density(p.pdf, q.pdf, (-math.inf, math.inf)) == math.inf
    a, b = scipy.stats.norm(50, 0.1), scipy.stats.norm(50.2, 0.1)
    truth = D.tv_gaussian_1d(50, 0.1, 50.2, 0.1)
    assert D.tv_density(a, b) == pytest.approx(truth, abs=1e-9)
    assert D.tv_density(a.pdf, b.pdf, (-math.inf, math.inf)) == pytest.approx(truth, abs=1e-9)
    with pytest.raises(ValueError, match=r"^p integrates to .* the bounds miss its mass"):
        D.tv_density(a.pdf, b.pdf, (49.9, 60))


@pytest.mark.parametrize("f", [D.tv, D.kl, D.js])
def test_arrays_of_tensor_histograms_stay_tensors(f, rng):
    """With axis=, tensors came back as ndarrays: now a tensor of values, differentiable, equal
    to the numpy values."""
    P = torch.tensor(rng.random((4, 6)) + 0.1, requires_grad=True)
    Q = torch.tensor(rng.random((4, 6)) + 0.1)
    values = f(P, Q, axis=1)
    assert isinstance(values, torch.Tensor) and values.shape == (4,) and values.requires_grad
    np.testing.assert_allclose(values.detach().numpy(), f(P.detach().numpy(), Q.numpy(), axis=1), rtol=1e-12)
    np.testing.assert_allclose(f(P, Q, axis=0).detach().numpy(), f(P.detach().numpy(), Q.numpy(), axis=0),
                               rtol=1e-12)
    assert torch.autograd.gradcheck(lambda a: f(a, Q, axis=1), (P,))


def test_arrays_of_histograms_are_vectorised_and_scale_free(rng):
    """The values along an axis equal the one-histogram values, whatever each row's scale."""
    P, Q = rng.random((5, 7)), rng.random((5, 7))
    scales = np.array([1e-300, 1e-3, 1.0, 1e3, 1e300])[:, None]
    for f in (D.tv, D.kl, D.js):
        np.testing.assert_allclose(f(P * scales, Q, axis=1), [f(a, b) for a, b in zip(P, Q)], rtol=1e-12)


# --- the README's table of conventions against the peers: one test per row -------------------


def _clouds():
    r = np.random.default_rng(0)
    return r.normal(size=(1000, 2)), r.normal(size=(1000, 2)) + [1.0, 0.0]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_row_wasserstein_is_w_p_where_pot_returns_w_p_to_the_p(order, rng):
    """ot.wasserstein_1d and ot.emd2 (with cost d^p) return W_p^p; wasserstein returns W_p."""
    import ot

    x, y = rng.normal(size=300), rng.normal(0.5, 2.0, size=200)
    a, b = rng.random(300), rng.random(200)
    pot_1d = ot.wasserstein_1d(x, y, a / a.sum(), b / b.sum(), p=order)
    assert D.wasserstein(x, y, a, b, order=order) == pytest.approx(pot_1d ** (1 / order), rel=1e-10)
    X, Y = rng.normal(size=(60, 2)), rng.normal(size=(50, 2)) + 0.5
    pot_2d = ot.emd2(np.full(60, 1 / 60), np.full(50, 1 / 50), ot.dist(X, Y, metric="euclidean") ** order)
    assert D.wasserstein(X, Y, order=order) == pytest.approx(pot_2d ** (1 / order), rel=1e-10)
    if order == 1:  # scipy's wasserstein_distance is W1 (u_weights, v_weights as a, b)
        assert D.wasserstein(x, y, a, b) == pytest.approx(scipy.stats.wasserstein_distance(x, y, a, b), rel=1e-10)


def test_row_transport_cost_is_pots_emd2(rng):
    import ot

    p, q, M = rng.random(7), rng.random(5), rng.random((7, 5))
    assert D.transport_cost(p, q, M) == pytest.approx(ot.emd2(p / p.sum(), q / q.sum(), M), rel=1e-12)


def test_row_sliced_defaults_differ_from_pots_and_agree_when_set_alike():
    """Out of the box (order 1, 256 directions) against POT's (p = 2, 50 directions): 0.648 against
    0.746 on N(0, I) against N((1, 0), I), 1,000 points each; with POT's settings and seed, equal."""
    import ot

    x, y = _clouds()
    assert D.sliced_wasserstein(x, y) == pytest.approx(0.6481, abs=1e-4)
    assert ot.sliced_wasserstein_distance(x, y, seed=0) == pytest.approx(0.7455, abs=1e-4)
    assert D.sliced_wasserstein(x, y, order=2, n_projections=50, seed=0) == pytest.approx(
        ot.sliced_wasserstein_distance(x, y, seed=0), rel=1e-12)


def test_row_wasserstein_gaussian_is_pots_bures_with_another_argument_order(rng):
    """POT's bures_wasserstein_distance(m_p, m_q, C_p, C_q) (means first) is W2, as
    wasserstein_gaussian(m_p, C_p, m_q, C_q, order=2); frechet_distance is its square."""
    import ot

    A, B = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    Cp, Cq = A @ A.T + np.eye(4), B @ B.T + 0.5 * np.eye(4)
    mp, mq = rng.normal(size=4), rng.normal(size=4)
    w2 = D.wasserstein_gaussian(mp, Cp, mq, Cq, order=2)
    assert w2 == pytest.approx(float(ot.gaussian.bures_wasserstein_distance(mp, mq, Cp, Cq)), rel=1e-10)
    assert D.frechet_distance((mp, Cp), (mq, Cq)) == pytest.approx(w2**2, rel=1e-12)


def test_row_frechet_distance_is_pytorch_fids_formula(rng):
    """pytorch-fid's calculate_frechet_distance(mu1, sigma1, mu2, sigma2) (its formula, with
    scipy.linalg.sqrtm) on statistics given as (mu, sigma) pairs, or on the samples."""
    from scipy import linalg

    x, y = rng.normal(size=(400, 6)), 1.5 * rng.normal(size=(300, 6)) + 0.3
    mu1, s1, mu2, s2 = x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)
    covmean = linalg.sqrtm(s1.dot(s2)).real
    pytorch_fid = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    assert D.frechet_distance((mu1, s1), (mu2, s2)) == pytest.approx(pytorch_fid, rel=1e-10)
    assert D.frechet_distance(x, y) == pytest.approx(pytorch_fid, rel=1e-10)
    assert D.frechet_distance(x, (mu2, s2)) == pytest.approx(pytorch_fid, rel=1e-10)


@pytest.mark.parametrize("base", [None, 2, 10])
def test_row_kl_and_js_take_scipys_base(base, rng):
    """kl is scipy.stats.entropy(p, q, base), js the square of jensenshannon(p, q, base), along an
    axis too; JS in bits is at most 1."""
    P, Q = rng.random((3, 8)), rng.random((3, 8))
    np.testing.assert_allclose(D.kl(P, Q, axis=1, base=base), scipy.stats.entropy(P, Q, base=base, axis=1),
                               rtol=1e-12)
    np.testing.assert_allclose(D.js(P, Q, axis=1, base=base), jensenshannon(P, Q, base=base, axis=1) ** 2,
                               rtol=1e-10)
    assert D.js([1, 0], [0, 1], base=2) == 1.0


def test_row_tv_is_half_the_l1_of_the_normalised_histograms(rng):
    from scipy.spatial.distance import cityblock

    p, q = rng.random(9), rng.random(9)
    assert D.tv(p, q) == pytest.approx(0.5 * cityblock(p / p.sum(), q / q.sum()), rel=1e-12)


def test_row_gaussian_bandwidth_is_sklearns_gamma_one_over_2h2(rng):
    """k(x, y) = exp(-|x - y|^2 / (2 h^2)): scikit-learn's rbf_kernel and torchmetrics' use
    exp(-gamma |x - y|^2), so gamma = 1 / (2 h^2)."""
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(20, 3)) + 0.4
    h = 0.7
    gamma = 1 / (2 * h * h)
    k = lambda u, v: np.exp(-gamma * ((u[:, None] - v[None]) ** 2).sum(-1))  # noqa: E731
    biased = k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()
    assert D.mmd2(x, y, bandwidth=h, estimator="biased") == pytest.approx(biased, rel=1e-10)


def test_row_mmd_test_unpacks_as_scipys_and_hyppos_results(rng):
    """stat, p = mmd_test(...), as scipy's results and hyppo's (stat, pvalue) unpack; a one-line repr
    (the permutation null stays an attribute)."""
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 1.0
    result = D.mmd_test(x, y, n_permutations=199)
    stat, p = result
    assert (stat, p) == (result.statistic, result.p_value) and p == pytest.approx(1 / 200)
    assert repr(result) == f"MMDTest(statistic={stat:.6g}, p_value={p:.6g}, n_permutations=199)"
    assert "\n" not in repr(result) and result.null.shape == (199,)


def test_row_sinkhorn_divergence_is_pots_with_the_euclidean_cost(rng):
    """POT's ``empirical_sinkhorn_divergence`` uses the squared Euclidean cost by default
    (``metric="sqeuclidean"``): an entropic W2^2, not W1. With ``metric="euclidean"`` and
    reg = epsilon it is this toolkit's debiased entropic W1 (to the solvers' tolerances)."""
    import ot

    x, y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + np.array([1.0, 0.0])
    ours = D.sinkhorn_divergence(x, y, epsilon=0.1)
    pot_euclidean = float(ot.bregman.empirical_sinkhorn_divergence(x, y, 0.1, metric="euclidean", warn=False))
    pot_default = float(ot.bregman.empirical_sinkhorn_divergence(x, y, 0.1, warn=False))
    assert ours == pytest.approx(pot_euclidean, rel=1e-3)  # two solvers, each to its own tolerance
    assert abs(pot_default - ours) > 0.05 * ours  # the default is another quantity
