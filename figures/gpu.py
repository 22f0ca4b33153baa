"""The at-scale panels: what ``python -m benchmarks.gpu`` measured on a GPU, drawn when its
output folder is committed at ``figures/gpu/`` (absent until a GPU has run it).

    python -m figures.gpu [--results figures/gpu] [--out gpu.png]

``python -m figures`` calls :func:`write`: with results present it draws ``gpu.png`` beside the
other figures and appends a section to the write-up (the machine, the throughput table, what
bounds the step, the experiments' numbers); without them it does nothing. The files read are
those of :data:`benchmarks.gpu.FILES` (``summary.json``, ``throughput.json``,
``toy_control.json``, ``mnist.json``, ``stacked_mnist.json``, ``samples.png``).
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

from claims import FIGURES_DIR

GPU_DIR = FIGURES_DIR / "gpu"
FIGURE = "gpu.png"
PARTS = ("summary", "throughput", "toy_control", "mnist", "stacked_mnist")
#: the toys' published-scale runs by kind (the keys' first part), as the panels and the write-up name them
TOY_KINDS = {"gan_toy": "gan_toy.py WGAN-GP", "gan_toy_clip": "gan_toy.py WGAN (clipping)", "pacgan": "PacGAN GAN"}


def load(folder: str | Path = GPU_DIR) -> dict | None:
    """The results in ``folder`` (``{"summary": ..., "throughput": ..., ...}``, a part that is
    missing is None), or None when there is no ``summary.json``."""
    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        return None
    out = {"folder": str(folder)}
    for part in PARTS:
        try:
            out[part] = json.loads((folder / f"{part}.json").read_text())
        except (OSError, ValueError):
            out[part] = None
    out["samples"] = str(folder / "samples.png") if (folder / "samples.png").is_file() else None
    return out


def _loops(tp: dict) -> list[tuple[str, float, float | None]]:
    """(loop, steps/s, ratio to its group's reference): the reference once (the eager group's),
    then every other loop of every group."""
    groups = tp.get("groups", {})
    rows = []
    if "eager" in groups:
        rows.append(("reference fp32", groups["eager"]["steps_per_sec"]["reference fp32"], 1.0))
    for g in groups.values():
        rows += [(k, g["steps_per_sec"][k], r) for k, r in g["ratio"].items()]
    return rows


def _modes(run: dict) -> int:
    """How many modes a toy run's target has (its per-mode counts' length)."""
    return len(run["counts"][-1]) if run.get("counts") else 1


def _mnist_size(mnist: dict) -> str:
    sizes = {r.get("config", {}).get("image_size") for r in mnist.values()}
    return "/".join(f"{s}x{s}" for s in sorted(x for x in sizes if x))


def plot(results: dict):
    """Nine panels: throughput; the toy control's high-quality share, modes and final samples
    (ring, grid); MNIST's FD and critic curves; Adam's step cosine; the MNIST sample sheets."""
    import matplotlib.pyplot as plt
    import numpy as np

    from claims import style

    style()
    fig, axes = plt.subplots(3, 3, figsize=(16, 13))
    ax = axes.ravel()
    s = results["summary"]
    m = s.get("machine", {})
    where = "--tiny on a CPU: not a GPU result" if s.get("tiny") else f"{m.get('gpu')}, torch {m.get('torch')}"
    fig.suptitle(f"At scale ({where}; {m.get('date', '')[:10]})")

    tp = results.get("throughput") or {}
    rows = _loops(tp)
    if rows:
        ax[0].barh([r[0] for r in rows][::-1], [r[1] for r in rows][::-1], color="C0")
        for i, (name, rate, ratio) in enumerate(rows[::-1]):
            ax[0].text(rate, i, f" {ratio:.2f}x", va="center")
        ax[0].set_xlabel("generator steps / s (ratio to the reference loop)")
        ax[0].set_title(f"Algorithm 1, DCGAN {tp.get('image_size')}x{tp.get('image_size')}, batch "
                        f"{tp.get('batch_size')}, n_critic 5")
    else:
        ax[0].text(0.5, 0.5, "throughput not measured", ha="center", transform=ax[0].transAxes)

    toys = (results.get("toy_control") or {}).get("runs", {})
    for key, r in sorted(toys.items()):
        if not r["step"]:
            continue
        kind = key.split("/")[0]
        c = {"gan_toy": "C0", "gan_toy_clip": "C3"}.get(kind, "C2") if r["target"] == "ring" else \
            {"gan_toy": "C1", "gan_toy_clip": "C4"}.get(kind, "C5")
        ls = ["-", "--", ":", "-.", (0, (1, 4))][r["seed"] % 5]
        label = f"{TOY_KINDS.get(kind, kind)}, {r['target']}, seed {r['seed']}"
        ax[1].plot(r["step"], r["hq_share"], ls=ls, color=c, label=label)
        ax[2].plot(r["step"], np.asarray(r["modes"]) / _modes(r), ls=ls, color=c, label=label)
    ax[1].set(title="gan_toy.py (WGAN-GP; WGAN with clipping): high-quality share", xlabel="iteration",
              ylim=(0, 1.02))
    ax[2].set(title="modes captured (share of 8 / 25)", xlabel="iteration", ylim=(0, 1.05))
    for a in ax[1:3]:
        if toys:
            a.legend(fontsize=8)
    for i, target in ((3, "ring"), (4, "grid")):
        runs = [r for k, r in toys.items() if r["target"] == target and r.get("scatter") and k.startswith("gan_toy/")]
        runs = runs or [r for r in toys.values() if r["target"] == target and r.get("scatter")]
        if runs:
            from toys.mixtures import Target

            r = min(runs, key=lambda r: r["seed"])
            at = max(r["scatter"], key=int)  # the last scatter: {iteration: points}
            xy = np.asarray(r["scatter"][at])
            ax[i].scatter(xy[:, 0], xy[:, 1], s=3, alpha=0.5)
            c = Target(target, r.get("scale", "gan_toy")).means
            ax[i].scatter(c[:, 0], c[:, 1], marker="x", color="k", s=30)
            ax[i].set_title(f"{r.get('setup', '')}, {target}, seed {r['seed']}: samples at iteration {int(at):,}")
            ax[i].set_aspect("equal")
        else:
            ax[i].text(0.5, 0.5, f"no {target} run", ha="center", transform=ax[i].transAxes)

    mnist = (results.get("mnist") or {}).get("runs", {})
    size = _mnist_size(mnist)
    for k, r in sorted(mnist.items()):  # records of experiments.mnist_runs.train_record
        if r.get("fd"):
            ax[5].plot(r["steps"], r["fd"], "o-", label=k)
        if r.get("curve"):
            ax[6].plot(r["curve_steps"], r["curve"], label=k)
        cos = r.get("cosine") or {}
        if cos.get("curve"):
            ax[7].plot(cos["curve_steps"], cos["curve"], label=f"{k}: per generator step")
            ax[7].plot(r["steps"], cos["lowest"], "o:", label=f"{k}: lowest per window")
    ax[5].set(title=f"MNIST {size}: FD to held-out digits", xlabel="generator step", yscale="log")
    ax[6].set(title="MNIST: the critic's estimate (WGAN Figure 3)", xlabel="generator step")
    ax[7].set(title="Adam on the critic: step cosine (Section 4.2)", xlabel="generator step")
    ax[7].axhline(0, color="k", lw=0.5)
    for a in ax[5:8]:
        if a.get_legend_handles_labels()[0]:
            a.legend(fontsize=8)
    if results.get("samples"):
        from PIL import Image

        with Image.open(results["samples"]) as im:
            ax[8].imshow(np.asarray(im.convert("RGB")))
        ax[8].set_title("latest samples: " + ", ".join(sorted(mnist)))
    ax[8].axis("off")
    fig.tight_layout()
    return fig


def section(results: dict, figure: str | None = FIGURE) -> list[str]:
    """The write-up's Markdown section for the results."""
    s = results["summary"]
    m = s.get("machine", {})
    tiny = " **(--tiny on a CPU: not a GPU result)**" if s.get("tiny") else ""
    lines = ["", "<a id=\"at-scale\"></a>", "## At scale, on a GPU", "",
             f"`python -m benchmarks.gpu` on {m.get('gpu') or 'no GPU'}, torch {m.get('torch')}, {m.get('date')}, "
             f"{s.get('seconds', 0):.0f} s of a {s.get('budget_seconds', 0):.0f} s budget{tiny}; code {s.get('code')}"
             + (f", commit {s['commit'][:12]}" if s.get("commit") else "") + f". Results in `{results['folder']}`.", ""]
    lines += ["| phase | status | result |", "|---|---|---|"]
    for name, ph in s.get("phases", {}).items():
        lines.append(f"| {name} | {ph.get('status')} | {ph.get('headline', '')} |")
    tp = results.get("throughput") or {}
    rows = _loops(tp)
    if rows:
        fl = (tp.get("flops_per_step") or {}).get("trainer")
        peak = tp.get("bf16_peak_tflops")
        lines += ["", f"Generator steps per second, DCGAN {tp['image_size']}x{tp['image_size']}, batch "
                  f"{tp['batch_size']}, n_critic 5, each group interleaved with the reference loop in one process"
                  + (f"; {fl / 1e9:.1f} GFLOP of model per step" if fl else "") + ":", "",
                  "| loop | steps/s | ratio to the reference | TFLOP/s | share of the bf16 peak |", "|---|---|---|---|---|"]
        for name, rate, ratio in rows:
            tf = fl * rate / 1e12 if fl else None
            share = f"{tf / peak:.2%}" if tf and peak and tp.get("device") != "cpu" else "-"
            lines.append(f"| {name} | {rate:.2f} | {ratio:.2f} | {tf:.3f} | {share} |" if tf else
                         f"| {name} | {rate:.2f} | {ratio:.2f} | - | {share} |")
        for k, b in (tp.get("bound") or {}).items():
            lines.append(f"- What bounds {k}: {b}.")
        for n in tp.get("notes", []):
            lines.append(f"- {n}.")
    toys = (results.get("toy_control") or {}).get("runs", {})
    if toys:
        lines += ["", "gan_toy.py's WGAN-GP and its WGAN with weight clipping (MODE = 'wgan'), 100,000 iterations "
                  "published (toys.mode_collapse.run_controls):",
                  "", "| run | iterations | high-quality share | modes | seconds |", "|---|---|---|---|---|"]
        for k, r in sorted(toys.items()):
            if r["step"]:
                lines.append(f"| {k} | {r['step'][-1]:,} | {r['hq_share'][-1]:.3f} | {r['modes'][-1]} / {_modes(r)} | "
                             f"{r['seconds']:.0f} |")
    mnist = (results.get("mnist") or {}).get("runs", {})
    if mnist:
        lines += ["", f"MNIST {_mnist_size(mnist)}, WGAN at the paper's settings (and Adam on the critic; "
                  "experiments.mnist_runs.paper_scale_tasks):", "",
                  "| run | generator steps | FD (last) | KID (last) | negative step cosines |", "|---|---|---|---|---|"]
        for k, r in sorted(mnist.items()):
            fd, kid, cos = (r.get("fd") or [float("nan")])[-1], (r.get("kid") or [float("nan")])[-1], r.get("cosine")
            lines.append(f"| {k} | {r['generator_steps']:,} | {fd:.1f} | {kid:.2f} | "
                         + (f"{cos['negative_total']} of {cos['count']} |" if cos else "- |"))
    stacked = (results.get("stacked_mnist") or {}).get("runs", {})
    if stacked:
        lines += ["", "Stacked MNIST at the published scale (experiments.stacked_mnist.paper_scale_tasks; 1,000 modes):",
                  "", "| run | generator steps | modes (argmax) | KL | confident modes | confident share |",
                  "|---|---|---|---|---|---|"]
        for k, r in sorted(stacked.items()):
            lines.append(f"| {k} | {r['steps']:,} | {r['modes']} | {r['kl']:.2f} | {r['confident_modes']} | "
                         f"{r['confident_share']:.3f} |")
    if figure:
        lines += ["", f"![at scale]({figure})"]
    return lines + [""]


def write(out: str | Path, folder: str | Path = GPU_DIR) -> list[str]:
    """Draw ``out/gpu.png`` from the results in ``folder`` and return the write-up's section;
    nothing (``[]``) when there are no results."""
    results = load(folder)
    if results is None:
        return []
    import matplotlib.pyplot as plt

    from common.files import atomic_write_bytes

    fig = plot(results)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(Path(out) / FIGURE, buf.getvalue())
    return section(results)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m figures.gpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, default=GPU_DIR, help="the output folder of benchmarks.gpu")
    ap.add_argument("--out", type=Path, default=Path("."), help="folder for gpu.png")
    args = ap.parse_args(argv)
    lines = write(args.out, args.results)
    if not lines:
        ap.exit(1, f"no results in {args.results} (summary.json missing)\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
