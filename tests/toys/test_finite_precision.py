"""Towards Principled Methods, footnote 4: the centring statistic, its threshold, the float32 cliff."""

import numpy as np
import pytest
import torch

from gan.losses import gan_generator_loss
from toys import finite_precision as FP


def test_centring_reads_centred_noise_as_centred_and_an_offset_as_not():
    rng = np.random.default_rng(0)
    thr = FP.null_threshold(32, seed=1)
    assert 0 < thr < 1
    centred = rng.standard_cauchy((32, 4))
    assert FP.centring(centred) < thr
    assert FP.centring(rng.standard_normal((32, 4)) + 1.0) > thr  # the statistic can fail
    with pytest.raises(ValueError, match="draws"):
        FP.centring(np.zeros(3))


def test_sigmoid_then_log_is_exact_until_float32_underflows():
    """Down to logit -80 the naive float32 -log D gradient equals the exact one (1 - D); below the
    underflow it is not noisy but infinite or NaN."""
    for v, finite in ((-10.0, True), (-80.0, True), (-95.0, False)):
        a = torch.tensor([v], requires_grad=True)
        (g,) = torch.autograd.grad(FP.naive_neg_log_d(a), a)
        b = torch.tensor([v], requires_grad=True)
        (ref,) = torch.autograd.grad(gan_generator_loss(b), b)
        assert bool(torch.isfinite(g).all()) is finite
        if finite:
            assert torch.allclose(g, ref, rtol=1e-6)


def test_claims(toy_result):
    r = toy_result("finite_precision")
    by_id = {c["id"]: c for c in r["claims"]}
    assert set(by_id) == {"centred_at_last_step", "more_centred_as_d_trains"}
    assert all(c["test"]["threshold"] is not None for c in by_id.values())
    assert all(c["source"].startswith("beyond the papers") for c in by_id.values())
    power = r["controls"][0]
    assert power["kind"] == "power" and power["holds"]


def test_findings_are_sourced_as_a_reading_of_the_footnote():
    # footnote 4 speaks of the error D* - D "as the approximation gets better", not of the gradient's
    # coordinates at a fixed budget: the findings are not charged to the paper
    from claims.record import paper_of
    from toys import finite_precision as F

    assert paper_of(F.FIGURE.source) == "Towards Principled Methods"
    assert paper_of(F.FINDING_SOURCE) == "beyond the papers"
    assert "centered random noise due to the" in F.FINDING_SOURCE
