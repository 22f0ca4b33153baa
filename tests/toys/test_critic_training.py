"""WGAN Sections 3 and 4.3 (critic training and capacity), on planted cases and the toy's numbers."""

import numpy as np
from scipy import stats

from claims.stats import mean_interval
from toys.critic_training import _planted_power


def test_spearman_interval_can_fail_on_flat_errors():
    """Errors that do not fall with training give no interval below 0."""
    rng = np.random.default_rng(0)
    steps = [1, 2, 5, 10, 20, 50, 100, 200, 300]
    rho = [stats.spearmanr(steps, 0.1 + 0.01 * rng.standard_normal(len(steps)))[0] for _ in range(5)]
    assert not mean_interval(rho)["hi"] < 0


def test_planted_decrease_is_detected():
    steps = [1, 2, 5, 10, 20, 50, 100, 200, 300]
    rng = np.random.default_rng(1)
    errors = [list(0.05 + 0.5 / np.asarray(steps, float) + 0.005 * rng.standard_normal(len(steps))) for _ in range(5)]
    assert _planted_power(steps, errors)


def test_quick_result(toy_result):
    r = toy_result("critic_training")
    assert r["needs_full_run"] and not set(r["needs_full_run"]) & {c["id"] for c in r["claims"]}
    assert all(c["kind"] == "sanity" and c["holds"] for c in r["claims"])
    e = np.asarray(r["errors"]["64"])
    assert e.shape == (len(r["seeds"]), len(r["checkpoints"])) and np.all((e >= 0) & (e <= 2))
    # the GAN's minimax gradient through a discriminator that saturates is finite and positive
    assert all(np.all(np.asarray(f["minimax"]) > 0) for f in r["far"])


def test_findings_name_the_section_that_makes_them():
    # "no need to balance capacity" is Section 4.3's; the vanishing GAN gradient on two Gaussians is
    # WGAN Figure 2's (TPM Theorem 2.4 assumes disjoint supports, which Gaussians do not have)
    from claims.record import paper_of
    from toys import critic_training as T

    assert T.GAN_SOURCE.startswith("WGAN") and "Figure 2" in T.GAN_SOURCE and paper_of(T.GAN_SOURCE) == "WGAN"
    assert "Theorem 2.4" not in T.GAN_SOURCE
