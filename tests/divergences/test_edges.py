"""No silent wrong number at the edges: any positive scale of histograms and weights, huge or tiny
coordinates, laws without a first moment, invalid parameters, and a forked child."""

import math
import multiprocessing as mp

import numpy as np
import pytest
import scipy.stats

import divergences as D


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1.0, 1e200, 1e300])
def test_histograms_and_weights_at_any_scale(scale, rng):
    p, q = rng.random(8), rng.random(8)
    for f in (D.tv, D.kl, D.js):
        assert f(p * scale, q) == pytest.approx(f(p, q), rel=1e-12)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(20, 2))
    a, b = rng.random(30), rng.random(20)
    assert D.wasserstein(x, y, a * scale, b) == pytest.approx(D.wasserstein(x, y, a, b), rel=1e-9)
    assert D.wasserstein(x[:, 0], y[:, 0], a * scale, b) == pytest.approx(D.wasserstein(x[:, 0], y[:, 0], a, b), rel=1e-12)
    assert D.transport_cost(p * scale, q, np.abs(np.subtract.outer(np.arange(8), np.arange(8)))) == pytest.approx(
        D.transport_cost(p, q, np.abs(np.subtract.outer(np.arange(8), np.arange(8)))), rel=1e-9)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_coordinates_of_any_magnitude(scale, rng):
    """W_p is positively homogeneous, MMD^2 with a bandwidth scaled alike is invariant, the energy
    distance homogeneous: values, not NaN or a spurious ConvergenceError."""
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + 0.5
    assert D.wasserstein(x * scale, y * scale) == pytest.approx(scale * D.wasserstein(x, y), rel=1e-9)
    assert D.wasserstein(x[:, 0] * scale, y[:, 0] * scale, order=2) == pytest.approx(
        scale * D.wasserstein(x[:, 0], y[:, 0], order=2), rel=1e-9)
    assert D.sliced_wasserstein(x * scale, y * scale) == pytest.approx(scale * D.sliced_wasserstein(x, y), rel=1e-9)
    assert D.mmd2(x * scale, y * scale) == pytest.approx(D.mmd2(x, y), rel=1e-9)
    assert D.mmd2(x * scale, y * scale, bandwidth=scale) == pytest.approx(D.mmd2(x, y, bandwidth=1.0), rel=1e-9)
    assert D.mmd2(x * scale, y * scale, kernel="energy") == pytest.approx(scale * D.mmd2(x, y, kernel="energy"), rel=1e-9)
    if scale > 1:
        with pytest.raises(ValueError, match="^x and y: the polynomial kernel's sums overflow"):
            D.mmd2(x * scale, y * scale, kernel="polynomial")


def test_w1_needs_a_first_moment_and_valid_parameters():
    with pytest.raises(ValueError, match="^p has no finite first moment"):
        D.wasserstein_laws(scipy.stats.cauchy(0, 1), scipy.stats.norm(0, 1))
    with pytest.raises(ValueError, match="^q has invalid parameters"):
        D.wasserstein_laws(scipy.stats.norm(0, 1), scipy.stats.norm(math.nan, 1))
    with pytest.raises(ValueError, match="^sigma_q must be a finite number > 0"):
        D.wasserstein_gaussian_1d(0, 1, 0, math.nan, order=1)
    with pytest.raises(ValueError, match="^mu_p must be finite"):
        D.tv_gaussian_1d(math.inf, 1, 0, 1)


def _child(q):
    x = np.random.default_rng(1).normal(size=300_000)
    q.put(D.wasserstein(x, x + 1.0))


def test_wasserstein_1d_is_fork_safe():
    """The parent uses the two-thread sort pool; a forked child (multiprocessing's default on
    Linux, DataLoader workers) must not wait for the parent's threads, which it does not have."""
    x = np.random.default_rng(0).normal(size=300_000)
    assert D.wasserstein(x, x[::-1] + 2.0) == pytest.approx(2.0)  # the pool has threads now
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    child = ctx.Process(target=_child, args=(q,))
    child.start()
    child.join(timeout=60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "wasserstein hung in a forked child"
    assert child.exitcode == 0 and q.get(timeout=5) == pytest.approx(1.0)


# --- the debiased Sinkhorn divergence: its bias is measured, its failures are loud ------------


def _gaussian_clouds(n=1000):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) * [1.0, 0.5] + [1.0, 0.0]


def test_sinkhorn_bias_against_exact_w1_is_the_documented_one():
    """The docstring's numbers: relative error +0.4%, -2.6%, -21% at epsilon 0.01, 0.05, 0.2
    against the exact W1 = 1.100 (a finding about the approximation, measured here)."""
    x, y = _gaussian_clouds()
    w = D.wasserstein(x, y)
    assert w == pytest.approx(1.1001, abs=1e-4)
    rel = {eps: (D.sinkhorn_divergence(x, y, epsilon=eps) - w) / w for eps in (0.01, 0.05, 0.2)}
    assert rel[0.01] == pytest.approx(0.0036, abs=0.001)
    assert rel[0.05] == pytest.approx(-0.0263, abs=0.001)
    assert rel[0.2] == pytest.approx(-0.2096, abs=0.002)
    assert abs(rel[0.01]) < abs(rel[0.05]) < abs(rel[0.2])  # S_eps -> W1 as eps -> 0


def test_sinkhorn_self_terms_match_pot_and_weights_are_honoured(rng):
    """The symmetric update (our fast path for the self terms) gives POT's alternating answer."""
    import ot
    import torch

    from divergences._wasserstein import _symmetric_entropic_cost

    x = torch.tensor(rng.normal(size=(150, 2)))
    a = torch.tensor(rng.random(150)); a = a / a.sum()
    M = torch.cdist(x, x)
    ours = float(_symmetric_entropic_cost(M, a, 0.1, 10_000, 1e-10, "x and x"))
    plan = ot.bregman.sinkhorn_log(a, a, M, 0.1, numItermax=100_000, stopThr=1e-9, warn=True)
    assert ours == pytest.approx(float((plan * M).sum()), rel=1e-7)
    y = rng.normal(size=(100, 2)) + 0.5
    b = rng.random(100)
    # weights: duplicating a point is the same as doubling its weight
    xs = x.numpy()[:50]
    w = np.ones(50); w[0] = 2.0
    dup = np.vstack([xs, xs[:1]])
    assert D.sinkhorn_divergence(xs, y, w, b) == pytest.approx(D.sinkhorn_divergence(dup, y, None, b), rel=1e-6)


def test_sinkhorn_torch_matches_numpy_and_its_gradient_descends(rng):
    import torch

    x, y = rng.normal(size=(200, 2)), rng.normal(size=(150, 2)) + [1.0, 0.0]
    xt = torch.tensor(x, requires_grad=True)
    s = D.sinkhorn_divergence(xt, torch.tensor(y), epsilon=0.05)
    assert float(s.detach()) == pytest.approx(D.sinkhorn_divergence(x, y, epsilon=0.05), rel=1e-9)
    s.backward()
    assert torch.isfinite(xt.grad).all()
    moved = x - 0.5 * xt.grad.numpy() / np.abs(xt.grad.numpy()).max()
    assert D.sinkhorn_divergence(moved, y, epsilon=0.05) < float(s.detach()) - 0.05


def test_sinkhorn_is_homogeneous_and_fails_loudly(rng, monkeypatch):
    from divergences import _wasserstein

    x, y = rng.normal(size=(80, 2)), rng.normal(size=(60, 2)) + 1.0
    s = D.sinkhorn_divergence(x, y, epsilon=0.05)
    for c in (1e-200, 1e200):
        assert D.sinkhorn_divergence(x * c, y * c, epsilon=0.05 * c) == pytest.approx(c * s, rel=1e-9)
    with pytest.raises(D.ConvergenceError, match="max_iter=3"):
        D.sinkhorn_divergence(x, y, epsilon=0.01, max_iter=3)
    monkeypatch.setattr(_wasserstein, "_available_memory", lambda: 10_000)
    with pytest.raises(ValueError, match="sliced_wasserstein"):
        D.sinkhorn_divergence(x, y)
    with pytest.raises(ValueError, match="sinkhorn_divergence"):
        D.wasserstein(x, y)


# --- the 1-D closed forms at any finite parameters: a value, never an OverflowError -------------

EXTREME = [(1e308, 1, 1, 2), (1e308, 1, -1e308, 1), (-1e308, 1e-300, 1e308, 1e300), (0, 1e-300, 0, 1e300),
           (1e308, 1e308, -1e308, 1e308), (0, 1, 0, 1e200), (1e200, 1e200, 0, 1), (1e-300, 1, 0, 1)]


@pytest.mark.parametrize("args", EXTREME, ids=str)
def test_1d_closed_forms_at_extreme_parameters(args):
    """tv_gaussian_1d(1e308, 1, 1, 2) leaked an OverflowError (issue 19): every 1-D closed form
    returns a number in its range (KL may be inf: a value beyond the float range)."""
    tv = D.tv_gaussian_1d(*args)
    assert 0.0 <= tv <= 1.0
    assert 0.0 <= D.kl_gaussian_1d(*args) <= math.inf
    w1, w2 = D.wasserstein_gaussian_1d(*args, order=1), D.wasserstein_gaussian_1d(*args, order=2)
    assert 0.0 <= w1 <= w2 * (1 + 1e-12) or w1 == w2 == math.inf
    assert 0.0 <= D.mmd2_gaussian_1d(*args, 1.0) <= 2.0


def test_1d_closed_forms_at_extreme_parameters_have_the_limit_values():
    """Means 1e308 apart in units of the scales: TV 1, KL inf, W = the gap (or inf beyond the float
    range); one law 1e200 times wider than the other: TV 1 (the exact value is 1 - O(1e-200))."""
    assert D.tv_gaussian_1d(1e308, 1, 1, 2) == 1.0
    assert D.kl_gaussian_1d(1e308, 1, 1, 2) == math.inf
    assert D.wasserstein_gaussian_1d(1e308, 1, 1, 2, order=1) == pytest.approx(1e308)
    assert D.wasserstein_gaussian_1d(1e308, 1, -1e308, 1, order=2) == math.inf
    assert D.tv_gaussian_1d(0, 1, 0, 1e200) == D.tv_gaussian_1d(0, 1e200, 0, 1) == 1.0
    # equal scales 1e308 with means 2e308 apart: g = 2, a finite problem in units of the scale
    assert D.tv_gaussian_1d(1e308, 1e308, -1e308, 1e308) == pytest.approx(math.erf(2 / (2 * math.sqrt(2))))
    assert D.kl_gaussian_1d(1e308, 1e308, -1e308, 1e308) == pytest.approx(2.0)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_1d_closed_forms_are_scale_invariant(scale):
    """TV, KL and MMD^2 (bandwidth scaled alike) do not change when every parameter is scaled;
    W scales with them."""
    args = (0.3, 0.5, -1.0, 0.7)
    big = tuple(scale * v for v in args)
    assert D.tv_gaussian_1d(*big) == pytest.approx(D.tv_gaussian_1d(*args), rel=1e-12)
    assert D.kl_gaussian_1d(*big) == pytest.approx(D.kl_gaussian_1d(*args), rel=1e-12)
    assert D.mmd2_gaussian_1d(*big, 0.8 * scale) == pytest.approx(D.mmd2_gaussian_1d(*args, 0.8), rel=1e-12)
    for order in (1, 2):
        assert D.wasserstein_gaussian_1d(*big, order=order) == pytest.approx(
            scale * D.wasserstein_gaussian_1d(*args, order=order), rel=1e-12)


def test_tv_gaussian_at_nearly_equal_and_very_unequal_scales():
    """Against the quadrature where the crossing-point formula is delicate: scales 1 + 1e-9 apart
    (one root far away), and 1e8 apart (two roots close to the narrow law's mean)."""
    for args in [(3, 1, 0, 1 + 1e-9), (0, 1, 0, 1 + 1e-7), (0, 1, 0, 1e-3), (2, 1, 0, 1e-3)]:
        ref = D.tv_density(scipy.stats.norm(*args[:2]), scipy.stats.norm(*args[2:]))
        assert D.tv_gaussian_1d(*args) == pytest.approx(ref, abs=1e-9)
    # N(0, 1) against N(0, 1e-8): 1 - Q(|t| > t0) - P(|t| < t0), t0 = sqrt(2 ln 1e8 / (1 - 1e-16))
    t0 = math.sqrt(2 * math.log(1e8) / (1 - 1e-16))
    exact = 1 - math.erfc(t0 / math.sqrt(2)) - math.erf(t0 * 1e-8 / math.sqrt(2))
    assert D.tv_gaussian_1d(0, 1, 0, 1e-8) == pytest.approx(exact, abs=1e-15)
