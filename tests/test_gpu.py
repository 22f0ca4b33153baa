"""The GPU command (``benchmarks/gpu.py``) on the CPU: its --tiny path end to end (the session's
run, see conftest.py), its output folder's limits, resuming, failures that say what failed, and
its parts one by one (the install from wheels, the test report, the CUDA graph's plumbing with an
eager stand-in, the FLOP count and profile). No number here is a GPU's."""

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import gpu, gpu_profile, gpu_setup
from benchmarks.gpu_children import Child, read_json
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


def test_tiny_experiments_are_the_long_budgets_records(gpu_tiny):
    """The toys' runs are toys.mode_collapse.run_controls' result (the file the toy reads beside
    the long budget): gan_toy.py's WGAN-GP and its WGAN with weight clipping; the MNIST runs are
    experiments.mnist_runs.paper_scale_tasks' records; Stacked MNIST's are
    experiments.stacked_mnist.paper_scale_tasks'."""
    out, state, _ = gpu_tiny
    toys = json.loads((out / "toy_control.json").read_text())
    assert list(toys["runs"]) == ["gan_toy/ring/0", "gan_toy_clip/ring/0"] and toys["provenance"]["cpu_seconds"] > 0
    assert toys == {**json.loads((state / "long" / "mode_collapse_controls.json").read_text()), "status": "done"}
    for key, setup in (("gan_toy/ring/0", "gan_toy.py WGAN-GP"), ("gan_toy_clip/ring/0", "gan_toy.py WGAN (clipping)")):
        r = toys["runs"][key]
        assert r["step"] == [20] and len(r["counts"][-1]) == 8 and r["setup"] == setup
        assert 0 <= r["hq_share"][-1] <= 1 and np.isfinite(r["estimate"]).all()
    assert "kinds=('gan_toy', 'gan_toy_clip')" in toys["provenance"]["command"]
    stacked = json.loads((out / "stacked_mnist.json").read_text())
    assert stacked["status"] == "done" and list(stacked["runs"]) == ["stacked_wgan_d4-s0-paper4"]
    r = stacked["runs"]["stacked_wgan_d4-s0-paper4"]
    assert r["name"] == "wgan_d4" and r["steps"] == 4 and r["critic_width"] == 2 and 0 < r["modes"] <= 1000
    assert 0 <= r["confident_share"] <= 1 and r["samples"] and r["provenance"]["command"].startswith(
        "benchmarks.gpu: stacked_mnist.paper_scale_tasks('cpu', 4, (0,), ('wgan_d4',)) at --tiny")
    mnist = json.loads((out / "mnist.json").read_text())
    assert mnist["status"] == "done"
    assert set(mnist["runs"]) == {"wgan_dcgan-s0-paper8", "wgan_adam_0.0002_0.5-s0-paper8"}
    for r in mnist["runs"].values():
        assert r["generator_steps"] == 8 and r["steps"] == [4, 8] and r["config"]["image_size"] == 16
        assert np.isfinite(r["fd"]).all() and np.isfinite(r["kid"]).all() and r["provenance"]["command"]
    assert mnist["runs"]["wgan_adam_0.0002_0.5-s0-paper8"]["config"]["optimizer"] == "adam"
    assert mnist["runs"]["wgan_dcgan-s0-paper8"]["cosine"]["count"] > 0
    assert (out / "samples.png").stat().st_size > 1000


def test_a_toy_control_run_cut_short_resumes_to_the_same_numbers(tmp_path):
    """The experiments' resumption, within a run: a control stopped after 4 iterations (its state
    file is what a SIGTERM at the budget's end leaves) continues to the numbers of a run that was
    never stopped, bit for bit on the CPU; a restart from scratch, or a lost optimiser or RNG
    state, would not."""
    from toys.mode_collapse import gan_toy_control

    whole = gan_toy_control("ring", 8, seed=3, device="cpu", every=4)
    state = tmp_path / "ring.pt"
    part = gan_toy_control("ring", 4, seed=3, device="cpu", state_path=state, every=4)
    assert state.exists() and part["step"] == [4]
    resumed = gan_toy_control("ring", 8, seed=3, device="cpu", state_path=state, every=4)
    assert resumed["step"] == whole["step"] == [4, 8]
    for k in ("hq_share", "modes", "counts", "estimate"):
        assert resumed[k] == whole[k], k
    assert whole["estimate"][0] != whole["estimate"][1]  # the numbers move: equal ones would prove nothing


@pytest.mark.slow
def test_tiny_run_with_its_tests_then_a_second_call_resumes(tmp_path):
    """The whole --tiny path (the tests phase too); a second call with the same state skips the
    finished phases and finds the finished runs (their records untouched: nothing retrained)."""
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
    for name in ("toy_control.json", "mnist.json", "stacked_mnist.json"):
        assert json.loads((out2 / name).read_text())["runs"] == json.loads((out / name).read_text())["runs"]


def test_a_failure_says_what_failed(tmp_path):
    """An unreadable file is named with what is wrong (not read as None), and a child that fails
    gives its exit status and the end of its log."""
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="bad.json could not be read"):
        read_json(tmp_path / "bad.json")
    assert read_json(tmp_path / "none.json") is None
    child = Child("boom", "json", "loads", {"s": "{"}, tmp_path / "boom.log")
    child.proc.join(120)
    assert child.status().startswith("failed (exit status 1)") and "JSONDecodeError" in child.status()


# ---------------------------------------------------------------------------------- the parts


def test_output_folder_refuses_other_files_and_large_ones(tmp_path):
    out = gpu.Output(tmp_path, 0.0)
    with pytest.raises(ValueError, match="not one of"):
        out.write("checkpoint.pt", b"x")
    assert out.write("summary.json", b"{}") and not out.write("mnist.json", b"x" * gpu.MAX_FILE_BYTES)
    assert not (tmp_path / "mnist.json").exists() and "would be" in (tmp_path / "log.txt").read_text()
    assert len(gpu.FILES) <= 8 and all(NAME.match(n) for n in gpu.FILES)


def test_every_gpu_test_exists():
    for node in gpu_setup.GPU_TESTS + gpu_setup.TINY_TESTS:
        path, _, name = node.partition("::")
        text = (ROOT / path).read_text()
        assert not name or f"def {name.split('[')[0]}(" in text, node


def test_junit_report_counts_and_names_failures(tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text('<testsuites><testsuite time="1.5"><testcase classname="a" name="ok"/>'
                   '<testcase classname="a" name="bad"><failure message="assert 1 == 2&#10;more"/></testcase>'
                   '<testcase classname="b" name="skip"><skipped/></testcase></testsuite></testsuites>')
    r = gpu_setup.junit_counts(xml)
    assert (r["passed"], r["failed"], r["errors"], r["skipped"], r["seconds"]) == (1, 1, 0, 1, 1.5)
    assert r["failures"] == ["a::bad: assert 1 == 2"]
    assert gpu_setup.junit_counts(tmp_path / "missing.xml")["passed"] == 0


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
    assert gpu_setup.install(tmp_path, tmp_path / "site")["note"] == "every module present"
    monkeypatch.setattr(gpu_setup, "NEEDED", {"wgan_fake_module": "wgan_fake_module"})
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", "")
    r = gpu_setup.install(tmp_path / "wheels", tmp_path / "site")
    assert r["status"] == "failed" and "gpu_wheels.sh" in r["note"]
    (tmp_path / "wheels").mkdir()
    _wheel(tmp_path / "wheels", "wgan_fake_module")
    r = gpu_setup.install(tmp_path / "wheels", tmp_path / "site")
    assert r == {"status": "done", "installed": ["wgan_fake_module-1.0-py3-none-any.whl"], "how": "pip"}
    assert __import__("wgan_fake_module").VALUE == 42
    assert str(tmp_path / "site") in __import__("os").environ["PYTHONPATH"]
    sys.modules.pop("wgan_fake_module", None)
    # an image without pip: the wheel is unzipped into the site folder
    monkeypatch.setattr(gpu_setup, "NEEDED", {"wgan_other_module": "wgan_other_module"})
    _wheel(tmp_path / "wheels", "wgan_other_module")
    real_run = subprocess.run
    monkeypatch.setattr(gpu_setup.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1)
                        if cmd[1:] == ["-m", "pip", "--version"] else real_run(cmd, **kw))
    r = gpu_setup.install(tmp_path / "wheels", tmp_path / "site")
    assert r["status"] == "done" and r["how"] == "unzipped (no pip)"
    assert __import__("wgan_other_module").VALUE == 42
    sys.modules.pop("wgan_other_module", None)


def test_wheels_script_asks_for_cpython_312_manylinux_binaries():
    text = (ROOT / "benchmarks" / "gpu_wheels.sh").read_text()
    for flag in ("--only-binary=:all:", "--python-version 3.12", "--implementation cp", "--no-deps",
                 "manylinux_2_28_x86_64", "-d .whl"):
        assert flag in text
    for dist in gpu_setup.NEEDED.values():
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
    graphed = gpu_profile.GraphedIteration(run, 2, gpu_profile.eager_capture)
    first = graphed.buffers[0].clone()
    critic, loss_g = graphed()
    again = graphed()
    assert again[0] is critic and again[1] is loss_g  # static outputs, as a graph's
    assert not torch.equal(graphed.buffers[0], first)  # the next real batches were copied in
    assert torch.isfinite(critic) and torch.isfinite(loss_g)
    assert any(not torch.equal(a, b) for a, b in zip(before, run.C.parameters()))
    assert all(p.abs().max() <= 0.01 + 1e-7 for p in run.C.parameters())  # clipped inside the iteration
    step = gpu_profile.graphed_step(_tiny_run(tmp_path / "b", log_every=2), 2, gpu_profile.eager_capture)
    for _ in range(2):
        step()
    assert [r["step"] for r in rundir.read_metrics(tmp_path / "b")] == [1, 2]


def test_flops_profile_and_bound_on_the_cpu(tmp_path):
    from benchmarks.gan_throughput import metered
    from gan.algorithm import iteration

    run = _tiny_run(tmp_path)
    step = metered(run, lambda: (lambda s: (s.critic, s.loss_g))(iteration(run.players, run.data.next, run.noise, 2)), 2)
    flops = gpu_profile.count_flops(step)
    assert flops > 0
    p = gpu_profile.profile_step(step, torch.device("cpu"), 2)
    assert p["wall_ms"] > 0 and p["aten_ops"] > 10 and "kernels" not in p
    assert "needs CUDA" in gpu_profile.bound_text(p, flops, 1.0, 790)
    host = {"busy": 0.2, "kernels": 900, "wall_us_per_kernel": 11.0, "math_share": 0.3}
    assert gpu_profile.bound_text(host, 10**12, 50.0, 790).startswith("the host") and "6.3% of the bf16 peak" in \
        gpu_profile.bound_text(host, 10**12, 50.0, 790)
    assert "math" in gpu_profile.bound_text({**host, "busy": 0.9, "math_share": 0.8}, None, None, 790)


def test_command_line_needs_an_output_folder(monkeypatch):
    monkeypatch.delenv("OUT", raising=False)
    with pytest.raises(SystemExit):
        gpu.parse([])
    monkeypatch.setenv("OUT", "/tmp/x")
    args = gpu.parse([])
    assert args.out == Path("/tmp/x") and args.budget_seconds == 420 and args.device == "cuda"
    # by default the experiments include what would decide the WGAN findings this machine cannot: Adam on the
    # critic beside RMSProp at every rate, three seeds; gan_toy.py's clipped WGAN, five seeds on both targets;
    # Stacked MNIST at the published scale, three seeds
    from experiments import mnist_runs, stacked_mnist

    assert {mnist_runs.adam_name(lr, b1) for lr in mnist_runs.ADAM_LRS for b1 in mnist_runs.ADAM_BETA1} <= set(
        args.mnist_runs) and set(mnist_runs.PAPER_SCALE_ADAM) <= set(args.mnist_runs) and args.mnist_seeds == [0, 1, 2]
    assert "gan_toy_clip" in args.toy_kinds and args.clip_seeds == [0, 1, 2, 3, 4]
    assert args.toy_targets == ["ring", "grid"] and args.toy_iterations == 100_000
    assert args.stacked_runs == list(stacked_mnist.PAPER_NAMES) and args.stacked_seeds == [0, 1, 2]
    tasks = gpu.stacked_tasks(args.device, args.stacked_steps, args.stacked_seeds, args.stacked_runs, False)
    assert tasks[0].args[0][3:] == (25_600, "cuda", 32, 16, 128) and len(tasks) == 9
    with pytest.raises(SystemExit):
        gpu.parse(["--out", "o", "--stacked-runs", "wgan_d8"])
    assert gpu.parse(["--tiny", "--out", "o"]).device == "cpu"
    with pytest.raises(SystemExit):
        gpu.parse(["--out", "o", "--phases", "tests,bogus"])


def test_runs_as_a_script_help():
    r = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "--budget-seconds" in r.stdout and "--tiny" in r.stdout
