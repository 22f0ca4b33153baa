"""Towards Principled Methods, Section 3: the annealed-noise GAN's pieces and its claims."""

import numpy as np
import pytest
import torch

from toys import noisy_training as NT


def test_annealing_schedule():
    assert NT.sigma_at(0, 100) == NT.SIGMA0
    assert NT.sigma_at(40, 100) == pytest.approx(NT.SIGMA0 / 2)
    assert NT.sigma_at(80, 100) == 0 and NT.sigma_at(100, 100) == 0


def test_noisy_output_is_the_generator_plus_noise():
    G = torch.nn.Linear(1, 2)
    z = torch.randn(4000, 1)
    w = NT.NoisyOutput(G)
    assert torch.equal(w(z), G(z))
    w.sigma = 0.5
    d = (w(z) - G(z)).detach()
    assert abs(float(d.std()) - 0.5) < 0.02 and abs(float(d.mean())) < 0.03


def test_floor_is_small_and_a_shifted_target_is_far():
    f = NT.floor(300, 0)
    assert 0 < f < 0.2
    import divergences as D
    gen = torch.Generator().manual_seed(0)
    assert D.wasserstein(NT.circle(300, gen).numpy(), NT.circle(300, gen).numpy() + 1.0) > 5 * f


def test_claims(toy_result):
    r = toy_result("noisy_training")
    assert set(r["runs"]) == {"noise", "clean", "logd"}
    for arm in r["runs"].values():
        for run in arm.values():
            assert np.all(np.isfinite(run["w"])) and run["sigma"][-1] == 0
    for c in r["claims"]:
        assert c["kind"] == "finding" and "interval" in c["test"] and len(c["seeds"]) == 3
