"""Exact EM (W1): metric axioms, invariances, agreement with POT/scipy, the dual certificate,
the finite-metric-space sandwich with TV, and the guards (convergence, memory)."""

import math

import numpy as np
import ot
import pytest
import scipy.stats
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

import divergences as D
from divergences import ConvergenceError
from tests.divergences.strategies import clouds, histograms


def test_parallel_lines_example_1():
    """WGAN Example 1 on samples: W between the two lines is |theta| to 1e-12."""
    z = np.linspace(0, 1, 101)
    line0 = np.c_[np.zeros_like(z), z]
    for theta in (-1.0, -0.37, 0.0, 0.2, 1.0):
        assert D.wasserstein(line0, line0 + [theta, 0.0]) == pytest.approx(abs(theta), abs=1e-12)


@given(clouds(count=3))
def test_w1_is_a_metric(pts):
    """W1(X, X) = 0, symmetry, triangle inequality (exact solver, so to 1e-9)."""
    x, y, z = pts
    assert D.wasserstein(x, x) == pytest.approx(0.0, abs=1e-9)
    assert D.wasserstein(x, y) == pytest.approx(D.wasserstein(y, x), abs=1e-9)
    assert D.wasserstein(x, z) <= D.wasserstein(x, y) + D.wasserstein(y, z) + 1e-9


@given(clouds(count=2), st.floats(-5, 5), arrays(np.float64, 3, elements=st.floats(-5, 5)))
def test_scaling_and_translation(pts, s, c):
    """W1(sX + c, sY + c) = |s| W1(X, Y), and W1(X, X + c) = ||c||."""
    x, y = pts
    c = c[: x.shape[1]]
    base = D.wasserstein(x, y)
    assert D.wasserstein(s * x + c, s * y + c) == pytest.approx(abs(s) * base, rel=1e-9, abs=1e-9)
    assert D.wasserstein(x, x + c) == pytest.approx(np.linalg.norm(c), rel=1e-9, abs=1e-9)


@given(clouds(count=2, dim=1, max_points=20), st.data())
def test_1d_path_equals_pot_general_solver_and_scipy(pts, data):
    """The O(n log n) 1-D path equals POT's network simplex and scipy, with weights."""
    x, y = pts[0][:, 0], pts[1][:, 0]
    a = data.draw(histograms(size=x.size))
    b = data.draw(histograms(size=y.size))
    ours = D.wasserstein(x, y, a, b)
    simplex = ot.emd2(a / a.sum(), b / b.sum(), np.abs(x[:, None] - y[None, :]))
    assert ours == pytest.approx(simplex, rel=1e-9, abs=1e-9)
    assert ours == pytest.approx(scipy.stats.wasserstein_distance(x, y, a, b), rel=1e-9, abs=1e-9)
    assert D.wasserstein(x, y) == pytest.approx(scipy.stats.wasserstein_distance(x, y), abs=1e-9)


def test_1d_large_inputs_take_the_parallel_sort(rng):
    """The threaded sort path (n >= 2e5) gives scipy's value, for equal and unequal n."""
    x, y = rng.normal(size=300_000), rng.normal(0.3, 2.0, size=300_000)
    assert D.wasserstein(x, y) == pytest.approx(scipy.stats.wasserstein_distance(x, y), rel=1e-10)
    assert D.wasserstein(x, y[:-7]) == pytest.approx(
        scipy.stats.wasserstein_distance(x, y[:-7]), rel=1e-10
    )


def test_column_vector_and_flat_input_agree(rng):
    x, y = rng.normal(size=40), rng.normal(size=30)
    assert D.wasserstein(x[:, None], y[:, None]) == D.wasserstein(x, y)


@given(clouds(count=2, max_points=12), st.data())
def test_dual_certificate_of_the_exact_solution(pts, data):
    """Feasible potentials (u_i + v_j <= M_ij), zero duality gap, plan with the marginals."""
    x, y = pts
    a = data.draw(histograms(size=x.shape[0]))
    b = data.draw(histograms(size=y.shape[0]))
    res = D.optimal_transport(x, y, a, b)
    a, b = a / a.sum(), b / b.sum()
    M = cdist(x, y)
    assert (res.u[:, None] + res.v[None, :] <= M + 1e-9).all()
    assert res.u @ a + res.v @ b == pytest.approx(res.cost, abs=1e-9)
    assert (res.plan >= 0).all()
    np.testing.assert_allclose(res.plan.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(res.plan.sum(0), b, atol=1e-12)
    assert (res.plan * M).sum() == pytest.approx(res.cost, abs=1e-9)
    assert res.cost == pytest.approx(D.wasserstein(x, y, a, b), abs=1e-9)


@given(st.integers(2, 8), st.data())
def test_w1_between_dmin_tv_and_diam_tv_on_a_finite_metric_space(n, data):
    """d_min TV <= W1 <= diam TV on a finite metric space; W1 = TV for the 0/1 metric."""
    pts = data.draw(arrays(np.float64, (n, 2), elements=st.floats(-5, 5), unique=True))
    M = cdist(pts, pts)
    off = M[~np.eye(n, dtype=bool)]
    assume(off.min() >= 1e-6)  # near-duplicate points: a degenerate metric space
    p, q = data.draw(histograms(size=n, count=2))
    w, t = D.transport_cost(p, q, M), D.tv(p, q)
    assert off.min() * t <= w + 1e-9
    assert w <= off.max() * t + 1e-9
    assert D.transport_cost(p, q, 1.0 - np.eye(n)) == pytest.approx(t, abs=1e-12)


def test_unconverged_simplex_is_refused(rng):
    """A pivot limit that is too small raises instead of returning a sub-optimal cost."""
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    with pytest.raises(ConvergenceError, match="max_iter"):
        D.wasserstein(x, y, max_iter=50)
    # the default limit is sized to the problem and converges
    assert D.wasserstein(x, y) == pytest.approx(
        ot.emd2(np.full(300, 1 / 300), np.full(300, 1 / 300), cdist(x, y), numItermax=10**7),
        abs=1e-12,
    )


@pytest.mark.slow
def test_default_limit_converges_where_pot_default_does_not(rng):
    """n = 5000 in 2-D: bare ot.emd2 hits its 1e5 default; ours returns the optimum."""
    n = 5000
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 0.5
    w = np.full(n, 1 / n)
    _, log = ot.emd2(w, w, cdist(x, y), log=True)
    assert log["result_code"] == 3  # POT's MAX_ITER_REACHED
    exact = ot.emd2(w, w, cdist(x, y), numItermax=10**9)
    assert D.wasserstein(x, y) == pytest.approx(exact, abs=1e-12)


def test_too_large_problem_fails_fast_naming_alternatives():
    """A cost matrix that cannot fit in memory is refused before anything is allocated."""
    x = np.zeros((300_000, 2))
    with pytest.raises(ValueError, match=r"n=300000, m=300000.*GB.*sliced_wasserstein"):
        D.wasserstein(x, x + 1.0)


def test_sliced_is_a_lower_bound_and_exact_in_1d(rng):
    """SW1 <= W1 in 2-D, and SW1 = W1 on the line."""
    x, y = rng.normal(size=(400, 2)), rng.normal(size=(300, 2)) * [1, 3] + [1, 0]
    assert D.sliced_wasserstein(x, y) <= D.wasserstein(x, y)
    assert D.sliced_wasserstein(x[:, :1], y[:, :1]) == pytest.approx(
        D.wasserstein(x[:, 0], y[:, 0]), rel=1e-10
    )


def test_torch_gradient_reaches_sample_positions():
    """d/dtheta W(P0, Ptheta) = sign(theta) for the parallel lines (POT's torch backend)."""
    z = torch.linspace(0, 1, 64, dtype=torch.float64)
    line0 = torch.stack([torch.zeros_like(z), z], 1)
    for theta0 in (0.5, -0.3):
        theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        fake = torch.stack([theta.expand(64), z], 1)
        w = D.wasserstein(line0, fake)
        w.backward()
        assert w.item() == pytest.approx(abs(theta0), abs=1e-12)
        assert theta.grad.item() == pytest.approx(math.copysign(1.0, theta0), abs=1e-12)


def test_torch_1d_and_sliced_gradients_match_finite_differences(rng):
    x = torch.tensor(rng.normal(size=30), requires_grad=True)
    y = torch.tensor(rng.normal(size=45) + 0.5)
    for f in (D.wasserstein, lambda a, b: D.sliced_wasserstein(a[:, None], b[:, None])):
        assert torch.autograd.gradcheck(lambda t: f(t, y), (x,), eps=1e-7, atol=1e-6)
    assert D.wasserstein(x, y).item() == pytest.approx(D.wasserstein(x.detach().numpy(), y.numpy()))


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_wp_equals_pot_on_weighted_samples(p, rng):
    """W_p against POT's exact solver on |x - y|^p (2-D) and POT's 1-D W_p (weighted, n != m),
    to 1e-10; W_p is non-decreasing in p (Jensen)."""
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(55, 2)) + 0.4
    a, b = rng.random(40), rng.random(55)
    a, b = a / a.sum(), b / b.sum()
    cost = cdist(x, y) ** p
    assert D.wasserstein(x, y, a, b, order=p) == pytest.approx(ot.emd2(a, b, cost, numItermax=10**7) ** (1 / p), rel=1e-10)
    x1, y1 = rng.normal(size=300), 2 * rng.normal(size=200) + 1
    a1, b1 = rng.random(300), rng.random(200)
    a1, b1 = a1 / a1.sum(), b1 / b1.sum()
    pot = ot.wasserstein_1d(x1, y1, a1, b1, p=p) ** (1 / p)
    assert D.wasserstein(x1, y1, a1, b1, order=p) == pytest.approx(pot, rel=1e-10)
    assert D.wasserstein(x, y, a, b, order=1) <= D.wasserstein(x, y, a, b, order=p) + 1e-12


def test_w2_of_gaussian_quantiles_is_the_closed_form():
    """1-D W2 between 1e5 quantile points of N(0, 1) and N(1, 2) equals sqrt(1 + 1) to 1e-3."""
    u = (np.arange(100_000) + 0.5) / 100_000
    x, y = scipy.stats.norm(0, 1).ppf(u), scipy.stats.norm(1, 2).ppf(u)
    assert D.wasserstein(x, y, order=2) == pytest.approx(D.wasserstein_gaussian_1d(0, 1, 1, 2, order=2), abs=1e-3)


def test_sliced_wp_matches_pot(rng):
    """sliced_wasserstein(order=2) is POT's sliced distance with the same projections (seeded)."""
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(150, 3)) + 0.5
    ours = D.sliced_wasserstein(x, y, order=2, n_projections=64, seed=5)
    pot = ot.sliced_wasserstein_distance(x, y, n_projections=64, p=2, seed=5)
    assert ours == pytest.approx(pot, rel=1e-10)
    assert ours <= D.wasserstein(x, y, order=2) + 1e-9  # a lower bound of W_p (projections are 1-Lipschitz)
