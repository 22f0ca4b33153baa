r"""The runs of :mod:`toys.mode_collapse`: its plans (main, quick, long), the decisive runs, the
published-scale reproductions, and the resumable long budget with its provenance.

* the main job's runs (:func:`main_tasks`, :func:`toy_run`): the ring, 5 seeds x 3 methods x
  2,000 steps, on the two worker processes;
* the long budget (:func:`run_long`, ``python -m toys.mode_collapse --long``): first the runs that
  decide (:data:`DECIDE`: WGAN-GP on the ring and on the grid, each seed to its learned
  threshold; the clipped WGAN on the grid to 96,000 steps, on the ring to 24,000), in stages that resume one another;
  then the GAN beside them; then short CPU runs of the published-scale reproductions. One
  process, one thread, resumable: every stage is committed in ``figures/long/mode_collapse.json``
  as it lands (:func:`claims.long_budget.run_tasks`, ``into=``), with its provenance. Its cost
  is :func:`long_cpu_hours` (from :data:`COST_MS`, measured per generator step);
* the published-scale reproductions for an accelerator (:func:`run_controls`:
  :func:`gan_toy_control`, WGAN-GP's ``gan_toy.py`` at 100,000 iterations; :func:`gan_toy_clip_control`,
  the same script's WGAN with weight clipping (``MODE = 'wgan'``) at 100,000 iterations;
  :func:`pacgan_control`, PacGAN's GAN at 400 epochs), drawn beside the verdicts, never gates.

:func:`load_long` reads the committed results; :func:`latest` keeps each run's longest stage.
The targets, the protocol and the training loop are :mod:`toys.mixtures`'.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from claims import FIGURES_DIR, long_budget
from claims.long_budget import Task

from .mixtures import GAN_TOY, GAN_TOY_CLIP, LEARNED, PACGAN_GAN, TOY, Target, train

#: the name of the committed long result (figures/long/RESULT.json) and of its state folder
RESULT = "mode_collapse"

METHODS = ("gan", "clip", "gp")
TARGETS = ("ring", "grid")
SCALE = "gan_toy"

MAIN = {"targets": ("ring",), "seeds": 5, "steps": 2000, "every": 50}
#: the long budget's own runs beside the decisive ones (:data:`DECIDE`): the GAN, 5,000 steps; the clipped
#: ring's 12,000-step runs (committed, not rerun) keep their plan here
LONG = {"targets": TARGETS, "seeds": 5, "steps": {"gan": 5000, "clip": 12_000},
        "every": {"gan": 125, "clip": 300}, "em_points": 500}
QUICK_RUN = {"targets": ("ring",), "seeds": 1, "steps": 200, "every": 10}
#: the controls: published budgets, and how far the long budget runs them on a CPU
PACGAN = {"targets": TARGETS, "seeds": {"ring": 2, "grid": 1}, "iterations": 6_000, "every": 500,
          "published": 400_000}
GANTOY = {"targets": ("ring",), "seeds": {"ring": 1}, "iterations": 1_000, "every": 100, "published": 100_000}
#: gan_toy.py's WGAN with weight clipping (``MODE = 'wgan'``): its published scale, run on an accelerator only
#: (:func:`run_controls`, the GPU command); 5 seeds per target, as the clipped toy's coverage finding needs
GANTOY_CLIP = {"targets": TARGETS, "seeds": 5, "published": 100_000}
LONG_PATH = FIGURES_DIR / "long" / f"{RESULT}.json"
LONG_COMMAND = "python -m toys.mode_collapse --long --out figures/long"
#: CPU milliseconds per generator step (measured on the 2-core machine, checkpoints included: the clipped
#: WGAN and WGAN-GP from the committed long runs' CPU seconds, on the machine shared with other jobs), for the ETA
#: and :func:`long_cpu_hours`
COST_MS = {"gan": 3.6, "clip": 13.6, "gp": 23.5, "pacgan": 34.0, "gan_toy": 365.0,
           "gan_toy_clip": 220.0}  # gan_toy_clip: 40 iterations on one core of the busy 2-core machine


def checkpoints(steps: int, every: int) -> list[int]:
    """Every ``every`` generator steps, and the last step."""
    cps = list(range(every, steps + 1, every))
    return cps if cps and cps[-1] == steps else cps + [steps]


# ---------------------------------------------------------------------------------------------
# The runs

def toy_run(task: dict) -> dict:
    """One run of the toy (a task of ``run`` or ``run_long``), measured at its checkpoints."""
    setup = TOY[task["method"]]
    cps = checkpoints(task["steps"], task["every"])
    state, before = task.get("state"), 0.0
    if state:
        Path(state).parent.mkdir(parents=True, exist_ok=True)
        if Path(state).exists():  # a later stage: its CPU seconds are those it adds
            before = torch.load(state, weights_only=False, map_location="cpu").get("cpu_seconds", 0.0)
    r = train(setup, Target(task["target"], SCALE), task["seed"], task["steps"], cps,
              em_points=task.get("em_points", 500), scatter_at=(cps[-1],), log_every=task.get("log_every", 0),
              state_path=state, save_every=task["every"] if state else 0, stop_at=task.get("stop_at"))
    return {"method": task["method"], **r, "run_cpu_seconds": r["cpu_seconds"],
            "cpu_seconds": round(max(0.0, r["cpu_seconds"] - before), 1)}


def _control(setup, scale: str, target: str, iterations: int, seed: int, device: str, state_path: Path | None,
             every: int) -> dict:
    """One published-scale control run of ``setup`` on ``target`` at ``scale``: the protocol's statistics
    every ``every`` iterations, the last with its scatter; resumable through ``state_path``."""
    cps = checkpoints(iterations, every)
    return train(setup, Target(target, scale), seed, iterations, cps, device=device, state_path=state_path,
                 save_every=every if state_path else 0, log_every=60.0, scatter_at=(cps[-1],))


def pacgan_control(target: str, iterations: int = 400_000, seed: int = 0, device: str = "cpu",
                   state_path: Path | None = None, every: int = 500) -> dict:
    """PacGAN's GAN (Lin et al. 2018, ``synthetic_data_experiments``): generator 2-400-400-400-400-2 with
    batch norm, maxout discriminator 3 x 200 (5 pieces), Adam 1e-4 (blocks' beta1 0.8, i.e. PyTorch's
    betas (0.2, 0.999)), batch 100, 100,000 training points, 2-D Gaussian noise; 400 epochs are 400,000
    iterations. Measured every ``every`` iterations with the protocol; resumable through ``state_path``."""
    return _control(PACGAN_GAN, "pacgan", target, iterations, seed, device, state_path, every)


def gan_toy_control(target: str = "ring", iterations: int = 100_000, seed: int = 0, device: str = "cpu",
                    state_path: Path | None = None, every: int = 1000) -> dict:
    """WGAN-GP's toy script (``gan_toy.py``, Gulrajani et al. 2017) through the trainer's iteration: ReLU MLPs
    512 x 3 with tflib's initialisation, 2-D noise, penalty 0.1, Adam 1e-4 betas (0.5, 0.9) for both,
    n_critic 5, batch 256, its 8 Gaussians (ring) or 25 Gaussians (grid) "rescaled to unit spread";
    100,000 iterations. Returns the protocol's statistics every ``every`` iterations (the same as
    :func:`pacgan_control`); resumable through ``state_path`` (a file; saved every ``every``)."""
    return _control(GAN_TOY, "gan_toy", target, iterations, seed, device, state_path, every)


def gan_toy_clip_control(target: str = "ring", iterations: int = 100_000, seed: int = 0, device: str = "cpu",
                         state_path: Path | None = None, every: int = 1000) -> dict:
    """WGAN-GP's toy script with ``MODE = 'wgan'`` (``gan_toy.py``, Gulrajani et al. 2017): the WGAN with
    weight clipping it sets beside WGAN-GP, through the trainer's iteration (:data:`toys.mixtures.GAN_TOY_CLIP`):
    the same ReLU MLPs 512 x 3 with tflib's initialisation, 2-D noise, n_critic 5 and batch 256 as
    :func:`gan_toy_control`, RMSProp 5e-5 for both players, every critic parameter clipped to
    [-0.01, 0.01] after each critic step; 100,000 iterations. The same statistics every ``every``
    iterations; resumable through ``state_path``."""
    return _control(GAN_TOY_CLIP, "gan_toy", target, iterations, seed, device, state_path, every)


#: the published-scale reproductions by kind (the ``kind`` of :func:`run_controls` and of the long budget's tasks)
CONTROLS = {"pacgan": pacgan_control, "gan_toy": gan_toy_control, "gan_toy_clip": gan_toy_clip_control}


def _long_task(task: dict) -> dict:
    device = task.get("device", "cpu")
    if device == "cpu":
        torch.set_num_threads(1)
    if task["kind"] == "toy":
        return toy_run(task)
    fn = CONTROLS[task["kind"]]
    return fn(task["target"], task["steps"], task["seed"], device=device, state_path=task["state"], every=task["every"])


def run_controls(out: Path, device: str = "cuda", kinds: tuple[str, ...] = ("gan_toy",),
                 targets: tuple[str, ...] = ("ring",), seeds: tuple[int, ...] | dict = (0,),
                 iterations: dict | None = None) -> dict:
    """The published-scale reproductions at their published budgets on an accelerator (for a GPU
    command): each ``kind`` ("gan_toy": WGAN-GP's gan_toy.py, 100,000 iterations; "gan_toy_clip": its
    WGAN with weight clipping, 100,000; "pacgan": 400,000) on each target and seed, one run at a
    time on ``device``, resumable (finished runs are skipped, an interrupted one continues from its
    state file), written to ``out/mode_collapse_controls.json`` in the long results' format. Commit
    that file beside ``figures/long/mode_collapse.json``: ``run`` reads both and draws each beside the
    verdicts on its longest run. ``seeds``: the same for every kind, or ``{kind: seeds}``. The runs
    start seed by seed (every kind and target of seed 0 first, in the order of ``kinds``), so that a
    budget cut short has one run of each. ``iterations`` overrides the budgets ({"gan_toy": 2000}: a
    cheaper try)."""
    import shutil

    unknown = [k for k in kinds if k not in CONTROLS]
    if unknown:
        raise ValueError(f"kinds must be among {sorted(CONTROLS)}, got {unknown}")
    per_kind = {k: tuple(seeds[k] if isinstance(seeds, dict) else seeds) for k in kinds}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    budgets = {"gan_toy": GANTOY["published"], "gan_toy_clip": GANTOY_CLIP["published"], "pacgan": PACGAN["published"],
               **(iterations or {})}
    every = {"gan_toy": 1000, "gan_toy_clip": 1000, "pacgan": 4000}
    state = out / f"{RESULT}_controls.state"
    tasks = [{"kind": k, "key": f"{k}/{t}/{s}", "target": t, "seed": s, "steps": budgets[k], "every": every[k],
              "device": device, "state": str(state / f"{k}-{t}-{s}.pt"), "cost": budgets[k] * COST_MS[k] / 1000}
             for k in kinds for s in per_kind[k] for t in targets]
    rank = {k: i for i, k in enumerate(kinds)}
    for task in tasks:  # seed by seed, then kind by kind (the order of kinds), then target
        task["priority"] = (sorted({s for v in per_kind.values() for s in v}).index(task["seed"]) * len(kinds)
                            + rank[task["kind"]]) * len(targets) + targets.index(task["target"])
    command = (f"toys.mode_collapse.run_controls({str(out)!r}, device={device!r}, kinds={tuple(kinds)}, "
               f"targets={tuple(targets)}, seeds={seeds}, iterations={iterations})")
    records = long_budget.run_tasks(_as_tasks(tasks), out, f"{RESULT}_controls", workers=1, into=f"{RESULT}_controls",
                                    command=command)
    if len(records) == len(tasks):
        shutil.rmtree(state, ignore_errors=True)
    return long_budget.read(f"{RESULT}_controls", out)


#: The runs that decide (issue 28), first in the long budget, most decisive first: WGAN-GP on the ring,
#: then on the grid, each seed trained to its learned threshold (stopped at the first checkpoint past it)
#: in stages (a stage resumes the previous one's state; a seed that stopped stays stopped), then the
#: clipped WGAN on the grid to 96,000 steps in stages (not stopped: its whole trajectory is the tracking
#: test's). Each stage of each seed is one task, ``toy/TARGET/METHOD/SEED@STEPS``: a partial budget is
#: a committed result of the stages done.
DECIDE = (("gp", "ring", (2500, 5000, 10_000), 125, True),
          ("gp", "grid", (2500, 5000, 10_000, 20_000), 125, True),
          ("clip", "grid", (12_000, 24_000, 48_000, 96_000), 600, False),
          ("clip", "ring", (12_000, 24_000), 300, False))
DECIDE_SEEDS = 5


def decide_tasks(out: Path) -> list[dict]:
    """The decisive runs (:data:`DECIDE`) as long-budget tasks, in the order they run: for each
    (method, target), each stage over the seeds before the next stage."""
    state = Path(out) / f"{RESULT}.state"
    tasks, prev = [], 0
    for m, t, stages, every, stop in DECIDE:
        prev = 0
        for stage in stages:
            tasks += [{"kind": "toy", "key": f"toy/{t}/{m}/{s}@{stage}", "method": m, "target": t, "seed": s,
                       "steps": stage, "every": every, "em_points": LONG["em_points"], "log_every": 300,
                       "stop_at": LEARNED[t] if stop else None, "state": str(state / f"toy-{m}-{t}-{s}.pt"),
                       "cost": (stage - prev) * COST_MS[m] / 1000}
                      for s in range(DECIDE_SEEDS)]
            prev = stage
    # stage by stage across the runs (a stable sort by steps): the clipped ring's two stages come before the
    # clipped grid's longer ones; a seed's stages stay in order, five tasks or more apart (safe for 2 workers)
    tasks.sort(key=lambda t: t["steps"])
    for i, task in enumerate(tasks):
        task["priority"] = -1.0 + i / (len(tasks) + 1)  # in this order, before everything else
    return tasks


def long_tasks(out: Path) -> list[dict]:
    """Every run of the long budget, each with its ``key`` and estimated CPU seconds (``cost``): the
    decisive runs (:func:`decide_tasks`), then the GAN beside them, then the controls' short runs."""
    state = Path(out) / f"{RESULT}.state"
    tasks = decide_tasks(out)
    tasks += [{"kind": "toy", "key": f"toy/{t}/{m}/{s}", "method": m, "target": t, "seed": s,
               "steps": LONG["steps"][m], "every": LONG["every"][m], "em_points": LONG["em_points"], "log_every": 300,
               "cost": LONG["steps"][m] * COST_MS[m] / 1000}
              for t in LONG["targets"] for m in ("gan",) for s in range(LONG["seeds"])]
    for kind, plan in (("pacgan", PACGAN), ("gan_toy", GANTOY)):
        tasks += [{"kind": kind, "key": f"{kind}/{t}/{s}", "target": t, "seed": s, "steps": plan["iterations"],
                   "every": plan["every"], "state": str(state / f"{kind}-{t}-{s}.pt"), "priority": 1,
                   "cost": plan["iterations"] * COST_MS[kind] / 1000}
                  for t in plan["targets"] for s in range(plan["seeds"][t])]
    for t in tasks:  # a run resumed from its state has less left to do (for the ETA)
        if t.get("state") and Path(t["state"]).exists() and t["kind"] != "toy":
            done = torch.load(t["state"], weights_only=False, map_location="cpu")["step"]
            t["cost"] *= max(0.0, 1 - done / t["steps"])
    return tasks


def _as_tasks(tasks: list[dict]) -> list[Task]:
    """The runs as long-budget tasks, in the order they start: by ``priority`` (the toy's own runs
    before the controls), then the longest first."""
    order = sorted(tasks, key=lambda t: (t.get("priority", 0), -t["cost"]))
    return [Task(t["key"], _long_task, (t,), t["cost"]) for t in order]


def run_long(out: Path = FIGURES_DIR / "long", workers: int = 1) -> None:
    """The long budget (:func:`long_cpu_hours`), in one process with one thread (``workers``: that many
    processes, one thread each, for a machine with cores to spare; a seed's stages still run in order,
    each stage of the five seeds before the next): writes
    ``out/mode_collapse.json`` with every run's numbers and the provenance (command, commit, machine,
    date, CPU seconds), each run (or stage) as it completes. Resumable: a finished task is skipped by
    the next call; an interrupted run resumes from its state file (``out/mode_collapse.state/``,
    removed once every task is done)."""
    import shutil

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = long_tasks(out)
    records = long_budget.run_tasks(_as_tasks(tasks), out, f"{RESULT}, long budget", into=RESULT, command=LONG_COMMAND,
                                    workers=workers)  # default one process, one thread: a shared machine
    if len(records) == len(tasks):
        shutil.rmtree(out / f"{RESULT}.state", ignore_errors=True)


def load_long(path: Path = LONG_PATH) -> dict | None:
    """The committed long-budget results, or None; with the controls' accelerator runs
    (``mode_collapse_controls.json`` beside them, :func:`run_controls`) merged in, a control's longer run
    replacing a shorter one."""
    path = Path(path)
    data = json.loads(path.read_text()) if path.exists() else None
    extra = path.with_name(f"{RESULT}_controls.json")
    if extra.exists():
        more = json.loads(extra.read_text())
        data = data or {"provenance": None, "runs": {}}
        for k, r in more["runs"].items():
            if k not in data["runs"] or r["step"][-1] > data["runs"][k]["step"][-1]:
                data["runs"][k] = r
        data["controls_provenance"] = more.get("provenance")
    return data


def main_tasks(plan: dict, seed: int = 0) -> list[dict]:
    """The main job's (or the quick run's) runs of ``plan``: every target x method x seed, the slowest
    first (the two workers then finish together)."""
    seeds = [seed + i for i in range(plan["seeds"])]
    tasks = [{"method": m, "target": t, "seed": s, "steps": plan["steps"], "every": plan["every"], "em_points": 500}
             for t in plan["targets"] for m in METHODS for s in seeds]
    return sorted(tasks, key=lambda t: -COST_MS[t["method"]])


def long_cpu_hours() -> float:
    """The long budget's CPU time from :data:`COST_MS` (measured per generator step on the 2-core
    machine), every stage run in full (a WGAN-GP seed that stops at its threshold costs less)."""
    return sum(t["cost"] for t in long_tasks(Path("/nonexistent"))) / 3600


def run_key(key: str) -> tuple[str, int]:
    """A long result's key -> (the run it belongs to, the stage's steps): ``toy/grid/clip/3@24000`` ->
    (``toy/grid/clip/3``, 24000); a key without a stage is its own run (stage 0: any stage replaces it)."""
    run, _, stage = key.partition("@")
    return run, int(stage) if stage else 0


def latest(runs: dict) -> dict:
    """Each run's longest stage: ``{run: record}`` from a long result's ``{key: record}``; a staged run
    (``KEY@STEPS``) replaces the committed record of the same seed without stages (its first steps
    repeat it)."""
    best: dict = {}
    for key, rec in runs.items():
        run, stage = run_key(key)
        if run not in best or stage > best[run][0]:
            best[run] = (stage, rec)
    return {run: rec for run, (_, rec) in best.items()}
