r"""Mode collapse on Stacked MNIST (1,000 modes) under the published protocol, beside the published table.

Three training digits drawn at random fill the three channels of an image (``--data
stacked-mnist``, :class:`gan.mnist.StackedMNIST`): 1,000 modes, the digit triples. The protocol
of Metz et al. (Unrolled GAN, 2017) as PacGAN (Lin et al. 2018) reran it: a DCGAN generator
against a *small* discriminator, 1/4 or 1/2 of the generator's size (their discriminators: 2, 4,
8 or 4, 8, 16 filters; here the DCGAN critic with base width 2 or 4: ``--critic-width``); a
pre-trained MNIST classifier (here :mod:`gan.features`, 97.9% accurate at 16 x 16) labels each
channel of 26,000 generated images; the **modes** covered are the distinct triples; **KL** is
that of the generated mode histogram to the uniform one. The published code counts a triple by
the classifier's argmax whatever its confidence, so blurry samples cover modes; this module also
counts **confident modes**: a sample counts only when the classifier is confident (p >= 0.9) in
every channel. The same counts on 26,000 real stacked images are the floor.

Published (PacGAN's Table 3, D is 1/4 or 1/2 of G, mean +- standard error over trials;
28 x 28, all 60,000 MNIST digits, batch 128, Adam):

=============================================  ===================  ===================
method                                          D = 1/4 G: modes, KL  D = 1/2 G: modes, KL
=============================================  ===================  ===================
DCGAN (Metz et al.)                             30.6 +- 20.7, 5.99   628.0 +- 140.9, 2.58
Unrolled GAN, 10 steps (Metz et al.)            327.2 +- 74.7, 4.66  817.4 +- 37.9, 1.43
DCGAN (PacGAN's implementation)                 78.5 +- 17.6, 5.21   487.7 +- 34.6, 2.24
PacDCGAN2 (PacGAN)                              484.5 +- 33.0, 2.61  840.7 +- 15.9, 1.00
=============================================  ===================  ===================

The WGAN paper's claim ("in no experiment did we see evidence of mode collapse for the WGAN
algorithm") is judged as **absolute coverage** by WGAN runs that learned (their confident share at
least half the real digits'), with the 1/4-size critic of the protocol: a statistic that needs no
comparison with the GAN -- the confident modes a run covers over those a generator spreading as
many confident samples uniformly over the 1,000 modes would cover, :math:`K (1 - (1 - 1/K)^n)`
-- with its 95% interval over seeds against :data:`COVERAGE_MARGIN`. Its power control: a
generator that drops half the modes by construction, sampled as often, is detected. The learns
controls are the MNIST DCGAN and WGAN-GP runs (recognisable digits, shared with
:mod:`experiments.loss_quality`). The GAN is reported beside, and so is whether this trainer's
DCGAN with the small discriminators reproduces the published DCGAN rows (modes within the
published means +- 2 standard errors: 0-114 for D = 1/4 G, 418-910 for D = 1/2 G): a
reproduction at the published scale is a GPU's (:func:`paper_scale_tasks`), not a gate here.

Run: ``python -m experiments.stacked_mnist [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from gan.config import Config
from gan.features import embed, load_feature_net
from gan.images import to_uint8
from gan.mnist import StackedMNIST
from gan.models import generate
from gan.train import train

from claims import MIN_SEEDS, Figure, check_result, claim, control, long_budget, parallel_map
from claims import stats as S
from claims.long_budget import Task

from . import mnist_runs


SIZE = mnist_runs.SIZE
SAMPLES = 26_000
NZ = 256
CONFIDENCE = 0.9
#: name -> (algo, critic width, label)
SETTINGS = {
    "gan_d4": ("gan", 2, "GAN, discriminator 1/4 of G"),
    "gan_d2": ("gan", 4, "GAN, discriminator 1/2 of G"),
    "wgan_d4": ("wgan", 2, "WGAN (clipping), critic 1/4 of G"),
}
STEPS = {"quick": {"gan": 40, "wgan": 15}, "main": {"gan": 1500, "wgan": 600}, "long": {"gan": 2000, "wgan": 1200}}
#: what the long budget runs: the setting of the claim (the 1/4-size discriminator), three seeds (the
#: 1/2-size one, the published contrast, did not fit the shared machine; a GPU runs it)
LONG = ("gan_d4", "wgan_d4")
SEEDS = {"quick": (0,), "main": (0,), "long": (0, 1, 2)}
MAIN = ("gan_d4", "wgan_d4")
#: (label, D = 1/4 G (modes, s.e., KL), D = 1/2 G (modes, s.e., KL)) -- PacGAN, Table 3
PUBLISHED = [
    ("DCGAN (Metz et al.)", (30.6, 20.73, 5.99), (628.0, 140.9, 2.58)),
    ("Unrolled GAN, 10 steps (Metz et al.)", (327.2, 74.67, 4.66), (817.4, 37.91, 1.43)),
    ("DCGAN (PacGAN)", (78.5, 17.56, 5.21), (487.7, 34.59, 2.24)),
    ("PacDCGAN2 (PacGAN)", (484.5, 32.99, 2.61), (840.7, 15.92, 1.00)),
]
#: the published DCGAN rows the control reproduces: D = 1/4 G and D = 1/2 G, means +- 2 s.e.
CONTROL_RANGE = {
    "gan_d4": (max(0.0, min(30.6 - 2 * 20.73, 78.5 - 2 * 17.56)), max(30.6 + 2 * 20.73, 78.5 + 2 * 17.56)),
    "gan_d2": (min(628.0 - 2 * 140.9, 487.7 - 2 * 34.59), max(628.0 + 2 * 140.9, 487.7 + 2 * 34.59)),
}
SRC = "WGAN, Section 4.3"


@lru_cache(maxsize=2)
def _net(image_size: int):
    return load_feature_net(None, image_size, verbose=False)


def modes(images: np.ndarray, image_size: int = SIZE) -> dict:
    """Modes and KL to uniform of uint8 stacked images (N, S, S, 3), by argmax (the published
    count) and counting only samples the classifier is confident about in all three channels."""
    net = _net(image_size)
    probs = np.stack([embed(net, images[..., c:c + 1])[1] for c in range(3)], 1)  # (N, 3, 10)
    labels = probs.argmax(2)
    codes = labels[:, 0] * 100 + labels[:, 1] * 10 + labels[:, 2]
    confident = (probs.max(2) >= CONFIDENCE).all(1)

    def count(c):
        counts = np.bincount(c, minlength=1000)
        if counts.sum() == 0:
            return 0, float(np.log(1000))
        p = counts / counts.sum()
        nz = p > 0
        return int(nz.sum()), float(np.sum(p[nz] * np.log(p[nz] * 1000)))

    m, kl = count(codes)
    mc, klc = count(codes[confident])
    return {"modes": m, "kl": kl, "confident_modes": mc, "confident_kl": klc,
            "confident_share": float(confident.mean()), "top_mode_share": float(np.bincount(codes).max() / len(codes))}


def _task(task: tuple) -> dict:
    """Train one setting with the trainer and count its modes."""
    name, seed, steps, samples, device, image_size, width, batch = task
    algo, cw, label = SETTINGS[name]
    if device == "cpu":
        torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config(data="stacked-mnist:128000", algo=algo, image_size=image_size, width=width, critic_width=cw,
                     nz=NZ, batch_size=batch,
                     generator_steps=steps, seed=seed, device=device, workers=0, out=str(Path(tmp) / name),
                     reference_schedule=False, log_every=max(1, steps // 10), sample_every=steps,
                     checkpoint_every=10**9, checkpoint_minutes=10**9,
                     lr=mnist_runs.WGAN_LR if algo == "wgan" else None)
        run = train(cfg, progress=False)
        z = torch.randn(samples, NZ, generator=torch.Generator().manual_seed(seed + 5))
        images = to_uint8(generate(run.G, z.to(next(run.G.parameters()).device)))
    return {"name": name, "label": label, "seed": seed, "steps": steps, "critic_width": cfg.critic_width,
            **modes(images, image_size), "samples": images[:36],
            "feature_net": mnist_runs.feature_net_id(image_size)}


def _tasks(names, budget: str, seeds) -> list[tuple]:
    n = 5000 if budget == "quick" else SAMPLES
    return [(k, s, STEPS[budget][SETTINGS[k][0]], n, "cpu", SIZE, mnist_runs.WIDTH, mnist_runs.BATCH)
            for k in names for s in seeds]


def long_tasks() -> list[Task]:
    return [Task(f"stacked_{t[0]}-s{t[1]}-long", _task, (t,), t[2] * (6 if SETTINGS[t[0]][0] == "wgan" else 2))
            for t in _tasks(list(LONG), "long", SEEDS["long"])]


#: Stacked MNIST at the published scale (:func:`paper_scale_tasks`): samples counted, image size, generator
#: width, batch
PAPER = {"samples": 25_600, "image_size": 32, "width": 16, "batch": 128}
#: the settings at the published scale in the order a GPU runs them: the claim's WGAN first
PAPER_NAMES = ("wgan_d4", "gan_d4", "gan_d2")
#: what would decide the finding once the CPU's long budget is spent: a task of the GPU command
GPU_STACKED_TASK = ("Stacked MNIST at the published scale, a task of the GPU command: python -m benchmarks.gpu runs "
                    "experiments.stacked_mnist.paper_scale_tasks in its experiments phase (32 x 32, the DCGAN generator "
                    "at width 16 against critics of 1/4 and 1/2 its size, batch 128, 25,600 samples counted, three "
                    "seeds; --stacked-steps, --stacked-seeds: its default of 5,000 generator steps fits short calls, the "
                    "published 50,000 take longer ones); it decides only if the WGAN runs' confident share rises "
                    "enough for the coverage statistic's power control to pass")


def paper_scale_tasks(device: str = "cuda", steps: int = 50_000, seeds: tuple[int, ...] = tuple(range(10)),
                      names: tuple[str, ...] = PAPER_NAMES, **sizes) -> list[Task]:
    """Stacked MNIST at the published scale for a GPU: 32 x 32 (the digits padded), the DCGAN
    generator at width 16 (64, 32, 16 filters) and the critics of width 2 and 4 (2, 4, 8 and 4, 8,
    16 filters: Metz et al.'s), batch 128, 25,600 samples counted (:data:`PAPER`); the settings
    ``names`` (setting by setting, every seed of one before the next); records keyed
    ``stacked_NAME-sSEED-paperSTEPS`` for :func:`claims.long_budget.run_tasks`. ``sizes`` overrides
    :data:`PAPER`'s sizes (the GPU command's --tiny path: the same tasks and keys, small)."""
    bad = [n for n in names if n not in SETTINGS]
    if bad or set(sizes) - set(PAPER):
        raise ValueError(f"names must be among {sorted(SETTINGS)} and sizes among {sorted(PAPER)}, got "
                         f"{bad or sorted(set(sizes) - set(PAPER))}")
    p = {**PAPER, **sizes}
    return [Task(f"stacked_{k}-s{s}-paper{steps}", _task,
                 ((k, s, steps, p["samples"], device, p["image_size"], p["width"], p["batch"]),),
                 steps * (6 if SETTINGS[k][0] == "wgan" else 2)) for k in names for s in seeds]


@lru_cache(maxsize=2)
def floor(n: int = SAMPLES, seed: int = 1) -> dict:
    """The counts on ``n`` real stacked images: the measurement's floor."""
    real = StackedMNIST(n, SIZE, seed=seed)
    return {**modes(real.array), "true_modes": int(np.unique(real.labels @ np.array([100, 10, 1])).size)}


def _summary(recs: list[dict]) -> dict:
    out = {"label": recs[0]["label"], "seeds": [r["seed"] for r in recs], "steps": recs[0]["steps"]}
    for k in ("modes", "kl", "confident_modes", "confident_kl", "confident_share"):
        out[k] = [r[k] for r in recs]
        out[k + "_mean"] = float(np.mean(out[k]))
    return out


#: "no evidence of mode collapse": the confident modes covered are at least this share of what a
#: generator spreading as many confident samples uniformly over the 1,000 modes covers
COVERAGE_MARGIN = 0.9
MODES = 1000


def uniform_modes(n: float, modes: int = MODES) -> float:
    r"""Modes a uniform generator covers with ``n`` samples: :math:`K (1 - (1 - 1/K)^n)`."""
    return float(modes * (1.0 - (1.0 - 1.0 / modes) ** n))


def coverage(rec: dict, samples: int) -> dict:
    """A run's coverage needing no "learned" gate: its confident modes over what a uniform
    generator covers with as many confident samples (1: no mode missing beyond chance), beside the
    share of its most frequent mode over the uniform 1/1,000."""
    n = rec["confident_share"] * samples
    expect = uniform_modes(n)
    return {"confident_samples": int(round(n)), "uniform_expects": round(expect, 1),
            "ratio": rec["confident_modes"] / expect if expect >= 1 else float("nan"),
            "top_mode_share_over_uniform": rec.get("top_mode_share", float("nan")) * MODES}


def power_control(confident_samples: list[int], seed: int = 0, kept: int = MODES // 2) -> dict:
    """The power control of the coverage statistic: a generator that drops half the modes by
    construction (uniform on ``kept`` of them), sampled as many times as each WGAN seed has
    confident samples, must give an interval of the ratio below :data:`COVERAGE_MARGIN`; a
    generator on every mode, above it."""
    rng = np.random.default_rng(seed)
    out = {}
    for label, k in (("drops half the modes", kept), ("covers every mode", MODES)):
        ratios = []
        for n in confident_samples:
            covered = np.unique(rng.integers(0, k, size=max(1, n))).size
            ratios.append(covered / uniform_modes(n))
        out[label] = {"ratio per seed": [round(x, 3) for x in ratios], **S.mean_interval(ratios)}
    drop, full = out["drops half the modes"], out["covers every mode"]
    ok = len(confident_samples) >= 3 and drop["hi"] < COVERAGE_MARGIN and full["lo"] > COVERAGE_MARGIN
    return control(f"the coverage ratio's interval over seeds detects a generator that drops half of the 1,000 modes "
                   f"by construction (below {COVERAGE_MARGIN}) and passes one on every mode (above it), at the WGAN "
                   "runs' numbers of confident samples", ok, {"confident samples per seed": list(confident_samples),
                                                            "kept modes": kept},
                   {k: {"ratio per seed": v["ratio per seed"], "interval": [round(v["lo"], 3), round(v["hi"], 3)]}
                    for k, v in out.items()}, kind="power")


def published_rows(groups: dict[str, list[dict]], floor_share: float) -> list[dict]:
    """Does this trainer's DCGAN with the small discriminators reproduce the published DCGAN rows
    (modes within the published means +- 2 s.e.; samples that are digits)? Drawn beside the
    verdict, not a gate (the published scale is a GPU's: :func:`paper_scale_tasks`)."""
    out = []
    for name, (lo, hi) in CONTROL_RANGE.items():
        recs = groups.get(name)
        if not recs:
            continue
        m = float(np.mean([r["modes"] for r in recs]))
        share = float(np.mean([r["confident_share"] for r in recs]))
        out.append({"run": name, "published range": [round(lo), round(hi)], "seeds": [r["seed"] for r in recs],
                    "modes (argmax, as published)": [r["modes"] for r in recs], "mean": round(m, 1),
                    "confident share": round(share, 3), "real digits' confident share": round(floor_share, 3),
                    "reproduced": bool(lo <= m <= hi and share >= floor_share / 2)})
    return out


def judge(groups: dict[str, list[dict]], where: str, floor_share: float, samples: int = SAMPLES,
          mnist_groups: dict[str, list[dict]] | None = None) -> tuple[list[dict], list[dict]]:
    """The controls and the finding from the runs in ``groups``: the learns controls (the MNIST
    DCGAN and WGAN-GP make recognisable digits: ``mnist_groups``, :func:`mnist_runs.control_records`)
    and the coverage statistic's power; ``floor_share`` is the share of real stacked images confident
    in every channel (a run whose confident share is below half of it has not learned)."""
    controls, ok = mnist_runs.control_records(mnist_groups or {})
    st = ("Sec. 4.3 ('in no experiment did we see evidence of mode collapse for the WGAN algorithm'), on 1,000 modes "
          "with the 1/4-size critic of the published protocol: WGAN runs that learned cover the modes -- over seeds, "
          f"the 95% interval of their confident modes over what a uniform generator covers with as many confident "
          f"samples lies above {COVERAGE_MARGIN} (the GAN beside)")
    w = groups.get("wgan_d4", [])
    if not w:
        return controls, [claim("wgan_no_mode_collapse", st + where, f"interval above {COVERAGE_MARGIN}", "not run",
                                None, source=SRC, verdict="no verdict", reason="the runs are missing")]
    cov = {n: [coverage(r, samples) for r in groups.get(n, [])] for n in ("wgan_d4", "gan_d4", "gan_d2")}
    if len(w) >= MIN_SEEDS:  # the control of a test over seeds (one seed decides nothing anyway)
        controls.append(power_control([c["confident_samples"] for c in cov["wgan_d4"]]))
    ratio = S.mean_interval([c["ratio"] for c in cov["wgan_d4"]])
    learned = [r["confident_share"] >= floor_share / 2 for r in w]
    seeds = [r["seed"] for r in w]

    def report(name):
        recs = groups.get(name, [])
        if not recs:
            return "not run"
        mi = S.mean_interval([c["ratio"] for c in cov[name]])
        return {"seeds": [r["seed"] for r in recs], "confident modes": [r["confident_modes"] for r in recs],
                "argmax modes": [r["modes"] for r in recs], "KL (argmax)": [round(r["kl"], 3) for r in recs],
                "confident share": [round(r["confident_share"], 3) for r in recs],
                "uniform generator expects": [c["uniform_expects"] for c in cov[name]],
                "coverage ratio": [round(c["ratio"], 3) for c in cov[name]],
                "ratio interval": [round(mi["lo"], 3), round(mi["hi"], 3)] if mi["n"] > 1 else None,
                "top mode share / (1/1,000)": [round(c["top_mode_share_over_uniform"], 1) for c in cov[name]]}

    g = {r["seed"]: r for r in groups.get("gan_d4", [])}
    m = {"WGAN": report("wgan_d4"), "learned (confident share >= half the real digits')": learned,
         "real digits' confident share": round(floor_share, 3), "GAN, D 1/4 (beside)": report("gan_d4"),
         "WGAN - GAN confident modes, per seed": [r["confident_modes"] - g[r["seed"]]["confident_modes"]
                                                  for r in w if r["seed"] in g]}
    holds = None
    if ratio["n"] > 1:
        holds = True if ratio["lo"] > COVERAGE_MARGIN else False if ratio["hi"] < COVERAGE_MARGIN else None
    test = ({"statistic": "mean coverage ratio over seeds (confident modes / a uniform generator's), Student t",
             "interval": [ratio["lo"], ratio["hi"]], "threshold": COVERAGE_MARGIN} if ratio["n"] > 1 else None)
    shares = ", ".join(f"{r['confident_share']:.3f}" for r in w)
    steps = min(r["steps"] for r in w)
    spent = steps >= STEPS["long"]["wgan"] and len(w) >= len(SEEDS["long"])
    nxt = (f"the CPU's long budget is spent ({steps:,} WGAN generator steps, {len(w)} seeds); what would decide is "
           + GPU_STACKED_TASK if spent else
           "the long budget (python -m figures --budget long: " f"{STEPS['long']['wgan']:,} WGAN generator steps, "
           f"{len(SEEDS['long'])} seeds) would decide")
    gates = ((all(learned) or None, f"the WGAN runs did not learn at this budget ({sum(learned)} of {len(w)} seeds; "
              f"confident share {shares} against half the real digits' "
              f"{floor_share / 2:.3f}): the claim is about runs that learned; {nxt}"),
             (ok.get("dcgan"), "the MNIST DCGAN control " + ("failed" if ok.get("dcgan") is False else "did not run")),
             (ok.get("wgangp"), "the MNIST WGAN-GP control " + ("failed" if ok.get("wgangp") is False
                                                               else "did not run")),
             (bool(controls) and controls[-1]["kind"] == "power" and controls[-1]["holds"],
              "the coverage statistic's power control failed"))
    found = mnist_runs.finding("wgan_no_mode_collapse", st + where, f"interval above {COVERAGE_MARGIN}", m, holds,
                               source=SRC, test=test, seeds=seeds, gates=gates, against=FIGURE.why["wgan_no_mode_collapse"],
                               undecided=f"the interval straddles {COVERAGE_MARGIN}: more seeds would decide")
    return controls, mnist_runs.gate([found], controls)


_MEMO: dict = {}


def run(quick: bool = False, seed: int = 0) -> dict:
    """Numbers of the experiment (the runs go to temporary folders, on two processes), and the
    committed long results when there are some."""
    budget = "quick" if quick else "main"
    n = 5000 if quick else SAMPLES
    fl = floor(n, seed + 1)
    key = (budget, seed)
    if key not in _MEMO:
        _MEMO[key] = parallel_map(_task, _tasks(MAIN, budget, (seed,)), desc="stacked MNIST runs")
    recs = _MEMO[key]
    groups = mnist_runs.by_name(recs)
    claims = [claim("real_covers_all_modes", f"{n:,} real stacked images, labelled by the feature network, cover "
                    "nearly all 1,000 modes with a KL near 0, by argmax and counting only confident labels (the "
                    "measurement's floor)", ">= 990 modes, KL < 0.1" if not quick else ">= 950 modes",
                    f"{fl['modes']} modes, KL {fl['kl']:.3f}; confident {fl['confident_modes']}, KL "
                    f"{fl['confident_kl']:.3f}",
                    fl["modes"] >= (990 if not quick else 950) and fl["kl"] < (0.1 if not quick else 0.3)
                    and fl["confident_modes"] >= (990 if not quick else 900), "sanity",
                    source="beyond the papers (the measurement)")]
    result = {"floor": fl, "published": PUBLISHED, "samples_counted": n, "budget": budget,
              "runs": {k: _summary(v) for k, v in groups.items()},
              "sheets": {r["name"]: r["samples"] for r in recs if r["seed"] == seed}, "long": None,
              "settings": {"image_size": SIZE, "generator": f"DCGAN, width {mnist_runs.WIDTH}, nz {NZ}",
                           "critic_widths": {k: v[1] for k, v in SETTINGS.items()},
                           "steps": STEPS[budget], "seeds": [seed]}}
    if quick:
        controls, _ = judge(groups, "", fl["confident_share"], n)
        result.update(controls=controls, claims=claims, needs_full_run=["wgan_no_mode_collapse"])
        return check_result(result, SRC)
    long = long_budget.read(FIGURE.name)
    if long is not None and not mnist_runs.scored_alike(long["runs"]):
        long = None  # scored by another feature network (gan/features.py changed): rerun the long budget
    if long is not None:
        lg = mnist_runs.by_name(long["runs"])
        controls, found = judge(lg, " [long budget: figures/long/stacked_mnist.json]", fl["confident_share"], n,
                                mnist_runs.by_name(control_runs(long)))
        result["published_rows"] = published_rows(lg, fl["confident_share"])
        result["long"] = {"provenance": long["provenance"], "runs": {k: _summary(v) for k, v in lg.items()},
                          "steps": long["steps"], "seeds": long["seeds"]}
        result["sheets"].update({r["name"]: r["samples"] for r in long["runs"]
                                 if r["seed"] == long["seeds"][0] and "samples" in r})
    else:
        controls, found = judge(groups, " [main budget, one seed]", fl["confident_share"], n)
        result["published_rows"] = published_rows(groups, fl["confident_share"])
    result.update(controls=controls, claims=claims + found, needs_full_run=[])
    return check_result(result, SRC)


#: the MNIST runs whose records are the learns controls (the DCGAN and WGAN-GP make recognisable digits)
CONTROL_RUNS = ("gan_dcgan", "wgangp_mnist")


def control_runs(long: dict) -> list[dict]:
    """The MNIST control runs a long result rests on: its own (``control_runs``), else those of
    loss_quality's committed long result."""
    if long.get("control_runs"):
        return long["control_runs"]
    other = long_budget.read("loss_quality")
    if other is None or not mnist_runs.scored_alike(other["runs"]):
        return []
    return [r for r in other["runs"] if r.get("name") in CONTROL_RUNS]


def run_long(out: Path = long_budget.LONG_DIR) -> None:
    """The long budget: the GAN and WGAN with the 1/4-size discriminator / critic, three seeds,
    2,000 / 1,200 generator steps, and the MNIST control runs (shared with loss_quality: trained
    once); writes ``out/stacked_mnist.json``."""
    tasks = long_tasks()
    controls = mnist_runs.long_tasks(list(CONTROL_RUNS))
    records = long_budget.run_tasks(tasks + controls, out, desc="stacked_mnist, long budget")
    keys = {t.key for t in tasks}
    runs = [{k: v for k, v in r.items() if k != "samples" or r["seed"] == 0} for key, r in records.items()
            if key in keys]
    mnist = [mnist_runs.compact(r, False) for key, r in records.items() if key not in keys]
    long_budget.write(out, FIGURE.name, {"budget": "long", "seeds": list(SEEDS["long"]), "steps": STEPS["long"],
                                  "runs": runs, "control_runs": mnist}, records)


def tables(result: dict) -> list[str]:
    """The write-up's extra lines: the controls, and this run's counts beside the published table."""
    from claims import fmt

    lines: list[str] = []  # the controls and the provenance: figures.writeup prints them
    lines += ["", f"Modes covered of 1,000 and KL to uniform ({result['samples_counted']:,} samples; argmax as "
              "published, and counting only samples confident in every channel):", "",
              "| method | D = 1/4 G: modes, KL | D = 1/2 G: modes, KL |", "|---|---|---|"]
    lines += [f"| {n} (published) | {q[0]} +- {q[1]}, {q[2]} | {h[0]} +- {h[1]}, {h[2]} |"
              for n, q, h in result["published"]]
    runs = (result.get("long") or {}).get("runs") or result["runs"]
    src = "long budget" if result.get("long") else "this run"
    lines += ["", "| this toolkit (" + src + ") | seeds | modes (argmax) | KL | confident modes | confident KL |",
              "|---|---|---|---|---|---|"]
    for k, r in runs.items():
        lines.append(f"| {r['label']}, {r['steps']} steps | {len(r['seeds'])} | {fmt(r['modes'])} | "
                     f"{fmt([round(x, 2) for x in r['kl']])} | {fmt(r['confident_modes'])} | "
                     f"{fmt([round(x, 2) for x in r['confident_kl']])} |")
    fl = result["floor"]
    lines.append(f"| real stacked digits (the floor) | - | {fl['modes']} | {fmt(fl['kl'])} | {fl['confident_modes']} | "
                 f"{fmt(fl['confident_kl'])} |")
    found = next((c for c in result["claims"] if c["id"] == "wgan_no_mode_collapse"), None)
    if found and isinstance(found["measured"], dict):
        lines += ["", f"Coverage (the finding's statistic): confident modes over those a uniform generator covers with as "
                  f"many confident samples; 'no mode collapse' is an interval above {COVERAGE_MARGIN}:", "",
                  "| run | seeds | confident samples | uniform expects | confident modes | ratio | 95% interval |",
                  "|---|---|---|---|---|---|---|"]
        for label, key in (("WGAN, critic 1/4", "WGAN"), ("GAN, D 1/4 (beside)", "GAN, D 1/4 (beside)")):
            m = found["measured"].get(key)
            if isinstance(m, dict):
                lines.append(f"| {label} | {fmt(m['seeds'])} | - | {fmt(m['uniform generator expects'])} | "
                             f"{fmt(m['confident modes'])} | {fmt(m['coverage ratio'])} | {fmt(m['ratio interval'])} |")
    rows = result.get("published_rows") or []
    if rows:
        lines += ["", "The published DCGAN rows (PacGAN Table 3), reproduced here? (beside the verdict, not a gate):", "",
                  "| run | published range | modes per seed | confident share | reproduced |", "|---|---|---|---|---|"]
        lines += [f"| {r['run']} | {r['published range'][0]}-{r['published range'][1]} | "
                  f"{fmt(r['modes (argmax, as published)'])} | {fmt(r['confident share'])} | "
                  f"{'yes' if r['reproduced'] else 'no'} |" for r in rows]
    return lines


def plot(result: dict):
    """Samples of each setting, and modes / KL beside the published table."""
    import matplotlib.pyplot as plt

    from gan.rundir import image_grid

    sheets = result["sheets"]
    runs = (result.get("long") or {}).get("runs") or result["runs"]
    names = [k for k in SETTINGS if k in sheets]
    fig, ax = plt.subplots(1, len(names) + 2, figsize=(5 * len(names) + 12, 5.5),
                           gridspec_kw={"width_ratios": [1] * len(names) + [1.5, 1.5]})
    for a, k in zip(ax, names):
        a.imshow(image_grid(mnist_runs.images(sheets[k])[:36], nrow=6))
        r = runs.get(k) or result["runs"].get(k)
        a.set_title(f"{SETTINGS[k][2]}, {r['steps']} steps\nmodes {r['modes_mean']:.0f} (confident "
                    f"{r['confident_modes_mean']:.0f}), KL {r['kl_mean']:.2f}", fontsize=9)
        a.axis("off")
    rows = []
    for lab, q, h in result["published"]:
        rows.append((f"{lab}, D 1/4 (published)", q[0], q[1], q[2], None, "C7"))
        rows.append((f"{lab}, D 1/2 (published)", h[0], h[1], h[2], None, "C7"))
    src = "long budget" if result.get("long") else "this run"
    for k, r in runs.items():
        spread = (max(r["modes"]) - min(r["modes"])) / 2 if len(r["modes"]) > 1 else 0
        rows.append((f"{r['label']} ({src})", r["modes_mean"], spread, r["kl_mean"], r["confident_modes_mean"],
                     "C3" if k.startswith("gan") else "C0"))
    fl = result["floor"]
    rows.append(("real stacked digits (floor)", fl["modes"], 0, fl["kl"], fl["confident_modes"], "C2"))
    y = np.arange(len(rows))
    ax[-2].barh(y, [r[1] for r in rows], xerr=[r[2] for r in rows], color=[r[5] for r in rows])
    conf = [(i, r[4]) for i, r in enumerate(rows) if r[4] is not None]
    ax[-2].barh([i for i, _ in conf], [c for _, c in conf], color="none", edgecolor="k", hatch="//", lw=0.6,
                label="confident modes (every channel p >= 0.9)")
    ax[-2].set_yticks(y, [r[0] for r in rows], fontsize=7)
    ax[-2].set(xlabel="modes covered (of 1,000)", ylabel="method", xlim=(0, 1050), title="Stacked MNIST: modes")
    ax[-2].invert_yaxis()
    ax[-2].legend(fontsize=7, loc="lower right")
    ax[-1].barh(y, [r[3] for r in rows], color=[r[5] for r in rows])
    ax[-1].set_yticks(y, [""] * len(rows))
    ax[-1].set(xlabel="KL(generated modes || uniform), nats", ylabel="(same order)", title="Stacked MNIST: KL")
    ax[-1].invert_yaxis()
    fig.suptitle(f"Mode collapse on Stacked MNIST ({result['samples_counted']:,} samples; published: 28x28, "
                 "tens of thousands of steps; here 16x16, CPU minutes)")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="stacked_mnist",
    title="Mode collapse on Stacked MNIST",
    source="WGAN, Section 4.3 (on the VEEGAN / PacGAN / Unrolled GAN benchmark)",
    claim=(
        "On 1,000 modes (three digits stacked in the channels), with the small discriminators of the published "
        "protocol under which the GAN collapses, WGAN shows no mode collapse; counted beside the published table."
    ),
    quick="5,000 samples instead of 26,000, a few dozen generator steps: no verdict on the methods",
    caption=(
        "Left: samples of the GAN with the discriminator of 1/4 and 1/2 of the generator's size, and of WGAN with "
        "the 1/4-size critic (the three channels are the three digits; seed 0). Right: modes covered (of 1,000) and "
        "KL to uniform, this run's (argmax count as published; hatched: the confident count) beside the published "
        "numbers (grey) and the real stacked digits' floor (green); error bars: the spread over seeds."
    ),
    departures=(
        "16 x 16 images (published: 28 x 28); the 4,000 training digits of the fixed split (published: all 60,000); "
        "batch 64 (published: 128); Adam 2e-4 (beta1 0.5) for both players (Metz et al.: 1e-4 for the generator); "
        "the generator is this toolkit's DCGAN at width 32 with nz 256 (two upsampling stages: 64 and 32 filters; "
        "theirs: 64, 32, 16, 8); the discriminators have two stride-2 layers (2, 4 or 4, 8 filters; theirs three); "
        "1,500 GAN / 600 WGAN generator steps (main job, one seed) or 2,000 / 1,200 (long budget, three seeds) "
        "instead of tens of thousands; the classifier is this toolkit's feature network."
    ),
    why={
        "wgan_no_mode_collapse": ("WGAN with the small critic covered fewer confident modes than a generator spreading as "
                                  "many confident samples over the 1,000 modes would, beyond the margin, across seeds."),
    },
    run=run, plot=plot, tables=tables, run_long=run_long, pooled=True,
)


if __name__ == "__main__":
    FIGURE.main()
