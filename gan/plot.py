"""Training curves of runs, as the WGAN paper's Figures 3 and 4, and their latest samples.

    python -m gan.plot RUN_DIR [RUN_DIR ...] [--out curves.png] [--window 101]
    python -m gan.plot RUN_DIR [RUN_DIR ...] --csv        # RUN_DIR/metrics.csv, for any tool

For a WGAN run the curve is the critic's EM estimate against generator steps (Figure 3);
for a GAN run it is the JS lower bound L/2 + ln 2 (Figure 4). As in the paper, the curves
are passed through a median filter (``--window`` points, odd). Each run gets a row: its
curve, its sample quality when it was scored (``--eval-every``: FD per evaluation, and the EMA
generator's), and its latest sample sheet.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from scipy.ndimage import median_filter

from . import rundir


def curve(run_dir: str | Path, window: int = 101, key: str | None = None) -> dict:
    """The run's monitored quantity against generator steps, raw and median-filtered.

    ``window`` is clamped to the largest odd number at most a fifth of the run's points (a
    30-point run gets 5; fewer than 15 points are not filtered), so that a short run's curve is
    smoothed, not flattened; the window really used is returned as ``"window"``.
    """
    rows = [r for r in rundir.read_metrics(run_dir) if "loss_g" in r]
    if not rows:
        raise ValueError(f"{run_dir}: no metrics.jsonl lines yet")
    key = key or ("em_estimate" if "em_estimate" in rows[0] else "js_lower_bound")
    steps = np.array([r["step"] for r in rows])
    values = np.array([r[key] for r in rows], dtype=float)
    cap = len(values) // 5
    w = max(1, min(window, cap - (cap % 2 == 0)))
    return {"key": key, "steps": steps, "raw": values, "window": w,
            "filtered": median_filter(values, size=w, mode="nearest")}


def quality(run_dir: str | Path, floor: bool = True) -> dict[str, np.ndarray]:
    """The FD of each evaluation of the run (``--eval-every``): ``steps``, ``fd`` and, with
    ``--ema``, ``ema_fd``; empty arrays when the run was never scored. With ``floor``, a scored
    run's ``floor`` too: the FD of real digits at the run's size (:meth:`gan.quality.Evaluator.real_floor`)."""
    rows = [r for r in rundir.read_metrics(run_dir, warn=False) if "fd" in r]
    out = {"steps": np.array([r["step"] for r in rows]), "fd": np.array([r["fd"] for r in rows], dtype=float)}
    if rows and all("ema_fd" in r for r in rows):
        out["ema_fd"] = np.array([r["ema_fd"] for r in rows], dtype=float)
    if rows and floor:
        from .quality import Evaluator

        cfg = rundir.read_config(run_dir)
        try:
            out["floor"] = Evaluator.real_floor(cfg["data"], int(cfg["image_size"]))
        except (ValueError, OSError):  # data moved or not MNIST: no floor line, said in the legend
            pass
    return out


def plot_runs(run_dirs: list[str | Path], window: int = 101):
    """One row per run: the median-filtered curve, the FD per evaluation (when any run has one),
    and the latest sample sheet."""
    import matplotlib.pyplot as plt
    from PIL import Image

    scores = [quality(run) for run in run_dirs]
    scored = any(len(q["steps"]) for q in scores)
    fig, axes = plt.subplots(len(run_dirs), 3 if scored else 2, figsize=(15 if scored else 11, 3.6 * len(run_dirs)),
                             squeeze=False, gridspec_kw={"width_ratios": [1.6, 1.2, 1] if scored else [1.6, 1]})
    for row, run, q in zip(axes, run_dirs, scores):
        a, b = row[0], row[-1]
        c = curve(run, window)
        cfg = rundir.read_config(run)
        label = {"em_estimate": "EM estimate (critic)", "js_lower_bound": "JS lower bound L/2 + ln 2"}[c["key"]]
        a.plot(c["steps"], c["raw"], color="C0", alpha=0.25, lw=0.8, label="raw")
        a.plot(c["steps"], c["filtered"], color="C0", lw=1.8, label=f"median filter ({c['window']} points)")
        if c["key"] == "js_lower_bound":
            a.axhline(np.log(2), color="gray", ls=":", label="ln 2")
        a.set(xlabel="generator steps", ylabel=label,
              title=f"{cfg['algo'].upper()}{' (' + cfg['lipschitz'] + ')' if cfg['algo'] == 'wgan' else ''}: "
                    f"{cfg['generator']} generator, {cfg['critic']} critic")
        a.legend(fontsize=8)
        if scored:
            _plot_quality(row[1], q)
        sheets = sorted((Path(run) / rundir.SAMPLES).glob("step_[0-9][0-9][0-9][0-9][0-9][0-9][0-9].png"))
        if sheets:
            b.imshow(np.asarray(Image.open(sheets[-1])))
            b.set_title(f"samples at step {int(sheets[-1].stem.split('_')[1])}")
        else:
            b.text(0.5, 0.5, "no sample sheet yet\n(the run stopped before its first)", ha="center",
                   va="center", transform=b.transAxes)
        b.axis("off")
    fig.tight_layout()
    return fig


def _plot_quality(ax, q: dict) -> None:
    if not len(q["steps"]):
        ax.text(0.5, 0.5, "not scored\n(train with --data mnist --eval-every N,\nor run python -m gan.evaluate)",
                ha="center", va="center", transform=ax.transAxes)
        ax.axis("off")
        return
    ax.plot(q["steps"], q["fd"], "o-", color="C1", lw=1.5, ms=3, label="generator")
    if "ema_fd" in q:
        ax.plot(q["steps"], q["ema_fd"], "s--", color="C2", lw=1.2, ms=3, label="EMA of the generator")
    if "floor" in q:
        ax.axhline(q["floor"], color="gray", ls="--", lw=1.2, label=f"real digits (floor) {q['floor']:.3g}")
    values = np.concatenate([q["fd"], q.get("ema_fd", q["fd"]), [q["floor"]] if "floor" in q else []])
    wide = values.min() > 0 and values.max() / values.min() > 5  # FD falls by orders of magnitude
    ax.set(xlabel="generator steps", ylabel="FD to held-out digits (lower is better)",
           yscale="log" if wide else "linear", title="sample quality (MNIST feature space)")
    ax.legend(fontsize=8)


def write_csv(run_dir: str | Path, path: str | Path | None = None) -> Path:
    """The run's ``metrics.jsonl`` as a CSV file (default ``RUN_DIR/metrics.csv``), written
    atomically: one row per line, one column per key in order of first appearance, empty
    where a row lacks the key (the quality columns outside evaluated steps)."""
    import csv

    rows = rundir.read_metrics(run_dir)
    if not rows:
        raise ValueError(f"{run_dir}: no metrics.jsonl lines yet")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = Path(path) if path else Path(run_dir) / "metrics.csv"
    rundir.atomic_write_bytes(path, buf.getvalue().encode())
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m gan.plot", description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run directories")
    ap.add_argument("--out", help="output PNG (default: RUN_DIR/curves.png of the first run)")
    ap.add_argument("--window", type=int, default=101, help="median filter width (default 101)")
    ap.add_argument("--csv", action="store_true",
                    help="write each run's metrics as RUN_DIR/metrics.csv (readable without this package) "
                         "instead of the plot")
    args = ap.parse_args(argv)
    for run in args.runs:  # before "no metrics.jsonl lines yet", which would be true but misleading
        if not Path(run).is_dir():
            ap.error(f"{run}: no such run directory" if not Path(run).exists() else f"{run}: not a directory")
    if args.csv:
        try:
            for run in args.runs:
                print(f"wrote {write_csv(run)}")
        except (ValueError, OSError) as err:
            ap.error(str(err))
        return
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    try:
        fig = plot_runs(args.runs, args.window)
    except (ValueError, FileNotFoundError) as err:
        ap.error(str(err))
    out = Path(args.out) if args.out else Path(args.runs[0]) / "curves.png"
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    rundir.atomic_write_bytes(out, buf.getvalue())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
