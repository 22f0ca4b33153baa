"""Real images for the trainer: LSUN's LMDB, a folder, a synthetic set, a prepared array.

``--data`` takes one of

* ``lsun:PATH`` -- an LSUN LMDB as distributed (e.g. ``bedroom_train_lmdb``): keys are
  40-character hex strings, values are encoded images (WebP or JPEG), decoded by sniffing
  with Pillow. Opened read-only and lock-free; the key list is cached in the user cache
  directory (``$XDG_CACHE_HOME/wgan-toolkit`` or ``~/.cache/wgan-toolkit``), never in the
  working directory. A record that fails to decode is skipped and counted.
* ``folder:PATH`` -- every image file under PATH, in sorted order.
* ``synthetic`` or ``synthetic:N`` -- N (default 10000) procedurally drawn room scenes
  (wall, floor, window, bed, lamp): deterministic, structured, for demos and tests.
* ``prepared:PATH`` -- a uint8 array (N, S, S, 3) in a ``.npy`` file, made once by
  ``python -m gan.data prepare SOURCE OUT --image-size S`` and read by memory map (or moved
  to the GPU when it fits), so that training never waits for JPEG/WebP decoding.

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
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from PIL import Image, ImageDraw

from .rundir import atomic_write_bytes

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
SYNTHETIC_DEFAULT = 10_000
#: A failed record is replaced by the next index; this many in a row is an error.
MAX_CONSECUTIVE_FAILURES = 64


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
        cache = Path(cache_dir) if cache_dir else default_cache_dir() / "lsun-keys"
        path = cache / f"{self.path.name}-{digest}.npy"
        if path.is_file():
            return np.load(path)
        with env.begin(write=False) as txn:
            keys = [k for k in txn.cursor().iternext(keys=True, values=False)]
        arr = np.array(keys, dtype=f"S{max(len(k) for k in keys)}")
        try:
            buf = io.BytesIO()
            np.save(buf, arr)
            atomic_write_bytes(path, buf.getvalue())
        except OSError:  # a read-only cache is not fatal: the keys are in memory
            pass
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

    def __init__(self, root: str | os.PathLike, size: int):
        self.root, self.size = Path(root).expanduser(), size
        if not self.root.is_dir():
            raise ValueError(f"--data folder:{root}: not a directory")
        self.files = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
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

    def __init__(self, n: int, size: int, seed: int = 0):
        if n <= 0:
            raise ValueError(f"--data synthetic:{n}: the number of images must be positive")
        self.n, self.size, self.seed = n, size, seed

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        return synthetic_scene(i, self.size, self.seed)


class PreparedImages:
    """A uint8 array (N, S, S, 3) in a .npy file, read by memory map."""

    def __init__(self, path: str | os.PathLike, size: int | None = None):
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise ValueError(f"--data prepared:{path}: no such file")
        try:
            self.array = np.load(self.path, mmap_mode="r")
        except (ValueError, OSError) as err:
            raise ValueError(f"--data prepared:{path}: not a .npy array ({err})") from None
        a = self.array
        if a.dtype != np.uint8 or a.ndim != 4 or a.shape[3] != 3 or a.shape[1] != a.shape[2]:
            raise ValueError(f"--data prepared:{path}: expected uint8 (N, S, S, 3), got {a.dtype} {a.shape}")
        if len(a) == 0:
            raise ValueError(f"--data prepared:{path}: the array holds no images")
        self.size = a.shape[1]
        if size is not None and size != self.size:
            raise ValueError(f"--data prepared:{path} holds {self.size}x{self.size} images, "
                             f"but --image-size is {size}; prepare it again with --image-size {size}")

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> np.ndarray:
        return np.array(self.array[i])


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wgan-toolkit"


def open_source(spec: str, image_size: int, seed: int = 0, cache_dir=None):
    """Open a ``--data`` source: ``lsun:PATH``, ``folder:PATH``, ``synthetic[:N]``, ``prepared:PATH``."""
    if not spec:
        raise ValueError("--data is required: lsun:PATH, folder:PATH, prepared:PATH or synthetic")
    kind, _, arg = spec.partition(":")
    if kind == "lsun" and arg:
        return LMDBImages(arg, image_size, cache_dir)
    if kind == "folder" and arg:
        return FolderImages(arg, image_size)
    if kind == "prepared" and arg:
        return PreparedImages(arg, image_size)
    if kind == "synthetic":
        try:
            n = int(arg) if arg else SYNTHETIC_DEFAULT
        except ValueError:
            raise ValueError(f"--data {spec}: synthetic takes a number of images, synthetic:N") from None
        return SyntheticImages(n, image_size, seed)
    raise ValueError(f"--data {spec!r}: expected lsun:PATH, folder:PATH, prepared:PATH or synthetic[:N]")


# --------------------------------------------------------------------------- order


class EpochBatchSampler:
    """Batches of indices in a seeded per-epoch order, each rank its own shard.

    Epoch e uses the permutation ``randperm(n)`` of a generator seeded with (seed, e); rank r
    of W takes ``perm[r::W]`` and cuts it into full batches. The position is (epoch, batch),
    so a resumed run continues with exactly the batches it would have seen.
    """

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world: int = 1,
                 epoch: int = 0, batch: int = 0):
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self.per_epoch = (len(range(rank, n, world))) // batch_size
        if self.per_epoch == 0:
            raise ValueError(f"--batch-size {batch_size} is larger than the {n} images available "
                             f"to each of {world} process(es)")
        self.epoch, self.batch = epoch, batch

    def order(self, epoch: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=g)[self.rank::self.world]

    def __iter__(self) -> Iterator[list[int]]:
        epoch, batch = self.epoch, self.batch
        while True:
            perm = self.order(epoch)
            for b in range(batch, self.per_epoch):
                yield perm[b * self.batch_size:(b + 1) * self.batch_size].tolist()
            epoch, batch = epoch + 1, 0


class _Decoded(torch.utils.data.Dataset):
    """Images as uint8 tensors; a record that fails to decode is replaced by the next one."""

    def __init__(self, source):
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int):
        for k in range(MAX_CONSECUTIVE_FAILURES):
            img = self.source[(i + k) % len(self.source)]
            if img is not None:
                return torch.from_numpy(np.ascontiguousarray(img)), k
        raise RuntimeError(f"{MAX_CONSECUTIVE_FAILURES} consecutive records from index {i} "
                           "failed to decode; is this an image database?")


def _collate(items):
    images, fails = zip(*items)
    return torch.stack(images), sum(fails)


class RealBatches:
    """Real batches for the critic: (B, 3, S, S) floats in [-1, 1] on the training device.

    A prepared array is indexed directly (on the GPU, once moved there, when it fits); other
    sources are decoded by a DataLoader with ``workers`` processes. ``state_dict`` holds the
    position and the count of records that failed to decode.
    """

    def __init__(self, source, batch_size: int, device: torch.device, seed: int, rank: int = 0,
                 world: int = 1, workers: int = 2, on_device: str = "auto",
                 state: dict | None = None):
        state = state or {}
        self.source, self.device = source, device
        self.sampler = EpochBatchSampler(len(source), batch_size, seed, rank, world,
                                         state.get("epoch", 0), state.get("batch", 0))
        self.decode_failures = int(state.get("decode_failures", 0))
        self.array = None
        self._it = None
        self._order = None  # (epoch, that epoch's order on the device)
        self._consumed = 0
        if isinstance(source, PreparedImages):
            self.array = self._place(source.array, on_device)
        else:
            self._loader_workers = workers

    def _place(self, array: np.ndarray, on_device: str):
        """The array as a tensor on the device (always with "yes"; with "auto", on a GPU where
        it takes under 60% of the free memory), else the memory map itself."""
        if on_device == "no" or (on_device == "auto" and self.device.type != "cuda"):
            return array
        fits = True
        if self.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.device)
            fits = array.nbytes < 0.6 * free
        if on_device == "yes" or fits:
            out = torch.empty(array.shape, dtype=torch.uint8, device=self.device)
            step = max(1, (256 << 20) // max(1, array[0].nbytes))
            with warnings.catch_warnings():  # the read-only map is only read, into `out`
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                for i in range(0, len(array), step):  # in chunks: no second host copy of the set
                    out[i:i + step].copy_(torch.from_numpy(np.ascontiguousarray(array[i:i + step])))
            return out
        return array

    @property
    def on_device(self) -> bool:
        return isinstance(self.array, torch.Tensor)

    def _position(self) -> tuple[int, int]:
        """(epoch, batch within it) of the next batch to be consumed."""
        done = self.sampler.batch + self._consumed
        return self.sampler.epoch + done // self.sampler.per_epoch, done % self.sampler.per_epoch

    def _next_on_device(self) -> torch.Tensor:
        """A batch of the device-resident array: the epoch's order is copied to the device once
        per epoch and sliced there, so no batch waits on a host-to-device copy."""
        smp, B = self.sampler, self.sampler.batch_size
        epoch, b = self._position()
        if self._order is None or self._order[0] != epoch:
            order = smp.order(epoch)[: smp.per_epoch * B]
            if self.device.type == "cuda":
                order = order.pin_memory()
            self._order = (epoch, order.to(self.device, non_blocking=True))
        return self.array[self._order[1][b * B:(b + 1) * B]]

    def _next_uint8(self) -> torch.Tensor:
        if self.on_device:
            return self._next_on_device()
        if self.array is not None:
            if self._it is None:
                self._it = iter(self.sampler)
            return torch.from_numpy(self.array[next(self._it)])
        if self._it is None:
            if self._loader_workers:
                close_lmdb_envs()  # the workers open their own
            loader = torch.utils.data.DataLoader(
                _Decoded(self.source), batch_sampler=iter(self.sampler), collate_fn=_collate,
                num_workers=self._loader_workers, pin_memory=self.device.type == "cuda",
                prefetch_factor=4 if self._loader_workers else None,
                persistent_workers=False, generator=torch.Generator().manual_seed(0),
            )
            self._it = iter(loader)
        images, fails = next(self._it)
        self.decode_failures += int(fails)
        return images

    def next(self) -> torch.Tensor:
        """The next real batch, (B, 3, S, S) in [-1, 1], channels-last in memory."""
        x = self._next_uint8()
        self._consumed += 1
        x = x.to(self.device, non_blocking=True)
        return x.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)

    def state_dict(self) -> dict:
        epoch, batch = self._position()
        return {"epoch": epoch, "batch": batch, "decode_failures": self.decode_failures}


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
    """Decode and resize a source once into a uint8 (N, S, S, 3) ``.npy`` at ``out``.

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
    arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, image_size, image_size, 3))
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
        _shrink_npy(tmp, (written, image_size, image_size, 3))
    os.replace(tmp, out)
    meta = {"source": spec, "image_size": image_size, "images": written, "decode_failures": failures}
    atomic_write_bytes(Path(f"{out}.json"), (json.dumps(meta, indent=1) + "\n").encode())
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m gan.data", description="Data tools for the trainer.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="decode and resize a source once into a uint8 .npy")
    p.add_argument("source", help="lsun:PATH, folder:PATH or synthetic[:N]")
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
