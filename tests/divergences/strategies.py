"""Hypothesis strategies for histograms and point clouds."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

weights = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False)
coords = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False)


@st.composite
def histograms(draw, size=None, count=1, full_support=False):
    """``count`` histograms of one common length, each with positive mass."""
    n = size if size is not None else draw(st.integers(1, 12))
    elems = st.floats(0.01, 10.0) if full_support else weights
    out = []
    for _ in range(count):
        h = draw(arrays(np.float64, n, elements=elems))
        if h.sum() <= 0:
            h[draw(st.integers(0, n - 1))] = 1.0
        out.append(h)
    return out if count > 1 else out[0]


@st.composite
def clouds(draw, count=2, dim=None, max_points=10):
    """``count`` point clouds (n_i, d) sharing a dimension d."""
    d = dim if dim is not None else draw(st.integers(1, 3))
    return [
        draw(arrays(np.float64, (draw(st.integers(1, max_points)), d), elements=coords))
        for _ in range(count)
    ]
