r"""*Towards Principled Methods*, Lemma 4 and Theorem 3.3: annealing noise bounds W.

:math:`P_r` is uniform on a segment and :math:`P_g` uniform on a circular arc in
:math:`\mathbb R^2`: two distributions on 1-D manifolds. Noise :math:`\epsilon` of variance
:math:`V = E\|\epsilon\|^2` is added at scales on a log grid. For every scale the toy checks

* Lemma 4: :math:`W(P_X, P_{X+\epsilon}) \le V^{1/2}` for X = the segment and the arc;
* :math:`JS(P_X \| P_{X+\epsilon}) = \ln 2`: a measure on a manifold against an absolutely
  continuous one. Certified, not estimated: for the strip :math:`S_h` of half-width h around
  the manifold, :math:`P_X(S_h) = 1` while :math:`P_{X+\epsilon}(S_h) \approx 2h\int_M
  p_{X+\epsilon}\,ds \to 0`; JS of the two-cell partition :math:`\{S_h, S_h^c\}` is a lower
  bound of JS (data processing), and JS <= ln 2 always;
* Theorem 3.3: :math:`W(P_r, P_g) \le 2V^{1/2} + 2C\sqrt{JSD(P_{r+\epsilon} \| P_{g+\epsilon})}`,
  with the JSD of the noisy densities computed by numerical integration, and the slack of
  the bound.

The hypothesis of Theorem 3.3 (noisy supports inside a ball of diameter C) needs noise of
bounded support, so Gaussian noise will not do. We use :math:`\epsilon = rU` with U drawn
from the biweight density :math:`\frac{3}{\pi}(1 - \|u\|^2)^2` on the unit disk: smooth (C^1),
zero mean, :math:`E\|U\|^2 = 1/4`, so :math:`V = r^2/4`. The noisy supports lie within r of
the manifolds, so C = 2(R + r) with R the radius of a ball centred on the manifolds'
bounding box that holds both.

The noisy densities are convolutions :math:`p_{X+\epsilon}(z) = \int_0^1 \phi_r(z - \gamma(t))
dt` (:math:`\gamma` the arc-length parametrisation), by the midpoint rule along the curve
(node spacing r/20), evaluated on a square grid (spacing r/12) restricted to the band within r
of the manifolds; JSD is then the midpoint-rule quadrature on that grid. W(P_r, P_g) is the
exact EM between 1500 quantile points of each manifold (discretisation error <= 2e-3).

Run: ``python -m toys.noise_annealing [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree
from tqdm.auto import tqdm

import divergences as D

from .common import claim, seed_all, toy_main

NAME = "noise_annealing"
LN2 = math.log(2.0)

# P_r: the segment from (-1, -0.2) to (1, -0.2); P_g: an arc of the circle of centre
# (0, -1) and radius 1.3, angles pi/4 .. 3pi/4 (above the segment, never touching it).
SEGMENT = (np.array([-1.0, -0.2]), np.array([1.0, -0.2]))
ARC = (np.array([0.0, -1.0]), 1.3, math.pi / 4, 3 * math.pi / 4)


def segment(t: np.ndarray) -> np.ndarray:
    a, b = SEGMENT
    return a + t[:, None] * (b - a)


def arc(t: np.ndarray) -> np.ndarray:
    c, rad, t0, t1 = ARC
    ang = t0 + t * (t1 - t0)
    return c + rad * np.c_[np.cos(ang), np.sin(ang)]


LENGTHS = {"segment": float(np.linalg.norm(SEGMENT[1] - SEGMENT[0])),
           "arc": ARC[1] * (ARC[3] - ARC[2])}
CURVES = {"segment": segment, "arc": arc}


def biweight(u2: np.ndarray, r: float) -> np.ndarray:
    """Density of rU at squared distance u2: (3 / (pi r^2)) (1 - u2 / r^2)^2 on |u| <= r."""
    s = np.clip(1.0 - u2 / (r * r), 0.0, None)
    return 3.0 / (math.pi * r * r) * s * s


def sample_noise(n: int, r: float, rng: np.random.Generator) -> np.ndarray:
    """n draws of rU: |U| has CDF 1 - (1 - rho^2)^3, the angle is uniform."""
    rho = np.sqrt(1.0 - (1.0 - rng.random(n)) ** (1.0 / 3.0))
    ang = rng.random(n) * 2 * math.pi
    return r * rho[:, None] * np.c_[np.cos(ang), np.sin(ang)]


def noisy_density(points: np.ndarray, curve: str, r: float) -> np.ndarray:
    """p_{X+eps}(z) for X uniform on ``curve``: midpoint rule along the curve."""
    n_nodes = max(200, int(math.ceil(20 * LENGTHS[curve] / r)))
    nodes = CURVES[curve]((np.arange(n_nodes) + 0.5) / n_nodes)
    pairs = cKDTree(points).sparse_distance_matrix(cKDTree(nodes), r, output_type="ndarray")
    dens = np.zeros(len(points))
    np.add.at(dens, pairs["i"], biweight(pairs["v"] ** 2, r))
    return dens / n_nodes


def _dist_to_curves(z: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearer of the two manifolds (closed forms)."""
    a, b = SEGMENT
    t = np.clip(((z - a) @ (b - a)) / ((b - a) @ (b - a)), 0.0, 1.0)
    d_seg = np.linalg.norm(z - (a + t[:, None] * (b - a)), axis=1)
    c, rad, t0, t1 = ARC
    ang = np.arctan2(z[:, 1] - c[1], z[:, 0] - c[0])
    inside = (ang >= t0) & (ang <= t1)
    ends = arc(np.array([0.0, 1.0]))
    d_end = np.min(np.linalg.norm(z[:, None, :] - ends[None], axis=2), axis=1)
    d_arc = np.where(inside, np.abs(np.linalg.norm(z - c, axis=1) - rad), d_end)
    return np.minimum(d_seg, d_arc)


def noisy_jsd(r: float) -> tuple[float, float]:
    """JSD(P_{r+eps} || P_{g+eps}) by quadrature on the band within r of the manifolds.

    Returns (JSD, quadrature mass error max |1 - sum p h^2|)."""
    h = r / 12
    pts = np.r_[segment(np.linspace(0, 1, 50)), arc(np.linspace(0, 1, 50))]
    lo, hi = pts.min(0) - r - h, pts.max(0) + r + h
    xs, ys = np.arange(lo[0], hi[0], h), np.arange(lo[1], hi[1], h)
    p_all, q_all = [], []
    for i0 in range(0, len(xs), 256):  # column chunks keep memory small at fine scales
        X, Y = np.meshgrid(xs[i0:i0 + 256], ys, indexing="ij")
        z = np.c_[X.ravel(), Y.ravel()]
        z = z[_dist_to_curves(z) <= r]
        if len(z):
            p_all.append(noisy_density(z, "segment", r))
            q_all.append(noisy_density(z, "arc", r))
    p, q = np.concatenate(p_all), np.concatenate(q_all)
    mass_err = max(abs(1 - p.sum() * h * h), abs(1 - q.sum() * h * h))
    return D.js(p, q), float(mass_err)


def js_certificate(curve: str, r: float, h: float = 1e-12) -> float:
    """Lower bound of JS(P_X || P_{X+eps}) from the partition {strip S_h, complement}."""
    n = max(2000, int(math.ceil(20 * LENGTHS[curve] / r)))
    on_curve = CURVES[curve]((np.arange(n) + 0.5) / n)
    q_strip = 2 * h * LENGTHS[curve] * noisy_density(on_curve, curve, r).mean()
    return D.js([1.0, 0.0], [q_strip, 1.0 - q_strip])


def enclosing_radius() -> tuple[np.ndarray, float]:
    pts = np.r_[segment(np.linspace(0, 1, 2001)), arc(np.linspace(0, 1, 2001))]
    centre = 0.5 * (pts.min(0) + pts.max(0))
    return centre, float(np.linalg.norm(pts - centre, axis=1).max())


def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the toy (no I/O)."""
    rng = seed_all(seed)
    radii = np.geomspace(0.02, 2.0, 5) if quick else np.geomspace(0.01, 2.0, 10)
    n_w = 800 if quick else 1500
    u = (np.arange(n_w) + 0.5) / n_w
    w_rg = D.wasserstein(segment(u), arc(u))
    _, R = enclosing_radius()

    rows = []
    for r in tqdm(radii, desc="noise scales", leave=False, disable=None):
        v_half = r / 2.0  # V = E|rU|^2 = r^2 / 4
        lemma = {}
        for curve in CURVES:
            base = CURVES[curve](u)
            noisy = base + sample_noise(n_w, r, rng)
            lemma[curve] = D.wasserstein(base, noisy)
        jsd, mass_err = noisy_jsd(r)
        C = 2 * (R + r)
        rows.append({
            "r": r, "V_half": v_half, "C": C,
            "w_lemma_segment": lemma["segment"], "w_lemma_arc": lemma["arc"],
            "js_certificate_segment": js_certificate("segment", r),
            "js_certificate_arc": js_certificate("arc", r),
            "jsd_noisy": jsd, "quadrature_mass_error": mass_err,
            "term_noise": 2 * v_half, "term_jsd": 2 * C * math.sqrt(jsd),
            "bound": 2 * v_half + 2 * C * math.sqrt(jsd),
        })
    cols = {k: np.array([row[k] for row in rows]) for k in rows[0]}
    lemma_ratio = np.maximum(cols["w_lemma_segment"], cols["w_lemma_arc"]) / cols["V_half"]
    js_gap = LN2 - np.minimum(cols["js_certificate_segment"], cols["js_certificate_arc"])
    slack = cols["bound"] - w_rg
    claims = [
        claim("lemma4", "W(P_X, P_X+eps) <= V^(1/2) at every noise scale, X = segment and arc "
              "(Lemma 4; max ratio)", "<= 1", float(lemma_ratio.max()), np.all(lemma_ratio <= 1)),
        claim("js_manifold_vs_noisy_is_ln2", "JS(P_X || P_X+eps) = ln 2 at every scale (max of "
              "ln 2 - certified lower bound)", "<= 1e-6", float(js_gap.max()), np.all(js_gap <= 1e-6)),
        claim("theorem_3_3", "W(Pr, Pg) <= 2 V^(1/2) + 2 C sqrt(JSD(Pr+eps || Pg+eps)) at every "
              "scale (min slack)", ">= 0", float(slack.min()), np.all(slack >= 0)),
        claim("quadrature_mass", "the noisy densities integrate to 1 on the quadrature grid "
              "(max error)", "<= 1e-2", float(cols["quadrature_mass_error"].max()),
              np.all(cols["quadrature_mass_error"] <= 1e-2)),
    ]
    return {"w_real_fake": w_rg, "enclosing_radius": R, **cols, "slack": slack,
            "lemma_ratio": lemma_ratio, "claims": claims,
            "settings": {"noise": "r U, U ~ (3/pi)(1 - |u|^2)^2 on the unit disk, V = r^2/4",
                         "quantile_points": n_w, "grid_spacing": "r/12", "node_spacing": "r/20"}}


def plot(result: dict):
    """Both sides of Theorem 3.3 and Lemma 4 against the noise scale, and the setting."""
    import matplotlib.pyplot as plt

    v = np.asarray(result["V_half"])
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.6))
    a = ax[0]
    t = np.linspace(0, 1, 200)
    a.plot(*segment(t).T, color="C2", lw=3, label=r"$P_r$: segment")
    a.plot(*arc(t).T, color="C3", lw=3, label=r"$P_g$: arc")
    r = float(np.asarray(result["r"])[len(v) // 2])
    rng = np.random.default_rng(0)
    for curve, col in (("segment", "C2"), ("arc", "C3")):
        pts = CURVES[curve](rng.random(1500)) + sample_noise(1500, r, rng)
        a.scatter(*pts.T, s=2, alpha=0.3, color=col)
    a.set(aspect="equal", xlabel="$x_1$", ylabel="$x_2$", title=f"manifolds and noisy samples (r = {r:.2g})")
    a.legend(loc="lower right", fontsize=8)
    a = ax[1]
    a.loglog(v, result["bound"], "o-", label=r"bound $2V^{1/2} + 2C\sqrt{JSD}$")
    a.loglog(v, result["term_noise"], "--", label=r"$2V^{1/2}$")
    a.loglog(v, result["term_jsd"], ":", label=r"$2C\sqrt{JSD(P_{r+\epsilon}\|P_{g+\epsilon})}$")
    a.axhline(result["w_real_fake"], color="k", label=r"$W(P_r, P_g)$ (exact EM)")
    a.set(xlabel=r"noise scale $V^{1/2}$", ylabel="value", title="Theorem 3.3: both sides")
    a.legend(fontsize=8)
    a = ax[2]
    a.loglog(v, result["w_lemma_segment"], "o", label=r"$W(P_X, P_{X+\epsilon})$, segment")
    a.loglog(v, result["w_lemma_arc"], "s", label="arc")
    a.loglog(v, v, "k--", label=r"$V^{1/2}$ (Lemma 4)")
    b = a.twinx()
    b.semilogx(v, result["jsd_noisy"], "^-", color="C4", label="JSD of the noisy pair")
    b.axhline(LN2, color="C4", ls=":", lw=1)
    b.set_ylabel("JSD (nats)")
    b.grid(False)
    a.set(xlabel=r"noise scale $V^{1/2}$", ylabel="W", title="Lemma 4, and JSD of the noisy pair")
    a.legend(loc="center left", fontsize=8)
    b.legend(loc="lower right", fontsize=8)
    fig.suptitle("Noise annealing (Towards Principled Methods, Lemma 4 and Theorem 3.3)")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    return toy_main(NAME, "Towards Principled Methods, Lemma 4 / Theorem 3.3: the noise bound on W",
                    run, plot, argv)


if __name__ == "__main__":
    main()
