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
