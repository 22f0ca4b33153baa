"""Input validation shared by every public function of :mod:`divergences`.

One place for the checks the design promises. Each failure is a ``ValueError`` (a bad value)
or a ``TypeError`` (a bad kind of input) whose message starts with the argument's name and says
what is wrong: NaN or inf, negative weight, zero mass, empty input, a ragged or non-numeric
sequence, complex numbers, half-precision tensors, shape or dimension mismatch, or a tensor that
requires grad given to a function that cannot differentiate. Torch tensors are checked with
torch operations and returned as tensors, so gradients and devices are kept.

Histograms and weights are normalised after dividing by their largest entry, so any positive
scale (up to 1e308) gives the same result, without overflow to inf or underflow to 0.

torch is never imported here: a tensor can exist only once its caller has imported torch, so
``is_tensor`` looks in ``sys.modules``, and the tensor branches import the loaded module.
"""

from __future__ import annotations

import functools
import numbers
import sys
from typing import Any

import numpy as np

#: the smallest positive float64 that is not subnormal: a bandwidth or a scale below it is refused
TINY = float(np.finfo(np.float64).tiny)


def is_tensor(x: Any) -> bool:
    """True when ``x`` is a ``torch.Tensor`` (without importing torch: no tensor exists before)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def namespace(*arrays):
    """The array API namespace of the arguments, one per call, so that a formula is written once
    for numpy and torch: ``array_api_compat``'s torch namespace when any of them is a tensor (as
    scipy uses it), else numpy's own.

    numpy >= 2.1 has the standard's signatures for every function used here (``clip``'s ``min`` and
    ``max`` came in 2.1), so it is its own namespace, as ``array_api_compat.array_namespace(...,
    use_compat=False)`` returns it; the compat wrapper of numpy clones numpy's namespace on import,
    which loads numpy's lazy submodules (f2py, testing): 40 to 290 ms on the first numpy call,
    measured on 2 cores. An older numpy gets the wrapper. The namespace is chosen by type, not by
    ``array_namespace`` (about 10 us a call against 0.3 us: a histogram's whole ``tv`` takes about
    20 us), since validated input is a numpy array or a tensor; torch's namespace is imported only
    once a tensor exists."""
    for a in arrays:
        if is_tensor(a):
            import array_api_compat.torch as xp

            return xp
    if _NUMPY_IS_ITS_NAMESPACE:
        return np
    import array_api_compat.numpy as xp  # pragma: no cover - numpy < 2.1

    return xp


#: numpy >= 2.1: its main namespace follows the array API standard for what this package uses
_NUMPY_IS_ITS_NAMESPACE = tuple(int(v) for v in np.__version__.split(".")[:2]) >= (2, 1)


def detached(x):
    """A tensor detached from its graph (a constant of the computation); anything else unchanged."""
    return x.detach() if is_tensor(x) else x


def as_result(value, like=None):
    """A value in the kind of the input it came from: a tensor for tensors (differentiable, on its
    device), a Python float for numpy input (a numpy array of values, along an axis, stays an
    array). ``like``: the input, when the value was computed with torch from numpy input."""
    if is_tensor(value) and (like is None or is_tensor(like)):
        return value
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    return float(value) if getattr(value, "ndim", 0) == 0 else value  # np.ndim: 3 us more a call


def _finite(x, name: str) -> None:
    ok = bool(x.isfinite().all()) if is_tensor(x) else bool(np.isfinite(x).all())
    if not ok:
        raise ValueError(f"{name} contains NaN or inf")


def _check_tensor(x, name: str):
    """A real tensor in single or double precision (integers are promoted to float64)."""
    import torch

    if x.is_complex():
        raise TypeError(f"{name} must be real, got a complex tensor ({x.dtype})")
    if x.dtype in (torch.float16, torch.bfloat16):
        raise TypeError(f"{name} has dtype {x.dtype}: use float32 or float64 (half precision cannot "
                        "hold these sums)")
    return x if x.is_floating_point() else x.double()


def real_array(x, name: str) -> np.ndarray:
    """``x`` as a float64 numpy array; TypeError for complex or non-numeric input, ValueError for
    a ragged sequence or for numbers given as strings (``["0.5", "0.5"]``: refused as a scalar
    "0.5" is, by :func:`number`, never parsed)."""
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be an array of numbers, not a string: got {x!r}")
    try:
        arr = np.asarray(x)
    except ValueError:
        raise ValueError(f"{name} must be a rectangular array of numbers (got a ragged sequence)") from None
    if arr.dtype.kind in "US":
        first = arr.reshape(-1)[0] if arr.size else ""
        raise ValueError(f"{name} must be an array of numbers, not of strings: got {str(first)!r} among its "
                         f"entries (pass the numbers themselves)")
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of numbers (got a ragged or mixed sequence)")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex values")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def numpy_only(x, name: str, function: str):
    """``x`` as numpy, refusing a tensor that requires grad (its gradient would be lost)."""
    if is_tensor(x):
        if x.requires_grad:
            raise TypeError(f"{name} requires grad, but {function} is not differentiable: pass "
                            f"{name}.detach() (or use a function that accepts tensors: wasserstein, "
                            "sliced_wasserstein, mmd2, sinkhorn_divergence, tv, kl, js)")
        x = _check_tensor(x, name).detach().cpu().double().numpy()
    return x


def as_histogram(p, name: str):
    """Return ``p`` as a normalised histogram (float64 numpy, or a tensor kept as a tensor).

    Counts are allowed; the histogram is divided by its sum, as ``scipy.stats.entropy`` does,
    after dividing by its largest entry (so scale cannot overflow or underflow).
    """
    if is_tensor(p):
        arr = _check_tensor(p, name).reshape(-1)
    else:
        arr = real_array(p, name).reshape(-1)
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    _finite(arr, name)
    if bool((arr < 0).any()):
        raise ValueError(f"{name} has negative entries; a histogram must be >= 0")
    top = arr.max()
    if not float(top.detach() if is_tensor(top) else top) > 0:
        raise ValueError(f"{name} sums to 0; a histogram needs positive mass")
    arr = arr / top
    return arr / arr.sum()


def to_numpy(x):
    """A tensor as a float64 numpy array (detached, on the CPU); anything else unchanged."""
    if is_tensor(x):
        return x.detach().cpu().double().numpy()
    return x


def histogram_pair(p, q, names: tuple[str, str] = ("p", "q")):
    """Validate two 1-D histograms on one support; return both normalised (numpy, or tensors
    when both are tensors)."""
    if is_tensor(p) != is_tensor(q):
        p, q = numpy_only(p, names[0], "a mixed numpy/tensor call"), numpy_only(q, names[1], "a mixed call")
    shape_p = tuple(p.shape) if hasattr(p, "shape") else np.shape(real_array(p, names[0]))
    shape_q = tuple(q.shape) if hasattr(q, "shape") else np.shape(real_array(q, names[1]))
    hp, hq = as_histogram(p, names[0]), as_histogram(q, names[1])
    for name, shape in zip(names, (shape_p, shape_q)):
        if len(shape) > 1:
            raise ValueError(f"{name} has shape {shape}: a histogram is 1-D; pass axis= to compute along "
                             "an axis of an array of histograms (as scipy.stats.entropy does)")
    if shape_p != shape_q:
        raise ValueError(f"{names[0]} and {names[1]} must be histograms on the same support: "
                         f"shapes {shape_p} and {shape_q} differ")
    return hp, hq


def histogram_stack(p, q, axis: int, names: tuple[str, str] = ("p", "q")):
    """Validate two arrays of histograms lying along ``axis``; return both with that axis moved
    last and each histogram normalised (numpy, or tensors when both are tensors, so gradients
    and devices are kept)."""
    if is_tensor(p) != is_tensor(q):
        p, q = numpy_only(p, names[0], "a mixed numpy/tensor call"), numpy_only(q, names[1], "a mixed call")
    out = []
    for x, name in zip((p, q), names):
        arr = _check_tensor(x, name) if is_tensor(x) else real_array(x, name)
        out.append(arr)
    a, b = out
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    axis = check_axis(axis, a.ndim)
    result = []
    for arr, name in zip((a, b), names):
        arr = arr.movedim(int(axis), -1) if is_tensor(arr) else np.moveaxis(arr, int(axis), -1)
        if arr.shape[-1] == 0 or 0 in tuple(arr.shape):
            raise ValueError(f"{name} is empty")
        _finite(arr, name)
        if bool((arr < 0).any()):
            raise ValueError(f"{name} has negative entries; a histogram must be >= 0")
        top = arr.amax(-1, keepdim=True) if is_tensor(arr) else arr.max(-1, keepdims=True)
        empty = ~(top > 0)
        if bool(empty.any()):
            where = np.argwhere(to_numpy(empty)[..., 0])[0]
            raise ValueError(f"{name} sums to 0 in the histogram at index {tuple(int(i) for i in where)} "
                             f"(the other axes); a histogram needs positive mass")
        arr = arr / top
        result.append(arr / arr.sum(-1, keepdim=True) if is_tensor(arr) else arr / arr.sum(-1, keepdims=True))
    return result[0], result[1]


def as_samples(x, name: str):
    """Return samples as a 2-D array (n, d); a 1-D input is n points in d = 1."""
    arr = _check_tensor(x, name) if is_tensor(x) else real_array(x, name)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2:
        raise ValueError(f"{name} must have shape (n,) or (n, d), got {tuple(arr.shape)}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one sample is needed")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has dimension 0")
    _finite(arr, name)
    return arr


def sample_pair(x, y, names: tuple[str, str] = ("x", "y")):
    """Validate two sample sets of the same dimension."""
    sx, sy = as_samples(x, names[0]), as_samples(y, names[1])
    if sx.shape[1] != sy.shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same dimension: "
            f"{names[0]} has d = {sx.shape[1]}, {names[1]} has d = {sy.shape[1]}"
        )
    if is_tensor(sx) != is_tensor(sy):
        raise TypeError(f"{names[0]} and {names[1]} must both be numpy arrays or both torch tensors")
    if is_tensor(sx) and sx.dtype != sy.dtype:
        sy = sy.to(sx.dtype)
    return sx, sy


def as_weights(w, n: int, name: str, like=None):
    """Validate weights for ``n`` points; ``None`` means uniform. Returns normalised weights."""
    if w is None:
        if like is not None and is_tensor(like):
            return like.new_full((n,), 1.0 / n)
        return np.full(n, 1.0 / n)
    shape = tuple(w.shape) if hasattr(w, "shape") else np.shape(real_array(w, name))
    if shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match its samples, got {shape}")
    hist = as_histogram(w, name)
    if like is not None and is_tensor(like) and not is_tensor(hist):
        hist = like.new_tensor(hist)
    if like is not None and not is_tensor(like) and is_tensor(hist):
        raise TypeError(f"{name} is a tensor but the samples are numpy arrays")
    return hist


def check_choice(value: str, name: str, choices) -> str:
    """Raise unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def number(value, name: str, *, integer: bool = False):
    """The one gate of every scalar parameter of the public API: ``value`` as a Python float (an
    int when ``integer``), or a ValueError whose message starts with ``name``.

    A number given as a string ("2", "0.1") is refused, never parsed: ``float("2")`` would take it,
    and a string where a number belongs is a mistake to show, not to guess at (``real_array``
    refuses an array of strings the same way). A bool, a complex number, None, a sequence, or an
    array or tensor of more than one element is refused too; a one-element array or tensor (say
    ``np.median(d)`` or ``t.max()``) gives its number. With ``integer``, only integers (Python's,
    numpy's, or a one-element integer array or tensor) are accepted: 2.0 is not a count.
    """
    kind = "an integer" if integer else "a number"
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be {kind}, not a string: got {value!r} (pass the number itself)")
    if is_tensor(value) or isinstance(value, np.ndarray):
        if (value.numel() if is_tensor(value) else value.size) != 1:
            raise ValueError(f"{name} must be {kind}, got an array of shape {tuple(value.shape)}")
        if not is_tensor(value) and value.dtype.kind in "US":
            raise ValueError(f"{name} must be {kind}, not a string: got {value.item()!r} (pass the number "
                             "itself)")
        value = value.item()  # a Python number (a tensor is detached and brought to the CPU)
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be {kind}, got the bool {value!r}")
    if integer:
        if not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be {kind}, got {value!r}")
        return int(value)
    if not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise ValueError(f"{name} must be {kind}, got {type(value).__name__} {value!r}")
    return float(value)


def _gate(value, name: str, integer: bool, message: str):
    """:func:`number`, with ``message`` for a value that is not a number at all (a string keeps
    :func:`number`'s own message, which says so)."""
    try:
        return number(value, name, integer=integer)
    except ValueError:
        if isinstance(value, (str, bytes)) or (isinstance(value, np.ndarray) and value.dtype.kind in "US"):
            raise
        raise ValueError(message) from None


def check_positive(value, name: str, *, integer: bool = False, minimum=None):
    """Raise unless ``value`` is a finite number > 0 and not subnormal (an int when ``integer``,
    at least ``minimum`` when given); return it (through :func:`number`)."""
    if integer:
        v = _gate(value, name, True, f"{name} must be a positive integer, got {value!r}")
        if v <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    else:
        v = _gate(value, name, False, f"{name} must be a positive number, got {value!r}")
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if v < TINY:
            raise ValueError(f"{name} is subnormal ({v!r}): too small to compute with")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return v


def check_seed(seed, name: str = "seed"):
    """A seed for ``np.random.default_rng``: None or an integer >= 0 (numpy's own message for a
    negative seed, "expected non-negative integer", does not say which argument it was)."""
    if seed is None:
        return None
    s = _gate(seed, name, True, f"{name} must be None or an integer >= 0, got {seed!r}")
    if s < 0:
        raise ValueError(f"{name} must be None or an integer >= 0, got {seed!r}")
    return s


def check_scalar(value, name: str) -> float:
    """A finite real number (a mean, a location); ValueError naming it otherwise."""
    v = _gate(value, name, False, f"{name} must be a finite number, got {value!r}")
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def check_nonnegative(value, name: str) -> float:
    """A finite number >= 0 (an offset such as the polynomial kernel's c0)."""
    v = _gate(value, name, False, f"{name} must be a finite number >= 0, got {value!r}")
    if not (np.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def check_axis(axis, ndim: int) -> int:
    """An axis of an ``ndim``-dimensional array, in [-ndim, ndim)."""
    a = _gate(axis, "axis", True, f"axis must be an integer in [-{ndim}, {ndim}), got {axis!r}")
    if not -ndim <= a < ndim:
        raise ValueError(f"axis must be an integer in [-{ndim}, {ndim}), got {axis!r}")
    return a


def peer_names(**ours):
    """Decorator: a call that uses a peer library's name for one of the function's arguments
    (``peer="ours"``: POT's and scipy's ``p=`` for the order, POT's ``reg=`` for epsilon) raises
    a TypeError that names the argument to use, rather than Python's bare "unexpected keyword
    argument 'p'". Here ``p`` and ``q`` always name distributions, never an order."""

    def wrap(f):
        @functools.wraps(f)
        def call(*args, **kwargs):
            for peer, name in ours.items():
                if peer in kwargs:
                    why = "POT's and scipy's name; here p and q name distributions" if peer == "p" else "POT's name"
                    raise TypeError(f"{name} is this argument's name in {f.__name__}, not {peer} ({why}): call "
                                    f"{f.__name__}(..., {name}={kwargs[peer]!r})")
            return f(*args, **kwargs)

        return call

    return wrap
