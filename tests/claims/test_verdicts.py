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
