r"""Statistics the training experiments judge claims with: over seeds, over runs, against nulls.

* :func:`mean_interval` -- the mean over seeds and its 95% Student-t interval;
* :func:`run_permutation` -- do two series *track* each other beyond what time alone produces?
  Two curves that both trend with the training step correlate whatever their relation. By
  default at each checkpoint the cross-run mean is removed from both (what remains compares runs
  at equal time) and the pooled Spearman correlation of what remains is the statistic; or
  (``statistic="within"``) the mean over runs of each run's own Pearson correlation. The null
  pairs run i's first series with run pi(i)'s second for every permutation pi of the runs,
  optionally only within groups of runs (each series keeps its own time course and
  autocorrelation; exact when the runs are few, else random permutations). One-sided: the
  p-value is the share of pairings at least as correlated;
* :func:`mann_whitney` -- one-sided rank test of per-run summaries of two groups of runs;
* :func:`window_permutation` -- is an event (a negative cosine) more frequent in the flagged
  windows (unstable stretches) than elsewhere? The flags are permuted among the windows of each
  run;
* :func:`agrees_with_published` -- is a mean over seeds consistent with a published mean and
  standard error (Welch's z, Bonferroni over several statistics)?
* :func:`smallest_share_test` -- does the smallest of K categories hold less than a floor of its
  fair share (exact binomial, Bonferroni over the categories)? :func:`min_detectable_n`: the
  fewest draws at which an empty category is detected;
* :func:`bonferroni` -- the family-wise p-value of the smallest of several p-values;
* :func:`planted_tracking_power` -- would :func:`run_permutation` detect a series that tracks
  each run's own second series, with a given within-run correlation, on these very runs?

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


def _aligned(series: list) -> np.ndarray:
    a = np.asarray(series, dtype=float)
    if a.ndim != 2 or a.shape[0] < 2:
        raise ValueError(f"need at least 2 runs of equal length, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("series must be finite")
    return a


#: the statistics :func:`run_permutation` computes: name -> the test's name
RUN_STATISTICS = {
    "pooled": "Spearman of cross-run-demeaned series, permutation over runs (one-sided)",
    "within": "mean within-run Pearson r, permutation over runs (one-sided)",
}


def _pair_scores(x: np.ndarray, y: np.ndarray, statistic: str):
    """(M, affine): ``M[i, j]`` scores run i's x against run j's y, and a pairing pi's statistic
    is ``affine(sum_i M[i, pi(i)])``."""
    r, t = x.shape
    if statistic == "pooled":
        dx, dy = x - x.mean(axis=0, keepdims=True), y - y.mean(axis=0, keepdims=True)
        rx = stats.rankdata(dx.ravel()).reshape(r, t)
        ry = stats.rankdata(dy.ravel()).reshape(r, t)
        n = r * t
        sx, sy = rx.std(), ry.std()
        if sx == 0 or sy == 0:
            raise ValueError("a series is constant after the cross-run mean is removed: nothing to correlate")
        mx, my = rx.mean(), ry.mean()
        return rx @ ry.T, lambda total: (total / n - mx * my) / (sx * sy)
    if statistic == "within":
        sx, sy = x.std(1, keepdims=True), y.std(1, keepdims=True)
        if not (sx > 0).all() or not (sy > 0).all():
            raise ValueError("a run's series is constant: nothing to correlate")
        xz, yz = (x - x.mean(1, keepdims=True)) / sx, (y - y.mean(1, keepdims=True)) / sy
        return xz @ yz.T / t, lambda total: total / r
    raise ValueError(f"statistic must be one of {sorted(RUN_STATISTICS)}, got {statistic!r}")


def run_permutation(x: list, y: list, groups: list | None = None, statistic: str = "pooled",
                    max_permutations: int = 400_000, seed: int = 0, keep_null: bool = False) -> dict:
    """Does ``x`` track ``y`` across runs at equal time? (see the module docstring)

    ``x`` and ``y``: one series per run (R runs, T checkpoints each, aligned in time). The
    ``statistic``:

    * ``"pooled"``: the pooled Spearman correlation of the cross-run-demeaned series;
    * ``"within"``: the mean over runs of the within-run Pearson correlation corr(x[i], y[i]) over
      the checkpoints (a trend every run shares correlates across runs as much as within, so only
      a run's own ups and downs lift it above the null).

    The null re-pairs run i's x with run pi(i)'s y for every permutation pi of the runs; with
    ``groups`` (one label per run, e.g. the target) runs are permuted only within their group, so
    a trend a group's runs share is discounted too. Every permutation is enumerated when there are
    at most ``max_permutations``, else that many are drawn (the identity first).

    Returns ``statistic``, ``p_value`` (one-sided, the share of run pairings, the identity
    included, with a statistic at least as large), ``p_lower`` (the other tail: at most as
    large), ``null_q95`` (the null's 95th percentile), ``permutations``, ``exact``, ``runs``,
    ``checkpoints``, ``points``, ``within`` (each run's own score, whose mean is the statistic),
    ``across_mean`` (the mean score of a run against another run of its group), ``test`` (the
    test's name) and, with ``keep_null``, ``null`` (the null's values, rounded).

    A run permutation keeps the pooled set of each series, hence every value's rank in it: the
    pooled statistic of a pairing pi is an affine function of sum_i M[i, pi(i)], where M[i, j] is
    the dot product of run i's x-ranks with run j's y-ranks (for ``"within"``, M is the matrix of
    within-run correlations). That makes the exact null of 9 runs (362,880 pairings) a second's
    work.
    """
    x, y = _aligned(x), _aligned(y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    r, t = x.shape
    m, affine = _pair_scores(x, y, statistic)
    labels = list(groups) if groups is not None else [0] * r
    if len(labels) != r:
        raise ValueError(f"need one group label per run, got {len(labels)} for {r} runs")
    members = [np.flatnonzero(np.asarray(labels) == g) for g in dict.fromkeys(labels)]
    obs = float(affine(np.trace(m)))
    total = math.prod(math.factorial(len(g)) for g in members)
    exact = total <= max_permutations
    if exact:
        perms = _all_permutations(r) if len(members) == 1 else _group_permutations(tuple(map(tuple, members)), r)
    else:
        rng = np.random.default_rng(seed)
        perms = np.tile(np.arange(r), (max_permutations, 1))
        for row in perms[1:]:
            for g in members:
                row[g] = rng.permutation(g)
    null = affine(m[np.arange(r)[None, :], perms].sum(axis=1))
    # a pair's score on the statistic's scale (the statistic is the mean of a pairing's scores)
    scores = m if statistic == "within" else affine(r * m)
    across = [scores[i, j] for g in members for i in g for j in g if i != j]
    tol = 1e-9
    test = RUN_STATISTICS[statistic] + (", within groups" if len(members) > 1 else "")
    out = {"test": test, "statistic": obs, "p_value": float(np.mean(null >= obs - tol)),
           "p_lower": float(np.mean(null <= obs + tol)), "null_q95": float(np.quantile(null, 0.95)),
           "permutations": int(len(null)), "exact": bool(exact), "runs": int(r), "checkpoints": int(t),
           "points": int(r * t), "groups": len(members), "within": np.diag(scores).tolist(),
           "across_mean": float(np.mean(across)) if across else float("nan")}
    if keep_null:
        out["null"] = np.round(null, 5).tolist()
    return out


@lru_cache(maxsize=4)
def _all_permutations(r: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(r))), dtype=np.int8)


@lru_cache(maxsize=4)
def _group_permutations(members: tuple, r: int) -> np.ndarray:
    """Every permutation of ``range(r)`` that maps each group (a tuple of run indices) onto itself."""
    perms = []
    for combo in itertools.product(*(itertools.permutations(g) for g in members)):
        pi = np.arange(r)
        for g, img in zip(members, combo):
            pi[list(g)] = img
        perms.append(pi)
    return np.array(perms)


def agrees_with_published(values, published: tuple[float, float], comparisons: int = 1,
                          confidence: float = 0.95) -> dict:
    """Is the mean of ``values`` over seeds consistent with a published (mean, standard error)?

    Welch's z for the difference of two means, each with its standard error (ours: the standard
    deviation over seeds / sqrt(n)); the tolerance is the two-sided critical value at the
    family-wise ``confidence`` over ``comparisons`` statistics (Bonferroni). Returns our mean and
    standard error, the difference, the tolerance on it and whether it holds.
    """
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    se = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")
    crit = float(stats.norm.ppf(1 - (1 - confidence) / (2 * comparisons)))
    tol = crit * math.hypot(se, published[1])
    return {"mean": mean, "se": se, "published": list(published), "difference": mean - published[0],
            "tolerance": tol, "holds": bool(np.isfinite(tol) and abs(mean - published[0]) <= tol)}


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


def smallest_share_test(counts, floor: float = 0.5) -> dict:
    r"""Does the smallest of K categories hold less than ``floor`` of its fair share?

    ``counts``: the draws per category (n in all). The null: every category's probability is at
    least :math:`f / K` (``floor`` f, 1/2 by default: a category at half its fair share or more is
    not collapsed). The statistic is the smallest count m; its p-value bounds
    :math:`P(\min_k n_k \le m)` under the null,

    .. math:: p = \min\bigl(1, K \cdot \mathrm{Binom}(X \le m;\ n, f / K)\bigr),

    (Bonferroni over the categories; a binomial's lower tail falls as its probability grows, so
    a category at exactly f / K is the least favourable). An empty category among n draws gives
    :math:`K (1 - f/K)^n`. Also returns ``ratio`` = K m / n (the smallest category's share over
    its fair share: 1 even, 0 empty; NaN without draws) and the chi-square of m against its
    fair-share expectation n / K (one degree of freedom, for reference).
    """
    c = np.asarray(counts)
    if c.ndim != 1 or len(c) < 2 or (c < 0).any():
        raise ValueError(f"counts must be a 1-d array of at least 2 non-negative counts, got {counts!r}")
    if not 0 < floor <= 1:
        raise ValueError(f"floor must lie in (0, 1], got {floor!r}")
    k, n, m = len(c), int(c.sum()), int(c.min())
    p = 1.0 if n == 0 else float(min(1.0, k * stats.binom.cdf(m, n, floor / k)))
    e = n / k
    return {"test": f"smallest of {k} categories against {floor:g} of its fair share (binomial, Bonferroni over "
                    "categories)", "statistic": m, "p_value": p, "n": n, "k": k,
            "ratio": float(k * m / n) if n else float("nan"), "chi2": float((m - e) ** 2 / e) if n else float("nan")}


def min_detectable_n(k: int, floor: float = 0.5, alpha: float = ALPHA) -> int:
    """The fewest draws n at which :func:`smallest_share_test` finds an empty category among ``k``
    (p < ``alpha``): the smallest n with :math:`k (1 - f/k)^n < \alpha`."""
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k!r}")
    return int(math.floor(math.log(alpha / k) / math.log(1 - floor / k))) + 1


def bonferroni(p_values) -> float:
    """The family-wise p-value of the smallest of m p-values: min(1, m min p) (1.0 for none)."""
    p = [float(x) for x in p_values]
    return min(1.0, len(p) * min(p)) if p else 1.0


def planted_tracking_power(y: list, r: float, groups: list | None = None, reps: int = 100, smooth: int = 5,
                           seed: int = 0, alpha: float = ALPHA) -> dict:
    r"""The power of :func:`run_permutation` (``statistic="within"``) on these runs' ``y`` series:
    the share of ``reps`` planted pairs it detects (p < ``alpha``), where each run's planted x
    tracks its own y by construction, :math:`x_i = z(\bar y_i) + \sigma e_i`: :math:`\bar y_i`
    is y's moving average over ``smooth`` checkpoints (the run's own course without y's
    measurement noise, which no independent estimate could follow), e white noise, and
    :math:`\sigma = \sqrt{1/r^2 - 1}` (so that x's correlation with :math:`\bar y_i` is about
    ``r``). Runs whose y share one trend leave the planted tracking little to show beyond it:
    the power is then low, and a null result on them is no evidence against tracking."""
    if not 0 < r < 1:
        raise ValueError(f"r must lie in (0, 1), got {r!r}")
    if smooth < 1:
        raise ValueError(f"smooth must be at least 1, got {smooth!r}")
    ys = _aligned(y)
    kernel = np.ones(smooth) / smooth
    pad = np.pad(ys, ((0, 0), (smooth // 2, (smooth - 1) // 2)), mode="edge")
    bar = np.array([np.convolve(row, kernel, mode="valid") for row in pad])
    z = (bar - bar.mean(1, keepdims=True)) / bar.std(1, keepdims=True)
    sigma = math.sqrt(1 / r ** 2 - 1)
    rng = np.random.default_rng(seed)
    ps = [run_permutation(z + sigma * rng.normal(size=z.shape), ys, groups=groups, statistic="within")["p_value"]
          for _ in range(reps)]
    return {"power": float(np.mean(np.asarray(ps) < alpha)), "r": r, "sigma": sigma, "reps": reps, "smooth": smooth,
            "median_p": float(np.median(ps))}
