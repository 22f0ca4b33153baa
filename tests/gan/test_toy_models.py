"""The low-dimensional toys' models: batch-norm MLP, maxout critic, and the two initialisations."""

import torch
from torch import nn

from gan.models import Maxout, critic_mlp, maxout_critic, mlp, normal_init_, tflib_init_


def test_maxout_takes_the_maximum_of_each_group_of_pieces():
    # seeded: the initialisation's spread below is a sample statistic (the output layer's 200
    # weights give it a standard error of 0.001 against the 0.004 allowed, 4 standard errors:
    # unseeded it would fail about 6 runs in 100,000, and its draw depended on the tests before it)
    torch.manual_seed(0)
    m = Maxout(3, 4, 5)
    x = torch.randn(6, 3)
    full = m.linear(x).reshape(6, 4, 5)
    assert torch.equal(m(x), full.amax(2))
    c = maxout_critic(2, hidden=200, depth=3, pieces=5)
    assert c(torch.randn(9, 2)).shape == (9,)
    assert sum(isinstance(k, Maxout) for k in c.modules()) == 3
    ws = [k.weight for k in c.modules() if isinstance(k, nn.Linear)]
    assert all(abs(w.std().item() - 0.02) < 0.004 for w in ws if w.numel() > 100)
    assert all(torch.count_nonzero(k.bias) == 0 for k in c.modules() if isinstance(k, nn.Linear))


def test_batch_norm_mlp_has_no_hidden_bias():
    torch.manual_seed(0)
    g = mlp(2, 2, hidden=16, depth=4, batch_norm=True)
    lin = [k for k in g if isinstance(k, nn.Linear)]
    assert [k.bias is None for k in lin] == [True] * 4 + [False]
    assert sum(isinstance(k, nn.BatchNorm1d) for k in g) == 4
    assert g(torch.randn(8, 2)).shape == (8, 2)
    assert all(isinstance(k, nn.Linear) and k.bias is not None for k in mlp(2, 2, 16, 2) if isinstance(k, nn.Linear))


def test_tflib_and_normal_initialisations():
    torch.manual_seed(0)
    net = tflib_init_(critic_mlp(2, hidden=512, depth=3))
    lin = [k for k in net.modules() if isinstance(k, nn.Linear)]
    for k in lin[1:-1]:  # "he": uniform with standard deviation sqrt(2 / fan_in)
        assert abs(k.weight.std().item() / (2 / 512) ** 0.5 - 1) < 0.02
        assert k.weight.abs().max().item() <= (2 / 512) ** 0.5 * 3 ** 0.5 + 1e-7
    assert abs(lin[-1].weight.std().item() / (2 / 513) ** 0.5 - 1) < 0.2  # "glorot" on the output map
    assert all(torch.count_nonzero(k.bias) == 0 for k in lin)
    g = normal_init_(mlp(2, 2, 400, 2, batch_norm=True), 0.05)
    w = [k.weight for k in g if isinstance(k, nn.Linear)][1]
    assert abs(w.std().item() - 0.05) < 0.002
