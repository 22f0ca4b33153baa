"""The torch paths of divergences on the test device (cpu, or cuda under ``benchmarks/gpu.py``,
``WGAN_TEST_DEVICE=cuda``): each returns a 0-d tensor on the input's device, equal to the numpy
value, whose gradient reaches the input."""

import os

import pytest
import torch

import divergences as D

DEVICE = torch.device(os.environ.get("WGAN_TEST_DEVICE", "cpu"))

SAMPLE_FUNCTIONS = {
    "wasserstein": lambda x, y: D.wasserstein(x, y),
    "wasserstein_p2": lambda x, y: D.wasserstein(x, y, order=2),
    "wasserstein_1d": lambda x, y: D.wasserstein(x[:, 0], y[:, 0]),  # the sorted 1-D path
    "sinkhorn_divergence": lambda x, y: D.sinkhorn_divergence(x, y, epsilon=0.05),
    "mmd2_gaussian": lambda x, y: D.mmd2(x, y, bandwidth=1.0),
    "mmd2_energy": lambda x, y: D.mmd2(x, y, kernel="energy"),
    "mmd2_polynomial": lambda x, y: D.mmd2(x, y, kernel="polynomial"),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_FUNCTIONS))
def test_sample_divergences_on_the_device(name, rng):
    f = SAMPLE_FUNCTIONS[name]
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(50, 2)) + 0.5
    xt = torch.tensor(x, device=DEVICE, requires_grad=True)
    value = f(xt, torch.tensor(y, device=DEVICE))
    assert isinstance(value, torch.Tensor) and value.dim() == 0 and value.device.type == DEVICE.type
    assert value.item() == pytest.approx(f(x, y), rel=1e-6, abs=1e-9)
    value.backward()
    assert xt.grad is not None and xt.grad.device.type == DEVICE.type
    assert torch.isfinite(xt.grad).all() and xt.grad.abs().sum() > 0


def test_sliced_wasserstein_on_the_device(rng):
    """Its random directions come from the device's generator (POT's backend), so the value is
    checked against the bound every direction obeys: SW_1 <= W_1 (projections are 1-Lipschitz)."""
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(50, 2)) + 0.5
    xt = torch.tensor(x, device=DEVICE, requires_grad=True)
    value = D.sliced_wasserstein(xt, torch.tensor(y, device=DEVICE), n_projections=50, seed=0)
    assert value.device.type == DEVICE.type and 0 < value.item() <= D.wasserstein(x, y) + 1e-12
    value.backward()
    assert torch.isfinite(xt.grad).all() and xt.grad.abs().sum() > 0


@pytest.mark.parametrize("f", [D.tv, D.kl, D.js])
def test_histogram_divergences_on_the_device(f, rng):
    p, q = rng.random(7) + 0.1, rng.random(7) + 0.1
    pt = torch.tensor(p, device=DEVICE, requires_grad=True)
    value = f(pt, torch.tensor(q, device=DEVICE))
    assert value.device.type == DEVICE.type
    assert value.item() == pytest.approx(f(p, q), rel=1e-9)
    value.backward()
    assert torch.isfinite(pt.grad).all()
