"""The within-run tracking test (WGAN Figure 3 read within a run): it detects series that track by
construction, and not two series that only share their time course; its nulls are not degenerate."""

import numpy as np
import pytest

from claims.tracking import planted, within_run_tracking

T = 32


def _runs(rng, track: bool, runs: int = 9):
    """Falling log FD curves with their own ups and downs; the estimate follows them (``track``) or
    only shares the fall."""
    trend = np.log(900) + np.log(0.15) * np.arange(T) / (T - 1)
    y = [trend + 0.1 * rng.normal(size=T) for _ in range(runs)]
    x = [(v if track else trend + 0.1 * rng.normal(size=T)) * 0.5 + 0.02 * rng.normal(size=T) for v in y]
    return x, y, [i // 3 for i in range(runs)]


def test_tracking_within_runs_is_detected(rng):
    x, y, g = _runs(rng, track=True)
    r = within_run_tracking(x, y, g)
    assert r["p_value"] < 0.01 and r["statistic"] > 0.5 and r["interval"][0] > 0
    assert r["p_value"] == r["p_shift"] and r["p_pairing"] < 0.01  # its own ups and downs: the stricter null too


def test_a_shared_trend_alone_is_not_tracking(rng):
    x, y, g = _runs(rng, track=False)
    r = within_run_tracking(x, y, g)
    assert r["p_value"] > 0.05 and abs(r["statistic"]) < 0.3
    assert r["null_q95"] > 0 and len(set(r["shift_null"])) > 100  # a null with spread


def test_the_changes_not_the_levels_are_compared(rng):
    """Two monotone curves correlate perfectly in level; their changes, noise only, do not."""
    x = [np.linspace(1, 0, T) + 0.01 * rng.normal(size=T) for _ in range(6)]
    y = [np.linspace(7, 5, T) + 0.01 * rng.normal(size=T) for _ in range(6)]
    assert np.corrcoef(x[0], y[0])[0, 1] > 0.99
    assert within_run_tracking(x, y)["p_value"] > 0.05


def test_the_planted_control_tracks_by_construction(rng):
    x, y, g = _runs(rng, track=False)
    assert within_run_tracking(planted(x, y), y, g)["p_value"] < 0.05
    # without its signal (noise only) the planted series is not detected
    assert within_run_tracking(planted(x, [v[::-1] for v in y]), y, g)["p_value"] > 0.05


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="at least 4"):
        within_run_tracking([[1.0, 2.0]] * 3, [[1.0, 2.0]] * 3)
    with pytest.raises(ValueError, match="does not change"):
        within_run_tracking([np.ones(8)] * 3, [np.arange(8.0)] * 3)
