"""The long budget: resumable tasks written as they finish, provenance of committed results, and the
paper-scale runs a GPU would train (their configurations, without training)."""

import json
import time
from pathlib import Path

import pytest

from claims import long_budget
from claims.long_budget import Task
from experiments import mnist_runs, stacked_mnist



def _spin(seconds: float) -> None:
    """Burn ``seconds`` of this process's CPU time."""
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        pass


def _square(x: int, log: str, cpu: float = 0.0) -> dict:
    _spin(cpu)
    with open(log, "a") as fh:
        fh.write(f"{x}\n")
    return {"x": x, "square": x * x}


def _boom(x: int) -> dict:
    raise RuntimeError("interrupted")


def test_tasks_run_once_and_resume(tmp_path, monkeypatch):
    monkeypatch.setattr("claims.runtime.WORKERS", 1)  # in this process: the calls can be counted
    log = str(tmp_path / "calls")
    tasks = [Task(f"t{i}", _square, (i, log, 0.05 * i), cost=i + 1) for i in range(3)]
    recs = long_budget.run_tasks(tasks, tmp_path)
    assert [recs[f"t{i}"]["square"] for i in range(3)] == [0, 1, 4]
    # each record carries the CPU time its own task burned (0, 0.05 and 0.1 s), not a running total
    assert all(0.05 * i <= recs[f"t{i}"]["cpu_seconds"] < 0.05 * i + 0.03 for i in range(3)), recs
    assert sorted(p.name for p in (tmp_path / long_budget.RUNS).iterdir()) == ["t0.json", "t1.json", "t2.json"]
    # a rerun reads the records: nothing runs again
    long_budget.run_tasks(tasks, tmp_path)
    assert open(log).read().split() == ["0", "1", "2"]
    # an interrupted budget keeps what finished; a torn record is run again
    (tmp_path / long_budget.RUNS / "t1.json").write_text("{torn")
    with pytest.raises(RuntimeError):
        long_budget.run_tasks(tasks + [Task("t3", _boom, (3,))], tmp_path)
    assert open(log).read().split() == ["0", "1", "2", "1"]
    assert long_budget.load_record(tmp_path, "t1")["square"] == 1 and long_budget.load_record(tmp_path, "t3") is None
    with pytest.raises(ValueError):
        long_budget.run_tasks([Task("a", _square, (1, log)), Task("a", _square, (2, log))], tmp_path)


def _costly(x: int, log: str, cpu: float) -> dict:
    _square(x, log)
    time.sleep(0.1)  # wall time that the provenance must count
    return {"x": x, "cpu_seconds": cpu}  # a task that accounts for its own CPU time (e.g. resumed)


def test_tasks_collected_in_a_committed_result(tmp_path, monkeypatch):
    """``into``: the records live in out/NAME.json with a provenance that adds up every invocation;
    keys may name folders; a rerun skips what is there; code that changed between invocations
    shows in the commit."""
    log = str(tmp_path / "calls")
    tasks = [Task(f"toy/{i}", _costly, (i, log, 10.0 * (i + 1)), cost=i + 1) for i in range(3)]
    with pytest.raises(RuntimeError):
        long_budget.run_tasks(tasks[:2] + [Task("toy/x", _boom, (9,))], tmp_path, workers=1, into="demo",
                              command="demo --long")
    first = long_budget.read("demo", tmp_path)
    assert list(first["runs"]) == ["toy/0", "toy/1"] and first["provenance"]["cpu_seconds"] == 30.0
    # the wall time of the invocation: at least the two finished tasks' 0.1 s sleeps, and not minutes
    assert first["provenance"]["command"] == "demo --long" and 0.2 <= first["provenance"]["wall_seconds"] < 30
    assert not (tmp_path / long_budget.RUNS).exists()
    monkeypatch.setattr(long_budget, "git_commit", lambda: "feedbeef")  # resumed by other code
    recs = long_budget.run_tasks(list(reversed(tasks)), tmp_path, workers=1, into="demo", command="demo --long")
    assert open(log).read().split() == ["0", "1", "2"] and recs["toy/2"]["cpu_seconds"] == 30.0
    data = long_budget.read("demo", tmp_path)
    p = data["provenance"]
    assert p["cpu_seconds"] == 60.0 and p["commit"].endswith(" then feedbeef") and p["machine"]["cores"]
    assert list(data["runs"]) == ["toy/2", "toy/1", "toy/0"]  # the tasks' order
    assert long_budget.run_tasks(tasks, tmp_path, workers=1, into="demo") == recs  # nothing left: nothing runs
    assert long_budget.read("demo", tmp_path)["provenance"] == p


def test_provenance_label_reads_both_machine_forms():
    prov = {"command": "c", "commit": "0123456789abcdef", "machine": {"cpu": "AMD EPYC", "cores": 2},
            "date": "2026-11-30", "cpu_seconds": 7200}
    assert long_budget.describe(prov) == "`c` at commit `0123456789ab` on AMD EPYC, 2 cores, 2026-11-30, 2.00 CPU-hours"
    assert "on 2 cores, today" in long_budget.describe(dict(prov, machine="2 cores", date="today"))
    assert long_budget.describe(None) == ""
    assert set(long_budget.machine()) == {"cpu", "cores"}


def test_written_results_carry_their_provenance(tmp_path):
    path = long_budget.write(tmp_path, "demo", {"runs": [1, 2]}, {"a": {"cpu_seconds": 1.5}, "b": {"cpu_seconds": 2}})
    data = json.loads(path.read_text())
    p = data["provenance"]
    assert set(p) == {"command", "commit", "machine", "date", "cpu_seconds"} and p["cpu_seconds"] == 3.5
    assert p["machine"]["cores"] and p["command"].startswith("python -m figures --budget long")
    assert long_budget.read("demo", tmp_path)["runs"] == [1, 2]
    assert long_budget.read("missing", tmp_path) is None
    (tmp_path / "bad.json").write_text(json.dumps({"runs": []}))  # no provenance: not a long result
    assert long_budget.read("bad", tmp_path) is None


def test_long_tasks_are_whole_settings_in_order():
    tasks = mnist_runs.long_tasks()
    keys = [t.key for t in tasks]
    assert len(keys) == len(set(keys))
    assert keys[:3] == ["gan_dcgan-s0-long", "gan_dcgan-s1-long", "gan_dcgan-s2-long"]
    assert [k for k in keys if k.startswith("wgangp")] == ["wgangp_mnist-s0-long"]  # a control: one seed
    sweep = [t for t in tasks if mnist_runs.is_sweep(t.key.split("-s")[0])]
    assert sweep and all(t.args[0][2] == mnist_runs.SWEEP_STEPS["long"] for t in sweep)


@pytest.mark.parametrize("tasks", [mnist_runs.paper_scale_tasks("cuda", 100_000, (0,)),
                                   stacked_mnist.paper_scale_tasks("cuda", 50_000, (0,))])
def test_paper_scale_runs_are_valid_trainer_configs(tmp_path, tasks):
    """What a GPU would train: valid configurations at 32 x 32 (checked, not trained)."""
    from gan.train import Config

    for t in tasks:
        name, seed, steps, *rest = t.args[0]
        if t.key.startswith("stacked_"):
            algo, cw, _ = stacked_mnist.SETTINGS[name]
            cfg = Config(data="stacked-mnist:128000", algo=algo, image_size=rest[2], width=rest[3], critic_width=cw,
                         batch_size=rest[4], generator_steps=steps, device=rest[1], out=str(tmp_path))
        else:
            kw = dict(rest[0])
            assert kw["image_size"] == 32 and kw["device"] == "cuda" and kw["kid_series"]
            cfg = mnist_runs.config(name, steps, seed, tmp_path, checkpoints=kw["checkpoints"], device="cuda",
                                    image_size=32, width=kw["width"],
                                    **{k: v for k, v in kw.items() if k in ("lr", "reference_schedule", "batch_size")})
            if name.startswith("wgan_") and "adam" not in name and name != "wgangp_mnist":
                assert cfg.resolved().reference_schedule  # Algorithm 1's critic schedule
        cfg.validate()
    wgan = [t for t in mnist_runs.paper_scale_tasks("cuda", 1000, (0,)) if t.key.startswith("wgan_dcgan")][0]
    assert wgan.args[0][3]["lr"] == 5e-5  # the paper's rate


def test_figures_budget_long_calls_each_run_long(tmp_path, monkeypatch, capsys):
    """``python -m figures --budget long`` calls every module's run_long with the output folder,
    in the catalogue's order, and nothing else (stubs stand in for the hours of training)."""
    import figures.__main__
    from figures import FIGURES
    from figures.__main__ import main

    called = []
    have = [f.name for f in FIGURES if f.run_long is not None]
    assert {"mode_collapse", "loss_quality", "architectures", "stacked_mnist"} <= set(have)
    stubs = tuple(f.replace(run_long=lambda out, name=f.name: called.append((name, Path(out))))
                  if f.run_long is not None else f for f in FIGURES)
    monkeypatch.setattr(figures.__main__, "FIGURES", stubs)
    assert main(["--budget", "long", "--out", str(tmp_path)]) == 0
    assert called == [(n, tmp_path) for n in have]
    assert "long budget" in capsys.readouterr().out
    called.clear()
    main(["--budget", "long", "--out", str(tmp_path), "--only", "stacked_mnist"])
    assert called == [("stacked_mnist", tmp_path)]
