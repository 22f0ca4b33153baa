"""Exact and estimated distances between probability distributions.

Conventions: natural logarithm (nats); TV is half the L1 distance; JS carries the 1/2
(0 <= JS <= ln 2); EM is Wasserstein-1 with the Euclidean ground metric, solved exactly (W_p
with ``order``); MMD is returned squared with the estimator named. Samples are arrays of shape
(n,) or (n, d), with optional weights ``a``, ``b``. Gaussians are given by mean and standard
deviation in 1-D (``*_gaussian_1d(mu, sigma, ...)``, as scipy's ``loc`` and ``scale``) and by
mean vector and covariance matrix in d dimensions (``*_gaussian(mean, cov, ...)``). Torch
tensors are accepted by ``tv``, ``kl``, ``js``, ``wasserstein``, ``sliced_wasserstein``,
``sinkhorn_divergence`` and ``mmd2``, which then return differentiable tensors; the other
functions refuse a tensor that requires grad rather than drop it.

The naming rule: ``QUANTITY[_INPUT]``, the number returned, then what it is given.

* QUANTITY: ``tv``, ``kl``, ``js``, ``transport_cost`` (their own input: histograms ``p, q``),
  ``wasserstein`` (W_p, ``order=1`` by default), ``sliced_wasserstein``, ``sinkhorn_divergence``,
  ``mmd2``, ``frechet_distance`` (their own input: samples ``x, y`` with weights ``a, b``).
* INPUT: ``_gaussian`` (mean_p, cov_p, mean_q, cov_q), ``_gaussian_1d`` (mu_p, sigma_p, mu_q,
  sigma_q), ``_laws`` (frozen 1-D scipy.stats laws ``p, q``), ``_density`` (densities ``p, q``,
  frozen laws or callables), and the estimators from samples ``_knn``, ``_kde``, ``_binned``.
* The value is the quantity named, never its square or root, except where the name says
  squared: ``mmd2``, and ``frechet_distance`` (the squared W2 between Gaussian fits, FID's
  number under the field's name: "frechet_distance2" would read as FID squared).
* ``p, q`` always name distributions, ``x, y`` samples, ``a, b`` their weights; an order is
  ``order``. Tools named for what they do: :func:`optimal_transport`, :func:`median_heuristic`,
  :func:`mmd_test`.

``tests/divergences/test_naming.py`` enforces the rule over ``__all__``; the table of every
function by quantity and input kind is ``python -m divergences --table`` (the README's).
"""

#: the toolkit's version (``pyproject.toml`` reads it from here); ``gan.__version__`` is the same
__version__ = "0.1.0"

from ._closed_form import (
    frechet_distance,
    kl_gaussian,
    kl_gaussian_1d,
    mmd2_gaussian,
    mmd2_gaussian_1d,
    tv_gaussian_1d,
    wasserstein_gaussian,
    wasserstein_gaussian_1d,
    wasserstein_laws,
)
from ._densities import js_density, kl_density, tv_density
from ._discrete import js, kl, tv
from ._estimators import js_binned, js_kde, kl_knn, tv_binned, tv_kde
from ._mmd import ESTIMATORS as MMD_ESTIMATORS
from ._mmd import KERNELS as MMD_KERNELS
from ._mmd import MMDTest, median_heuristic, mmd2, mmd_test
from ._wasserstein import (
    ConvergenceError,
    TransportResult,
    optimal_transport,
    sinkhorn_divergence,
    sliced_wasserstein,
    transport_cost,
    wasserstein,
)

__all__ = [
    "ConvergenceError",
    "MMD_ESTIMATORS",
    "MMD_KERNELS",
    "MMDTest",
    "TransportResult",
    "frechet_distance",
    "js",
    "js_binned",
    "js_density",
    "js_kde",
    "kl",
    "kl_density",
    "kl_gaussian",
    "kl_gaussian_1d",
    "kl_knn",
    "median_heuristic",
    "mmd2",
    "mmd2_gaussian",
    "mmd2_gaussian_1d",
    "mmd_test",
    "optimal_transport",
    "sinkhorn_divergence",
    "sliced_wasserstein",
    "transport_cost",
    "tv",
    "tv_binned",
    "tv_density",
    "tv_gaussian_1d",
    "tv_kde",
    "wasserstein",
    "wasserstein_gaussian",
    "wasserstein_gaussian_1d",
    "wasserstein_laws",
]
