"""The naming rule of the public functions, as data.

A public function is named ``QUANTITY`` or ``QUANTITY_INPUT``: first the number it returns, then
what it is given. Without a suffix a quantity takes its own input kind (histograms for TV, KL, JS
and the transport cost; weighted samples for the others). The value returned is the quantity
named, never its square or its root, except where the name says squared: ``mmd2`` (MMD^2), and
``frechet_distance``, the field's name for the *squared* W2 between Gaussian fits (FID is this
number; a name with "2" would read as FID squared). The argument names follow the input kind:
``p, q`` always name distributions (histograms, laws, densities), ``x, y`` samples and ``a, b``
their weights; an order is ``order`` (never ``p``). Three tools are named for what they do, not
for a quantity: ``optimal_transport``, ``median_heuristic``, ``mmd_test``.

``__init__`` states the rule, ``tests/divergences/test_naming.py`` enforces it over ``__all__``,
and ``python -m divergences --table`` draws the README's table from it.
"""

from __future__ import annotations

#: quantity token -> (what comes back, its input kind when the name has no suffix)
QUANTITIES = {
    "tv": ("TV distance, in [0, 1]", "histograms"),
    "kl": ("KL divergence in nats, may be inf", "histograms"),
    "js": ("JS divergence with the 1/2, in [0, ln 2]", "histograms"),
    "transport_cost": ("optimal transport cost for a ground cost (POT's `ot.emd2`)", "histograms"),
    "wasserstein": ("W_p, order p = `order` (1 by default: EM), never W_p^p", "samples"),
    "sliced_wasserstein": ("sliced W_p (<= W_p), an approximation", "samples"),
    "sinkhorn_divergence": ("debiased entropic approximation of W1", "samples"),
    "mmd2": ("MMD squared, estimator named", "samples"),
    "frechet_distance": ("squared W2 between Gaussian fits (FID's formula)", "samples"),
}

#: input kind (the name's suffix, "" for the quantity's own) -> (description, leading parameters)
INPUTS = {
    "histograms": ("histograms on one support", ("p", "q")),
    "samples": ("weighted samples", ("x", "y", "a", "b")),
    "gaussian": ("Gaussians by mean vector and covariance matrix", ("mean_p", "cov_p", "mean_q", "cov_q")),
    "gaussian_1d": ("1-D Gaussians by mean and standard deviation", ("mu_p", "sigma_p", "mu_q", "sigma_q")),
    "laws": ("frozen 1-D scipy.stats laws", ("p", "q")),
    "density": ("densities: frozen scipy.stats laws or callables", ("p", "q", "bounds")),
    "knn": ("samples, by k-nearest neighbours", ("x", "y")),
    "kde": ("samples, by kernel density estimates", ("x", "y", "a", "b")),
    "binned": ("samples, binned on a common grid", ("x", "y", "a", "b")),
}

#: the suffixes that name an estimator from samples (an approximation named as such)
ESTIMATORS = ("knn", "kde", "binned")

#: functions named for what they do; their leading parameters
TOOLS = {
    "optimal_transport": ("the exact plan and dual potentials between weighted samples", ("x", "y", "a", "b")),
    "median_heuristic": ("the MMD bandwidth: median pairwise distance of the pooled samples", ("x", "y")),
    "mmd_test": ("permutation two-sample test with the unbiased MMD^2", ("x", "y")),
}

#: functions of samples without weights, and why
NO_WEIGHTS = {
    "kl_knn": "its density estimates count neighbours; a weighted k-NN estimator is another estimator",
    "mmd_test": "the permutation null needs exchangeable points, which weighted points are not",
    "median_heuristic": "a bandwidth heuristic, not a divergence",
}

#: the columns of the README's table, in order
COLUMNS = ("histograms", "samples", "gaussian", "gaussian_1d", "laws", "density", "estimators")
HEADERS = {
    "histograms": "histograms `(p, q)`",
    "samples": "weighted samples `(x, y, a, b)`",
    "gaussian": "Gaussians `(mean, cov)`",
    "gaussian_1d": "1-D Gaussians `(mu, sigma)`",
    "laws": "1-D `scipy.stats` laws",
    "density": "densities",
    "estimators": "estimators from samples",
}


def parse(name: str) -> tuple[str, str]:
    """(quantity, input kind) of a public function's name; ValueError if it breaks the rule."""
    for quantity in sorted(QUANTITIES, key=len, reverse=True):
        if name == quantity:
            return quantity, QUANTITIES[quantity][1]
        if name.startswith(quantity + "_") and name[len(quantity) + 1:] in INPUTS:
            suffix = name[len(quantity) + 1:]
            if suffix in ("histograms", "samples"):  # the default kinds are never spelled out
                break
            return quantity, suffix
    raise ValueError(f"{name!r} is not QUANTITY[_INPUT] with QUANTITY in {sorted(QUANTITIES)} and INPUT "
                     f"in {sorted(k for k in INPUTS if k not in ('histograms', 'samples'))}")


def table(names) -> str:
    """The README's table: one row per quantity, one column per input kind, from ``names``."""
    cells: dict[tuple[str, str], list[str]] = {}
    for name in names:
        quantity, kind = parse(name)
        column = "estimators" if kind in ESTIMATORS else kind
        cells.setdefault((quantity, column), []).append(f"`{name}`")
    lines = ["| quantity | " + " | ".join(HEADERS[c] for c in COLUMNS) + " |",
             "|---" * (len(COLUMNS) + 1) + "|"]
    for quantity, (what, _) in QUANTITIES.items():
        row = [", ".join(sorted(cells.get((quantity, c), []))) for c in COLUMNS]
        lines.append(f"| `{quantity}`: {what} | " + " | ".join(row) + " |")
    return "\n".join(lines)
