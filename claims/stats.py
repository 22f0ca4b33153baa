r"""Statistics the training experiments judge claims with: over seeds, over runs, against nulls.

* :func:`mean_interval` -- the mean over seeds and its 95% Student-t interval;
* :func:`run_permutation` -- do two series *track* each other beyond what time alone produces?
  Two curves that both trend with the training step correlate whatever their relation. At each
  checkpoint the cross-run mean is removed from both (what remains compares runs at equal time),
  the pooled Spearman correlation of what remains is the statistic, and the null pairs run i's
  first series with run pi(i)'s second for every permutation pi of the runs (each series keeps
  its own time course and autocorrelation; exact when the runs are few, else 20,000 random
  permutations). One-sided: the p-value is the share of pairings at least as correlated;
* :func:`mann_whitney` -- one-sided rank test of per-run summaries of two groups of runs;
* :func:`window_permutation` -- is an event (a negative cosine) more frequent in the flagged
  windows (unstable stretches) than elsewhere? The flags are permuted among the windows of each
  run.

Each returns the statistic, its p-value and the test's name, as ``test`` records of
:func:`claims.record.claim` want them.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
from scipy import stats

ALPHA = 0.05


def mean_interval(values, level: float = 0.95) -> dict:
    """Mean, Student-t interval and n of per-seed values (NaNs dropped); the interval is NaN for
    fewer than two values."""
    v = np.asarray([x for x in np.asarray(values, dtype=float).ravel() if np.isfinite(x)])
    n = len(v)
    if n == 0:
        return {"mean": float("nan"), "lo": float("nan"), "hi": float("nan"), "n": 0}
    m = float(v.mean())
    if n < 2:
        return {"mean": m, "lo": float("nan"), "hi": float("nan"), "n": 1}
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return {"mean": m, "lo": m - half, "hi": m + half, "n": n}


def _demeaned(series: list) -> np.ndarray:
    a = np.asarray(series, dtype=float)
    if a.ndim != 2 or a.shape[0] < 2:
        raise ValueError(f"need at least two runs of equal length, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("series must be finite")
    return a - a.mean(axis=0, keepdims=True)


def run_permutation(x: list, y: list, max_permutations: int = 400_000, seed: int = 0) -> dict:
    """Does ``x`` track ``y`` across runs at equal time? (see the module docstring)

    ``x`` and ``y``: one series per run (R runs, T checkpoints each, aligned in time). Returns
    ``statistic`` (pooled Spearman of the cross-run-demeaned series), ``p_value`` (one-sided,
    the share of run pairings, the identity included, with a statistic at least as large),
    ``p_lower`` (the other tail: at most as large), ``null_q95`` (the null's 95th percentile),
    ``permutations``, ``exact``, ``runs``, ``points`` and ``test`` (the test's name).

    A run permutation keeps the pooled set of each series, hence every value's rank in it: the
    statistic of a pairing pi is an affine function of sum_i M[i, pi(i)], where M[i, j] is the
    dot product of run i's x-ranks with run j's y-ranks. That makes the exact null of 9 runs
    (362,880 pairings) a second's work.
    """
    dx, dy = _demeaned(x), _demeaned(y)
    if dx.shape != dy.shape:
        raise ValueError(f"x and y must have the same shape, got {dx.shape} and {dy.shape}")
    r, t = dx.shape
    rx = stats.rankdata(dx.ravel()).reshape(r, t)
    ry = stats.rankdata(dy.ravel()).reshape(r, t)
    n = r * t
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        raise ValueError("a series is constant after the cross-run mean is removed: nothing to correlate")
    m = rx @ ry.T  # (R, R)

    def corr(total):
        return (total / n - rx.mean() * ry.mean()) / (sx * sy)

    obs = float(corr(np.trace(m)))
    exact = math.factorial(r) <= max_permutations
    if exact:
        perms = _all_permutations(r)
    else:
        rng = np.random.default_rng(seed)
        perms = np.vstack([np.arange(r)] + [rng.permutation(r) for _ in range(max_permutations - 1)])
    null = corr(m[np.arange(r)[None, :], perms].sum(axis=1))
    tol = 1e-9
    return {"test": "Spearman of cross-run-demeaned series, permutation over runs (one-sided)",
            "statistic": obs, "p_value": float(np.mean(null >= obs - tol)),
            "p_lower": float(np.mean(null <= obs + tol)), "null_q95": float(np.quantile(null, 0.95)),
            "permutations": int(len(null)), "exact": bool(exact), "runs": int(r), "points": int(n)}


@lru_cache(maxsize=4)
def _all_permutations(r: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(r))), dtype=np.int8)


def mann_whitney(a, b) -> dict:
    """One-sided Mann-Whitney U test that values in ``a`` tend to exceed those in ``b``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:
        return {"test": "Mann-Whitney U (one-sided)", "statistic": float("nan"), "p_value": float("nan")}
    res = stats.mannwhitneyu(a, b, alternative="greater", method="exact" if len(a) + len(b) <= 30 else "auto")
    return {"test": "Mann-Whitney U (one-sided)", "statistic": float(res.statistic),
            "p_value": float(res.pvalue), "n": [len(a), len(b)]}


def window_permutation(rates: list, flags: list, permutations: int = 20_000, seed: int = 0) -> dict:
    """Is the mean of ``rates`` higher in flagged windows than in the others?

    ``rates[i]`` and ``flags[i]`` are one run's per-window values and booleans. The statistic is
    the mean over flagged windows minus the mean over the others (all runs pooled); the null
    permutes the flags among the windows of each run. NaN when no window, or every window, is
    flagged.
    """
    rates = [np.asarray(r, float) for r in rates]
    flags = [np.asarray(f, bool) for f in flags]
    allf = np.concatenate(flags) if flags else np.zeros(0, bool)
    if allf.sum() == 0 or allf.sum() == len(allf):
        return {"test": "difference of means, flags permuted within runs (one-sided)",
                "statistic": float("nan"), "p_value": float("nan")}
    allr = np.concatenate(rates)

    def diff(fl):
        return float(allr[fl].mean() - allr[~fl].mean())

    obs = diff(allf)
    rng = np.random.default_rng(seed)
    null = np.array([diff(np.concatenate([rng.permutation(f) for f in flags])) for _ in range(permutations)])
    return {"test": "difference of means, flags permuted within runs (one-sided)", "statistic": obs,
            "p_value": float((1 + np.sum(null >= obs - 1e-12)) / (1 + permutations)),
            "null_q95": float(np.quantile(null, 0.95))}
