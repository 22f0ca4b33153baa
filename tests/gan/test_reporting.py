"""A trainer that says what it is doing (issue 20): the start banner, elapsed time and ETA in the
log lines, the environment in config.json, the quality panel of gan.plot, the CSV export and the
optional TensorBoard events."""

import csv
import importlib.util
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from gan import rundir
from gan.config import Config
from gan.models import build_critic, build_generator
from gan.train import main
from tests.gan.helpers import run_tiny

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--image-size", "16", "--width", "8", "--nz", "8", "--batch-size", "8", "--workers", "0",
         "--n-critic", "2", "--no-reference-schedule", "--device", "cpu", "--log-every", "1"]


def _banner(out: str) -> dict:
    lines = out.split("python -m gan.train\n", 1)[1].splitlines()
    fields = {}
    for line in lines:
        if not line.startswith("  "):
            break
        name, value = line.strip().split(None, 1)
        fields[name] = value
    return fields


def test_the_start_banner_says_what_the_run_will_do(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["--data", "synthetic:64", "--generator-steps", "2", "--seed", "3", "--out", str(run)] + SMALL) == 0
    b = _banner(capsys.readouterr().out)
    g, c = build_generator("dcgan", 16, 8, 8, nc=3), build_critic("dcgan", 16, 8, nc=3)
    assert b["run"] == f"{run} (new)"
    assert b["device"] == "cpu, float32, seed 3"
    assert f"generator dcgan {sum(p.numel() for p in g.parameters()):,} parameters" in b["models"]
    assert f"critic dcgan {sum(p.numel() for p in c.parameters()):,} parameters" in b["models"]
    assert b["data"] == "synthetic:64: 64 images 16x16x3, batch 8"
    assert b["algorithm"].startswith("WGAN, Lipschitz constraint clip (c = 0.01), rmsprop lr 5e-05, n_critic 2")
    assert b["steps"].startswith("0 -> 2 generator steps")
    assert main(["--resume", str(run), "--generator-steps", "3"]) == 0
    assert _banner(capsys.readouterr().out)["run"] == f"{run} (resumed at step 2)"
    assert main(["--data", "synthetic:64", "--generator-steps", "1", "--out", str(run), "--overwrite"] + SMALL) == 0
    assert "replacing the run there" in _banner(capsys.readouterr().out)["run"]


def test_log_lines_off_a_terminal_carry_elapsed_time_and_an_eta(tmp_path, capsys):
    assert main(["--data", "synthetic:64", "--generator-steps", "3", "--out", str(tmp_path / "r")] + SMALL) == 0
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("step ")]
    assert [l.split()[1] for l in lines] == ["1/3", "2/3", "3/3"]
    assert all(" elapsed " in l and " eta " in l for l in lines)
    assert lines[-1].endswith("eta 0s")


def test_config_records_the_device_torch_and_the_commit(tmp_path):
    run_tiny(tmp_path, generator_steps=2)
    env = json.loads((tmp_path / "config.json").read_text())["environment"]
    assert env["device"] == "cpu" and env["torch"] == torch.__version__
    if (ROOT / ".git").exists():
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        assert env["commit"].split("-")[0] == head.stdout.strip()
    else:
        assert env["commit"] is None
    # another torch on resume: recorded, with the step it took effect at
    saved = json.loads((tmp_path / "config.json").read_text())
    rundir.write_json(tmp_path / "config.json", {**saved, "environment": {**env, "torch": "0.0"}})
    assert main(["--resume", str(tmp_path), "--generator-steps", "3"]) == 0
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["environment"] == env
    assert saved["changes"][-1] == {"step": 2, "environment": {"from": {**env, "torch": "0.0"}, "to": env}}


def test_plot_draws_the_quality_beside_the_loss_and_exports_csv(tmp_path, capsys):
    from gan.plot import main as plot_main, plot_runs, quality

    run_tiny(tmp_path / "q", data="mnist", generator_steps=4, eval_every=2, eval_samples=200, ema=0.5)
    run_tiny(tmp_path / "p", generator_steps=4)
    rows = rundir.read_metrics(tmp_path / "q")
    q = quality(tmp_path / "q")
    assert list(q["steps"]) == [2, 4] and list(q["fd"]) == [r["fd"] for r in rows if "fd" in r]
    assert list(q["ema_fd"]) == [r["ema_fd"] for r in rows if "fd" in r]
    fig = plot_runs([tmp_path / "q", tmp_path / "p"], window=3)
    assert len(fig.axes) == 6  # loss, quality, samples for each run
    fd_axis = fig.axes[1]
    lines = [list(line.get_ydata()) for line in fd_axis.get_lines()]
    assert lines[:2] == [list(q["fd"]), list(q["ema_fd"])]
    # the real-digit floor as a horizontal line: real probe digits against the held-out reference
    assert 0 < q["floor"] < min(q["fd"]) and lines[2] == [q["floor"], q["floor"]]
    assert "not scored" in fig.axes[4].texts[0].get_text()
    plot_main([str(tmp_path / "q"), "--csv"])
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'q' / 'metrics.csv'}"
    with open(tmp_path / "q" / "metrics.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in table] == [r["step"] for r in rows]
    for got, want in zip(table, rows):
        for k, v in want.items():
            assert float(got[k]) == pytest.approx(v, rel=1e-15)
        assert all(got[k] == "" for k in got if k not in want)  # unevaluated steps: empty quality cells


def test_tensorboard_is_an_option_that_needs_its_package(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    with pytest.raises(ValueError, match="--tensorboard needs the tensorboard package"):
        Config(data="synthetic", tensorboard=True).validate()
    Config(data="synthetic").validate()  # off by default: not needed


def test_tensorboard_writes_the_metrics_and_the_sample_sheets(tmp_path):
    """Not skipped without tensorboard: the test extra installs it (pip install -e ".[test]")."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_tiny(tmp_path, generator_steps=4, sample_every=2, tensorboard=True)
    assert main(["--resume", str(tmp_path), "--generator-steps", "6"]) == 0
    events = EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    rows = rundir.read_metrics(tmp_path)
    for key in ("em_estimate", "loss_g", "critic_steps"):
        scalars = events.Scalars(key)
        assert [e.step for e in scalars] == [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
        assert np.allclose([e.value for e in scalars], [r[key] for r in rows], rtol=1e-6)
    assert [e.step for e in events.Images("samples")] == [2, 4, 6]
