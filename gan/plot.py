"""Training curves of runs, as the WGAN paper's Figures 3 and 4, and their latest samples.

    python -m gan.plot RUN_DIR [RUN_DIR ...] [--out curves.png] [--window 101]

For a WGAN run the curve is the critic's EM estimate against generator steps (Figure 3);
for a GAN run it is the JS lower bound L/2 + ln 2 (Figure 4). As in the paper, the curves
are passed through a median filter (``--window`` points, odd). Each run gets a row: its
curve, and its latest sample sheet.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.ndimage import median_filter

from . import rundir


def curve(run_dir: str | Path, window: int = 101, key: str | None = None) -> dict:
    """The run's monitored quantity against generator steps, raw and median-filtered.

    ``window`` is clamped to the largest odd number of points the run has; the window really
    used is returned as ``"window"``.
    """
    rows = [r for r in rundir.read_metrics(run_dir) if "loss_g" in r]
    if not rows:
        raise ValueError(f"{run_dir}: no metrics.jsonl lines yet")
    key = key or ("em_estimate" if "em_estimate" in rows[0] else "js_lower_bound")
    steps = np.array([r["step"] for r in rows])
    values = np.array([r[key] for r in rows], dtype=float)
    w = max(1, min(window, len(values) - (len(values) % 2 == 0)))
    return {"key": key, "steps": steps, "raw": values, "window": w,
            "filtered": median_filter(values, size=w, mode="nearest")}


def plot_runs(run_dirs: list[str | Path], window: int = 101):
    """One row per run: the median-filtered curve, and the latest sample sheet."""
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, axes = plt.subplots(len(run_dirs), 2, figsize=(11, 3.6 * len(run_dirs)), squeeze=False,
                             gridspec_kw={"width_ratios": [1.6, 1]})
    for (a, b), run in zip(axes, run_dirs):
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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m gan.plot", description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run directories")
    ap.add_argument("--out", help="output PNG (default: RUN_DIR/curves.png of the first run)")
    ap.add_argument("--window", type=int, default=101, help="median filter width (default 101)")
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    try:
        fig = plot_runs(args.runs, args.window)
    except (ValueError, FileNotFoundError) as err:
        ap.error(str(err))
    out = Path(args.out) if args.out else Path(args.runs[0]) / "curves.png"
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    rundir.atomic_write_bytes(out, buf.getvalue())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
