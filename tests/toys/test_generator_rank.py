"""Towards Principled Methods, Lemma 1: the Jacobian rank of a generator, and a statistic that can fail."""

import numpy as np
import pytest
import torch

from toys import generator_rank as GR


def test_rank_is_min_of_dims_for_a_wide_generator_and_below_it_with_a_bottleneck():
    z = torch.randn(50, 8, generator=torch.Generator().manual_seed(0))
    full = GR.jacobian_ranks(GR.generator(8, "tanh", 0), z)
    assert (full["rank"] == 8).all()
    planted = GR.jacobian_ranks(GR.generator(8, "relu", 0, bottleneck=3), z)
    assert (planted["rank"] <= 3).all()  # the share statistic reads 0 here: it can fail
    assert GR._share(planted["rank"], 8) == 0.0 and GR._share(full["rank"], 8) == 1.0


def test_rank_of_an_affine_map_is_exact():
    lin = torch.nn.Linear(4, GR.DIM_X)
    with torch.no_grad():
        lin.weight.zero_()
        lin.weight[:2, :2] = torch.eye(2)  # rank 2 by construction
    r = GR.jacobian_ranks(lin, torch.randn(10, 4))
    assert (r["rank"] == 2).all()
    assert lin.weight.dtype == torch.float32  # restored after the float64 Jacobian


def test_bad_latents_raise():
    with pytest.raises(ValueError, match="z must be"):
        GR.jacobian_ranks(GR.generator(2, "relu", 0), torch.randn(5))


def test_claims(toy_result):
    r = toy_result("generator_rank")
    by_id = {c["id"]: c for c in r["claims"]}
    assert by_id["rank_at_most_dim_z"]["kind"] == "sanity" and by_id["rank_at_most_dim_z"]["holds"]
    c = by_id["bound_attained_at_init"]
    assert c["kind"] == "finding" and c["source"].startswith("beyond the papers") and len(c["seeds"]) == 5
    assert all(k["holds"] for k in r["controls"])  # the planted bottleneck is detected
    for k, counts in r["init"].items():
        assert max(int(v) for v in counts["rank_counts"]) <= int(k.split("/")[1])
    assert np.all(np.asarray(r["share"]["planted"]["8"]["mean"]) == 0)
