"""Exact and estimated distances between probability distributions.

Conventions: natural logarithm (nats); TV is half the L1 distance; JS carries the 1/2
(0 <= JS <= ln 2); EM is Wasserstein-1 with the Euclidean ground metric, solved exactly;
MMD is returned squared with the estimator named. Samples are arrays of shape (n,) or (n, d).
Torch tensors are accepted by ``wasserstein``, ``sliced_wasserstein`` and ``mmd2``, which then
return differentiable 0-d tensors.

=====================  ==========================================================
histograms             :func:`tv`, :func:`kl`, :func:`js`, :func:`emd` (any ground cost)
weighted samples       :func:`wasserstein` (exact W1), :func:`wasserstein_1d`,
                       :func:`optimal_transport` (plan + duals),
                       :func:`sliced_wasserstein`, :func:`mmd2`
closed forms           :func:`kl_gaussian`, :func:`w2_gaussian`, :func:`w1_gaussian_1d`,
                       :func:`w1_1d`, :func:`tv_gaussian_1d`, :func:`mmd2_gaussian`
Gaussian fits          :func:`frechet_distance` (FID's formula on any features)
densities              :func:`tv_density`, :func:`kl_density`, :func:`js_density`
sample estimators      :func:`kl_knn`, :func:`js_histogram`, :func:`tv_histogram`,
                       :func:`js_kde`, :func:`tv_kde`
=====================  ==========================================================
"""

from .closed_form import (
    frechet_distance,
    kl_gaussian,
    mmd2_gaussian,
    tv_gaussian_1d,
    w1_1d,
    w1_gaussian_1d,
    w2_gaussian,
)
from .densities import density_divergence, js_density, kl_density, tv_density
from .discrete import js, kl, tv
from .estimators import js_histogram, js_kde, kl_knn, tv_histogram, tv_kde
from .mmd import median_heuristic, mmd2
from .wasserstein import (
    ConvergenceError,
    TransportResult,
    emd,
    optimal_transport,
    sliced_wasserstein,
    wasserstein,
    wasserstein_1d,
)

__all__ = [
    "ConvergenceError",
    "TransportResult",
    "density_divergence",
    "emd",
    "frechet_distance",
    "js",
    "js_density",
    "js_histogram",
    "js_kde",
    "kl",
    "kl_density",
    "kl_gaussian",
    "kl_knn",
    "median_heuristic",
    "mmd2",
    "mmd2_gaussian",
    "optimal_transport",
    "sliced_wasserstein",
    "tv",
    "tv_density",
    "tv_gaussian_1d",
    "tv_histogram",
    "tv_kde",
    "w1_1d",
    "w1_gaussian_1d",
    "w2_gaussian",
    "wasserstein",
    "wasserstein_1d",
]
