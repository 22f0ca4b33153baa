"""The shared iteration (gan.algorithm): Algorithm 1's schedule and clipping, the GAN step,
the step-cosine monitor, the fresh-critic probe, and that every toy and experiment trains through
them."""

import ast
from pathlib import Path

import pytest
import torch

from gan.algorithm import StepCosine, critic_step, generator_step, iteration, make_players, train_critic
from gan.config import Config
from gan.defaults import OptimizerSpec
from gan.models import build_critic, build_generator, critic_mlp, mlp
from gan.train import critic_iterations

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted([*(ROOT / "toys").glob("*.py"), *(ROOT / "experiments").glob("*.py")])


def test_reference_critic_schedule():
    """100 critic steps for the first 25 generator steps and every 500th, else n_critic."""
    cfg = Config(data="synthetic").resolved()
    assert cfg.reference_schedule is True  # clipping: on by default
    got = [critic_iterations(t, cfg) for t in range(1002)]
    assert got[:25] == [100] * 25
    assert got[25] == 5 and got[499] == 5 and got[500] == 100 and got[501] == 5 and got[1000] == 100
    assert sum(got) == 27 * 100 + (1002 - 27) * 5
    cfg.reference_schedule = False
    assert {critic_iterations(t, cfg) for t in range(600)} == {5}
    assert critic_iterations(0, Config(data="synthetic", algo="gan").resolved()) == 1
    for lip in ("gp", "lp", "sn"):  # their papers use a constant n_critic
        c = Config(data="synthetic", lipschitz=lip).resolved()
        assert c.reference_schedule is False and critic_iterations(0, c) == 5


def test_defaults_resolve_to_each_papers_optimiser():
    r = Config(data="x").resolved()
    assert (r.optimizer, r.lr, r.critic_norm) == ("rmsprop", 5e-5, "batch")
    r = Config(data="x", algo="gan").resolved()
    assert (r.optimizer, r.lr, r.betas) == ("adam", 2e-4, (0.5, 0.999))
    r = Config(data="x", lipschitz="gp").resolved()
    assert (r.optimizer, r.lr, r.betas, r.critic_norm) == ("adam", 1e-4, (0.0, 0.9), "layer")
    r = Config(data="x", optimizer="adam").resolved()  # the paper's Section 4.2 negative result
    assert (r.optimizer, r.lr, r.betas) == ("adam", 5e-5, (0.5, 0.999))


def test_clipping_reaches_every_critic_parameter():
    """After a critic step every parameter, batch-norm weights and biases included, is in
    [-c, c]; batch-norm weights start near 1, so clipping visibly acted on them."""
    torch.manual_seed(0)
    critic = build_critic("dcgan", 16, width=8)
    bn = [m for m in critic.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bn and all(m.weight.min() > 0.9 for m in bn)
    p = make_players(None, critic, "wgan", lipschitz="clip")
    assert all(torch.allclose(m.weight, torch.full_like(m.weight, 0.01)) for m in bn)  # projected at start
    for m in bn:
        m.weight.data.fill_(1.0)
    critic_step(p, torch.randn(8, 3, 16, 16), torch.randn(8, 3, 16, 16))
    for name, q in critic.named_parameters():
        assert q.abs().max() <= 0.01 + 1e-12, name
    assert all(torch.allclose(m.weight, torch.full_like(m.weight, 0.01)) for m in bn)


def test_iteration_takes_n_critic_steps_and_one_generator_step():
    torch.manual_seed(0)
    G, C = build_generator("dcgan", 16, 8, 8, nc=1), build_critic("dcgan", 16, 8, nc=1)
    p = make_players(G, C, "wgan")
    calls = {"real": 0, "noise": 0}

    def real():
        calls["real"] += 1
        return torch.randn(4, 1, 16, 16)

    def noise():
        calls["noise"] += 1
        return torch.randn(4, 8)

    g0 = [q.clone() for q in G.parameters()]
    stats = iteration(p, real, noise, 3)
    assert calls == {"real": 3, "noise": 4}  # a fresh fake batch per critic step, one for G
    assert stats.accuracy is None and stats.critic.dim() == 0 and stats.loss_g.dim() == 0
    assert any(not torch.equal(a, b) for a, b in zip(g0, G.parameters()))
    assert all(q.grad is None or q.requires_grad for q in C.parameters())  # unfrozen after G's step


def test_generator_step_accumulates_no_gradient_in_the_critic():
    torch.manual_seed(0)
    G, C = mlp(2, 2, 8, 1), critic_mlp(2, 8, 1)
    p = make_players(G, C, "gan")
    generator_step(p, torch.randn(16, 2))
    assert all(q.grad is None for q in C.parameters())
    assert all(q.requires_grad for q in C.parameters())


def test_step_cosine_is_one_for_sgd_positive_for_rmsprop_and_can_turn_negative_with_momentum():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(10))
    for spec, check in ((OptimizerSpec("sgd", 0.1), lambda c: all(abs(v - 1) < 1e-6 for v in c)),
                        (OptimizerSpec("rmsprop", 0.01), lambda c: all(v > 0 for v in c))):
        opt = spec.build([w])
        mon = StepCosine(opt)
        for _ in range(5):
            opt.zero_grad()
            (w * torch.randn(10)).sum().backward()
            opt.step()
        assert len(mon.values) == 5 and check(mon.values), (spec, mon.values)
        mon.remove()
    # Adam with beta1 = 0.9 after the gradient flips: the step still follows the old momentum
    opt = torch.optim.Adam([w], lr=0.1, betas=(0.9, 0.999))
    mon = StepCosine(opt)
    for sign in [1.0] * 20 + [-1.0]:
        opt.zero_grad()
        (sign * w.sum()).backward()
        opt.step()
    assert mon.values[0] > 0.99 and mon.values[-1] < 0


def _optimizer_steps(tree: ast.AST) -> list[str]:
    """Calls of the form X.step() (an optimiser step) in a module."""
    return [ast.unparse(n.func.value) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "step"
            and not n.args and not n.keywords]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_toys_have_no_training_step_of_their_own(path):
    """Every toy and experiment trains its critics and generators through gan.algorithm: none calls
    an optimiser's step(), except the descent on the exact EM in parallel_lines (not a GAN), and
    none loops over critic_step itself (a critic against fixed distributions is train_critic)."""
    tree = ast.parse(path.read_text())
    steps = _optimizer_steps(tree)
    allowed = {"parallel_lines": ["opt"]}  # theta descending D.wasserstein itself
    assert steps == allowed.get(path.stem, []), steps
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "critic_step" not in called


def test_train_critic_is_k_critic_steps_on_the_pairs_it_is_given():
    """Sanity check (by construction): the same weights as k critic_step calls on the same batches."""
    def players():
        torch.manual_seed(0)
        return make_players(None, critic_mlp(2, 16, 2), "wgan", optimizer=OptimizerSpec("rmsprop", 1e-3))

    gen = torch.Generator().manual_seed(1)
    pairs = [(torch.randn(32, 2, generator=gen), torch.randn(32, 2, generator=gen) + 2) for _ in range(7)]
    a, b = players(), players()
    it = iter(pairs)
    stat, acc = train_critic(a, lambda: next(it), 7)
    for real, fake in pairs:
        last = critic_step(b, real, fake)
    assert acc is None and torch.equal(stat, last[0]) and stat.requires_grad is False
    for pa, pb in zip(a.critic.parameters(), b.critic.parameters()):
        assert torch.equal(pa, pb)
    with pytest.raises(ValueError, match="steps"):
        train_critic(a, lambda: pairs[0], 0)


def test_train_critic_draws_without_gradient_and_estimates_the_gap():
    """A fresh clipped critic against a frozen generator: the generator gets no gradient, and the
    estimate E f(real) - E f(fake) is positive for two distributions 2 apart (a GAN discriminator's
    accuracy goes above chance)."""
    torch.manual_seed(0)
    G = mlp(2, 2, hidden=16, depth=1)
    for algo in ("wgan", "gan"):
        p = make_players(None, critic_mlp(2, 16, 2), algo, optimizer=OptimizerSpec("adam", 1e-3))
        stat, acc = train_critic(p, lambda: (torch.randn(64, 2) + 2, G(torch.randn(64, 2))), 200)
        assert all(q.grad is None for q in G.parameters())
        assert float(stat) > 0 if algo == "wgan" else float(acc) > 0.8
