"""Generator steps per second of the trainer against the reference implementation's approach.

    python -m benchmarks.gan_throughput [--device auto|cpu|cuda] [--steps N] [--compile]

Both sides train the same DCGAN generator and critic (WGAN, n_critic = 5, steady state: the
100-step critic schedule is off for both) on the same images, in the same process, on the
same device:

* the peer re-implements the reference code's approach (martinarjovsky/WassersteinGAN,
  ``main.py``): JPEG files decoded and transformed image by image with PIL in a DataLoader
  (Resize, CenterCrop, ToTensor, Normalize), fp32, contiguous tensors, every critic
  parameter clamped one by one, fakes generated without gradient;
* the trainer (``gan.train.Trainer``) reads the same images once prepared as a uint8 array
  (``python -m gan.data prepare``, not timed: it is done once per dataset), kept on the GPU
  when it fits, with channels-last memory, bf16 autocast on the GPU, fused clamping, and no
  host synchronisation in the critic loop.

Prints both rates and their ratio (the trainer's over the peer's).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from gan.data import prepare, synthetic_scene
from gan.models import build_critic, build_generator
from gan.algorithm import iteration
from gan.train import Config, Pending, build, flush


def make_jpeg_folder(folder: Path, n: int) -> Path:
    """n JPEG room scenes of 96 x 80 pixels (larger than 64 and not square, as LSUN's are)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(synthetic_scene(i, 96)).resize((96, 80)).save(folder / f"{i:06d}.jpg", quality=90)
    return folder


class ReferenceFolder(Dataset):
    """Per-image PIL transforms, as torchvision's Resize / CenterCrop / ToTensor / Normalize."""

    def __init__(self, folder: Path, size: int):
        self.files, self.size = sorted(folder.glob("*.jpg")), size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        img = Image.open(self.files[i]).convert("RGB")
        w, h = img.size
        s = self.size
        img = img.resize((s, int(s * h / w)) if w <= h else (int(s * w / h), s), Image.BILINEAR)
        w, h = img.size
        left, top = int(round((w - s) / 2.0)), int(round((h - s) / 2.0))
        img = img.crop((left, top, left + s, top + s))
        x = torch.from_numpy(np.array(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (x - 0.5) / 0.5


def reference_loop(folder: Path, device: torch.device, steps: int, warmup: int, batch: int,
                   size: int, workers: int) -> float:
    """Generator steps per second of the reference approach."""
    torch.manual_seed(0)
    loader = DataLoader(ReferenceFolder(folder, size), batch_size=batch, shuffle=True,
                        num_workers=workers, drop_last=True, pin_memory=device.type == "cuda")
    netG = build_generator("dcgan", size).to(device)
    netD = build_critic("dcgan", size).to(device)
    optD = torch.optim.RMSprop(netD.parameters(), lr=5e-5)
    optG = torch.optim.RMSprop(netG.parameters(), lr=5e-5)
    noise = torch.empty(batch, 100, device=device)
    it = iter(loader)

    def real() -> torch.Tensor:
        nonlocal it
        try:
            return next(it).to(device)
        except StopIteration:
            it = iter(loader)
            return next(it).to(device)

    def gen_step() -> None:
        for p in netD.parameters():
            p.requires_grad = True
        for _ in range(5):
            for p in netD.parameters():
                p.data.clamp_(-0.01, 0.01)
            netD.zero_grad()
            err_real = netD(real()).mean()
            err_real.backward()
            with torch.no_grad():
                fake = netG(noise.normal_(0, 1))
            err_fake = netD(fake).mean()
            (-err_fake).backward()
            optD.step()
        for p in netD.parameters():
            p.requires_grad = False
        netG.zero_grad()
        err_g = netD(netG(noise.normal_(0, 1))).mean()
        err_g.backward()
        optG.step()
        err_g.item()  # the reference prints its losses every step

    return _rate(gen_step, device, steps, warmup)


def trainer_loop(prepared: Path, device: torch.device, steps: int, warmup: int, batch: int,
                 size: int, workers: int, compile: bool, bf16: bool, out: Path) -> float:
    cfg = Config(data=f"prepared:{prepared}", image_size=size, batch_size=batch, out=str(out),
                 reference_schedule=False, device=device.type, bf16=bf16,
                 compile=compile, workers=workers, generator_steps=10**9).resolved()
    out.mkdir(parents=True, exist_ok=True)
    run = build(cfg)

    def gen_step() -> None:  # as gan.train.train: one metrics transfer every log_every steps
        stats = iteration(run.players, run.data.next, run.noise, 5, run.amp)
        run.step += 1
        run.pending.append(Pending(run.step, 0, 5, torch.stack([stats.critic, stats.critic, stats.loss_g])))
        if run.step % cfg.log_every == 0:
            flush(run, 1.0)
    return _rate(gen_step, device, steps, warmup)


def _rate(step, device: torch.device, steps: int, warmup: int) -> float:
    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return steps / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--steps", type=int, default=None, help="measured generator steps (default 5 CPU, 200 GPU)")
    ap.add_argument("--warmup", type=int, default=None, help="default 1 CPU, 20 GPU")
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers of the peer")
    ap.add_argument("--compile", action="store_true", help="torch.compile the trainer's models")
    args = ap.parse_args(argv)
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    steps = args.steps or (200 if cuda else 5)
    warmup = args.warmup if args.warmup is not None else (20 if cuda else 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = make_jpeg_folder(tmp / "jpeg", args.images)
        prepared = tmp / "prepared.npy"
        prepare(f"folder:{folder}", prepared, args.image_size, workers=args.workers, progress=False)
        ref = reference_loop(folder, device, steps, warmup, args.batch_size, args.image_size, args.workers)
        ours = {
            precision: trainer_loop(prepared, device, steps, warmup, args.batch_size, args.image_size,
                                    args.workers, args.compile, precision == "bf16", tmp / precision)
            for precision in ("fp32", "bf16")
        }
    name = torch.cuda.get_device_name(device) if cuda else "CPU"
    result = {"device": name, "steps": steps, "batch_size": args.batch_size,
              "image_size": args.image_size, "compile": args.compile,
              "reference_steps_per_sec": ref, "trainer_steps_per_sec": ours,
              "ratio": {k: v / ref for k, v in ours.items()}}
    print(f"device {name}: DCGAN WGAN, batch {args.batch_size}, {args.image_size}x{args.image_size}, "
          f"n_critic 5, {steps} generator steps after {warmup} warm-up")
    print(f"  reference approach (fp32):  {ref:8.3f} generator steps/s")
    for k, v in ours.items():
        flag = " --bf16" if k == "bf16" else ""
        print(f"  this trainer ({k}{flag}): {v:8.3f} generator steps/s   ratio {v / ref:.2f}")
    print("  target: ratio >= 1.0 on the CPU, >= 3 on a GPU")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
