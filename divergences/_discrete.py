"""Exact TV, KL and JS between histograms on one finite support.

Conventions (pinned by the tests): natural logarithm; KL may be ``+inf``; JS carries the
1/2, so ``0 <= JS <= ln 2``. Inputs are normalised like ``scipy.stats.entropy`` does, so
counts can be passed directly, at any positive scale (up to 1e308). A density tabulated on a
regular grid can be passed too: normalising the values makes each result the midpoint-rule
quadrature of the continuous quantity (error O(h^2) for smooth densities).

A histogram is 1-D. An array of histograms is reduced along ``axis`` (as ``scipy.stats.entropy``
does, which takes ``axis=0`` by default: here the axis must be said), giving an array of values
(a tensor of values for tensors). Torch tensors give differentiable 0-d tensors (or tensors along
``axis``): these can be losses.

How the values relate to their peers: ``kl(p, q)`` is ``scipy.stats.entropy(p, q)`` (natural
log); ``js(p, q)`` is the square of ``scipy.spatial.distance.jensenshannon(p, q)`` (which is
sqrt(JS), natural log by default); ``tv(p, q)`` is half ``scipy.spatial.distance.cityblock`` of
the normalised histograms.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from ._validation import as_result, check_positive, histogram_pair, histogram_stack, namespace

LN2 = math.log(2.0)


def _log_base(base) -> float:
    """ln(base) for a logarithm base (None: e, nats), as scipy's ``entropy`` and ``jensenshannon``."""
    if base is None:
        return 1.0
    b = check_positive(base, "base")
    if b == 1.0:
        raise ValueError("base must be a positive number other than 1, got 1")
    return math.log(b)


def _along(f, p, q, axis, base=None):
    """The divergence ``f`` of two histograms, or along ``axis`` of two arrays of histograms
    (vectorised; tensors stay tensors, so the values along an axis are differentiable too), in
    units of log ``base``."""
    unit = _log_base(base)
    if axis is None:
        hp, hq = histogram_pair(p, q)
    else:
        hp, hq = histogram_stack(p, q, axis)
    value = f(namespace(hp, hq), hp, hq)
    if unit != 1.0:
        value = value / unit
    return as_result(value)


# Each formula is written once, in the array namespace ``xp`` of its histograms (numpy's, or
# torch's from array_api_compat): the same operations on numpy arrays and on tensors, which keep
# their gradients. The bounds (TV <= 1, KL >= 0, 0 <= JS <= ln 2) are exact; the clipping removes
# only floating-point rounding (np.minimum / np.maximum: np.clip costs about 60 us a call more).
# Sums are the arrays' own method (``.sum(axis=-1)``, numpy's and torch's alike): np.sum's
# dispatch doubled the time of a 10-bin TV.


def _special(xp):
    r"""``(rel_entr, xlogy)`` for the namespace ``xp``: scipy's ufuncs for numpy, by hand (one pass
    each: measured 19 against 229 us for KL of 10 bins, 23 against 29 ms at 1e5 bins, against the
    same terms written with ``where`` below); for torch the same terms in the namespace,

    .. math:: \mathrm{xlogy}(x, y) = x \ln y\ (0 \text{ at } x = 0), \qquad
              \mathrm{rel\_entr}(x, y) = x \ln(x / y)\ (0 \text{ at } x = 0, +\infty \text{ at }
              x > 0 = y),

    with the logarithm taken of 1 where x = 0, so the gradient there is finite (torch's own
    ``xlogy`` gives NaN for the gradient of x ln(x / y) at x = 0)."""
    if xp is np:
        from scipy.special import rel_entr, xlogy

        return rel_entr, xlogy

    def xlogy(x, y):
        return x * xp.log(xp.where(x == 0, xp.ones_like(y), y))

    def rel_entr(x, y):
        # one logarithm of the ratio, as scipy computes it: a difference x ln x - x ln y would
        # cancel, and KL near 0 would lose its relative accuracy
        ratio = x / xp.where(y > 0, y, xp.ones_like(y))
        return xp.where((y == 0) & (x > 0), xp.full_like(x, math.inf), xlogy(x, ratio))

    return rel_entr, xlogy


def _tv(xp, hp, hq):
    return xp.minimum(0.5 * abs(hp - hq).sum(axis=-1), 1.0)


def _kl(xp, hp, hq):
    rel_entr, _ = _special(xp)
    return xp.maximum(rel_entr(hp, hq).sum(axis=-1), 0.0)


def _js(xp, hp, hq):
    # p ln(2p / (p + q)) rather than rel_entr(p, (p + q) / 2): halving a subnormal p + q can
    # underflow to 0 and turn a negligible term into inf; 2p / (p + q) is always in [0, 2].
    _, xlogy = _special(xp)
    s = hp + hq
    s = xp.where(s > 0, s, xp.ones_like(s))
    value = 0.5 * (xlogy(hp, 2.0 * hp / s).sum(axis=-1) + xlogy(hq, 2.0 * hq / s).sum(axis=-1))
    return xp.minimum(xp.maximum(value, 0.0), LN2)


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
    float
        TV in [0, 1] (a differentiable 0-d tensor for tensors; with ``axis``, an array, or a
        tensor for tensors).

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


def kl(p: ArrayLike, q: ArrayLike, *, axis: int | None = None, base: float | None = None):
    r"""Kullback-Leibler divergence KL(P || Q), in nats (or in units of log ``base``).

    .. math:: KL(P\|Q) = \sum_i p_i \log \frac{p_i}{q_i},

    with :math:`0 \log(0/q) = 0`, and ``+inf`` when some :math:`p_i > 0` has
    :math:`q_i = 0` (P is not absolutely continuous w.r.t. Q). That is a value, not an error.
    Equals ``scipy.stats.entropy(p, q, base=base, axis=axis)`` (whose ``axis`` defaults to 0).

    Parameters
    ----------
    p, q : array_like or Tensor
        Non-negative weights on the same support (counts allowed).
    axis : int, optional
        For arrays of histograms: the axis along which each histogram lies.
    base : float, optional
        The logarithm's base (2: bits); None for the natural logarithm (nats).

    Returns
    -------
    float
        KL(P || Q) >= 0, possibly ``inf`` (a differentiable 0-d tensor for tensors; with
        ``axis``, an array, or a tensor for tensors).

    Examples
    --------
    >>> kl([1, 0], [0, 1])
    inf
    >>> round(kl([0.5, 0.5], [0.9, 0.1]), 6)
    0.510826
    >>> round(kl([0.5, 0.5], [0.9, 0.1], base=2), 6)   # in bits
    0.736966
    """
    return _along(_kl, p, q, axis, base)


def js(p: ArrayLike, q: ArrayLike, *, axis: int | None = None, base: float | None = None):
    r"""Jensen-Shannon divergence, with the 1/2, in nats (or in units of log ``base``).

    .. math::
        JS(P, Q) = \tfrac12 KL(P \| M) + \tfrac12 KL(Q \| M),\quad M = \tfrac12 (P + Q),

    so :math:`0 \le JS \le \ln 2`, with :math:`\ln 2` exactly when the supports are
    disjoint. The WGAN paper's Section 2 prints the definition without the 1/2, but its
    Example 1 (JS = log 2) and *Towards Principled Methods* use this convention. It is the
    square of ``scipy.spatial.distance.jensenshannon(p, q, base=base)`` (the JS *distance*).

    Parameters
    ----------
    p, q : array_like or Tensor
        Non-negative weights on the same support (counts allowed).
    axis : int, optional
        For arrays of histograms: the axis along which each histogram lies.
    base : float, optional
        The logarithm's base (2: bits, and then JS is in [0, 1]); None for nats.

    Returns
    -------
    float
        JS(P, Q) in [0, ln 2] (in [0, 1] with ``base=2``; a differentiable 0-d tensor for
        tensors; with ``axis``, an array, or a tensor for tensors).

    Examples
    --------
    >>> round(js([1, 0], [0, 1]), 12) == round(math.log(2), 12)
    True
    >>> js([1, 0], [0, 1], base=2)   # disjoint supports: one bit
    1.0
    """
    return _along(_js, p, q, axis, base)
