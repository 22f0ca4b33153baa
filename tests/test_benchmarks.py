"""The benchmarks run end to end at tiny sizes (their numbers are reported, never asserted)."""

import pytest

from benchmarks import divergences as bench_div
from benchmarks import gan_throughput
from benchmarks.common import cpu_model, fixed_threads, machine_line


def test_gan_throughput_runs_both_loops_on_one_data_path(capsys):
    r = gan_throughput.main(["--image-size", "16", "--steps", "2", "--blocks", "2", "--warmup", "0",
                             "--images", "40", "--batch-size", "8", "--workers", "0", "--threads", "1"])
    out = capsys.readouterr().out
    assert set(r["ratio"]) == {"trainer fp32"} and r["threads"] == 1
    assert len(r["ratio_range"]["trainer fp32"]) == 2 and r["data_path"]["prepare_seconds"] > 0
    assert "both sides read the same prepared array" in out and "CPU:" in out


def test_gan_throughput_refuses_bad_sizes():
    with pytest.raises(SystemExit):
        gan_throughput.main(["--steps", "0"])


def test_machine_line_names_cpu_and_threads():
    import torch

    with fixed_threads(1):
        line = machine_line()
        assert torch.get_num_threads() == 1
    assert cpu_model() in line and "torch threads 1" in line


def test_weighted_1d_benchmark_agrees_with_scipy():
    r = bench_div.bench_em_1d_weighted(2000, 1)
    assert r["value"] == pytest.approx(r["peer_value"], rel=1e-12) and r["m"] == 1600


def test_quality_benchmark_agrees_with_the_textbook_formulas():
    from benchmarks import quality

    r = quality.main(["--samples", "300", "--repeats", "1"])
    v = r["values"]
    assert v["fd"] == pytest.approx(v["fd_scipy"], rel=1e-6)
    assert v["kid"] == pytest.approx(v["kid_direct"], rel=1e-9, abs=1e-12)


def test_toys_benchmark_times_whole_processes():
    """Wall and CPU seconds of a fresh process (here a trivial one: the toys take tens of seconds)."""
    import sys

    from benchmarks import toys

    r = toys.timed([sys.executable, "-c", "sum(range(10**6))"])
    assert r["wall"] > 0 and 0 < r["cpu"] < 30
    with pytest.raises(SystemExit):
        toys.main(["--repeats", "0"])
