"""Score a run's saved generators with the feature-space quality metrics.

    python -m gan.evaluate RUN_DIR [--samples 2000] [--out RUN_DIR/evaluation.jsonl]

Every generator snapshot of the run (``snapshots/step_NNNNNNN.pt``, written with each sample
sheet) generates ``--samples`` images from the same latents, which are scored against the
held-out real digits by :class:`gan.quality.Evaluator` (FD, KID, exact W1, precision, recall,
the classifier's view; with ``--ema``, the averaged generator too, as ``ema_*``). One JSON line
per snapshot is written (atomically) to ``--out``, and a table is printed. The run's data must
have a feature network: ``--data mnist[:PATH]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterator

import torch
from torch import nn

from . import rundir
from .config import Config, run_config
from .models import build_generator, generate, output_channels
from .quality import Evaluator


def snapshots(run_dir: str | Path) -> list[Path]:
    """The run's generator snapshots, oldest first."""
    return sorted((Path(run_dir) / rundir.SNAPSHOTS).glob("step_*.pt"))


def snapshot_generators(run_dir: str | Path, cfg: Config | None = None
                        ) -> Iterator[tuple[int, dict[str, nn.Module]]]:
    """For each snapshot of the run, oldest first: (its step, {"": the generator, "ema_": its
    exponential moving average, when the run kept one}), built from the run's configuration
    (``cfg``, default: its ``config.json``)."""
    cfg = cfg or run_config(run_dir)
    for path in snapshots(run_dir):
        snap = torch.load(path, map_location="cpu", weights_only=True)
        models = {}
        for prefix, key in (("", "generator"), ("ema_", "ema")):
            if snap.get(key) is not None:
                nc = output_channels(snap[key], cfg.image_size)
                G = build_generator(cfg.generator, cfg.image_size, cfg.nz, cfg.width, cfg.mlp_hidden, nc,
                                    cfg.extra_layers)
                G.load_state_dict(snap[key])
                models[prefix] = G
        yield int(snap["step"]), models


def evaluate_run(run_dir: str | Path, samples: int = 2000, seed: int = 0, progress: bool = True) -> list[dict]:
    """One row of metrics per snapshot of the run (see the module docstring)."""
    run_dir = Path(run_dir)
    if not (run_dir / rundir.CONFIG).is_file():
        raise ValueError(f"{run_dir}: not a run directory (no {rundir.CONFIG})")
    cfg = run_config(run_dir)
    n = len(snapshots(run_dir))
    if not n:
        raise ValueError(f"{run_dir}: no generator snapshots yet (they are written with each sample sheet)")
    evaluator = Evaluator.for_data(cfg.data, cfg.image_size)
    z = torch.randn(samples, cfg.nz, generator=torch.Generator().manual_seed(seed + 12345))
    rows = []
    for i, (step, models) in enumerate(snapshot_generators(run_dir, cfg)):
        row = {"step": step}
        for prefix, G in models.items():
            row.update({prefix + k: v for k, v in evaluator.score(generate(G, z)).items()})
        rows.append(row)
        if progress:
            print(f"[{i + 1}/{n}] step {row['step']}: FD {row['fd']:.3g} KID {row['kid']:.3g} "
                  f"precision {row['precision']:.3f} recall {row['recall']:.3f} "
                  f"confident {row['confident']:.3f} classes {row['classes']}", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan.evaluate", description=__doc__.splitlines()[0],
                                 epilog="Writes one JSON line per snapshot.")
    ap.add_argument("run", help="a run directory (python -m gan.train --out)")
    ap.add_argument("--samples", type=int, default=2000, help="generated images per snapshot (default 2000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the latents (default 0)")
    ap.add_argument("--out", type=Path, help="output JSONL (default RUN_DIR/evaluation.jsonl)")
    args = ap.parse_args(argv)
    if args.samples < 2:
        ap.exit(2, f"{ap.prog}: error: --samples must be at least 2, got {args.samples}\n")
    try:
        rows = evaluate_run(args.run, args.samples, args.seed)
    except ValueError as err:
        ap.exit(2, f"{ap.prog}: error: {err}\n")
    out = args.out or Path(args.run) / "evaluation.jsonl"
    rundir.atomic_write_bytes(out, "".join(json.dumps(r) + "\n" for r in rows).encode())
    print(f"{'step':>8} {'FD':>8} {'KID':>8} {'W1':>7} {'prec':>6} {'recall':>6} {'conf':>6} {'classes':>7}")
    for r in rows:
        print(f"{r['step']:>8} {r['fd']:>8.3f} {r['kid']:>8.3f} {r['w1']:>7.3f} {r['precision']:>6.3f} "
              f"{r['recall']:>6.3f} {r['confident']:>6.3f} {r['classes']:>7}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
