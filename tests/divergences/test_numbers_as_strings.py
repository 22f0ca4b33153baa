"""Numbers given as strings (issue 31, item 1): every numeric parameter of every public function,
found by ``inspect`` over ``divergences.__all__``, refuses a numeric string ("2", "0.1") with a
ValueError that starts with the parameter's name, so that no value can come back from it; an
array of numeric strings is refused the same way. ``float("2")`` would parse it, which is how
``kl(p, q, base="2")`` used to return bits.

Every parameter of every public function is classified below, so a new numeric parameter fails
``test_every_parameter_is_classified`` until it is listed (and then tested)."""

import inspect

import numpy as np
import pytest
from scipy import stats

import divergences as D

FUNCTIONS = {n: getattr(D, n) for n in D.__all__ if inspect.isfunction(getattr(D, n))}

RNG = np.random.default_rng(0)
X, Y = RNG.normal(size=(12, 2)), RNG.normal(size=(10, 2)) + 0.5
X1, Y1 = RNG.normal(size=40), RNG.normal(size=30) + 0.5
WX, WY = RNG.random(12) + 0.1, RNG.random(10) + 0.1
H2 = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 1.0]])  # two histograms along axis 1
NORM0, NORM1 = stats.norm(0, 1), stats.norm(1, 2)

SAMPLES = dict(x=X, y=Y, a=WX, b=WY)
GAUSSIANS = dict(mean_p=[0.0, 0.0], cov_p=np.eye(2), mean_q=[1.0, 0.0], cov_q=2 * np.eye(2))
GAUSSIANS_1D = dict(mu_p=0.0, sigma_p=1.0, mu_q=1.0, sigma_q=2.0)

#: a valid call of each public function, as keyword arguments: every numeric parameter is given
#: (so the call would use it), with a value the function accepts
VALID = {
    "frechet_distance": dict(SAMPLES),
    "js": dict(p=H2, q=H2[::-1], axis=1, base=2.0),
    "kl": dict(p=H2, q=H2[::-1], axis=1, base=2.0),
    "tv": dict(p=H2, q=H2[::-1], axis=1),
    "js_binned": dict(SAMPLES, bins=8),
    "tv_binned": dict(SAMPLES, bins=8),
    "js_kde": dict(x=X1, y=Y1, a=RNG.random(40) + 0.1, b=RNG.random(30) + 0.1, grid=65),
    "tv_kde": dict(x=X1, y=Y1, a=RNG.random(40) + 0.1, b=RNG.random(30) + 0.1, grid=65),
    "js_density": dict(p=NORM0, q=NORM1, bounds=(-30.0, 30.0), points=[0.5], grid=101),
    "kl_density": dict(p=NORM0, q=NORM1, bounds=(-30.0, 30.0), points=[0.5], grid=101),
    "tv_density": dict(p=NORM0, q=NORM1, bounds=(-30.0, 30.0), points=[0.5], grid=101),
    "kl_gaussian": dict(GAUSSIANS),
    "kl_gaussian_1d": dict(GAUSSIANS_1D),
    "tv_gaussian_1d": dict(GAUSSIANS_1D),
    "kl_knn": dict(x=X, y=Y, k=2),
    "median_heuristic": dict(x=X, y=Y, seed=3),
    "mmd2": dict(SAMPLES, kernel="polynomial", bandwidth=1.5, estimator="biased", degree=2, gamma=0.5,
                 coef0=1.0, block_entries=64),
    "mmd2_gaussian": dict(GAUSSIANS, bandwidth=1.5),
    "mmd2_gaussian_1d": dict(GAUSSIANS_1D, bandwidth=1.5),
    "mmd_test": dict(x=X, y=Y, kernel="polynomial", bandwidth=1.5, n_permutations=19, seed=3, degree=2,
                     gamma=0.5, coef0=1.0),
    "optimal_transport": dict(SAMPLES, max_iter=10_000),
    "sinkhorn_divergence": dict(SAMPLES, epsilon=0.5, max_iter=10_000, tol=1e-4),
    "sliced_wasserstein": dict(SAMPLES, order=2.0, n_projections=8, seed=3),
    "transport_cost": dict(p=[1.0, 2.0], q=[2.0, 1.0, 1.0], cost=[[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]],
                           max_iter=10_000),
    "wasserstein": dict(SAMPLES, order=2.0, max_iter=10_000),
    "wasserstein_gaussian": dict(GAUSSIANS, order=2),
    "wasserstein_gaussian_1d": dict(GAUSSIANS_1D, order=1),
    "wasserstein_laws": dict(p=NORM0, q=NORM1, order=2.0, tol=1e-8),
}

#: parameters that hold no number, and why
NOT_NUMERIC = {
    ("mmd2", "kernel"): "a name", ("mmd2", "estimator"): "a name", ("mmd_test", "kernel"): "a name",
    **{(f, "log"): "a flag" for f in ("js_density", "kl_density", "tv_density")},
    **{(f, side): "a law or a callable density" for f in ("js_density", "kl_density", "tv_density",
                                                          "wasserstein_laws") for side in ("p", "q")},
}


def _is_array(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


SCALARS = [(f, name) for f, kw in VALID.items() for name, v in kw.items()
           if (f, name) not in NOT_NUMERIC and not _is_array(v)]
ARRAYS = [(f, name) for f, kw in VALID.items() for name, v in kw.items()
          if (f, name) not in NOT_NUMERIC and _is_array(v)]


def test_every_parameter_is_classified():
    """Every parameter of every public function is given in VALID or said to hold no number."""
    assert set(VALID) == set(FUNCTIONS)
    for f, func in FUNCTIONS.items():
        for name in inspect.signature(func).parameters:
            assert name in VALID[f] or (f, name) in NOT_NUMERIC, f"{f}({name}=...) is not classified"
    assert len(SCALARS) >= 50 and len(ARRAYS) >= 40  # the lists are what they say


@pytest.mark.parametrize("f", sorted(VALID))
def test_the_valid_calls_are_valid(f):
    """Each base call returns a value, so the errors below come from the one string."""
    value = FUNCTIONS[f](**VALID[f])
    assert value is not None


@pytest.mark.parametrize("f,name", SCALARS, ids=[f"{f}-{n}" for f, n in SCALARS])
def test_a_numeric_string_is_refused_naming_the_parameter(f, name):
    """``f(..., name="2")``: a ValueError that starts with the name and says it got a string."""
    kw = dict(VALID[f])
    kw[name] = str(kw[name])
    with pytest.raises(ValueError) as err:
        FUNCTIONS[f](**kw)
    message = str(err.value)
    assert message.startswith(name + " ") and "string" in message, message


@pytest.mark.parametrize("f,name", ARRAYS, ids=[f"{f}-{n}" for f, n in ARRAYS])
def test_an_array_of_numeric_strings_is_refused_naming_the_parameter(f, name):
    """``f(..., name=["0.5", "0.5"])``: the same kind of error as a scalar string."""
    kw = dict(VALID[f])
    kw[name] = np.asarray(kw[name], dtype=np.float64).astype(str)
    if f == "js" or f == "kl" or f == "tv":
        kw[name] = kw[name].tolist()  # a nested list of strings, as a user would type it
    with pytest.raises(ValueError) as err:
        FUNCTIONS[f](**kw)
    message = str(err.value)
    assert message.startswith(name + " ") and "string" in message, message


def test_the_issues_examples():
    """The calls of issue 31, item 1, each of which returned a value or raised another kind."""
    x, y = X, Y
    cases = [
        (lambda: D.kl([0.5, 0.5], [0.9, 0.1], base="2"), "base"),
        (lambda: D.js([0.5, 0.5], [0.9, 0.1], base="2"), "base"),
        (lambda: D.wasserstein(x, y, order="2"), "order"),
        (lambda: D.sliced_wasserstein(x, y, order="2"), "order"),
        (lambda: D.wasserstein_laws(NORM0, NORM1, order="2"), "order"),
        (lambda: D.wasserstein_laws(NORM0, NORM1, tol="1e-8"), "tol"),
        (lambda: D.mmd2(x, y, bandwidth="1.0"), "bandwidth"),
        (lambda: D.mmd2(x, y, kernel="polynomial", gamma="0.5"), "gamma"),
        (lambda: D.mmd_test(x, y, bandwidth="1.0"), "bandwidth"),
        (lambda: D.mmd_test(x, y, n_permutations="100"), "n_permutations"),
        (lambda: D.sinkhorn_divergence(x, y, epsilon="0.1"), "epsilon"),
        (lambda: D.wasserstein_gaussian_1d("0", 1, 1, 2, order=2), "mu_p"),
        (lambda: D.tv([[1, 2], [2, 1]], [[2, 1], [1, 2]], axis="0"), "axis"),
        (lambda: D.js(["0.5", "0.5"], [0.9, 0.1]), "p"),
        (lambda: D.wasserstein(x[:, 0], y[:, 0], max_iter="5"), "max_iter"),  # unused in 1-D, still checked
        (lambda: D.tv_density(NORM0, NORM1, grid="801"), "grid"),  # unused in 1-D, still checked
        (lambda: D.mmd2(x, y, coef0="1"), "coef0"),  # unused by the Gaussian kernel, still checked
    ]
    for call, name in cases:
        with pytest.raises(ValueError, match=f"^{name} must be .*string"):
            call()


@pytest.mark.parametrize("f", ["wasserstein", "sliced_wasserstein", "wasserstein_gaussian",
                               "wasserstein_gaussian_1d"])
def test_the_pot_habit_p_names_order(f):
    """``wasserstein(x, y, p=2)`` (POT's and scipy's name) says to use ``order=`` (issue 31, item 2)."""
    kw = {k: v for k, v in VALID[f].items() if k != "order"}
    with pytest.raises(TypeError, match=rf"^order is this argument's name in {f}, not p .*order=2\)"):
        FUNCTIONS[f](**kw, p=2)


def test_the_pot_habit_reg_names_epsilon():
    with pytest.raises(TypeError, match=r"^epsilon is this argument's name in sinkhorn_divergence, not reg"):
        D.sinkhorn_divergence(X, Y, reg=0.1)


@pytest.mark.parametrize("value", [np.float32(1.5), np.float64(1.5), np.array(1.5), np.array([1.5]), 3, np.int64(3)])
def test_numbers_of_every_kind_still_work(value):
    """numpy scalars, 0-d and one-element arrays, and integers are numbers: the same value."""
    assert D.mmd2(X, Y, bandwidth=value) == D.mmd2(X, Y, bandwidth=float(value.item() if hasattr(value, "item") else value))


@pytest.mark.parametrize("value,match", [
    (True, "bandwidth must be a positive number"), (1 + 0j, "bandwidth must be a positive number"),
    ([1.5], "bandwidth must be a positive number"), (np.array([1.0, 2.0]), "bandwidth must be a positive number"),
    (b"1.5", "bandwidth must be a number, not a string"), (np.array("1.5"), "bandwidth must be a number, not a string"),
])
def test_what_is_not_one_number_is_refused(value, match):
    with pytest.raises(ValueError, match=f"^{match}"):
        D.mmd2(X, Y, bandwidth=value)


def test_tensor_scalars_are_numbers():
    torch = pytest.importorskip("torch")
    assert D.mmd2(X, Y, bandwidth=torch.tensor(1.5)) == D.mmd2(X, Y, bandwidth=1.5)
    with pytest.raises(ValueError, match="^bandwidth must be a positive number"):
        D.mmd2(X, Y, bandwidth=torch.ones(2))
