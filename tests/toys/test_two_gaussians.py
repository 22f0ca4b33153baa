"""WGAN Figure 2, asserted on the toy's numbers."""

import numpy as np

from toys.two_gaussians import linear_r2


def test_discriminator_saturates_and_its_gradient_vanishes(toy_result):
    log = toy_result("two_gaussians")["disc_log"]
    assert log["accuracy"][-1] >= 0.99
    g = np.asarray(log["grad"])
    assert g.max() / g[-1] >= 100


def test_critic_is_linear_with_clean_gradient(toy_result):
    r = toy_result("two_gaussians")
    r2, slope = linear_r2(np.asarray(r["x"]), np.asarray(r["critic"]))
    assert r2 >= 0.99
    assert slope < 0  # real mode on the left: f decreases toward the fake mode


def test_critic_gap_proportional_to_exact_w(toy_result):
    r = toy_result("two_gaussians")
    gap, w = np.asarray(r["value_gap"]), np.asarray(r["exact_w"])
    assert np.corrcoef(gap, w)[0, 1] >= 0.99
    assert np.all(gap > 0)


def test_wide_supports_piecewise_linear_but_right_sign(toy_result):
    w = toy_result("two_gaussians")["wide"]
    assert w["r2"] < 0.999  # not linear outside (-1, 1)
    assert w["right_sign_share"] == 1.0


def test_findings_hold_and_what_cannot_fail_is_sanity(toy_result):
    claims = {c["id"]: c for c in toy_result("two_gaussians")["claims"]}
    assert all(c["holds"] for c in claims.values()), [c for c in claims.values() if not c["holds"]]
    assert all(c["verdict"] == "agrees" for c in claims.values() if c["kind"] == "finding")
    # accuracy on modes ten standard deviations apart, and the gap of a linear clipped critic
    assert claims["discriminator_perfect"]["kind"] == claims["critic_gap_proportional_to_w"]["kind"] == "sanity"


def test_linearity_can_fail():
    """R^2's threshold is not met by a saturating function on the same region (a sigmoid step, as
    the trained GAN discriminator is)."""
    x = np.linspace(-0.8, 0.8, 400)
    assert linear_r2(x, 1 / (1 + np.exp(40 * x)))[0] < 0.99 < linear_r2(x, 0.3 - 0.01 * x)[0]
