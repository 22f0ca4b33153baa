"""No run lost or silently corrupted: exact resume, SIGTERM, torn metrics, NaN, corrupt and
half-written checkpoints, time-based checkpoints."""

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from gan import checkpoint, rundir
from gan.train import TrainingDiverged, main, train
from tests.gan.helpers import run_tiny, tiny

ROOT = Path(__file__).resolve().parents[2]
TIME_KEYS = ("images_per_sec", "seconds")


def _strip(rows):
    return [{k: v for k, v in r.items() if k not in TIME_KEYS} for r in rows]


def _same_weights(a: Path, b: Path) -> None:
    ca, cb = checkpoint.load(a), checkpoint.load(b)
    for part in ("generator", "critic"):
        for k in ca[part]:
            assert torch.equal(ca[part][k], cb[part][k]), (part, k)
    if ca["ema"] is not None:
        for k in ca["ema"]:
            assert torch.equal(ca["ema"][k], cb["ema"][k]), ("ema", k)
    assert ca["data"] == cb["data"] and ca["step"] == cb["step"]


@pytest.mark.parametrize("algo,lipschitz,schedule,ema", [("wgan", "clip", True, None), ("gan", "clip", False, None),
                                                          ("wgan", "gp", False, None), ("wgan", "clip", False, 0.9)])
def test_resume_continues_exactly(tmp_path, algo, lipschitz, schedule, ema):
    """N steps + resume + N steps gives the metrics and weights of 2N uninterrupted steps
    (RNG, optimiser, EMA and data-order state, step counters and the critic schedule)."""
    kw = dict(algo=algo, lipschitz=lipschitz, reference_schedule=schedule, log_every=3, ema=ema,
              data="synthetic:40", batch_size=8)  # 5 batches per epoch: crosses epochs
    run_tiny(tmp_path / "full", generator_steps=8, **kw)
    run_tiny(tmp_path / "part", generator_steps=4, **kw)
    assert main(["--resume", str(tmp_path / "part"), "--generator-steps", "8"]) == 0
    a, b = rundir.read_metrics(tmp_path / "full"), rundir.read_metrics(tmp_path / "part")
    assert [r["step"] for r in b] == list(range(1, 9))
    assert _strip(a) == _strip(b)
    _same_weights(tmp_path / "full", tmp_path / "part")


def test_resume_drops_metrics_written_after_the_checkpoint(tmp_path):
    """A crash after the last checkpoint leaves extra lines; resuming recomputes them once."""
    run_tiny(tmp_path, generator_steps=4, checkpoint_every=2)
    assert checkpoint.load(tmp_path)["step"] == 4
    rundir.append_metrics(tmp_path, [{"step": 5, "critic_steps": 0}])
    assert main(["--resume", str(tmp_path), "--generator-steps", "6"]) == 0
    assert [r["step"] for r in rundir.read_metrics(tmp_path)] == [1, 2, 3, 4, 5, 6]


def test_torn_metrics_line_is_tolerated_and_cut_on_resume(tmp_path):
    """A write cut by a kill or a full disk leaves half a line: readers skip it (and say so),
    a resumed run rewrites whole lines only."""
    run_tiny(tmp_path, generator_steps=4)
    with open(tmp_path / "metrics.jsonl", "a") as fh:
        fh.write('{"step": 5, "critic_steps": 10, "em_estimate": 0.0')
    with pytest.warns(RuntimeWarning, match="torn last line"):
        assert len(rundir.read_metrics(tmp_path)) == 4
    from gan.plot import curve

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(curve(tmp_path)["raw"]) == 4
    assert main(["--resume", str(tmp_path), "--generator-steps", "6"]) == 0
    text = (tmp_path / "metrics.jsonl").read_text()
    assert text.endswith("\n") and [r["step"] for r in rundir.read_metrics(tmp_path)] == list(range(1, 7))


def test_failed_metrics_write_leaves_whole_lines(tmp_path, monkeypatch):
    rundir.append_metrics(tmp_path, [{"step": 1}])

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(rundir.WriteFailed, match="No space left on device"):
        rundir.append_metrics(tmp_path, [{"step": 2, "x": "y" * 1000}])
    monkeypatch.undo()
    assert (tmp_path / "metrics.jsonl").read_text() == '{"step": 1}\n'


def test_nan_in_the_weights_never_reaches_a_checkpoint(tmp_path, capsys):
    """With an absurd learning rate the generator's weights overflow after step 1: the run
    stops with one line, and what is on disk is the last finite state (or nothing)."""
    cfg = tiny(tmp_path, lr=1e38, generator_steps=6, checkpoint_every=1, log_every=1)
    with pytest.raises((TrainingDiverged, checkpoint.CheckpointError)) as err:
        train(cfg, progress=False)
    assert "last good checkpoint" in str(err.value)
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):
        if (tmp_path / name).exists():
            state = checkpoint.decode((tmp_path / name).read_bytes())
            assert checkpoint.nonfinite(state) == []
    assert checkpoint.nonfinite({"w": torch.tensor([1.0, float("nan")])}) == ["w"]


def test_nan_loss_stops_the_run_with_one_line(tmp_path, capsys):
    out = tmp_path / "r"
    code = main(["--data", "synthetic:64", "--image-size", "16", "--width", "8", "--nz", "8",
                 "--batch-size", "8", "--workers", "0", "--lr", "1e38", "--generator-steps", "6",
                 "--log-every", "1", "--checkpoint-every", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_stale_temporaries_are_removed_on_resume(tmp_path, capsys):
    run_tiny(tmp_path, generator_steps=2)
    junk = [tmp_path / ".checkpoint.pt.123.abcd.tmp", tmp_path / "samples" / ".latest.png.9.ff.tmp"]
    for p in junk:
        p.write_bytes(b"x" * 1000)
    assert main(["--resume", str(tmp_path), "--generator-steps", "3"]) == 0
    assert not any(p.exists() for p in junk)
    assert "removed 2 temporary file(s)" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["flip", "zero_block", "truncate"])
def test_corrupted_checkpoint_is_detected_and_the_previous_one_used(tmp_path, damage):
    run_tiny(tmp_path, generator_steps=4, checkpoint_every=2)
    assert checkpoint.load(tmp_path)["step"] == 4
    path = tmp_path / "checkpoint.pt"
    blob = bytearray(path.read_bytes())
    if damage == "flip":
        for i in range(64):
            blob[len(blob) // 2 + 97 * i] ^= 0xFF
    elif damage == "zero_block":
        blob[len(blob) // 3:len(blob) // 3 + 4096] = bytes(4096)
    else:
        blob = blob[: len(blob) // 2]
    path.write_bytes(bytes(blob))
    with pytest.warns(RuntimeWarning, match="resuming from .*checkpoint.prev.pt"):
        state = checkpoint.load(tmp_path)
    assert state["step"] == 2
    with pytest.warns(RuntimeWarning):
        assert main(["--resume", str(tmp_path), "--generator-steps", "4"]) == 0
    assert [r["step"] for r in rundir.read_metrics(tmp_path)] == [1, 2, 3, 4]
    (tmp_path / "checkpoint.prev.pt").write_bytes(b"garbage")
    (tmp_path / "checkpoint.pt").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="no usable checkpoint"):
        checkpoint.load(tmp_path)


def test_time_based_checkpoints(tmp_path):
    """--checkpoint-minutes: a checkpoint at the first step after that much time, whatever
    --checkpoint-every says (so a kill before the first step-based one loses little)."""
    run_tiny(tmp_path, generator_steps=5, checkpoint_every=1000, checkpoint_minutes=1e-9)
    assert checkpoint.load(tmp_path)["step"] == 5
    prev = checkpoint.decode((tmp_path / "checkpoint.prev.pt").read_bytes())
    assert prev["step"] == 4


def test_full_disk_during_a_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch, capsys):
    run_tiny(tmp_path, generator_steps=2)
    before = (tmp_path / "checkpoint.pt").read_bytes()
    real = rundir.atomic_write_bytes

    def full_disk(path, data):
        if "checkpoint" in str(path):
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(checkpoint, "atomic_write_bytes", full_disk)
    code = main(["--resume", str(tmp_path), "--generator-steps", "4"])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "previous checkpoint is intact" in err
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    monkeypatch.undo()
    assert main(["--resume", str(tmp_path), "--generator-steps", "4"]) == 0  # space is back


def _cli(out: Path, steps: int) -> list[str]:
    return [sys.executable, "-m", "gan.train", "--data", "synthetic:64", "--image-size", "16",
            "--width", "8", "--nz", "8", "--batch-size", "8", "--workers", "0", "--n-critic", "2",
            "--no-reference-schedule", "--log-every", "1", "--checkpoint-every", "1000",
            "--generator-steps", str(steps), "--device", "cpu", "--out", str(out)]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_then_resume_equals_an_uninterrupted_run(tmp_path, sig):
    """SIGTERM (a scheduler's preemption) or Ctrl-C at a random step: the run finishes that
    step, writes a checkpoint, exits 128 + signal with one line; --resume continues exactly."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    full, part = tmp_path / "full", tmp_path / "part"
    subprocess.run(_cli(full, 60), env=env, cwd=ROOT, check=True, capture_output=True)
    proc = subprocess.Popen(_cli(part, 60), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    stop_at = int(np.random.default_rng(int(sig)).integers(5, 20))
    t0 = time.time()
    while len(rundir.read_metrics(part, warn=False) if (part / "metrics.jsonl").exists() else []) < stop_at:
        assert proc.poll() is None and time.time() - t0 < 120
        time.sleep(0.02)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + int(sig), err
    assert f"stopped by {sig.name}" in err and "Traceback" not in err and "--resume" in err
    stopped = checkpoint.load(part)["step"]
    assert stopped >= stop_at and stopped < 60
    subprocess.run([sys.executable, "-m", "gan.train", "--resume", str(part)], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    assert _strip(rundir.read_metrics(full)) == _strip(rundir.read_metrics(part))
    _same_weights(full, part)
