"""The at-scale panels (figures/gpu.py) drawn from the output folder of the GPU command's --tiny
path (the session's run, see conftest.py), and nothing drawn where there are no results."""

import json

from figures import gpu


def test_at_scale_panels_and_section_from_a_tiny_run(gpu_tiny, tmp_path):
    out = gpu_tiny[0]
    results = gpu.load(out)
    assert results["summary"]["tiny"] and results["throughput"] and results["samples"]
    fig = gpu.plot(results)
    assert len(fig.axes) == 9
    lines = gpu.write(tmp_path, out)
    assert (tmp_path / gpu.FIGURE).stat().st_size > 20_000
    text = "\n".join(lines)
    assert "not a GPU result" in text and "| trainer fp32 |" in text and "![at scale](gpu.png)" in text
    for key in json.loads((out / "toy_control.json").read_text())["runs"]:
        assert f"| {key} |" in text
    assert "| wgan_adam_0.0002_0.5-s0-paper8 | 8 |" in text
    for key in json.loads((out / "stacked_mnist.json").read_text())["runs"]:
        assert f"| {key} | 4 |" in text


def test_nothing_without_results(tmp_path):
    assert gpu.load(tmp_path) is None and gpu.write(tmp_path, tmp_path) == []
    assert not (tmp_path / gpu.FIGURE).exists()


def test_reads_the_files_the_command_writes():
    from benchmarks.gpu import FILES

    assert {f"{p}.json" for p in gpu.PARTS} | {"samples.png"} <= set(FILES)
