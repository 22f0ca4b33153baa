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
        ([[1, 2]], [1, 2], "shapes"),
        (["a", "b"], [1, 1], "p must be an array of numbers"),
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
    D.js_histogram,
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
    with pytest.raises(ValueError, match="divergence must be one of"):
        D.density_divergence(np.exp, np.exp, (0, 1), "hellinger")
    with pytest.raises(ValueError, match="bounds must have lo < hi"):
        D.tv_density(np.exp, np.exp, (1, 0))
    with pytest.raises(ValueError, match=r"cost must have shape \(2, 2\)"):
        D.emd([1, 1], [1, 1], np.ones((2, 3)))


def test_closed_form_errors():
    with pytest.raises(ValueError, match="sigma_p must be a finite number > 0"):
        D.w1_gaussian_1d(0, 0, 0, 1)
    with pytest.raises(ValueError, match="P: cov must be positive definite"):
        D.kl_gaussian([0, 0], [[1, 2], [2, 1]], [0, 0], np.eye(2))
    with pytest.raises(ValueError, match="P and Q must have the same dimension"):
        D.w2_gaussian([0, 0], np.eye(2), 0, 1)
    with pytest.raises(ValueError, match="p must be a frozen 1-D scipy.stats distribution"):
        D.w1_1d(3.0, 1.0)


def test_torch_input_is_validated_too():
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        D.wasserstein(torch.tensor([[math.nan, 0.0]]), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="x and y must both be numpy arrays or both torch tensors"):
        D.mmd2(torch.zeros(3, 2), np.zeros((3, 2)))


def test_extreme_values_are_values_not_errors():
    """KL = inf and JS = ln 2 are returned, not raised."""
    assert D.kl([1, 0], [0, 1]) == math.inf
    assert D.js([1, 0], [0, 1]) == pytest.approx(math.log(2))
