"""WGAN Example 1 / Figure 1, asserted on the toy's numbers."""

import math

import numpy as np


def test_em_is_abs_theta_and_js_kl_tv_jump(toy_result):
    r = toy_result("parallel_lines")
    th = np.asarray(r["thetas"])
    nz = th != 0
    assert np.max(np.abs(np.asarray(r["w_grid"]) - np.abs(th))) <= 1e-9
    np.testing.assert_allclose(np.asarray(r["js_hist"])[nz], math.log(2), atol=1e-12)
    np.testing.assert_allclose(np.asarray(r["tv_hist"])[nz], 1.0, atol=1e-12)
    assert np.all(np.isinf(np.asarray(r["kl_hist"])[nz]))
    assert np.asarray(r["js_hist"])[~nz][0] < 0.05  # the jump: ~0 at theta = 0


def test_sampled_em_within_sampling_error(toy_result):
    r = toy_result("parallel_lines")
    th, w, gap = (np.asarray(r[k]) for k in ("thetas", "w_sample", "w_1d_gap"))
    assert np.all(w >= np.abs(th) - 1e-12)
    assert np.all(w <= np.abs(th) + gap + 1e-12)


def test_em_and_critic_learn_theta_discriminator_stalls(toy_result):
    """Judged on the largest |theta| over the last 20 steps (theta oscillates around 0), against
    what a minibatch resolves (the null of theta = 0), in every seed."""
    r = toy_result("parallel_lines")
    learn, null = r["learning_seeds"], r["resolution"]
    assert 0.03 < null < 0.15
    assert len(r["seeds"]) >= (1 if r["needs_full_run"] else 5)  # --quick: one seed
    assert np.abs(np.asarray(r["learning"]["em"]["theta"][-20:])).max() < null
    assert np.abs(np.asarray(learn["wgan"]["theta"])[:, -20:]).max(axis=1).mean() < null
    assert np.abs(np.asarray(learn["gan"]["theta"])[:, -20:]).min() > 0.9
    g = np.asarray(learn["gan"]["grad"])
    assert np.all(g[:, :5].mean(1) / g[:, -20:].mean(1) >= 100)
    for grad, theta in zip(np.asarray(learn["wgan"]["grad"]), np.asarray(learn["wgan"]["theta"])):
        assert np.all(np.abs(theta[:-1])[grad == 0] < null)  # a dead critic only once theta is learned
    assert r["dead_critic_steps"] == [int((gr == 0).sum()) for gr in np.asarray(learn["wgan"]["grad"])]


def test_stacked_seeds_are_separate_runs():
    """The seeds trained in one pass (gan.seedstack) are the single runs: seed 3 alone and seed 3
    among others start alike and reach theta within noise of each other."""
    from toys.parallel_lines import learn_seeds

    one = learn_seeds("wgan", 5, 0.01, 32, 2, [3])
    three = learn_seeds("wgan", 5, 0.01, 32, 2, [1, 3, 5])
    assert one["theta"].shape == (1, 6) and three["theta"].shape == (3, 6) and three["grad"].shape == (3, 5)
    assert len(set(np.round(three["theta"][:, -1], 8))) == 3  # three different runs


def test_learning_findings_can_fail():
    """judge_learning reads each finding off a 95% interval over seeds: fed numbers where the claim
    fails, it says so; fed too few seeds or a failed control, it decides nothing."""
    from toys.parallel_lines import judge_learning

    seeds, null = [0, 1, 2, 3, 4], 0.07
    good = judge_learning([0.02, 0.03, 0.01, 0.02, 0.03], [0.01, 0.02, 0.01, float("nan"), 0.03],
                          [0.95, 0.96, 0.97, 0.95, 0.96], [800, 900, 1000, 700, 850], null, seeds)
    assert {c["id"]: c["verdict"] for c in good} == dict.fromkeys(
        ["wgan_critic_converges", "critic_dies_only_after_learning", "gan_discriminator_stalls",
         "gan_gradient_vanishes"], "agrees")
    assert all(c["test"]["interval"] and c["seeds"] for c in good)
    bad = {c["id"]: c for c in judge_learning([0.2, 0.3, 0.25, 0.2, 0.3], [0.3, 0.5, 0.4, 0.6, 0.2],
                                               [0.01, 0.0, 0.02, 0.01, 0.0], [2, 3, 5, 2, 4], null, seeds)}
    assert all(c["holds"] is False and c["verdict"] == "disagrees" for c in bad.values())
    # one seed far off widens the interval over the threshold: not a pass
    wide = {c["id"]: c for c in judge_learning([0.01, 0.01, 0.01, 0.01, 0.3], [float("nan")] * 5,
                                                [0.9] * 5, [1000] * 5, null, seeds)}
    assert wide["wgan_critic_converges"]["holds"] is False
    assert wide["critic_dies_only_after_learning"]["verdict"] == "not applicable"
    few = judge_learning([0.02, 0.03, 0.01], [float("nan")] * 3, [0.9] * 3, [1000] * 3, null, [0, 1, 2])
    assert all(c["verdict"] in ("no verdict", "not applicable") for c in few)
    failed = judge_learning([0.02, 0.03, 0.01, 0.02, 0.03], [float("nan")] * 5, [0.9] * 5, [1000] * 5, null,
                            seeds, controls_passed=False)
    assert {c["verdict"] for c in failed} <= {"no verdict", "not applicable"}


def test_resolution_is_the_null_of_no_distance():
    """The threshold's null can fail: the EM between samples of lines 0.2 apart exceeds it."""
    from toys.parallel_lines import resolution

    null = resolution(128, draws=500)
    rng = np.random.default_rng(1)
    z = np.sort(rng.random((200, 2, 128)), axis=2)
    same = np.abs(z[:, 0] - z[:, 1]).mean(axis=1)
    assert 0.90 <= np.mean(same < null) <= 0.99  # its own level, on fresh draws
    import divergences as D

    apart = [D.wasserstein(np.c_[np.zeros(128), a], np.c_[np.full(128, 0.2), b]) for a, b in z[:20]]
    assert min(apart) > null


def test_findings_rest_on_seeds_a_test_and_passed_controls(toy_result):
    from claims import check_result

    r = toy_result("parallel_lines")
    claims = r["claims"]
    if r["needs_full_run"]:  # --quick (one seed): the learning findings are left to the full run, not made
        assert set(r["needs_full_run"]) == {"wgan_critic_converges", "critic_dies_only_after_learning",
                                            "gan_discriminator_stalls", "gan_gradient_vanishes"}
        assert {c["kind"] for c in claims} == {"sanity"} and all(c["holds"] for c in claims)
        assert all(c["holds"] for c in r["controls"])
        check_result(r)
        return
    assert {c["kind"] for c in claims} == {"sanity", "finding"}
    assert all(c["holds"] for c in claims if c["kind"] == "sanity")
    assert {c["kind"] for c in r["controls"]} == {"learns", "power"} and all(c["holds"] for c in r["controls"])
    check_result(r)
    dead = {c["id"]: c for c in claims}["critic_dies_only_after_learning"]
    assert dead["source"].startswith("beyond the papers")
    if dead["verdict"] == "not applicable":  # died in fewer than 3 seeds: nothing to test, not counted
        assert dead["holds"] is None and "fewer than" in dead["reason"]
    for c in claims:
        if c["kind"] == "finding" and c["verdict"] in ("agrees", "disagrees"):
            assert len(c["seeds"]) >= 3 and "interval" in c["test"]
            lo, hi = c["test"]["interval"]
            assert lo <= hi
    others = [c for c in claims if c["kind"] == "finding" and c["id"] != dead["id"]]
    assert all(c["holds"] and c["verdict"] == "agrees" for c in others), others
