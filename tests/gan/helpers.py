"""Tiny datasets in the real layouts, and tiny trainer configs."""

import hashlib
import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from gan import rundir
from gan.data import synthetic_scene
from gan.train import Config, train


def make_lsun_lmdb(path: Path, n: int = 24, corrupt=(5,), empty: int = 1) -> Path:
    """An LMDB in LSUN's layout: 40-hex-character keys, encoded images (JPEG, WebP, PNG),
    some records that are not images and some empty values."""
    import lmdb

    env = lmdb.open(str(path), map_size=1 << 27)
    with env.begin(write=True) as txn:
        for i in range(n):
            img = Image.fromarray(synthetic_scene(i, 80)).resize((96, 80))  # not square
            buf = io.BytesIO()
            img.save(buf, format=("JPEG", "WEBP", "PNG")[i % 3])
            value = b"\x00garbage, not an image" if i in corrupt else buf.getvalue()
            txn.put(hashlib.sha1(f"img{i}".encode()).hexdigest().encode(), value)
        for j in range(empty):
            txn.put(hashlib.sha1(f"empty{j}".encode()).hexdigest().encode(), b"")
    env.close()
    return path


def write_idx(folder: Path, images: np.ndarray, labels: np.ndarray, gz: bool = False) -> Path:
    """MNIST's IDX files (LeCun's format) for the given uint8 images (N, 28, 28) and labels."""
    import gzip

    folder.mkdir(parents=True, exist_ok=True)
    img = (0x0803).to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in images.shape)
    lab = (0x0801).to_bytes(4, "big") + len(labels).to_bytes(4, "big")
    for name, data in (("train-images-idx3-ubyte", img + images.astype(np.uint8).tobytes()),
                       ("train-labels-idx1-ubyte", lab + labels.astype(np.uint8).tobytes())):
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


#: the device of the tiny runs: cpu, or cuda under benchmarks/gpu.py (WGAN_TEST_DEVICE=cuda)
DEVICE = os.environ.get("WGAN_TEST_DEVICE", "cpu")


def tiny(out, **kw) -> Config:
    """A configuration that trains in about a second on the CPU (on ``DEVICE``)."""
    base = dict(data="synthetic:64", image_size=16, width=8, mlp_hidden=32, nz=8, batch_size=8,
                generator_steps=4, reference_schedule=False, n_critic=2, workers=0, device=DEVICE,
                out=str(out), log_every=2, sample_every=100, checkpoint_every=100)
    base.update(kw)
    return Config(**base)


def run_tiny(out, **kw) -> list[dict]:
    """Train a tiny run in ``out``; returns its metrics rows."""
    train(tiny(out, **kw), progress=False)
    return rundir.read_metrics(out)
