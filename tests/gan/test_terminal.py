"""What ``python -m gan.train`` shows on a terminal (a pseudo-terminal, 80 columns), as
nanoGPT's and pytorch/examples' dcgan users read it: the banner whole before the bar, a bar that
counts generator steps (a resumed run starts where it stopped), a short postfix, the GAN's
discriminator loss, and a last line that names the time and the output files."""

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--data", "synthetic:64", "--image-size", "16", "--width", "8", "--nz", "8", "--batch-size", "8",
        "--mlp-hidden", "32", "--n-critic", "2", "--no-reference-schedule", "--workers", "0", "--device", "cpu",
        "--log-every", "2", "--sample-every", "100", "--checkpoint-every", "2"]


def _on_terminal(argv: list[str], columns: int = 80) -> tuple[int, str, str]:
    """Run ``python -m gan.train argv`` with stderr (the bar) on a pseudo-terminal of ``columns``
    columns; returns (exit status, stdout, what the terminal received)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))  # a terminal's size
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "24", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "gan.train", *argv], stdout=subprocess.PIPE, stderr=slave,
                            cwd=ROOT, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode()
    code = proc.wait(timeout=120)
    os.close(master)
    return code, out, b"".join(chunks).decode(errors="replace")


def _screen_lines(term: str) -> list[str]:
    """The terminal's text split at carriage returns and newlines, escape sequences removed."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", term)
    return [s for s in re.split(r"[\r\n]+", text) if s.strip()]


@pytest.mark.parametrize("algo", ["wgan", "gan"])
def test_the_bar_counts_generator_steps_after_the_banner(tmp_path, algo):
    run = tmp_path / "run"
    code, out, term = _on_terminal(["--algo", algo, "--generator-steps", "6", "--out", str(run), *TINY])
    assert code == 0, term
    # the banner is whole on stdout, and the bar (stderr, the terminal) only counts generator steps
    assert out.startswith("python -m gan.train\n") and "\n  " in out
    bars = [s for s in _screen_lines(term) if "|" in s and "/6" in s]
    assert bars, term
    assert all(len(s) <= 80 for s in _screen_lines(term)), [len(s) for s in _screen_lines(term)]
    assert "6/6" in bars[-1] and "critic step" not in term
    assert ("EM " in term) if algo == "wgan" else ("Loss_D " in term)
    last = out.strip().splitlines()[-1]
    m = re.match(r"done: 6 generator steps in (\d+m)?\d+s; last (em estimate|js lower bound) -?[\d.e+-]+; "
                 r"samples (.+), checkpoint (.+), metrics (.+)$", last)
    assert m, last
    assert Path(m.group(3)) == run / "samples" / "latest.png" and Path(m.group(4)).is_file()
    assert Path(m.group(5)) == run / "metrics.jsonl" and Path(m.group(5)).is_file()


def test_a_resumed_run_starts_its_bar_where_it_stopped(tmp_path):
    run = tmp_path / "run"
    code, _, _ = _on_terminal(["--generator-steps", "4", "--out", str(run), *TINY])
    assert code == 0
    code, out, term = _on_terminal(["--resume", str(run), "--generator-steps", "8"])
    assert code == 0, term
    bars = [s for s in _screen_lines(term) if "/8" in s]
    assert bars and re.search(r"\b4/8\b", bars[0]) and "50%" in bars[0], bars[:3]
    assert "8/8" in bars[-1]
    assert "(resumed at step 4)" in out.strip().splitlines()[-1]


def test_off_a_terminal_each_line_names_the_discriminator_loss(tmp_path):
    """Off a terminal (a log file): one line per metrics flush; the GAN's names Loss_D (dcgan's,
    2 (ln 2 - the JS bound)) and D's accuracy."""
    run = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "gan.train", "--algo", "gan", "--generator-steps", "4", "--out",
                           str(run), *TINY], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [s for s in proc.stdout.splitlines() if s.startswith("step ")]
    assert len(rows) == 2 and all("Loss_D " in s and "D accuracy " in s and "eta" in s for s in rows)
