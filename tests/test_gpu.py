"""The GPU command (``benchmarks/gpu.py``) on the CPU: its --tiny path end to end (the session's
run, see conftest.py), its output folder's limits, resuming, and its parts one by one (the
install from wheels, the test report, the CUDA graph's plumbing with an eager stand-in, the
FLOP count and profile, the toy statistics, the MNIST records). No number here is a GPU's."""

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import gpu
from gan import rundir

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^[A-Za-z0-9._-]+$")


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as the command's --tiny children have: tiny models on a busy CPU are
    many times slower on two threads."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_tiny_run_writes_only_its_files_small_and_named(gpu_tiny):
    out, state, status = gpu_tiny
    assert status == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert 0 < len(files) <= 8 and all(p.parent == out for p in files)
    assert {p.name for p in files} <= set(gpu.FILES) and all(NAME.match(p.name) for p in files)
    assert all(p.stat().st_size < 16_000_000 for p in files)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tiny"] is True and summary["device"] == "cpu"
    assert {k: v["status"] for k, v in summary["phases"].items()} == {
        "install": "done", "throughput": "done", "experiments": "done"}
    assert "no GPU number here" in summary["table"][0]
    log = (out / "log.txt").read_text()
    assert "phase throughput: done" in log and summary["table"][-1] in log


def test_tiny_throughput_measures_both_loops_and_says_what_it_could_not(gpu_tiny):
    tp = json.loads((gpu_tiny[0] / "throughput.json").read_text())
    assert tp["device"] == "cpu" and tp["tiny"] and tp["done"]
    assert set(tp["groups"]["eager"]["ratio"]) == {"trainer fp32"}
    assert tp["flops_per_step"]["trainer"] > 0
    assert tp["profile"]["trainer fp32"]["aten_ops"] > 0
    assert any("CUDA graph: unmeasured" in n for n in tp["notes"])
    assert all("needs CUDA" in b for b in tp["bound"].values())


def test_tiny_experiments_record_each_run_as_it_goes(gpu_tiny):
    out = gpu_tiny[0]
    toys = json.loads((out / "toy_control.json").read_text())
    assert set(toys["runs"]) == {"toy-ring-s0", "toy-grid-s0"}
    for r in toys["runs"].values():
        assert r["step"] == [10, 20, 30, 40] and len(r["hq_share"]) == 4 and r["of"] in (8, 25)
        assert len(r["scatter"]["xy"]) == 500 and all(np.isfinite(r["estimate"]))
    mnist = json.loads((out / "mnist.json").read_text())
    assert set(mnist["runs"]) == {"mnist-clip-dcgan", "mnist-adam-dcgan"}
    for r in mnist["runs"].values():
        assert r["steps"] == 8 and [q["step"] for q in r["quality"]] == [4, 8]
        assert all(np.isfinite(q["fd"]) and np.isfinite(q["kid"]) for q in r["quality"])
    assert mnist["runs"]["mnist-adam-dcgan"]["cosine"]["count"] == 8
    assert mnist["runs"]["mnist-adam-dcgan"]["config"]["optimizer"] == "adam"
    assert (out / "samples.png").stat().st_size > 1000


@pytest.mark.slow
def test_tiny_run_with_its_tests_then_a_second_call_resumes(tmp_path):
    """The whole --tiny path (the tests phase too); a second call with the same state skips the
    finished phases and finds the finished runs."""
    out, state = tmp_path / "out", tmp_path / "state"
    argv = ["--tiny", "--out", str(out), "--state", str(state), "--budget-seconds", "900"]
    assert gpu.main(argv) == 0
    first = json.loads((out / "summary.json").read_text())
    assert first["phases"]["tests"]["passed"] > 0 and first["phases"]["tests"]["failed"] == 0
    out2 = tmp_path / "out2"
    assert gpu.main(argv[:2] + [str(out2)] + argv[3:]) == 0
    second = json.loads((out2 / "summary.json").read_text())
    assert second["calls"] == 2
    assert "earlier call" in second["phases"]["tests"]["note"]
    assert "earlier call" in second["phases"]["throughput"]["note"]
    toys = json.loads((out2 / "toy_control.json").read_text())["runs"]
    assert toys["toy-ring-s0"]["step"] == [10, 20, 30, 40]  # found finished, not retrained


# ---------------------------------------------------------------------------------- the parts


def test_output_folder_refuses_other_files_and_large_ones(tmp_path):
    out = gpu.Output(tmp_path, 0.0)
    with pytest.raises(ValueError, match="not one of"):
        out.write("checkpoint.pt", b"x")
    assert out.write("summary.json", b"{}") and not out.write("mnist.json", b"x" * gpu.MAX_FILE_BYTES)
    assert not (tmp_path / "mnist.json").exists() and "would be" in (tmp_path / "log.txt").read_text()
    assert len(gpu.FILES) <= 8 and all(NAME.match(n) for n in gpu.FILES)


def test_every_gpu_test_exists():
    for node in gpu.GPU_TESTS + gpu.TINY_TESTS:
        path, _, name = node.partition("::")
        text = (ROOT / path).read_text()
        assert not name or f"def {name.split('[')[0]}(" in text, node


def test_junit_report_counts_and_names_failures(tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text('<testsuites><testsuite time="1.5"><testcase classname="a" name="ok"/>'
                   '<testcase classname="a" name="bad"><failure message="assert 1 == 2&#10;more"/></testcase>'
                   '<testcase classname="b" name="skip"><skipped/></testcase></testsuite></testsuites>')
    r = gpu.junit_counts(xml)
    assert (r["passed"], r["failed"], r["errors"], r["skipped"], r["seconds"]) == (1, 1, 0, 1, 1.5)
    assert r["failures"] == ["a::bad: assert 1 == 2"]
    assert gpu.junit_counts(tmp_path / "missing.xml")["passed"] == 0


def _wheel(folder: Path, name: str) -> Path:
    """A minimal pure-Python wheel of a module ``name``."""
    path = folder / f"{name}-1.0-py3-none-any.whl"
    info = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}/__init__.py", "VALUE = 42\n")
        z.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{info}/RECORD", "")
    return path


def test_install_takes_only_the_missing_modules_from_wheels(tmp_path, monkeypatch):
    out = gpu.Output(tmp_path / "out", 0.0)
    assert gpu.install(tmp_path, tmp_path / "site", out)["note"] == "every module present"
    monkeypatch.setattr(gpu, "NEEDED", {"wgan_fake_module": "wgan_fake_module"})
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", "")
    r = gpu.install(tmp_path / "wheels", tmp_path / "site", out)
    assert r["status"] == "failed" and "gpu_wheels.sh" in r["note"]
    (tmp_path / "wheels").mkdir()
    _wheel(tmp_path / "wheels", "wgan_fake_module")
    r = gpu.install(tmp_path / "wheels", tmp_path / "site", out)
    assert r == {"status": "done", "installed": ["wgan_fake_module-1.0-py3-none-any.whl"], "how": "pip"}
    assert __import__("wgan_fake_module").VALUE == 42
    assert str(tmp_path / "site") in __import__("os").environ["PYTHONPATH"]
    sys.modules.pop("wgan_fake_module", None)
    # an image without pip: the wheel is unzipped into the site folder
    monkeypatch.setattr(gpu, "NEEDED", {"wgan_other_module": "wgan_other_module"})
    _wheel(tmp_path / "wheels", "wgan_other_module")
    real_run = subprocess.run
    monkeypatch.setattr(gpu.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1)
                        if cmd[1:] == ["-m", "pip", "--version"] else real_run(cmd, **kw))
    r = gpu.install(tmp_path / "wheels", tmp_path / "site", out)
    assert r["status"] == "done" and r["how"] == "unzipped (no pip)"
    assert __import__("wgan_other_module").VALUE == 42
    sys.modules.pop("wgan_other_module", None)


def test_wheels_script_asks_for_cpython_312_manylinux_binaries():
    text = (ROOT / "benchmarks" / "gpu_wheels.sh").read_text()
    for flag in ("--only-binary=:all:", "--python-version 3.12", "--implementation cp", "--no-deps",
                 "manylinux_2_28_x86_64", "-d .whl"):
        assert flag in text
    for dist in gpu.NEEDED.values():
        assert f"{dist}==" in text
    assert ".whl/" in (ROOT / ".gitignore").read_text().split()


def _tiny_run(tmp_path, **kw):
    from gan.train import build
    from tests.gan.helpers import tiny

    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = tiny(tmp_path, device="cpu", **kw).validate().resolved()
    return build(cfg)


def test_graphed_iteration_replays_the_trainers_iteration(tmp_path):
    """The CUDA graph's plumbing with the eager stand-in: static outputs refreshed by each replay,
    fresh real batches copied into the static buffers, the trainer's metrics handling."""
    run = _tiny_run(tmp_path)
    before = [p.detach().clone() for p in run.C.parameters()]
    graphed = gpu.GraphedIteration(run, 2, gpu.eager_capture)
    first = graphed.buffers[0].clone()
    critic, loss_g = graphed()
    again = graphed()
    assert again[0] is critic and again[1] is loss_g  # static outputs, as a graph's
    assert not torch.equal(graphed.buffers[0], first)  # the next real batches were copied in
    assert torch.isfinite(critic) and torch.isfinite(loss_g)
    assert any(not torch.equal(a, b) for a, b in zip(before, run.C.parameters()))
    assert all(p.abs().max() <= 0.01 + 1e-7 for p in run.C.parameters())  # clipped inside the iteration
    step = gpu.graphed_step(_tiny_run(tmp_path / "b", log_every=2), 2, gpu.eager_capture)
    for _ in range(2):
        step()
    assert [r["step"] for r in rundir.read_metrics(tmp_path / "b")] == [1, 2]


def test_flops_profile_and_bound_on_the_cpu(tmp_path):
    from benchmarks.gan_throughput import metered
    from gan.algorithm import iteration

    run = _tiny_run(tmp_path)
    step = metered(run, lambda: (lambda s: (s.critic, s.loss_g))(iteration(run.players, run.data.next, run.noise, 2)), 2)
    flops = gpu.count_flops(step)
    assert flops > 0
    p = gpu.profile_step(step, torch.device("cpu"), 2)
    assert p["wall_ms"] > 0 and p["aten_ops"] > 10 and "kernels" not in p
    assert "needs CUDA" in gpu.bound_text(p, flops, 1.0, 790)
    host = {"busy": 0.2, "kernels": 900, "wall_us_per_kernel": 11.0, "math_share": 0.3}
    assert gpu.bound_text(host, 10**12, 50.0, 790).startswith("the host") and "6.3% of the bf16 peak" in \
        gpu.bound_text(host, 10**12, 50.0, 790)
    assert "math" in gpu.bound_text({**host, "busy": 0.9, "math_share": 0.8}, None, None, 790)


def test_toy_statistics_follow_the_protocol():
    for target, k in (("ring", 8), ("grid", 25)):
        centres, std = gpu.gan_toy_modes(target)
        assert len(centres) == k
        x = np.repeat(centres, 10, axis=0) + std * 0.5
        s = gpu.toy_statistics(x, target)
        assert s["hq_share"] == 1.0 and s["modes"] == k and s["mode_kl"] == pytest.approx(0, abs=1e-12)
        s = gpu.toy_statistics(np.vstack([np.repeat(centres[:1], 30, 0), centres[:1] + 1.0]), target)
        assert s["modes"] == 1 and s["hq_share"] == pytest.approx(30 / 31) and s["mode_kl"] == pytest.approx(np.log(k))
    ring, std = gpu.gan_toy_modes("ring")
    assert np.linalg.norm(ring, axis=1) == pytest.approx(2 / 1.414) and std == pytest.approx(0.02 / 1.414)
    with pytest.raises(ValueError):
        gpu.gan_toy_modes("spiral")


def test_toy_control_continues_from_its_state(tmp_path):
    import signal
    import time

    handler = signal.getsignal(signal.SIGTERM)
    first = gpu.toy_control("ring", 3, "cpu", tmp_path, time.time() + 600, True, 20)
    assert first["step"] == [20, 40] and (tmp_path / "toy-ring-s3.pt").exists()
    assert signal.getsignal(signal.SIGTERM) == handler  # restored
    again = gpu.toy_control("ring", 3, "cpu", tmp_path, time.time() + 600, True, 20)
    assert again["step"] == [20, 40] and again["hq_share"] == first["hq_share"]
    assert json.loads((tmp_path / "toy-ring-s3.json").read_text())["step"] == [20, 40]


def test_mnist_record_reads_a_trainer_run(tmp_path):
    from gan.train import train
    from tests.gan.helpers import tiny

    train(tiny(tmp_path, device="cpu", optimizer="adam", log_step_cosine=True, generator_steps=6, log_every=2),
          progress=False)
    r = gpu.mnist_record(tmp_path)
    assert r["steps"] == 6 and r["config"]["optimizer"] == "adam" and r["curve_key"] == "em_estimate"
    assert r["curve"]["step"] == list(range(1, 7)) and r["cosine"]["count"] == 6 and r["quality"] == []
    assert gpu.mnist_record(tmp_path / "none") is None


def test_mnist_runs_are_the_trainers_command_and_resume(tmp_path):
    argv = gpu.mnist_argv("mnist-clip-mlp", tmp_path / "r", "cuda", False, 500, 1000)
    assert argv[1:3] == ["-m", "gan.train"] and "--resume" not in argv
    i = argv.index("--generator")
    assert argv[i + 1] == "mlp" and argv[argv.index("--image-size") + 1] == "32"
    for paper_default in ("--lr", "--clip", "--n-critic", "--batch-size", "--optimizer"):
        assert paper_default not in argv  # the trainer's defaults are the paper's
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "checkpoint.pt").write_bytes(b"")
    assert gpu.mnist_argv("mnist-clip-mlp", tmp_path / "r", "cuda", False, 500, 1000)[3:] == ["--resume", str(tmp_path / "r")]


def test_command_line_needs_an_output_folder(monkeypatch):
    monkeypatch.delenv("OUT", raising=False)
    with pytest.raises(SystemExit):
        gpu.parse([])
    monkeypatch.setenv("OUT", "/tmp/x")
    args = gpu.parse([])
    assert args.out == Path("/tmp/x") and args.budget_seconds == 420 and args.device == "cuda"
    assert gpu.parse(["--tiny", "--out", "o"]).device == "cpu"
    with pytest.raises(SystemExit):
        gpu.parse(["--out", "o", "--phases", "tests,bogus"])


def test_runs_as_a_script_help():
    r = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "--budget-seconds" in r.stdout and "--tiny" in r.stdout
