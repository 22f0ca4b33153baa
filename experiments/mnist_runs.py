"""The trainer's runs on real MNIST digits that the training-claim toys share.

Each run is ``python -m gan.train`` itself (:func:`gan.train.train`) on the 4,000 training digits
of the fixed split, at 16 x 16 pixels (28 x 28 padded to 32, then resized), DCGAN width 32, batch
64, scored by the validated metrics (FD, KID; :mod:`gan.quality`) against the 1,000 held-out
digits at evenly spaced checkpoints, with a generator snapshot and a sample sheet at each.
Optionally each snapshot is *probed*: a fresh critic (WGAN, clipping) and a fresh discriminator
(GAN) are trained from scratch against the frozen generator for a fixed budget
(:func:`probe`), giving a WGAN estimate and a JS estimate that the training run's own critic
did not produce.

Departures from the paper's settings, forced by a CPU budget of minutes (stated in the
write-up): 16 x 16 MNIST digits instead of 64 x 64 LSUN bedrooms; width 32 instead of 64;
1,600 GAN and 640 WGAN generator steps instead of ~10^5 (about a minute each on one core);
quality scored on 1,000 generated digits; RMSProp at 4x the paper's rate for
WGAN (2e-4; at 5e-5 a 1,500-step run reaches FD 248 against 127), n_critic = 5 throughout (the
reference code's 100-step critic phases would double a run this short). The GAN keeps the DCGAN
baseline's settings.

Runs are memoised in the process (``python -m figures`` runs the training toys one after the
other in one process: they share the runs) and spread over two worker processes.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import torch

from claims import parallel_map
from gan import rundir
from gan.algorithm import make_players, train_critic
from gan.config import Config, run_config
from gan.defaults import OptimizerSpec, defaults
from gan.evaluate import snapshot_generators
from gan.images import to_float, to_uint8
from gan.losses import em_estimate, js_lower_bound
from gan.mnist import MNISTImages
from gan.models import build_critic, generate
from gan.train import train

SIZE, WIDTH, BATCH = 16, 32, 64
WGAN_LR = 2e-4

#: name -> the trainer options of the run (besides the common ones of :func:`config`)
RUNS = {
    "wgan_dcgan": dict(algo="wgan", generator="dcgan", critic="dcgan"),
    "wgan_mlp": dict(algo="wgan", generator="mlp", critic="dcgan"),
    "wgan_mlp_mlp_high_lr": dict(algo="wgan", generator="mlp", critic="mlp", lr=5e-3),
    "gan_dcgan": dict(algo="gan", generator="dcgan", critic="dcgan"),
    "gan_mlp": dict(algo="gan", generator="mlp", critic="dcgan"),
    "gan_mlp_mlp": dict(algo="gan", generator="mlp", critic="mlp"),
    "wgan_nobn": dict(algo="wgan", generator="dcgan-nobn", critic="dcgan"),
    "gan_nobn": dict(algo="gan", generator="dcgan-nobn", critic="dcgan"),
    "wgan_dcgan_adam": dict(algo="wgan", generator="dcgan", critic="dcgan", optimizer="adam", betas=(0.5, 0.999)),
}
LABELS = {
    "wgan_dcgan": "WGAN, DCGAN generator and critic",
    "wgan_mlp": "WGAN, MLP generator, DCGAN critic",
    "wgan_mlp_mlp_high_lr": "WGAN, MLP generator and critic, high learning rate",
    "gan_dcgan": "GAN, DCGAN generator and discriminator",
    "gan_mlp": "GAN, MLP generator, DCGAN discriminator",
    "gan_mlp_mlp": "GAN, MLP generator and discriminator",
    "wgan_nobn": "WGAN, DCGAN generator without batch norm, constant width",
    "gan_nobn": "GAN, DCGAN generator without batch norm, constant width",
    "wgan_dcgan_adam": "WGAN with Adam (beta1 0.5) on both players",
}


#: the runs a ``--quick`` toy trains (a few seconds each: too short to learn)
QUICK_RUNS = ("wgan_dcgan", "gan_dcgan")
#: the runs with the DCGAN critic / discriminator, probed by a fresh critic at every other checkpoint
PROBED = ("wgan_dcgan", "wgan_mlp", "gan_dcgan", "gan_mlp")


def probe_steps(quick: bool) -> int:
    """The fresh critic's and discriminator's training steps (each)."""
    return 20 if quick else 100


def prefetch(quick: bool, seed: int) -> None:
    """Train every run the training toys use, in one batch (two workers kept busy): what
    ``python -m figures`` does before it runs them."""
    train_runs(list(QUICK_RUNS) if quick else list(RUNS), quick, seed, probe_steps(quick), PROBED)


def steps_for(name: str, quick: bool) -> tuple[int, int]:
    """(generator steps, evaluation interval) of a run: a GAN step is 1 critic step, a WGAN
    step 5, so the GAN runs take more generator steps for a similar cost; 16 checkpoints."""
    gan = RUNS[name]["algo"] == "gan"
    if quick:
        return (60, 20) if gan else (20, 10)
    return (1600, 100) if gan else (640, 40)


def config(name: str, quick: bool, seed: int, out: Path) -> Config:
    steps, every = steps_for(name, quick)
    opts = dict(RUNS[name])
    if opts["algo"] == "wgan":
        opts.setdefault("lr", WGAN_LR)
        opts["log_step_cosine"] = True
    return Config(data="mnist", image_size=SIZE, width=WIDTH, batch_size=BATCH, generator_steps=steps,
                  seed=seed, device="cpu", workers=0, out=str(out), reference_schedule=False,
                  eval_every=every, eval_samples=500 if quick else 1000, sample_every=every,
                  log_every=every, checkpoint_every=10**9, checkpoint_minutes=10**9, **opts)


@torch.no_grad()
def _eval_sets(nz: int, n: int, seed: int):
    real = MNISTImages(None, SIZE, "heldout").array[:n]
    real = to_float(real)
    z = torch.randn(n, nz, generator=torch.Generator().manual_seed(seed + 777))
    return real, z


def probe(G: torch.nn.Module, nz: int, steps: int, seed: int) -> dict:
    """Fresh-critic probe of a frozen generator: a clipped DCGAN critic and a GAN discriminator
    trained from scratch for ``steps`` steps each (RMSProp 5e-4 / Adam 2e-4, batch 64), read on
    1,000 held-out digits against 1,000 generated ones: the WGAN estimate E_r f - E_g f and the
    JS lower bound L/2 + ln 2."""
    train_digits = to_float(MNISTImages(None, SIZE, "train").array)
    real_eval, z_eval = _eval_sets(nz, 1000, seed)
    with torch.no_grad():
        fake_eval = generate(G, z_eval)
    out = {}
    for algo, spec in (("wgan", OptimizerSpec("rmsprop", 5e-4)), ("gan", defaults("gan").optimizer)):
        torch.manual_seed(seed + (1 if algo == "wgan" else 2))
        p = make_players(None, build_critic("dcgan", SIZE, WIDTH, nc=1), algo, optimizer=spec)
        train_critic(p, lambda: (train_digits[torch.randint(0, len(train_digits), (BATCH,))],
                                 generate(G, torch.randn(BATCH, nz))), steps)
        with torch.no_grad():
            fr, ff = p.critic(real_eval), p.critic(fake_eval)
        out["probe_em" if algo == "wgan" else "probe_js"] = float(
            em_estimate(fr, ff) if algo == "wgan" else js_lower_bound(fr, ff))
    return out


def _train_task(task: tuple) -> dict:
    """Train one run (in a worker), then read its metrics, sample sheets and probes."""
    name, quick, seed, probe_steps = task
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / name
        cfg = config(name, quick, seed, out)
        train(cfg, progress=False)
        cfg = run_config(out)
        rows = rundir.read_metrics(out)
        z = torch.randn(64, cfg.nz, generator=torch.Generator().manual_seed(seed + 99))
        evals, samples = [], {}
        for i, (step, generators) in enumerate(snapshot_generators(out, cfg)):
            G = generators[""]
            samples[step] = to_uint8(generate(G, z))[..., 0]
            row = next(r for r in rows if r["step"] == step and "fd" in r)
            if probe_steps and i % 2 == 1:  # every other checkpoint: half the cost, 8 points a run
                row = {**row, **probe(G, cfg.nz, probe_steps, seed)}
            evals.append(row)
    return {"name": name, "label": LABELS[name], "config": dataclasses.asdict(cfg), "probe_steps": probe_steps,
            "log": rows, "evals": evals, "samples": samples}


_MEMO: dict[tuple, dict] = {}


def train_runs(names: list[str], quick: bool, seed: int, probe_steps: int = 0,
               probed: tuple | list = ()) -> dict[str, dict]:
    """The runs ``names`` (trained now, on up to two processes, unless this process has them);
    the runs in ``probed`` get the fresh-critic probe of ``probe_steps`` steps."""
    def steps(n):
        return probe_steps if n in probed else 0

    todo = [n for n in names if _MEMO.get((n, quick, seed), {}).get("probe_steps", -1) < steps(n)]
    # longest first: the two workers finish together
    todo.sort(key=lambda n: -steps_for(n, quick)[0] * (5 if RUNS[n]["algo"] == "wgan" else 1) - 40 * steps(n))
    for rec in parallel_map(_train_task, [(n, quick, seed, steps(n)) for n in todo], desc="MNIST runs"):
        _MEMO[(rec["name"], quick, seed)] = rec
    return {n: _MEMO[(n, quick, seed)] for n in names}


def curve(record: dict, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of a logged quantity of a run."""
    rows = [r for r in record["log"] if key in r]
    return np.array([r["step"] for r in rows]), np.array([r[key] for r in rows], dtype=float)
