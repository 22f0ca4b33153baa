"""WGAN Theorem 3, asserted on the toy's numbers and on planted cases."""

import numpy as np

from toys import affine_1d as A
from toys.theorem3_gradient import finite_difference, potential, theorem_gradient


def _samples(seed=0, n=300):
    rng = np.random.default_rng(seed)
    return A.REAL[0] + A.REAL[1] * rng.standard_normal(n), rng.standard_normal(n)


def test_theorem_matches_the_finite_difference_of_exact_w():
    x, z = _samples()
    for theta in [(0.3, 0.2), (-0.4, 0.7), (1.5, 0.1)]:
        np.testing.assert_allclose(theorem_gradient(x, z, theta), finite_difference(x, z, theta), atol=1e-7)


def test_the_check_can_fail_with_the_wrong_potential():
    """The potential of another pair (the real points mirrored) does not give the gradient."""
    x, z = _samples(1)
    theta = (0.3, 0.2)
    wrong = theorem_gradient(-x + 1.0, z, theta)
    assert np.abs(wrong - finite_difference(x, z, theta)).max() > 0.1


def test_potential_is_dual_optimal_and_1_lipschitz():
    x, z = _samples(2)
    g = 0.3 + 0.2 * z
    import divergences as D

    dual = potential(x, g, x).mean() - potential(x, g, g).mean()
    assert abs(dual - D.wasserstein(x, g)) < 1e-9
    grid = np.sort(np.concatenate([x, g]))
    slopes = np.diff(potential(x, g, grid)) / np.maximum(np.diff(grid), 1e-300)
    assert np.all(np.abs(slopes[np.diff(grid) > 1e-12]) <= 1 + 1e-9)


def test_exact_gradient_of_the_closed_form():
    """d W / d mu between N(0, s^2) and N(mu, s^2) is 1 (equal scales: W = |mu|)."""
    np.testing.assert_allclose(A.exact_gradient((0.7, 0.5)), [1.0, 0.0], atol=1e-6)


def test_quick_result(toy_result):
    r = toy_result("theorem3_gradient")
    claims = {c["id"]: c for c in r["claims"]}
    assert claims["theorem3_exact_1d"]["holds"] and claims["potential_is_dual_optimal"]["holds"]
    assert {c["kind"] for c in r["controls"]} == {"learns", "power"}
    assert all(-1 <= x <= 1 for run in r["trained"]["runs"] for x in run["cosine"])


def test_trained_clipped_findings_are_sourced_beyond_the_papers():
    # Theorem 3 is about the optimal critic; a trained clipped critic does not meet that hypothesis,
    # so its findings must not be charged to the theorem (WGAN, Section 3: "roughly approximate")
    from claims.record import paper_of
    from toys import theorem3_gradient as T

    assert paper_of(T.FIGURE.source) == "WGAN"
    assert paper_of(T.CLIPPED_SOURCE) == "beyond the papers"
    assert "optimal critic" in T.FIGURE.departures and "beyond the papers" in T.FIGURE.departures
