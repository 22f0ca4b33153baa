"""The command line: clear one-line errors for bad input, never a destroyed run, nothing left
behind by a failed start, and resume rules derived from the config's declaration."""

import contextlib
import dataclasses
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from gan import rundir
from gan.config import Config, flag, identity, resumable
from gan.train import main
from tests.gan.helpers import run_tiny

SMALL = ["--image-size", "16", "--width", "8", "--nz", "8", "--batch-size", "8", "--workers", "0",
         "--n-critic", "2", "--no-reference-schedule"]


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


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
    assert "--ema must lie in (0, 1)" in _error(capsys, ["--data", "synthetic", "--ema", "1.5"])
    assert "--betas must lie in [0, 1)" in _error(capsys, ["--data", "synthetic", "--betas", "0.5", "1.5"])


def test_a_failed_start_leaves_nothing_behind(tmp_path, capsys):
    out = tmp_path / "new"
    _error(capsys, ["--data", "folder:/nonexistent", "--out", str(out)])
    _error(capsys, ["--data", "mnist:/nonexistent", "--out", str(out)])
    assert not out.exists()


def test_out_that_is_a_file_or_read_only_gives_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    err = _error(capsys, ["--data", "synthetic:64", "--out", str(tmp_path / "file")] + SMALL)
    assert "is a file, not a directory" in err
    # a read-only folder; as root, who ignores permissions, the command runs in a child process
    # that has become the user nobody
    base = Path(tempfile.mkdtemp(prefix="wgan-ro-"))  # pytest's tmp_path is private to its user
    ro = base / "ro"
    ro.mkdir()
    try:
        base.chmod(0o755)
        ro.chmod(0o555)
        code, err = _as_nobody(["--data", "synthetic:64", "--out", str(ro / "run")] + SMALL)
        assert code == 2 and "cannot be written" in err and "Traceback" not in err, err
        assert not (ro / "run").exists()
    finally:
        ro.chmod(0o755)
        shutil.rmtree(base)


def _as_nobody(argv) -> tuple[int, str]:
    """``main(argv)``'s exit status and standard error, run by a user that permissions apply to."""
    if os.geteuid() != 0:
        buf = io.StringIO()
        with contextlib.redirect_stderr(buf):
            try:
                return main(argv), buf.getvalue()
            except SystemExit as exc:
                return exc.code, buf.getvalue()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            os.setgid(65534)
            os.setuid(65534)
            code, err = _as_nobody(argv)
            os.write(w, json.dumps([code, err]).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return tuple(json.loads(data))


def test_a_folder_of_corrupt_images_gives_one_line(tmp_path, capsys):
    (tmp_path / "imgs").mkdir()
    for i in range(80):
        (tmp_path / "imgs" / f"{i}.jpg").write_bytes(b"not a jpeg at all")
    err = _error(capsys, ["--data", f"folder:{tmp_path / 'imgs'}", "--out", str(tmp_path / "r")] + SMALL)
    assert "could be decoded" in err and err.count("\n") <= 2


def test_relaunch_onto_an_existing_run_refuses_and_changes_nothing(tmp_path, capsys):
    run_tiny(tmp_path, generator_steps=4)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    err = _error(capsys, ["--data", "synthetic:64", "--out", str(tmp_path)] + SMALL)
    assert "already holds a run" in err and "--resume" in err and "--overwrite" in err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    # metrics but no checkpoint (killed before the first one): still refused, never truncated
    (tmp_path / "checkpoint.pt").unlink()
    err = _error(capsys, ["--data", "synthetic:64", "--out", str(tmp_path)] + SMALL)
    assert "no checkpoint yet" in err and "--overwrite" in err and "continue it" not in err  # as --resume says
    assert "no checkpoint yet" in _error(capsys, ["--resume", str(tmp_path)])
    assert len(rundir.read_metrics(tmp_path)) == 4
    assert main(["--data", "synthetic:64", "--out", str(tmp_path), "--overwrite", "--generator-steps", "2"]
                + SMALL) == 0
    assert len(rundir.read_metrics(tmp_path)) == 2


def _changed(name: str, value):
    """Another valid value for a config field."""
    f = Config.__dataclass_fields__[name]
    if f.metadata["choices"]:
        return next(c for c in f.metadata["choices"] if c != value)
    if isinstance(value, bool):
        return not value
    if value is None:  # an optional size left to its default (--critic-width): any valid value
        return 8
    if isinstance(value, tuple):
        return (0.25, 0.5)
    if isinstance(value, float):
        return value * 0.5
    if isinstance(value, int):
        return value + 16 if name == "image_size" else value + 1
    return value


def test_a_resumed_run_cannot_change_what_it_trains(tmp_path, capsys):
    """Each identity field of the config, changed on --resume, is refused by name."""
    run_tiny(tmp_path, generator_steps=2, ema=0.5)
    saved = rundir.read_config(tmp_path)
    names = [n for n in identity(saved) if n != "data"]
    assert {"lr", "clip", "n_critic", "gan_loss", "bf16", "optimizer", "betas", "ema", "seed"} <= set(names)
    for name in names:
        value = saved[name] if not isinstance(saved[name], list) else tuple(saved[name])
        new = _changed(name, value)
        argv = ["--resume", str(tmp_path)]
        if isinstance(new, bool):
            argv.append(flag(name) if new else f"--no-{name.replace('_', '-')}")
        elif isinstance(new, tuple):
            argv += [flag(name)] + [str(v) for v in new]
        else:
            argv += [flag(name), str(new)]
        if name == "bf16" and not new:
            continue  # store_true: it can only be switched on
        err = _error(capsys, argv)
        assert f"{flag(name)} cannot change when resuming" in err, (name, err)
    # the checkpoint check, derived from the same declaration
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["width"] = 16
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert "checkpoint does not match the run: width" in _error(capsys, ["--resume", str(tmp_path)])


def test_resumable_fields_are_how_a_run_executes():
    may = {f.name for f in dataclasses.fields(Config) if resumable(f.name)}
    assert may == {"data", "generator_steps", "device", "compile", "workers", "data_on_device", "log_every",
                   "log_seconds", "sample_every", "checkpoint_every", "checkpoint_minutes", "eval_every",
                   "eval_samples", "log_step_cosine", "tensorboard", "out"}


def test_corrupt_and_mismatched_checkpoints_are_refused(tmp_path, capsys):
    run = tmp_path / "run"
    run_tiny(run)
    (run / "checkpoint.pt").write_bytes(b"this is not a checkpoint")
    assert "not a wgan-toolkit checkpoint" in _error(capsys, ["--resume", str(run)])
    assert "not a run directory" in _error(capsys, ["--resume", str(tmp_path / "nothing")])


def test_help_describes_the_trainer(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "python -m gan.train" in out and "--checkpoint-minutes" in out and "--ema" in out
    assert "(GPU)" not in out
