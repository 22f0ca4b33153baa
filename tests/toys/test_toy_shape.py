"""Every toy has the shape of the design: run / plot / main, claims computed from numbers,
and a command line that writes NAME.json and NAME.png."""

import importlib
import json

import pytest

TOYS = ["parallel_lines", "two_gaussians", "noise_annealing", "perfect_discriminator",
        "critic_estimate", "mode_collapse"]


@pytest.mark.parametrize("name", TOYS)
def test_result_shape_and_plot(name, toy_result):
    mod = importlib.import_module(f"toys.{name}")
    r = toy_result(name)
    for c in r["claims"]:
        assert set(c) == {"id", "kind", "statement", "expected", "measured", "holds"}
        assert isinstance(c["holds"], bool)
    ids = [c["id"] for c in r["claims"]]
    assert len(ids) == len(set(ids))
    from toys.common import style

    style()
    import matplotlib.pyplot as plt

    fig = mod.plot(r)
    for ax in fig.axes:
        if ax.has_data():  # a twin axis shares the x label of the axis at its position
            twins = [o for o in fig.axes if o.get_position().bounds == ax.get_position().bounds]
            assert any(o.get_xlabel() for o in twins) and ax.get_ylabel()
    plt.close(fig)


def test_command_line_writes_json_and_png(tmp_path, capsys):
    from toys import parallel_lines

    parallel_lines.main(["--quick", "--seed", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "W(P0, Ptheta) = |theta|" in out
    data = json.loads((tmp_path / "parallel_lines.json").read_text())
    assert data["settings"]["seed"] == 1 and data["settings"]["quick"] is True
    assert all(c["holds"] for c in data["claims"])
    assert (tmp_path / "parallel_lines.png").stat().st_size > 10_000
