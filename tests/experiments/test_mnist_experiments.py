"""The experiments that train on MNIST (loss_quality, architectures, stacked_mnist): the quick runs
(too short to learn: sanity checks only, the other claims named as needing the full run), the
run records' reading of the trainer's logs, and the Stacked MNIST mode count."""

import numpy as np
import pytest

from experiments import architectures, loss_quality, mnist_runs, stacked_mnist


def test_quick_loss_quality_runs_the_two_dcgan_runs(toy_result):
    r = toy_result("loss_quality")
    assert sorted(r["names"]) == sorted(loss_quality.QUICK_RUNS)
    assert set(r["needs_full_run"]) >= {"fig3_em_tracks_quality", "fig4_js_does_not_track", "probe_saturates"}
    assert [c["kind"] for c in r["claims"]] == ["sanity"] and r["claims"][0]["holds"]
    for run in r["runs"]:
        assert np.all(np.isfinite(run["fd"])) and len(run["fd"]) == mnist_runs.BUDGETS["quick"]["checkpoints"]
        assert len(run["stat"]) == len(run["fd"])
    # the DCGAN control is recorded, and a few dozen steps do not pass it
    assert [c["settings"]["run"] for c in r["controls"]] == ["gan_dcgan"] and not r["controls"][0]["holds"]


def test_quick_architectures_reuses_the_runs(toy_result):
    r = toy_result("architectures")
    assert sorted(r["names"]) == sorted(architectures.QUICK_RUNS)
    assert "adam_cosine_where_unstable" in r["needs_full_run"]
    by_id = {c["id"]: c for c in r["claims"]}
    assert by_id["rmsprop_cosine_positive"]["kind"] == "sanity" and by_id["rmsprop_cosine_positive"]["holds"]
    wgan = next(x for x in r["runs"] if x["name"] == "wgan_dcgan")
    assert wgan["cosine"]["resolution"] == "every critic step"
    # 20 generator steps of 5 critic steps each
    assert wgan["cosine"]["count"] == 5 * mnist_runs.BUDGETS["quick"]["steps"]["wgan"]


def test_cosine_windows_count_every_critic_step():
    rows = [{"step": s, "critic_step_cosine": float(np.mean(c)), "critic_step_cosines": c}
            for s, c in ((5, [0.5, 0.4]), (15, [0.3, -0.2]), (25, [-0.2, -0.1]), (35, [0.3, 0.2]))]
    w = mnist_runs._cosine_windows(rows, np.array([0, 10, 20, 30, 40]))
    assert w["negative_share"] == [0.0, 0.5, 1.0, 0.0] and w["negative_total"] == 3 and w["count"] == 8
    assert w["resolution"] == "every critic step" and w["min"] == -0.2
    # a mean per generator step hides the negative step of the second window
    means = [{k: v for k, v in r.items() if k != "critic_step_cosines"} for r in rows]
    assert mnist_runs._cosine_windows(means, np.array([0, 10, 20, 30, 40]))["negative_share"][1] == 0.0


def test_window_means_of_the_training_statistic():
    steps, vals = np.arange(1, 11), np.arange(1, 11, dtype=float)
    assert mnist_runs._window_means(steps, vals, np.array([0, 5, 10])) == [3.0, 8.0]


def test_stacked_mnist_mode_count():
    """Modes and KL to uniform as PacGAN computes them (argmax), and the confident count, on real
    stacked digits; a blurred generator covers modes by argmax but not confidently."""
    from gan.mnist import StackedMNIST

    real = StackedMNIST(3000, 16, seed=0)
    r = stacked_mnist.modes(real.array)
    true = np.unique(real.labels @ np.array([100, 10, 1])).size
    assert abs(r["modes"] - true) <= 0.05 * true and r["kl"] < 0.8
    assert r["confident_modes"] >= 0.9 * r["modes"] and r["confident_share"] > 0.8
    one = np.repeat(real.array[:1], 500, axis=0)  # a generator of one image: one mode
    r1 = stacked_mnist.modes(one)
    assert r1["modes"] == 1 and r1["kl"] == pytest.approx(np.log(1000))
    flat = np.clip(real.array.mean(axis=0, keepdims=True).repeat(500, axis=0) + np.random.default_rng(0).normal(
        0, 20, (500, 16, 16, 3)), 0, 255).astype(np.uint8)  # grey blur: read as some digits by argmax
    rf = stacked_mnist.modes(flat)
    assert rf["confident_modes"] < rf["modes"] or rf["confident_share"] < 0.1


def _stacked(name, seed, confident_modes, share=0.6):
    return {"name": name, "label": "x", "seed": seed, "steps": 40, "critic_width": 2, "modes": confident_modes + 20,
            "kl": 1.0, "confident_modes": confident_modes, "confident_kl": 1.0, "confident_share": share,
            "top_mode_share": 0.002}


def _mnist_controls(ok=True):
    from .mnist_records import T, record

    fd = [900.0] * (T - 1) + ([60.0] if ok else [500.0])
    return mnist_runs.by_name([record("gan_dcgan", s, fd, recognisable=ok) for s in range(3)]
                              + [record("wgangp_mnist", 0, fd, recognisable=ok)])


def test_stacked_coverage_is_absolute_and_can_fail():
    """WGAN's confident modes against a uniform generator's with as many confident samples: all
    covered agrees, half covered disagrees, whatever the GAN beside does; runs that did not learn
    decide nothing; one seed decides nothing."""
    from claims import check_result

    gan = [_stacked("gan_d4", s, 30) for s in range(3)]
    for modes, verdict in ((995, "agrees"), (500, "disagrees")):
        wgan = [_stacked("wgan_d4", s, modes - s) for s in range(3)]
        controls, claims = stacked_mnist.judge({"gan_d4": gan, "wgan_d4": wgan}, "", 0.86,
                                               mnist_groups=_mnist_controls())
        check_result({"claims": claims, "controls": controls}, "WGAN")
        assert claims[0]["verdict"] == verdict and claims[0]["seeds"] == [0, 1, 2]
        assert [c["kind"] for c in controls] == ["learns", "learns", "power"] and all(c["holds"] for c in controls)
        assert claims[0]["measured"]["GAN, D 1/4 (beside)"]["confident modes"] == [30, 30, 30]
    blur = [_stacked("wgan_d4", s, 40, share=0.01) for s in range(3)]
    c = stacked_mnist.judge({"wgan_d4": blur}, "", 0.86, mnist_groups=_mnist_controls())[1][0]
    assert c["verdict"] == "no verdict" and "did not learn" in c["reason"]
    one = stacked_mnist.judge({"wgan_d4": [_stacked("wgan_d4", 0, 995)]}, "", 0.86, mnist_groups=_mnist_controls())
    assert one[1][0]["verdict"] == "no verdict" and "long budget" in one[1][0]["reason"]
    failed = stacked_mnist.judge({"wgan_d4": [_stacked("wgan_d4", s, 995) for s in range(3)]}, "", 0.86,
                                 mnist_groups=_mnist_controls(ok=False))
    assert failed[1][0]["verdict"] == "no verdict" and "control" in failed[1][0]["reason"]


def test_stacked_reason_names_the_gpu_task_once_the_long_budget_is_spent():
    """WGAN runs that did not learn: at the long budget's steps and seeds (the CPU's plan spent) the reason
    gives the numbers and names the GPU command's task (Stacked MNIST at the published scale); at fewer
    steps it names the CPU's long budget. The verdict is the same."""
    from claims import check_result

    def reason(steps):
        blur = [dict(_stacked("wgan_d4", s, 40, share=0.01), steps=steps) for s in range(3)]
        controls, claims = stacked_mnist.judge({"wgan_d4": blur}, "", 0.86, mnist_groups=_mnist_controls())
        check_result({"claims": claims, "controls": controls}, "WGAN")
        assert claims[0]["verdict"] == "no verdict"
        return claims[0]["reason"]

    spent = reason(stacked_mnist.STEPS["long"]["wgan"])
    assert "did not learn at this budget (0 of 3 seeds; confident share 0.010, 0.010, 0.010" in spent
    assert "the CPU's long budget is spent (1,200 WGAN generator steps, 3 seeds)" in spent
    assert stacked_mnist.GPU_STACKED_TASK in spent and "python -m benchmarks.gpu" in spent
    short = reason(stacked_mnist.STEPS["main"]["wgan"])
    assert "python -m figures --budget long" in short and "benchmarks.gpu" not in short


def test_stacked_paper_scale_tasks():
    """The published scale's tasks (what the GPU command runs): the claim's WGAN first, setting by setting;
    sizes overridable (the --tiny path) with the same keys; unknown names or sizes refused."""
    tasks = stacked_mnist.paper_scale_tasks("cuda", 50_000, (0, 1, 2))
    assert [t.key for t in tasks[:4]] == ["stacked_wgan_d4-s0-paper50000", "stacked_wgan_d4-s1-paper50000",
                                          "stacked_wgan_d4-s2-paper50000", "stacked_gan_d4-s0-paper50000"]
    assert tasks[0].args[0] == ("wgan_d4", 0, 50_000, 25_600, "cuda", 32, 16, 128) and len(tasks) == 9
    tiny = stacked_mnist.paper_scale_tasks("cpu", 8, (0,), ("wgan_d4",), samples=200, image_size=16, width=8, batch=8)
    assert [t.key for t in tiny] == ["stacked_wgan_d4-s0-paper8"] and tiny[0].args[0][3:] == (200, "cpu", 16, 8, 8)
    with pytest.raises(ValueError, match="names"):
        stacked_mnist.paper_scale_tasks(names=("wgan_d8",))
    with pytest.raises(ValueError, match="sizes"):
        stacked_mnist.paper_scale_tasks(depth=3)


def test_stacked_power_control_detects_dropped_modes():
    assert stacked_mnist.uniform_modes(26_000) == pytest.approx(1000, abs=0.01)
    assert stacked_mnist.uniform_modes(1000) == pytest.approx(1000 * (1 - np.exp(-1)), rel=1e-3)
    ok = stacked_mnist.power_control([15_000, 15_600, 14_000])
    assert ok["holds"] and ok["kind"] == "power"
    assert not stacked_mnist.power_control([30, 30, 30])["holds"]  # too few confident samples to tell


def test_published_rows_are_beside_not_a_gate():
    rows = stacked_mnist.published_rows({"gan_d4": [_stacked("gan_d4", s, 40, share=0.0) for s in range(3)]}, 0.86)
    assert rows[0]["run"] == "gan_d4" and not rows[0]["reproduced"]


def test_quick_stacked_mnist(toy_result):
    r = toy_result("stacked_mnist")
    assert r["needs_full_run"] == ["wgan_no_mode_collapse"]
    assert r["claims"][0]["id"] == "real_covers_all_modes" and r["claims"][0]["holds"]
    assert set(r["runs"]) == set(stacked_mnist.MAIN) and all(0 < v["modes_mean"] <= 1000 for v in r["runs"].values())
