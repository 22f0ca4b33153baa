"""WGAN Section 3 (weight clipping), on planted cases and the toy's numbers."""

import numpy as np

from toys.weight_clipping import clipped_critic, layer_gradients, slope, t90


def test_t90_reads_the_planted_time_constant():
    steps = [5, 10, 20, 40, 80, 120, 160, 240, 320, 450, 600]
    slow = [1 - np.exp(-t / 200) for t in steps]
    fast = [1 - np.exp(-t / 10) for t in steps]
    assert t90(steps, slow) > t90(steps, fast)


def test_slope_statistic_can_fail():
    """Times that do not depend on c give a slope of 0, not above it."""
    cs = np.log10([0.003, 0.01, 0.03, 0.1, 0.3])
    assert abs(slope(cs, np.log10([40] * 5))) < 1e-12
    assert slope(cs, cs) > 0.99


def test_depth_and_batch_norm_critics_and_their_layer_gradients():
    g = layer_gradients(3, False, seed=0, steps=2)
    assert len(g) == 4 and all(x >= 0 for x in g)
    bn = clipped_critic(2, True)
    assert any(type(m).__name__ == "BatchNorm1d" for m in bn.modules())


def test_quick_result(toy_result):
    r = toy_result("weight_clipping")
    assert r["needs_full_run"] and not set(r["needs_full_run"]) & {c["id"] for c in r["claims"]}
    assert all(c["kind"] == "sanity" and c["holds"] for c in r["claims"])
    for runs in r["sweep"].values():
        for run in runs:
            assert 0 <= run["at_limit"][-1] <= 1


def test_batch_norm_finding_is_not_charged_to_the_paper():
    # WGAN, Section 3 names "batch normalization is not used" as a condition beside depth; it makes no
    # claim on the slope against depth with batch norm, so that finding is sourced beyond the papers
    from claims.record import paper_of
    from toys import weight_clipping as W

    assert paper_of(W.FIGURE.source) == "WGAN"
    assert paper_of(W.BN_SOURCE) == "beyond the papers"
    assert "batch normalization is not used" in W.BN_SOURCE
