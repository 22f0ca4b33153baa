"""The verdict logic of a finding, one synthetic case per verdict, and the record's rules."""

import pytest

from claims import check_result, claim, control, decide, paper_of

TEST = {"statistic": "Spearman rho vs permutation null", "p_value": 0.001}


SEEDS = [0, 1, 2]


def test_decide_one_case_per_verdict():
    assert decide(True, test=TEST, seeds=SEEDS) == "agrees"
    assert decide(False, test=TEST, seeds=SEEDS) == "disagrees"
    assert decide(True) == "no verdict"  # a threshold crossed with no test is not an agreement
    assert decide(False) == "no verdict"  # nor a disagreement
    assert decide(True, test=TEST) == "no verdict"  # a test with no seeds
    assert decide(True, test=TEST, seeds=[0, 1]) == "no verdict"  # fewer than 3 seeds
    assert decide(True, test=TEST, seeds=[0, 1, 2, 3], min_seeds=5) == "no verdict"  # a 2-D toy needs 5
    assert decide(True, test={"statistic": "x"}, seeds=SEEDS) == "no verdict"  # no p-value, no interval
    assert decide(True, decided=False, test=TEST, seeds=SEEDS) == "no verdict"  # e.g. the run did not learn
    assert decide(None, test=TEST, seeds=SEEDS) == "no verdict"
    assert decide(False, control_passed=False, test=TEST, seeds=SEEDS) == "no verdict"
    assert decide(False, applicable=False, test=TEST, seeds=SEEDS) == "not applicable"
    assert decide(True, applicable=False) == "not applicable"


def test_claim_refuses_a_verdict_that_breaks_the_rule():
    """Either decided verdict needs a test, at least 3 seeds, and holds read the right way."""
    with pytest.raises(ValueError, match="'agrees' needs a test"):
        claim("a", "s", 1, 1, True, verdict="agrees", seeds=SEEDS)
    with pytest.raises(ValueError, match="'agrees' needs seeds"):
        claim("a", "s", 1, 1, True, verdict="agrees", test=TEST, seeds=[0, 1])
    with pytest.raises(ValueError, match="'agrees' needs seeds"):
        claim("a", "s", 1, 1, True, verdict="agrees", test=TEST)
    with pytest.raises(ValueError, match="'disagrees' needs seeds"):
        claim("d", "s", 1, 0, False, verdict="disagrees", test=TEST, seeds=[0, 1])
    with pytest.raises(ValueError, match="'disagrees' needs holds=False"):
        claim("d", "s", 1, 1, True, verdict="disagrees", test=TEST, seeds=SEEDS)
    with pytest.raises(ValueError, match="does not hold"):
        claim("a", "s", 1, 0, False, verdict="agrees", test=TEST, seeds=SEEDS)
    with pytest.raises(ValueError, match="needs seeds, at least 5"):
        claim("a", "s", 1, 1, True, verdict="agrees", test=TEST, seeds=[0, 1, 2, 3], min_seeds=5)
    # by default, the same cases become "no verdict" with a reason saying what is missing
    a = claim("a", "s", 1, 1, True)
    assert a["verdict"] == "no verdict" and "no test" in a["reason"]
    b = claim("b", "s", 1, 1, True, test=TEST, seeds=[0, 1])
    assert b["verdict"] == "no verdict" and "2 seed(s)" in b["reason"]
    ok = claim("c", "s", 1, 1, True, test=TEST, seeds=SEEDS)
    assert ok["verdict"] == "agrees" and ok["seeds"] == SEEDS and ok["test"] == TEST


def _decided(verdict, **kw):
    rec = {"id": "x", "kind": "finding", "statement": "s", "expected": 1, "measured": 1, "source": "WGAN",
           "holds": verdict == "agrees", "verdict": verdict, "reason": None, "test": TEST, "seeds": SEEDS}
    rec.update(kw)
    return rec


def test_check_result_refuses_a_decided_verdict_without_its_evidence():
    """A record edited (or written by hand) past claim()'s rule is refused by check_result, both
    verdicts alike: no test, fewer than 3 seeds, no controls, a failed control, disagrees that holds."""
    passed = [control("x", True, {}, 0, kind="learns"), control("y", True, {}, 0, kind="power")]
    for verdict in ("agrees", "disagrees"):
        assert check_result({"claims": [_decided(verdict)], "controls": passed})
        with pytest.raises(ValueError, match="needs a test"):
            check_result({"claims": [_decided(verdict, test=None)], "controls": passed})
        with pytest.raises(ValueError, match="needs seeds"):
            check_result({"claims": [_decided(verdict, seeds=[0, 1])], "controls": passed})
        with pytest.raises(ValueError, match="needs seeds"):
            check_result({"claims": [_decided(verdict, seeds=None)], "controls": passed})
        with pytest.raises(ValueError, match="controls"):
            check_result({"claims": [_decided(verdict)]})
        with pytest.raises(ValueError, match="controls"):
            check_result({"claims": [_decided(verdict)], "controls": []})
        with pytest.raises(ValueError, match="controls"):
            check_result({"claims": [_decided(verdict)],
                          "controls": passed + [control("z", False, {}, 0, kind="power")]})
    with pytest.raises(ValueError, match="holds=False"):
        check_result({"claims": [_decided("disagrees", holds=True)], "controls": passed})
    with pytest.raises(ValueError, match="does not hold"):
        check_result({"claims": [_decided("agrees", holds=False)], "controls": passed})
    # an undecided finding needs no controls
    check_result({"claims": [_decided("no verdict", reason="r", test=None, seeds=None)]})
    with pytest.raises(ValueError, match="kind"):
        control("x", True, {}, 0, kind="published")


def test_claim_record_rules():
    ok = claim("a", "s", 1, 1, True, source="WGAN, Section 4.2", test=TEST, seeds=SEEDS)
    assert ok["verdict"] == "agrees" and ok["reason"] is None and ok["source"] == "WGAN, Section 4.2"
    b = claim("b", "s", 1, 0, False)  # a missed threshold is not a disagreement
    assert b["verdict"] == "no verdict" and "no test" in b["reason"]
    with pytest.raises(ValueError, match="needs a reason"):
        claim("c", "s", 1, 0, False, verdict="no verdict")
    with pytest.raises(ValueError, match="test"):
        claim("d", "s", 1, 0, False, verdict="disagrees", reason="r")
    d = claim("e", "s", 1, 0, False, verdict="disagrees", reason="r", test=TEST, seeds=SEEDS)
    assert d["verdict"] == "disagrees"
    with pytest.raises(ValueError, match="sanity"):
        claim("f", "s", 1, 1, True, kind="sanity", verdict="agrees")
    with pytest.raises(ValueError, match="source"):
        claim("g", "s", 1, 1, True, source="Heusel et al.")
    assert paper_of("Towards Principled Methods, Theorem 2.6") == "Towards Principled Methods"
    assert paper_of("beyond the papers: Heusel et al. 2017") == "beyond the papers"


def test_disagrees_needs_passed_controls():
    d = claim("e", "s", 1, 0, False, verdict="disagrees", reason="r", test=TEST, seeds=SEEDS)
    with pytest.raises(ValueError, match="controls"):
        check_result({"claims": [dict(d)]})
    with pytest.raises(ValueError, match="controls"):
        check_result({"claims": [dict(d)], "controls": [control("x", False, {}, 0)]})
    r = check_result({"claims": [dict(d)], "controls": [control("x", True, {}, 0)]}, source="WGAN")
    assert r["claims"][0]["source"] == "WGAN"


def _synthetic():
    """Four findings, one per verdict, across the papers, and two sanity checks."""
    src = {"WGAN": "WGAN, Figure 2", "TPM": "Towards Principled Methods, Theorem 2.6"}
    return [
        claim("a", "holds for WGAN", 1, 1, True, source=src["WGAN"], test=TEST, seeds=SEEDS),
        claim("d", "disagrees with WGAN", 1, 0, False, source=src["WGAN"], verdict="disagrees",
              reason="the interval excludes it", test={"statistic": "mean over seeds", "interval": [-2, -1]},
              seeds=SEEDS),
        claim("n", "undecided", 1, 0, False, source=src["TPM"], verdict="no verdict",
              reason="the run did not learn: 10x longer would decide"),
        claim("x", "hypothesis unmet", 1, 0, False, source=src["TPM"], verdict="not applicable",
              reason="the hypothesis is not met"),
        claim("b", "beyond", 1, 1, True, source="beyond the papers (Naeem et al. 2020)", test=TEST, seeds=SEEDS),
        claim("s", "sanity", 1, 1, True, "sanity", source=src["WGAN"]),
        claim("t", "sanity too", 1, 1, True, "sanity", source=src["TPM"]),
    ]


def test_tally_counts_each_verdict_per_paper():
    from claims import tally, verdict_line

    t = tally(_synthetic())
    assert t["WGAN"] == {"agrees": 1, "disagrees": 1, "no verdict": 0, "not applicable": 0}
    assert t["Towards Principled Methods"] == {"agrees": 0, "disagrees": 0, "no verdict": 1, "not applicable": 1}
    assert t["beyond the papers"]["agrees"] == 1 and t["sanity"] == {"pass": 2, "fail": 0}
    line = verdict_line(t)
    assert line.startswith("WGAN: 2 findings, 1 agrees, 1 disagrees, 0 no verdict, 0 not applicable; "
                           "Towards Principled Methods: 2 findings")
    assert "beyond the papers (apart): 1 findings" in line and line.endswith("sanity checks: 2 of 2 pass")
    with pytest.raises(ValueError, match="source"):
        tally([{"kind": "finding", "source": "Heusel et al.", "verdict": "agrees"}])


def test_check_result_wants_a_paper_and_a_verdict():
    with pytest.raises(ValueError, match="source"):
        check_result({"claims": [claim("a", "s", 1, 1, True)]})
    with pytest.raises(ValueError, match="source must start"):
        check_result({"claims": [claim("a", "s", 1, 1, True)]}, source="Heusel et al. 2017")
    bare = {"id": "a", "kind": "finding", "statement": "s", "expected": 1, "measured": 1, "holds": True}
    with pytest.raises(ValueError, match="verdict"):
        check_result({"claims": [bare]}, source="WGAN")


def test_write_up_opens_with_verdicts_per_paper_and_lists_what_does_not_agree(monkeypatch):
    """The renderer on synthetic results: the headline's counts, every non-agreeing finding with its
    reason and test, source and verdict columns, the positive controls and the long budget's
    provenance drawn in the section."""
    import types

    from figures import writeup

    module = types.SimpleNamespace(name="fake", title="A fake figure", source="WGAN, Figure 2", claim="It holds.",
                                   caption="Panels.", departures="None.", why={"n": "the budget was small."},
                                   module="toys.fake", tables=None, quick="", pooled=False, cost=1.0)
    monkeypatch.setattr(writeup, "FIGURES", (module,))
    result = {"claims": _synthetic(), "settings": {"steps": 10, "seconds": 1.0},
              "controls": [control("DCGAN digits at FD < 50 (Radford et al.)", True, {"steps": 6000}, 47.0)],
              "long": {"provenance": {"command": "python -m figures --budget long", "commit": "abcdef1234567890",
                                      "machine": "2 cores", "date": "today", "cpu_seconds": 7200}}}
    text = writeup.render({"fake": result}, quick=False, seconds=60)
    head = text.split("| figure | source |")[0]
    assert "- **WGAN**: 2 findings: 1 agrees, 1 disagrees, 0 no verdict, 0 not applicable" in head
    assert "- **Towards Principled Methods**: 2 findings: 0 agrees, 0 disagrees, 1 no verdict, 1 not applicable" in head
    assert "**beyond the papers** (counted apart): 1 findings" in head and "2 of 2 pass" in head
    for v, c in (("disagrees", "disagrees with WGAN"), ("no verdict", "undecided"),
                 ("not applicable", "hypothesis unmet")):
        assert f"Findings with the verdict **{v}**:" in head and c in head
    assert "The interval excludes it (test: mean over seeds, interval [-2, -1]; 3 seeds)" in head
    assert "10x longer would decide" in head  # a no-verdict finding gets its reason, not the module's WHY
    assert "Why: the budget was small." not in head
    assert "holds for WGAN" not in head  # only what does not agree is listed
    assert "| [A fake figure](#fake) | WGAN, Figure 2 | 2 | 1 | 1 | 1 | 2 / 2 |" in text
    assert ("| finding | disagrees with WGAN | WGAN, Figure 2 | 1 | 0 | **no** | **disagrees** | mean over seeds, "
            "interval [-2, -1]; 3 seeds |") in text
    assert ("| finding | holds for WGAN | WGAN, Figure 2 | 1 | 1 | yes | agrees | Spearman rho vs permutation null, "
            "p = 0.001; 3 seeds |") in text  # every decided finding shows its test and its seeds
    assert "| sanity | sanity | WGAN, Figure 2 | 1 | 1 | yes | pass | - |" in text
    assert "| finding | undecided | Towards Principled Methods, Theorem 2.6 | 1 | 0 | **no** | **no verdict** | - |" in text
    assert "| DCGAN digits at FD < 50 (Radford et al.) | steps: 6000 | 47 | yes |" in text
    assert "*Long budget.*" in text and "`python -m figures --budget long` at commit `abcdef123456`" in text
    assert "2.00 CPU-hours" in text and "on 2 cores" in text


def test_write_up_renders_results_without_seeds(monkeypatch):
    """A result written before findings recorded their seeds (an old committed JSON) still renders
    (python -m figures --render): its decided findings say the seeds were not recorded."""
    import types

    from figures import writeup

    module = types.SimpleNamespace(name="old", title="An old figure", source="WGAN, Figure 2", claim="It holds.",
                                   caption="Panels.", departures="None.", why={}, module="toys.old", tables=None,
                                   quick="", pooled=False, cost=1.0)
    monkeypatch.setattr(writeup, "FIGURES", (module,))
    old = {"id": "a", "kind": "finding", "statement": "old agrees", "expected": 1, "measured": 1, "holds": True,
           "source": "WGAN, Figure 2", "verdict": "agrees", "reason": None}
    old_no = dict(old, id="b", statement="old disagrees", holds=False, verdict="disagrees", reason="r",
                  test={"statistic": "t", "p_value": 0.01})
    text = writeup.render({"old": {"claims": [old, old_no], "settings": {}}}, quick=False, seconds=None)
    assert "| agrees | no test recorded; seeds not recorded |" in text
    assert "| **disagrees** | t, p = 0.01; seeds not recorded |" in text


def test_load_renders_a_result_written_before_the_evidence_rule(tmp_path):
    """python -m figures --render on a committed JSON from before issue 28's rule (an 'agrees' with
    no test, seeds or controls) renders it as the rule decides now: no verdict, saying why."""
    import json

    from figures.__main__ import load

    old = {"claims": [{"id": "a", "kind": "finding", "statement": "s", "expected": 1, "measured": 1, "holds": True,
                       "source": "WGAN, Figure 2", "verdict": "agrees", "reason": None},
                      {"id": "b", "kind": "finding", "statement": "t", "expected": 1, "measured": 0, "holds": False,
                       "source": "WGAN, Figure 2", "verdict": "disagrees", "reason": "r", "test": TEST,
                       "seeds": SEEDS},
                      {"id": "c", "kind": "sanity", "statement": "u", "expected": 1, "measured": 1, "holds": True}],
           "settings": {}}
    (tmp_path / "parallel_lines.json").write_text(json.dumps(old))
    got = {c["id"]: c for c in load(tmp_path)["parallel_lines"]["claims"]}
    assert got["a"]["verdict"] == "no verdict" and "recorded as 'agrees' before the evidence rule" in got["a"]["reason"]
    assert got["b"]["verdict"] == "no verdict" and "controls" in got["b"]["reason"]  # no controls recorded
    assert got["c"]["kind"] == "sanity" and got["c"]["holds"]
    old["controls"] = [control("x", True, {}, 0, kind="power")]
    (tmp_path / "parallel_lines.json").write_text(json.dumps(old))
    assert {c["id"]: c for c in load(tmp_path)["parallel_lines"]["claims"]}["b"]["verdict"] == "disagrees"


def test_terminal_table_shows_the_verdict():
    from claims import claims_table

    table = claims_table(_synthetic())
    lines = table.splitlines()
    assert lines[0].split()[-1] == "verdict"
    assert any(line.rstrip().endswith("not applicable") for line in lines)
    assert any(line.rstrip().endswith("pass") for line in lines) and all(len(line) < 140 for line in lines)
