"""Towards Principled Methods, Lemma 4 and Theorem 3.3, asserted on the toy's numbers."""

import math

import numpy as np

from toys import noise_annealing as NA


def test_lemma_4_at_every_scale(toy_result):
    r = toy_result("noise_annealing")
    v = np.asarray(r["V_half"])
    assert np.all(np.asarray(r["w_lemma_segment"]) <= v)
    assert np.all(np.asarray(r["w_lemma_arc"]) <= v)


def test_js_of_manifold_against_noisy_is_ln2(toy_result):
    r = toy_result("noise_annealing")
    for k in ("js_certificate_segment", "js_certificate_arc"):
        assert np.all(math.log(2) - np.asarray(r[k]) <= 1e-6)


def test_theorem_3_3_bound_holds_at_every_scale(toy_result):
    r = toy_result("noise_annealing")
    rhs = 2 * np.asarray(r["V_half"]) + 2 * np.asarray(r["C"]) * np.sqrt(np.asarray(r["jsd_noisy"]))
    assert np.all(r["w_real_fake"] <= rhs)
    np.testing.assert_allclose(rhs, r["bound"], rtol=1e-12)


def test_noise_has_the_stated_variance_and_bounded_support(rng):
    eps = NA.sample_noise(200_000, 0.3, rng)
    assert np.linalg.norm(eps, axis=1).max() <= 0.3
    assert abs((eps**2).sum(1).mean() - 0.3**2 / 4) < 3e-4  # V = r^2 / 4
    assert np.abs(eps.mean(0)).max() < 3e-3  # zero mean


def test_noisy_density_integrates_to_one():
    js, mass_err = NA.noisy_jsd(0.5)
    assert mass_err < 1e-2 and 0 < js < math.log(2)


def test_all_claims_hold(toy_result):
    claims = toy_result("noise_annealing")["claims"]
    assert claims and all(c["holds"] for c in claims), [c for c in claims if not c["holds"]]
