"""TV, KL, JS on histograms: conventions, metric axioms and the classical inequalities."""

import math

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import divergences as D
from tests.divergences.strategies import histograms

LN2 = math.log(2)
TOL = 1e-12


def test_conventions_on_disjoint_supports():
    """Disjoint supports: TV = 1, JS = ln 2 (the 1/2 convention), KL = +inf (a value)."""
    p, q = [0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7]
    # 1 up to the rounding of the normalised histograms' sums (numpy's summation order), which
    # the clip at 1 removes from above only
    assert D.tv(p, q) == pytest.approx(1.0, abs=1e-15)
    assert D.js(p, q) == pytest.approx(LN2, abs=1e-15)
    assert D.kl(p, q) == math.inf and D.kl(q, p) == math.inf


def test_subnormal_mass_does_not_blow_up_js():
    """Regression (found by hypothesis): halving a subnormal weight underflows to 0."""
    assert D.js([1.0, 5e-324], [1.0, 0.0]) == pytest.approx(0.0, abs=1e-300)
    assert D.kl([1.0, 5e-324], [1.0, 0.0]) == math.inf  # positive mass where q = 0


def test_matches_scipy_with_natural_log(rng):
    """KL equals scipy.stats.entropy(p, q) and JS equals scipy's jensenshannon squared (nats)."""
    p, q = rng.random(50), rng.random(50)
    assert D.kl(p, q) == pytest.approx(scipy.stats.entropy(p, q), rel=1e-13)
    assert D.js(p, q) == pytest.approx(scipy.spatial.distance.jensenshannon(p, q) ** 2, rel=1e-12)
    assert D.tv(p, q) == pytest.approx(0.5 * np.abs(p / p.sum() - q / q.sum()).sum(), rel=1e-14)


def test_counts_are_normalised():
    assert D.tv([2, 2], [1, 3]) == pytest.approx(D.tv([0.5, 0.5], [0.25, 0.75]), abs=1e-15)
    assert D.js([20, 0], [1, 1]) == pytest.approx(D.js([1, 0], [0.5, 0.5]), abs=1e-15)


@given(histograms(count=3))
def test_tv_and_sqrt_js_are_metrics(hists):
    """Identity, symmetry and the triangle inequality for TV and sqrt(JS)."""
    p, q, r = hists
    for d in (D.tv, lambda a, b: math.sqrt(D.js(a, b))):
        assert d(p, p) <= 1e-7  # sqrt(JS) amplifies rounding: sqrt(1e-16)
        assert d(p, q) == pytest.approx(d(q, p), abs=TOL)
        assert d(p, r) <= d(p, q) + d(q, r) + 1e-7


@given(histograms(count=2))
def test_pinsker_and_bretagnolle_huber(hists):
    """Pinsker TV <= sqrt(KL/2) and Bretagnolle-Huber TV <= sqrt(1 - exp(-KL))."""
    p, q = hists
    t, k = D.tv(p, q), D.kl(p, q)
    assert t <= math.sqrt(k / 2) + TOL
    assert t <= math.sqrt(1 - math.exp(-k)) + TOL


@given(histograms(count=2))
def test_js_between_half_tv_squared_and_ln2_tv(hists):
    """TV^2 / 2 <= JS <= ln 2 * TV, and 0 <= JS <= ln 2."""
    p, q = hists
    t, j = D.tv(p, q), D.js(p, q)
    assert t * t / 2 <= j + TOL
    assert j <= LN2 * t + TOL
    assert 0.0 <= j <= LN2


@given(histograms(count=2), st.data())
def test_merging_bins_never_increases_divergences(hists, data):
    """Data processing: summing adjacent bins cannot increase KL, TV or JS."""
    p, q = hists
    n = p.size
    cut = sorted(set(data.draw(st.lists(st.integers(1, max(1, n - 1)), max_size=n))))
    cut = [c for c in cut if 0 < c < n]
    merge = lambda h: np.add.reduceat(h, [0] + cut)  # noqa: E731
    pm, qm = merge(p), merge(q)
    if pm.sum() > 0 and qm.sum() > 0:
        assert D.tv(pm, qm) <= D.tv(p, q) + TOL
        assert D.js(pm, qm) <= D.js(p, q) + TOL
        assert D.kl(pm, qm) <= D.kl(p, q) + 1e-10 * max(1.0, D.kl(pm, qm))


@given(histograms(count=2, full_support=True))
def test_kl_is_finite_and_nonnegative_with_full_support(hists):
    p, q = hists
    k = D.kl(p, q)
    assert 0.0 <= k < math.inf
