r"""Does the loss track sample quality? The WGAN paper's central practical claim, measured.

The WGAN paper (Section 4.2, Figures 3-4) says the critic's EM estimate "correlates
remarkably well" with sample quality, while the GAN's JS estimate (L/2 + ln 2, Figure 4)
does not. Here the LSUN trainer itself (:class:`gan.train.Trainer`, DCGAN generator and
critic) runs Algorithm 1 and the DCGAN baseline on the synthetic room scenes at a CPU size
(16 x 16 pixels, 1000 generator steps, RMSProp at 10x the paper's rate for the WGAN), and
sample quality is measured independently, every few dozen generator
steps: the exact EM in pixel space (:func:`divergences.wasserstein`, 768 dimensions)
between 500 generated images (a fixed noise batch) and 500 held-out real scenes (a set the
generator never trains on). ``--quick`` runs 100 generator steps of half-width models
without the reference schedule's 100-critic-step phases; the full run keeps them. We report the Spearman correlation of each run's loss curve
(the EM estimate, or the JS lower bound, averaged over the steps since the last
evaluation) with that quality curve, and plot both.

The paper's comparison is reported as measured ("paper_comparison"), whatever it shows; the
claims list only checks the measurement itself.

Run: ``python -m toys.loss_quality [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from scipy import stats
from tqdm.auto import tqdm

import divergences as D
from gan import rundir
from gan.data import prepare, synthetic_scene
from gan.models import build_generator
from gan.rundir import to_uint8
from gan.train import Config, generate, train

from .common import claim, toy_main

NAME = "loss_quality"
SIZE, N_EVAL, N_TRAIN = 16, 500, 4000
#: RMSProp at 10x the paper's 5e-5: at the paper's rate, a CPU-sized run of a thousand steps
#: does not move the generator at all. The GAN keeps the DCGAN baseline's Adam 2e-4.
WGAN_LR = 5e-4


def held_out(n: int, seed: int) -> np.ndarray:
    """n real scenes from a seed the training set does not use, flattened in [-1, 1]."""
    imgs = np.stack([synthetic_scene(i, SIZE, seed=10_000 + seed) for i in range(n)])  # unseen
    return imgs.reshape(n, -1).astype(np.float64) / 127.5 - 1.0


def train_and_measure(algo: str, steps: int, every: int, seed: int, folder: Path,
                      schedule: bool = True, width: int = 32) -> dict:
    """Train with the trainer; at each of its snapshots (every ``every`` steps), the pixel EM
    to held-out images."""
    out = folder / algo
    cfg = Config(data=f"prepared:{folder / 'train.npy'}", algo=algo, image_size=SIZE, width=width,
                 batch_size=64, generator_steps=steps, seed=seed, device="cpu", workers=0,
                 out=str(out), reference_schedule=schedule, log_every=every,
                 sample_every=every, checkpoint_every=10**9,
                 lr=WGAN_LR if algo == "wgan" else None)
    train(cfg, progress=False)
    rows = rundir.read_metrics(out)
    real = held_out(N_EVAL, seed)
    z = torch.randn(N_EVAL, cfg.nz, generator=torch.Generator().manual_seed(seed + 1))
    key = "em_estimate" if algo == "wgan" else "js_lower_bound"
    G = build_generator("dcgan", SIZE, cfg.nz, width)
    res = {"step": [], "loss": [], "pixel_em": [], "loss_raw": [r[key] for r in rows]}
    for snap in sorted((out / rundir.SNAPSHOTS).glob("step_*.pt")):
        state = torch.load(snap, weights_only=True)
        G.load_state_dict(state["generator"])
        fake = generate(G, z).reshape(N_EVAL, -1).double().numpy()
        step = state["step"]
        res["step"].append(step)
        res["loss"].append(float(np.mean([r[key] for r in rows if step - every < r["step"] <= step])))
        res["pixel_em"].append(D.wasserstein(fake, real))
    res["samples"] = to_uint8(generate(G, z[:32]))
    rho = stats.spearmanr(res["loss"], res["pixel_em"])[0]
    return {**{k: np.asarray(v) for k, v in res.items()}, "key": key, "spearman": float(rho)}


def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the experiment (the trainer's files go to a temporary folder)."""
    torch.manual_seed(seed)
    steps, every, width = (100, 20, 16) if quick else (1000, 50, 32)
    with tempfile.TemporaryDirectory() as tmp:
        # the training set, drawn once into a prepared array (the trainer's fast path)
        prepare(f"synthetic:{N_TRAIN}", Path(tmp) / "train.npy", SIZE, workers=1, seed=seed,
                progress=False)
        runs = {algo: train_and_measure(algo, steps, every, seed, Path(tmp), schedule=not quick,
                                        width=width)
                for algo in tqdm(("wgan", "gan"), desc="runs", leave=False, disable=None)}
    w, g = runs["wgan"], runs["gan"]
    real_floor = D.wasserstein(held_out(N_EVAL, seed), held_out(2 * N_EVAL, seed)[N_EVAL:])
    comparison = {
        "statement": "the WGAN loss correlates with sample quality, the GAN's JS estimate does not "
                     "(WGAN paper, Section 4.2, Figures 3-4)",
        "spearman_wgan": w["spearman"], "spearman_gan": g["spearman"],
        "agrees": bool(w["spearman"] >= 0.5 and w["spearman"] > g["spearman"] + 0.3),
    }
    claims = [
        claim("quality_measured", "sample quality measured independently: exact pixel-space EM "
              "between 500 generated and 500 held-out images, at every evaluation of both runs",
              "finite, > 0", float(min(w["pixel_em"].min(), g["pixel_em"].min())),
              bool(np.all(np.isfinite(w["pixel_em"])) and np.all(np.isfinite(g["pixel_em"])) and
                   min(w["pixel_em"].min(), g["pixel_em"].min()) > 0)),
        claim("critic_learns", "the WGAN critic's EM estimate falls as the generator trains "
              "(last / first evaluation)", "< 1", float(w["loss"][-1] / w["loss"][0]),
              w["loss"][-1] < w["loss"][0]),
    ]
    return {"runs": runs, "steps": steps, "every": every, "real_floor": real_floor,
            "paper_comparison": comparison, "claims": claims,
            "settings": {"image_size": SIZE, "architecture": f"DCGAN generator and critic, width {width}",
                         "data": f"synthetic:{N_TRAIN} (train), {N_EVAL} held-out scenes (quality)",
                         "trainer": "gan.train.Trainer, WGAN Algorithm 1 and the DCGAN baseline"}}


def plot(result: dict):
    """Loss and pixel-space EM against generator steps, for both runs, and final samples."""
    import matplotlib.pyplot as plt

    from gan.rundir import image_grid

    fig, ax = plt.subplots(1, 3, figsize=(17, 4.6), gridspec_kw={"width_ratios": [1.3, 1.3, 1]})
    labels = {"em_estimate": "EM estimate (critic)", "js_lower_bound": "JS lower bound L/2 + ln 2"}
    for a, algo in zip(ax[:2], ("wgan", "gan")):
        r = result["runs"][algo]
        a.plot(r["step"], r["loss"], "o-", color="C0", label=labels[r["key"]])
        a.set(xlabel="generator steps", ylabel=labels[r["key"]],
              title=f"{algo.upper()}: Spearman(loss, pixel EM) = {r['spearman']:.2f}")
        b = a.twinx()
        b.plot(r["step"], r["pixel_em"], "s--", color="C3", label="exact pixel EM to held-out images")
        b.axhline(result["real_floor"], color="C3", ls=":", lw=1, label="real vs real")
        b.set_ylabel("pixel-space EM (lower = better samples)")
        b.grid(False)
        a.legend(loc="center right", fontsize=8)
        b.legend(loc="lower right", fontsize=8)
    sheets = [image_grid(np.asarray(result["runs"][k]["samples"], dtype=np.uint8), nrow=8)
              for k in ("wgan", "gan")]
    ax[2].imshow(np.concatenate([sheets[0], np.full((6, sheets[0].shape[1], 3), 255, np.uint8), sheets[1]]))
    ax[2].set_title("final samples: WGAN (top), GAN (bottom)")
    ax[2].axis("off")
    fig.suptitle("Does the loss track sample quality? (WGAN paper, Section 4.2)")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    return toy_main(NAME, "WGAN Section 4.2: the loss against an independent measure of sample quality",
                    run, plot, argv)


if __name__ == "__main__":
    main()
