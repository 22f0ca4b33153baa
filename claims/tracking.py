r"""Does one series track another *within* a run, beyond what time alone produces?

WGAN Section 4.2 (Figure 3): the critic's EM estimate "correlates well" with sample quality
during a run. Two curves that both fall over training correlate whatever their relation, so the
test here works on the **changes between checkpoints** (first differences, which remove each
run's trend) and sets them against two nulls that keep each series' own time course:

* **circular shifts**: run i's quality changes are rotated by a random offset k_i (1 <= k_i <
  n) against its estimate changes, independently in every run (each series keeps its
  autocorrelation; only their alignment in time is broken);
* **re-pairing runs** (:func:`claims.stats.run_permutation`, ``statistic="within"``), reported
  beside: run i's estimate changes against run pi(i)'s quality changes, pi permuting the runs
  within each group. Runs of one setting share their schedule (fast early, slow late), so this
  stricter null asks whether a run's estimate follows *its own* quality beyond that schedule --
  including the checkpoint-to-checkpoint noise of FD measured on 1,000 samples, which no
  estimate can follow.

The statistic is the mean over runs of the within-run Spearman correlation

.. math:: \bar\rho = \frac{1}{R} \sum_i \rho_S(\Delta x_i, \Delta y_i),
          \qquad \Delta x_{i,t} = x_{i,t+1} - x_{i,t},

one-sided (tracking: :math:`\bar\rho` large). The test's p-value is the circular-shift null's
(``p_value``); the re-pairing null's (``p_pairing``) is reported beside it, never hidden.

:func:`planted` builds series that track by construction (the power control): each run's
quality changes, standardised, plus as much noise taken from the run's own estimate changes
(circularly shifted half a run away).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from . import stats as S

TEST = ("mean within-run Spearman of the changes between checkpoints against a circular-shift null (each run's "
        "quality changes rotated by a random offset, independently; one-sided)")


def _differences(series) -> list[np.ndarray]:
    out = []
    for s in series:
        a = np.asarray(s, dtype=float)
        if a.ndim != 1 or len(a) < 4:
            raise ValueError(f"each series needs at least 4 checkpoints, got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError("series must be finite")
        out.append(np.diff(a))
    return out


def within_run_tracking(x, y, groups=None, draws: int = 20_000, seed: int = 0) -> dict:
    """Does ``x`` track ``y`` within runs? (see the module docstring)

    Parameters
    ----------
    x, y : list of 1-D arrays
        One series per run (the estimate and the quality, per checkpoint); run i's two series
        have equal lengths.
    groups : list, optional
        One label per run (its setting): the re-pairing null permutes runs within a group only.
    draws : int
        Random circular shifts drawn for that null (the identity included).
    seed : int
        Seed of the draws.

    Returns
    -------
    dict
        ``statistic`` (mean within-run Spearman of the first differences), ``p_value`` (the
        circular-shift null's, also ``p_shift``), ``p_pairing`` (the re-pairing null's, reported
        beside), ``p_lower`` (the shift null's other tail: at most as
        large), ``null_q95`` (the shift null's 95th percentile), ``pairing_q95``, ``per_run``
        (each run's Spearman), ``interval`` (95% Student-t interval of the per-run values),
        ``runs``, ``points`` (differences), ``test``, ``null`` (a description) and
        ``shift_null`` (a 2,000-value sample of the shift null, for drawing).
    """
    dx, dy = _differences(x), _differences(y)
    if len(dx) != len(dy) or len(dx) < 2:
        raise ValueError(f"x and y need the same number of runs, at least 2; got {len(dx)} and {len(dy)}")
    for a, b in zip(dx, dy):
        if len(a) != len(b):
            raise ValueError("each run's two series must have the same length")
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            raise ValueError("a run's series does not change: nothing to correlate")
    rx = [stats.rankdata(a) for a in dx]
    ry = [stats.rankdata(b) for b in dy]
    # shifted[i][k]: run i's Spearman with its quality changes rotated by k (k = 0: observed)
    shifted = []
    for a, b in zip(rx, ry):
        za, zb = (a - a.mean()) / a.std(), (b - b.mean()) / b.std()
        shifted.append(np.array([np.mean(za * np.roll(zb, k)) for k in range(len(zb))]))
    per_run = np.array([s[0] for s in shifted])
    obs = float(per_run.mean())
    rng = np.random.default_rng(seed)
    null = np.zeros(draws)
    for s in shifted:
        k = rng.integers(1, len(s), size=draws)
        null += s[k]
    null /= len(shifted)
    null[0] = obs  # the identity counts among the draws
    tol = 1e-12
    p_shift = float(np.mean(null >= obs - tol))
    p_low = float(np.mean(null <= obs + tol))
    lengths = {len(a) for a in dx}
    if len(lengths) == 1:
        pair = S.run_permutation(rx, ry, groups=groups, statistic="within")
        p_pair, pair_q95, perms = pair["p_value"], pair["null_q95"], pair["permutations"]
    else:  # runs of different lengths cannot be re-paired
        p_pair, pair_q95, perms = float("nan"), float("nan"), 0
    mi = S.mean_interval(per_run)
    return {"test": TEST, "statistic": obs, "p_value": p_shift,
            "p_shift": p_shift, "p_pairing": p_pair, "p_lower": p_low,
            "null_q95": float(np.quantile(null, 0.95)), "pairing_q95": pair_q95, "pairings": perms,
            "shift_draws": draws, "per_run": per_run.tolist(), "interval": [mi["lo"], mi["hi"]],
            "runs": len(dx), "points": int(sum(len(a) for a in dx)),
            "null": "circular shifts of each run's quality changes (runs re-paired within a setting: beside)",
            "shift_null": np.round(null[:2000], 4).tolist()}


def planted(x, y, noise: float = 1.0) -> list[np.ndarray]:
    """Series that track ``y`` by construction, as noisy as ``x``: per run, the standardised
    changes of ``y`` plus ``noise`` times the standardised changes of ``x`` rotated by half the
    run (the run's own estimate noise, out of step with its quality), cumulated into levels.
    The power control of :func:`within_run_tracking`."""
    out = []
    for a, b in zip(_differences(x), _differences(y)):
        zb = (b - b.mean()) / (b.std() or 1.0)
        za = np.roll((a - a.mean()) / (a.std() or 1.0), len(a) // 2)
        out.append(np.r_[0.0, np.cumsum(zb + noise * za)])
    return out
