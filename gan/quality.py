r"""Sample quality measured in the feature space of the MNIST classifier (:mod:`gan.features`).

Every metric compares N generated images with the 1,000 held-out real digits of the fixed split
(:mod:`gan.mnist`), through the classifier's 128 penultimate features f(x) and its class
probabilities p(x):

==============  ==========================================================================
``fd``          Frechet distance (FID's formula, Heusel et al. 2017):
                :func:`divergences.frechet_distance` of the two feature sets; lower is better
``kid``         Kernel distance (KID, Binkowski et al. 2018): unbiased MMD^2 with the kernel
                :math:`(f\cdot f'/d + 1)^3` (:func:`divergences.mmd2`), mean over 50 random
                subsets of 500 per side (``kid_se``: its standard error); lower is better
``w1``          exact EM between the feature sets (:func:`divergences.wasserstein`, 1,000
                points a side); lower is better
``precision``   share of generated samples inside the real manifold: within the distance to
                its 3rd nearest real neighbour of some real sample (Kynkaanniemi et al. 2019)
``recall``      share of real samples inside the generated manifold (the same, swapped)
``density``     mean number of real neighbourhoods (radius: the distance to the real point's
                5th nearest real neighbour) that hold a generated sample, divided by 5
                (Naeem et al. 2020); about 1 for real data, unbounded above
``coverage``    share of real points whose neighbourhood (the same radius) holds at least one
                generated sample (Naeem et al. 2020); 1 - 2^-5 = 0.97 expected for real data
``confident``   share of samples the classifier labels with probability >= 0.9
``classes``     classes covered: those given to at least N/100 confidently labelled samples
``class_kl``    KL of the predicted-class histogram to uniform, in nats (0: all classes
                equally often; ln 10 = 2.30: one class only): mode dropping
==============  ==========================================================================

A metric enters a claim, a figure or a sample sheet only once it has passed validation
(``experiments.quality_validation``): it must rank known degradations of real digits monotonically
above the real-versus-real floor, for what it is meant to measure (:data:`PURPOSE`). The ones that
passed are :data:`VALIDATED_METRICS`, the single switch the experiments read; a test keeps it equal
to the committed validation (``figures/quality_validation.json``). The others are still computed
and reported (``gan.evaluate``), never used as quality.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

import divergences as D

from .features import FeatureNet, embed, load_feature_net
from .mnist import MNISTImages

METRICS = ("fd", "kid", "kid_se", "w1", "precision", "recall", "density", "coverage", "confident", "classes",
           "class_kl")
#: lower is better for these; higher for precision, recall, density, coverage, confident, classes
LOWER_IS_BETTER = ("fd", "kid", "w1", "class_kl")
#: what each metric is meant to detect, hence the checks it must pass: ``all`` (every disturbance,
#: mode dropping and both degenerate generators), ``fidelity`` (the disturbances and the mean
#: image: blind to mode dropping by design), ``coverage`` (mode dropping and both degenerate
#: generators) or ``class coverage`` (mode dropping and the mean image: a class histogram cannot
#: see ten repeated digits, one per class)
PURPOSE = {"fd": "all", "kid": "all", "w1": "all", "precision": "fidelity", "density": "fidelity",
           "confident": "fidelity", "recall": "coverage", "coverage": "coverage", "class_kl": "class coverage",
           "classes": "class coverage"}
#: the metrics that passed the validation of their purpose (``figures/quality_validation.json``,
#: ``validated``): the only ones figures, sample sheets and claims may use
VALIDATED_METRICS = ("fd", "kid", "w1", "recall", "coverage", "confident", "class_kl", "classes")
CONFIDENCE = 0.9
#: neighbours of the k-NN manifolds: 3 for precision / recall (Kynkaanniemi et al. 2019), 5 for
#: density / coverage (Naeem et al. 2020)
K_PR, K_DC = 3, 5


def kid(x: np.ndarray, y: np.ndarray, subsets: int = 50, size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """KID: mean and standard error of the unbiased polynomial-kernel MMD^2 over random subsets
    of ``size`` points a side (at most half of the smaller set, so that subsets differ; the
    estimate is unbiased at any size, only its variance depends on it).

    torchmetrics' ``KernelInceptionDistance`` and torch-fidelity report the mean and the standard
    deviation (``std(unbiased=False)``) over 100 subsets of 1,000: the same mean in expectation, a
    spread ~sqrt(subsets) times this standard error. In the 128-d MNIST feature space, not
    Inception's 2048-d one: not comparable with published KIDs.

    Unbiased for i.i.d. samples. The held-out reference is class-stratified (exactly 100 digits
    per class), which makes its pairs slightly less often same-class than i.i.d. draws would be:
    real digits against it score below 0 (the validation's real-vs-real floor is -1.33 with a
    standard error of 0.20). The offset depends on the reference only, so rankings hold (all nine
    validation checks pass); compare KID values with that floor, not with 0."""
    vals = kid_values(x, y, subsets, size, seed)
    return float(np.mean(vals)), float(np.std(vals, ddof=1) / np.sqrt(subsets))


def kid_values(x: np.ndarray, y: np.ndarray, subsets: int = 100, size: int = 1000, seed: int = 0) -> np.ndarray:
    """The unbiased polynomial-kernel MMD^2 (KID's kernel: degree 3, gamma 1/d, coef0 1) on each of
    ``subsets`` random subsets of ``size`` points a side (at most half of the smaller set): KID is
    their mean; torchmetrics reports their standard deviation (``std(unbiased=False)``) beside it,
    :func:`kid` the standard error of the mean. The draws are those of :func:`kid` at equal
    arguments."""
    if isinstance(subsets, bool) or not isinstance(subsets, (int, np.integer)) or subsets < 1:
        raise ValueError(f"subsets must be a positive integer, got {subsets!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"size must be an integer >= 2, got {size!r}")
    rng = np.random.default_rng(seed)
    m = min(size, len(x) // 2, len(y) // 2)
    if m < 2:
        raise ValueError(f"x and y need at least 4 points each for KID's subsets, got {len(x)} and {len(y)}")
    return np.array([D.mmd2(x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)],
                            kernel="polynomial") for _ in range(subsets)])


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest neighbour in the same set (itself excluded)."""
    d = cdist(x, x)
    return np.partition(d, k, axis=1)[:, k]


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi, Karras, Laine, Lehtinen, Aila 2019).

    Each set's manifold is the union of balls around its points, of radius the distance to the
    point's k-th nearest neighbour in its own set. Precision: the share of ``fake`` in the real
    manifold; recall: the share of ``real`` in the generated one.
    """
    d = cdist(fake, real)
    precision = float(np.mean((d <= _radii(real, k)[None, :]).any(axis=1)))
    recall = float(np.mean((d <= _radii(fake, k)[:, None]).any(axis=0)))
    return precision, recall


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = K_DC) -> tuple[float, float]:
    r"""Density and coverage (Naeem, Oh, Uh, Choi, Yoo 2020, "Reliable fidelity and diversity
    metrics for generative models", ICML).

    With :math:`B_i` the ball around real point :math:`X_i` of radius the distance to its k-th
    nearest real neighbour (:math:`NND_k(X_i)`),

    .. math:: \text{density} = \frac{1}{kM}\sum_{j=1}^M\sum_{i=1}^N 1[Y_j \in B_i], \qquad
              \text{coverage} = \frac1N\sum_{i=1}^N 1[\exists j: Y_j \in B_i]

    for N ``real`` and M ``fake`` points (strict inequalities, as the authors' ``prdc``). Density
    counts how many real neighbourhoods hold each sample, so a few real outliers with large balls
    cannot make it saturate as precision does; coverage asks the real neighbourhoods, not the
    generated ones, so generated outliers cannot inflate it as they do recall.
    """
    radii = _radii(real, k)
    inside = cdist(real, fake) < radii[:, None]  # (N, M)
    return float(inside.sum(axis=0).mean() / k), float(inside.any(axis=1).mean())


def class_view(probs: np.ndarray) -> dict:
    """The classifier's view: confident share, classes covered, KL of the class histogram to uniform."""
    n = len(probs)
    labels, conf = probs.argmax(1), probs.max(1) >= CONFIDENCE
    counts = np.bincount(labels[conf], minlength=10)
    hist = np.bincount(labels, minlength=10) / n
    return {"confident": float(conf.mean()), "classes": int((counts >= n / 100).sum()),
            "class_kl": D.kl(hist, np.full(10, 0.1))}


class Evaluator:
    """Scores generated images against a real reference through a feature network."""

    def __init__(self, net: FeatureNet, reference: np.ndarray, *, w1_points: int = 1000, seed: int = 0):
        self.net, self.seed, self.w1_points = net, seed, w1_points
        self.ref_features, self.ref_probs = embed(net, reference)
        self._ref_radii = _radii(self.ref_features, K_PR)
        self._ref_radii_dc = _radii(self.ref_features, K_DC)

    @classmethod
    def for_data(cls, data: str, image_size: int, purpose: str = "--eval-every", **kw) -> Evaluator:
        """The evaluator of a ``--data`` spec: MNIST only (it has labels for a feature network).
        ``purpose`` names what needs it in the error message."""
        kind, _, path = data.partition(":")
        if kind != "mnist":
            raise ValueError(f"{purpose} needs MNIST digits (--data mnist[:PATH]), and the run has --data {data}: "
                             "quality is measured in the features of a classifier trained on MNIST's labels "
                             "(gan.features), and no validated feature network exists for other images")
        net = load_feature_net(path or None, image_size)
        return cls(net, MNISTImages(path or None, image_size, "heldout").array, **kw)

    @classmethod
    def real_floor(cls, data: str, image_size: int) -> float:
        """FD of the 1,000 real probe digits (which the feature network never saw) against the held-out
        reference: what real digits score at this size, the floor a run's FD is read against."""
        kind, _, path = data.partition(":")
        ev = cls.for_data(data, image_size, purpose="the real-digit floor")
        return float(D.frechet_distance(embed(ev.net, MNISTImages(path or None, image_size, "probe").array)[0],
                                        ev.ref_features))

    def score(self, images) -> dict:
        """Every metric of the module docstring for uint8 (N, S, S, 1) or float (N, 1, S, S) images."""
        feats, probs = embed(self.net, images)
        return self.score_features(feats, probs)

    def score_features(self, feats: np.ndarray, probs: np.ndarray) -> dict:
        ref = self.ref_features
        rng = np.random.default_rng(self.seed)
        k_mean, k_se = kid(feats, ref, seed=self.seed)
        m = min(self.w1_points, len(feats))
        d = cdist(feats, ref)
        precision = float(np.mean((d <= self._ref_radii[None, :]).any(axis=1)))
        recall = float(np.mean((d <= _radii(feats, K_PR)[:, None]).any(axis=0)))
        inside = d < self._ref_radii_dc[None, :]  # (fake, real): density and coverage, as density_coverage
        return {"fd": D.frechet_distance(feats, ref), "kid": k_mean, "kid_se": k_se,
                "w1": D.wasserstein(feats[rng.choice(len(feats), m, replace=False)], ref[: self.w1_points]),
                "precision": precision, "recall": recall, "density": float(inside.sum(axis=1).mean() / K_DC),
                "coverage": float(inside.any(axis=0).mean()), **class_view(probs)}
