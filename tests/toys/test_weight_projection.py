"""WGAN Section 3 (projection to a sphere): the constraint, the equivalence test, the toy's numbers."""

import torch

from gan.lipschitz import WeightSphere
from gan.models import critic_mlp
from toys.weight_projection import tost


def test_sphere_projection_puts_each_tensor_on_its_sphere():
    net = critic_mlp(1, 16, 2)
    WeightSphere(c=0.01).project(net)
    for p in net.parameters():
        assert abs(float(p.detach().norm()) - 0.01 * p.numel() ** 0.5) < 1e-6


def test_equivalence_can_fail():
    """Small differences inside the margin are equivalent; the same shifted by twice the margin,
    or too noisy ones, are not."""
    small = [0.001, -0.002, 0.0015, 0.0, -0.001]
    assert tost(small, 0.01)["inside"]
    assert not tost([d + 0.02 for d in small], 0.01)["inside"]
    assert not tost([0.03, -0.03, 0.02, -0.025, 0.01], 0.01)["inside"]


def test_quick_result(toy_result):
    r = toy_result("weight_projection")
    assert {c["kind"] for c in r["controls"]} == {"learns", "power"}
    for k in ("clip", "sphere"):
        for run in r["runs"][k]:
            assert run["w"][-1] < run["w"][0]  # the generator moves towards the target
