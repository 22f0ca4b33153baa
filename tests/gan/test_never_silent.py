"""Never silently wrong (issue 31, items 3-11): every path through the real command lines either
keeps a run whole or says, in one line, what is missing and what to do."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gan import checkpoint, rundir
from gan.train import main
from tests.gan.helpers import run_tiny
from tests.gan.test_safety import NEW, SMALL, _exit, _files

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _python(*args, stdout=subprocess.PIPE, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=ENV, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=300, **kw)


def _steps(run) -> list[int]:
    return [r["step"] for r in rundir.read_metrics(run, warn=False)]


# --------------------------------------------------------------------------- item 3: no gap in the history


@pytest.mark.parametrize("damage", ["torn line of the checkpoint's step", "cut short", "deleted"])
def test_a_resume_never_leaves_a_gap_in_the_metrics(tmp_path, capsys, damage):
    """Checkpoints at steps 4 (checkpoint.prev.pt) and 8; metrics.jsonl loses lines up to step 8.
    The resume either trains the lost steps again from the checkpoint before them (the same
    numbers, bit for bit) or refuses, naming them; never rc 0 with a gap."""
    run = tmp_path / "run"
    run_tiny(run, generator_steps=8, checkpoint_every=4)
    before = rundir.read_metrics(run)
    path = run / rundir.METRICS
    lines = path.read_text().splitlines(keepends=True)
    if damage == "deleted":
        path.unlink()
        ckpt = (run / "checkpoint.pt").read_bytes()
        err = _exit(capsys, ["--resume", str(run), "--generator-steps", "12"])
        assert "lacks the metrics of generator step(s) 1-8" in err and "--overwrite" in err
        assert (run / "checkpoint.pt").read_bytes() == ckpt and not path.exists()  # nothing touched
        return
    path.write_text("".join(lines[:7]) + lines[7][:20] if damage.startswith("torn") else "".join(lines[:5]))
    assert main(["--resume", str(run), "--generator-steps", "12"]) == 0
    err = capsys.readouterr().err
    missing = "8" if damage.startswith("torn") else "6-8"
    assert f"lacks the metrics of generator step(s) {missing}" in err and "step 4 instead" in err
    rows = rundir.read_metrics(run)
    assert [r["step"] for r in rows] == list(range(1, 13))
    assert [r["em_estimate"] for r in rows[:8]] == [r["em_estimate"] for r in before]  # trained again exactly


# --------------------------------------------------------------------------- item 4: signals while importing


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_trainer_imports_gives_one_line_and_128_plus_n(tmp_path, sig):
    """The signal lands as soon as torch's library is mapped: gan.train is importing torch (about
    2.5 s on 2 cores), after the gan package installed its handlers (Python's own start-up
    before that, 0.05-0.6 s here depending on the load, keeps Python's default)."""
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "gan.train", "--out", str(out)] + NEW, cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    maps, t0 = Path(f"/proc/{proc.pid}/maps"), time.time()
    while proc.poll() is None and time.time() - t0 < 120 and "libtorch" not in maps.read_text():
        time.sleep(0.005)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + int(sig), (proc.returncode, err)
    assert "Traceback" not in err and err.count("\n") == 1 and f"stopped by {sig.name} during start-up" in err, err
    assert not out.exists()


# --------------------------------------------------------------------------- item 5: a save cut between renames


@pytest.mark.parametrize("cut", ["between the two renames", "before the first rename"])
def test_a_checkpoint_complete_on_disk_is_used_not_deleted(tmp_path, capsys, cut):
    """checkpoint.save writes the new file whole (.checkpoint.pt.new.tmp), moves checkpoint.pt to
    checkpoint.prev.pt, then renames the new one into place; a kill between those steps leaves
    the newest checkpoint under its temporary name."""
    run = tmp_path / "run"
    run_tiny(run, generator_steps=4, checkpoint_every=2)  # checkpoint.pt at 4, checkpoint.prev.pt at 2
    os.replace(run / "checkpoint.pt", run / ".checkpoint.pt.new.tmp")  # checkpoint.NEW
    if cut == "before the first rename":
        (run / "checkpoint.pt").write_bytes((run / "checkpoint.prev.pt").read_bytes())
    assert main(["--resume", str(run), "--generator-steps", "4"]) == 0
    captured = capsys.readouterr()
    assert "completed the checkpoint of step 4" in captured.err and "temporary file" not in captured.err
    assert "nothing to do" in captured.out and "already at step 4" in captured.out
    assert checkpoint.load(run)["step"] == 4 and not (run / ".checkpoint.pt.new.tmp").exists()
    assert int(checkpoint.decode((run / "checkpoint.prev.pt").read_bytes())["step"]) == 2


# --------------------------------------------------------------------------- item 6: a move cut half-way


KILL_IN_SET_ASIDE = """
import os, signal, sys
real, moved = os.replace, []
def replace(src, dst):
    if Path(dst).parent.name in (".replaced", ".replacing"):  # a file of the old run moves aside
        moved.append(dst)
        if len(moved) == 3:  # config.json and metrics.jsonl moved, the checkpoints not
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
from pathlib import Path
os.replace = replace
from gan.train import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_kill_inside_the_move_to_replaced_never_loses_the_old_run(tmp_path, capsys):
    run = tmp_path / "run"
    run_tiny(run, generator_steps=4, checkpoint_every=2)
    old = rundir.read_metrics(run)
    killed = _python("-c", KILL_IN_SET_ASIDE, *NEW, "--out", str(run), "--overwrite")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert main(["--resume", str(run), "--generator-steps", "6"]) == 0
    rows = rundir.read_metrics(run)
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r["em_estimate"] for r in rows[:4]] == [r["em_estimate"] for r in old]  # the old run's own lines
    assert "interrupted while it set the old run aside" in capsys.readouterr().err
    assert not any((run / n).exists() for n in (".replaced", ".replacing"))


KILL_IN_MOVE_BACK = """
import os, signal, sys
from pathlib import Path
real, moved = os.replace, []
def replace(src, dst):
    if Path(src).parent.name in (".replaced", ".restoring") and Path(dst).parent.name == "run":
        moved.append(dst)  # a file of the old run moves back
        if len(moved) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
os.replace = replace
from gan.train import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_kill_inside_the_move_back_finishes_it(tmp_path, capsys):
    """A replacement that diverges before its first checkpoint moves the old run back; a kill
    half-way through that move is finished on the next start: the old run whole, none of the
    failed one's files."""
    run = tmp_path / "run"
    run_tiny(run, generator_steps=4)
    old = _files(run)
    killed = _python("-c", KILL_IN_MOVE_BACK, *NEW, "--out", str(run), "--overwrite", "--lr", "1e38",
                     "--generator-steps", "6", "--log-every", "1", "--sample-every", "1", "--checkpoint-every", "100")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert main(["--resume", str(run), "--generator-steps", "4"]) == 0
    assert "moved the old run back: finished" in capsys.readouterr().err
    assert _files(run) == old and not any((run / n).exists() for n in (".replaced", ".restoring"))


# --------------------------------------------------------------------------- item 7: one piece of advice


def test_a_run_killed_before_its_first_checkpoint_gets_one_piece_of_advice(tmp_path, capsys):
    run = tmp_path / "run"
    run_tiny(run, generator_steps=2)
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):  # what a kill -9 before the first checkpoint leaves
        (run / name).unlink(missing_ok=True)
    advice = [_exit(capsys, NEW + ["--out", str(run)]), _exit(capsys, ["--resume", str(run)])]
    for err in advice:
        assert "no checkpoint yet" in err and f"--out {run} --overwrite" in err and "continue it" not in err
    assert main(NEW + ["--out", str(run), "--overwrite"]) == 0 and _steps(run) == [1, 2]


# --------------------------------------------------------------------------- items 8, 9, 10: the other commands


def test_evaluate_on_a_mistyped_directory_makes_nothing(tmp_path, capsys):
    from gan import evaluate

    for argv in ([str(tmp_path / "nope")], [str(tmp_path / "nope"), "--out", str(tmp_path / "nope" / "e.jsonl")]):
        with pytest.raises(SystemExit) as exc:
            evaluate.main(argv)
        assert not (tmp_path / "nope").exists()
        assert exc.value.code == 2 and "not a run directory (it does not exist)" in capsys.readouterr().err


def test_plot_names_a_directory_that_does_not_exist(tmp_path, capsys):
    from gan.plot import main as plot_main

    for extra in ([], ["--csv"]):
        with pytest.raises(SystemExit) as exc:
            plot_main([str(tmp_path / "nope")] + extra)
        err = capsys.readouterr().err
        assert exc.value.code == 2 and "nope: no such run directory" in err and "metrics.jsonl" not in err
    (tmp_path / "empty").mkdir()  # an existing directory without lines: the old sentence is right
    with pytest.raises(SystemExit):
        plot_main([str(tmp_path / "empty"), "--csv"])
    assert "no metrics.jsonl lines yet" in capsys.readouterr().err


def _full_stdout(*args) -> subprocess.CompletedProcess:
    with open("/dev/full", "w") as full:
        return _python(*args, stdout=full)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_standard_output_gives_one_line_and_keeps_the_written_file(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.normal(size=(200, 4)))
    np.save(tmp_path / "b.npy", rng.normal(size=(200, 4)))
    for extra in ([], ["--json"]):
        res = _full_stdout("-m", "gan.compare", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "--metrics", "fd",
                           *extra)
        assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
        assert res.stderr.strip() == "error: could not write the result to standard output: No space left on device"
    run = tmp_path / "run"
    run_tiny(run, data="mnist", generator_steps=2, sample_every=2)
    res = _full_stdout("-m", "gan.evaluate", str(run), "--samples", "50")
    errors = [line for line in res.stderr.splitlines() if not line.startswith("[")]  # not the progress lines
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert errors == ["error: could not write the result to standard output: No space left on device; the result "
                      f"is kept in {run / 'evaluation.jsonl'}"]
    assert [json.loads(line)["step"] for line in (run / "evaluation.jsonl").read_text().splitlines()] == [2]


# --------------------------------------------------------------------------- item 11: how to repair; warnings


@pytest.mark.parametrize("damage", ["a duplicate step", "a line that is not JSON"])
def test_damage_that_blocks_a_resume_says_how_to_repair_it(tmp_path, capsys, damage):
    """The message gives a command; running it, then --resume, gives a whole run."""
    run = tmp_path / "run"
    run_tiny(run, generator_steps=6, checkpoint_every=2)
    path = run / rundir.METRICS
    lines = path.read_text().splitlines(keepends=True)
    lines = lines[:3] + [lines[2]] + lines[3:] if damage == "a duplicate step" else lines[:4] + ["{garbage\n"] + lines[5:]
    path.write_text("".join(lines))
    err = _exit(capsys, ["--resume", str(run), "--generator-steps", "8"])
    assert "to repair" in err
    command = err[err.index("(sed -i ") + 1:err.index(")", err.index("(sed -i "))]
    subprocess.run(shlex.split(command), check=True)
    assert main(["--resume", str(run), "--generator-steps", "8"]) == 0
    assert _steps(run) == list(range(1, 9))


def test_warnings_print_as_one_line(tmp_path):
    run = tmp_path / "run"
    run_tiny(run, generator_steps=4, checkpoint_every=2)
    blob = bytearray((run / "checkpoint.pt").read_bytes())
    blob[-10] ^= 0xFF  # a flipped bit: the checkpoint falls back to checkpoint.prev.pt, with a warning
    (run / "checkpoint.pt").write_bytes(bytes(blob))
    res = _python("-m", "gan.train", "--resume", str(run), "--generator-steps", "5")
    assert res.returncode == 0, res.stderr
    warned = [line for line in res.stderr.splitlines() if "fails its checksum" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: "), res.stderr
    assert "RuntimeWarning" not in res.stderr and "warnings.warn" not in res.stderr, res.stderr


# --------------------------------------------------------------------------- torchrun: every rank agrees


@pytest.mark.parametrize("damage", ["a save cut between its renames", "lines missing from metrics.jsonl"])
def test_the_other_ranks_resume_from_the_checkpoint_rank_0_chooses(tmp_path, monkeypatch, damage):
    """Rank 0 alone repairs the directory; a rank that reads it before (or after) the repair
    picks the same checkpoint, so every rank resumes at the same step."""
    from gan.startup import Start
    from tests.gan.helpers import tiny

    run = tmp_path / "run"
    run_tiny(run, generator_steps=8, checkpoint_every=4)  # checkpoint.pt at 8, checkpoint.prev.pt at 4
    if damage.startswith("a save"):
        os.replace(run / "checkpoint.pt", run / ".checkpoint.pt.new.tmp")
        expected = 8
    else:
        lines = (run / rundir.METRICS).read_text().splitlines(keepends=True)
        (run / rundir.METRICS).write_text("".join(lines[:6]))
        expected = 4
    cfg = tiny(run, generator_steps=12, checkpoint_every=4).validate().resolved()
    monkeypatch.setenv("RANK", "1")
    before = Start(cfg).prepare(resume=True)  # a rank that reads the directory first
    monkeypatch.setenv("RANK", "0")
    owner = Start(cfg).prepare(resume=True)
    owner.finish(ok=True)
    monkeypatch.setenv("RANK", "1")
    after = Start(cfg).prepare(resume=True)
    assert before.saved_step == owner.saved_step == after.saved_step == expected
