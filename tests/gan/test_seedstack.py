"""Several seeds in one pass (gan.seedstack): the stacked copies train exactly as separate runs."""

import pytest
import torch

from gan.algorithm import make_players, train_critic
from gan.defaults import OptimizerSpec
from gan.models import critic_mlp
from gan.seedstack import SeedStack


@pytest.mark.parametrize("algo,opt", [("wgan", OptimizerSpec("rmsprop", 5e-3)), ("gan", OptimizerSpec("adam", 1e-3))])
def test_stacked_critics_are_the_separate_runs(algo, opt):
    """Each copy, trained by gan.algorithm on its own slice of the batches, ends with the weights of
    a single critic seeded alike and trained on the same batches (clipping included)."""
    seeds = [3, 4, 5]
    kw = dict(lipschitz="clip", constraint_kwargs={"c": 0.1}) if algo == "wgan" else {}
    gen = torch.Generator().manual_seed(0)
    real, fake = torch.randn(20, 3, 16, 2, generator=gen), torch.randn(20, 3, 16, 2, generator=gen) + 1
    stack = SeedStack(lambda: critic_mlp(2, 32, 2), seeds)
    it = iter(range(20))
    train_critic(make_players(None, stack, algo, optimizer=opt, **kw), lambda: (real[next(it)], fake[next(it) - 1]), 10)
    for k, s in enumerate(seeds):
        torch.manual_seed(s)
        single = critic_mlp(2, 32, 2)
        it2 = iter(range(20))
        train_critic(make_players(None, single, algo, optimizer=opt, **kw),
                     lambda: (real[next(it2), k], fake[next(it2) - 1, k]), 10)
        got = stack.copy(k)
        for name, p in single.named_parameters():
            torch.testing.assert_close(got[name], p.detach(), atol=1e-6, rtol=0)


def test_vmap_path_matches_the_plain_path():
    """A module that is not a plain MLP goes through vmap; both give the same outputs."""
    stack = SeedStack(lambda: critic_mlp(2, 8, 2), [0, 1])
    x = torch.randn(2, 5, 2)
    plain = stack(x)
    stack._plain = False
    torch.testing.assert_close(stack(x), plain)
    with pytest.raises(ValueError, match="seed axis"):
        stack(torch.randn(3, 5, 2))
    with pytest.raises(ValueError, match="seeds"):
        SeedStack(lambda: critic_mlp(2, 8, 2), [])
