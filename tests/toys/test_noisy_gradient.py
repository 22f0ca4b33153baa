"""Towards Principled Methods, Corollary 3.2 on the parallel lines, exactly, and the direction statistic."""

import math

import pytest
import torch

from toys import noisy_gradient as NG
from toys.parallel_lines import Line


def test_jsd_of_the_noisy_lines():
    assert NG.jsd_lines(0.0) == pytest.approx(0.0, abs=1e-9)
    assert 0 < NG.jsd_lines(0.5) < NG.jsd_lines(1.0) < math.log(2)


def test_the_exact_noisy_discriminator_passes_two_grad_jsd_and_points_to_the_data():
    gen = torch.Generator().manual_seed(3)
    z, eps = torch.rand(20_000, generator=gen), NG.SIGMA * torch.randn(20_000, 2, generator=gen)
    out = NG.gradient_probe(Line(NG.THETA0), NG.exact_discriminator(), z, eps, NG.lines_direction)
    assert out["signed"] == pytest.approx(NG.corollary_gradient(), rel=0.03)
    assert out["cos"] > 0.5
    rev = NG.gradient_probe(Line(NG.THETA0), NG.exact_discriminator(sign=-1.0), z, eps, NG.lines_direction)
    assert rev["cos"] < -0.5  # the statistic can fail


def test_claims(toy_result):
    r = toy_result("noisy_gradient")
    by_id = {c["id"]: c for c in r["claims"]}
    assert by_id["exact_gradient_is_corollary"]["holds"]
    for cid in ("lines_towards_data", "manifold_towards_data", "manifold_stays_informative", "lines_matches_corollary"):
        assert by_id[cid]["kind"] == "finding" and "interval" in by_id[cid]["test"]
    assert {c["kind"] for c in r["controls"]} == {"power", "learns"}
