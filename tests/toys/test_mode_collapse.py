"""Mode collapse under the VEEGAN / PacGAN protocol: the targets, the protocol, the statistics and
the verdict logic on synthetic runs (one case per verdict, and each statistic shown able to fail),
the resumable runs, the quick run, and the committed results re-judged from their numbers."""

import json
import math

import numpy as np
import pytest
import torch

from toys import mode_collapse as mc
from toys.mixtures import (
    LEARNED,
    PACGAN_GAN,
    TOY,
    Target,
    missing_mass_bound,
    protocol,
    train,
)


def test_targets_are_the_published_ones():
    ring, grid = Target("ring", "pacgan"), Target("grid", "pacgan")  # PacGAN's config.py
    assert np.allclose(np.linalg.norm(ring.means, axis=1), 1.0) and ring.std == 0.01 and len(ring.means) == 8
    assert len(grid.means) == 25 and set(np.unique(grid.means)) == {-4, -2, 0, 2, 4} and grid.std == 0.05
    toy_ring, toy_grid = Target("ring", "gan_toy"), Target("grid", "gan_toy")  # gan_toy.py, "/ 1.414", "/ 2.828"
    assert np.allclose(np.linalg.norm(toy_ring.means, axis=1), 2 / 1.414) and toy_ring.std == 0.02 / 1.414
    assert np.isclose(toy_grid.means.max(), 4 / 2.828) and toy_grid.std == 0.05 / 2.828
    # the same shapes at both scales: radius / std = 100, spacing / std = 40
    for s in ("pacgan", "gan_toy"):
        r, g = Target("ring", s), Target("grid", s)
        assert np.isclose(np.linalg.norm(r.means[0]) / r.std, 100)
        assert np.isclose(np.diff(np.unique(g.means[:, 0]))[0] / g.std, 40)


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_protocol_on_known_samples(name, rng):
    t = Target(name, "gan_toy")
    own = protocol(t.sample(20_000, torch.Generator().manual_seed(0)).numpy(), t)
    assert abs(own["hq_share"] - (1 - math.exp(-4.5))) < 0.005  # P(chi2_2 < 9)
    assert own["modes"] == len(t.means) and own["mode_kl"] < 0.01
    one = protocol(t.means[[3] * 1000] + t.std * rng.normal(size=(1000, 2)), t)
    assert one["modes"] == 1 and abs(one["mode_kl"] - math.log(len(t.means))) < 1e-9
    far = protocol(t.means[[3] * 1000] + 3.2 * t.std * np.ones((1000, 2)), t)  # 4.5 std away: not high quality
    assert far["hq_share"] == 0 and far["modes"] == 0 and math.isnan(far["mode_kl"])
    with pytest.raises(ValueError, match="shape"):
        protocol(np.zeros((5, 3)), t)


def test_missing_mass_bound_and_missed_mode_probability():
    assert abs(missing_mass_bound(2500) - 3 / 2500) < 1e-4  # the rule of three
    counts = [100] * 8
    assert mc.missed_mode_p(counts) == 1.0
    counts[2] = 0  # 700 high-quality samples of 2,500 and a mode empty: collapse, beyond chance
    assert mc.missed_mode_p(counts) < 1e-10
    sparse = [1, 1, 0, 1, 1, 1, 1, 1]  # 7 high-quality samples: an empty mode is chance
    assert mc.missed_mode_p(sparse) > 0.5


def _run(target, method, seed, hq, modes_missing=0, steps=5000, em=None, est=None):
    k = 8 if target == "ring" else 25
    n_hq = int(round(hq * 2500))
    counts = [n_hq // (k - modes_missing)] * (k - modes_missing) + [0] * modes_missing
    rec = {"target": target, "method": method, "seed": seed, "step": [steps], "hq_share": [hq],
           "modes": [k - modes_missing], "counts": [counts], "mode_kl": [0.0], "estimate": [0.0], "em": [0.0]}
    if em is not None:
        n = len(em)
        rec.update(step=list(range(1, n + 1)), hq_share=[hq] * n, modes=[k - modes_missing] * n,
                   counts=[counts] * n, em=list(em), estimate=list(est))
    return rec


def _cov(spec):
    return mc.coverage([_run(t, "gp", s, hq, miss) for t, runs in spec.items() for s, (hq, miss) in enumerate(runs)])


def test_no_collapse_one_case_per_verdict():
    learned_all = {"ring": [(0.6, 0)] * 5, "grid": [(0.3, 0)] * 5}
    holds, verdict, reason, test = mc.judge_no_collapse(_cov(learned_all), controls_ok=True)
    assert (holds, verdict, reason, test) == (True, "agrees", None, None)
    # a learned grid run misses 3 modes: evidence of collapse, a test, and with passed controls a disagreement
    collapsed = {"ring": [(0.6, 0)] * 5, "grid": [(0.3, 0)] * 4 + [(0.3, 3)]}
    holds, verdict, reason, test = mc.judge_no_collapse(_cov(collapsed), controls_ok=True)
    assert holds is False and verdict == "disagrees" and test["p_value"] < 1e-3
    # the same numbers without passed controls: no verdict
    holds, verdict, reason, _ = mc.judge_no_collapse(_cov(collapsed), controls_ok=False)
    assert verdict == "no verdict" and "controls" in reason
    # too few runs learned the grid (2 of 5 above 16 %): no verdict, with the budget that would decide
    few = {"ring": [(0.6, 0)] * 5, "grid": [(0.3, 0)] * 2 + [(0.1, 0)] * 3}
    holds, verdict, reason, _ = mc.judge_no_collapse(_cov(few), controls_ok=True)
    assert holds is None and verdict == "no verdict" and "2 of 5 runs learned the grid" in reason
    # one target only (the main budget trains the ring): no verdict, the grid needs the long budget
    holds, verdict, reason, _ = mc.judge_no_collapse(_cov({"ring": [(0.6, 0)] * 5}), controls_ok=True)
    assert holds is None and verdict == "no verdict" and "grid is trained only by the long budget" in reason
    # runs that did not learn are not judged: a diffuse run with missing modes is no evidence
    diffuse = {"ring": [(0.6, 0)] * 5, "grid": [(0.3, 0)] * 5 + [(0.05, 10)]}
    assert mc.judge_no_collapse(_cov(diffuse), controls_ok=True)[1] == "agrees"


def test_learned_threshold_comes_from_the_published_rows():
    from toys.mixtures import VEEGAN_TABLE

    assert LEARNED == pytest.approx({"ring": 0.356, "grid": 0.16})  # Unrolled GAN's row
    for t in ("ring", "grid"):  # the rows that did not learn lie an order of magnitude below
        failed = [pct for name, (_, pct) in VEEGAN_TABLE[t].items() if pct < 100 * LEARNED[t]]
        assert failed and max(failed) / 100 <= LEARNED[t] / 10 + 1e-12


def test_tracking_verdicts():
    rng = np.random.default_rng(1)
    trend = np.exp(-np.arange(40) / 8)
    runs = []
    for s in range(5):
        w = np.cumsum(rng.normal(size=40)) * 0.05
        runs.append(_run("ring", "clip", s, 0.5, em=trend + w, est=0.01 * (trend + w) + 1e-4 * rng.normal(size=40)))
    r = mc.judge_tracking(runs, controls_ok=True)
    assert r["verdict"] == "agrees" and r["test"]["p_value"] < 0.05
    assert mc.judge_tracking(runs, controls_ok=False)["verdict"] == "no verdict"
    unlearned = [dict(x, hq_share=[0.01] * 40) for x in runs]
    r = mc.judge_tracking(unlearned, controls_ok=True)
    assert r["verdict"] == "no verdict" and r["test"] is None and "0 on the ring" in r["reason"]
    # the target counts as learned with 3 of 5 runs past the threshold; all 5 enter the test
    three = [dict(x, hq_share=[0.5 if i < 3 else 0.1] * 40) for i, x in enumerate(runs)]
    r = mc.judge_tracking(three, controls_ok=True)
    assert r["targets"] == ["ring"] and r["test"]["runs"] == 5 and r["verdict"] == "agrees"
    # a shared trend and no tracking: the test runs and finds nothing, an absence of evidence
    flat = [dict(x, em=list(trend + 0.05 * rng.normal(size=40)), estimate=list(trend + 0.05 * rng.normal(size=40)))
            for x in runs]
    r = mc.judge_tracking(flat, controls_ok=True)
    assert r["holds"] is False and r["verdict"] == "no verdict" and "shared trend" in r["reason"]


def test_published_comparison_and_controls():

    def long(steps, missing, hq):
        runs = {}
        for t in ("ring", "grid"):
            for s in range(5):
                runs[f"pacgan/{t}/{s}"] = _run(t, "gan", s, hq[t][s], missing[t][s], steps=steps)
        runs["gan_toy/ring/0"] = _run("ring", "gp", 0, 0.9, 0, steps=100_000)
        return {"runs": runs}
    like = long(400_000, {"ring": [2, 1, 2, 2, 1], "grid": [8, 7, 9, 7, 8]},
                {"ring": [0.98, 0.982, 0.985, 0.979, 0.983], "grid": [0.95, 0.94, 0.948, 0.952, 0.947]})
    b, a = mc.control_records(like)
    assert b["holds"] and a["holds"]
    short = long(10_000, {"ring": [2, 1, 2, 2, 1], "grid": [8, 7, 9, 7, 8]},
                 {"ring": [0.98, 0.982, 0.985, 0.979, 0.983], "grid": [0.95, 0.94, 0.948, 0.952, 0.947]})
    assert not mc.control_records(short)[0]["holds"]  # the published budget was not run
    assert not any(c["holds"] for c in mc.control_records(None))


def test_pacgan_setup_converts_blocks_adam():
    players, latent = PACGAN_GAN.players()
    assert latent == 2 and players.opt_g.defaults["betas"] == (0.2, 0.999) and players.opt_g.defaults["lr"] == 1e-4
    G, C = players.generator, players.critic
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in G.modules()) == 4
    assert C(torch.randn(7, 2)).shape == (7,) and G(torch.randn(7, 2)).shape == (7, 2)


def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    t = Target("ring", "gan_toy")
    whole = train(TOY["gp"], t, 3, 12, [4, 8, 12], em_points=50)
    state = tmp_path / "state.pt"
    train(TOY["gp"], t, 3, 8, [4, 8, 12], em_points=50, state_path=state, save_every=4)
    resumed = train(TOY["gp"], t, 3, 12, [4, 8, 12], em_points=50, state_path=state, save_every=4)
    for k in ("step", "hq_share", "modes", "estimate", "em"):
        assert resumed[k] == whole[k], k


def test_quick_run_gives_no_verdict_claims(toy_result):
    r = toy_result("mode_collapse")
    assert r["needs_full_run"] == ["gp_no_collapse", "clip_no_collapse", "gan_misses_modes", "clip_estimate_tracks_em"]
    assert [c["id"] for c in r["claims"]] == ["protocol_on_known_samples"] and r["claims"][0]["holds"]
    assert len(r["runs"]) == 3 and r["long"] is None
    for run in r["runs"]:
        assert len(run["step"]) == 20 and all(np.isfinite(run["em"])) and len(run["counts"][-1]) == 8


def test_committed_verdicts_follow_from_the_committed_numbers():
    """The committed figure's findings, re-judged from the committed runs with the same functions."""
    from claims import FIGURES_DIR

    path = FIGURES_DIR / "mode_collapse.json"
    data = json.loads(path.read_text())
    assert "coverage" in data, "the committed figure predates this toy's protocol: regenerate it (python -m figures)"
    long = mc.load_long()
    basis = [r for k, r in long["runs"].items() if k.startswith("toy/")] if long else data["runs"]
    controls = mc.control_records(long)
    ok = all(c["holds"] for c in controls)
    assert [c["holds"] for c in controls] == [c["holds"] for c in data["controls"]]
    claims = {c["id"]: c for c in data["claims"]}
    for m, cid in (("gp", "gp_no_collapse"), ("clip", "clip_no_collapse")):
        holds, verdict, _, _ = mc.judge_no_collapse(mc.coverage([r for r in basis if r["method"] == m]), ok)
        assert (claims[cid]["holds"], claims[cid]["verdict"]) == (holds, verdict)
    tr = mc.judge_tracking([r for r in basis if r["method"] == "clip"], ok)
    assert claims["clip_estimate_tracks_em"]["verdict"] == tr["verdict"]
    if long:
        prov = long["provenance"]
        assert prov["command"] == mc.LONG_COMMAND and prov["cpu_seconds"] > 0 and prov["machine"]["cores"]
        # a partial long budget is committed as such: its runs are planned tasks (the rest resume later)
        planned = {t["key"] for t in mc.long_tasks(FIGURES_DIR / "long")}
        assert long["runs"] and set(long["runs"]) <= planned, set(long["runs"]) - planned


def test_controls_for_an_accelerator_are_resumable_and_merged(tmp_path):
    """run_controls (the GPU command's entry) writes the long format, skips finished runs, and load_long
    merges its longer runs into the controls."""
    few = {"gan_toy": 3, "pacgan": 4}
    first = mc.run_controls(tmp_path, device="cpu", kinds=("gan_toy", "pacgan"), iterations=few)
    assert sorted(first["runs"]) == ["gan_toy/ring/0", "pacgan/ring/0"] and first["runs"]["pacgan/ring/0"]["step"] == [4]
    again = mc.run_controls(tmp_path, device="cpu", kinds=("gan_toy", "pacgan"), iterations=few)
    assert again["runs"] == first["runs"] and not (tmp_path / "mode_collapse_controls.state").exists()
    short = {"gan_toy/ring/0": dict(first["runs"]["gan_toy/ring/0"], step=[1])}
    (tmp_path / "mode_collapse.json").write_text(json.dumps({"provenance": {"cpu_seconds": 1}, "runs": short}))
    merged = mc.load_long(tmp_path / "mode_collapse.json")
    assert merged["runs"]["gan_toy/ring/0"]["step"] == [3] and "pacgan/ring/0" in merged["runs"]
    assert merged["controls_provenance"]["command"].startswith("toys.mode_collapse.run_controls(")


def test_checkpoints_and_the_projected_budget():
    assert mc.checkpoints(1000, 300) == [300, 600, 900, 1000] and mc.checkpoints(600, 300) == [300, 600]
    steps = list(range(100, 2001, 100))
    rising = [{"step": steps, "hq_share": [0.01 * s / 100 for s in steps]} for _ in range(3)]  # 0.1 per 1,000
    pr = mc.projected_steps(rising, 0.356)
    assert abs(pr["slope_per_1000"] - 0.1) < 1e-9 and abs(pr["steps"] - 3560) < 1e-6
    flat = [{"step": steps, "hq_share": [0.05] * len(steps)}]
    assert mc.projected_steps(flat, 0.356)["steps"] is None  # not rising: no budget projected
