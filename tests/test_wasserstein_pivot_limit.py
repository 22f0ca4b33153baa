"""The fast test of the claim the slow one (tests/divergences/test_wasserstein.py, n = 5000) checks
at full size: a fixed pivot budget, POT's habit, stops the network simplex short of the optimum
as n grows, while the budget ``wasserstein`` sizes from n and m converges (issue 31, item 13)."""

import numpy as np
import ot
import pytest
from scipy.spatial.distance import cdist

import divergences as D
from divergences import _wasserstein


def test_a_fixed_pivot_budget_fails_where_the_sized_one_converges():
    """n = 1500 in 2-D needs tens of thousands of pivots: a fixed budget of 10,000 (a tenth of
    POT's default, which n = 5000 exceeds) stops early with a cost above the optimum; the sized
    budget, 1000 (n + m), returns the optimum."""
    rng = np.random.default_rng(0)
    n = 1500
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 0.5
    w = np.full(n, 1 / n)
    M = cdist(x, y)
    short, log = ot.emd2(w, w, M, numItermax=10_000, log=True)
    exact = ot.emd2(w, w, M, numItermax=10**9)
    assert log["result_code"] == 3  # POT's MAX_ITER_REACHED
    assert short > exact + 1e-6  # stopping early overestimates W
    assert _wasserstein._default_max_iter(n, n) > 10_000
    assert D.wasserstein(x, y) == pytest.approx(exact, abs=1e-12)
