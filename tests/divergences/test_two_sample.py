"""The permutation two-sample test: exact level under the null, power rising with the shift."""

import math

import numpy as np
import pytest
from scipy import stats

import divergences as D


@pytest.mark.parametrize("kernel", ["gaussian", "energy"])
def test_p_values_are_uniform_under_the_null(kernel):
    """300 seeded replicates of two samples from one law: the p-values pass a KS test of
    uniformity (p > 0.01), and the level at 0.05 is within 3 binomial standard errors."""
    ps = []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(30, 2)), rng.normal(size=(40, 2))
        ps.append(D.mmd_test(x, y, kernel=kernel, n_permutations=199, seed=seed).p_value)
    ps = np.array(ps)
    # Seeded (replicates 0-299, jitter 1): the outcome is fixed. On fresh draws a correct test
    # fails the KS check 1% of the time and the level check (4 to 26 rejections of 300) 0.27%.
    # the permutation p-value lives on the grid k / 200: compare with a KS test against U(0, 1)
    # after spreading each value uniformly over its grid cell, which makes it exactly U(0, 1)
    jitter = np.random.default_rng(1).random(ps.size) / 200
    assert stats.kstest(ps - jitter, "uniform").pvalue > 0.01
    level = (ps <= 0.05).mean()
    assert abs(level - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / ps.size)


def test_power_rises_with_the_shift():
    """Rejections at 0.05 over 40 replicates, for mean shifts 0, 0.25, 0.5, 1 (n = 50 per
    sample): non-decreasing, near the level at 0 and near 1 at the largest shift."""
    power = []
    for shift in (0.0, 0.25, 0.5, 1.0):
        rejected = 0
        for seed in range(40):
            rng = np.random.default_rng(1000 + seed)
            x, y = rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + [shift, 0.0]
            rejected += D.mmd_test(x, y, n_permutations=199, seed=seed).p_value <= 0.05
        power.append(rejected / 40)
    # seeded (replicates 1000-1039): fixed. Under the null, power[0] <= 0.15 is at most 6
    # rejections of 40 at level 0.05, which fresh draws of a correct test exceed 0.34% of the time
    assert power[0] <= 0.15
    assert all(b >= a - 0.05 for a, b in zip(power, power[1:])), power
    assert power[1] < power[3] and power[3] >= 0.95, power


def test_statistic_is_the_unbiased_mmd2_and_the_energy_distance(rng):
    """The statistic equals mmd2(unbiased) with the same bandwidth; the energy test's equals the
    unbiased energy-kernel MMD^2."""
    x, y = rng.normal(size=(60, 3)), rng.normal(size=(70, 3)) + 0.3
    h = D.median_heuristic(x, y)
    t = D.mmd_test(x, y, n_permutations=99)
    assert t.statistic == pytest.approx(D.mmd2(x, y, bandwidth=h), rel=1e-10)
    e = D.mmd_test(x, y, kernel="energy", n_permutations=99)
    assert e.statistic == pytest.approx(D.mmd2(x, y, kernel="energy"), rel=1e-10)
    assert t.null.shape == (99,)
    # the p-value is the permutation p-value of its own null, (1 + #{null >= statistic}) / (1 + B)
    # (never 0); its ties count up to the rounding of the statistic (1e-12 relative)
    exceed = int(np.sum(t.null >= t.statistic - 1e-12 * abs(t.statistic)))
    assert t.p_value == (1 + exceed) / 100


@pytest.mark.parametrize("kernel", D.MMD_KERNELS)
def test_every_listed_kernel_is_tested_with_mmd2s_statistic(kernel, rng):
    """MMD_KERNELS is what mmd_test accepts, and its statistic is mmd2's (unbiased), kernel by
    kernel: one definition of each kernel."""
    x, y = rng.normal(size=(60, 3)), rng.normal(size=(70, 3)) + 0.8
    t = D.mmd_test(x, y, kernel=kernel, bandwidth=0.9, n_permutations=99)
    assert t.statistic == pytest.approx(D.mmd2(x, y, kernel=kernel, bandwidth=0.9), rel=1e-10)
    assert t.p_value <= 0.05  # a shift of 0.8 per axis at n = 60, 70: every kernel rejects


def test_same_seed_same_p_value_and_bad_input(rng):
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 2))
    assert D.mmd_test(x, y, seed=3).p_value == D.mmd_test(x, y, seed=3).p_value
    with pytest.raises(ValueError, match="^n_permutations"):
        D.mmd_test(x, y, n_permutations=0)
    with pytest.raises(ValueError, match="^kernel"):
        D.mmd_test(x, y, kernel="rbf")
    with pytest.raises(ValueError, match="^x and y"):
        D.mmd_test(x[:1], y)
