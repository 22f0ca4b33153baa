"""Every toy and experiment follows the contract (claims.contract): the write-up's texts in its
module, run / plot / main, claims computed from numbers with their kind, a command line that
writes NAME.json and NAME.png where it is told (never into the committed figures by default),
and help that names the program."""

import importlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from claims import contract
from figures import FIGURES
from figures.catalogue import MODULES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", MODULES)
def test_every_module_follows_the_contract(path):
    mod = importlib.import_module(path)
    assert contract.check(mod) == []
    assert path.split(".")[0] in ("toys", "experiments")


def test_the_checker_names_what_a_module_lacks(monkeypatch):
    """Sanity check of the checker itself, on a module made to break the contract."""
    import types

    from toys import parallel_lines

    broken = types.ModuleType("toys.broken")
    broken.__dict__.update({k: getattr(parallel_lines, k) for k in contract.TEXTS + contract.FUNCTIONS})
    broken.WHY, broken.POOLED, broken.COST, broken.TITLE = {"x": ""}, "no", 0, ""
    problems = " ".join(contract.check(broken))
    for what in ("TITLE must", "NAME must be the module's name 'broken'", "WHY must", "POOLED must", "COST must"):
        assert what in problems
    monkeypatch.setitem(sys.modules, "toys.broken", broken)
    with pytest.raises(TypeError, match="toys.broken does not follow claims.contract: TITLE must"):
        contract.load("toys.broken")


def test_catalogue_lists_every_module_once():
    """Every module in toys/ and experiments/ that declares a figure is in the catalogue (adding a toy
    touches its module and one line of figures/catalogue.py)."""
    found = sorted(f"{p.parent.name}.{p.stem}" for pkg in ("toys", "experiments") for p in (ROOT / pkg).glob("*.py")
                   if "\nNAME = " in p.read_text())
    assert sorted(MODULES) == found and len(set(MODULES)) == len(MODULES)
    assert [f.__name__ for f in FIGURES] == list(MODULES)


@pytest.mark.parametrize("path", MODULES)
def test_result_shape_and_plot(path, toy_result):
    mod = importlib.import_module(path)
    r = toy_result(mod.NAME)
    for c in r["claims"]:
        base = {"id", "kind", "statement", "expected", "measured", "holds", "source"}
        assert set(c) == (base | {"verdict", "reason", "test", "seeds"} if c["kind"] == "finding" else base)
        assert c["kind"] in ("finding", "sanity")
        assert isinstance(c["holds"], bool) or (c["holds"] is None and c["verdict"] != "agrees")
    ids = [c["id"] for c in r["claims"]] + r.get("needs_full_run", [])
    assert len(ids) == len(set(ids))
    assert set(mod.WHY) <= set(ids), "WHY names a claim the module does not make"
    assert all(c["holds"] for c in r["claims"] if c["kind"] == "sanity"), path  # the code works
    assert isinstance(mod.QUICK, str) and mod.QUICK
    from claims import style

    style()
    import matplotlib.pyplot as plt

    fig = mod.plot(r)
    for ax in fig.axes:
        if ax.has_data() and ax.axison:  # image sheets have no axes; a twin shares its neighbour's x label
            twins = [o for o in fig.axes if o.get_position().bounds == ax.get_position().bounds]
            assert any(o.get_xlabel() for o in twins) and ax.get_ylabel()
    plt.close(fig)


def test_command_line_writes_json_and_png_where_told(tmp_path, capsys):
    from toys import parallel_lines

    old = os.umask(0o022)
    try:
        parallel_lines.main(["--quick", "--seed", "1", "--out", str(tmp_path)])
    finally:
        os.umask(old)
    out = capsys.readouterr().out
    assert "W(P0, Ptheta) = |theta|" in out and "sanity" in out and "finding" in out
    data = json.loads((tmp_path / "parallel_lines.json").read_text())
    assert data["settings"]["seed"] == 1 and data["settings"]["quick"] is True
    assert all(c["holds"] for c in data["claims"])
    for f in ("parallel_lines.json", "parallel_lines.png"):
        assert stat.S_IMODE((tmp_path / f).stat().st_mode) == 0o644  # group and others can read
    assert (tmp_path / "parallel_lines.png").stat().st_size > 10_000


def test_a_quick_toy_tried_as_a_new_user_leaves_the_committed_figures_alone(tmp_path):
    """Run bare from the repository (no --out): it writes ./toy-output, and git sees nothing
    changed in figures/."""
    before = subprocess.run(["git", "status", "--porcelain", "--", "figures"], cwd=ROOT, capture_output=True,
                            text=True).stdout
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "toys.parallel_lines", "--quick"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    assert (tmp_path / "toy-output" / "parallel_lines.json").is_file()
    after = subprocess.run(["git", "status", "--porcelain", "--", "figures"], cwd=ROOT, capture_output=True,
                           text=True).stdout
    assert after == before


def test_table_wraps_statements_instead_of_cutting_them():
    from claims import claim, claims_table

    long = "descent through a trained WGAN critic (clipping) reaches |theta| < 0.05 over the last 20 steps"
    table = claims_table([claim("x", long, "< 0.05", 0.001, True)])
    words = " ".join(line.split("  ")[1] if "  " in line else line for line in table.splitlines()[2:])
    assert "< 0.05 over the last 20 steps" in " ".join(table.split())
    assert all(len(line) < 140 for line in table.splitlines()) and words


def test_help_names_the_program_and_says_what_quick_changes(capsys):
    from toys import noise_annealing

    with pytest.raises(SystemExit):
        noise_annealing.main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m toys.noise_annealing") and noise_annealing.QUICK in " ".join(out.split())
    # an experiment run as a program (there its module is __main__) names its own package
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    usage = subprocess.run([sys.executable, "-m", "experiments.stacked_mnist", "--help"], cwd=ROOT, env=env,
                           check=True, capture_output=True, text=True).stdout
    assert usage.startswith("usage: python -m experiments.stacked_mnist")
