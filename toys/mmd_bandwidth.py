r"""WGAN Section 5: low-bandwidth MMD saturates; the MMD test needs n to grow with d.

Section 5 of the WGAN paper, on the MMD: "especially with low bandwidth kernels, the distance
might be close to a saturating regime similar as with total variation or the JS", with
"vanishing gradients"; and "for the typical Gaussian MMD test to be reliable (as it would need
to be for its use as a loss), we need the number of samples to grow linearly with the number of
dimensions" (citing Ramdas et al. 2015).

**Saturation.** :math:`MMD^2` (:func:`divergences.mmd2`, Gaussian kernel, unbiased, on torch
tensors, differentiated by autograd) between P_0 and :math:`P_\theta` against :math:`\theta`
for bandwidths h = 0.01 ... 3:

* on WGAN Example 1's parallel lines, :math:`\{0\}\times U[0,1]` against
  :math:`\{\theta\}\times U[0,1]` (the same 300 uniform draws on both lines), where
  :math:`MMD^2 = 2A - 2B e^{-\theta^2/2h^2}` exactly (A, B: kernel means of the draws): the
  autograd gradient is checked against this formula (a *sanity* check: saturation here follows
  from the kernel's formula);
* on two 1-D Gaussians ten standard deviations apart, :math:`N(0, 0.1^2)` against
    :math:`N(\theta, 0.1^2)` at :math:`\theta = 1`, over 20 draws of 200 points each: the gradient
  at a low bandwidth (h = 0.05) is a vanishing share of the gradient at the median-heuristic
  bandwidth (ratio of the means over draws, 95% interval below 0.01); also a *sanity* check, as
  the cross-kernel terms underflow at that distance (the population formula gives the ratio).

**The test against d.** :func:`divergences.mmd_test` (median heuristic, 100 permutations, level
0.05) on :math:`N(0, I_d)` against :math:`N(\delta e_1, I_d)`, :math:`\delta = 1` (a fixed
signal in one coordinate, Ramdas et al.'s setting), 30 repeats per cell: its power at fixed n
against d; and for each d the n per sample at which the power reaches 0.5 (interpolated on a
grid of n), with the exponent b of :math:`n \propto d^b` fitted by least squares on log-log and
its 95% bootstrap interval (repeats resampled within each cell). The paper's "linearly" is
b = 1; the finding holds when the interval lies inside [0.75, 1.25] (this module's margin).

**Not applicable.** The paper runs nothing here; it cites [19], Ramdas et al., "On the
high-dimensional power of *linear-time* kernel two-sample testing under mean-difference
alternatives", for "the typical Gaussian MMD test to be reliable (as in it's power as a
statistical test approaching 1)". The test here is the quadratic-time (unbiased U-statistic)
permutation test, held at power 0.5, not the linear-time statistic at power tending to 1: the
cited setting is not met, so ``n_grows_linearly`` is reported with its numbers and the verdict
"not applicable" (for the quadratic-time statistic under a fixed mean shift the power depends on
about n / sqrt(d), i.e. b = 1/2, which the measured exponent is nearer). ``power_falls_with_d``
(the power at fixed n falls with d) holds for either statistic and stays a finding of the paper.

Run: ``python -m toys.mmd_bandwidth [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats

import divergences as D
from claims import Figure, claim, control, fmt, seed_all, single_threaded
from claims.stats import mean_interval

#: why the linear-growth finding is not applicable: the paper's claim is cited from Ramdas et al. for another test
LINEAR_NOT_APPLICABLE = (
    "the paper's 'grow linearly' is cited from [19] (Ramdas et al.), on the linear-time statistic under "
    "mean-difference alternatives with power approaching 1; here the quadratic-time permutation test at power 0.5, "
    "whose theory gives n ~ sqrt(d): the cited setting is not met (the exponent is reported beside)"
)

BANDWIDTHS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0]
LINE_POINTS = 300
SIGMA, FAR_THETA, GAUSS_POINTS = 0.1, 1.0, 200
LOW_H = 0.05
ALPHA = 0.05


def mmd2_and_gradient(x: torch.Tensor, y_of_theta, theta: float, h: float) -> tuple[float, float]:
    """MMD^2(x, y(theta)) (unbiased, Gaussian kernel of bandwidth h) and its derivative in theta
    by autograd."""
    t = torch.tensor(float(theta), dtype=torch.float64, requires_grad=True)
    m = D.mmd2(x, y_of_theta(t), bandwidth=h)
    (g,) = torch.autograd.grad(m, t)
    return float(m.detach()), float(g)


def lines(rng: np.random.Generator, thetas: np.ndarray) -> dict:
    """MMD^2 and its gradient on the parallel lines, against theta and the bandwidth; the exact
    formula 2A - 2B exp(-theta^2 / 2h^2) beside."""
    u = torch.as_tensor(rng.uniform(size=LINE_POINTS), dtype=torch.float64)
    x = torch.stack([torch.zeros_like(u), u], 1)

    def y(t):
        return torch.stack([t.expand_as(u), u], 1)

    du2 = (u[:, None] - u[None, :]) ** 2
    out = {"mmd2": [], "grad_half": [], "formula_grad_half": [], "formula_mmd2": []}
    n = LINE_POINTS
    for h in BANDWIDTHS:
        k = torch.exp(-du2 / (2 * h * h))
        a = float((k.sum() - n) / (n * (n - 1)))
        b = float(k.mean())
        out["mmd2"].append([mmd2_and_gradient(x, y, t, h)[0] for t in thetas])
        out["formula_mmd2"].append([2 * a - 2 * b * math.exp(-t * t / (2 * h * h)) for t in thetas])
        out["grad_half"].append(mmd2_and_gradient(x, y, 0.5, h)[1])
        out["formula_grad_half"].append(2 * b * 0.5 / h ** 2 * math.exp(-0.25 / (2 * h * h)))
    return out


def gaussians(rng: np.random.Generator, draws: int) -> dict:
    """The gradient of MMD^2 in theta between N(0, 0.1^2) and N(theta, 0.1^2) at theta = 1,
    per draw, against the bandwidth; and each draw's median-heuristic bandwidth."""
    grads, medians = [], []
    for _ in range(draws):
        x = torch.as_tensor(SIGMA * rng.standard_normal((GAUSS_POINTS, 1)))
        e = torch.as_tensor(SIGMA * rng.standard_normal((GAUSS_POINTS, 1)))
        h_med = D.median_heuristic(x.numpy(), (FAR_THETA + e).numpy())
        medians.append(h_med)
        grads.append([mmd2_and_gradient(x, lambda t: t + e, FAR_THETA, h)[1] for h in BANDWIDTHS + [h_med]])
    return {"grads": grads, "medians": medians}


def population_gradient(h: float, theta: float = FAR_THETA, sigma: float = SIGMA) -> float:
    r"""d/dtheta of the population MMD^2 between N(0, s^2) and N(theta, s^2) in 1-D (Gaussian
    kernel): :math:`MMD^2 = 2 h / \sqrt{h^2 + 2s^2}\,(1 - e^{-\theta^2 / 2(h^2 + 2s^2)})`."""
    v = h * h + 2 * sigma * sigma
    return 2 * h / math.sqrt(v) * theta / v * math.exp(-theta * theta / (2 * v))


def power_grid(rng: np.random.Generator, dims: list[int], ns: list[int], repeats: int, perms: int,
               delta: float = 1.0) -> np.ndarray:
    """Rejections (0/1) of the MMD test at level 0.05, shape (len(dims), len(ns), repeats)."""
    out = np.zeros((len(dims), len(ns), repeats))
    for i, d in enumerate(dims):
        for j, n in enumerate(ns):
            for r in range(repeats):
                x = rng.standard_normal((n, d))
                y = rng.standard_normal((n, d))
                y[:, 0] += delta
                out[i, j, r] = D.mmd_test(x, y, n_permutations=perms, seed=int(rng.integers(2**31))).p_value < ALPHA
    return out


def n_at_power(power: np.ndarray, ns: list[int], target: float = 0.5) -> float:
    """The n at which the power first reaches ``target``, interpolated linearly in log n between
    grid points (NaN if never, the smallest n if already there)."""
    p = np.maximum.accumulate(np.asarray(power, float))
    above = np.flatnonzero(p >= target)
    if len(above) == 0:
        return float("nan")
    j = int(above[0])
    if j == 0:
        return float(ns[0])
    f = (target - p[j - 1]) / (p[j] - p[j - 1])
    return float(np.exp(np.log(ns[j - 1]) + f * (np.log(ns[j]) - np.log(ns[j - 1]))))


def exponent(rejections: np.ndarray, dims: list[int], ns: list[int]) -> float:
    """Least-squares slope of log n(power 0.5) on log d (NaN if some d never reaches it)."""
    n_star = [n_at_power(rejections[i].mean(1), ns) for i in range(len(dims))]
    if not np.all(np.isfinite(n_star)):
        return float("nan")
    return float(np.polyfit(np.log(dims), np.log(n_star), 1)[0])


def bootstrap_exponent(rejections: np.ndarray, dims: list[int], ns: list[int], rng: np.random.Generator,
                       draws: int = 1000) -> np.ndarray:
    """The exponent over bootstrap resamples of the repeats within each (d, n) cell."""
    r = rejections.shape[2]
    out = []
    for _ in range(draws):
        idx = rng.integers(0, r, size=rejections.shape)
        out.append(exponent(np.take_along_axis(rejections, idx, axis=2), dims, ns))
    return np.asarray(out)


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    rng = seed_all(seed)
    thetas = np.linspace(-1.0, 1.0, 21 if quick else 41)
    line = lines(rng, thetas)
    exact = np.asarray(line["formula_grad_half"])
    grad_err = float(np.max(np.abs(np.asarray(line["grad_half"]) - exact)) / np.abs(exact).max())
    draws = 5 if quick else 20
    gauss = gaussians(rng, draws)
    g = np.asarray(gauss["grads"])  # (draws, len(BANDWIDTHS) + 1): the last column at the median bandwidth
    low = g[:, BANDWIDTHS.index(LOW_H)]
    med = g[:, -1]
    med_ci = mean_interval(med)
    # ratio of means: Fieller-free delta method on the paired draws
    ratio = float(low.mean() / med.mean())
    se = abs(ratio) * math.sqrt(low.var(ddof=1) / (len(low) * low.mean() ** 2 + 1e-300)
                                + med.var(ddof=1) / (len(med) * med.mean() ** 2)
                                - 2 * np.cov(low, med)[0, 1] / (len(low) * low.mean() * med.mean() + 1e-300))
    tcrit = float(stats.t.ppf(0.975, len(low) - 1))
    ratio_ci = [ratio - tcrit * se, ratio + tcrit * se]
    pop_ratio = population_gradient(LOW_H) / population_gradient(float(np.mean(gauss["medians"])))
    # the test against d
    dims = [2, 8] if quick else [2, 4, 8, 16, 32]
    ns = [8, 32] if quick else [4, 8, 16, 32, 64, 128, 256]
    repeats, perms = (10, 50) if quick else (30, 100)
    rej = power_grid(rng, dims, ns, repeats, perms)
    power = rej.mean(2)
    b = exponent(rej, dims, ns)
    boot = bootstrap_exponent(rej, dims, ns, rng, 300 if quick else 1000)
    finite = boot[np.isfinite(boot)]
    b_ci = [float(np.quantile(finite, 0.025)), float(np.quantile(finite, 0.975))] if len(finite) else [math.nan] * 2
    n_fixed = 32
    j = ns.index(n_fixed)
    drop = rej[-1, j] - rej[0, j]
    drop_boot = [rng.choice(rej[-1, j], repeats).mean() - rng.choice(rej[0, j], repeats).mean() for _ in range(2000)]
    drop_ci = [float(np.quantile(drop_boot, 0.025)), float(np.quantile(drop_boot, 0.975))]
    null = power_grid(rng, [dims[-1]], [n_fixed], repeats, perms, delta=0.0)[0, 0]
    seeds = list(range(repeats))
    controls = [
        control("the gradient is measurable where it exists: at the median-heuristic bandwidth the gradient's 95% "
                "interval over draws excludes 0", med_ci["lo"] > 0, {"draws": draws},
                {"mean": med_ci["mean"], "interval": [med_ci["lo"], med_ci["hi"]]}, kind="power"),
        control(f"the test has power where the effect is planted: at d = {dims[0]} it rejects in at least 80% of the "
                f"repeats at n = {ns[-1]}", power[0, -1] >= 0.8, {"d": dims[0], "n": ns[-1]}, float(power[0, -1]),
                kind="power"),
        control(f"and holds its level: with no shift (d = {dims[-1]}, n = {n_fixed}) it rejects in at most "
                f"{ALPHA:g} + 2 binomial sd of the repeats", null.mean() <= ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / repeats),
                {"d": dims[-1], "n": n_fixed}, float(null.mean()), kind="power"),
    ]
    ok = all(c["holds"] for c in controls)
    decided = not quick
    how = {} if decided and ok else {"verdict": "no verdict", "reason": "--quick: too few draws and repeats" if not decided
                                     else "a control failed"}
    claims = [
        claim("lines_gradient_formula", "on the parallel lines, autograd's d MMD^2 / d theta at theta = 0.5 equals the "
              "exact 2B (theta / h^2) exp(-theta^2 / 2h^2) at every bandwidth (max error over the largest gradient; "
              "saturation there "
              "follows from the kernel's formula)", "< 1e-6", grad_err, grad_err < 1e-6, "sanity"),
        claim("gaussians_low_bandwidth_vanishes", f"low bandwidth, vanishing gradient: on N(0, {SIGMA}^2) against "
              f"N(theta, {SIGMA}^2) at theta = {FAR_THETA:g}, the gradient at h = {LOW_H} over the gradient at the "
              f"median-heuristic bandwidth (ratio of means over {draws} draws, 95% delta-method interval in brackets) "
              f"is below 0.01, as the population formula says ({fmt(pop_ratio)}): ten standard deviations apart, the "
              "cross-kernel terms underflow, so this follows from the kernel's formula too",
              "< 0.01", f"{fmt(ratio)} [{fmt(ratio_ci[0])}, {fmt(ratio_ci[1])}]", bool(ratio_ci[1] < 0.01), "sanity"),
        claim("power_falls_with_d", f"at fixed n ({n_fixed} per sample) the test's power falls as d grows: power at "
              f"d = {dims[-1]} minus power at d = {dims[0]}, 95% bootstrap interval below 0", "< 0",
              f"{fmt(drop.mean())} [{fmt(drop_ci[0])}, {fmt(drop_ci[1])}]", bool(drop_ci[1] < 0), seeds=seeds,
              test={"statistic": "difference of rejection rates, 95% bootstrap interval", "interval": drop_ci,
                    "n": repeats}, **how),
        claim("n_grows_linearly", "to hold the power (0.5) the number of samples must grow linearly with d: the "
              "exponent b of n ~ d^b, 95% bootstrap interval inside [0.75, 1.25] (this module's margin; the paper's "
              "claim, cited from Ramdas et al., is for the linear-time test at power approaching 1)",
              "inside [0.75, 1.25]",
              f"{fmt(b)} [{fmt(b_ci[0])}, {fmt(b_ci[1])}]", bool(0.75 < b_ci[0] and b_ci[1] < 1.25), seeds=seeds,
              test={"statistic": "least-squares exponent of n(power 0.5) on d, 95% bootstrap interval",
                    "interval": b_ci, "n": repeats},
              source="WGAN, Section 5 (citing Ramdas et al., [19])", verdict="not applicable",
              reason=LINEAR_NOT_APPLICABLE),
    ]
    needs_full = [c["id"] for c in claims if c["kind"] == "finding"] if quick else []
    claims = [c for c in claims if c["id"] not in needs_full]
    return {"claims": claims, "controls": controls, "bandwidths": BANDWIDTHS, "thetas": thetas, "lines": line,
            "gaussians": {**gauss, "ratio": ratio, "ratio_ci": ratio_ci,
                          "population": [population_gradient(h) for h in BANDWIDTHS]},
            "test": {"dims": dims, "ns": ns, "power": power, "exponent": b, "exponent_ci": b_ci,
                     "n_star": [n_at_power(power[i], ns) for i in range(len(dims))], "n_fixed": n_fixed,
                     "null_rate": float(null.mean())},
            "needs_full_run": needs_full,
            "settings": {"line_points": LINE_POINTS, "gauss_points": GAUSS_POINTS, "draws": draws, "repeats": repeats,
                         "permutations": perms, "delta": 1.0, "level": ALPHA, "kernel": "gaussian"}}


def plot(result: dict):
    """Saturating MMD^2 on the lines; its gradient against h; power against d; n against d."""
    import matplotlib.pyplot as plt

    hs, th, line = result["bandwidths"], np.asarray(result["thetas"]), result["lines"]
    fig, ax = plt.subplots(1, 4, figsize=(21, 4.8))
    cmap = plt.get_cmap("viridis")
    for i, h in enumerate(hs):
        m = np.asarray(line["mmd2"][i])
        ax[0].plot(th, m / m[-1], color=cmap(i / (len(hs) - 1)), label=f"h = {h:g}")
    ax[0].set(xlabel="theta", ylabel="MMD^2 / MMD^2(theta = 1)", title="parallel lines: low bandwidth saturates")
    ax[0].legend(fontsize=7, ncol=2)
    floor = 1e-12
    ax[1].plot(hs, np.maximum(np.abs(line["formula_grad_half"]), floor), "k-", label="lines, theta = 0.5 (exact)")
    ax[1].plot(hs, np.maximum(np.abs(line["grad_half"]), floor), "ko", mfc="none", label="lines (autograd)")
    g = np.asarray(result["gaussians"]["grads"])[:, :-1]
    mean, sd = g.mean(0), g.std(0, ddof=1) / np.sqrt(len(g))
    ax[1].plot(hs, np.maximum(np.abs(mean), floor), "s", color="C1", label="Gaussians 10 sd apart (mean of draws)")
    ax[1].plot(hs, np.maximum(np.abs(result["gaussians"]["population"]), floor), "C1--", lw=1,
               label="Gaussians, population")
    ax[1].axvline(np.mean(result["gaussians"]["medians"]), color="gray", ls=":", label="median heuristic")
    ax[1].set(xscale="log", yscale="log", xlabel="bandwidth h", ylabel="|d MMD^2 / d theta| (floored at 1e-12)",
              title="vanishing gradient at low bandwidth", ylim=(5e-13, 5))
    ax[1].legend(fontsize=7)
    t = result["test"]
    power = np.asarray(t["power"])
    j = t["ns"].index(t["n_fixed"])
    for jj, n in enumerate(t["ns"]):
        ax[2].plot(t["dims"], power[:, jj], "o-", color=cmap(jj / (len(t["ns"]) - 1)), lw=2.5 if jj == j else 1,
                   label=f"n = {n}")
    ax[2].axhline(0.5, color="gray", ls=":")
    ax[2].set_xscale("log")
    ax[2].set_xticks(t["dims"], [str(d) for d in t["dims"]])
    ax[2].minorticks_off()
    ax[2].set(xlabel="dimension d", ylabel="power (level 0.05)", ylim=(0, 1.02),
              title="MMD test power against d (mean shift 1)")
    ax[2].legend(fontsize=7, ncol=2)
    dims, n_star = np.asarray(t["dims"], float), np.asarray(t["n_star"], float)
    ax[3].plot(dims, n_star, "ko-", label=f"n at power 0.5: b = {t['exponent']:.2f} "
               f"[{t['exponent_ci'][0]:.2f}, {t['exponent_ci'][1]:.2f}]")
    ok = np.isfinite(n_star)
    if ok.any():
        ref = n_star[ok][0]
        ax[3].plot(dims, ref * dims / dims[ok][0], "C3--", label="n ~ d (the paper)")
        ax[3].plot(dims, ref * np.sqrt(dims / dims[ok][0]), "C0--", label="n ~ sqrt(d)")
    ax[3].set_xscale("log")
    ax[3].set_xticks(t["dims"], [str(d) for d in t["dims"]])
    ax[3].minorticks_off()
    ax[3].set(yscale="log", xlabel="dimension d", ylabel="n per sample at power 0.5",
              title="the n that holds the power")
    ax[3].legend(fontsize=8)
    fig.suptitle("MMD (WGAN Section 5): saturation at low bandwidth, and the test against dimension")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="mmd_bandwidth",
    title="MMD: low bandwidth saturates, the test needs n to grow with d",
    source="WGAN, Section 5",
    claim=(
        'With a low-bandwidth kernel the MMD saturates like TV or JS and its gradient vanishes; and the '
        'Gaussian MMD test needs the number of samples to grow linearly with the dimension.'
    ),
    quick=("21 values of theta instead of 41, 5 Gaussian draws instead of 20; the test: d in {2, 8} and n in "
           "{8, 32} instead of 5 and 7 values, 10 repeats per cell instead of 30, 50 permutations instead of 100"),
    caption=(
        "Left: MMD^2 on the parallel lines against theta, each bandwidth's curve divided by its value "
        "at theta = 1 (a low bandwidth makes it a step, as JS and TV). Second: |d MMD^2 / d theta| "
        "against the bandwidth, on the lines at theta = 0.5 (exact formula and autograd) and on two "
        "Gaussians 10 sd apart (mean over draws with its interval; the dotted line is the median "
        "heuristic's bandwidth). Third: the MMD test's power against d at fixed n. Right: the n per "
        "sample at which the power reaches 0.5 against d (log-log) with the fitted exponent and the "
        "lines n ~ d and n ~ sqrt(d)."
    ),
    departures=(
        "The paper argues from Ramdas et al. (2015) and runs nothing; here Gaussian kernels on toy "
        "data: the parallel lines, two 1-D Gaussians, and a mean shift of 1 in one coordinate of a "
        "d-dimensional standard Gaussian for the test, with the median-heuristic bandwidth, 100 "
        "permutations and 30 repeats per (d, n). The test is the quadratic-time unbiased MMD^2 by permutation at "
        "power 0.5, not the linear-time statistic at power approaching 1 of Ramdas et al., from whom the paper cites "
        "'grow linearly': the exponent's finding is therefore 'not applicable', reported with its numbers."
    ),
    why={
        'n_grows_linearly': (
            "the n that holds the test's power grows with d at another rate than linearly (for a fixed mean "
            "shift, the median-heuristic MMD behaves like a mean-difference statistic, whose power depends "
            "on n / sqrt(d))."
        ),
        'power_falls_with_d': 'the test kept its power at fixed n as d grew.',
    },
    run=run, plot=plot, cost=0.6,
)


if __name__ == "__main__":
    FIGURE.main()
