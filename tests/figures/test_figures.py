"""``python -m figures --quick --out TMP`` writes every figure and a write-up whose claims
all hold (the session's quick run, see conftest.py); and the command line works."""

import json
import re

from figures import FIGURES
from figures.__main__ import main


def test_every_figure_and_its_numbers_are_written(quick_figures):
    out, results = quick_figures
    for f in FIGURES:
        png, js = out / f"{f.name}.png", out / f"{f.name}.json"
        assert png.stat().st_size > 20_000, f.name
        data = json.loads(js.read_text())
        assert data["claims"] and all(c["holds"] for c in data["claims"]), f.name
        assert data["settings"]["quick"] is True


def test_write_up_has_every_claim_and_all_hold(quick_figures):
    out, results = quick_figures
    text = (out / "README.md").read_text()
    total = sum(len(r["claims"]) for r in results.values())
    assert f"**{total} of {total} checked claims hold.**" in text
    for f in FIGURES:
        assert f"![{f.title}]({f.name}.png)" in text
        assert f.claim in text
        for c in results[f.name]["claims"]:
            assert c["statement"].replace("|", "\\|") in text
    rows = re.findall(r"^\| .* \| (yes|\*\*no\*\*) \|$", text, flags=re.M)
    assert len(rows) == total and set(rows) == {"yes"}


def test_training_runs_are_drawn_with_run(quick_figures, tmp_path, capsys):
    """--run adds the WGAN paper's Figures 3/4 for trainer runs (plotting only: the toys are
    not rerun here, the session's results are reused by calling the renderer directly)."""
    from figures.writeup import render
    from gan.plot import plot_runs
    from tests.gan.helpers import run_tiny

    run_tiny(tmp_path / "w", generator_steps=6)
    fig = plot_runs([tmp_path / "w"])
    assert len(fig.axes) == 2
    text = render(quick_figures[1], True, 1.0, [str(tmp_path / "w")], "training_runs.png")
    assert "## Training runs (WGAN Figures 3 and 4)" in text and "training_runs.png" in text


def test_command_line_rejects_bad_run_dirs(tmp_path, capsys, monkeypatch):
    import figures.__main__ as fm

    monkeypatch.setattr(fm, "run_all", lambda quick, seed, out=None: {})
    try:
        main(["--quick", "--out", str(tmp_path), "--run", str(tmp_path / "missing")])
    except SystemExit as exc:
        assert exc.code == 2
    assert "no metrics.jsonl" in capsys.readouterr().err
