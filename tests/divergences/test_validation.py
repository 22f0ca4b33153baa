"""Bad input: every public function raises ValueError naming the argument."""

import math

import numpy as np
import pytest
import torch

import divergences as D

NAN = [1.0, math.nan]
INF = [1.0, math.inf]


@pytest.mark.parametrize("f", [D.tv, D.kl, D.js])
@pytest.mark.parametrize(
    "p,q,match",
    [
        (NAN, [1, 1], "p contains NaN or inf"),
        ([1, 1], INF, "q contains NaN or inf"),
        ([1, -0.5], [1, 1], "p has negative entries"),
        ([0, 0], [1, 1], "p sums to 0"),
        ([1, 1], [0.0, 0.0], "q sums to 0"),
        ([1, 1, 1], [1, 1], "p and q must be histograms on the same support"),
        ([], [], "p is empty"),
        ([[1, 2]], [1, 2], "p has shape"),
    ],
)
def test_histogram_errors(f, p, q, match):
    with pytest.raises(ValueError, match=match):
        f(p, q)


SAMPLE_FUNCS = [
    D.wasserstein,
    D.sliced_wasserstein,
    D.mmd2,
    D.kl_knn,
    D.js_binned,
    D.js_kde,
]


@pytest.mark.parametrize("f", SAMPLE_FUNCS)
@pytest.mark.parametrize(
    "x,y,match",
    [
        (np.array([[0.0, math.nan], [1, 1]]), np.ones((2, 2)), "x contains NaN or inf"),
        (np.ones((3, 2)), np.array([[0.0, math.inf], [1, 1]]), "y contains NaN or inf"),
        (np.ones((0, 2)), np.ones((3, 2)), "x is empty"),
        (np.ones((3, 2)), np.ones((3, 3)), "x and y must have the same dimension"),
        (np.ones((3, 2, 1)), np.ones((3, 2)), r"x must have shape \(n,\) or \(n, d\)"),
    ],
)
def test_sample_errors(f, x, y, match):
    with pytest.raises(ValueError, match=match):
        f(x, y)


def test_weight_errors():
    x, y = np.arange(3.0), np.arange(4.0)
    with pytest.raises(ValueError, match="a has negative entries"):
        D.wasserstein(x, y, a=[1, -1, 1])
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        D.wasserstein(x, y, b=[1, 1])
    with pytest.raises(ValueError, match="a sums to 0"):
        D.wasserstein(np.ones((3, 2)), np.ones((2, 2)), a=[0, 0, 0])
    with pytest.raises(ValueError, match="b contains NaN or inf"):
        D.optimal_transport(x, y, b=[1, 1, math.nan, 1])


def test_option_errors():
    x, y = np.ones((5, 2)), np.zeros((5, 2))
    with pytest.raises(ValueError, match="estimator must be one of"):
        D.mmd2(x, y, estimator="quadratic")
    with pytest.raises(ValueError, match="kernel must be one of"):
        D.mmd2(x, y, kernel="rbf")
    with pytest.raises(ValueError, match="bandwidth must be a finite number > 0"):
        D.mmd2(x, y, bandwidth=-1.0)
    with pytest.raises(ValueError, match="max_iter must be a positive integer"):
        D.wasserstein(x, y, max_iter=0)
    with pytest.raises(ValueError, match="n_projections must be a positive integer"):
        D.sliced_wasserstein(x, y, n_projections=0)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        D.kl_knn(x, y, k=0)
    with pytest.raises(ValueError, match="bounds must have lo < hi"):
        D.tv_density(np.exp, np.exp, (1, 0))
    with pytest.raises(ValueError, match=r"cost must have shape \(2, 2\)"):
        D.transport_cost([1, 1], [1, 1], np.ones((2, 3)))


def test_closed_form_errors():
    with pytest.raises(ValueError, match="sigma_p must be a finite number > 0"):
        D.wasserstein_gaussian_1d(0, 0, 0, 1, order=1)
    with pytest.raises(ValueError, match="cov_p must be positive definite"):
        D.kl_gaussian([0, 0], [[1, 2], [2, 1]], [0, 0], np.eye(2))
    with pytest.raises(ValueError, match="mean_p and mean_q must have the same dimension"):
        D.wasserstein_gaussian([0, 0], np.eye(2), [0], [[1]], order=2)
    with pytest.raises(ValueError, match="p must be a frozen 1-D scipy.stats distribution"):
        D.wasserstein_laws(3.0, 1.0)


def test_torch_input_is_validated_too():
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        D.wasserstein(torch.tensor([[math.nan, 0.0]]), torch.zeros(1, 2))
    with pytest.raises(TypeError, match="x and y must both be numpy arrays or both torch tensors"):
        D.mmd2(torch.zeros(3, 2), np.zeros((3, 2)))


def test_extreme_values_are_values_not_errors():
    """KL = inf and JS = ln 2 are returned, not raised."""
    assert D.kl([1, 0], [0, 1]) == math.inf
    assert D.js([1, 0], [0, 1]) == pytest.approx(math.log(2))


X2, Y2 = np.random.default_rng(0).normal(size=(6, 2)), np.random.default_rng(1).normal(size=(5, 2))
NORM = scipy_stats = __import__("scipy.stats", fromlist=["norm"]).norm(0, 1)
BAD = [
    # complex input: never silently dropped imaginary parts
    (lambda: D.wasserstein(np.array([1 + 1j, 2.0]), [1.0, 2.0]), TypeError, "x must be real"),
    (lambda: D.kl([1 + 1j, 1], [1, 1]), TypeError, "p must be real"),
    (lambda: D.mmd2(X2, Y2 * 1j), TypeError, "y must be real"),
    (lambda: D.kl_gaussian([0j], [[1]], [0], [[1]]), TypeError, "mean_p must be real"),
    # half precision tensors
    (lambda: D.mmd2(torch.ones(3, 2, dtype=torch.float16), torch.ones(3, 2, dtype=torch.float16)), TypeError,
     "x has dtype torch.float16"),
    (lambda: D.wasserstein(torch.ones(3, dtype=torch.bfloat16), torch.ones(3)), TypeError, "x has dtype torch.bfloat16"),
    # tensors that require grad, given to numpy-only functions
    (lambda: D.kl_knn(torch.randn(5, 2, requires_grad=True), torch.randn(5, 2)), TypeError, "x requires grad"),
    (lambda: D.frechet_distance(torch.randn(5, 2), torch.randn(5, 2, requires_grad=True)), TypeError, "y requires grad"),
    (lambda: D.optimal_transport(torch.randn(5, 2, requires_grad=True), torch.randn(5, 2)), TypeError, "x requires grad"),
    (lambda: D.js_kde(torch.randn(20, requires_grad=True), torch.randn(20)), TypeError, "x requires grad"),
    (lambda: D.mmd_test(torch.randn(20, requires_grad=True), torch.randn(20)), TypeError, "x requires grad"),
    # grids too small to integrate
    (lambda: D.js_kde(X2, Y2, grid=1), ValueError, "grid must be at least 3"),
    (lambda: D.tv_density(lambda z: np.ones(len(z)), lambda z: np.ones(len(z)), ((0, 1), (0, 1)), grid=1),
     ValueError, "grid must be at least 3"),
    # empty covariance, empty mean
    (lambda: D.kl_gaussian([], np.zeros((0, 0)), [], np.zeros((0, 0))), ValueError, "mean_p must have shape"),
    (lambda: D.wasserstein_gaussian([0.0], [[1.0, 0.0]], [0.0], [[1.0]], order=2), ValueError, "cov_p must have shape"),
    (lambda: D.kl_gaussian([0.0], [[-1.0]], [0.0], [[1.0]]), ValueError, "cov_p must be positive definite"),
    # pivot limits out of range
    (lambda: D.wasserstein(X2, Y2, max_iter=0), ValueError, "max_iter must be a positive integer"),
    (lambda: D.wasserstein(X2, Y2, max_iter=1.5), ValueError, "max_iter must be a positive integer"),
    (lambda: D.wasserstein(X2, Y2, max_iter=2**40), ValueError, "max_iter must be at most"),
    (lambda: D.transport_cost([1, 1], [1, 1], np.ones((2, 2)), max_iter=-3), ValueError, "max_iter must be a positive integer"),
    # zero or subnormal bandwidths
    (lambda: D.mmd2(X2, Y2, bandwidth=0.0), ValueError, "bandwidth must be a finite number > 0"),
    (lambda: D.mmd2(X2, Y2, bandwidth=1e-320), ValueError, "bandwidth is subnormal"),
    (lambda: D.mmd2_gaussian([0], [[1]], [0], [[1]], 0), ValueError, "bandwidth must be a finite number > 0"),
    (lambda: D.mmd_test(X2, Y2, bandwidth=-1.0), ValueError, "bandwidth must be a finite number > 0"),
    # ragged and non-numeric input
    (lambda: D.wasserstein([[1.0, 2.0], [3.0]], [[1.0, 2.0]]), ValueError, "x must be a rectangular array"),
    (lambda: D.js([[1, 2], [3]], [1, 2]), ValueError, "p must be a rectangular array"),
    (lambda: D.mmd2("abc", [1.0]), ValueError, "x must be an array of numbers, not a string"),
    (lambda: D.tv(["a", "b"], [1, 1]), ValueError, "p must be an array of numbers, not of strings"),
    (lambda: D.kl_gaussian_1d("a", 1, 0, 1), ValueError, "mu_p must be a number, not a string"),
    # options out of range
    (lambda: D.wasserstein(X2, Y2, order=0.5), ValueError, "order must be >= 1"),
    (lambda: D.sliced_wasserstein(X2, Y2, n_projections=0), ValueError, "n_projections must be a positive integer"),
    (lambda: D.sinkhorn_divergence(X2, Y2, epsilon=0), ValueError, "epsilon must be a finite number > 0"),
    (lambda: D.mmd_test(X2, Y2, n_permutations=0), ValueError, "n_permutations must be a positive integer"),
    (lambda: D.mmd2(X2, Y2, kernel="polynomial", degree=0), ValueError, "degree must be a positive integer"),
    (lambda: D.js_binned(X2, Y2, bins=0), ValueError, "bins must be a positive integer"),
    (lambda: D.kl_knn(X2, Y2, k=0), ValueError, "k must be a positive integer"),
    (lambda: D.wasserstein_laws("not a law", NORM), ValueError, "p must be a frozen 1-D scipy.stats distribution"),
    (lambda: D.wasserstein_laws(NORM, NORM, tol=0), ValueError, "tol must be a finite number > 0"),
    (lambda: D.tv_density(NORM, NORM, (1, 0)), ValueError, "bounds must have lo < hi"),
    (lambda: D.tv_density(lambda z: z, NORM), ValueError, "p returned negative density values"),
    (lambda: D.tv_density(lambda z: np.ones(len(z)), lambda z: np.ones(len(z))), ValueError, "bounds are required"),
    # the edges of issue 19: numbers as strings, negative seeds
    (lambda: D.tv_density(NORM, NORM, ("a", "b")), ValueError, "bounds must be an array of numbers, not of strings"),
    (lambda: D.kl_density(NORM, NORM, (0, "ab")), ValueError, "bounds must be an array of numbers, not of strings"),
    (lambda: D.median_heuristic(X2, Y2, seed=-1), ValueError, "seed must be None or an integer >= 0"),
    (lambda: D.mmd_test(X2, Y2, seed=-1), ValueError, "seed must be None or an integer >= 0"),
    (lambda: D.sliced_wasserstein(X2, Y2, seed=1.5), ValueError, "seed must be None or an integer >= 0"),
    # orders the closed forms do not have
    (lambda: D.wasserstein_gaussian([0.0, 0.0], np.eye(2), [1.0, 0.0], np.eye(2), order=1), ValueError,
     "order=1 has a closed form between Gaussians in d = 1 only"),
    (lambda: D.wasserstein_gaussian_1d(0, 1, 0, 1, order=3), ValueError, "order must be 1 or 2"),
    (lambda: D.wasserstein_laws(NORM, NORM, order=0.5), ValueError, "order must be >= 1"),
    # weights where an estimator has no weighted form, or too few weighted points
    (lambda: D.mmd2(X2, Y2, [1, 1, 1, 1, 1, 1], estimator="linear"), ValueError,
     "a and b: the linear estimator pairs points one to one"),
    (lambda: D.mmd2(X2, Y2, [1, 0, 0, 0, 0, 0]), ValueError, "a puts all its weight on one sample"),
    (lambda: D.mmd2(X2, Y2, b=[1, -1, 1, 1, 1]), ValueError, "b has negative entries"),
    (lambda: D.js_binned(X2, Y2, [1, 1]), ValueError, r"a must have shape (6,)"),
    (lambda: D.frechet_distance(X2, Y2, [1, 0, 0, 0, 0, 0]), ValueError, "a puts weight on fewer than 2 samples"),
    # arrays of histograms: each needs mass
    (lambda: D.kl([[0, 0], [1, 1]], [[1, 1], [1, 1]], axis=1), ValueError, "p sums to 0 in the histogram at index (0,)"),
    (lambda: D.js(np.ones((2, 3)), np.ones((3, 2)), axis=0), ValueError, "p and q must have the same shape"),
]


@pytest.mark.parametrize("call,kind,message", BAD, ids=[m for _, _, m in BAD])
def test_every_bad_input_gets_a_named_error(call, kind, message):
    """ValueError or TypeError, with a message that starts with the argument's name: never an
    IndexError, ZeroDivisionError, LinAlgError, OverflowError, AssertionError, or a raw numpy /
    scipy / POT message."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value).startswith(message), str(err.value)
