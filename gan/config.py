"""The configuration of a training run: one dataclass, its command line, and the resume rules.

Every field declares, in its metadata, its help text, its choices and whether a resumed run may
change it (``resume=True``: how the run is executed -- steps, device, logging; ``False``: what is
trained -- data layout, algorithm, models, optimiser, seed). The command line
(:func:`build_parser`), the check of a ``--resume`` command against the run's ``config.json``
(:func:`resume_config`) and the check of a checkpoint against the run (:func:`identity`) are all
derived from that one declaration.

Options whose default depends on the algorithm and the Lipschitz constraint (the critic's
normalisation, the optimiser, its learning rate and betas, n_critic, the reference critic
schedule) are ``None`` until :meth:`Config.resolved` fills them in from the table of
:mod:`gan.defaults`; ``config.json`` always holds the resolved values.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import rundir
from .defaults import OptimizerSpec, defaults
from .lipschitz import CONSTRAINTS
from .losses import GAN_LOSSES
from .models import CRITICS, GENERATORS, NORMS, stages

DATA_HELP = "lsun:PATH | folder:PATH | prepared:PATH | mnist[:PATH] | stacked-mnist[:N] | synthetic[:N]"


def option(default: Any, help: str, *, choices: tuple | None = None, resume: bool = False,
           **argparse_kwargs) -> Any:
    """A Config field with its command-line help, choices and resume rule."""
    meta = {"help": help, "choices": choices, "resume": resume, "argparse": argparse_kwargs}
    return field(default=default, metadata=meta)


@dataclass
class Config:
    """Everything that defines a run (saved as ``config.json``)."""

    # --- what is trained: fixed for the life of a run
    data: str = option("", f"{DATA_HELP} (required for a new run; may point elsewhere on resume)",
                       resume=True)
    algo: str = option("wgan", "WGAN (Algorithm 1) or the GAN baseline (-log D)", choices=("wgan", "gan"))
    generator: str = option("dcgan", "generator architecture", choices=GENERATORS)
    critic: str = option("dcgan", "critic / discriminator architecture", choices=CRITICS)
    extra_layers: int = option(0, "extra 3x3 conv layers at the top resolution of both DCGAN models "
                               "(the reference code's n_extra_layers)")
    lipschitz: str = option("clip", "WGAN Lipschitz constraint", choices=tuple(CONSTRAINTS))
    clip: float = option(0.01, "weight clipping bound c")
    critic_norm: str | None = option(None, "critic normalisation (default: batch for clip and the GAN, "
                                     "layer for gp/lp, none for sn)", choices=NORMS)
    gan_loss: str = option("nonsaturating", "GAN generator loss: -log D or the original log(1 - D)",
                           choices=GAN_LOSSES)
    optimizer: str | None = option(None, "optimiser of both players (default: the algorithm's: RMSProp "
                                   "for clipping, Adam for the GAN and the penalties)",
                                   choices=("rmsprop", "adam"))
    generator_optimizer: str | None = option(
        None, "the generator's own optimiser, at the same learning rate, when it differs from the critic's "
        "(the WGAN paper's Section 4.2 puts Adam on the critic: --optimizer adam --generator-optimizer "
        "rmsprop; default: --optimizer)", choices=("rmsprop", "adam"))
    lr: float | None = option(None, "learning rate of both players (default: the algorithm's)", type=float)
    betas: tuple[float, float] | None = option(None, "Adam's (beta1, beta2) (default: the algorithm's)",
                                               nargs=2, type=float, metavar=("BETA1", "BETA2"))
    image_size: int = option(64, "image side, a multiple of 16")
    batch_size: int = option(64, "batch size per process")
    nz: int = option(100, "latent dimension")
    width: int = option(64, "DCGAN base width (ngf = ndf)")
    critic_width: int | None = option(None, "the critic's (discriminator's) own DCGAN base width, when it "
                                      "differs from the generator's (default: --width)", type=int)
    mlp_hidden: int = option(512, "MLP hidden units")
    n_critic: int | None = option(None, "critic steps per generator step (default: the algorithm's: 5 for "
                                  "WGAN, 1 for the GAN)", type=int)
    reference_schedule: bool | None = option(
        None, "100 critic steps for the first 25 generator steps and every 500th (the reference code's "
        "habit; default: on for clipping, off otherwise)", action=argparse.BooleanOptionalAction)
    ema: float | None = option(None, "keep an exponential moving average of the generator's weights "
                               "with this decay (e.g. 0.999; default off, as in the paper)", type=float)
    seed: int = option(0, "random seed")
    bf16: bool = option(False, "bf16 autocast (fast on GPUs and CPUs with native bf16 units)",
                        action="store_true")
    # --- how it runs: a resumed run may change these
    generator_steps: int = option(100_000, "total generator steps of the run", resume=True)
    device: str = option("auto", "training device", choices=("auto", "cpu", "cuda"), resume=True)
    compile: bool = option(False, "torch.compile the models", resume=True, action="store_true")
    workers: int = option(4, "decoding processes for lsun: and folder: data", resume=True)
    data_on_device: str = option("auto", "keep a prepared array on the GPU (auto: when it fits)",
                                 choices=("auto", "yes", "no"), resume=True)
    log_every: int = option(10, "metrics gathered every N generator steps", resume=True)
    log_seconds: float = option(60.0, "... and at least every S seconds", resume=True)
    sample_every: int = option(500, "sample sheet (and generator snapshot) every N steps", resume=True)
    checkpoint_every: int = option(1000, "checkpoint every N generator steps", resume=True)
    checkpoint_minutes: float = option(10.0, "... and at least every M minutes of training", resume=True)
    eval_every: int = option(0, "score the generator with the feature-space metrics every N steps "
                             "(needs a feature network: --data mnist; 0: never)", resume=True)
    eval_samples: int = option(2000, "generated images per evaluation", resume=True)
    log_step_cosine: bool = option(False, "log the cosine between the critic optimiser's step and the "
                                   "negative gradient at every critic step (critic_step_cosines; their "
                                   "mean: critic_step_cosine) (WGAN paper, Section 4.2)", resume=True,
                                   action="store_true")
    tensorboard: bool = option(False, "also write the metrics and the sample sheets as TensorBoard events in "
                               "RUN_DIR/tensorboard (needs the optional tensorboard package)", resume=True,
                               action="store_true")
    out: str = option("", "run directory (default runs/ALGO-GENERATOR-TIME)", resume=True)

    # ------------------------------------------------------------------ derived

    def constraint_kwargs(self) -> dict:
        return {"c": self.clip} if self.lipschitz == "clip" else {}

    def resolved(self) -> Config:
        """A copy with every algorithm-dependent default filled in from :func:`gan.defaults.defaults`
        (a resolved config comes back unchanged)."""
        row = defaults(self.algo, self.lipschitz)
        spec = row.optimizer.with_optimizer(self.optimizer)
        return dataclasses.replace(
            self, optimizer=spec.name,
            lr=spec.lr if self.lr is None else self.lr,
            betas=tuple(spec.betas if self.betas is None else self.betas),
            critic_norm=row.critic_norm if self.critic_norm is None else self.critic_norm,
            n_critic=row.n_critic if self.n_critic is None else self.n_critic,
            reference_schedule=row.reference_schedule if self.reference_schedule is None
            else self.reference_schedule)

    def optimizer_spec(self) -> OptimizerSpec:
        """Both players' optimiser (of a resolved config)."""
        if self.optimizer is None or self.lr is None or self.betas is None:
            raise ValueError("optimizer_spec() needs a resolved config: call Config.resolved() first")
        return OptimizerSpec(self.optimizer, self.lr, tuple(self.betas))

    def generator_optimizer_spec(self) -> OptimizerSpec | None:
        """The generator's own optimiser (of a resolved config), or None when it is the critic's."""
        spec = self.optimizer_spec()
        if self.generator_optimizer is None or self.generator_optimizer == spec.name:
            return None
        return spec.with_optimizer(self.generator_optimizer)

    def validate(self) -> Config:
        """Raise ``ValueError`` naming the option for anything out of range; returns self."""
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValueError(msg)

        need(bool(self.data), f"--data is required: {DATA_HELP}")
        for f in dataclasses.fields(self):
            choices, value = f.metadata.get("choices"), getattr(self, f.name)
            if choices and value is not None:
                need(value in choices, f"{flag(f.name)} must be one of {', '.join(choices)}, got {value!r}")
        try:
            stages(self.image_size)
        except ValueError:
            raise ValueError(f"--image-size must be a positive multiple of 16, got {self.image_size}") from None
        need(self.n_critic is None or self.n_critic > 0, f"--n-critic must be positive, got {self.n_critic}")
        for name in ("batch_size", "nz", "width", "mlp_hidden", "generator_steps", "log_every", "sample_every", "checkpoint_every", "eval_samples"):
            need(getattr(self, name) > 0, f"{flag(name)} must be positive, got {getattr(self, name)}")
        need(self.critic_width is None or self.critic_width > 0,
             f"--critic-width must be positive, got {self.critic_width}")
        for name in ("workers", "eval_every", "extra_layers"):
            need(getattr(self, name) >= 0, f"{flag(name)} must be >= 0, got {getattr(self, name)}")
        for name in ("clip", "log_seconds", "checkpoint_minutes"):
            need(getattr(self, name) > 0, f"{flag(name)} must be positive, got {getattr(self, name)}")
        need(math.isfinite(self.clip), f"--clip must be finite, got {self.clip}")
        need(self.lr is None or (math.isfinite(self.lr) and self.lr > 0),
             f"--lr must be a positive finite number, got {self.lr}")
        need(self.betas is None or (len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas)),
             f"--betas must lie in [0, 1), got {self.betas}")
        need(self.ema is None or 0 < self.ema < 1, f"--ema must lie in (0, 1), got {self.ema}")
        need(not self.tensorboard or importlib.util.find_spec("tensorboard") is not None,
             "--tensorboard needs the tensorboard package, which is not installed: pip install tensorboard "
             "(or drop --tensorboard: metrics.jsonl holds the same numbers)")
        need(not (self.compile and self.algo == "wgan" and self.lipschitz in ("gp", "lp")),
             "--compile does not support the double backward of --lipschitz gp/lp")
        return self


def flag(name: str) -> str:
    """The command-line spelling of a field: ``image_size`` -> ``--image-size``."""
    return "--" + name.replace("_", "-")


def resumable(name: str) -> bool:
    return bool(Config.__dataclass_fields__[name].metadata.get("resume"))


def identity(cfg: dict | Config) -> dict:
    """The fields that define what is trained (the ones a resume may not change)."""
    d = dataclasses.asdict(cfg) if isinstance(cfg, Config) else cfg
    return {f.name: _norm(d.get(f.name)) for f in dataclasses.fields(Config) if not resumable(f.name)}


def _norm(v):
    return tuple(v) if isinstance(v, list) else v


def build_parser(prog: str = "python -m gan.train", description: str = "") -> argparse.ArgumentParser:
    """The command line, one option per Config field (every default None: given or not)."""
    ap = argparse.ArgumentParser(prog=prog, description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Config()
    for f in dataclasses.fields(Config):
        meta = f.metadata
        kwargs = dict(meta["argparse"])
        default = getattr(defaults, f.name)
        help_text = meta["help"]
        if default not in (None, "", False):
            help_text += f" (default {default})"
        if meta["choices"]:
            kwargs["choices"] = meta["choices"]
        if "action" not in kwargs and "type" not in kwargs:
            kwargs["type"] = str if default is None else type(default)
        ap.add_argument(flag(f.name), dest=f.name, default=None, help=help_text, **kwargs)
    ap.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR exactly where its "
                    "checkpoint stopped (--generator-steps is the total the run reaches)")
    return ap


def _check_type(f: dataclasses.Field, value: Any, source: str) -> Any:
    """``value`` as the type the field declares (an int is a float), else ``ValueError``."""
    kind = f.type.split("|")[0].strip()
    if value is None and "None" in f.type:
        return None
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind.startswith("tuple") and isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return tuple(float(v) for v in value)
    if {"bool": bool, "str": str}.get(kind) is type(value) or (
            kind == "int" and isinstance(value, int) and not isinstance(value, bool)):
        return value
    want = {"bool": "true or false", "str": "a string", "int": "an integer", "float": "a number"}.get(
        kind, "two numbers")
    raise ValueError(f"{source}: {f.name} must be {want}{' or null' if 'None' in f.type else ''}, "
                     f"got {value!r}")


def from_dict(saved: Any, source: str = "the saved configuration") -> Config:
    """A Config from a saved dict (``config.json``, a checkpoint's ``config``), checked as the
    command line is: every field with its declared type (JSON lists become tuples), then
    :meth:`Config.validate`. What is trained (the identity fields, and ``data``) must be there;
    an option of how a run executes that an older version did not save takes its default.
    Unknown keys are ignored. ``ValueError`` names ``source``."""
    if not isinstance(saved, dict):
        raise ValueError(f"{source} is not a JSON object (got {type(saved).__name__})")
    fields = [f for f in dataclasses.fields(Config) if f.name in saved]
    missing = [f.name for f in dataclasses.fields(Config)
               if f.name not in saved and (not resumable(f.name) or f.name == "data")]
    if missing:
        raise ValueError(f"{source} lacks {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    cfg = Config(**{f.name: _check_type(f, saved[f.name], source) for f in fields})
    try:
        return cfg.validate()
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None


def load_run_config(run_dir, state: dict | None = None) -> tuple[Config, str | None]:
    """The configuration of the run in ``run_dir``, and None; or, when its ``config.json`` is
    missing or damaged, the configuration its checkpoint holds (``state``, or the latest valid
    checkpoint) and a sentence saying why. ``ValueError`` when neither can be read."""
    path = Path(run_dir) / rundir.CONFIG
    try:
        return from_dict(rundir.read_config(run_dir), str(path)), None
    except FileNotFoundError:
        problem = f"{path} is missing"
    except (OSError, ValueError) as err:  # unreadable, not JSON (JSONDecodeError), wrong fields
        problem = str(err) if str(path) in str(err) else f"{path} is damaged ({err})"
    from . import checkpoint  # torch and the checkpoint format only when needed

    try:
        state = state if state is not None else checkpoint.load(run_dir)
        cfg = from_dict(state["config"], f"the configuration in {run_dir}'s checkpoint")
    except (ValueError, OSError, KeyError) as err:
        raise ValueError(f"{problem}, and no checkpoint holds the configuration ({err})") from None
    return cfg, f"{problem}: the configuration was recovered from the checkpoint (step {state['step']})"


def run_config(run_dir) -> Config:
    """The configuration of the run in ``run_dir`` (:func:`load_run_config`; a recovery from the
    checkpoint is reported as a warning)."""
    cfg, note = load_run_config(run_dir)
    if note:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    return cfg


def resume_config(saved: Config, given: dict) -> Config:
    """The config of a resumed run: the saved one, with the resumable options that were given.

    Raises ``ValueError`` naming the first option that would change what is trained.
    """
    base = dataclasses.asdict(saved)
    for key, value in given.items():
        if not resumable(key) and _norm(base.get(key)) != _norm(value):
            raise ValueError(f"{flag(key)} cannot change when resuming (the run has {base.get(key)!r}); "
                             "start a new run with another --out instead")
    base.update({k: v for k, v in given.items() if resumable(k)})
    return Config(**base)


def changed(saved: Config, now: Config) -> dict[str, tuple]:
    """The options (resumable, ``--out`` aside) whose value differs: name -> (saved, now)."""
    return {f.name: (getattr(saved, f.name), getattr(now, f.name)) for f in dataclasses.fields(Config)
            if resumable(f.name) and f.name != "out" and getattr(saved, f.name) != getattr(now, f.name)}
