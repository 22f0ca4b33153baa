"""Sample estimators of continuous divergences against closed forms and quadrature."""

import math

import numpy as np
import pytest
from scipy import stats

import divergences as D


def test_knn_kl_converges_to_closed_form_in_1d_and_2d(rng):
    """Wang-Kulkarni-Verdu: within 0.04 nats of the closed form at n = m = 10000."""
    x1, y1 = rng.normal(0, 1, 10_000), rng.normal(1, 1.5, 10_000)
    assert D.kl_knn(x1, y1) == pytest.approx(D.kl_gaussian_1d(0, 1, 1, 1.5), abs=0.04)
    x2 = rng.normal(size=(10_000, 2))
    y2 = rng.normal(size=(10_000, 2)) * [1.0, 2.0] + [0.5, 0]
    assert D.kl_knn(x2, y2) == pytest.approx(
        D.kl_gaussian([0, 0], np.eye(2), [0.5, 0], np.diag([1.0, 4.0])), abs=0.04
    )


def test_knn_kl_near_zero_for_equal_laws(rng):
    assert abs(D.kl_knn(rng.normal(size=(5000, 2)), rng.normal(size=(5000, 2)))) < 0.03


def test_knn_kl_refuses_repeated_points():
    with pytest.raises(ValueError, match="x has repeated points"):
        D.kl_knn([0.0, 0.0, 1.0], [0.5, 2.0])


def test_plugin_js_and_tv_approach_quadrature(rng):
    """Histogram and KDE plug-ins are within 0.01 of the exact 1-D values at n = 50000."""
    p, q = stats.norm(0, 1), stats.norm(1, 1)
    js_true = D.js_density(p.pdf, q.pdf, (-40, 40))
    tv_true = D.tv_gaussian_1d(0, 1, 1, 1)
    x, y = p.rvs(50_000, random_state=rng), q.rvs(50_000, random_state=rng)
    assert D.js_binned(x, y, bins=60) == pytest.approx(js_true, abs=0.01)
    assert D.tv_binned(x, y, bins=60) == pytest.approx(tv_true, abs=0.01)
    assert D.js_kde(x[:5000], y[:5000]) == pytest.approx(js_true, abs=0.01)
    assert D.tv_kde(x[:5000], y[:5000]) == pytest.approx(tv_true, abs=0.01)


def test_plugin_estimators_see_disjoint_manifolds(rng):
    """Two parallel segments in 2-D: histogram JS = ln 2 and TV = 1 exactly (no shared bin)."""
    z = rng.random(2000)
    a, b = np.c_[np.zeros(2000), z], np.c_[np.ones(2000), z]
    assert D.js_binned(a, b, bins=32) == pytest.approx(math.log(2), abs=1e-12)
    # 1 up to the rounding of the normalised counts' sums (summation order), clipped from above only
    assert D.tv_binned(a, b, bins=32) == pytest.approx(1.0, abs=1e-15)


def test_2d_kde_estimates(rng):
    x = rng.normal(size=(3000, 2))
    y = rng.normal(size=(3000, 2)) + [1.0, 0]
    assert D.tv_kde(x, y) == pytest.approx(D.tv_gaussian_1d(0, 1, 1, 1), abs=0.03)


def test_plugin_estimators_take_weights(rng):
    """Integer weights bin as repeated points; zero weights on points inside the others' range drop
    them (the KDE's bandwidth uses the weights' effective size, so only this holds for it);
    uniform weights change nothing."""
    x, y = rng.normal(size=400), rng.normal(0.5, 1.2, size=300)
    a = rng.integers(1, 4, 400)
    assert D.js_binned(x, y, a, bins=20) == pytest.approx(D.js_binned(np.repeat(x, a), y, bins=20), rel=1e-12)
    assert D.tv_binned(x, y, a, bins=20) == pytest.approx(D.tv_binned(np.repeat(x, a), y, bins=20), rel=1e-12)
    inside = np.abs(x) < 1.0  # inside the range of the others: the common grid does not move
    zero = np.where(inside, 0.0, 1.0)
    zero[np.argmin(x)] = zero[np.argmax(x)] = 1.0
    for f in (D.js_kde, D.tv_kde, D.js_binned, D.tv_binned):
        assert f(x, y, zero) == pytest.approx(f(x[zero > 0], y), rel=1e-10)
        assert f(x, y, np.full(400, 3.0), np.ones(300)) == pytest.approx(f(x, y), rel=1e-12)
