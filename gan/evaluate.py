"""Score a run's saved generators with the feature-space quality metrics.

    python -m gan.evaluate RUN_DIR [--samples 2000] [--out RUN_DIR/evaluation.jsonl]

Every generator snapshot of the run (``snapshots/step_NNNNNNN.pt``, written with each sample
sheet) generates ``--samples`` images from the same latents, which are scored against the
held-out real digits by :class:`gan.quality.Evaluator` (FD, KID, exact W1, precision, recall,
the classifier's view; with ``--ema``, the averaged generator too, as ``ema_*``). One JSON line
per snapshot is written (atomically) to ``--out``, and a table is printed (the EMA generator
on its own line). A snapshot that cannot be read is reported and skipped. The run's data must
have a feature network: ``--data mnist[:PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Iterator

import torch
from torch import nn

from . import rundir
from .config import Config, run_config
from .console import emit, one_line_warnings
from .models import build_generator, generate, output_channels
from .quality import Evaluator


def snapshots(run_dir: str | Path) -> list[Path]:
    """The run's generator snapshots, oldest first."""
    return sorted((Path(run_dir) / rundir.SNAPSHOTS).glob("step_*.pt"))


def snapshot_generators(run_dir: str | Path, cfg: Config | None = None,
                        on_error: Callable[[Path, str], None] | None = None
                        ) -> Iterator[tuple[int, dict[str, nn.Module]]]:
    """For each snapshot of the run, oldest first: (its step, {"": the generator, "ema_": its
    exponential moving average, when the run kept one}), built from the run's configuration
    (``cfg``, default: its ``config.json``).

    A snapshot that cannot be read (truncated, corrupt, another architecture) raises
    ``ValueError`` naming it, or, with ``on_error``, is reported to ``on_error(path, reason)``
    and skipped.
    """
    cfg = cfg or run_config(run_dir)
    for path in snapshots(run_dir):
        try:
            snap = torch.load(path, map_location="cpu", weights_only=True)
            models = {}
            for prefix, key in (("", "generator"), ("ema_", "ema")):
                if snap.get(key) is not None:
                    nc = output_channels(snap[key], cfg.image_size)
                    G = build_generator(cfg.generator, cfg.image_size, cfg.nz, cfg.width, cfg.mlp_hidden, nc,
                                        cfg.extra_layers)
                    G.load_state_dict(snap[key])
                    models[prefix] = G
            step = int(snap["step"])
        except Exception as err:  # noqa: BLE001 - any failure to read it means an unusable file
            reason = f"{path} cannot be read ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
            if on_error is None:
                raise ValueError(reason) from None
            on_error(path, reason)
            continue
        yield step, models


def evaluate_run(run_dir: str | Path, samples: int = 2000, seed: int = 0, progress: bool = True,
                 skipped: list | None = None) -> list[dict]:
    """One row of metrics per readable snapshot of the run (see the module docstring); the
    unreadable ones are reported on stderr and listed in ``skipped`` (path, reason)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir() or not rundir.holds_run(run_dir):
        raise ValueError(f"{run_dir}: not a run directory (no {rundir.CONFIG})")
    cfg = run_config(run_dir)
    n = len(snapshots(run_dir))
    if not n:
        raise ValueError(f"{run_dir}: no generator snapshots yet (they are written with each sample sheet)")
    evaluator = Evaluator.for_data(cfg.data, cfg.image_size, purpose=f"scoring {run_dir}")
    z = torch.randn(samples, cfg.nz, generator=torch.Generator().manual_seed(seed + 12345))
    skipped = [] if skipped is None else skipped

    def report(path: Path, reason: str) -> None:
        skipped.append((path, reason))
        print(f"skipped: {reason}", file=sys.stderr, flush=True)

    rows = []
    for i, (step, models) in enumerate(snapshot_generators(run_dir, cfg, on_error=report)):
        row = {"step": step}
        for prefix, G in models.items():
            row.update({prefix + k: v for k, v in evaluator.score(generate(G, z)).items()})
        rows.append(row)
        if progress:
            print(f"[{len(rows) + len(skipped)}/{n}] step {row['step']}: FD {row['fd']:.3g} KID {row['kid']:.3g} "
                  f"precision {row['precision']:.3f} recall {row['recall']:.3f} "
                  f"confident {row['confident']:.3f} classes {row['classes']}", file=sys.stderr, flush=True)
    if not rows:
        raise ValueError(f"{run_dir}: none of its {n} snapshot(s) could be read")
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
    with one_line_warnings():
        return _main(ap, args)


def _main(ap: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    out = args.out or Path(args.run) / "evaluation.jsonl"
    skipped: list = []
    try:
        _check_run(Path(args.run))  # a mistyped RUN_DIR is refused before --out's folder is made in it
        _check_out(out)  # before minutes of scoring, not after
        rows = evaluate_run(args.run, args.samples, args.seed, skipped=skipped)
    except (ValueError, rundir.RunDirError) as err:
        ap.exit(2, f"{ap.prog}: error: {err}\n")
    try:
        rundir.atomic_write_bytes(out, "".join(json.dumps(r) + "\n" for r in rows).encode())
    except rundir.WriteFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not emit(table(rows), f"wrote {out}", kept=out):
        return 1
    if skipped:
        print(f"{len(skipped)} snapshot(s) could not be read and were skipped: "
              + ", ".join(p.name for p, _ in skipped), file=sys.stderr)
    return 0


def table(rows: list[dict]) -> str:
    """The rows as a table: one line per snapshot and generator (the EMA on its own line)."""
    lines = [f"{'step':>8} {'generator':>9} {'FD':>8} {'KID':>8} {'W1':>7} {'prec':>6} {'recall':>6} "
             f"{'conf':>6} {'classes':>7}"]
    for r in rows:
        for prefix, name in (("", "raw"), ("ema_", "EMA")):
            if prefix + "fd" in r:
                v = {k: r[prefix + k] for k in ("fd", "kid", "w1", "precision", "recall", "confident", "classes")}
                lines.append(f"{r['step']:>8} {name:>9} {v['fd']:>8.3f} {v['kid']:>8.3f} {v['w1']:>7.3f} "
                             f"{v['precision']:>6.3f} {v['recall']:>6.3f} {v['confident']:>6.3f} {v['classes']:>7}")
    return "\n".join(lines)


def _check_run(run_dir: Path) -> None:
    """``ValueError`` unless ``run_dir`` is a run directory (nothing is made)."""
    if not run_dir.is_dir() or not rundir.holds_run(run_dir):
        what = "does not exist" if not run_dir.exists() else ("is not a directory" if not run_dir.is_dir()
                                                             else f"holds no run (no {rundir.CONFIG})")
        raise ValueError(f"{run_dir}: not a run directory (it {what})")


def _check_out(out: Path) -> None:
    """``RunDirError`` unless ``out`` can be written (its folder is made if needed)."""
    if out.is_dir():
        raise rundir.RunDirError(f"--out {out} is a directory, not a file")
    folder = out.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".{out.name}.{os.getpid()}.probe.tmp"
        rundir.atomic_write_bytes(probe, b"")
        probe.unlink()
    except OSError as err:
        raise rundir.RunDirError(f"--out {out} cannot be written: {rundir.describe(err)}") from None


if __name__ == "__main__":
    sys.exit(main())
