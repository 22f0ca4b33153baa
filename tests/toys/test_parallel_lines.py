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
    """Judged on the largest |theta| over the last 20 steps: theta oscillates around 0."""
    r = toy_result("parallel_lines")
    learn = r["learning"]
    assert np.abs(learn["em"]["theta"][-20:]).max() < 0.05
    assert np.abs(learn["wgan"]["theta"][-20:]).max() < 0.05
    assert np.abs(learn["gan"]["theta"][-20:]).min() > 0.9
    g = np.asarray(learn["gan"]["grad"])
    assert g[:5].mean() / g[-20:].mean() >= 100
    grad, theta = np.asarray(learn["wgan"]["grad"]), np.abs(np.asarray(learn["wgan"]["theta"][:-1]))
    assert np.all(theta[grad == 0] < 0.05)  # a dead critic only once theta is learned
    assert r["dead_critic_steps"] == int((grad == 0).sum())


def test_findings_hold(toy_result):
    claims = toy_result("parallel_lines")["claims"]
    assert {c["kind"] for c in claims} == {"sanity", "finding"}
    assert all(c["holds"] for c in claims), [c for c in claims if not c["holds"]]
