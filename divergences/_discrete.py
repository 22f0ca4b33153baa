"""Exact TV, KL and JS between histograms on one finite support.

Conventions (pinned by the tests): natural logarithm; KL may be ``+inf``; JS carries the
1/2, so ``0 <= JS <= ln 2``. Inputs are normalised like ``scipy.stats.entropy`` does, so
counts can be passed directly, at any positive scale (up to 1e308). A density tabulated on a
regular grid can be passed too: normalising the values makes each result the midpoint-rule
quadrature of the continuous quantity (error O(h^2) for smooth densities).

A histogram is 1-D. An array of histograms is reduced along ``axis`` (as ``scipy.stats.entropy``
does, which takes ``axis=0`` by default: here the axis must be said), giving an array of values.
Torch tensors give differentiable 0-d tensors (or tensors along ``axis``): these can be losses.

How the values relate to their peers: ``kl(p, q)`` is ``scipy.stats.entropy(p, q)`` (natural
log); ``js(p, q)`` is the square of ``scipy.spatial.distance.jensenshannon(p, q)`` (which is
sqrt(JS), natural log by default); ``tv(p, q)`` is half ``scipy.spatial.distance.cityblock`` of
the normalised histograms.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import rel_entr, xlogy

from ._validation import histogram_pair, is_tensor, numpy_only, real_array

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

LN2 = math.log(2.0)


def _along(f, p, q, axis):
    """Apply the 1-D divergence ``f`` along ``axis`` of two arrays of histograms."""
    if axis is None:
        return f(*histogram_pair(p, q))
    if is_tensor(p) or is_tensor(q):
        p, q = numpy_only(p, "p", "axis="), numpy_only(q, "q", "axis=")
    a, b = real_array(p, "p"), real_array(q, "q")
    if a.shape != b.shape:
        raise ValueError(f"p and q must have the same shape, got {a.shape} and {b.shape}")
    if not isinstance(axis, (int, np.integer)) or not -a.ndim <= axis < a.ndim:
        raise ValueError(f"axis must be an integer in [-{a.ndim}, {a.ndim}), got {axis!r}")
    a, b = np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)
    out = np.array([f(*histogram_pair(x, y)) for x, y in zip(a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1]))])
    return out.reshape(a.shape[:-1])


def _tv(hp, hq):
    if is_tensor(hp):
        return (0.5 * (hp - hq).abs().sum()).clamp(max=1.0)
    return float(min(1.0, 0.5 * np.abs(hp - hq).sum()))


def _kl(hp, hq):
    if is_tensor(hp):
        return torch.special.xlogy(hp, hp).sum() - torch.special.xlogy(hp, hq).sum()
    return float(max(0.0, rel_entr(hp, hq).sum()))


def _js(hp, hq):
    # p ln(2p / (p + q)) rather than rel_entr(p, (p + q) / 2): halving a subnormal p + q can
    # underflow to 0 and turn a negligible term into inf; 2p / (p + q) is always in [0, 2].
    s = hp + hq
    if is_tensor(hp):
        s = torch.where(s > 0, s, torch.ones_like(s))
        value = 0.5 * (torch.special.xlogy(hp, 2.0 * hp / s).sum() + torch.special.xlogy(hq, 2.0 * hq / s).sum())
        return value.clamp(0.0, LN2)
    s = np.where(s > 0, s, 1.0)
    value = 0.5 * (xlogy(hp, 2.0 * hp / s).sum() + xlogy(hq, 2.0 * hq / s).sum())
    # The bounds are exact; clipping removes only floating-point rounding.
    return float(min(max(value, 0.0), LN2))


def tv(p: ArrayLike, q: ArrayLike, *, axis: int | None = None):
    r"""Total variation distance between two histograms.

    .. math:: \delta(P, Q) = \sup_A |P(A) - Q(A)| = \tfrac12 \sum_i |p_i - q_i| \in [0, 1].

    Parameters
    ----------
    p, q : array_like or Tensor
        Non-negative weights on the same support (1-D; counts allowed).
    axis : int, optional
        For arrays of histograms: the axis along which each histogram lies.

    Returns
    -------
    float (a 0-d tensor for tensors; an array with ``axis``)

    References
    ----------
    Arjovsky, Chintala, Bottou (2017), *Wasserstein GAN*, Section 2.

    Examples
    --------
    >>> tv([1, 0], [0, 1])
    1.0
    >>> tv([[1, 0], [1, 1]], [[0, 1], [1, 1]], axis=1)
    array([1., 0.])
    """
    return _along(_tv, p, q, axis)


def kl(p: ArrayLike, q: ArrayLike, *, axis: int | None = None):
    r"""Kullback-Leibler divergence KL(P || Q) in nats.

    .. math:: KL(P\|Q) = \sum_i p_i \log \frac{p_i}{q_i},

    with :math:`0 \log(0/q) = 0`, and ``+inf`` when some :math:`p_i > 0` has
    :math:`q_i = 0` (P is not absolutely continuous w.r.t. Q). That is a value, not an error.
    Equals ``scipy.stats.entropy(p, q)``.

    Parameters
    ----------
    p, q : array_like or Tensor
        Non-negative weights on the same support (counts allowed).
    axis : int, optional
        For arrays of histograms: the axis along which each histogram lies.

    Returns
    -------
    float (a 0-d tensor for tensors; an array with ``axis``): KL(P || Q) >= 0, possibly ``inf``.

    Examples
    --------
    >>> kl([1, 0], [0, 1])
    inf
    >>> round(kl([0.5, 0.5], [0.9, 0.1]), 6)
    0.510826
    """
    return _along(_kl, p, q, axis)


def js(p: ArrayLike, q: ArrayLike, *, axis: int | None = None):
    r"""Jensen-Shannon divergence, with the 1/2, in nats.

    .. math::
        JS(P, Q) = \tfrac12 KL(P \| M) + \tfrac12 KL(Q \| M),\quad M = \tfrac12 (P + Q),

    so :math:`0 \le JS \le \ln 2`, with :math:`\ln 2` exactly when the supports are
    disjoint. The WGAN paper's Section 2 prints the definition without the 1/2, but its
    Example 1 (JS = log 2) and *Towards Principled Methods* use this convention. It is the
    square of ``scipy.spatial.distance.jensenshannon(p, q)``.

    Parameters
    ----------
    p, q : array_like or Tensor
        Non-negative weights on the same support (counts allowed).
    axis : int, optional
        For arrays of histograms: the axis along which each histogram lies.

    Returns
    -------
    float (a 0-d tensor for tensors; an array with ``axis``): JS(P, Q) in [0, ln 2].

    Examples
    --------
    >>> round(js([1, 0], [0, 1]), 12) == round(math.log(2), 12)
    True
    """
    return _along(_js, p, q, axis)
