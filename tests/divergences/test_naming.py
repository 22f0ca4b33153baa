"""The naming rule of ``divergences`` (its docstring states it): every public name is checked
over ``__all__``, with its argument names, and the README's table is the rule's own."""

import inspect
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import divergences as D
from divergences import _naming
from divergences.__main__ import function_table

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = [n for n in D.__all__ if inspect.isfunction(getattr(D, n))]


def test_all_is_exactly_the_public_api():
    """Nothing public is missing from __all__, nothing in it is private or a module."""
    public = {n for n, v in vars(D).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert set(D.__all__) == public
    assert len(D.__all__) == len(set(D.__all__))


@pytest.mark.parametrize("name", D.__all__)
def test_every_name_follows_the_rule(name):
    """Classes in CapWords, constants in UPPER_CASE, functions QUANTITY[_INPUT] or a named tool."""
    value = getattr(D, name)
    if inspect.isclass(value):
        assert name[0].isupper() and "_" not in name
    elif not callable(value):
        assert name.isupper()
    elif name in _naming.TOOLS:
        # a tool is named for what it does, so its name is not a quantity's (a quantity listed as
        # a tool would escape the rule and the README's table), and it says what it does
        with pytest.raises(ValueError, match="is not QUANTITY"):
            _naming.parse(name)
        assert inspect.isfunction(value) and len(_naming.TOOLS[name][0].split()) >= 3
    else:
        quantity, kind = _naming.parse(name)
        assert quantity in _naming.QUANTITIES and kind in _naming.INPUTS


@pytest.mark.parametrize("name", FUNCTIONS)
def test_argument_names_follow_the_input_kind(name):
    """p, q name distributions, x, y samples and a, b their weights; an order is `order`."""
    params = list(inspect.signature(getattr(D, name)).parameters)
    if name in _naming.TOOLS:
        lead = _naming.TOOLS[name][1]
    else:
        lead = _naming.INPUTS[_naming.parse(name)[1]][1]
    assert tuple(params[:len(lead)]) == lead, params
    if lead[:2] == ("x", "y") and name not in _naming.NO_WEIGHTS:
        assert tuple(params[:4]) == ("x", "y", "a", "b"), f"{name} takes samples but not their weights"
    assert "p" not in params[len(lead):], "p is never an order or an option: it names a distribution"
    if name not in _naming.TOOLS and _naming.parse(name)[0].endswith("wasserstein"):
        assert "order" in params, "every W_p says its order"


def test_no_name_says_1d_but_the_1d_gaussians():
    """`_1d` meant three input kinds (samples, laws, Gaussian parameters); now one."""
    assert [n for n in D.__all__ if "1d" in n] == [n for n in D.__all__ if n.endswith("_gaussian_1d")]


def test_a_name_returns_its_quantity_not_its_square():
    """A translation by t: every Wasserstein distance (any order, any input kind) is t, not t^2;
    frechet_distance, the one squared name without "2", is t^2; the transport cost is the cost."""
    t = 3.0
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    assert D.wasserstein(x, x + [t, 0.0]) == pytest.approx(t)
    assert D.wasserstein(x, x + [t, 0.0], order=2) == pytest.approx(t)
    assert D.wasserstein(x[:, 0], x[:, 0] + t, order=3) == pytest.approx(t)
    assert D.sliced_wasserstein(x[:, :1], x[:, :1] + t, order=2) == pytest.approx(t)
    assert D.wasserstein_gaussian([0, 0], np.eye(2), [t, 0], np.eye(2), order=2) == pytest.approx(t)
    assert D.wasserstein_gaussian_1d(0, 1, t, 1, order=1) == pytest.approx(t)
    assert D.wasserstein_gaussian_1d(0, 1, t, 1, order=2) == pytest.approx(t)
    assert D.wasserstein_laws(stats.norm(0, 1), stats.norm(t, 1)) == pytest.approx(t)
    assert D.wasserstein_laws(stats.norm(0, 1), stats.norm(t, 1), order=2) == pytest.approx(t, rel=1e-8)
    assert D.frechet_distance(x, x + [t, 0.0]) == pytest.approx(t * t)
    assert D.transport_cost([1, 0], [0, 1], [[0, t * t], [t * t, 0]]) == pytest.approx(t * t)


def test_mmd_kernels_are_what_the_test_accepts():
    """MMD_KERNELS listed "polynomial", which mmd_test refused: one list, used by both."""
    x, y = np.random.default_rng(1).normal(size=(2, 30, 2))
    for kernel in D.MMD_KERNELS:
        assert D.mmd_test(x, y, kernel=kernel, n_permutations=9).statistic == pytest.approx(
            D.mmd2(x, y, kernel=kernel), rel=1e-10)


def test_the_readme_table_is_the_rules():
    """The README's divergences table is `python -m divergences --table`, byte for byte."""
    readme = (ROOT / "README.md").read_text()
    assert function_table() in readme
    for name in FUNCTIONS:  # every function, the tools included, is named in the README
        assert f"`{name}" in readme, name


def test_the_rule_refuses_what_it_should():
    for bad in ("w1_gaussian_1d", "wasserstein_1d", "emd2", "js_histogram", "kl_samples", "mmd"):
        with pytest.raises(ValueError, match="is not QUANTITY"):
            _naming.parse(bad)
