"""Input validation shared by every public function of :mod:`divergences`.

One place for the checks the design promises: each failure is a ``ValueError`` whose
message starts with the argument's name and says what is wrong (NaN or inf, negative
weight, zero mass, empty input, shape or dimension mismatch). Torch tensors are checked
with torch operations and returned as tensors, so gradients and devices are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # torch is a dependency, but the maths modules must not need it at import time
    import torch
except ImportError:  # pragma: no cover - torch is installed with the package
    torch = None


def is_tensor(x: Any) -> bool:
    """True when ``x`` is a ``torch.Tensor``."""
    return torch is not None and isinstance(x, torch.Tensor)


def _finite(x, name: str) -> None:
    if is_tensor(x):
        ok = bool(torch.isfinite(x).all())
    else:
        ok = bool(np.isfinite(x).all())
    if not ok:
        raise ValueError(f"{name} contains NaN or inf")


def as_histogram(p, name: str):
    """Return ``p`` as a normalised float64 histogram (any shape, flattened).

    Counts are allowed; the histogram is divided by its sum, as ``scipy.stats.entropy``
    does.
    """
    if is_tensor(p):
        arr = p.reshape(-1)
        if not arr.is_floating_point():
            arr = arr.double()
    else:
        try:
            arr = np.asarray(p, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} must be an array of numbers: {err}") from None
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    _finite(arr, name)
    if bool((arr < 0).any()):
        raise ValueError(f"{name} has negative entries; a histogram must be >= 0")
    total = arr.sum()
    if not float(total) > 0:
        raise ValueError(f"{name} sums to 0; a histogram needs positive mass")
    return arr / total


def to_numpy(x):
    """A tensor as a float64 numpy array (detached, on the CPU); anything else unchanged."""
    if is_tensor(x):
        return x.detach().cpu().double().numpy()
    return x


def histogram_pair(p, q, names: tuple[str, str] = ("p", "q")):
    """Validate two histograms on one support; return both normalised, as numpy arrays."""
    p, q = to_numpy(p), to_numpy(q)
    shape_p = tuple(p.shape) if hasattr(p, "shape") else np.shape(p)
    shape_q = tuple(q.shape) if hasattr(q, "shape") else np.shape(q)
    hp, hq = as_histogram(p, names[0]), as_histogram(q, names[1])
    if shape_p != shape_q:
        raise ValueError(
            f"{names[0]} and {names[1]} must be histograms on the same support: "
            f"shapes {shape_p} and {shape_q} differ"
        )
    return hp, hq


def as_samples(x, name: str):
    """Return samples as a 2-D array (n, d); a 1-D input is n points in d = 1."""
    if is_tensor(x):
        arr = x if x.is_floating_point() else x.double()
    else:
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} must be an array of numbers: {err}") from None
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
        raise ValueError(
            f"{names[0]} and {names[1]} must both be numpy arrays or both torch tensors"
        )
    return sx, sy


def as_weights(w, n: int, name: str, like=None):
    """Validate weights for ``n`` points; ``None`` means uniform. Returns normalised weights."""
    if w is None:
        if like is not None and is_tensor(like):
            return torch.full((n,), 1.0 / n, dtype=like.dtype, device=like.device)
        return np.full(n, 1.0 / n)
    shape = tuple(w.shape) if hasattr(w, "shape") else np.shape(w)
    if shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match its samples, got {shape}")
    hist = as_histogram(w, name)
    if like is not None and is_tensor(like) and not is_tensor(hist):
        hist = torch.as_tensor(hist, dtype=like.dtype, device=like.device)
    return hist


def check_choice(value: str, name: str, choices) -> str:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_positive(value, name: str, *, integer: bool = False):
    """Raise unless ``value`` is a finite number > 0 (an int when ``integer``)."""
    if integer:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
        return int(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v
