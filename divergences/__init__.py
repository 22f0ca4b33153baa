"""Exact and estimated distances between probability distributions.

Conventions: natural logarithm (nats); TV is half the L1 distance; JS carries the 1/2
(0 <= JS <= ln 2); EM is Wasserstein-1 with the Euclidean ground metric, solved exactly (W_p
with ``p``); MMD is returned squared with the estimator named. Samples are arrays of shape (n,)
or (n, d). Gaussians are given by mean and standard deviation in 1-D (``*_1d(mu, sigma, ...)``,
as scipy's ``loc`` and ``scale``) and by mean vector and covariance matrix in d dimensions.
Torch tensors are accepted by ``tv``, ``kl``, ``js``, ``wasserstein``, ``wasserstein_1d``,
``sliced_wasserstein``, ``sinkhorn_divergence`` and ``mmd2``, which then return differentiable
0-d tensors; the other functions refuse a tensor that requires grad rather than drop it.

=====================  ==========================================================
histograms             :func:`tv`, :func:`kl`, :func:`js` (``axis=`` for arrays of them),
                       :func:`emd2` (the optimal cost for any ground cost)
weighted samples       :func:`wasserstein` (exact W1 / W_p), :func:`wasserstein_1d`,
                       :func:`optimal_transport` (plan + duals),
                       :func:`sliced_wasserstein`, :func:`sinkhorn_divergence`, :func:`mmd2`
two-sample tests       :func:`mmd_test` (permutation p-values, MMD or energy distance)
                       (kernels ``MMD_KERNELS``, estimators ``MMD_ESTIMATORS``)
closed forms           :func:`kl_gaussian`, :func:`kl_gaussian_1d`, :func:`w2_gaussian`,
                       :func:`w2_gaussian_1d`, :func:`w1_gaussian_1d`, :func:`w1_1d`,
                       :func:`tv_gaussian_1d`, :func:`mmd2_gaussian`, :func:`mmd2_gaussian_1d`
Gaussian fits          :func:`frechet_distance` (FID's formula on any features)
densities              :func:`tv_density`, :func:`kl_density`, :func:`js_density`
                       (frozen ``scipy.stats`` laws or callables)
sample estimators      :func:`kl_knn`, :func:`js_histogram`, :func:`tv_histogram`,
                       :func:`js_kde`, :func:`tv_kde`
=====================  ==========================================================
"""

from ._closed_form import (
    frechet_distance,
    kl_gaussian,
    kl_gaussian_1d,
    mmd2_gaussian,
    mmd2_gaussian_1d,
    tv_gaussian_1d,
    w1_1d,
    w1_gaussian_1d,
    w2_gaussian,
    w2_gaussian_1d,
)
from ._densities import density_divergence, js_density, kl_density, tv_density
from ._discrete import js, kl, tv
from ._estimators import js_histogram, js_kde, kl_knn, tv_histogram, tv_kde
from ._mmd import ESTIMATORS as MMD_ESTIMATORS
from ._mmd import KERNELS as MMD_KERNELS
from ._mmd import MMDTest, median_heuristic, mmd2, mmd_test
from ._wasserstein import (
    ConvergenceError,
    TransportResult,
    emd2,
    optimal_transport,
    sinkhorn_divergence,
    sliced_wasserstein,
    wasserstein,
    wasserstein_1d,
)

__all__ = [
    "ConvergenceError",
    "MMD_ESTIMATORS",
    "MMD_KERNELS",
    "MMDTest",
    "TransportResult",
    "density_divergence",
    "emd2",
    "frechet_distance",
    "js",
    "js_density",
    "js_histogram",
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
    "tv",
    "tv_density",
    "tv_gaussian_1d",
    "tv_histogram",
    "tv_kde",
    "w1_1d",
    "w1_gaussian_1d",
    "w2_gaussian",
    "w2_gaussian_1d",
    "wasserstein",
    "wasserstein_1d",
]
