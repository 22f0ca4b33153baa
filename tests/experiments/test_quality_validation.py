"""The quality metrics validated on known degradations of real digits (issue: sample quality
you can trust), asserted on the numbers of the quick figures run."""

import numpy as np
import pytest

from experiments.quality_validation import METRICS, STRENGTHS, disturb, monotone


def test_fd_kid_and_feature_w1_rank_every_degradation(toy_result):
    r = toy_result("quality_validation")
    assert set(r["strengths"]) | {k[:-7] for k in r["needs_full_run"]} == set(STRENGTHS)
    for m in ("fd", "kid", "w1"):
        for rows in [r["series"][k] for k in r["strengths"]] + [r["mode_dropping"]]:
            v = [row[m] for row in rows]
            tol = [2 * max(a["kid_se"], b["kid_se"]) if m == "kid" else 0 for a, b in zip(rows, rows[1:])]
            assert all(b >= a - t for a, b, t in zip(v, v[1:], tol)) and v[-1] > v[0], (m, v)
        assert m in r["validated"]
    assert r["feature_net_accuracy"] >= 0.97


def test_pixel_w1_fails_and_prefers_blur(toy_result):
    r = toy_result("quality_validation")
    assert "pixel_w1" not in r["validated"]
    assert min(row["pixel_w1"] for row in r["series"]["blur"][1:]) < r["floor"]["pixel_w1"]


def test_degenerate_generators_are_far_from_the_floor(toy_result):
    r = toy_result("quality_validation")
    for m in ("fd", "kid", "w1"):
        mildest = sorted(r["series"][k][1][m] for k in r["strengths"])
        for g in ("mean_image", "ten_digits"):
            assert r["degenerate"][g][m] > mildest[1], (m, g)  # worse than all mildest but one


def test_coverage_measures_see_mode_dropping(toy_result):
    r = toy_result("quality_validation")
    recall = [row["recall"] for row in r["mode_dropping"]]
    kl = [row["class_kl"] for row in r["mode_dropping"]]
    assert monotone(recall, "recall") and monotone(kl, "class_kl")
    assert r["degenerate"]["ten_digits"]["class_kl"] < 0.05  # ten perfect digits: uniform classes


def test_claims_hold(toy_result):
    claims = toy_result("quality_validation")["claims"]
    assert {c["kind"] for c in claims} == {"finding"}
    assert all(c["holds"] for c in claims), [c for c in claims if not c["holds"]]


@pytest.mark.parametrize("kind", list(STRENGTHS))
def test_disturbances_grow_with_strength(kind):
    """Each disturbance moves the pixels further from the original as its strength grows."""
    rng = np.random.default_rng(0)
    x = np.zeros((20, 16, 16))
    x[:, 4:12, 6:10] = 1.0
    dist = [np.abs(disturb(x, kind, s, np.random.default_rng(1)) - x).mean() for s in STRENGTHS[kind]]
    assert all(b > a for a, b in zip(dist, dist[1:])), dist
    assert set(METRICS) >= {"fd", "kid", "w1", "pixel_w1"} and rng is not None
