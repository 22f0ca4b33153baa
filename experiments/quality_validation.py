r"""Which quality metric can be believed? Each is validated on real digits before it is used.

The checks Heusel et al. (2017, Figure 1) used to justify FID, on MNIST: the **probe** digits of
the fixed split (real digits the feature network never saw, :mod:`gan.mnist`) are disturbed at 5
increasing strengths and scored against the 1,000 held-out digits; a metric passes a disturbance
when it moves monotonically away from the real-versus-real floor (the undisturbed probe) as the
strength grows. Disturbances (on images in [0, 1]):

* Gaussian noise (standard deviation 0.05 ... 0.5, then clipped);
* Gaussian blur (standard deviation 0.5 ... 1.5 pixels at 16 x 16, scaled with the size; a first
  grid started at 0.3 pixels, a blur no eye sees at this size: it moved FD by less than its
  sampling noise, 3.75 against a floor of 3.86, so the grid starts where the blur is visible);
* salt and pepper (2% ... 30% of the pixels set to 0 or 1);
* black rectangles (one per image, side 20% ... 60% of the image, at a random place);
* elastic warp (Simard et al. 2003: a random displacement field smoothed by a Gaussian of
  standard deviation 1/8 of the image, amplitude 0.5 ... 4 pixels at 16 x 16);
* mixing in images of another kind (10% ... 50% of the digits replaced by grey-level room
  scenes of :func:`gan.data.synthetic_scene`);

and **mode dropping**: 500 training digits drawn, without repeats, from 10, 8, 6, 4, 2 classes
(k = 0, 2, 4, 6, 8 classes dropped; its own floor at k = 0, as the sample size differs); and two
degenerate generators that must score far from the floor, that is worse than the mildest
strength of at least 5 of the 6 disturbances (one mildest disturbance may already be a strong
one for a metric: a 0.5-pixel blur is, for KID): the mean image repeated, and 10 fixed digits
(one per class) repeated.

Monotone means: no step moves back toward the floor, and the strongest disturbance ends away
from it (a saturating measure such as the confident share may not move at the mildest noise).
KID is reported with its standard error, and a step back smaller than two standard errors is not
counted against it (at 500 digits a 3-pixel occlusion moves KID by less than its noise).

Metrics (:mod:`gan.quality`): FD, KID, exact W1 in feature space, precision, recall, the
classifier's confident share and class-histogram KL; and, as the old measure the write-up used,
the exact W1 in pixel space (:func:`divergences.wasserstein`). FD, KID and W1 are meant to catch
everything; precision and the confident share measure fidelity only (they cannot see mode
dropping, nor a generator of 10 perfect digits); recall and the class KL measure coverage. The
table says which metric passes which check, whatever the outcome; the claims check that FD, KID
and W1 pass everything (a metric enters the training claims, ``experiments.loss_quality``, only if it
does), that pixel W1 does not, and that the fidelity and coverage measures detect what they are
for. Precision (k = 3) is reported only: it is not monotone under the disturbances at this size.

Run: ``python -m experiments.quality_validation [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

import divergences as D
from claims import claim, fmt, single_threaded, toy_main
from gan.data import synthetic_scene
from gan.features import load_feature_net
from gan.images import to_float
from gan.mnist import MNISTImages
from gan.quality import LOWER_IS_BETTER, Evaluator

NAME = "quality_validation"
TITLE = "Which quality metric can be believed?"
SOURCE = "Heusel et al. 2017, Figure 1, on MNIST"
#: the paper's claim, in one sentence (the write-up's)
CLAIM = (
    'A quality metric must rank known degradations of real digits (noise, blur, salt and pepper, '
    'occlusion, elastic warp, foreign images), dropped classes and degenerate generators '
    'monotonically above the real-versus-real floor before any training claim may rest on it.'
)
#: True when it spreads its own runs over the two worker processes (``python -m figures`` runs it alone)
POOLED = False
#: relative running time, to start the longest single-core toys first
COST = 3.0
QUICK = ("500 probe digits instead of 1,000 (250 per mode-dropping set instead of 500), and three of the six "
         "disturbances (noise, blur, rectangles): the other three need the full run")
QUICK_KINDS = ("noise", "blur", "rectangles")
#: what the figure's panels show (the write-up's caption)
CAPTION = (
    'Top left: one probe digit under each disturbance at strengths 1-5. Top right and middle: '
    'each metric against the disturbance strength (0 = undisturbed), one line per disturbance, '
    'dashed where not monotone; the dotted line is the real-versus-real floor. Bottom left: FD,'
    ' KID and the two W1 as classes are dropped (normalised). Bottom right: which metric passes'
    ' which check.'
)
#: every departure from the paper's settings
DEPARTURES = (
    'Heusel et al. (2017) validate FID with Inception features on CelebA, CIFAR-10, SVHN and '
    'LSUN; here the features of a small MNIST classifier (gan.features), digits at 16 x 16, '
    '1,000 held-out digits as the reference.'
)
#: why a finding may disagree with the paper, by claim id (the write-up says it when one does)
WHY = {
    'fd_validated': (
        'FD moved back toward the floor at some step of a disturbance, or rated a degenerate '
        'generator near the floor.'
    ),
    'kid_validated': (
        "KID moved back toward the floor at some step (its subset noise is larger than FD's), or "
        'rated a degenerate generator near the floor.'
    ),
    'w1_validated': (
        'the feature-space W1 moved back toward the floor at some step.'
    ),
    'pixel_w1_fails': (
        'pixel-space W1 passed every check on this draw.'
    ),
    'pixel_w1_prefers_blur': (
        'no blur strength brought pixel-space W1 below the floor on this draw.'
    ),
    'confident_fidelity': (
        'the confident share did not fall at some step (it saturates at mild disturbances).'
    ),
    'recall_mode_dropping': (
        'recall rose at some step of mode dropping (its k-NN radii are noisy).'
    ),
    'class_kl_mode_dropping': (
        'the class KL did not rise at every step of mode dropping.'
    ),
}

SIZE = 16
STRENGTHS = {  # 5 increasing strengths of each disturbance (pixels at 16 x 16)
    "noise": [0.05, 0.1, 0.2, 0.3, 0.5],
    "blur": [0.5, 0.75, 1.0, 1.25, 1.5],
    "salt_pepper": [0.02, 0.05, 0.1, 0.2, 0.3],
    "rectangles": [0.2, 0.3, 0.4, 0.5, 0.6],
    "elastic": [0.5, 1.0, 2.0, 3.0, 4.0],
    "mixing": [0.1, 0.2, 0.3, 0.4, 0.5],
}
DROPPED = [0, 2, 4, 6, 8]
METRICS = ("fd", "kid", "w1", "pixel_w1", "precision", "recall", "confident", "class_kl")
LABELS = {"fd": "FD", "kid": "KID", "w1": "W1 (features)", "pixel_w1": "W1 (pixels)",
          "precision": "precision", "recall": "recall", "confident": "confident share",
          "class_kl": "class KL"}
#: what each metric is meant to detect: fidelity metrics are blind to mode dropping and to a
#: generator of a few perfect digits; coverage metrics may be blind to disturbed strokes.
PURPOSE = {"fd": "all", "kid": "all", "w1": "all", "pixel_w1": "all", "precision": "fidelity",
           "confident": "fidelity", "recall": "coverage", "class_kl": "coverage"}


def disturb(images: np.ndarray, kind: str, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A disturbed copy of images in [0, 1], shape (N, S, S)."""
    x = images.copy()
    n, s = len(x), x.shape[-1]
    scale = s / 16
    if kind == "noise":
        x = x + strength * rng.normal(size=x.shape)
    elif kind == "blur":
        x = ndimage.gaussian_filter(x, sigma=(0, strength * scale, strength * scale))
    elif kind == "salt_pepper":
        hit = rng.random(x.shape) < strength
        x[hit] = rng.integers(0, 2, hit.sum())
    elif kind == "rectangles":
        side = max(1, round(strength * s))
        for img in x:
            r, c = rng.integers(0, s - side + 1, 2)
            img[r:r + side, c:c + side] = 0.0
    elif kind == "elastic":
        grid = np.mgrid[0:s, 0:s].astype(float)
        for i in range(n):
            field = ndimage.gaussian_filter(rng.uniform(-1, 1, (2, s, s)), sigma=(0, s / 8, s / 8))
            field *= strength * scale / np.abs(field).max()
            x[i] = ndimage.map_coordinates(images[i], grid + field, order=1, mode="constant")
    elif kind == "mixing":
        other = rng.random(n) < strength
        for i in np.flatnonzero(other):
            x[i] = synthetic_scene(int(rng.integers(10**6)), s).mean(axis=2) / 255.0
    else:
        raise ValueError(f"unknown disturbance {kind!r}")
    return np.clip(x, 0.0, 1.0)


def to_uint8(x: np.ndarray) -> np.ndarray:
    return np.round(x * 255).astype(np.uint8)[..., None]


def score(evaluator: Evaluator, images01: np.ndarray, reference_pixels: np.ndarray) -> dict:
    """Every metric of ``METRICS`` for images in [0, 1] (N, S, S); the exact W1 (features and
    pixels) on ``evaluator.w1_points`` points a side."""
    s = evaluator.score(to_uint8(images01))
    m = evaluator.w1_points
    s["pixel_w1"] = D.wasserstein(images01[:m].reshape(min(m, len(images01)), -1) * 2 - 1, reference_pixels[:m])
    return {k: s[k] for k in METRICS + ("kid_se",)}


def monotone(values: list[float], metric: str, se: list[float] | None = None) -> bool:
    """No step back toward the floor (values[0]) beyond two standard errors ``se`` (KID's; 0
    for the others), and the last value away from it (worse)."""
    v = np.asarray(values, dtype=float)
    if metric not in LOWER_IS_BETTER + ("pixel_w1",):
        v = -v
    tol = 0.0 if se is None else 2 * np.maximum(np.asarray(se)[:-1], np.asarray(se)[1:])
    return bool(np.all(np.diff(v) >= -tol) and v[-1] > v[0])


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the validation (no I/O). ``quick``: 500 probe digits instead of 1,000."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    n = 500 if quick else 1000
    evaluator = Evaluator(load_feature_net(None, SIZE), MNISTImages(None, SIZE, "heldout").array)
    ref_pixels = to_float(MNISTImages(None, SIZE, "heldout").array, dtype=torch.float64).reshape(1000, -1).numpy()
    probe = MNISTImages(None, SIZE, "probe")
    keep = np.sort(rng.choice(len(probe), n, replace=False)) if quick else np.arange(len(probe))
    images, labels = probe.array[keep, ..., 0] / 255.0, probe.labels[keep]
    floor = score(evaluator, images, ref_pixels)
    kinds = QUICK_KINDS if quick else tuple(STRENGTHS)
    series = {kind: [floor] + [score(evaluator, disturb(images, kind, st, rng), ref_pixels) for st in STRENGTHS[kind]]
              for kind in kinds}
    # mode dropping at a fixed sample size, from the 4,000 training digits (no repeats)
    pool = MNISTImages(None, SIZE, "train")
    order, m = rng.permutation(10), n // 2
    dropping = []
    for k in DROPPED:
        pick = rng.choice(np.flatnonzero(np.isin(pool.labels, order[k:])), m, replace=False)
        dropping.append(score(evaluator, pool.array[pick, ..., 0] / 255.0, ref_pixels))
    first = [int(np.flatnonzero(labels == c)[0]) for c in range(10)]
    degenerate = {"mean_image": score(evaluator, np.repeat(images.mean(0, keepdims=True), n, 0), ref_pixels),
                  "ten_digits": score(evaluator, np.repeat(images[first], n // 10, 0), ref_pixels)}

    passes = {}
    for m in METRICS:
        worse = (lambda a, b: a > b) if m in LOWER_IS_BETTER + ("pixel_w1",) else (lambda a, b: a < b)
        mildest = [series[k][1][m] for k in kinds]
        se = (lambda rows: [r["kid_se"] for r in rows]) if m == "kid" else (lambda rows: None)
        passes[m] = {**{k: monotone([r[m] for r in series[k]], m, se(series[k])) for k in kinds},
                     "mode_dropping": monotone([r[m] for r in dropping], m, se(dropping)),
                     **{g: sum(worse(degenerate[g][m], v) for v in mildest) >= len(mildest) - 1  # all but one
                        for g in degenerate}}
    checks = list(kinds) + ["mode_dropping"] + list(degenerate)
    fidelity = list(kinds) + ["mean_image"]  # what a fidelity measure must see
    full = [m for m in METRICS if all(passes[m].values())]
    claims = []
    for m in ("fd", "kid", "w1"):
        failed = [c for c in checks if not passes[m][c]]
        claims.append(claim(f"{m}_validated", f"{LABELS[m]} passes every check: it rises monotonically with "
                            "each disturbance and with mode dropping, and rates both degenerate "
                            f"generators far from the floor ({len(checks)} checks)",
                            f"{len(checks)} of {len(checks)}", f"{len(checks) - len(failed)} of {len(checks)}"
                            + (f"; fails {', '.join(failed)}" if failed else ""), not failed))
    px_failed = [c for c in checks if not passes["pixel_w1"][c]]
    claims.append(claim("pixel_w1_fails", "pixel-space W1 (the measure this toolkit used before) fails "
                        "some checks: it cannot be used as quality", ">= 1 check failed",
                        f"fails {', '.join(px_failed) or 'none'}", bool(px_failed)))
    blurred = min(r["pixel_w1"] for r in series["blur"][1:])
    claims.append(claim("pixel_w1_prefers_blur", "pixel-space W1 rates blurred digits better than the real "
                        "ones at some blur strength (the defect that retired it)",
                        f"< floor {floor['pixel_w1']:.4g}", blurred, blurred < floor["pixel_w1"]))
    ok = [c for c in fidelity if passes["confident"][c]]
    claims.append(claim("confident_fidelity", "the classifier's confident share falls monotonically with every "
                        "disturbance and is lower for the mean image (a fidelity measure)",
                        f"{len(fidelity)} of {len(fidelity)}", f"{len(ok)} of {len(fidelity)}",
                        len(ok) == len(fidelity)))
    for m in ("recall", "class_kl"):
        claims.append(claim(f"{m}_mode_dropping", f"{LABELS[m]} detects mode dropping monotonically "
                            "(a coverage measure)", "monotone", [round(r[m], 4) for r in dropping],
                            passes[m]["mode_dropping"]))
    return {"image_size": SIZE, "n": n, "strengths": {k: STRENGTHS[k] for k in kinds}, "dropped": DROPPED,
            "floor": floor, "needs_full_run": [f"{k}_checks" for k in STRENGTHS if k not in kinds],
            "series": series, "mode_dropping": dropping, "degenerate": degenerate, "passes": passes,
            "validated": full, "feature_net_accuracy": evaluator.net.heldout_accuracy,
            "examples": {k: to_uint8(np.stack([images[0]] + [disturb(images[:1], k, st, np.random.default_rng(1))[0]
                                                          for st in STRENGTHS[k]]))[..., 0] for k in kinds},
            "claims": claims,
            "settings": {"reference": "1,000 held-out digits", "disturbed": f"{n} probe digits",
                         "image_size": SIZE, "feature_net": "gan.features.FeatureNet"}}


def plot(result: dict):
    """Example disturbances, and each metric against the strength of each disturbance."""
    import matplotlib.pyplot as plt

    kinds = list(result["strengths"])
    fig = plt.figure(figsize=(17, 10))
    grid = fig.add_gridspec(3, 5, height_ratios=[1.1, 1, 1])
    ax = fig.add_subplot(grid[0, :2])
    ex = result["examples"]
    rows = [np.concatenate([np.pad(np.asarray(ex[k], dtype=float)[i], 1, constant_values=255) for i in range(6)], 1)
            for k in kinds]
    ax.imshow(np.concatenate(rows, 0), cmap="gray", vmin=0, vmax=255)
    ax.set_yticks([(i + 0.5) * (rows[0].shape[0]) for i in range(len(kinds))], kinds)
    ax.set_xticks([(i + 0.5) * rows[0].shape[1] / 6 for i in range(6)], ["real"] + [f"s{i}" for i in range(1, 6)])
    ax.set(title="one probe digit under each disturbance (strength 1-5)", xlabel="strength", ylabel="disturbance")
    ax.grid(False)
    panels = ["fd", "kid", "w1", "pixel_w1", "precision", "recall", "confident", "class_kl"]
    slots = [grid[0, 2], grid[0, 3], grid[0, 4], grid[1, 0], grid[1, 1], grid[1, 2], grid[1, 3], grid[1, 4]]
    for m, slot in zip(panels, slots):
        a = fig.add_subplot(slot)
        for j, k in enumerate(kinds):
            v = [r[m] for r in result["series"][k]]
            ok = result["passes"][m][k]
            a.plot(range(6), v, "o-" if ok else "x--", ms=4, color=f"C{j}", label=k + ("" if ok else " (not monotone)"))
        a.axhline(result["floor"][m], color="k", lw=0.8, ls=":")
        status = "validated" if m in result["validated"] else "fails a check"
        a.set(xlabel="disturbance strength (0 = real)", ylabel=LABELS[m], title=f"{LABELS[m]}: {status}")
        if m in ("fd", "pixel_w1"):
            a.legend(fontsize=7)
    a = fig.add_subplot(grid[2, :2])
    for j, m in enumerate(("fd", "kid", "w1", "pixel_w1")):
        v = np.array([r[m] for r in result["mode_dropping"]])
        a.plot(result["dropped"], (v - v[0]) / (abs(v).max() + 1e-12), "o-", color=f"C{j}", label=LABELS[m])
    a.set(xlabel=f"classes dropped ({result['n'] // 2} digits)", ylabel="(value - value at 0) / max |value|",
          title="mode dropping")
    a.legend(fontsize=8)
    a = fig.add_subplot(grid[2, 2:])
    checks = kinds + ["mode_dropping", "mean_image", "ten_digits"]
    mat = np.array([[result["passes"][m][c] for c in checks] for m in panels], dtype=float)
    a.imshow(mat, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    a.set_xticks(range(len(checks)), [c.replace("_", " ") for c in checks], rotation=25, ha="right")
    a.set_yticks(range(len(panels)), [LABELS[m] for m in panels])
    for i in range(len(panels)):
        for j in range(len(checks)):
            a.text(j, i, "pass" if mat[i, j] else "FAIL", ha="center", va="center", fontsize=7)
    a.set(title="which metric passes which check (green: pass)", xlabel="check", ylabel="metric")
    a.grid(False)
    fig.suptitle(f"Validating the quality metrics on real MNIST digits ({result['image_size']}x{result['image_size']}; "
                 f"floor: {result['n']} unseen real digits vs 1,000 held-out)")
    fig.tight_layout()
    return fig


def tables(result: dict) -> list[str]:
    """The write-up's Markdown after the table of claims: which metric passes which check."""
    checks = list(result["strengths"]) + ["mode_dropping", "mean_image", "ten_digits"]
    lines = ["", f"Which metric passes which check (floor: {result['n']} probe digits; FD floor "
             f"{fmt(result['floor']['fd'])}, KID floor {fmt(result['floor']['kid'])}):", "",
             "| metric | " + " | ".join(c.replace("_", " ") for c in checks) + " |", "|---|" + "---|" * len(checks)]
    for m, p in result["passes"].items():
        lines.append(f"| {m} | " + " | ".join("pass" if p[c] else "**fail**" for c in checks) + " |")
    return lines


def main(argv: list[str] | None = None) -> dict:
    return toy_main(NAME, "quality metrics validated on known degradations of real digits (Heusel et al. 2017, "
                    "Fig. 1)", run, plot, argv, quick=QUICK)


if __name__ == "__main__":
    main()
