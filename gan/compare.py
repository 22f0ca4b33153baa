r"""Compare two sets of samples, as torch-fidelity and pytorch-fid users do, in one command.

    python -m gan.compare A B [--metrics fd,kid,w1,mmd-test,precision-recall] [--json]
    python -m gan.compare A mnist                 # B: the held-out real MNIST digits at A's size
    python -m gan.compare --save-stats A OUT.npz  # pytorch-fid's (mu, sigma) of A's features

A and B are each one of:

* a folder of images (PNG or JPEG; one size; grey-level, or colour for all);
* a ``.npy`` / ``.npz`` array of images: (N, H, W), (N, H, W, C) or (N, C, H, W) with C = 1 or 3,
  uint8 in [0, 255] or float in [0, 1] or [-1, 1];
* a ``.npy`` / ``.npz`` array of features, (N, D): compared as they are;
* a ``.npz`` with ``mu`` and ``sigma`` (pytorch-fid's statistics): FD only;
* a trainer run directory (``python -m gan.train --out``): ``--samples`` images generated from its
  latest generator snapshot (``--ema``: its averaged generator);
* B only: ``mnist``, the 1,000 held-out real digits of the fixed split (which no trainer run saw)
  at A's size (16, 28 or 32 pixels; 28-pixel digits are the raw ones, the others padded to 32 and
  resized as the trainer's data are).

``--image-size N`` resizes every image of both sides to N x N first (bilinear with antialiasing;
one-channel 28-pixel digits are padded to 32 first, as :mod:`gan.mnist` pads them), so that a
16-pixel run is compared with 28-pixel digits.

B is the reference. The **feature space** is said with the numbers: the MNIST classifier of
:mod:`gan.features` (128 features; its network at 32 x 32 for 28- and 32-pixel digits, padded as
:mod:`gan.mnist` pads, at 16 x 16 for 16-pixel ones) for one-channel square digits of 16, 28 or
32 pixels, the space in which ``toys.quality_validation`` checked that FD, KID and W1 rank known
degradations (at 16 x 16). For other images **no validated feature space ships**: they are
compared in pixel space, with that warning printed (pixel distances fail the degradation checks:
blurred digits rank above real ones), or give your own features as (N, D) arrays.

**A vs B** is all of A against all of B, as pytorch-fid and torch-fidelity compute it (W1, the
MMD test and precision / recall subsample, as said below). The **floor** is its own line: when B
holds at least 20 samples it is split at random into two halves, and B's first half (cut to
min(|A|, |B| / 2) samples) is compared with its second half: what two samples of B's own law score
(the real-versus-real floor when B is real data). It is measured at that smaller size, and FD and
W1 grow as samples shrink, so the floor is a little above what the full B would score against
itself. Metrics:

``fd``                Frechet distance (:func:`divergences.frechet_distance`, FID's formula)
``kid``               KID: mean, standard deviation (torchmetrics' and torch-fidelity's
                      convention) and standard error over ``--kid-subsets`` subsets (100) of
                      ``--kid-subset-size`` points (1,000, or half the smaller side)
                      (:func:`gan.quality.kid_values`)
``w1``                exact W1 between the feature sets (:func:`divergences.wasserstein`, at
                      most 1,000 points a side)
``mmd-test``          permutation two-sample test, unbiased MMD^2 with the Gaussian kernel at the
                      median heuristic (:func:`divergences.mmd_test`, at most 1,000 a side, 1,000
                      permutations): its statistic and p-value
``precision-recall``  improved precision and recall (:func:`gan.quality.precision_recall`, k = 3,
                      at most 2,000 a side); each is marked **not validated** unless it passed the
                      checks of its purpose (:data:`gan.quality.VALIDATED_METRICS`: recall did,
                      precision did not: it rates the mean image, repeated, above real digits)

Bad input gets a clear error (exit status 2): a missing path, an empty folder, images of mixed
sizes in one folder, unreadable image files (counted, the first named), A and B of different
shapes or dimensions. Long inputs show progress on standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import divergences as D

METRICS = ("fd", "kid", "w1", "mmd-test", "precision-recall")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
#: sizes (pixels) of one-channel square digits that the MNIST feature network takes
MNIST_SIZES = (16, 28, 32)
#: B needs this many samples to be split for the floor
MIN_SPLIT = 20
#: at most this many points a side for W1, the MMD test, and precision/recall
W1_POINTS, TEST_POINTS, PR_POINTS = 1000, 1000, 2000
#: pixel features beyond this many dimensions are refused (FD's covariance would be huge)
MAX_PIXEL_DIM = 4096
#: show progress for inputs of at least this many items
PROGRESS_FROM = 500


@dataclass
class Samples:
    """One side of the comparison: images (uint8, N x H x W x C), features (N x D), or a Gaussian's
    statistics (mu, sigma)."""

    name: str
    source: str
    images: np.ndarray | None = None
    features: np.ndarray | None = None
    statistics: tuple[np.ndarray, np.ndarray] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "images" if self.images is not None else "features" if self.features is not None else "statistics"

    def __len__(self) -> int:
        data = self.images if self.images is not None else self.features
        return 0 if data is None else len(data)

    def describe(self) -> str:
        if self.images is not None:
            n, h, w, c = self.images.shape
            what = f"{n} images, {h}x{w}, {c} channel{'s' if c > 1 else ''}"
        elif self.features is not None:
            what = f"{len(self.features)} feature vectors of dimension {self.features.shape[1]}"
        else:
            what = f"Gaussian statistics (mu, sigma) of dimension {len(self.statistics[0])}"
        return f"{self.source}: {what}" + "".join(f"; {note}" for note in self.notes)


def _progress(items, total: int, desc: str, show: bool):
    """``items`` with a progress bar on standard error when there are many of them."""
    if not show or total < PROGRESS_FROM:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=desc, file=sys.stderr, mininterval=1.0 if sys.stderr.isatty() else 10.0)


def _open_image(path: Path):
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
            return path, img.copy(), None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        return path, None, err


def read_folder(folder: Path, name: str, progress: bool = True, workers: int = 0) -> np.ndarray:
    """The PNG / JPEG images of a folder (sorted by name) as uint8 (N, H, W, C), decoded on
    ``workers`` threads (0: in this thread)."""

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        others = sum(1 for p in folder.iterdir())
        raise ValueError(f"{name}: the folder {folder} holds no PNG or JPEG images"
                         + (f" ({others} other entries)" if others else " (it is empty)"))
    if workers > 0:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            opened = list(_progress(pool.map(_open_image, files), len(files), f"reading {name}", progress))
    else:
        opened = [_open_image(p) for p in _progress(files, len(files), f"reading {name}", progress)]
    images = [(path, img) for path, img, err in opened if err is None]
    bad = [(path, err) for path, img, err in opened if err is not None]
    if bad:
        raise ValueError(f"{name}: {len(bad)} of {len(files)} image files in {folder} could not be read; the "
                         f"first: {bad[0][0].name} ({bad[0][1]})")
    sizes: dict[tuple[int, int], list[Path]] = {}
    for path, img in images:
        sizes.setdefault(img.size, []).append(path)
    if len(sizes) > 1:
        (s1, f1), (s2, f2) = sorted(sizes.items(), key=lambda kv: -len(kv[1]))[:2]
        raise ValueError(f"{name}: the images in {folder} are of mixed sizes: {len(f1)} are {s1[0]}x{s1[1]} "
                         f"(e.g. {f1[0].name}), {len(f2)} are {s2[0]}x{s2[1]} (e.g. {f2[0].name})"
                         + (f", and {len(sizes) - 2} more sizes" if len(sizes) > 2 else "")
                         + "; resize them to one size first")
    grey = all(img.mode in ("1", "L", "LA", "I", "I;16", "F") for _, img in images)
    mode = "L" if grey else "RGB"
    array = np.stack([np.asarray(img.convert(mode)) for _, img in images])
    return array[..., None] if grey else array


def as_images(arr: np.ndarray, name: str) -> np.ndarray:
    """An array of images as uint8 (N, H, W, C): (N, H, W), (N, H, W, C) or (N, C, H, W) with C in
    {1, 3}; uint8, or numbers in [0, 1], [-1, 1] or [0, 255]."""
    if arr.ndim == 3:
        arr = arr[..., None]
    elif arr.ndim == 4 and arr.shape[-1] not in (1, 3) and arr.shape[1] in (1, 3):
        arr = arr.transpose(0, 2, 3, 1)
    if arr.ndim != 4 or arr.shape[-1] not in (1, 3):
        raise ValueError(f"{name}: an array of shape {arr.shape} is neither images ((N, H, W), (N, H, W, C) or "
                         "(N, C, H, W) with C = 1 or 3) nor features ((N, D))")
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name}: images must be numbers, got dtype {arr.dtype}")
    x = arr.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: the images contain NaN or inf")
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0 and hi <= 1:
        x = x * 255.0
    elif lo >= -1 and hi <= 1:
        x = (x + 1.0) * 127.5
    elif not (lo >= 0 and hi <= 255):
        raise ValueError(f"{name}: image values span [{lo:.3g}, {hi:.3g}]; expected [0, 1], [-1, 1] or [0, 255]")
    return np.round(x).astype(np.uint8)


def read_array(path: Path, name: str) -> Samples:
    """A ``.npy`` / ``.npz`` file: images, features (N, D), or pytorch-fid's ``mu`` / ``sigma``."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{name}: {path} cannot be read as a numpy array ({err})") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            keys = list(data.keys())
            if "mu" in keys and "sigma" in keys:
                mu, sigma = np.asarray(data["mu"], float), np.asarray(data["sigma"], float)
                return Samples(name, str(path), statistics=(mu, sigma))
            if len(keys) != 1:
                raise ValueError(f"{name}: {path} holds {len(keys)} arrays ({', '.join(keys)}); give one array, "
                                 "or mu and sigma")
            arr = data[keys[0]]
    else:
        arr = data
    if arr.ndim == 2:
        feats = np.asarray(arr, dtype=np.float64)
        if not np.isfinite(feats).all():
            raise ValueError(f"{name}: the features in {path} contain NaN or inf")
        return Samples(name, str(path), features=feats)
    return Samples(name, str(path), images=as_images(arr, name))


def generate_from_run(run_dir: Path, name: str, samples: int, seed: int, ema: bool, *, batch_size: int = 500,
                      device: str = "cpu") -> Samples:
    """``samples`` images from the latest generator snapshot of a trainer run (the latents seeded
    as :mod:`gan.evaluate` seeds them), generated ``batch_size`` at a time on ``device``."""
    import torch

    from .config import run_config
    from .evaluate import snapshot_generators
    from .images import to_uint8
    from .models import generate

    cfg = run_config(run_dir)
    latest = None
    for latest in snapshot_generators(run_dir, cfg):  # oldest first: keep the last
        pass
    if latest is None:
        raise ValueError(f"{name}: the run {run_dir} has no generator snapshots yet (they are written with "
                         "each sample sheet)")
    step, models = latest
    if ema and "ema_" not in models:
        raise ValueError(f"{name}: the run {run_dir} kept no averaged generator (train with --ema)")
    G = models["ema_" if ema else ""]
    z = torch.randn(samples, cfg.nz, generator=torch.Generator().manual_seed(seed + 12345))
    which = "averaged generator" if ema else "generator"
    images = to_uint8(generate(G.to(device), z.to(device), batch=batch_size))
    return Samples(name, str(run_dir), images=images,
                   notes=[f"generated by the {which} of snapshot step {step}"])


#: the named references B may be given as (instead of a path)
NAMED = ("mnist",)


def mnist_reference(name: str, like: Samples | None) -> Samples:
    """``mnist``: the held-out real digits of the fixed split at the size of ``like`` (A)."""
    from .mnist import MNISTImages

    shape = like.images.shape[1:] if like is not None and like.kind == "images" else None
    if shape is None or shape[2] != 1 or shape[0] != shape[1] or shape[0] not in MNIST_SIZES:
        what = "no images" if shape is None else f"{shape[0]}x{shape[1]}x{shape[2]} images"
        hint = ("; --image-size 16, 28 or 32 resizes A" if shape is not None and shape[2] == 1 else "")
        raise ValueError(f"{name}: mnist (the held-out real digits) needs A to be one-channel square digits of "
                         f"{', '.join(map(str, MNIST_SIZES))} pixels; A is {what}{hint}")
    size = shape[0]
    held = MNISTImages(None, 32 if size == 28 else size, "heldout")
    images = held.array[:, 2:30, 2:30] if size == 28 else held.array
    return Samples(name, "mnist", images=np.ascontiguousarray(images),
                   notes=["the held-out real MNIST digits of the fixed split (gan.mnist), which no run trained on"])


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, H, W, C) images at ``size`` x ``size`` (bilinear, antialiased: as :func:`gan.mnist.to_size`;
    one-channel 28-pixel digits are padded to 32 first, as the trainer's MNIST is)."""
    import torch
    import torch.nn.functional as F

    if images.shape[1:3] == (size, size):
        return images
    if images.shape[1:] == (28, 28, 1):
        images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
        if size == 32:
            return images
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


def load(path: str | Path, name: str, *, samples: int = 2000, seed: int = 0, ema: bool = False,
         progress: bool = True, like: Samples | None = None, image_size: int | None = None,
         batch_size: int = 500, device: str = "cpu", workers: int = 0) -> Samples:
    """One side of the comparison, from any of the inputs of the module docstring (``like``: the
    other side, which a named reference takes its size from); with ``image_size`` its images
    resized to that size."""
    s = _load(path, name, samples=samples, seed=seed, ema=ema, progress=progress, like=like,
              batch_size=batch_size, device=device, workers=workers)
    if image_size is not None and s.kind == "images":
        before = s.images.shape[1:3]
        s.images = resize(s.images, image_size)
        if before != (image_size, image_size):
            s.notes.append(f"resized from {before[0]}x{before[1]} to {image_size}x{image_size}")
    return s


def _load(path, name, *, samples, seed, ema, progress, like, batch_size, device, workers) -> Samples:
    p = Path(path)
    if str(path) in NAMED and not p.exists():
        return mnist_reference(name, like)
    if not p.exists():
        hint = f" (the named references: {', '.join(NAMED)})" if name == "B" else ""
        raise ValueError(f"{name}: {p} does not exist{hint}")
    if p.is_dir():
        if (p / "config.json").is_file():
            return generate_from_run(p, name, samples, seed, ema, batch_size=batch_size, device=device)
        return Samples(name, str(p), images=read_folder(p, name, progress, workers=workers))
    if p.suffix.lower() in (".npy", ".npz"):
        return read_array(p, name)
    if p.suffix.lower() in IMAGE_SUFFIXES:
        raise ValueError(f"{name}: {p} is one image; give a folder of images")
    raise ValueError(f"{name}: {p} is neither a folder of images, a run directory, nor a .npy / .npz array")


@dataclass
class FeatureSpace:
    """How samples become features: its description, a warning when it is not validated, and
    the function."""

    description: str
    warning: str | None
    embed: object


def _pad_28(images: np.ndarray) -> np.ndarray:
    """28-pixel digits padded to 32 with the background, as :mod:`gan.mnist` does."""
    return np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0))) if images.shape[1] == 28 else images


def feature_space(a: Samples, b: Samples, choice: str = "auto", *, batch_size: int = 500,
                  device: str = "cpu") -> FeatureSpace:
    """The feature space of the comparison (see the module docstring), checked against both sides."""
    kinds = {a.kind, b.kind} - {"statistics"}
    if kinds == {"images", "features"}:
        raise ValueError("A and B: one side is images and the other features; give both as images, or both "
                         "as features of one network")
    if "images" not in kinds:
        dims = {len(s.statistics[0]) if s.kind == "statistics" else s.features.shape[1] for s in (a, b)}
        if len(dims) > 1:
            raise ValueError(f"A and B: the features have different dimensions ({', '.join(map(str, sorted(dims)))})")
        if choice not in ("auto", "given"):
            raise ValueError(f"--features {choice}: A and B are already features; leave --features at auto")
        return FeatureSpace(f"the given features ({dims.pop()}-d)", None, lambda s: s.features)
    shapes = {s.name: s.images.shape[1:] for s in (a, b) if s.kind == "images"}
    digits = all(sh[2] == 1 and sh[0] == sh[1] and sh[0] in MNIST_SIZES for sh in shapes.values())
    size = {32 if sh[0] in (28, 32) else sh[0] for sh in shapes.values()}
    if len(size if digits else set(shapes.values())) > 1:
        (na, sa), (nb, sb) = shapes.items()
        raise ValueError(f"A and B: the images differ in shape: {na} is {sa[0]}x{sa[1]}x{sa[2]}, {nb} is "
                         f"{sb[0]}x{sb[1]}x{sb[2]}; compare images of one size (--image-size N resizes both)")
    if choice == "auto":
        choice = "mnist" if digits else "pixels"
    if choice == "mnist":
        if not digits:
            raise ValueError(f"--features mnist: the MNIST feature network takes one-channel square digits of "
                             f"{', '.join(map(str, MNIST_SIZES))} pixels, not {next(iter(shapes.values()))}")
        return _mnist_space(size.pop(), batch_size, device)
    if choice == "pixels":
        h, w, c = next(iter(shapes.values()))
        if h * w * c > MAX_PIXEL_DIM:
            raise ValueError(f"--features pixels: {h}x{w}x{c} images are {h * w * c}-dimensional, too many for "
                             f"FD's covariance (at most {MAX_PIXEL_DIM}); give features as (N, D) arrays")
        warning = (f"no validated feature space ships for {h}x{w}x{c} images: these are distances between pixel "
                   "vectors, which fail the degradation checks (blurred digits rank above real ones); give "
                   "features of a network trained on your data as (N, D) arrays for quality")
        return FeatureSpace(f"pixels ({h * w * c}-d, values in [0, 1])", warning,
                            lambda s: s.images.reshape(len(s.images), -1).astype(np.float64) / 255.0)
    raise ValueError(f"--features must be auto, mnist or pixels, got {choice!r}")


def _mnist_space(size: int, batch_size: int = 500, device: str = "cpu") -> FeatureSpace:
    from .features import FEATURES, embed, load_feature_net

    net = load_feature_net(None, size)
    description = (f"the MNIST classifier's {FEATURES} features (gan.features, its {size}x{size} network, "
                   f"held-out accuracy {net.heldout_accuracy:.1%}); FD, KID and W1 validated in it on known "
                   "degradations of real digits (toys.quality_validation, at 16x16)")
    return FeatureSpace(description, None,
                        lambda s: embed(net, _pad_28(s.images), batch=batch_size, device=device)[0])


def _subsample(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return x if len(x) <= n else x[rng.choice(len(x), n, replace=False)]


def score(x, y, metrics, seed: int = 0, kid_subsets: int = 100, kid_subset_size: int = 1000) -> dict:
    """Every metric in ``metrics`` between features ``x`` and reference ``y`` (either may be a
    (mu, sigma) pair: FD only), all of ``x`` against all of ``y`` (W1, the MMD test and precision /
    recall on random subsets of at most :data:`W1_POINTS`, :data:`TEST_POINTS`, :data:`PR_POINTS`)."""
    from .quality import kid_values, precision_recall

    rng = np.random.default_rng(seed)
    stats = isinstance(x, tuple) or isinstance(y, tuple)
    out = {}
    for m in metrics:
        if m == "fd":
            out["fd"] = D.frechet_distance(x, y)
        elif stats:
            out[m] = None  # needs samples
        elif m == "kid":
            if min(len(x), len(y)) < 4:
                out["kid"] = None
                continue
            vals = kid_values(x, y, subsets=kid_subsets, size=kid_subset_size, seed=seed)
            out["kid"], out["kid_std"] = float(vals.mean()), float(vals.std())
            out["kid_se"] = float(vals.std(ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else float("nan")
            out["kid_subsets"], out["kid_subset_size"] = len(vals), int(min(kid_subset_size, len(x) // 2,
                                                                            len(y) // 2))
        elif m == "w1":
            out["w1"] = D.wasserstein(_subsample(x, W1_POINTS, rng), _subsample(y, W1_POINTS, rng))
        elif m == "mmd-test":
            stat, p = D.mmd_test(_subsample(x, TEST_POINTS, rng), _subsample(y, TEST_POINTS, rng), seed=seed)
            out["mmd2"], out["mmd_p_value"] = stat, p
        elif m == "precision-recall":
            out["precision"], out["recall"] = precision_recall(_subsample(y, PR_POINTS, rng),
                                                               _subsample(x, PR_POINTS, rng))
    return out


def _dimension(s: Samples, f) -> int:
    return len(f[0]) if isinstance(f, tuple) else f.shape[1]


def compare(a: Samples, b: Samples, metrics=METRICS, *, features: str = "auto", seed: int = 0,
            progress: bool = True, kid_subsets: int = 100, kid_subset_size: int = 1000,
            batch_size: int = 500, device: str = "cpu") -> dict:
    """The comparison of all of A with all of the reference B, and B's floor (its two halves) where
    B can be split (a dict; see the module docstring)."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"--metrics must be a comma-separated subset of {','.join(METRICS)}, got "
                         f"{','.join(metrics) if metrics else 'nothing'}")
    for s in (a, b):
        if s.kind != "statistics" and len(s) < 2:
            raise ValueError(f"{s.name}: {s.source} holds {len(s)} sample; at least 2 are needed")
    from .quality import VALIDATED_METRICS

    space = feature_space(a, b, features, batch_size=batch_size, device=device)
    fa, fb = (s.statistics if s.kind == "statistics" else _embed(space, s, progress) for s in (a, b))
    da, db = _dimension(a, fa), _dimension(b, fb)
    if da != db:
        how = {s.name: (f"{s.source} holds {d}-d statistics" if s.kind == "statistics" else
                        f"{s.source} became {d}-d features through {space.description.split(';')[0]}")
               for s, d in ((a, da), (b, db))}
        raise ValueError(f"A and B are in different feature spaces: A: {how['A']}; B: {how['B']}. Compare "
                         "statistics made in one feature space (write them with --save-stats; pytorch-fid's "
                         "are Inception's 2048-d features)")
    kw = dict(seed=seed, kid_subsets=kid_subsets, kid_subset_size=kid_subset_size)
    result = {"a": a.describe(), "b": b.describe(), "feature_space": space.description, "warning": space.warning,
              "metrics": list(metrics),
              "validated": {m: m in VALIDATED_METRICS for m in ("precision", "recall")},
              "n": None if isinstance(fa, tuple) else len(fa),
              "n_reference": None if isinstance(fb, tuple) else len(fb)}
    result["a_vs_b"] = score(fa, fb, metrics, **kw)  # all of A against all of B, as the peers compute it
    if isinstance(fb, tuple) or len(fb) < MIN_SPLIT:
        result["split"] = None
        result["floor"] = None
        result["no_floor"] = ("B is Gaussian statistics (mu, sigma): no samples to split" if isinstance(fb, tuple)
                              else f"B holds {len(fb)} samples; at least {MIN_SPLIT} are needed to split it")
        return result
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(fb))
    half = len(fb) // 2
    b1, b2 = fb[perm[:half]], fb[perm[half:]]
    n = half if isinstance(fa, tuple) else min(len(fa), half)
    result["split"] = {"n": n, "reference": len(b2)}
    result["floor"] = score(b1[:n], b2, metrics, **kw)
    return result


def save_stats(s: Samples, out: Path, *, batch_size: int = 500, device: str = "cpu", progress: bool = True) -> dict:
    """Write pytorch-fid's statistics of one side, ``mu`` and ``sigma`` (``np.cov``, rows as
    observations) of its features, to the ``.npz`` file ``out``, with ``n`` and the feature space
    beside them (pytorch-fid reads only mu and sigma); returns what was written."""
    out = Path(out)
    if out.suffix.lower() != ".npz":
        raise ValueError(f"--save-stats: the output must be a .npz file, got {out}")
    if not out.parent.is_dir():
        raise ValueError(f"--save-stats: the folder {out.parent} does not exist")
    if s.kind == "statistics":
        raise ValueError(f"{s.name}: {s.source} already holds statistics")
    if len(s) < 2:
        raise ValueError(f"{s.name}: {s.source} holds {len(s)} sample; at least 2 are needed")
    space = feature_space(s, s, "auto", batch_size=batch_size, device=device)
    f = _embed(space, s, progress)
    mu, sigma = f.mean(0), np.cov(f, rowvar=False)
    from .rundir import atomic_write_bytes
    import io

    buf = io.BytesIO()
    np.savez(buf, mu=mu, sigma=sigma, n=np.int64(len(f)), feature_space=np.str_(space.description))
    atomic_write_bytes(out, buf.getvalue())
    return {"path": str(out), "n": len(f), "dimension": len(mu), "feature_space": space.description,
            "warning": space.warning}


def _embed(space: FeatureSpace, s: Samples, progress: bool) -> np.ndarray:
    if s.kind == "images" and progress and len(s) >= PROGRESS_FROM:
        print(f"computing the features of {s.name} ({len(s)} images)", file=sys.stderr, flush=True)
    return space.embed(s)


def _cell(row: dict | None, metric: str) -> list[str]:
    if row is None:
        return ["-"] * (2 if metric in ("mmd-test", "precision-recall") else 1)
    if metric == "fd":
        return [f"{row['fd']:.4g}"]
    if row.get({"kid": "kid", "w1": "w1", "mmd-test": "mmd2", "precision-recall": "precision"}[metric]) is None:
        return ["n/a"] * (2 if metric in ("mmd-test", "precision-recall") else 1)
    if metric == "kid":
        return [f"{row['kid']:.4g} (std {row['kid_std']:.2g}, SE {row['kid_se']:.2g})"]
    if metric == "w1":
        return [f"{row['w1']:.4g}"]
    if metric == "mmd-test":
        return [f"{row['mmd2']:.4g}", f"{row['mmd_p_value']:.3g}"]
    return [f"{row['precision']:.3f}", f"{row['recall']:.3f}"]


def format_table(result: dict) -> str:
    """The comparison as text: the sources, the feature space (and its warning), one row per number."""
    mark = {m: "" if ok else " (not validated)" for m, ok in result["validated"].items()}
    labels = {"fd": ["FD"], "kid": ["KID (mean over subsets)"], "w1": ["W1 (exact, features)"],
              "mmd-test": ["MMD^2 (test statistic)", "MMD test p-value"],
              "precision-recall": [f"precision{mark['precision']}", f"recall{mark['recall']}"]}
    lines = [f"A: {result['a']}", f"B: {result['b']}", f"feature space: {result['feature_space']}"]
    if result["warning"]:
        lines.append(f"WARNING: {result['warning']}")
    split = result["split"]
    sizes = "" if result["n"] is None else f" ({result['n']} against {result['n_reference'] or 'statistics'})"
    lines.append(f"A vs B: all of A against all of B{sizes}")
    if split:
        lines.append(f"floor: B split at random, its first half ({split['n']}) against its other half "
                     f"({split['reference']}): what two samples of B's own law score at that size")
    else:
        lines.append(f"floor: none ({result.get('no_floor', 'B cannot be split')})")
    kid = result["a_vs_b"].get("kid_subsets")
    if kid:
        lines.append(f"KID: mean, standard deviation and standard error over {kid} subsets of "
                     f"{result['a_vs_b']['kid_subset_size']} a side")
    head = ("metric", "A vs B", "B vs B (floor)")
    rows = []
    for m in result["metrics"]:
        a, f = _cell(result["a_vs_b"], m), _cell(result["floor"], m) if split else ["-"] * len(labels[m])
        rows += [(label, va, vf) for label, va, vf in zip(labels[m], a, f)]
    w0 = max(len(head[0]), *(len(r[0]) for r in rows))
    w1 = max(len(head[1]), *(len(r[1]) for r in rows))
    lines.append(f"{head[0]:<{w0}}  {head[1]:>{w1}}  {head[2]}")
    lines += [f"{r[0]:<{w0}}  {r[1]:>{w1}}  {r[2]:>{len(head[2])}}" for r in rows]
    return "\n".join(lines)


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: this torch sees no CUDA device (torch.cuda.is_available() is False)")
    return name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m gan.compare", description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="A and B: folders of PNG/JPEG images, .npy/.npz arrays of images or of (N, D) features, "
               ".npz with mu and sigma (FD only), or trainer run directories; B may also be 'mnist' (the "
               "held-out real digits at A's size). B is the reference: A vs B is all of A against all of B; "
               "B's two halves give the floor. With --save-stats: python -m gan.compare --save-stats A OUT.npz. "
               "See the module's docstring (pydoc gan.compare) for the details.")
    ap.add_argument("a", help="the samples to judge")
    ap.add_argument("b", help="the reference samples (or, with --save-stats, the .npz file to write)")
    ap.add_argument("--metrics", default=",".join(METRICS),
                    help=f"comma-separated, from {','.join(METRICS)} (default: all)")
    ap.add_argument("--features", default="auto", choices=("auto", "mnist", "pixels"),
                    help="auto (default): the MNIST network for one-channel 16/28/32-pixel digits, pixels "
                         "(with a warning) for other images, the given features for (N, D) arrays")
    ap.add_argument("--save-stats", action="store_true",
                    help="write pytorch-fid's statistics (mu, sigma) of A's features to the .npz file B, and stop")
    ap.add_argument("--image-size", type=int, default=None, metavar="N",
                    help="resize the images of both sides to N x N first (28-pixel digits padded to 32 first)")
    ap.add_argument("--batch-size", type=int, default=500, help="images per batch through the networks (default 500)")
    ap.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or auto: where the networks run")
    ap.add_argument("--num-workers", type=int, default=0,
                    help="threads decoding the images of a folder (default 0: in the main thread)")
    ap.add_argument("--kid-subsets", type=int, default=100, help="KID's number of subsets (default 100, as torchmetrics)")
    ap.add_argument("--kid-subset-size", type=int, default=1000,
                    help="KID's subset size, capped at half the smaller side (default 1000, as torchmetrics)")
    ap.add_argument("--samples", type=int, default=2000, help="images generated from a run directory (default 2000)")
    ap.add_argument("--ema", action="store_true", help="generate with a run's averaged generator")
    ap.add_argument("--seed", type=int, default=0, help="seed of the latents, the split and the subsets")
    ap.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    args = ap.parse_args(argv)
    for opt, low in (("samples", 2), ("seed", 0), ("batch_size", 1), ("num_workers", 0), ("kid_subsets", 1),
                     ("kid_subset_size", 2)):
        if getattr(args, opt) < low:
            ap.error(f"--{opt.replace('_', '-')} must be at least {low}, got {getattr(args, opt)}")
    if args.image_size is not None and (args.image_size < 8 or args.image_size % 4):
        ap.error(f"--image-size must be a multiple of 4, at least 8; got {args.image_size}")
    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    try:
        device = _device(args.device)
        common = dict(samples=args.samples, ema=args.ema, image_size=args.image_size, batch_size=args.batch_size,
                      device=device, workers=args.num_workers)
        a = load(args.a, "A", seed=args.seed, **common)
        if args.save_stats:
            saved = save_stats(a, Path(args.b), batch_size=args.batch_size, device=device)
            text = (json.dumps(saved, indent=2) if args.json else
                    f"wrote {saved['path']}: mu and sigma of {saved['n']} {saved['dimension']}-d features "
                    f"({saved['feature_space']})" + (f"\nWARNING: {saved['warning']}" if saved["warning"] else ""))
        else:
            b = load(args.b, "B", seed=args.seed + 1, like=a, **common)
            result = compare(a, b, metrics, features=args.features, seed=args.seed, kid_subsets=args.kid_subsets,
                             kid_subset_size=args.kid_subset_size, batch_size=args.batch_size, device=device)
            text = json.dumps(result, indent=2) if args.json else format_table(result)
    except ValueError as err:
        ap.exit(2, f"{ap.prog}: error: {err}\n")
    from .console import emit  # a full or closed standard output: one line, exit 1

    return 0 if emit(text) else 1


if __name__ == "__main__":
    sys.exit(main())
