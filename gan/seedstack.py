r"""Several seeds of one small network trained in one pass: the copies' parameters stacked.

A toy's finding rests on several seeds (the evidence rule, :mod:`claims.record`). Its networks
are tiny, so S copies trained side by side cost little more than one when their parameters are
stacked along a leading seed axis and evaluated with :func:`torch.func.vmap` (measured 2.5-2.8x
faster than a loop over seeds for the toy MLPs; issue 28).

:class:`SeedStack` holds S copies of a module, each initialised from its own seed
(:func:`torch.func.stack_module_state`); it maps inputs of shape ``(S, B, ...)`` to ``(S, B, ...)``,
copy s reading slice s. Trained by the shared steps of :mod:`gan.algorithm` unchanged, it is
exactly S independent runs (each with its own initialisation and its own minibatches):

* the losses there are means over every element, :math:`\frac1{SB}\sum_{s,b}`, i.e. 1/S times the
  sum of the S runs' losses; :func:`seed_sum` (applied to the stack's output) multiplies the
  gradient by S on the way back, so each copy's parameters get its own run's gradient;
* Adam, RMSProp and SGD update each parameter element from its own gradient alone, and weight
  clipping clamps each element, so a stacked parameter evolves as S separate ones would.

(Accuracies and other logged statistics come out as means over the copies.)
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn


class _SeedSum(torch.autograd.Function):
    """Identity forward; the gradient times ``s`` backward."""

    @staticmethod
    def forward(ctx, x: Tensor, s: int) -> Tensor:
        ctx.s = s
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g: Tensor):
        return g * ctx.s, None


def seed_sum(x: Tensor, s: int) -> Tensor:
    """``x`` unchanged, its gradient multiplied by ``s``: a mean over S stacked runs' elements
    then back-propagates as the sum of the S runs' own means (see the module docstring)."""
    return _SeedSum.apply(x, s)


class SeedStack(nn.Module):
    """S copies of a module, one per seed, stacked; ``forward`` maps ``(S, B, ...)`` to ``(S, B, ...)``.

    Parameters
    ----------
    make : callable
        ``make()`` builds one copy; it is called once per seed after ``torch.manual_seed(seed)``,
        so copy s is initialised exactly as a single run with that seed would be.
    seeds : list of int
        The seeds, at least one.
    sum_grad : bool
        Apply :func:`seed_sum` to the output (True, for the critic, whose output every loss reads);
        a generator whose output goes through a stacked critic takes False (its gradient is then
        already each run's own).
    """

    def __init__(self, make: Callable[[], nn.Module], seeds: list[int], sum_grad: bool = True):
        super().__init__()
        from torch.func import stack_module_state

        if len(seeds) < 1:
            raise ValueError(f"seeds must name at least one seed, got {seeds!r}")
        copies = []
        for s in seeds:
            torch.manual_seed(s)
            copies.append(make())
        params, buffers = stack_module_state(copies)
        if buffers:
            raise ValueError("make must build a module without buffers (no batch norm)")
        self.seeds, self.sum_grad = list(seeds), sum_grad
        self.names = list(params)
        # ParameterList keeps them registered (the optimisers and the clipping read .parameters())
        self.stacked = nn.ParameterList([nn.Parameter(params[k].detach().clone()) for k in self.names])
        base = copies[0].to("meta")
        self._base = [base]  # not a submodule: its (meta) parameters are not the stack's
        # a plain MLP (Linear and elementwise layers, a final Flatten) runs as batched matrix
        # products, with less overhead than vmap; anything else goes through vmap
        plain = isinstance(base, nn.Sequential) and all(
            isinstance(m, (nn.Linear, nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid)) or
            (isinstance(m, nn.Flatten) and i == len(base) - 1) for i, m in enumerate(base))
        self._plain = plain and all(m.bias is not None for m in base if isinstance(m, nn.Linear))

    def forward(self, x: Tensor, sum_grad: bool | None = None) -> Tensor:
        """Copy s's output on ``x[s]``. ``sum_grad`` (default: the stack's) applies :func:`seed_sum`;
        pass False to read gradients with respect to ``x`` as each copy's own."""
        from torch.func import functional_call, vmap

        s = len(self.seeds)
        if sum_grad is None:
            sum_grad = self.sum_grad
        if x.shape[0] != s:
            raise ValueError(f"x must have the seed axis first, {s} long, got shape {tuple(x.shape)}")
        params = dict(zip(self.names, self.stacked))
        if self._plain:
            out = x
            for i, m in enumerate(self._base[0]):
                if isinstance(m, nn.Linear):  # weight (S, out, in), bias (S, out)
                    w, b = params[f"{i}.weight"], params[f"{i}.bias"]
                    out = torch.baddbmm(b[:, None, :], out, w.transpose(1, 2))
                elif isinstance(m, nn.Flatten):
                    out = out.flatten(m.start_dim + 1 if m.start_dim >= 0 else m.start_dim,
                                      m.end_dim + 1 if m.end_dim >= 0 else m.end_dim)
                else:
                    out = m(out)
            return seed_sum(out, s) if sum_grad else out

        def one(p: dict, xi: Tensor) -> Tensor:
            return functional_call(self._base[0], p, (xi,))

        out = vmap(one)(params, x)
        return seed_sum(out, s) if sum_grad else out

    def copy(self, i: int) -> dict[str, Tensor]:
        """Copy ``i``'s parameters (detached), by name: a single module's ``state_dict``."""
        return {k: p[i].detach().clone() for k, p in zip(self.names, self.stacked)}
