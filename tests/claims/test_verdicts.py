"""The verdict logic of a finding, one synthetic case per verdict, and the record's rules."""

import pytest

from claims import check_result, claim, control, decide, paper_of

TEST = {"statistic": "Spearman rho vs permutation null", "p_value": 0.001}


def test_decide_one_case_per_verdict():
    assert decide(True) == "agrees"
    assert decide(False, test=TEST) == "disagrees"
    assert decide(False) == "no verdict"  # no test excludes the claim: not a disagreement
    assert decide(True, decided=False) == "no verdict"  # e.g. the run did not learn
    assert decide(None) == "no verdict"
    assert decide(False, control_passed=False, test=TEST) == "no verdict"
    assert decide(False, applicable=False, test=TEST) == "not applicable"
    assert decide(True, applicable=False) == "not applicable"


def test_claim_record_rules():
    ok = claim("a", "s", 1, 1, True, source="WGAN, Section 4.2")
    assert ok["verdict"] == "agrees" and ok["reason"] is None and ok["source"] == "WGAN, Section 4.2"
    b = claim("b", "s", 1, 0, False)  # a missed threshold is not a disagreement
    assert b["verdict"] == "no verdict" and "no test" in b["reason"]
    with pytest.raises(ValueError, match="needs a reason"):
        claim("c", "s", 1, 0, False, verdict="no verdict")
    with pytest.raises(ValueError, match="test"):
        claim("d", "s", 1, 0, False, verdict="disagrees", reason="r")
    d = claim("e", "s", 1, 0, False, verdict="disagrees", reason="r", test=TEST)
    assert d["verdict"] == "disagrees"
    with pytest.raises(ValueError, match="sanity"):
        claim("f", "s", 1, 1, True, kind="sanity", verdict="agrees")
    with pytest.raises(ValueError, match="source"):
        claim("g", "s", 1, 1, True, source="Heusel et al.")
    assert paper_of("Towards Principled Methods, Theorem 2.6") == "Towards Principled Methods"
    assert paper_of("beyond the papers: Heusel et al. 2017") == "beyond the papers"


def test_disagrees_needs_passed_controls():
    d = claim("e", "s", 1, 0, False, verdict="disagrees", reason="r", test=TEST)
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
        claim("a", "holds for WGAN", 1, 1, True, source=src["WGAN"]),
        claim("d", "disagrees with WGAN", 1, 0, False, source=src["WGAN"], verdict="disagrees",
              reason="the interval excludes it", test={"statistic": "mean over seeds", "interval": [-2, -1]}),
        claim("n", "undecided", 1, 0, False, source=src["TPM"], verdict="no verdict",
              reason="the run did not learn: 10x longer would decide"),
        claim("x", "hypothesis unmet", 1, 0, False, source=src["TPM"], verdict="not applicable",
              reason="the hypothesis is not met"),
        claim("b", "beyond", 1, 1, True, source="beyond the papers (Naeem et al. 2020)"),
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

    module = types.SimpleNamespace(NAME="fake", TITLE="A fake figure", SOURCE="WGAN, Figure 2", CLAIM="It holds.",
                                   CAPTION="Panels.", DEPARTURES="None.", WHY={"n": "the budget was small."},
                                   __name__="toys.fake")
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
    assert "The interval excludes it (test: mean over seeds, interval [-2, -1])" in head
    assert "10x longer would decide" in head  # a no-verdict finding gets its reason, not the module's WHY
    assert "Why: the budget was small." not in head
    assert "holds for WGAN" not in head  # only what does not agree is listed
    assert "| [A fake figure](#fake) | WGAN, Figure 2 | 2 | 1 | 1 | 1 | 2 / 2 |" in text
    assert "| finding | disagrees with WGAN | WGAN, Figure 2 | 1 | 0 | **no** | **disagrees** |" in text
    assert "| sanity | sanity | WGAN, Figure 2 | 1 | 1 | yes | pass |" in text
    assert "| DCGAN digits at FD < 50 (Radford et al.) | steps: 6000 | 47 | yes |" in text
    assert "*Long budget.*" in text and "`python -m figures --budget long` at commit `abcdef123456`" in text
    assert "2.00 CPU-hours" in text and "on 2 cores" in text


def test_terminal_table_shows_the_verdict():
    from claims import claims_table

    table = claims_table(_synthetic())
    lines = table.splitlines()
    assert lines[0].split()[-1] == "verdict"
    assert any(line.rstrip().endswith("not applicable") for line in lines)
    assert any(line.rstrip().endswith("pass") for line in lines) and all(len(line) < 140 for line in lines)
