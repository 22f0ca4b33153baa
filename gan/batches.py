"""Real batches for the critic: (B, C, S, S) floats in [-1, 1] on the training device.

Two data paths, one class each, with the same ``next()`` and ``state_dict()``:

* :class:`ArrayBatches` -- a uint8 array already decoded (``prepared:``, ``mnist``): indexed
  directly, from a memory map, or from a tensor on the GPU when it fits there (then the
  epoch's order lives on the device too, and no batch waits on a host-to-device copy);
* :class:`DecodedBatches` -- a source that must be decoded (``lsun:``, ``folder:``,
  ``synthetic``): a DataLoader with worker processes. A record that fails to decode is
  replaced by the next one, reported once, and counted among the distinct bad records.

Both draw batches in the order of :class:`EpochOrder`: epoch e is the permutation of a
generator seeded with (seed, e); rank r of W takes every W-th index from r and cuts it into full
batches. The position (epoch, batch) is kept explicitly and saved in checkpoints, so a resumed
run continues with exactly the batches it would have seen.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .data import PreparedImages, close_lmdb_envs
from .images import to_float

#: A failed record is replaced by the next index; this many in a row is an error.
MAX_CONSECUTIVE_FAILURES = 64


class EpochOrder:
    """The seeded order of the batches, and the position of the next one."""

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world: int = 1,
                 epoch: int = 0, batch: int = 0):
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self.per_epoch = len(range(rank, n, world)) // batch_size
        if self.per_epoch == 0:
            raise ValueError(f"--batch-size {batch_size} is larger than the {n} images available "
                             f"to each of {world} process(es)")
        self.epoch, self.batch = epoch, batch

    def order(self, epoch: int) -> torch.Tensor:
        """This rank's indices for ``epoch``, a whole number of batches of them."""
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=g)[self.rank::self.world][: self.per_epoch * self.batch_size]

    def take(self) -> tuple[int, int]:
        """The (epoch, batch) of the next batch; advances the position."""
        pos = (self.epoch, self.batch)
        self.batch += 1
        if self.batch == self.per_epoch:
            self.epoch, self.batch = self.epoch + 1, 0
        return pos

    def batches(self, epoch: int, batch: int):
        """Index lists from a position on, for ever (a DataLoader's batch sampler)."""
        while True:
            perm = self.order(epoch)
            for b in range(batch, self.per_epoch):
                yield perm[b * self.batch_size:(b + 1) * self.batch_size].tolist()
            epoch, batch = epoch + 1, 0


class ArrayBatches:
    """Batches of an in-memory (or memory-mapped) uint8 array (N, S, S, C).

    ``on_device``: "yes" copies the array to the training device; "auto" does so on a GPU where
    it takes under 60% of the free memory; "no" indexes the host array.
    """

    def __init__(self, array: np.ndarray, batch_size: int, device: torch.device, seed: int,
                 rank: int = 0, world: int = 1, on_device: str = "auto", state: dict | None = None):
        state = state or {}
        self.device = device
        self.order = EpochOrder(len(array), batch_size, seed, rank, world,
                                state.get("epoch", 0), state.get("batch", 0))
        self.array = self._place(array, on_device)
        self._epoch_order: tuple[int, torch.Tensor] | None = None

    def _place(self, array: np.ndarray, on_device: str):
        if on_device == "no" or (on_device == "auto" and self.device.type != "cuda"):
            return array
        if on_device == "auto":
            free, _ = torch.cuda.mem_get_info(self.device)
            if array.nbytes >= 0.6 * free:
                return array
        out = torch.empty(array.shape, dtype=torch.uint8, device=self.device)
        step = max(1, (256 << 20) // max(1, array[0].nbytes))
        for i in range(0, len(array), step):  # in chunks: no second host copy of the whole set
            out[i:i + step].copy_(torch.from_numpy(np.array(array[i:i + step])))
        return out

    @property
    def on_device(self) -> bool:
        return isinstance(self.array, torch.Tensor)

    def next(self) -> torch.Tensor:
        """The next real batch, (B, C, S, S) in [-1, 1]."""
        epoch, b = self.order.take()
        if self._epoch_order is None or self._epoch_order[0] != epoch:
            order = self.order.order(epoch)
            if self.on_device:
                order = order.to(self.device, non_blocking=True)
            self._epoch_order = (epoch, order)
        B = self.order.batch_size
        idx = self._epoch_order[1][b * B:(b + 1) * B]
        x = self.array[idx] if self.on_device else torch.from_numpy(self.array[idx.numpy()])
        return to_float(x, self.device)

    def state_dict(self) -> dict:
        return {"epoch": self.order.epoch, "batch": self.order.batch}


class _Decoded(torch.utils.data.Dataset):
    """Images as uint8 tensors; a record that fails to decode is replaced by the next one."""

    def __init__(self, source):
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int):
        for k in range(MAX_CONSECUTIVE_FAILURES):
            j = (i + k) % len(self.source)
            img = self.source[j]
            if img is not None:
                return torch.from_numpy(np.ascontiguousarray(img)), [(i + m) % len(self.source) for m in range(k)]
        raise RuntimeError(f"{MAX_CONSECUTIVE_FAILURES} consecutive records from index {i} "
                           "failed to decode; is this an image database?")


def _collate(items):
    images, bad = zip(*items)
    return torch.stack(images), [j for b in bad for j in b]


class DecodedBatches:
    """Batches decoded on the fly by a DataLoader with ``workers`` processes.

    ``bad_records`` holds the distinct indices that failed to decode; each is reported once
    (a warning) when first met, and they are kept in the checkpoint.
    """

    def __init__(self, source, batch_size: int, device: torch.device, seed: int, rank: int = 0,
                 world: int = 1, workers: int = 2, state: dict | None = None, name: str = "data"):
        state = state or {}
        self.source, self.device, self.workers, self.name = source, device, workers, name
        self.order = EpochOrder(len(source), batch_size, seed, rank, world,
                                state.get("epoch", 0), state.get("batch", 0))
        self.bad_records: set[int] = set(state.get("bad_records", []))
        self._it = None

    def _loader(self):
        if self.workers:
            close_lmdb_envs()  # the workers open their own
        return iter(torch.utils.data.DataLoader(
            _Decoded(self.source), batch_sampler=self.order.batches(self.order.epoch, self.order.batch),
            collate_fn=_collate, num_workers=self.workers, pin_memory=self.device.type == "cuda",
            prefetch_factor=4 if self.workers else None, persistent_workers=False,
            # its own generator: seeding the workers must not draw from the global RNG, or a
            # resumed run (which makes a new loader) would see other noise
            generator=torch.Generator().manual_seed(0)))

    def next(self) -> torch.Tensor:
        if self._it is None:
            self._it = self._loader()
        images, bad = next(self._it)
        self.order.take()
        new = sorted(set(bad) - self.bad_records)
        if new:
            self.bad_records.update(new)
            warnings.warn(f"{self.name}: record(s) {new} could not be decoded and are skipped "
                          f"({len(self.bad_records)} bad record(s) so far)", RuntimeWarning, stacklevel=2)
        return to_float(images, self.device)

    def state_dict(self) -> dict:
        return {"epoch": self.order.epoch, "batch": self.order.batch, "bad_records": sorted(self.bad_records)}


def open_batches(source, batch_size: int, device: torch.device, seed: int, rank: int = 0,
                 world: int = 1, workers: int = 2, on_device: str = "auto", state: dict | None = None,
                 name: str = "data"):
    """The data path for a source: :class:`ArrayBatches` when it is already an array
    (``prepared:``, ``mnist``), :class:`DecodedBatches` otherwise."""
    array = getattr(source, "array", None)
    if isinstance(source, PreparedImages) or array is not None:
        return ArrayBatches(array, batch_size, device, seed, rank, world, on_device, state)
    return DecodedBatches(source, batch_size, device, seed, rank, world, workers, state, name)
