"""The trainer: Algorithm 1's schedule and clipping, smoke runs of every algorithm and
architecture, exact resume, divergence handling, run-directory layout, and bad input."""

import json

import numpy as np
import pytest
import torch

from gan import rundir
from gan.lipschitz import WeightClipping
from gan.models import build_critic
from gan.steps import wgan_critic_step
from gan.train import Config, Trainer, TrainingDiverged, critic_iterations, main
from tests.gan.helpers import tiny

TIME_KEYS = ("images_per_sec", "seconds")


def test_reference_critic_schedule():
    """100 critic steps for the first 25 generator steps and every 500th, else n_critic."""
    cfg = Config(data="synthetic")
    got = [critic_iterations(t, cfg) for t in range(1002)]
    assert got[:25] == [100] * 25
    assert got[25] == 5 and got[499] == 5 and got[500] == 100 and got[501] == 5 and got[1000] == 100
    assert sum(got) == 27 * 100 + (1002 - 27) * 5
    cfg.reference_schedule = False
    assert {critic_iterations(t, cfg) for t in range(600)} == {5}
    assert critic_iterations(0, Config(data="synthetic", algo="gan")) == 1


def test_clipping_reaches_every_critic_parameter():
    """After a critic step every parameter, batch-norm weights and biases included, is in
    [-c, c]; batch-norm weights start near 1, so clipping visibly acted on them."""
    torch.manual_seed(0)
    critic = build_critic("dcgan", 16, width=8)
    bn = [m for m in critic.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bn and all(m.weight.min() > 0.9 for m in bn)
    clip = WeightClipping(c=0.01)
    opt = clip.optimizer.build(critic.parameters())
    wgan_critic_step(critic, opt, clip, torch.randn(8, 3, 16, 16), torch.randn(8, 3, 16, 16))
    for name, p in critic.named_parameters():
        assert p.abs().max() <= 0.01 + 1e-12, name
    assert all(torch.allclose(m.weight, torch.full_like(m.weight, 0.01)) for m in bn)


def test_em_estimate_positive_when_real_and_fake_differ(tmp_path):
    """With the reference schedule, 300 critic steps on real scenes vs an untrained
    generator give a positive EM estimate (the paper's orientation)."""
    t = Trainer(tiny(tmp_path, generator_steps=3, reference_schedule=True), progress=False)
    rows = t.train()
    assert [r["critic_steps"] for r in rows] == [100, 200, 300]
    assert rows[-1]["em_estimate"] > 0


@pytest.mark.parametrize("algo,generator,critic,lipschitz", [
    ("wgan", "dcgan", "dcgan", "clip"),
    ("wgan", "dcgan-nobn", "dcgan", "clip"),
    ("wgan", "mlp", "dcgan", "clip"),
    ("wgan", "mlp", "mlp", "clip"),
    ("gan", "dcgan", "dcgan", "clip"),
    ("gan", "dcgan-nobn", "dcgan", "clip"),
    ("gan", "mlp", "mlp", "clip"),
    ("wgan", "dcgan", "dcgan", "gp"),
    ("wgan", "dcgan", "dcgan", "lp"),
    ("wgan", "dcgan", "dcgan", "sn"),
])
def test_smoke_every_algorithm_and_architecture(tmp_path, algo, generator, critic, lipschitz):
    cfg = tiny(tmp_path, algo=algo, generator=generator, critic=critic, lipschitz=lipschitz)
    rows = Trainer(cfg, progress=False).train()
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    key = "em_estimate" if algo == "wgan" else "js_lower_bound"
    for r in rows:
        assert {"step", "critic_steps", key, "loss_g", "images_per_sec"} <= set(r)
        assert np.isfinite(r[key]) and np.isfinite(r["loss_g"])
    if algo == "gan":
        assert all(r["js_lower_bound"] <= np.log(2) + 1e-6 for r in rows)
    saved = rundir.read_metrics(tmp_path)
    assert [r["step"] for r in saved] == [1, 2, 3, 4]
    assert (tmp_path / "samples" / "latest.png").is_file()
    assert json.loads((tmp_path / "config.json").read_text())["algo"] == algo


def _strip(rows):
    return [{k: v for k, v in r.items() if k not in TIME_KEYS} for r in rows]


@pytest.mark.parametrize("algo,lipschitz,schedule", [("wgan", "clip", True), ("gan", "clip", False),
                                                     ("wgan", "gp", False)])
def test_resume_continues_exactly(tmp_path, algo, lipschitz, schedule):
    """N steps + resume + N steps gives the metrics and weights of 2N uninterrupted steps
    (RNG, optimiser and data-order state, step counters and the critic schedule)."""
    kw = dict(algo=algo, lipschitz=lipschitz, reference_schedule=schedule, log_every=3,
              data="synthetic:40", batch_size=8)  # 5 batches per epoch: crosses epochs
    full = tiny(tmp_path / "full", generator_steps=8, **kw)
    Trainer(full, progress=False).train()
    part = tiny(tmp_path / "part", generator_steps=4, **kw)
    Trainer(part, progress=False).train()
    assert main(["--resume", str(tmp_path / "part"), "--generator-steps", "8"]) == 0
    a, b = rundir.read_metrics(tmp_path / "full"), rundir.read_metrics(tmp_path / "part")
    assert [r["step"] for r in b] == list(range(1, 9))
    assert _strip(a) == _strip(b)
    ca = rundir.load_checkpoint(tmp_path / "full" / "checkpoint.pt")
    cb = rundir.load_checkpoint(tmp_path / "part" / "checkpoint.pt")
    for k in ca["generator"]:
        assert torch.equal(ca["generator"][k], cb["generator"][k]), k
    for k in ca["critic"]:
        assert torch.equal(ca["critic"][k], cb["critic"][k]), k
    assert ca["data"] == cb["data"]


def test_resume_drops_metrics_written_after_the_checkpoint(tmp_path):
    """A crash after the last checkpoint leaves extra lines; resuming recomputes them once."""
    Trainer(tiny(tmp_path / "r", generator_steps=4, checkpoint_every=2), progress=False).train()
    ckpt = rundir.load_checkpoint(tmp_path / "r" / "checkpoint.pt")
    assert ckpt["step"] == 4
    rundir.append_metrics(tmp_path / "r", [{"step": 5, "critic_steps": 0}])  # a torn run
    assert main(["--resume", str(tmp_path / "r"), "--generator-steps", "6"]) == 0
    assert [r["step"] for r in rundir.read_metrics(tmp_path / "r")] == [1, 2, 3, 4, 5, 6]


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = tiny(tmp_path, generator_steps=20, checkpoint_every=4, log_every=2)
    t = Trainer(cfg, progress=False)
    calls = {"n": 0}
    forward = t.C.forward

    def poisoned(x):
        calls["n"] += 1
        out = forward(x)
        return out * float("nan") if t.step >= 9 else out

    t.C.forward = poisoned
    with pytest.raises(TrainingDiverged, match=r"non-finite loss at generator step 10.*last good checkpoint"):
        t.train()
    assert rundir.load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 8
    rows = rundir.read_metrics(tmp_path)
    assert [r["step"] for r in rows] == list(range(1, 9))
    assert all(np.isfinite(r["em_estimate"]) for r in rows)


def test_checkpoint_is_written_atomically_and_loads_weights_only(tmp_path):
    Trainer(tiny(tmp_path), progress=False).train()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    torch.load(tmp_path / "checkpoint.pt", weights_only=True)


def _error(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_bad_input_errors(tmp_path, capsys):
    assert "--data is required" in _error(capsys, ["--out", str(tmp_path / "a")])
    err = _error(capsys, ["--data", "synthetic", "--image-size", "40", "--out", str(tmp_path / "b")])
    assert "--image-size must be a positive multiple of 16, got 40" in err
    (tmp_path / "notlmdb").mkdir()
    err = _error(capsys, ["--data", f"lsun:{tmp_path / 'notlmdb'}", "--out", str(tmp_path / "c")])
    assert "not an LMDB database" in err
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    err = _error(capsys, ["--data", f"folder:{tmp_path / 'empty'}", "--out", str(tmp_path / "d")])
    assert "no images found" in err
    assert "expected lsun:PATH" in _error(capsys, ["--data", "imagenet", "--out", str(tmp_path / "e")])


def test_corrupt_and_mismatched_checkpoints_are_refused(tmp_path, capsys):
    run = tmp_path / "run"
    Trainer(tiny(run), progress=False).train()
    err = _error(capsys, ["--resume", str(run), "--generator", "mlp"])
    assert "--generator cannot change when resuming" in err
    cfg = json.loads((run / "config.json").read_text())
    cfg["width"] = 16  # a config that no longer matches the saved weights
    (run / "config.json").write_text(json.dumps(cfg))
    assert "checkpoint does not match the run: width" in _error(capsys, ["--resume", str(run)])
    cfg["width"] = 8
    (run / "config.json").write_text(json.dumps(cfg))
    (run / "checkpoint.pt").write_bytes(b"this is not a checkpoint")
    assert "is corrupt or unreadable" in _error(capsys, ["--resume", str(run)])
    assert "already holds a run" in _error(capsys, ["--data", "synthetic", "--out", str(run)])
    assert "not a run directory" in _error(capsys, ["--resume", str(tmp_path / "nothing")])


def test_sampling_does_not_change_the_generator_state(tmp_path):
    t = Trainer(tiny(tmp_path), progress=False)
    before = {k: v.clone() for k, v in t.G.state_dict().items()}
    t.sample()
    assert all(torch.equal(before[k], v) for k, v in t.G.state_dict().items())


def test_plot_draws_median_filtered_curves_and_samples(tmp_path):
    from gan.plot import curve, main as plot_main

    Trainer(tiny(tmp_path / "w", generator_steps=9, sample_every=3), progress=False).train()
    Trainer(tiny(tmp_path / "g", algo="gan", generator_steps=9), progress=False).train()
    c = curve(tmp_path / "w", window=3)
    assert c["key"] == "em_estimate" and len(c["filtered"]) == 9
    raw = c["raw"]
    assert c["filtered"][4] == np.median(raw[3:6])
    assert curve(tmp_path / "g")["key"] == "js_lower_bound"
    plot_main([str(tmp_path / "w"), str(tmp_path / "g"), "--out", str(tmp_path / "c.png")])
    assert (tmp_path / "c.png").stat().st_size > 10_000
