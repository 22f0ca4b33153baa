"""Time to score 2,000 generated images with every quality metric, against the textbook peers.

    python -m benchmarks.quality [--samples 2000] [--image-size 16] [--repeats 3]

``gan.quality.Evaluator.score`` computes, for N images against the 1,000 held-out real digits:
the classifier's features, FD, KID (50 subsets), the exact feature-space W1, precision/recall
and the classifier's view (target: under 5 s on 2 cores for N = 2,000). Its two classic parts
are timed against the textbook implementations on the same features, in the same process:

* FD against pytorch-fid's formula, ``scipy.linalg.sqrtm`` of the covariance product;
* KID against the direct kernel sums of torch-fidelity's formula in numpy (the full
  polynomial kernel matrices of each subset).

The values must agree; the ratios are printed with the CPU and the thread pools.
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import scipy.linalg

import divergences as D
from gan.features import embed
from gan.mnist import MNISTImages
from gan.quality import Evaluator, kid

from .common import interleaved_times, machine_line, row


def fd_scipy(x: np.ndarray, y: np.ndarray) -> float:
    """pytorch-fid's Frechet distance: sqrtm of the product of the covariances (which warns
    that the product is singular when some ReLU features never fire, as here: its answer still
    agrees with the PSD-safe one to 1e-6, which the test checks)."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid_direct(x: np.ndarray, y: np.ndarray, subsets: int = 50, size: int = 1000, seed: int = 0) -> float:
    """KID as torch-fidelity computes it: full kernel matrices of each pair of subsets."""
    rng = np.random.default_rng(seed)
    m, d = min(size, len(x) // 2, len(y) // 2), x.shape[1]
    vals = []
    for _ in range(subsets):
        a, b = x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)]
        kxx, kyy, kxy = (a @ a.T / d + 1) ** 3, (b @ b.T / d + 1) ** 3, (a @ b.T / d + 1) ** 3
        vals.append((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                    - 2 * kxy.mean())
    return float(np.mean(vals))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--image-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    for name in ("samples", "image_size", "repeats"):
        if getattr(args, name) <= 0:
            ap.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    print(machine_line())
    ev = Evaluator.for_data("mnist", args.image_size)
    train = MNISTImages(None, args.image_size, "train").array
    images = train[np.random.default_rng(0).choice(len(train), min(args.samples, len(train)), replace=False)]
    feats, _ = embed(ev.net, images)
    ref = ev.ref_features
    t = interleaved_times({
        "score": lambda: ev.score(images),
        "embed": lambda: embed(ev.net, images),
        "fd": lambda: D.frechet_distance(feats, ref),
        "fd_scipy": lambda: fd_scipy(feats, ref),
        "kid": lambda: kid(feats, ref),
        "kid_direct": lambda: kid_direct(feats, ref),
    }, args.repeats)
    values = {"fd": D.frechet_distance(feats, ref), "fd_scipy": fd_scipy(feats, ref),
              "kid": kid(feats, ref)[0], "kid_direct": kid_direct(feats, ref)}
    result = {"samples": len(images), "image_size": args.image_size, "seconds": t, "values": values,
              "fd_ratio": t["fd"] / t["fd_scipy"], "kid_ratio": t["kid"] / t["kid_direct"]}
    print(f"{len(images)} images of {args.image_size}x{args.image_size} against {len(ref)} held-out digits:")
    print(f"  every metric (Evaluator.score): {t['score']:.2f} s (target < 5 s), of which features {t['embed']:.2f} s")
    print(f"  FD {values['fd']:.6f} (scipy sqrtm {values['fd_scipy']:.6f}); "
          f"KID {values['kid']:.6g} (direct {values['kid_direct']:.6g})")
    print(row("  time FD / pytorch-fid's scipy.linalg.sqrtm formula", result["fd_ratio"], "<= 1"))
    print(row("  time KID / direct kernel sums (torch-fidelity's formula)", result["kid_ratio"], "<= 1"))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
