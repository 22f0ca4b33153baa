"""``python -m divergences``: a one-screen demonstration of the conventions.

WGAN Example 1 (parallel lines) from samples, and two 1-D Gaussians in closed form and by
quadrature, printed with the conventions they follow. ``--table`` prints the table of every
function by quantity and input kind (the naming rule's table, in the README).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import stats

import divergences as D


def demo() -> None:
    z = np.linspace(0, 1, 256)
    line0 = np.c_[np.zeros_like(z), z]
    print("WGAN Example 1: P0 uniform on {0} x [0, 1], Ptheta on {theta} x [0, 1]")
    print(f"{'theta':>7} {'W (exact EM)':>13} {'JS':>8} {'KL':>5} {'TV':>4}")
    for theta in (-1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0):
        fake = line0 + [theta, 0.0]
        # histograms on the union of the two supports (the points of both lines)
        support = np.unique(np.r_[line0, fake], axis=0)
        p = (support[:, None] == line0[None]).all(-1).sum(1)
        q = (support[:, None] == fake[None]).all(-1).sum(1)
        print(f"{theta:7.2f} {D.wasserstein(line0, fake):13.6f} {D.js(p, q):8.5f} {D.kl(p, q):5.3g} {D.tv(p, q):4.2g}")
    print(f"ln 2 = {np.log(2):.5f}\n")
    print("P = N(0, 1), Q = N(1, 2^2) (1-D Gaussians by mean and standard deviation):")
    print(f"  W1 (folded normal)  {D.wasserstein_gaussian_1d(0, 1, 1, 2, order=1):.6f}")
    print(f"  W2                  {D.wasserstein_gaussian_1d(0, 1, 1, 2, order=2):.6f}")
    print(f"  TV                  {D.tv_gaussian_1d(0, 1, 1, 2):.6f}")
    print(f"  KL(P || Q)          {D.kl_gaussian_1d(0, 1, 1, 2):.6f}")
    print(f"  JS (quadrature)     {D.js_density(stats.norm(0, 1), stats.norm(1, 2)):.6f}")
    print(f"  MMD^2 (h = 1)       {D.mmd2_gaussian_1d(0, 1, 1, 2, 1.0):.6f}")


def function_table() -> str:
    """The Markdown table of the public functions by quantity (rows) and input kind (columns),
    drawn from their names by the naming rule (``divergences._naming``)."""
    from divergences._naming import TOOLS, table

    names = [n for n in D.__all__ if n[0].islower() and n not in TOOLS]
    return table(names)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m divergences",
        description="Print a demonstration of the divergences and their conventions: WGAN Example 1 "
                    "(EM continuous in theta, JS / KL / TV not) and two 1-D Gaussians.",
        epilog="Conventions: natural log; TV = half L1; JS with the 1/2 (<= ln 2); EM = exact W1; MMD "
               "squared. Use the functions from Python: import divergences as D; help(D).")
    ap.add_argument("--table", action="store_true",
                    help="print the Markdown table of every function by quantity and input kind instead")
    args = ap.parse_args(argv)
    if args.table:
        print(function_table())
    else:
        demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
