"""Mode collapse measured so that collapse and slowness differ."""

import numpy as np

from toys.mode_collapse import measure, modes


def test_mode_measures_on_known_samples(rng):
    m = modes("ring")
    assert m.shape == (8, 2) and np.allclose(np.linalg.norm(m, axis=1), 2.0)
    assert modes("grid").shape == (25, 2)
    spread = m[rng.integers(0, 8, 4000)] + 0.02 * rng.normal(size=(4000, 2))
    r = measure(spread, "ring")
    assert r["covered"] == 8 and r["near_share"] > 0.98 and r["mode_kl"] < 0.01 and r["verdict"] == "no collapse"
    collapsed = m[[0] * 4000] + 0.02 * rng.normal(size=(4000, 2))
    r = measure(collapsed, "ring")
    assert r["covered"] == 1 and abs(r["mode_kl"] - np.log(8)) < 1e-9 and r["verdict"] == "collapse"
    three = m[rng.integers(0, 3, 4000)] + 0.02 * rng.normal(size=(4000, 2))
    assert measure(three, "ring")["verdict"] == "collapse"


def test_a_blob_at_the_origin_gets_no_verdict(rng):
    """The old nearest-mode entropy rated a blob at the centre 0.999 ("no collapse"); it has
    learned nothing, and gets no verdict."""
    blob = 0.05 * rng.normal(size=(2000, 2))
    r = measure(blob, "ring")
    assert r["near_share"] == 0.0 and r["verdict"] == "none"
    diffuse = rng.normal(size=(2000, 2)) * 2
    assert measure(diffuse, "ring")["verdict"] == "none"


def test_quick_run_gives_no_verdict_claims(toy_result):
    r = toy_result("mode_collapse")
    assert r["needs_full_run"] == ["gan_collapses", "clip_no_collapse", "gp_no_collapse",
                                   "clip_estimate_changes_track_em"]
    for run in r["runs"]:
        assert len(run["step"]) == 10 and all(np.isfinite(run["em"]))  # quick: 10 checkpoints
        for share, verdict in zip(run["near_share"], run["verdict"]):
            assert (verdict == "none") == (share < 0.5)
