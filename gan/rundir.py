"""A training run's directory: atomic writes, the metrics log, checkpoints, sample sheets.

Layout (``--out RUN_DIR``)::

    config.json          the run's configuration (written once, atomically)
    metrics.jsonl        one JSON line per generator step
    checkpoint.pt        the latest checkpoint (replaced atomically)
    samples/step_NNNNNNN.png, samples/latest.png
                         sample sheets from a fixed noise batch

Every file is written to a temporary name in the same folder and renamed into place, so a
crash leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.json"
METRICS = "metrics.jsonl"
SAMPLES = "samples"
CHECKPOINT_FORMAT = "wgan-toolkit-checkpoint-v1"


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file, then rename over ``path``."""
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint with ``weights_only=True``; a clear error if it is not one of ours."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no checkpoint at {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated, corrupt, or not a torch file
        raise ValueError(f"checkpoint {path} is corrupt or unreadable: {err}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a wgan-toolkit checkpoint (format {CHECKPOINT_FORMAT})")
    return ckpt


def write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def read_metrics(run_dir: str | os.PathLike) -> list[dict]:
    """The lines of ``metrics.jsonl`` (empty if there are none yet)."""
    path = Path(run_dir) / METRICS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_metrics(run_dir: str | os.PathLike, last_step: int) -> None:
    """Keep only the lines up to ``last_step`` (a resumed run recomputes the rest)."""
    rows = [r for r in read_metrics(run_dir) if r["step"] <= last_step]
    atomic_write_bytes(Path(run_dir) / METRICS, "".join(json.dumps(r) + "\n" for r in rows).encode())


def append_metrics(run_dir: str | os.PathLike, rows: Iterable[dict]) -> None:
    with open(Path(run_dir) / METRICS, "a") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
        fh.flush()


def image_grid(images: np.ndarray, nrow: int = 8, pad: int = 2) -> np.ndarray:
    """Tile uint8 images (N, H, W, 3) into one (rows * (H + pad) + pad, ...) sheet."""
    n, h, w, c = images.shape
    rows = -(-n // nrow)
    sheet = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), 255, np.uint8)
    for i, img in enumerate(images):
        r, k = divmod(i, nrow)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = img
    return sheet


def to_uint8(images) -> np.ndarray:
    """Tensors in [-1, 1], (N, C, H, W), to uint8 (N, H, W, C)."""
    x = images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().byte()
    return x.permute(0, 2, 3, 1).cpu().numpy()


def save_sheet(path: str | os.PathLike, images_uint8: np.ndarray, nrow: int = 8) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image_grid(images_uint8, nrow)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


def read_config(run_dir: str | os.PathLike) -> dict:
    """The run's ``config.json`` as a dict."""
    return json.loads((Path(run_dir) / CONFIG).read_text())
