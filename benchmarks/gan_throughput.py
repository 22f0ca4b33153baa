"""Generator steps per second of the trainer against the reference loop, on the same data path.

    python -m benchmarks.gan_throughput [--device auto|cpu|cuda] [--steps N] [--precision fp32 bf16]

Two separate comparisons, in one process, on one device, with every thread pool fixed and
printed (the CPU model too):

1. **The loop** (Algorithm 1: DCGAN generator and critic, WGAN, n_critic = 5, steady state, the
   100-step schedule off on both sides). Both sides draw their real batches from the *same*
   object, the trainer's prepared-array source, so only the training loop differs:

   * the peer re-implements the reference ``main.py`` (martinarjovsky/WassersteinGAN): fp32,
     contiguous tensors, every critic parameter clamped one by one, two backward passes per
     critic step, fakes generated without gradient, a ``.item()`` every generator step;
   * the trainer's step (:func:`gan.algorithm.iteration`, as ``gan.train`` calls it):
     channels-last memory, fused clamping, one metrics transfer every ``log_every`` steps,
     bf16 autocast with ``--precision bf16``.

   The steps are timed in interleaved blocks (peer, trainer, peer, ...) after a warm-up; the
   ratio is reported as the median over blocks with its range.
2. **The data path**: real batches per second of the reference's DataLoader (JPEG files decoded
   and transformed image by image with PIL, ``--workers`` processes) against the trainer's
   prepared array, with the one-off preparation time (``python -m gan.data prepare``) and the
   number of batches after which preparing has paid for itself.

``--bf16`` on a CPU without native bf16 units is emulated, 10-50x slower: the CPU run measures
fp32 only unless ``--precision bf16`` is asked for (and then says so).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from gan.algorithm import iteration
from gan.data import prepare, synthetic_scene
from gan.distributed import bf16_warning
from gan.models import build_critic, build_generator
from gan.train import Config, Pending, build, flush

from .common import fixed_threads, machine_line


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


def reference_step(real, device: torch.device, batch: int, size: int, nc: int = 3):
    """One generator step of the reference ``main.py`` (after its first 25), as a closure."""
    torch.manual_seed(0)
    netG = build_generator("dcgan", size, nc=nc).to(device)
    netD = build_critic("dcgan", size, nc=nc).to(device)
    optD = torch.optim.RMSprop(netD.parameters(), lr=5e-5)
    optG = torch.optim.RMSprop(netG.parameters(), lr=5e-5)
    noise = torch.empty(batch, 100, device=device)

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

    return gen_step


def trainer_run(prepared: Path, device: torch.device, batch: int, size: int, compile: bool,
                bf16: bool, out: Path):
    """The trainer's run on the prepared array, and one of its generator steps as a closure."""
    cfg = Config(data=f"prepared:{prepared}", image_size=size, batch_size=batch, out=str(out),
                 reference_schedule=False, device=device.type, bf16=bf16, compile=compile,
                 workers=0, generator_steps=10**9).resolved()
    out.mkdir(parents=True, exist_ok=True)
    run = build(cfg)

    def iterate() -> tuple[torch.Tensor, torch.Tensor]:
        stats = iteration(run.players, run.data.next, run.noise, 5, run.amp)
        return stats.critic, stats.loss_g
    return run, metered(run, iterate)


def metered(run, iterate, n_critic: int = 5):
    """A generator step as ``gan.train.train`` takes it: ``iterate()`` (one iteration, returning
    the critic statistic and the generator loss as device tensors), then the metrics kept on the
    device and gathered with one transfer every ``log_every`` steps."""
    def gen_step() -> None:
        critic, loss_g = iterate()
        run.step += 1
        run.pending.append(Pending(run.step, 0, n_critic, torch.stack([critic, critic, loss_g])))
        if run.step % run.cfg.log_every == 0:
            flush(run, 1.0)
    return gen_step


def _seconds(step, device: torch.device, n: int) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def interleaved_rates(steps: dict, device: torch.device, total: int, warmup: int, blocks: int) -> dict:
    """Steps per second of each closure, timed in interleaved blocks after ``warmup`` steps each:
    ``{name: [rate per block]}``."""
    for name, step in steps.items():
        print(f"warm-up: {name}, {warmup} steps", file=sys.stderr, flush=True)
        _seconds(step, device, warmup)
    per = max(1, total // blocks)
    rates: dict[str, list[float]] = {k: [] for k in steps}
    for b in range(blocks):
        for name, step in steps.items():
            rates[name].append(per / _seconds(step, device, per))
        print(f"block {b + 1}/{blocks}: " + ", ".join(f"{k} {v[-1]:.3f} steps/s" for k, v in rates.items()),
              file=sys.stderr, flush=True)  # progress: a CPU run takes minutes
    return rates


def data_path(folder: Path, prepared: Path, run, device: torch.device, batch: int, size: int,
              workers: int, batches: int) -> dict:
    """Real batches per second: the reference's DataLoader against the trainer's prepared array."""
    loader = DataLoader(ReferenceFolder(folder, size), batch_size=batch, shuffle=True,
                        num_workers=workers, drop_last=True, pin_memory=device.type == "cuda",
                        persistent_workers=workers > 0)
    it = iter(loader)

    def ref_next():
        nonlocal it
        try:
            return next(it).to(device)
        except StopIteration:
            it = iter(loader)
            return next(it).to(device)

    ref_next()  # start the workers
    t_ref = _seconds(ref_next, device, batches)
    run.data.next()
    t_ours = _seconds(run.data.next, device, batches)
    return {"batches": batches, "reference_batches_per_sec": batches / t_ref,
            "trainer_batches_per_sec": batches / t_ours}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--steps", type=int, default=None, help="timed generator steps per side (default 20 CPU, 200 GPU)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps per side first (default 2 CPU, 20 GPU)")
    ap.add_argument("--blocks", type=int, default=4, help="interleaved timing blocks")
    ap.add_argument("--precision", nargs="+", choices=["fp32", "bf16"], default=None,
                    help="the trainer's precisions (default fp32 on the CPU, fp32 and bf16 on a GPU)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads of every pool")
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers of the reference data path")
    ap.add_argument("--compile", action="store_true", help="torch.compile the trainer's models")
    args = ap.parse_args(argv)
    for name in ("steps", "warmup", "blocks", "threads", "images", "batch_size", "image_size"):
        v = getattr(args, name)
        if v is not None and (v < 0 or (v == 0 and name != "warmup")):
            ap.error(f"--{name.replace('_', '-')} must be positive, got {v}")
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    steps = args.steps or (200 if cuda else 20)
    warmup = args.warmup if args.warmup is not None else (20 if cuda else 2)
    precisions = args.precision or (["fp32", "bf16"] if cuda else ["fp32"])
    if "bf16" in precisions and bf16_warning(device, True):
        print(f"warning: {bf16_warning(device, True)}")
    with fixed_threads(args.threads), tempfile.TemporaryDirectory() as tmp:
        print(machine_line())
        tmp = Path(tmp)
        folder = make_jpeg_folder(tmp / "jpeg", args.images)
        prepared = tmp / "prepared.npy"
        t0 = time.perf_counter()
        prepare(f"folder:{folder}", prepared, args.image_size, workers=args.workers, progress=False)
        prep_seconds = time.perf_counter() - t0
        loops, runs = {}, {}
        for precision in precisions:
            run, ours = trainer_run(prepared, device, args.batch_size, args.image_size, args.compile,
                                    precision == "bf16", tmp / precision)
            runs[precision] = run
            loops[f"trainer {precision}"] = ours
        real = runs[precisions[0]].data.next  # the same data object for the peer
        loops = {"reference fp32": reference_step(real, device, args.batch_size, args.image_size), **loops}
        rates = interleaved_rates(loops, device, steps, warmup, args.blocks)
        data = data_path(folder, prepared, runs[precisions[0]], device, args.batch_size,
                         args.image_size, args.workers, batches=max(20, steps))
        for run in runs.values():
            run.close()
    name = torch.cuda.get_device_name(device) if cuda else "CPU"
    ref = rates["reference fp32"]
    ratios = {k: [o / r for o, r in zip(v, ref)] for k, v in rates.items() if k != "reference fp32"}
    gain = data["trainer_batches_per_sec"] / data["reference_batches_per_sec"]
    saved_per_batch = 1 / data["reference_batches_per_sec"] - 1 / data["trainer_batches_per_sec"]
    result = {"device": name, "torch": torch.__version__, "threads": args.threads, "steps": steps,
              "warmup": warmup, "blocks": args.blocks, "batch_size": args.batch_size,
              "image_size": args.image_size, "compile": args.compile,
              "steps_per_sec": {k: statistics.median(v) for k, v in rates.items()},
              "ratio": {k: statistics.median(v) for k, v in ratios.items()},
              "ratio_range": {k: [min(v), max(v)] for k, v in ratios.items()},
              "data_path": {**data, "gain": gain, "prepare_seconds": prep_seconds,
                            "break_even_batches": prep_seconds / saved_per_batch if saved_per_batch > 0 else None}}
    print(f"device {name}: WGAN, DCGAN G and critic, batch {args.batch_size}, {args.image_size}x{args.image_size}, "
          f"n_critic 5; {steps} timed generator steps per side in {args.blocks} interleaved blocks after "
          f"{warmup} warm-up; both sides read the same prepared array")
    print(f"  reference loop (fp32):   {statistics.median(ref):8.3f} generator steps/s")
    for k in ratios:
        lo, hi = result["ratio_range"][k]
        print(f"  {k + ':':24s} {result['steps_per_sec'][k]:8.3f} generator steps/s   ratio "
              f"{result['ratio'][k]:.2f} ({lo:.2f}-{hi:.2f})")
    print(f"data path, {data['batches']} batches: reference DataLoader (JPEG, {args.workers} workers) "
          f"{data['reference_batches_per_sec']:.1f} batches/s, prepared array "
          f"{data['trainer_batches_per_sec']:.1f} batches/s ({gain:.1f}x); preparing {args.images} "
          f"images took {prep_seconds:.1f} s", end="")
    be = result["data_path"]["break_even_batches"]
    print(f", repaid after {be:.0f} batches" if be is not None else "")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
