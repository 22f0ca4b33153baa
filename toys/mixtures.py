r"""Mixtures of Gaussians on a ring and a grid, the VEEGAN / PacGAN protocol that counts their
modes, the published tables it reproduces, and the training loop of :mod:`toys.mode_collapse_runs`.

Targets (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018, ``synthetic_data_experiments``):

* **ring**: 8 equally weighted Gaussians at radius R on the unit circle's angles 2 pi k / 8,
  standard deviation R / 100;
* **grid**: 25 equally weighted Gaussians at spacing s on a 5 x 5 grid centred on 0,
  standard deviation s / 40.

Two scales of the same shapes: ``"pacgan"`` (R = 1, std 0.01; s = 2, std 0.05: PacGAN's
configuration), and ``"gan_toy"`` (WGAN-GP's ``gan_toy.py``: its ring, R = 2 with std 0.02, and
its grid, s = 2 with std 0.05, divided by 1.414 and 2.828 "to unit spread").

Protocol (VEEGAN Section 5.1, PacGAN's ``MetricLogger``): draw 2,500 generated samples; a sample
is **high quality** when it lies within 3 standard deviations of its nearest mode; a mode is
**captured** when it is the nearest mode of at least one high-quality sample. Reported: the
number of modes captured and the share of high-quality samples; also the KL of the captured
samples' mode histogram to uniform (0: every mode equally; ln K: one mode).

Every training run goes through the trainer's iteration (:func:`gan.algorithm.iteration`) with
models from :mod:`gan.models`. The statistics over seeds and runs that judge them live in
:mod:`claims.stats`, the resumable long runs and their provenance in :mod:`claims.long_budget`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import torch

import divergences as D
from gan.algorithm import iteration, make_players
from gan.defaults import OptimizerSpec
from gan.models import critic_mlp, maxout_critic, mlp, normal_init_, tflib_init_

TARGETS = ("ring", "grid")
SCALES = ("pacgan", "gan_toy")
N_EVAL = 2500  # generated samples per evaluation (VEEGAN, PacGAN)
HQ_STDS = 3.0  # high quality: within 3 standard deviations of the nearest mode
#: the share of a mode's own samples that are high quality: P(chi-square_2 < 3^2) = 1 - e^(-9/2) = 0.989
HQ_RATE = 1.0 - math.exp(-HQ_STDS ** 2 / 2)

#: Published rows, (modes captured, % high-quality samples). VEEGAN Table 1 (five runs, means;
#: 2,500 samples); PacGAN Table 1 (ten trials, mean and standard error).
VEEGAN_TABLE = {
    "ring": {"GAN": (1.0, 99.3), "ALI": (2.8, 0.13), "Unrolled GAN": (7.6, 35.6), "VEEGAN": (8.0, 52.9)},
    "grid": {"GAN": (3.3, 0.5), "ALI": (15.8, 1.6), "Unrolled GAN": (23.6, 16.0), "VEEGAN": (24.6, 40.0)},
}
PACGAN_TABLE = {  # (mean, standard error) over 10 trials
    "ring": {"GAN": {"modes": (6.3, 0.5), "hq_pct": (98.2, 0.2)}, "PacGAN2": {"modes": (7.9, 0.1), "hq_pct": (95.6, 2.0)}},
    "grid": {"GAN": {"modes": (17.3, 0.8), "hq_pct": (94.8, 0.7)}, "PacGAN2": {"modes": (23.8, 0.7), "hq_pct": (91.3, 0.8)}},
}
PACGAN_TRIALS = 10

#: A run has **learned** its target when its high-quality share reaches the lowest share at which
#: the published tables credit a method with its mode count: Unrolled GAN's row of VEEGAN's
#: Table 1 (35.6 % on the ring, 16 % on the grid). The rows that did not learn (ALI on the ring
#: 0.13 %, GAN on the grid 0.5 %, ALI on the grid 1.6 %) lie an order of magnitude and more below.
LEARNED = {t: VEEGAN_TABLE[t]["Unrolled GAN"][1] / 100 for t in TARGETS}


@dataclasses.dataclass(frozen=True)
class Target:
    name: str  # "ring" or "grid"
    scale: str  # "pacgan" or "gan_toy"

    @property
    def means(self) -> np.ndarray:
        if self.name == "ring":
            a = 2 * math.pi * np.arange(8) / 8
            r = 1.0 if self.scale == "pacgan" else 2.0 / 1.414
            return r * np.c_[np.cos(a), np.sin(a)]
        if self.name == "grid":
            g = np.arange(-4, 5, 2.0) / (1.0 if self.scale == "pacgan" else 2.828)
            return np.array([(x, y) for x in g for y in g])
        raise ValueError(f"target must be one of {TARGETS}, got {self.name!r}")

    @property
    def std(self) -> float:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale!r}")
        if self.name == "ring":
            return 0.01 if self.scale == "pacgan" else 0.02 / 1.414
        return 0.05 if self.scale == "pacgan" else 0.05 / 2.828

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples (float32), each mode drawn uniformly."""
        m = torch.as_tensor(self.means, dtype=torch.float32)
        k = torch.randint(0, len(m), (n,), generator=generator)
        return m[k] + self.std * torch.randn(n, 2, generator=generator)


def protocol(x: np.ndarray, target: Target) -> dict:
    """The VEEGAN / PacGAN statistics of generated samples ``x`` (n, 2): ``hq_share`` (share of
    samples within 3 standard deviations of their nearest mode), ``modes`` (modes nearest to at
    least one such sample), ``counts`` (high-quality samples per mode) and ``mode_kl`` (KL of
    their mode histogram to uniform, nan without any)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2 or not len(x):
        raise ValueError(f"x must have shape (n, 2) with n > 0, got {x.shape}")
    m = target.means
    d = np.linalg.norm(x[:, None, :] - m[None], axis=2)
    near = d.min(1) < HQ_STDS * target.std
    counts = np.bincount(d.argmin(1)[near], minlength=len(m))
    kl = D.kl(counts, np.ones(len(m))) if counts.sum() else float("nan")
    return {"hq_share": float(near.mean()), "modes": int((counts > 0).sum()), "counts": counts.tolist(),
            "mode_kl": kl}


def planted(target: Target, hq_share: float, drop: int, seed: int = 0, n: int = N_EVAL) -> np.ndarray:
    """Samples of a generator that drops ``drop`` modes by construction (a planted collapse): a share
    ``hq_share`` of the ``n`` samples drawn from the target's other modes at its spread (all of
    them high quality: their distance to the mode is capped at 3 standard deviations), the rest 5
    standard deviations from a random mode (none high quality). Which modes are dropped depends on
    ``seed``; ``drop=0`` is the target itself at that high-quality share."""
    k = len(target.means)
    if not 0 <= drop < k:
        raise ValueError(f"drop must lie in [0, {k}), got {drop!r}")
    if not 0 < hq_share <= 1:
        raise ValueError(f"hq_share must lie in (0, 1], got {hq_share!r}")
    rng = np.random.default_rng(seed)
    keep = rng.permutation(k)[drop:]
    m = int(round(hq_share * n))
    off = rng.normal(size=(m, 2))
    norm = np.linalg.norm(off, axis=1, keepdims=True)
    off = off * np.minimum(1.0, 0.999 * HQ_STDS / np.maximum(norm, 1e-12))  # inside the 3-std disc
    good = target.means[rng.choice(keep, m)] + target.std * off
    angle = rng.uniform(0, 2 * math.pi, n - m)
    bad = target.means[rng.integers(0, k, n - m)] + 5 * target.std * np.c_[np.cos(angle), np.sin(angle)]
    return np.concatenate([good, bad])


def missing_mass_bound(n: int, confidence: float = 0.95) -> float:
    """Clopper-Pearson upper bound on a mode's probability when none of n samples fell in it:
    1 - (1 - confidence)^(1/n) (about 3/n at 95 %)."""
    return 1.0 - (1.0 - confidence) ** (1.0 / n)


# ---------------------------------------------------------------------------------------------
# Training setups

@dataclasses.dataclass(frozen=True)
class Setup:
    """One training configuration: the objective, its constraint and optimiser, the networks."""

    name: str
    algo: str  # "gan" or "wgan"
    lipschitz: str = "clip"  # WGAN only
    penalty: float | None = None  # gradient-penalty weight (gp)
    optimizer: tuple = ("adam", 1e-3, (0.5, 0.999))  # (name, lr, betas), both players
    n_critic: int = 1
    nets: str = "small"  # "small" (64 x 2, latent 8), "gan_toy" (512 x 3, latent 2), "pacgan"
    batch: int = 256
    dataset: int | None = None  # a fixed training set of this many points, else fresh samples
    scale: str = "gan_toy"
    clip: float | None = None  # weight-clipping bound c (None: Algorithm 1's 0.01)

    def players(self):
        if self.nets == "small":
            G, C, latent = mlp(8, 2, hidden=64, depth=2), critic_mlp(2, hidden=64, depth=2), 8
        elif self.nets == "gan_toy":  # gan_toy.py: ReLU MLPs 512 x 3, 2-D noise, tflib's initialisation
            G, C, latent = tflib_init_(mlp(2, 2, 512, 3)), tflib_init_(critic_mlp(2, 512, 3)), 2
        elif self.nets == "pacgan":  # PacGAN / ALI: G 400 x 4 with batch norm, D maxout 200 x 3 (5 pieces)
            G = normal_init_(mlp(2, 2, 400, 4, batch_norm=True), 0.02)
            for m in G.modules():
                if isinstance(m, torch.nn.BatchNorm1d):
                    m.momentum = 0.05  # the population statistics' update, m * 0.05 + p * 0.95
            C, latent = maxout_critic(2, 200, 3, 5, init_std=0.02), 2
        else:
            raise ValueError(f"nets must be small, gan_toy or pacgan, got {self.nets!r}")
        name, lr, betas = self.optimizer
        spec = OptimizerSpec(name, lr, tuple(betas))
        if self.algo == "gan":
            return make_players(G, C, "gan", optimizer=spec), latent
        kw = {k: v for k, v in (("weight", self.penalty), ("c", self.clip)) if v is not None} or None
        return make_players(G, C, "wgan", lipschitz=self.lipschitz, constraint_kwargs=kw, optimizer=spec), latent


#: The settings of the published experiments this toy reproduces (its positive controls).
GAN_TOY = Setup("gan_toy.py WGAN-GP", "wgan", "gp", 0.1, ("adam", 1e-4, (0.5, 0.9)), 5, "gan_toy", 256)
#: gan_toy.py with ``MODE = 'wgan'`` (igul222/improved_wgan_training, gan_toy.py): WGAN with weight clipping,
#: the same nets, batch and critic iterations as its WGAN-GP mode, RMSProp 5e-5 for both players (TensorFlow's
#: RMSPropOptimizer; here PyTorch's RMSprop, whose decay and epsilon defaults differ: 0.99 and 1e-8 against
#: 0.9 and 1e-10), every critic parameter clipped to [-0.01, 0.01] after each critic step
GAN_TOY_CLIP = Setup("gan_toy.py WGAN (clipping)", "wgan", "clip", None, ("rmsprop", 5e-5, (0.9, 0.999)), 5,
                     "gan_toy", 256, clip=0.01)
#: PacGAN's configuration says Adam(learning_rate=1e-4, beta1=0.8) in Theano blocks, whose beta1 and
#: beta2 weigh the *new* gradient (mean_t = beta1 g + (1 - beta1) mean; defaults 0.1 and 0.001): in
#: PyTorch's convention that is betas (0.2, 0.999).
PACGAN_GAN = Setup("PacGAN's GAN", "gan", optimizer=("adam", 1e-4, (0.2, 0.999)), nets="pacgan", batch=100,
                   dataset=100_000, scale="pacgan")
#: The toy's own runs: the same small networks for every method, toy learning rates.
TOY = {
    "gan": Setup("GAN (-log D)", "gan", optimizer=("adam", 1e-3, (0.5, 0.999))),
    # c = 0.03: at Algorithm 1's 0.01 this 64 x 2 critic is nearly constant (estimates of 1e-5 against an EM of
    # 0.3; seed 0, ring, 5,000 steps: high-quality share 0.026 at c = 0.01, 0.12 at 0.03, 0.10 at 0.1)
    "clip": Setup("WGAN, clipping", "wgan", "clip", None, ("rmsprop", 5e-4, (0.9, 0.999)), 5, clip=0.03),
    "gp": Setup("WGAN-GP (penalty 0.1)", "wgan", "gp", 0.1, ("adam", 1e-3, (0.0, 0.9)), 5),
}


class Batches:
    """The real batches: fresh samples, or epochs of a fixed training set of ``dataset`` points
    reshuffled each epoch (PacGAN's 100,000); seeded, drawn on the CPU, moved to ``device``."""

    def __init__(self, target: Target, batch: int, seed: int, dataset: int | None, device: str = "cpu"):
        self.target, self.batch, self.device = target, batch, device
        self.g = torch.Generator().manual_seed(20_000 + seed)
        self.data = target.sample(dataset, self.g) if dataset else None
        self.order, self.i = (torch.randperm(dataset, generator=self.g), 0) if dataset else (None, 0)

    def _next_cpu(self) -> torch.Tensor:
        if self.data is None:
            return self.target.sample(self.batch, self.g)
        if self.i + self.batch > len(self.data):
            self.order, self.i = torch.randperm(len(self.data), generator=self.g), 0
        idx = self.order[self.i: self.i + self.batch]
        self.i += self.batch
        return self.data[idx]

    def __call__(self) -> torch.Tensor:
        return self._next_cpu().to(self.device)

    def skip(self, n: int) -> None:
        """Advance by n batches (a resumed run sees the batches an uninterrupted one would)."""
        for _ in range(n):
            self._next_cpu()


def train(setup: Setup, target: Target, seed: int, steps: int, checkpoints: list[int], *,
          em_points: int = 0, scatter_at: tuple[int, ...] = (), device: str = "cpu",
          state_path: Path | None = None, save_every: int = 0, log_every: float = 0.0,
          stop_at: float | None = None) -> dict:
    """Train one run and measure it at ``checkpoints`` (generator steps): the protocol's statistics
    on 2,500 samples of fixed noise, the critic's mean estimate since the previous checkpoint
    (the EM estimate for WGAN, the JS lower bound for the GAN) and, with ``em_points``, the exact
    EM between that many generated and target points (:func:`divergences.wasserstein`).

    ``state_path`` makes the run resumable: every ``save_every`` steps the players, the data
    stream's position and the records are saved there, and a call finds and continues them (a
    call with more ``steps`` than the saved run's extends it: a staged budget).

    ``stop_at``: stop at the first checkpoint whose high-quality share reaches it (a run trained
    *to its learned threshold*); the record's ``stopped`` is that step (None when it ran to
    ``steps``), and a resumed stopped run stays stopped.
    """
    torch.manual_seed(seed)
    if device == "cpu":
        torch.set_num_threads(1)
    players, latent = setup.players()
    for net in (players.generator, players.critic):
        net.to(device)
    real = Batches(target, setup.batch, seed, setup.dataset, device)
    g_eval = torch.Generator().manual_seed(10_000 + seed)
    z_eval = torch.randn(N_EVAL, latent, generator=g_eval).to(device)
    ref = target.sample(em_points, g_eval).numpy().astype(np.float64) if em_points else None
    keys = ("step", "hq_share", "modes", "mode_kl", "counts", "estimate", "em", "elapsed")
    rec: dict = {k: [] for k in keys}
    rec["scatter"] = {}
    start, spent, cpu_spent, stopped = 0, 0.0, 0.0, None
    if state_path is not None and Path(state_path).exists():
        saved = torch.load(state_path, weights_only=False)
        players.generator.load_state_dict(saved["G"])
        players.critic.load_state_dict(saved["C"])
        players.opt_g.load_state_dict(saved["opt_g"])
        players.opt_c.load_state_dict(saved["opt_c"])
        torch.set_rng_state(saved["rng"])
        if saved.get("cuda_rng") is not None and torch.device(device).type == "cuda":
            torch.cuda.set_rng_state(saved["cuda_rng"], torch.device(device))
        rec, start, spent, cpu_spent = saved["rec"], saved["step"], saved["seconds"], saved.get("cpu_seconds", 0.0)
        stopped = saved.get("stopped")
        if stopped is None:
            real.skip(start * setup.n_critic)
    noise = lambda: torch.randn(setup.batch, latent, device=device)  # noqa: E731
    window: list[torch.Tensor] = []
    t0, last_log, cpu0 = time.perf_counter(), time.perf_counter(), time.process_time()
    for step in range(start + 1, steps + 1 if stopped is None else start + 1):
        stats = iteration(players, real, noise, setup.n_critic)
        window.append(stats.critic)
        if step in checkpoints:
            G = players.generator
            G.eval()
            with torch.no_grad():
                x = G(z_eval).cpu().numpy().astype(np.float64)
            G.train()
            r = protocol(x, target)
            for k in ("hq_share", "modes", "mode_kl", "counts"):
                rec[k].append(r[k])
            rec["step"].append(step)
            rec["estimate"].append(float(torch.stack(window).mean()))
            window = []
            rec["em"].append(D.wasserstein(x[:em_points], ref) if em_points else None)
            rec["elapsed"].append(round(spent + time.perf_counter() - t0, 2))
            if stop_at is not None and r["hq_share"] >= stop_at:
                stopped = step
            if step in scatter_at or stopped:
                rec["scatter"][str(step)] = np.round(x[:400], 4).tolist()
        if state_path is not None and save_every and (step % save_every == 0 or step == steps or stopped):
            _save_state(state_path, players, rec, step, spent + time.perf_counter() - t0,
                        cpu_spent + time.process_time() - cpu0, device, stopped)
        if stopped:
            break
        if log_every and time.perf_counter() - last_log >= log_every:
            last_log = time.perf_counter()
            rate = (step - start) / (last_log - t0)
            hq = f", high-quality share {rec['hq_share'][-1]:.3f}, modes {rec['modes'][-1]}" if rec["step"] else ""
            print(f"{setup.name} on the {target.name}, seed {seed}: step {step}/{steps}{hq}, "
                  f"ETA {(steps - step) / rate / 60:.1f} min", flush=True)
    return {"setup": setup.name, "target": target.name, "scale": target.scale, "seed": seed, "steps": steps,
            "stopped": stopped, "stop_at": stop_at,
            "seconds": round(spent + time.perf_counter() - t0, 1), "cpu_seconds": round(cpu_spent + time.process_time() - cpu0, 1),
            **rec}


def _save_state(path: Path, players, rec: dict, step: int, seconds: float, cpu_seconds: float, device: str,
                stopped: int | None = None) -> None:
    import io

    from common.files import atomic_write_bytes

    buf = io.BytesIO()
    torch.save({"G": players.generator.state_dict(), "C": players.critic.state_dict(),
                "opt_g": players.opt_g.state_dict(), "opt_c": players.opt_c.state_dict(),
                "rng": torch.get_rng_state(), "rec": rec,
                "cuda_rng": torch.cuda.get_rng_state(torch.device(device)) if torch.device(device).type == "cuda" else None, "step": step, "seconds": seconds, "cpu_seconds": cpu_seconds, "stopped": stopped}, buf)
    atomic_write_bytes(Path(path), buf.getvalue())
