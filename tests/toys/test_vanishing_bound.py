"""Towards Principled Methods, Theorem 2.4: the bound's ingredients, exact where they are known."""

import math

import numpy as np
import torch

from toys import vanishing_bound as VB


def test_jacobian_norm_of_an_affine_generator_is_exact():
    """For g(z) = W z + b, J_theta g(z) = [z^T (x) I, I], whose spectral norm squared is |z|^2 + 1."""
    G = torch.nn.Linear(3, 5)
    z = torch.randn(20, 3, generator=torch.Generator().manual_seed(1))
    np.testing.assert_allclose(VB.jacobian_norm_sq(G, z, chunk=7), (z ** 2).sum(1).numpy() + 1, rtol=1e-5)


def test_distance_on_support_of_a_constant_and_of_a_steep_discriminator():
    """A constant logit b: eps = sigmoid(b), no gradient. A steep discriminator: eps >= 1, so the
    bound is infinite and cannot certify anything (the statistic can fail)."""
    const = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
    with torch.no_grad():
        const[0].weight.zero_()
        const[0].bias.fill_(-3.0)
    e = VB.distance_on_support(const, torch.randn(100, 2))
    assert math.isclose(e["eps"], 1 / (1 + math.exp(3)), rel_tol=1e-6) and e["grad_max"] == 0
    steep = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
    with torch.no_grad():
        steep[0].weight.fill_(50.0)
        steep[0].bias.zero_()
    assert VB.distance_on_support(steep, torch.zeros(4, 2))["eps"] >= 1  # D = 1/2, |grad| = 12.5 sqrt 2


def test_claims(toy_result):
    r = toy_result("vanishing_bound")
    by_id = {c["id"]: c for c in r["claims"]}
    assert by_id["bound_holds"]["holds"] and by_id["bound_holds"]["kind"] == "sanity"
    for run in r["runs"].values():
        assert np.all(np.asarray(run["norm"]) <= np.asarray(run["bound"]))
    for cid in ("epsilon_vanishes", "bound_certifies_vanishing"):
        c = by_id[cid]
        assert c["kind"] == "finding" and "interval" in c["test"]
        assert c["verdict"] == "no verdict"  # quick: 3 seeds, fewer than a verdict needs


def test_the_premise_is_not_charged_to_the_paper():
    # Corollary 2.1 assumes ||D - D*|| -> 0; whether training reaches it is not the paper's claim
    from claims.record import paper_of
    from toys import vanishing_bound as V

    assert paper_of(V.FIGURE.source) == "Towards Principled Methods"
    assert paper_of(V.PREMISE_SOURCE) == "beyond the papers"
