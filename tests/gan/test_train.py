"""The trainer: smoke runs of every algorithm and architecture (3 and 1 channels), the run
directory's files, EMA, options of the paper's experiments, and the training-curve plot."""

import json
import stat

import numpy as np
import pytest
import torch

from gan import checkpoint, rundir
from gan.models import build_critic, build_generator
from gan.models import generate
from gan.train import train
from tests.gan.helpers import run_tiny, tiny


def test_em_estimate_positive_when_real_and_fake_differ(tmp_path):
    """With the reference schedule, 300 critic steps on real scenes vs an untrained
    generator give a positive EM estimate (the paper's orientation)."""
    rows = run_tiny(tmp_path, generator_steps=3, reference_schedule=True)
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
    rows = run_tiny(tmp_path, algo=algo, generator=generator, critic=critic, lipschitz=lipschitz)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    key = "em_estimate" if algo == "wgan" else "js_lower_bound"
    for r in rows:
        assert {"step", "critic_steps", key, "loss_g", "images_per_sec"} <= set(r)
        assert np.isfinite(r[key]) and np.isfinite(r["loss_g"])
    if algo == "gan":
        assert all(r["js_lower_bound"] <= np.log(2) + 1e-6 for r in rows)
    assert (tmp_path / "samples" / "latest.png").is_file()
    assert json.loads((tmp_path / "config.json").read_text())["algo"] == algo


@pytest.mark.parametrize("generator", ["dcgan", "mlp"])
def test_one_channel_mnist_end_to_end(tmp_path, generator):
    """--data mnist: 1-channel digits through the models, the steps and the sample sheets."""
    from PIL import Image

    run = train(tiny(tmp_path, data="mnist", generator=generator, sample_every=2), progress=False)
    assert run.G(torch.randn(2, 8, device=run.d.device)).shape == (2, 1, 16, 16)
    assert next(run.C.parameters()).shape[1] == 1  # the critic (DCGAN by default) reads one channel
    sheet = Image.open(tmp_path / "samples" / "step_0000002.png")
    assert sheet.mode == "RGB" and sheet.width >= 8 * 16
    assert len(rundir.read_metrics(tmp_path)) == 4


def test_run_directory_files_have_ordinary_permissions(tmp_path):
    old = __import__("os").umask(0o022)
    try:
        run_tiny(tmp_path / "r", sample_every=2)
    finally:
        __import__("os").umask(old)
    files = [p for p in (tmp_path / "r").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"config.json", "metrics.jsonl", "checkpoint.pt", "latest.png",
                                      "step_0000002.pt"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    assert not [p for p in files if p.name.endswith(".tmp")]


def test_snapshots_and_samples_at_each_sample_step(tmp_path):
    run_tiny(tmp_path, generator_steps=6, sample_every=3)
    snaps = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert snaps == ["step_0000003.pt", "step_0000006.pt"]
    snap = torch.load(tmp_path / "snapshots" / snaps[0], weights_only=True)
    G = build_generator("dcgan", 16, 8, 8)
    G.load_state_dict(snap["generator"])
    assert snap["step"] == 3 and snap["ema"] is None


def test_sampling_does_not_change_the_generator_state():
    torch.manual_seed(0)
    G = build_generator("dcgan", 16, 8, 8)
    before = {k: v.clone() for k, v in G.state_dict().items()}
    generate(G, torch.randn(16, 8))
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())


def test_ema_of_the_generator(tmp_path):
    """--ema keeps an average of the generator's weights: saved, sampled beside the raw one."""
    run = train(tiny(tmp_path, ema=0.9, generator_steps=5, sample_every=5), progress=False)
    avg, raw = run.ema.module.state_dict(), run.G.state_dict()
    assert any(not torch.equal(avg[k], raw[k]) for k in raw if raw[k].is_floating_point())
    assert int(run.ema.n_averaged) == 5
    assert (tmp_path / "samples" / "latest_ema.png").is_file()
    assert checkpoint.load(tmp_path)["ema"] is not None


def test_adam_on_the_critic_and_extra_layers(tmp_path):
    """The paper's Section 4.2 negative result can be run (--optimizer adam), and the reference
    code's n_extra_layers (--extra-layers) adds 3x3 layers to both DCGAN models."""
    run = train(tiny(tmp_path, optimizer="adam", betas=(0.5, 0.9), extra_layers=1, log_step_cosine=True),
                progress=False)
    assert isinstance(run.players.opt_c, torch.optim.Adam)
    assert run.players.opt_c.param_groups[0]["betas"] == (0.5, 0.9)
    rows = rundir.read_metrics(tmp_path)
    assert all(-1 <= r["critic_step_cosine"] <= 1 for r in rows)
    # one cosine per critic step (n_critic of them per generator step), their mean beside them
    assert all(len(r["critic_step_cosines"]) == r["critic_steps"] - p["critic_steps"]
               for p, r in zip([{"critic_steps": 0}] + rows, rows))
    assert all(abs(sum(r["critic_step_cosines"]) / len(r["critic_step_cosines"]) - r["critic_step_cosine"]) < 1e-4
               for r in rows)
    plain, extra = build_critic("dcgan", 16, 8), build_critic("dcgan", 16, 8, extra_layers=2)
    assert len(list(extra.modules())) == len(list(plain.modules())) + 6
    g = build_generator("dcgan", 32, 8, 8, extra_layers=1)
    assert g(torch.randn(2, 8)).shape == (2, 3, 32, 32)


def test_critic_width_apart_from_the_generator(tmp_path):
    """--critic-width sets the critic's base width alone (Stacked MNIST's discriminators of 1/4
    and 1/2 of the generator's size); by default it is --width."""
    small = train(tiny(tmp_path / "a", critic_width=2), progress=False)
    same = train(tiny(tmp_path / "b"), progress=False)
    assert small.C.main[0].out_channels == 2 and same.C.main[0].out_channels == 8
    assert small.G.state_dict().keys() == same.G.state_dict().keys()
    assert all(small.G.state_dict()[k].shape == v.shape for k, v in same.G.state_dict().items())
    with pytest.raises(ValueError, match="critic-width"):
        tiny(tmp_path / "c", critic_width=0).validate()


def test_plot_draws_median_filtered_curves_and_samples(tmp_path):
    from gan.plot import curve, main as plot_main

    run_tiny(tmp_path / "w", generator_steps=30, sample_every=10, log_every=1)
    run_tiny(tmp_path / "g", algo="gan", generator_steps=9, log_every=1)
    c = curve(tmp_path / "w", window=3)
    assert c["key"] == "em_estimate" and len(c["filtered"]) == 30 and c["window"] == 3
    raw = c["raw"]
    assert c["filtered"][4] == np.median(raw[3:6])
    assert curve(tmp_path / "g")["key"] == "js_lower_bound"
    assert curve(tmp_path / "g", window=101)["window"] == 1  # 9 points: too few to filter, and said so
    # a 30-step run: the default window is clamped to a fifth of its points (5), not 29, which
    # would replace the curve by (nearly) its median: the filtered curve keeps the raw one's spread
    c30 = curve(tmp_path / "w")
    assert c30["window"] == 5
    assert np.ptp(c30["filtered"]) > 0.3 * np.ptp(raw)
    plot_main([str(tmp_path / "w"), str(tmp_path / "g"), "--out", str(tmp_path / "c.png")])
    assert (tmp_path / "c.png").stat().st_size > 10_000


def test_bf16_on_a_cpu_without_bf16_units_warns(tmp_path, monkeypatch):
    """--bf16 is 10-50x slower than fp32 on CPUs that emulate it: the run says so."""
    from gan import distributed

    amd = tmp_path / "zen3"
    amd.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n")
    sapphire = tmp_path / "spr"
    sapphire.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16\n")
    assert distributed.cpu_has_native_bf16(str(amd)) is False
    assert distributed.cpu_has_native_bf16(str(sapphire)) is True
    assert distributed.cpu_has_native_bf16(str(tmp_path / "missing")) is None
    cpu = torch.device("cpu")
    assert "avx512_bf16" in distributed.bf16_warning(cpu, True, str(amd))
    assert distributed.bf16_warning(cpu, True, str(sapphire)) is None
    assert distributed.bf16_warning(cpu, False, str(amd)) is None
    assert distributed.bf16_warning(torch.device("meta"), True, str(amd)) is None  # not a CPU

    monkeypatch.setattr(distributed, "cpu_has_native_bf16", lambda cpuinfo="": False)
    with pytest.warns(RuntimeWarning, match="--bf16 on a CPU without native bf16"):
        train(tiny(tmp_path / "run", bf16=True, generator_steps=1), progress=False).close()
