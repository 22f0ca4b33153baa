"""Images as stored (uint8, (N, H, W, C), 0..255) and as the models see them (float tensors,
(N, C, H, W), in [-1, 1]): the one place that converts between the two.

The scaling is the reference implementation's ``ToTensor`` then ``Normalize(0.5, 0.5)``:
x = u / 127.5 - 1, so 0 -> -1 and 255 -> 1; back, u = round((x + 1) * 127.5) after clamping
to [-1, 1].
"""

from __future__ import annotations

import numpy as np
import torch


def to_float(images: np.ndarray | torch.Tensor, device: torch.device | str | None = None,
             dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 (N, H, W, C) (an array or a tensor) -> (N, C, H, W) in [-1, 1] on ``device``.

    The result is a permuted view of an (N, H, W, C) buffer: channels-last in memory, the fast
    convolution layout. The copy to the device is non-blocking (pinned memory overlaps it).
    """
    x = torch.from_numpy(np.asarray(images)) if isinstance(images, np.ndarray) else images
    if x.dtype != torch.uint8:
        raise ValueError(f"images must be uint8, got {x.dtype}")
    if device is not None:
        x = x.to(device, non_blocking=True)
    return x.permute(0, 3, 1, 2).to(dtype).div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Tensors in [-1, 1], (N, C, H, W), to uint8 (N, H, W, C) on the host (values clamped)."""
    x = images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().byte()
    return x.permute(0, 2, 3, 1).cpu().numpy()
