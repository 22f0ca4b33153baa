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

Metrics (:mod:`gan.quality`): FD, KID, exact W1 in feature space, improved precision and recall
(Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020), the classifier's confident
share, classes covered and class-histogram KL; and, as the old measure the write-up used, the
exact W1 in pixel space (:func:`divergences.wasserstein`). Each is validated for what it is meant
to measure (:data:`gan.quality.PURPOSE`): FD, KID and W1 everything; precision, density and the
confident share fidelity (the disturbances and the mean image); recall and coverage coverage (mode
dropping and both degenerate generators); the class histogram's KL and classes covered class
coverage (mode dropping and the mean image). The table says which metric passes which check,
whatever the outcome; the metrics that pass all the checks of their purpose are ``validated``,
which :data:`gan.quality.VALIDATED_METRICS` must equal (a test keeps them equal): only those enter
figures, sample sheets and claims.

**Noise, from a null.** A step back toward the floor, or a degenerate generator's distance from
it, counts only beyond two standard errors of the metric; the standard error is measured, not
assumed: the spread of the metric over 8 random halves of the undisturbed probe digits, divided
by sqrt(2) for the full-size sets (the mode-dropping sets are half-size: the halves' spread
itself). FD's and W1's validation is the positive control (Heusel et al.'s Figure 1, reproduced):
a metric that fails a check of its purpose, by more than its noise, after the control passed,
*disagrees* with its authors' claim that it measures what it is for.

**Seeds.** The validation is repeated for 3 seeds (new disturbance draws, mode-dropping draws and,
at --quick, probe digits); a metric *agrees* when it passes every check of its purpose in every
seed (the 95% interval over seeds of the share of checks passed sits at 1), and *disagrees* when the
95% interval over seeds of its largest wrong-way move lies beyond 2 standard errors
(:func:`judge_metric`).

Run: ``python -m experiments.quality_validation [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

import divergences as D
from claims import MIN_SEEDS, Figure, claim, control, fmt, progress, single_threaded
from claims.stats import mean_interval
from gan.data import synthetic_scene
from gan.features import load_feature_net
from gan.mnist import MNISTImages
from gan.quality import LOWER_IS_BETTER, Evaluator
from gan.quality import PURPOSE as QUALITY_PURPOSE

#: where each metric comes from, and so whose claim its validation tests
AUTHORS = {"fd": "Heusel et al. 2017", "kid": "Binkowski et al. 2018", "w1": "this toolkit, the exact EM in features",
           "precision": "Kynkaanniemi et al. 2019", "recall": "Kynkaanniemi et al. 2019",
           "density": "Naeem et al. 2020", "coverage": "Naeem et al. 2020",
           "confident": "this toolkit, the classifier's view", "class_kl": "this toolkit, the classifier's view",
           "classes": "this toolkit, the classifier's view"}
QUICK_KINDS = ("noise", "blur", "rectangles")

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
METRICS = ("fd", "kid", "w1", "pixel_w1", "precision", "recall", "density", "coverage", "confident", "class_kl",
           "classes")
LABELS = {"fd": "FD", "kid": "KID", "w1": "W1 (features)", "pixel_w1": "W1 (pixels)",
          "precision": "precision", "recall": "recall", "density": "density", "coverage": "coverage",
          "confident": "confident share", "class_kl": "class KL", "classes": "classes covered"}
#: what each metric is meant to detect (gan.quality.PURPOSE), and pixel W1, meant as a full measure
PURPOSE = {**QUALITY_PURPOSE, "pixel_w1": "all"}
#: the halves of the probe digits whose spread is each metric's noise
HALVES = 8
ALPHA = 0.01


def checks_of(purpose: str, kinds) -> list[str]:
    """The checks a metric of ``purpose`` must pass (see :data:`gan.quality.PURPOSE`)."""
    return {"all": list(kinds) + ["mode_dropping", "mean_image", "ten_digits"],
            "fidelity": list(kinds) + ["mean_image"],
            "coverage": ["mode_dropping", "mean_image", "ten_digits"],
            "class coverage": ["mode_dropping", "mean_image"]}[purpose]


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


def _worse(metric: str) -> float:
    """+1 when higher values of ``metric`` are worse, -1 when lower ones are."""
    return 1.0 if metric in LOWER_IS_BETTER + ("pixel_w1",) else -1.0


def monotone(values: list[float], metric: str, se: float = 0.0) -> bool:
    """No step back toward the floor (``values[0]``) by more than two standard errors ``se``, and
    the last value worse than the floor by more than that."""
    v = _worse(metric) * np.asarray(values, dtype=float)
    return bool(np.all(np.diff(v) >= -2 * se) and v[-1] - v[0] > 2 * se)


def wrong_way(values: list[float], metric: str) -> float:
    """The largest move of a series toward the floor: a step back, or the last value short of
    the floor (0 when it never moves the wrong way)."""
    v = _worse(metric) * np.asarray(values, dtype=float)
    return float(max(0.0, -np.diff(v).min(initial=0.0), v[0] - v[-1]))


def noise(evaluator: Evaluator, images01: np.ndarray, reference_pixels: np.ndarray, rng: np.random.Generator,
          halves: int = HALVES) -> dict:
    """Each metric's standard error, from a null: its spread (standard deviation) over ``halves``
    random halves of the undisturbed digits. ``half``: that spread (the standard error at half
    the size); ``full``: divided by sqrt(2), the standard error of the full set."""
    n = len(images01)
    rows = [score(evaluator, images01[rng.choice(n, n // 2, replace=False)], reference_pixels)
            for _ in progress(range(halves), "noise: halves of the probe digits")]
    half = {m: float(np.std([r[m] for r in rows], ddof=1)) for m in METRICS}
    return {"half": half, "full": {m: v / np.sqrt(2) for m, v in half.items()}}


def validate(evaluator: Evaluator, images: np.ndarray, labels: np.ndarray, ref_pixels: np.ndarray, kinds,
             se: dict, rng: np.random.Generator, desc: str = "disturbances") -> dict:
    """One seed of the validation: the floor, every disturbance at every strength, mode dropping and
    the degenerate generators scored, and each metric's checks judged against its noise ``se``
    (:func:`noise`). Returns ``floor``, ``series``, ``dropping``, ``degenerate``, ``passes`` (metric ->
    check -> bool) and ``z`` (metric -> check -> the largest wrong-way move, in standard errors)."""
    n = len(images)
    floor = score(evaluator, images, ref_pixels)
    series = {kind: [floor] + [score(evaluator, disturb(images, kind, st, rng), ref_pixels) for st in STRENGTHS[kind]]
              for kind in progress(kinds, desc)}
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
    passes, z = {}, {}  # z: the largest wrong-way move of each check, in standard errors
    for met in METRICS:
        e, e_half, w = se["full"][met], se["half"][met], _worse(met)
        if PURPOSE[met] in ("all", "fidelity"):  # far: beyond the mildest of all disturbances but one
            mildest = [w * series[k][1][met] for k in kinds]
        else:  # coverage: beyond the mildest mode dropping (2 classes)
            mildest = [w * dropping[1][met]]
        checks, moves = {}, {}
        for k in kinds:
            v = [r[met] for r in series[k]]
            checks[k], moves[k] = monotone(v, met, e), wrong_way(v, met) / max(e, 1e-12)
        v = [r[met] for r in dropping]
        checks["mode_dropping"], moves["mode_dropping"] = monotone(v, met, e_half), wrong_way(v, met) / max(e_half, 1e-12)
        for g, row in degenerate.items():
            d = w * (row[met] - floor[met])
            checks[g] = bool(d > 2 * e and sum(w * row[met] > x for x in mildest) >= max(1, len(mildest) - 1))
            moves[g] = max(0.0, -d) / max(e, 1e-12)
        passes[met], z[met] = checks, moves
    return {"floor": floor, "series": series, "dropping": dropping, "degenerate": degenerate, "passes": passes, "z": z}


def judge_metric(met: str, need: list[str], passes: list[dict], z: list[dict], seeds: list[int],
                 control_ok: bool = True) -> dict:
    """A metric's finding from its checks in each seed (``passes[i][check]``, ``z[i][check]``):

    * the statistic is each seed's share of the checks of its purpose passed; the 95% interval over
      seeds (:func:`claims.stats.mean_interval`) at 1 (every check passed in every seed: the
      interval collapses onto 1) is ``agrees``;
    * otherwise the failure's size: each seed's largest wrong-way move over the checks it failed, in
      standard errors of the halves' null (0 where it failed none); its 95% interval over seeds above
      2 (beyond the noise in every seed, a consistent failure) is ``disagrees``; else no verdict.
    """
    n = len(seeds)
    share = [sum(p[c] for c in need) / len(need) for p in passes]
    wrong = [max([zz[c] for c in need if not p[c]], default=0.0) for p, zz in zip(passes, z)]
    failed = sorted({c for p in passes for c in need if not p[c]})
    si, wi = mean_interval(share), mean_interval(wrong)
    statement = (f"{LABELS[met]} passes every check of its purpose, {PURPOSE[met]} ({', '.join(need)}): it "
                 "moves monotonically away from the floor, beyond its noise (2 standard errors), in every seed, in "
                 "this toolkit's feature space (the MNIST classifier's 128-d features of 16x16 digits, not the "
                 "Inception features of the metric's paper)")
    source = f"beyond the papers ({AUTHORS[met]})"
    measured = (f"share of the {len(need)} checks passed per seed: " + ", ".join(f"{v:.3g}" for v in share)
                + (f"; fails {', '.join(c.replace('_', ' ') for c in failed)}; largest wrong-way move per seed "
                   + ", ".join(f"{v:.3g}" for v in wrong) + " standard errors" if failed else ""))
    share_test = {"statistic": f"mean over seeds of the share of the {len(need)} checks passed",
                  "interval": [si["lo"], si["hi"]], "level": 0.95, "threshold": 1.0, "n": si["n"]}
    holds = bool(np.isfinite(si["lo"]) and si["lo"] >= 1.0 - 1e-12)
    expected = f"{len(need)} of {len(need)} in every seed"
    if holds or n < MIN_SEEDS:
        extra = {} if control_ok else {"verdict": "no verdict", "reason": "the positive control failed"}
        return claim(f"{met}_validated", statement, expected, measured, holds if np.isfinite(si["lo"]) else None,
                     source=source, test=share_test, seeds=seeds, **extra)
    wrong_test = {"statistic": "mean over seeds of the largest wrong-way move, in standard errors of the halves' "
                               "null", "interval": [wi["lo"], wi["hi"]], "level": 0.95, "threshold": 2.0, "n": wi["n"]}
    if control_ok and wi["lo"] > 2:
        return claim(f"{met}_validated", statement, expected, measured, False, source=source,
                     verdict="disagrees", reason=f"{LABELS[met]} moved the wrong way beyond its noise in every seed "
                     f"({', '.join(failed)}) after the control passed: it does not measure {PURPOSE[met]} here, and "
                     "stays off the figures", test=wrong_test, seeds=seeds)
    return claim(f"{met}_validated", statement, expected, measured, False, source=source, verdict="no verdict",
                 reason=f"{LABELS[met]} failed {', '.join(failed)} in some seed, but not by more than its noise in "
                 "every seed" + ("" if control_ok else ", or the control failed") + "; it stays off the figures "
                 "until it passes", test=wrong_test, seeds=seeds)


#: the seeds of the validation (offsets from ``--seed``): the disturbances, mode-dropping draws and
#: (at --quick) the probe digits drawn anew; 3, a finding's minimum
SEED_OFFSETS = tuple(range(MIN_SEEDS))


@single_threaded
def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the validation (no I/O). ``quick``: 500 probe digits instead of 1,000."""
    torch.manual_seed(seed)
    n = 500 if quick else 1000
    evaluator = Evaluator(load_feature_net(None, SIZE), MNISTImages(None, SIZE, "heldout").array)
    ref_pixels = MNISTImages(None, SIZE, "heldout").array[..., 0].reshape(1000, -1) / 127.5 - 1.0
    probe = MNISTImages(None, SIZE, "probe")
    kinds = QUICK_KINDS if quick else tuple(STRENGTHS)
    seeds = [seed] if quick else [seed + k for k in SEED_OFFSETS]
    runs = []
    for sd in seeds:
        rng = np.random.default_rng(sd)
        keep = np.sort(rng.choice(len(probe), n, replace=False)) if quick else np.arange(len(probe))
        images, labels = probe.array[keep, ..., 0] / 255.0, probe.labels[keep]
        if sd == seeds[0]:  # the noise null, from the first seed's digits
            first_images = images
            se = noise(evaluator, images, ref_pixels, rng, halves=4 if quick else HALVES)
        runs.append(validate(evaluator, images, labels, ref_pixels, kinds, se, rng, desc=f"disturbances (seed {sd})"))
    main_run = runs[0]
    floor, series, dropping, degenerate = (main_run[k] for k in ("floor", "series", "dropping", "degenerate"))
    passes, z = main_run["passes"], main_run["z"]
    validated = [met for met in METRICS if met != "pixel_w1"
                 and all(r["passes"][met][c] for r in runs for c in checks_of(PURPOSE[met], kinds))]
    control_ok = all(r["passes"][met][c] for r in runs for met in ("fd", "w1") for c in checks_of("all", kinds))
    controls = [control("FD and the feature-space W1 rank every disturbance, mode dropping and both degenerate "
                        "generators above the real-versus-real floor, in every seed (Heusel et al. 2017, Figure 1: "
                        "FID's checks, here on MNIST features; the statistic's power: effects planted by "
                        "construction)", control_ok,
                        {"digits": n, "checks": len(checks_of("all", kinds)), "seeds": len(seeds)},
                        {met: [sum(r["passes"][met].values()) for r in runs] for met in ("fd", "w1")}, kind="power")]
    claims = []
    for met in METRICS:
        if met in ("pixel_w1", "fd", "w1"):
            continue  # pixel W1: the old measure, retired (in the table); FD and W1: the positive control
        claims.append(judge_metric(met, checks_of(PURPOSE[met], kinds), [r["passes"][met] for r in runs],
                                   [r["z"][met] for r in runs], seeds, control_ok))
    blurred = min(r["pixel_w1"] for r in series["blur"][1:])
    images = first_images
    # a check of the code: each disturbance moves the pixels, further as its strength grows
    moved = {k: [float(np.abs(disturb(images[:50], k, st, np.random.default_rng(1)) - images[:50]).mean())
                 for st in STRENGTHS[k]] for k in kinds}
    grows = all(v[0] > 0 and all(b > a for a, b in zip(v, v[1:])) for v in moved.values())
    sanity = [claim("disturbances_grow", "each disturbance moves the pixels of 50 probe digits (mean |x' - x|), "
                    "further at each stronger setting (a check of the code that disturbs them)", "> 0 and increasing",
                    "; ".join(f"{k}: " + ", ".join(f"{x:.3g}" for x in v) for k, v in moved.items()), grows,
                    "sanity", source="beyond the papers (the validation's disturbances)")]
    # at --quick (one seed) the metrics' findings, each an interval over seeds, are left to the full run
    needs_full = [f"{k}_checks" for k in STRENGTHS if k not in kinds]
    if quick:
        needs_full += [c["id"] for c in claims]
        claims = []
    return {"image_size": SIZE, "n": n, "strengths": {k: STRENGTHS[k] for k in kinds}, "dropped": DROPPED,
            "floor": floor, "noise": se, "needs_full_run": needs_full,
            "series": series, "mode_dropping": dropping, "degenerate": degenerate, "passes": passes,
            "passes_seeds": [r["passes"] for r in runs], "seeds": seeds,
            "wrong_way_z": z, "validated": validated, "purpose": PURPOSE, "controls": controls,
            "pixel_w1_blur": {"floor": floor["pixel_w1"], "best_blurred": blurred},
            "feature_net_accuracy": evaluator.net.heldout_accuracy,
            "examples": {k: to_uint8(np.stack([images[0]] + [disturb(images[:1], k, st, np.random.default_rng(1))[0]
                                                          for st in STRENGTHS[k]]))[..., 0] for k in kinds},
            "claims": sanity + claims,
            "settings": {"reference": "1,000 held-out digits", "disturbed": f"{n} probe digits",
                         "image_size": SIZE, "feature_net": "gan.features.FeatureNet", "seeds": len(seeds),
                         "noise": f"spread over {4 if quick else HALVES} halves of the probe digits"}}


def plot(result: dict):
    """Example disturbances, each metric against the strength of each disturbance, mode dropping,
    and which metric passes which check of its purpose."""
    import matplotlib.pyplot as plt

    kinds = list(result["strengths"])
    fig = plt.figure(figsize=(20, 13))
    grid = fig.add_gridspec(4, 10, height_ratios=[1.1, 1, 1, 1.25], hspace=0.55, wspace=0.45)
    ax = fig.add_subplot(grid[0, :3])
    ex = result["examples"]
    from .mnist_runs import images as decoded  # the examples as drawn in memory, or as read back from NAME.json

    rows = [np.concatenate([np.pad(np.asarray(decoded(ex[k]), dtype=float)[i], 1, constant_values=255)
                            for i in range(6)], 1) for k in kinds]
    ax.imshow(np.concatenate(rows, 0), cmap="gray", vmin=0, vmax=255)
    ax.set_yticks([(i + 0.5) * (rows[0].shape[0]) for i in range(len(kinds))], kinds)
    ax.set_xticks([(i + 0.5) * rows[0].shape[1] / 6 for i in range(6)], ["real"] + [f"s{i}" for i in range(1, 6)])
    ax.set(title="one probe digit under each disturbance (strength 1-5)", xlabel="strength", ylabel="disturbance")
    ax.grid(False)
    panels = ["fd", "kid", "w1", "pixel_w1", "precision", "recall", "density", "coverage", "confident", "class_kl"]
    # the metric panels fill two full rows of five (each as wide as the row allows), one shared
    # legend beside the example digits: no legend over a panel's ticks
    slots = [grid[1, 2 * j:2 * j + 2] for j in range(5)] + [grid[2, 2 * j:2 * j + 2] for j in range(5)]
    purpose = result.get("purpose", PURPOSE)
    for m, slot in zip(panels, slots):
        a = fig.add_subplot(slot)
        for j, k in enumerate(kinds):
            v = [r[m] for r in result["series"][k]]
            ok = result["passes"][m][k]
            a.plot(range(6), v, "o-" if ok else "x--", ms=4, color=f"C{j}")
        a.axhline(result["floor"][m], color="k", lw=0.8, ls=":")
        status = "validated" if m in result["validated"] else "NOT validated"
        a.set_xlabel("disturbance strength (0 = real)", fontsize=8)
        a.set_ylabel(LABELS[m], fontsize=8)
        a.set_title(f"{LABELS[m]} ({purpose[m]}): {status}", fontsize=9,
                    color="black" if m in result["validated"] else "firebrick")
        a.tick_params(labelsize=7)
    handles = [plt.Line2D([], [], color=f"C{j}", marker="o", label=k) for j, k in enumerate(kinds)]
    handles += [plt.Line2D([], [], color="0.3", marker="x", ls="--", label="not monotone (a failed check)"),
                plt.Line2D([], [], color="k", ls=":", lw=0.8, label="real-vs-real floor")]
    leg = fig.add_subplot(grid[0, 3:5])
    leg.axis("off")
    leg.legend(handles=handles, loc="center", fontsize=9, title="disturbance (panels below)", frameon=True)
    a = fig.add_subplot(grid[0, 5:9])
    for j, m in enumerate(("fd", "kid", "w1", "recall", "coverage", "class_kl")):
        v = np.array([r[m] for r in result["mode_dropping"]])
        a.plot(result["dropped"], (v - v[0]) / (abs(v - v[0]).max() + 1e-12), "o-", color=f"C{j}", label=LABELS[m])
    a.set(xlabel=f"classes dropped ({result['n'] // 2} digits)", ylabel="(value - value at 0) / max |change|",
          title="mode dropping")
    a.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    a = fig.add_subplot(grid[3, 1:9])
    checks = kinds + ["mode_dropping", "mean_image", "ten_digits"]
    metrics = panels + ["classes"]
    need = {m: set(checks_of(purpose[m], kinds)) for m in metrics}
    mat = np.ma.masked_invalid([[float(result["passes"][m][c]) if c in need[m] else np.nan for c in checks]
                                for m in metrics])
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(["#d9534f", "#5cb85c"]).with_extremes(bad="0.88")
    a.imshow(mat, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    a.set_xticks(range(len(checks)), [c.replace("_", " ") for c in checks], rotation=20, ha="right")
    a.set_yticks(range(len(metrics)), [f"{LABELS[m]} ({purpose[m]})" for m in metrics])
    for i, m in enumerate(metrics):
        for j, c in enumerate(checks):
            text = ("pass" if result["passes"][m][c] else "FAIL") if c in need[m] else "-"
            a.text(j, i, text, ha="center", va="center", fontsize=9, fontweight="bold" if text == "FAIL" else None,
                   color="white" if c in need[m] else "0.4")
    a.set(title="which metric passes which check of its purpose (green: pass; red: FAIL, the metric misranks that "
                "degradation; grey: not its purpose)", xlabel="check", ylabel="metric (purpose)")
    a.grid(False)
    fig.suptitle(f"Validating the quality metrics on real MNIST digits ({result['image_size']}x{result['image_size']}; "
                 f"floor: {result['n']} unseen real digits vs 1,000 held-out)")
    fig.subplots_adjust(left=0.06, right=0.97, top=0.93, bottom=0.06)
    return fig


def tables(result: dict) -> list[str]:
    """The write-up's Markdown after the table of claims: which metric passes which check, its
    noise, and pixel W1's blur defect."""
    kinds = list(result["strengths"])
    checks = kinds + ["mode_dropping", "mean_image", "ten_digits"]
    purpose = result.get("purpose", PURPOSE)
    lines = ["", f"Which metric passes which check of its purpose (floor: {result['n']} probe digits; a step back "
             "counts beyond 2 standard errors, measured over halves of the probe digits; -: not its purpose):", "",
             "| metric | purpose | standard error | " + " | ".join(c.replace("_", " ") for c in checks) + " | validated |",
             "|---|---|---|" + "---|" * len(checks) + "---|"]
    for m, p in result["passes"].items():
        need = set(checks_of(purpose[m], kinds))
        cells = [("pass" if p[c] else "**fail**") if c in need else "-" for c in checks]
        lines.append(f"| {LABELS[m]} | {purpose[m]} | {fmt(result['noise']['full'][m])} | " + " | ".join(cells)
                     + f" | {'yes' if m in result['validated'] else 'no'} |")
    px = result["pixel_w1_blur"]
    lines += ["", f"Pixel-space W1, the measure this toolkit used before (retired, no longer a claim): blurred digits "
              f"score {fmt(px['best_blurred'])}, below the real digits' {fmt(px['floor'])}: it rates blur as better "
              "than real."]
    return lines


FIGURE = Figure(
    name="quality_validation",
    title="Which quality metric can be believed?",
    source="beyond the papers (the checks of Heusel et al. 2017, Figure 1, on MNIST)",
    claim=(
        'A quality metric must rank known degradations of real digits (noise, blur, salt and pepper, '
        'occlusion, elastic warp, foreign images), dropped classes and degenerate generators '
        'monotonically above the real-versus-real floor before any training claim may rest on it.'
    ),
    quick=("500 probe digits instead of 1,000 (250 per mode-dropping set instead of 500), three of the six "
           "disturbances (noise, blur, rectangles): the other three need the full run; one seed instead of 3, so the "
           "metrics' findings (intervals over seeds) are left to the full run"),
    caption=(
        'Top left: one probe digit under each disturbance at strengths 1-5. Top right and middle: '
        'each metric against the disturbance strength (0 = undisturbed), one line per disturbance, '
        'dashed where not monotone; the dotted line is the real-versus-real floor. Bottom left: FD,'
        ' KID and the two W1 as classes are dropped (normalised). Bottom right: which metric passes'
        ' which check.'
    ),
    departures=(
        'Heusel et al. (2017) validate FID with Inception features on CelebA, CIFAR-10, SVHN and '
        'LSUN; here the features of a small MNIST classifier (gan.features), digits at 16 x 16, '
        '1,000 held-out digits as the reference.'
    ),
    why={
        'precision_validated': (
            "improved precision asks whether a sample falls in any real point's k-NN ball; real outliers "
            'have large balls, so a blurry average (the mean image) or a blob falls inside one and scores as '
            'perfectly real (Naeem et al. 2020 make the same criticism).'
        ),
        'density_validated': (
            'density counts the real balls that hold a sample: a sample near the dense centre of the real '
            'features (the mean image) is inside many of them, so it rates as very real.'
        ),
        'coverage_validated': (
            'coverage asks which real balls hold some sample; it moved back at a step of some check by more '
            'than its noise.'
        ),
        'classes_validated': (
            'classes covered is an integer that saturates: it cannot move at the mildest mode dropping or '
            'distinguish degenerate generators from the floor.'
        ),
    },
    run=run, plot=plot, tables=tables, cost=3.0,
)


if __name__ == "__main__":
    FIGURE.main()
