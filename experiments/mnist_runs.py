"""The trainer's runs on real MNIST digits that the training experiments share, at three budgets.

Each run is ``python -m gan.train`` itself (:func:`gan.train.train`) on the 4,000 training digits
of the fixed split, at 16 x 16 pixels (28 x 28 padded to 32, then resized), DCGAN width 32, batch
64. The trainer saves a generator snapshot at 32 evenly spaced checkpoints; each is scored
afterwards against the 1,000 held-out digits by the validated FD (:mod:`gan.quality`) and the
classifier's view (confident share, classes covered, class KL), and the last one by KID and
feature W1 too (improved precision / recall did not pass validation and are not computed).

Settings (:data:`SPECS`): the WGAN paper's generators (DCGAN, DCGAN without batch norm and with
constant width, 4-layer ReLU MLP) with the DCGAN critic, WGAN with clipping and the DCGAN
baseline; the failing MLP pair at a high learning rate; the critic's optimiser (RMSProp, Adam
with beta1 0.5 or 0.9) at three learning rates; the no-batch-norm generator with batch norm
restored (``dcgan-const``); and WGAN-GP with the settings of Gulrajani et al.'s ``gan_mnist.py``.

Budgets (:data:`BUDGETS`): ``main`` (the 20-minute ``python -m figures``: one seed, 640 WGAN /
1,600 GAN generator steps), ``long`` (``python -m figures --budget long``: the same runs over
three seeds, and what only it runs: the optimiser sweep, the WGAN-GP control at 3,000 steps,
the fresh discriminator swept to 3,000 steps), ``quick`` (seconds: too short to learn). The
long budget was sized to the shared 2-core machine (about 1.5 CPU-hours; longer runs did not
fit). A GPU runs the paper's scale through :func:`paper_scale_tasks` (32 x 32, width 64,
the paper's learning rate and critic schedule, any step budget).

Departures from the paper's settings forced by a CPU (stated in the write-up): 16 x 16 MNIST
digits instead of 64 x 64 LSUN bedrooms; width 32 instead of 64; 10^3 generator steps instead
of ~10^5; RMSProp at 4x the paper's rate for WGAN (2e-4; at 5e-5 a 1,500-step run reaches FD
248 against 127), n_critic = 5 throughout (the reference code's 100-step critic phases would
double runs this short). The GAN keeps the DCGAN baseline's settings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

import divergences as D
from gan import rundir
from gan.algorithm import make_players, train_critic
from gan.config import Config
from gan.defaults import OptimizerSpec
from gan.evaluate import snapshot_generators
from gan.features import embed, load_feature_net
from gan.images import to_float, to_uint8
from gan.losses import js_lower_bound
from gan.mnist import MNISTImages
from gan.models import build_critic, frozen_batchnorm_stats, generate
from gan.quality import class_view, kid
from gan.train import train

from claims import parallel_map
from claims.long_budget import Task

SIZE, WIDTH, BATCH = 16, 32, 64
WGAN_LR = 2e-4
CHECKPOINTS = 32  # snapshots scored per run (>= 30: the correlation claims need them)
EVAL_SAMPLES = 1000


ADAM_LRS = (5e-5, 2e-4, 1e-3)  # the optimiser sweep (lr x beta1)
ADAM_BETA1 = (0.5, 0.9)
#: the rates the CPU's long budget sweeps: at the paper's 5e-5 a 1,000-step run barely leaves its
#: initial blur (FD 248 after 1,500 steps), so it could not show an instability; a GPU runs it
#: (:func:`paper_scale_tasks`)
LONG_ADAM_LRS = (2e-4, 1e-3)


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One setting of the MNIST runs: what the trainer trains, for how long, on which seeds.

    ``kind`` is ``"train"`` (a trainer run) or ``"reference"`` (no training: a fresh discriminator
    trained against real digits, the real-versus-real null of :func:`probe_sweep`). ``steps``
    names the step table (:func:`RunSpec.steps_at`): ``"budget"`` (the budget's WGAN / GAN steps),
    ``"control"`` (:data:`CONTROL_STEPS`), ``"sweep"`` (:data:`SWEEP_STEPS`). ``seeds`` is
    ``"all"`` (the budget's) or ``"first"`` (one seed: a positive control is one reproduction).
    ``probed``: a fresh discriminator is trained against its generators (:data:`PROBE_READS`).
    ``paper_scale``: its overrides at the paper's scale on a GPU (:func:`paper_scale_tasks`; None:
    not run there). ``optimiser`` and ``options`` are the trainer options besides the common ones
    of :func:`config`."""

    name: str
    label: str
    algorithm: str = "wgan"
    generator: str = "dcgan"
    critic: str = "dcgan"
    optimiser: dict = dataclasses.field(default_factory=dict)
    options: dict = dataclasses.field(default_factory=dict)
    kind: str = "train"
    steps: str = "budget"
    seeds: str = "all"
    probed: bool = False
    paper_scale: dict | None = None

    @property
    def algo(self) -> str:
        return self.algorithm

    def trainer_options(self) -> dict:
        """The trainer options of the setting (``algo``, the players, the optimiser, the rest)."""
        if self.kind != "train":
            raise ValueError(f"{self.name} is a {self.kind} run: it trains nothing")
        return {"algo": self.algorithm, "generator": self.generator, "critic": self.critic, **self.optimiser,
                **self.options}

    def steps_at(self, budget: str) -> int:
        """Generator steps at ``budget`` (0 for a reference run)."""
        if self.kind == "reference":
            return 0
        if self.steps == "control":
            return CONTROL_STEPS[budget]
        if self.steps == "sweep":
            return SWEEP_STEPS[budget]
        return BUDGETS[budget]["steps"][self.algorithm]

    def cost(self, budget: str) -> float:
        """Relative cost (critic-step equivalents): for ETAs and to start the longest first."""
        if self.kind == "reference":
            return float(PROBE_READS[budget][-1])
        per = 6 if self.algorithm == "wgan" else 2
        per *= 1.6 if self.options.get("lipschitz") == "gp" else 1.0
        return self.steps_at(budget) * per


_REF = {"reference_schedule": True}  # the paper's critic schedule, at the paper's scale


def _wgan(name, label, generator="dcgan", critic="dcgan", lr=WGAN_LR, paper=None) -> RunSpec:
    return RunSpec(name, label, "wgan", generator, critic, {"lr": lr}, paper_scale=paper)


def _gan(name, label, generator="dcgan", critic="dcgan", paper=None, probed=False) -> RunSpec:
    return RunSpec(name, label, "gan", generator, critic, probed=probed, paper_scale=paper)


_TABLE = [
    _wgan("wgan_dcgan", "WGAN, DCGAN generator and critic", paper={"lr": 5e-5, **_REF}),
    _wgan("wgan_mlp", "WGAN, MLP generator, DCGAN critic", "mlp", paper={"lr": 5e-5, **_REF}),
    _wgan("wgan_nobn", "WGAN, DCGAN generator without batch norm, constant width", "dcgan-nobn",
          paper={"lr": 5e-5, **_REF}),
    _wgan("wgan_mlp_mlp_high_lr", "WGAN, MLP generator and critic, high learning rate", "mlp", "mlp", lr=5e-3),
    _gan("gan_dcgan", "GAN, DCGAN generator and discriminator", paper={}, probed=True),
    _gan("gan_mlp", "GAN, MLP generator, DCGAN discriminator", "mlp", paper={}),
    _gan("gan_nobn", "GAN, DCGAN generator without batch norm, constant width", "dcgan-nobn", paper={}, probed=True),
    _gan("gan_const", "GAN, the same constant-width generator with batch norm restored", "dcgan-const", paper={}),
    _gan("gan_mlp_mlp", "GAN, MLP generator and discriminator", "mlp", "mlp"),
    # gan_mnist.py's scale on a GPU: 32 x 32 (28 padded), width 64 (its DIM)
    RunSpec("wgangp_mnist", "WGAN-GP with gan_mnist.py's settings (Gulrajani et al. 2017)", "wgan", "dcgan", "dcgan",
            {"lr": 1e-4, "betas": (0.5, 0.9)}, {"lipschitz": "gp", "critic_norm": "none", "batch_size": 50},
            steps="control", seeds="first", paper_scale={"batch_size": 50}),
    RunSpec("real_vs_real", "real digits against real digits (a fresh discriminator's null)", kind="reference"),
]
for _lr in ADAM_LRS:
    # at 2e-4 it is wgan_dcgan on the CPU's main job; the sweep's own RMSProp run is as long as its Adam runs
    _TABLE.append(RunSpec(f"wgan_rmsprop_{_lr:g}", f"WGAN, RMSProp lr {_lr:g}", optimiser={"lr": _lr}, steps="sweep",
                          paper_scale=None if _lr == 5e-5 else dict(_REF)))
    for _b1 in ADAM_BETA1:
        # Section 4.2: "when using Adam (beta1 = .5) on the critic": Adam on the critic only, the
        # generator keeping RMSProp at the same rate
        _TABLE.append(RunSpec(
            f"wgan_adam_{_lr:g}_{_b1:g}", f"WGAN, Adam on the critic (generator RMSProp), lr {_lr:g}, beta1 {_b1:g}",
            optimiser={"optimizer": "adam", "generator_optimizer": "rmsprop", "betas": (_b1, 0.999), "lr": _lr},
            steps="sweep", paper_scale=dict(_REF)))
#: every setting, by name
SPECS: dict[str, RunSpec] = {s.name: s for s in _TABLE}
#: the settings a GPU runs at the paper's scale (WGAN with clipping exactly as Algorithm 1: RMSProp
#: 5e-5, the reference critic schedule; 32 x 32 digits, width 64), with their overrides
PAPER_SCALE = {s.name: s.paper_scale for s in _TABLE if s.paper_scale is not None}
#: Section 4.2's optimiser comparison at the paper's scale: each rate's RMSProp run (at 5e-5 the paper's
#: own WGAN, ``wgan_dcgan``), then Adam on the critic at that rate (beta1 .5, .9); what the GPU command runs
#: by default besides the generators (:mod:`benchmarks.gpu`)
PAPER_SCALE_ADAM = [n for lr in ADAM_LRS for n in (["wgan_dcgan" if lr == 5e-5 else f"wgan_rmsprop_{lr:g}"]
                                                   + [f"wgan_adam_{lr:g}_{b1:g}" for b1 in ADAM_BETA1])]
#: what would decide Section 4.2's findings once the CPU's long budget is spent: a task of the GPU command
GPU_ADAM_TASK = ("the MNIST runs at the paper's scale, a task of the GPU command: python -m benchmarks.gpu runs "
                 "experiments.mnist_runs.paper_scale_tasks in its experiments phase, by default with Adam on the "
                 "critic (" + ", ".join(n for n in PAPER_SCALE_ADAM if n.startswith("wgan_adam_")) + ") beside "
                 "RMSProp at the same rates (" + ", ".join(n for n in PAPER_SCALE_ADAM if not n.startswith("wgan_adam_"))
                 + "), 32 x 32 digits, width 64, the paper's critic schedule, three seeds (--mnist-runs, --mnist-seeds, "
                 "--mnist-steps; its default of 5,000 generator steps per run fits short calls, runs of the paper's "
                 "length take GPU-hours; longer 16 x 16 runs on this CPU, a few CPU-hours, would be a first step)")


def rmsprop_runs(groups: dict, lr: float) -> list[dict]:
    """The RMSProp runs at ``lr`` among ``groups``: ``wgan_rmsprop_LR`` (the sweep's, as long as
    the Adam runs), else ``wgan_dcgan`` when it ran at that rate and as many steps as the Adam runs
    at that rate (the main job's one Adam run is set against it; the long budget's 1,500-step
    wgan_dcgan is not set against 640-step Adam runs)."""
    own = groups.get(f"wgan_rmsprop_{lr:g}")
    if own:
        return own
    adam = {r.get("generator_steps") for b1 in ADAM_BETA1 for r in groups.get(adam_name(lr, b1), [])}
    return [r for r in groups.get("wgan_dcgan", []) if abs(r.get("config", {}).get("lr", WGAN_LR) - lr) < 1e-12
            and (not adam or r.get("generator_steps") in adam)]


def adam_name(lr: float, beta1: float) -> str:
    return f"wgan_adam_{lr:g}_{beta1:g}"


#: generator steps (WGAN, GAN) and seeds of each budget
BUDGETS = {
    "quick": {"steps": {"wgan": 20, "gan": 60}, "seeds": (0,), "checkpoints": 4, "samples": 500},
    "main": {"steps": {"wgan": 640, "gan": 1600}, "seeds": (0,), "checkpoints": CHECKPOINTS,
             "samples": EVAL_SAMPLES},
    # WGAN-clip needs ~1,500 steps at 2e-4 to make recognisable digits (Figure 5: FD 127 after
    # 1,500 steps, 180 after 640); the GAN learns within 1,600
    "long": {"steps": {"wgan": 1500, "gan": 1600}, "seeds": (0, 1, 2), "checkpoints": CHECKPOINTS,
             "samples": EVAL_SAMPLES},
}
#: two more seeds (five) in the long budget for the settings Figures 5 and 6 rest on (with three, the
#: intervals of WGAN's confident share (Fig. 5) and of the no-batch-norm FD ratio (Fig. 6) straddled their
#: thresholds), and for the other settings pooled with them in Figures 3, 4, 7 and 8 (the MLP generators),
#: so that every pooled setting weighs the same (five runs each)
LONG_MORE_SEEDS = {n: (3, 4) for n in ("wgan_dcgan", "gan_dcgan", "wgan_nobn", "gan_nobn", "wgan_mlp", "gan_mlp",
                                       "gan_mlp_mlp")}
#: the WGAN-GP control runs longer: its learning rate is half RMSProp's here and it learns slower
CONTROL_STEPS = {"quick": 20, "main": 0, "long": 3000}
#: the optimiser sweep's runs (RMSProp and Adam at each rate): 640 steps, each rate with its own
#: RMSProp run of the same length (``wgan_rmsprop_LR``; in the main job RMSProp at 2e-4 is
#: wgan_dcgan, also 640 steps); a GPU's paper-scale runs are as long as asked
SWEEP_STEPS = {"quick": 20, "main": 640, "long": 640}


def is_sweep(name: str) -> bool:
    """Is ``name`` one of the optimiser sweep's runs (RMSProp or Adam at a rate of the sweep)?"""
    return name in SPECS and SPECS[name].steps == "sweep"


def steps_for(name: str, budget: str) -> int:
    return SPECS[name].steps_at(budget)


def cost(name: str, budget: str) -> float:
    """Relative cost of a run (critic-step equivalents): for ETAs and to start the longest first."""
    return SPECS[name].cost(budget)


def config(name: str, steps: int, seed: int, out: Path, *, checkpoints: int = CHECKPOINTS,
           device: str = "cpu", image_size: int = SIZE, width: int = WIDTH, **overrides) -> Config:
    """The trainer's Config of run ``name``: snapshots at ``checkpoints`` evenly spaced steps (the
    sample sheets), the per-step critic cosine logged for WGAN with clipping, no quality
    evaluation inside the trainer (the snapshots are scored afterwards)."""
    opts = SPECS[name].trainer_options()
    opts.update(overrides)
    every = max(1, steps // checkpoints)
    if opts["algo"] == "wgan" and opts.get("lipschitz", "clip") == "clip":
        opts["log_step_cosine"] = True
    opts.setdefault("batch_size", BATCH)
    return Config(data="mnist", image_size=image_size, width=width, generator_steps=steps, seed=seed,
                  device=device, workers=0, out=str(out), reference_schedule=opts.pop("reference_schedule", False),
                  sample_every=every, log_every=every, checkpoint_every=10**9, checkpoint_minutes=10**9, **opts)


# ------------------------------------------------------------------------------------ scoring


@lru_cache(maxsize=4)
def _reference(image_size: int):
    """The feature network and the held-out reference's features at one image size."""
    net = load_feature_net(None, image_size, verbose=False)
    feats, _ = embed(net, MNISTImages(None, image_size, "heldout").array)
    return net, feats


def feature_net_id(image_size: int = SIZE) -> str:
    """A fingerprint of the feature network's weights. FD's scale depends on the network, and the
    network is retrained whenever gan/features.py changes (its cache key hashes that file), so
    runs are compared only when one network scored them all."""
    net, _ = _reference(image_size)
    h = hashlib.sha256()
    for t in net.state_dict().values():
        h.update(t.detach().cpu().numpy().tobytes())
    return f"{image_size}:{h.hexdigest()[:12]}"


def score(images, image_size: int = SIZE, full: bool = False) -> dict:
    """FD to the held-out digits and the classifier's view (confident share, classes covered,
    class KL) of generated images; with ``full`` also KID and feature W1 (the other validated
    metrics; costlier)."""
    net, ref = _reference(image_size)
    feats, probs = embed(net, images)
    out = {"fd": float(D.frechet_distance(feats, ref)), **class_view(probs)}
    if full:
        out["kid"], out["kid_se"] = kid(feats, ref)
        m = min(1000, len(feats))
        out["w1"] = float(D.wasserstein(feats[:m], ref[:m]))
    return out


@lru_cache(maxsize=4)
def references(image_size: int = SIZE) -> dict:
    """What "recognisable digits" is measured against: the real floor (1,000 probe digits, which
    the feature network never saw, against the held-out reference) and a generator of ten real
    digits (one per class, each repeated 100 times: legible but with no diversity)."""
    probe = MNISTImages(None, image_size, "probe")
    floor = score(probe.array, image_size)
    first = [int(np.flatnonzero(probe.labels == c)[0]) for c in range(10)]
    ten = score(np.repeat(probe.array[first], 100, axis=0), image_size)
    return {"floor": floor, "ten_digits": ten}


def recognisable(scores: dict, image_size: int = SIZE) -> tuple[bool, dict]:
    """Are generated digits recognisable? Three conditions, each anchored on real digits: FD below
    that of the ten-real-digit generator (the samples are closer to the digits than ten perfect
    digits repeated), all ten classes covered, and the classifier confident (p >= 0.9) on at
    least half as many samples as on real digits. Returns (verdict, the thresholds)."""
    ref = references(image_size)
    need = {"fd_below": ref["ten_digits"]["fd"], "classes": 10, "confident_at_least": ref["floor"]["confident"] / 2}
    ok = (scores["fd"] < need["fd_below"] and scores["classes"] >= need["classes"]
          and scores["confident"] >= need["confident_at_least"])
    return bool(ok), need


# ------------------------------------------------------------------------------------ training


def _window_means(steps: np.ndarray, values: np.ndarray, bounds: np.ndarray) -> list[float]:
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        w = (steps > lo) & (steps <= hi)
        out.append(float(values[w].mean()) if w.any() else float("nan"))
    return out


def _cosine_windows(rows: list[dict], bounds: np.ndarray) -> dict | None:
    """Per checkpoint window: the share of critic steps with a negative step cosine and the
    lowest cosine (from the per-critic-step values when the trainer logged them, else from the
    per-generator-step means)."""
    per_step = [(r["step"], r["critic_step_cosines"]) for r in rows if "critic_step_cosines" in r]
    if not per_step:
        per_step = [(r["step"], [r["critic_step_cosine"]]) for r in rows if "critic_step_cosine" in r]
        kind = "mean over the critic steps of each generator step"
    else:
        kind = "every critic step"
    if not per_step:
        return None
    neg, low = [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        vals = np.concatenate([np.asarray(c, float) for s, c in per_step if lo < s <= hi] or [np.zeros(0)])
        neg.append(float((vals < 0).mean()) if len(vals) else float("nan"))
        low.append(float(vals.min()) if len(vals) else float("nan"))
    all_vals = np.concatenate([np.asarray(c, float) for _, c in per_step])
    return {"negative_share": neg, "lowest": low, "resolution": kind, "count": int(len(all_vals)),
            "negative_total": int((all_vals < 0).sum()), "min": float(all_vals.min())}


def _downsample(steps: np.ndarray, values: np.ndarray, n: int = 200) -> tuple[list, list]:
    """At most ``n`` points of a per-step curve (means over equal blocks): enough to draw."""
    if len(values) <= n:
        return steps.tolist(), values.tolist()
    edges = np.linspace(0, len(values), n + 1).astype(int)
    return ([int(steps[b - 1]) for b in edges[1:]],
            [float(values[a:b].mean()) for a, b in zip(edges[:-1], edges[1:])])


def train_record(name: str, seed: int, steps: int, *, checkpoints: int = CHECKPOINTS,
                 samples: int = EVAL_SAMPLES, device: str = "cpu", image_size: int = SIZE,
                 width: int = WIDTH, keep: Path | None = None, sheets: bool = True,
                 probe_reads: tuple[int, ...] = (), probe_at: tuple[str, ...] = ("first", "last"),
                 kid_series: bool = False, **overrides) -> dict:
    """Train run ``name`` (seed, steps) with the trainer and read it: per checkpoint FD and the
    classifier's view, the training statistic and the generator cost averaged over each
    checkpoint window, the critic-step cosine per window (WGAN, clipping), the last checkpoint's
    KID and W1, and sample sheets at the first, middle and last checkpoints. With ``probe_reads``,
    a fresh discriminator is trained against the generator of the first and (or) the last
    checkpoint (``probe_at``; :func:`probe_sweep`, read after each number of steps in
    ``probe_reads``). The run
    directory is temporary unless ``keep`` names a folder to leave it in. ``kid_series`` scores KID
    (and W1) at every checkpoint, not only the last. Any device; the scoring and the probes are on
    the CPU."""
    if device == "cpu":
        torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(keep) / f"{name}-s{seed}" if keep else Path(tmp) / name
        cfg = config(name, steps, seed, out, checkpoints=checkpoints, device=device, image_size=image_size,
                     width=width, **overrides)
        cfg = train(cfg, progress=False).cfg  # the configuration the trainer ran (not read back from disk)
        rows = rundir.read_metrics(out)
        z = torch.randn(samples, cfg.nz, generator=torch.Generator().manual_seed(seed + 12345))
        snaps = list(snapshot_generators(out, cfg))  # (step, {"": generator}), oldest first, on the CPU
        series: dict[str, list] = {"steps": [], "fd": [], "confident": [], "classes": [], "class_kl": []}
        sheet, probes = {}, {}
        stage_idx = {0, len(snaps) // 2, len(snaps) - 1}
        final = {}
        for i, (step, generators) in enumerate(snaps):
            G = generators[""]
            images = generate(G, z)
            sc = score(images, image_size, full=kid_series or i == len(snaps) - 1)
            series["steps"].append(step)
            for k in ("fd", "confident", "classes", "class_kl") + (("kid", "w1") if kid_series else ()):
                series.setdefault(k, []).append(sc[k])
            if i == len(snaps) - 1:
                final = sc
            if sheets and i in stage_idx:
                sheet[step] = to_uint8(images[:16])[..., 0]
            at = {0: "first", len(snaps) - 1: "last"}.get(i)
            if probe_reads and at in probe_at:
                fake = generate(G, torch.randn(2000, cfg.nz, generator=torch.Generator().manual_seed(seed + 7)))
                probes[at] = {"step": step, **probe_sweep(fake, probe_reads, seed)}
    key = "em_estimate" if cfg.algo == "wgan" else "js_lower_bound"
    log_steps = np.array([r["step"] for r in rows if key in r])
    log_stat = np.array([r[key] for r in rows if key in r], dtype=float)
    loss_g = np.array([r["loss_g"] for r in rows if key in r], dtype=float)
    bounds = np.r_[0, series["steps"]]
    ds_steps, ds_stat = _downsample(log_steps, log_stat)
    rec = {"name": name, "label": SPECS[name].label, "seed": seed, "generator_steps": steps,
           "config": {k: v for k, v in dataclasses.asdict(cfg).items()
                      if k in ("algo", "generator", "critic", "lipschitz", "critic_norm", "optimizer", "generator_optimizer", "lr",
                               "betas", "batch_size", "n_critic", "image_size", "width", "nz", "device")},
           **series, "stat_key": key, "stat": _window_means(log_steps, log_stat, bounds),
           "loss_g": _window_means(log_steps, loss_g, bounds), "curve_steps": ds_steps, "curve": ds_stat,
           "final": final, "recognisable": recognisable(final, image_size)[0],
           "feature_net": feature_net_id(image_size)}
    cos = _cosine_windows(rows, bounds)
    if cos is not None:
        c_steps = np.array([r["step"] for r in rows if "critic_step_cosine" in r])
        c_vals = np.array([r["critic_step_cosine"] for r in rows if "critic_step_cosine" in r], dtype=float)
        cos["curve_steps"], cos["curve"] = _downsample(c_steps, c_vals)
        rec["cosine"] = cos
    if sheets:
        rec["samples"] = sheet
    if probes:
        rec["probes"] = probes
    return rec


def _task(task: tuple) -> dict:
    name, seed, steps, kw = task
    if SPECS[name].kind == "reference":
        return {"name": name, "seed": seed, "probe": probe_sweep(None, kw["probe_reads"], seed)}
    return train_record(name, seed, steps, **kw)


#: the fresh discriminator's reads (its steps) at each budget
PROBE_READS = {"quick": (20,), "main": (100, 300, 1000), "long": (100, 300, 1000, 3000)}
#: the runs whose first and last generators are probed (:attr:`RunSpec.probed`): the GAN whose
#: samples improve, and the GAN without batch norm whose samples stay grey (what a trivially
#: separable generator reads)
PROBED = tuple(n for n, s in SPECS.items() if s.probed)
#: every run of the long budget, the most needed first (controls and Figures 3-5, then Figures
#: 6-7, then the optimiser sweep with its own RMSProp run at each rate); the GAN's MLP pair is
#: one of Figure 4's (and 8's) runs
LONG_RUNS = (["gan_dcgan", "wgan_dcgan", "gan_nobn", "real_vs_real", "wgangp_mnist", "wgan_mlp", "gan_mlp",
              "gan_mlp_mlp", "wgan_nobn", "gan_const"]
             + [f"wgan_rmsprop_{lr:g}" for lr in LONG_ADAM_LRS]
             + [adam_name(lr, b1) for lr in LONG_ADAM_LRS for b1 in ADAM_BETA1]
             + ["wgan_mlp_mlp_high_lr"])


def _kw(name: str, budget: str) -> dict:
    b = BUDGETS[budget]
    spec = SPECS[name]
    kw = {"checkpoints": b["checkpoints"], "samples": b["samples"]}
    if spec.probed or spec.kind == "reference":
        kw["probe_reads"] = PROBE_READS[budget]
    if spec.probed and budget == "long":  # the sweep to 3,000 steps on the last generator only
        kw["probe_at"] = ("last",)
    return kw


def run_key(name: str, seed: int, budget: str) -> str:
    return f"{name}-s{seed}-{budget}"


class RunCache:
    """The records of the runs one process has trained, keyed by (name, seed, budget): what
    ``python -m figures`` trains once (:func:`prefetch`) and hands to the experiments that share
    the runs (their ``run(..., cache=)``)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, int, str], dict] = {}

    def runs(self, names: list[str], budget: str, seeds: tuple[int, ...] | None = None) -> dict[tuple[str, int], dict]:
        """The records of runs ``names`` x ``seeds`` at ``budget`` (trained now, on up to two
        processes, unless this cache has them), keyed by (name, seed)."""
        b = BUDGETS[budget]
        seeds = b["seeds"] if seeds is None else seeds
        todo = [(n, s) for n in names for s in seeds if (n, s, budget) not in self.records]
        todo.sort(key=lambda t: -cost(t[0], budget))  # longest first: the two workers finish together
        tasks = [(n, s, steps_for(n, budget), _kw(n, budget)) for n, s in todo]
        for rec in parallel_map(_task, tasks, desc=f"MNIST runs ({budget})"):
            self.records[(rec["name"], rec["seed"], budget)] = rec
        return {(n, s): self.records[(n, s, budget)] for n in names for s in seeds}


def runs(names: list[str], budget: str, seeds: tuple[int, ...] | None = None,
         cache: RunCache | None = None) -> dict[tuple[str, int], dict]:
    """The records of runs ``names`` x ``seeds`` at ``budget``, from ``cache`` (trained now, and
    kept there, when it lacks them; a fresh cache when None), keyed by (name, seed)."""
    return (cache if cache is not None else RunCache()).runs(names, budget, seeds)


#: the runs of the main job (``python -m figures``), shared by loss_quality and architectures
MAIN_RUNS = ["wgan_dcgan", "wgan_mlp", "wgan_nobn", "wgan_mlp_mlp_high_lr", "wgan_adam_0.0002_0.5", "gan_dcgan",
             "gan_mlp", "gan_nobn", "gan_const", "gan_mlp_mlp", "real_vs_real"]


def prefetch(quick: bool, seed: int) -> RunCache:
    """Train every run the MNIST experiments use, in one batch (two workers kept busy): what
    ``python -m figures`` does before it runs them; the cache it hands them."""
    cache = RunCache()
    cache.runs(["wgan_dcgan", "gan_dcgan"] if quick else MAIN_RUNS, "quick" if quick else "main", (seed,))
    return cache


def seeds_at(name: str, budget: str) -> tuple[int, ...]:
    """The seeds of setting ``name`` at ``budget``: the budget's, and at the long budget the extra
    seeds of :data:`LONG_MORE_SEEDS`."""
    return tuple(BUDGETS[budget]["seeds"]) + (LONG_MORE_SEEDS.get(name, ()) if budget == "long" else ())


def long_tasks(names: list[str] | None = None, budget: str = "long") -> list[Task]:
    """The runs ``names`` (default :data:`LONG_RUNS` and the real-versus-real probes) x the
    budget's seeds as long-budget tasks (:mod:`claims.long_budget`), setting by setting (every
    seed of one before the next: an interrupted budget has whole settings)."""
    names = LONG_RUNS if names is None else names
    tasks = []
    for n in names:
        for s in seeds_at(n, budget):
            if SPECS[n].seeds == "first" and s != BUDGETS[budget]["seeds"][0]:
                continue
            tasks.append(Task(run_key(n, s, budget), _task, ((n, s, steps_for(n, budget), _kw(n, budget)),),
                              cost(n, budget)))
    return tasks


# ------------------------------------------------------------------------------------ the GPU


def paper_scale_tasks(device: str = "cuda", steps: int = 100_000, seeds: tuple[int, ...] = (0, 1, 2),
                      names: list[str] | None = None, every: int = 500) -> list[Task]:
    """The paper-scale runs as long-budget tasks for a GPU: ``run_tasks(paper_scale_tasks("cuda",
    100_000), Path("figures/long"))``. 32 x 32 digits, width 64, FD (and the classifier's view) at
    a snapshot every ``every`` generator steps, KID and W1 too; records keyed
    ``NAME-sSEED-paperSTEPS``. The GAN runs keep the DCGAN baseline's settings; WGAN-GP (the
    control) runs at gan_mnist.py's scale. A module's ``run_paper_scale`` aggregates them."""
    names = list(PAPER_SCALE) if names is None else names
    tasks = []
    for n in names:
        kw = {"checkpoints": max(1, steps // every), "samples": 2000, "device": device, "image_size": 32,
              "width": 64, "kid_series": True, **PAPER_SCALE[n]}
        for s in seeds:
            tasks.append(Task(f"{n}-s{s}-paper{steps}", _task, ((n, s, steps, kw),),
                              cost(n, "long") * steps / 1000))
    return tasks


# ------------------------------------------------------------------------------------ probes


def probe_sweep(fake: torch.Tensor | None, reads: tuple[int, ...], seed: int, lr: float = 2e-4) -> dict:
    """A fresh GAN discriminator (the DCGAN critic architecture, Adam 2e-4, beta1 0.5, batch 64)
    trained from scratch against fixed generated images ``fake`` (N, 1, S, S) -- or, when
    ``fake`` is None, against real probe digits (the real-versus-real null) -- read after each
    number of steps in ``reads``: the JS lower bound L/2 + ln 2 and the accuracy on 1,000 of the
    training digits it learns from and on the 1,000 held-out digits (each against 1,000 generated
    images it never saw)."""
    torch.set_num_threads(1)
    train = to_float(MNISTImages(None, SIZE, "features").array)  # 3,000 digits the probe learns from
    held = to_float(MNISTImages(None, SIZE, "heldout").array)
    if fake is None:
        fake = to_float(MNISTImages(None, SIZE, "probe").array)
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(fake), generator=g)
    n_read = min(1000, len(fake) // 2)
    fake_read, fake_train = fake[perm[:n_read]], fake[perm[n_read:]]
    train_read = train[torch.randperm(len(train), generator=g)[:1000]]
    torch.manual_seed(seed)
    p = make_players(None, build_critic("dcgan", SIZE, WIDTH, nc=1), "gan",
                     optimizer=OptimizerSpec("adam", lr, (0.5, 0.999)))
    out = {"steps": [], "js_train": [], "js_heldout": [], "acc_train": [], "acc_heldout": []}
    done = 0

    def batches():
        return (train[torch.randint(0, len(train), (BATCH,), generator=g)],
                fake_train[torch.randint(0, len(fake_train), (BATCH,), generator=g)])

    for target in reads:
        train_critic(p, batches, target - done)
        done = target
        with torch.no_grad(), frozen_batchnorm_stats(p.critic):
            lf = p.critic(fake_read)
            for part, real in (("train", train_read), ("heldout", held[:n_read])):
                lr_ = p.critic(real)
                out[f"js_{part}"].append(float(js_lower_bound(lr_, lf)))
                out[f"acc_{part}"].append(float(((lr_ > 0).float().mean() + (lf < 0).float().mean()) / 2))
        out["steps"].append(target)
    return out


def plateau(values: list[float], spread: float) -> bool:
    """Has a sweep plateaued? Its last step (the budget multiplied by about 3) moved the estimate
    by less than ``spread`` (the spread of the estimate over probe seeds)."""
    return len(values) >= 2 and abs(values[-1] - values[-2]) <= spread


def ln2() -> float:
    return math.log(2.0)


# ------------------------------------------------------------------------------------ evidence


def compact(rec: dict, drawn: bool) -> dict:
    """A run record as a committed result keeps it: everything the claims read; the training
    curves and sample sheets only when ``drawn`` (the figures draw seed 0's)."""
    out = dict(rec)
    if not drawn:
        for k in ("curve_steps", "curve", "samples"):
            out.pop(k, None)
        if "cosine" in out:
            out["cosine"] = {k: v for k, v in out["cosine"].items() if k not in ("curve_steps", "curve")}
    return out


def images(sheet) -> np.ndarray:
    """A sample sheet as uint8 images, from memory or as a JSON result stores it
    (:func:`claims.output.jsonable`: ``{"uint8_base64": ..., "shape": [...]}``)."""
    if isinstance(sheet, dict) and "uint8_base64" in sheet:
        import base64

        return np.frombuffer(base64.b64decode(sheet["uint8_base64"]), np.uint8).reshape(sheet["shape"])
    return np.asarray(sheet, dtype=np.uint8)


def by_name(records) -> dict[str, list[dict]]:
    """Records grouped by setting, each group sorted by seed."""
    out: dict[str, list[dict]] = {}
    for r in (records.values() if isinstance(records, dict) else records):
        out.setdefault(r["name"], []).append(r)
    return {k: sorted(v, key=lambda r: r["seed"]) for k, v in out.items()}


def long_result(names: list[str], records: dict[str, dict]) -> dict:
    """What a module's committed long result holds: the compact records of its runs (every seed;
    curves and sheets of the first seed only), and the budget."""
    b = BUDGETS["long"]
    keep = [r for r in records.values() if r.get("name") in names]
    first = b["seeds"][0]
    return {"budget": "long", "seeds": sorted({r["seed"] for r in keep} | set(b["seeds"])),
            "steps": {**b["steps"], "wgangp_mnist": CONTROL_STEPS["long"], "optimiser sweep": SWEEP_STEPS["long"]},
            "runs": [compact(r, r.get("seed") == first) for r in sorted(keep, key=lambda r: (r["name"], r["seed"]))]}


def control_records(groups: dict[str, list[dict]]) -> tuple[list[dict], dict]:
    """The positive controls found in ``groups`` (every seed must pass) and their status by name:
    ``dcgan`` (the DCGAN baseline on MNIST makes recognisable digits) and ``wgangp`` (WGAN-GP with
    the settings of gan_mnist.py does too). A control not run is absent from the status."""
    from claims import control

    specs = {
        "dcgan": ("gan_dcgan", "the DCGAN baseline (Radford et al. 2016: Adam 2e-4, beta1 0.5, the -log D "
                  "generator loss) makes recognisable MNIST digits"),
        "wgangp": ("wgangp_mnist", "WGAN-GP with the settings of Gulrajani et al.'s gan_mnist.py (Adam 1e-4, "
                   "betas (0.5, 0.9), penalty 10, n_critic 5, batch 50, no normalisation in the critic) makes "
                   "recognisable MNIST digits"),
    }
    out, status = [], {}
    for key, (name, text) in specs.items():
        recs = groups.get(name)
        if not recs:
            continue
        ok = [bool(r["recognisable"]) for r in recs]
        need = recognisable(recs[0]["final"])[1]
        c = control(text, all(ok), {"run": name, "generator_steps": recs[0]["generator_steps"],
                                    "seeds": [r["seed"] for r in recs], **recs[0]["config"]},
                    {"per_seed": [{k: round(float(r["final"][k]), 3) for k in ("fd", "confident", "classes")}
                                  for r in recs], "recognisable": ok,
                     "thresholds": {k: round(float(v), 3) for k, v in need.items()}})
        out.append(c)
        status[key] = c["holds"]
    return out, status


#: why a finding has no verdict at the main budget (one seed) or without the long records
NEEDS_LONG = ("the long budget (python -m figures --budget long: three seeds, its records in figures/long/) "
              "decides; the main budget runs one seed and decides nothing")


def finding(cid: str, statement: str, expected, measured, holds: bool | None, *, source: str, test: dict | None,
            seeds, gates: tuple = (), against: str | None = None, undecided: str | None = None) -> dict:
    """A finding judged by the evidence rule (:func:`claims.record.decide`): no verdict unless
    every gate passed (``gates``: ``(passed, what)`` pairs, e.g. a control), the test rests on at
    least :data:`claims.record.MIN_SEEDS` seeds (else the reason names the long budget) and
    ``holds`` is decided (else ``undecided`` is the reason); then agrees or disagrees as
    ``holds``, read off ``test``, says (``against``: why it disagrees)."""
    from claims import MIN_SEEDS, claim
    from claims.record import n_seeds

    failed = [what for ok, what in gates if ok is not True]
    reason = None
    if n_seeds(seeds) < MIN_SEEDS:
        reason = f"{n_seeds(seeds)} seed(s) of every run it pools, fewer than {MIN_SEEDS}: " + NEEDS_LONG
    elif failed:
        reason = "; ".join(failed)
    elif holds is None or test is None:
        reason = undecided or "the test is undecided"
    if reason is not None:
        return claim(cid, statement, expected, measured, holds, source=source, verdict="no verdict", reason=reason,
                     test=test, seeds=seeds)
    return claim(cid, statement, expected, measured, holds, source=source, test=test, seeds=seeds,
                 reason=None if holds else (against or "the test excludes the paper's claim"))


def gate(claims: list[dict], controls: list[dict]) -> list[dict]:
    """Every decided finding becomes "no verdict" unless the result's controls exist and all
    passed (what :func:`claims.record.check_result` requires of a decided verdict)."""
    failed = [c["reproduces"] for c in controls if not c["holds"]]
    if controls and not failed:
        return claims
    why = ("a control did not pass: " + "; ".join(failed)) if failed else "no control ran"
    for c in claims:
        if c.get("verdict") in ("agrees", "disagrees"):
            c["verdict"], c["reason"] = "no verdict", why
    return claims


def seeds_of(groups: dict[str, list[dict]], names) -> list[int]:
    """The seeds every setting of ``names`` ran (what a test pooling them rests on)."""
    sets = [{r["seed"] for r in groups.get(n, [])} for n in names]
    return sorted(set.intersection(*sets)) if sets and all(sets) else []


def interval_text(values) -> str:
    """``mean [lo, hi]`` of per-seed values (95% Student t), or the one value."""
    from claims.stats import mean_interval

    mi = mean_interval(values)
    return f"{mi['mean']:.4g}" + (f" [{mi['lo']:.4g}, {mi['hi']:.4g}]" if mi["n"] > 1 else "")


def committed(name: str) -> tuple[dict | None, str]:
    """The committed results a module's verdicts rest on, the strongest first: a GPU's paper-scale
    runs (``figures/long/NAME_paper.json``), else the CPU's long budget (``NAME.json``); and the
    label its claims carry."""
    from claims.long_budget import read

    paper = read(f"{name}_paper")
    if paper is not None and scored_alike(paper["runs"]):
        return paper, f" [paper scale ({paper.get('device', 'GPU')}): figures/long/{name}_paper.json]"
    long = read(name)
    if long is not None and scored_alike(long["runs"]):
        return long, f" [long budget: figures/long/{name}.json]"
    if long is not None or paper is not None:
        return None, (" [main budget, one seed: the committed long results were scored by another feature "
                      "network (gan/features.py changed since); rerun python -m figures --budget long]")
    return None, " [main budget, one seed]"


def scored_alike(records) -> bool:
    """Were all these runs scored by the feature network this process scores with? (Results
    scored by another network -- gan/features.py changed since -- are not compared with these:
    their FD has another scale.)"""
    ids = {r["feature_net"] for r in records if "fd" in r or "modes" in r}
    sizes = {i.split(":")[0] for i in ids}
    return len(ids) == len(sizes) and all(i == feature_net_id(int(i.split(":")[0])) for i in ids) and \
        all("feature_net" in r for r in records if "fd" in r or "modes" in r)


def train_paper_scale(module: str, names: list[str], out: Path, device: str = "cuda", steps: int = 100_000,
                    seeds: tuple[int, ...] = (0, 1, 2), every: int = 500) -> Path:
    """Train ``names`` at the paper's scale (:func:`paper_scale_tasks`) and write
    ``out/MODULE_paper.json``, which the module's ``run()`` then judges on (before the long budget)."""
    from claims.long_budget import run_tasks, write

    records = run_tasks(paper_scale_tasks(device, steps, seeds, names, every), out, desc=f"{module}, paper scale")
    result = {"budget": "paper", "device": device, "seeds": list(seeds), "steps": {"all": steps},
              "runs": [compact(r, r.get("seed") == seeds[0]) for r in records.values()]}
    return write(out, f"{module}_paper", result, records,
                 command=f"experiments.{module}.run_paper_scale(device={device!r}, steps={steps}, seeds={tuple(seeds)})")


def paper_scale_runner(module: str, names: list[str]):
    """A module's ``run_paper_scale(out, device="cuda", steps=100_000, seeds=(0, 1, 2), every=500)``:
    its runs at the paper's scale (:func:`paper_scale_tasks`: 32 x 32, width 64, WGAN exactly as
    Algorithm 1, FD and KID every ``every`` steps) into ``out/MODULE_paper.json``, which its
    ``run()`` then judges on first."""
    from claims.long_budget import LONG_DIR

    def run_paper_scale(out: Path = LONG_DIR, device: str = "cuda", steps: int = 100_000,
                        seeds: tuple[int, ...] = (0, 1, 2), every: int = 500) -> Path:
        return train_paper_scale(module, names, Path(out), device, steps, seeds, every)

    run_paper_scale.__doc__ = paper_scale_runner.__doc__.replace("MODULE", module)
    return run_paper_scale
