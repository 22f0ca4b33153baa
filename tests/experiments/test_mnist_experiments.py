"""The toys that train on MNIST (loss_quality, architectures, stacked_mnist): their statistics
on known inputs, and the quick runs (too short to learn: sanity checks only, the other claims
named as needing the full run)."""

import numpy as np
import pytest

from experiments import architectures, loss_quality, mnist_runs, stacked_mnist


def _record(fd, stat, algo="wgan", probe=None):
    steps = np.arange(1, len(fd) + 1) * 10
    log = [{"step": int(s), "em_estimate" if algo == "wgan" else "js_lower_bound": float(v), "loss_g": float(-v)}
           for s, v in zip(np.repeat(steps, 1), stat)]
    evals = [{"step": int(s), "fd": float(f), "kid": float(f) / 3, "classes": 10, "confident": 0.5}
             for s, f in zip(steps, fd)]
    if probe is not None:
        for e, p in zip(evals, probe):
            e.update(probe_em=float(p), probe_js=0.69)
    return {"config": {"algo": algo}, "log": log, "evals": evals, "samples": {}}


def test_summary_statistics_separate_tracking_from_trends():
    """Two curves that both fall correlate in level; only a statistic that cancels the trend
    (changes) tells whether one follows the other."""
    t = np.arange(16)
    fd = 100 * np.exp(-t / 5)
    follows = fd / 1000 + 0.001 * np.sin(t)  # tracks FD
    noise = np.random.default_rng(0).normal(size=16)
    trend_only = 0.1 * np.exp(-t / 7) + 0.002 * noise  # falls too, but its wiggles are unrelated
    a = loss_quality.summarise(_record(fd + np.sin(t), follows + 0.001 * np.sin(t)))
    b = loss_quality.summarise(_record(fd + np.sin(t), trend_only))
    assert a["rho_stat_fd"] > 0.9 and b["rho_stat_fd"] > 0.9  # levels: both look "correlated"
    assert a["rho_dstat_dfd"] > 0.5 and b["rho_dstat_dfd"] < a["rho_dstat_dfd"]
    assert a["learned"]


def test_across_runs_compares_at_equal_time():
    good = _record([100, 50, 20, 10], [0, 0, 0, 0], probe=[0.1, 0.05, 0.02, 0.01])
    bad = _record([200, 150, 120, 110], [0, 0, 0, 0], probe=[0.2, 0.15, 0.12, 0.11])
    mid = _record([150, 90, 60, 40], [0, 0, 0, 0], probe=[0.15, 0.09, 0.06, 0.04])
    s = {k: loss_quality.summarise(r) for k, r in (("g", good), ("b", bad), ("m", mid))}
    assert loss_quality.across_runs(s, ["g", "b", "m"]) == pytest.approx(1.0)


def test_quick_loss_quality_runs_the_two_dcgan_runs(toy_result):
    r = toy_result("loss_quality")
    assert r["names"] == list(mnist_runs.QUICK_RUNS)
    assert set(r["needs_full_run"]) >= {"probe_tracks_fd", "probe_js_near_ln2", "across_runs_order"}
    assert [c["kind"] for c in r["claims"]] == ["sanity"] and r["claims"][0]["holds"]
    for run in r["runs"].values():
        assert np.all(np.isfinite(run["fd"])) and len(run["fd"]) >= 2
        assert "probe_em" in run and np.all(np.isfinite(run["probe_js"]))


def test_quick_architectures_reuses_the_runs(toy_result):
    r = toy_result("architectures")
    assert r["names"] == list(mnist_runs.QUICK_RUNS)
    assert "adam_cosine_coincides" in r["needs_full_run"]
    by_id = {c["id"]: c for c in r["claims"]}
    assert by_id["rmsprop_cosine_positive"]["kind"] == "sanity" and by_id["rmsprop_cosine_positive"]["holds"]


def test_instabilities_and_negative_cosine_windows():
    rec = {"evals": [{"step": s, "fd": f} for s, f in ((10, 100), (20, 80), (30, 120), (40, 70))],
           "log": [{"step": s, "critic_step_cosine": c} for s, c in ((5, 0.5), (15, 0.4), (25, -0.2), (28, -0.1),
                                                                       (35, 0.3))]}
    rises, neg = architectures.instabilities(rec)
    assert rises == [30] and neg == [0.0, 0.0, 1.0, 0.0]


def test_stacked_mnist_mode_count():
    """Modes and KL to uniform as PacGAN computes them, on real stacked digits."""
    from gan.features import load_feature_net
    from gan.mnist import StackedMNIST

    net = load_feature_net(None, 16, verbose=False)
    real = StackedMNIST(3000, 16, seed=0)
    r = stacked_mnist.modes(net, real.array)
    true = np.unique(real.labels @ np.array([100, 10, 1])).size
    assert abs(r["modes"] - true) <= 0.05 * true and r["kl"] < 0.8
    one = np.repeat(real.array[:1], 500, axis=0)  # a generator of one image: one mode
    r1 = stacked_mnist.modes(net, one)
    assert r1["modes"] == 1 and r1["kl"] == pytest.approx(np.log(1000))


def test_quick_stacked_mnist(toy_result):
    r = toy_result("stacked_mnist")
    assert r["needs_full_run"] == ["wgan_covers_more_modes"]
    assert r["claims"][0]["id"] == "real_covers_all_modes" and r["claims"][0]["holds"]
    assert {"gan", "wgan"} == set(r["runs"]) and all(0 < v["modes"] <= 1000 for v in r["runs"].values())
