"""Mode collapse measured: GAN against WGAN with each Lipschitz constraint."""

import math

import numpy as np

from toys.mode_collapse import modes, quality


def test_mode_measures_on_known_samples(rng):
    m = modes("ring")
    assert m.shape == (8, 2) and np.allclose(np.linalg.norm(m, axis=1), 2.0)
    assert modes("grid").shape == (25, 2)
    spread = m[rng.integers(0, 8, 4000)] + 0.02 * rng.normal(size=(4000, 2))
    covered, share, entropy = quality(spread, "ring")
    assert covered == 8 and share > 0.98 and entropy > 0.99
    collapsed = m[[0] * 4000] + 0.02 * rng.normal(size=(4000, 2))
    covered, share, entropy = quality(collapsed, "ring")
    assert covered == 1 and entropy < 1e-12
    covered, share, entropy = quality(np.zeros((100, 2)), "ring")  # the centre: far from all
    assert covered == 0 and share == 0.0


def test_wgan_clip_does_not_collapse_while_the_gan_does(toy_result):
    r = toy_result("mode_collapse")
    h = {m: min(min(run["mode_entropy"]) for run in r["runs"] if run["method"] == m)
         for m in r["methods"]}
    assert h["clip"] >= 0.9 and h["lp"] >= 0.9 and h["sn"] >= 0.9
    assert h["gan"] < 0.75 * h["clip"]


def test_critic_estimates_track_the_exact_em(toy_result):
    r = toy_result("mode_collapse")
    for m in ("lp", "sn"):
        assert r["summary"][f"ring/{m}"]["spearman_estimate_vs_em"] >= 0.7
        for run in r["runs"]:
            if run["method"] == m:
                assert run["em"][-1] < run["em"][0]
                assert all(math.isfinite(e) for e in run["em"])


def test_all_claims_hold(toy_result):
    claims = toy_result("mode_collapse")["claims"]
    assert claims and all(c["holds"] for c in claims), [c for c in claims if not c["holds"]]
