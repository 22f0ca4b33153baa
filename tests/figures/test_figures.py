"""``python -m figures --quick --out TMP`` writes every figure and a write-up that counts findings
apart from sanity checks (the session's quick run, see conftest.py); and the command line works."""

import json
import re

import pytest

from figures import FIGURES
from figures.__main__ import main


def test_every_figure_and_its_numbers_are_written(quick_figures):
    out, results = quick_figures
    for f in FIGURES:
        png, js = out / f"{f.name}.png", out / f"{f.name}.json"
        assert png.stat().st_size > 20_000, f.name
        data = json.loads(js.read_text())
        assert data["claims"] and all(c["holds"] for c in data["claims"] if c["kind"] == "sanity"), f.name
        assert data["settings"]["quick"] is True


def test_write_up_counts_verdicts_per_paper_and_lists_what_does_not_agree(quick_figures):
    from claims import tally

    out, results = quick_figures
    text = (out / "README.md").read_text()
    claims = [c for r in results.values() for c in r["claims"]]
    head = text.split("| figure | source |")[0]
    for paper, v in tally(claims).items():  # one line per paper, with every verdict's count
        if paper != "sanity" and sum(v.values()):
            assert f"**{paper}**" in head and f"{sum(v.values())} findings: " + ", ".join(
                f"{n} {k}" for k, n in v.items()) in head
    for c in claims:  # every finding that does not agree is in the headline, with its reason
        if c["kind"] == "finding" and c["verdict"] != "agrees":
            assert c["statement"] in head and c["source"] in head
    pending = sum(len(r.get("needs_full_run", [])) for r in results.values())
    assert f"{pending} claims need the full settings" in text
    for f in FIGURES:
        assert f"![{f.title}]({f.name}.png)" in text and f.claim in text
        assert f.caption in text and f.departures in text and f"`python -m {f.module} --quick`" in text
        if f.tables is not None:
            assert "\n".join(f.tables(results[f.name])) in text
        for c in results[f.name]["claims"]:
            assert c["statement"].replace("|", "\\|") in text
    rows = re.findall(r"^\| (finding|sanity) \| .* \| (yes|\*\*no\*\*|-) \| \**([a-z ]+)\** \| ([^|]*) \|$", text,
                      flags=re.M)
    assert len(rows) == len(claims)
    assert {v for _, _, v, _ in rows} <= {"agrees", "disagrees", "no verdict", "not applicable", "pass", "FAIL"}
    for _, _, v, evidence in rows:  # every decided finding shows its test and its number of seeds
        if v in ("agrees", "disagrees"):
            assert re.search(r"(p [=<] |interval \[).*; \d+ seeds$", evidence), evidence
        else:
            assert evidence == "-"


def test_render_rebuilds_the_write_up_from_the_json_files(quick_figures, tmp_path):
    """``--render`` runs nothing: the write-up from the NAME.json files alone (the lead's path after
    merging modules rerun separately) has the same verdicts and sections as the run's own."""
    import shutil

    out, _ = quick_figures
    for f in FIGURES:
        shutil.copy(out / f"{f.name}.json", tmp_path)
    assert main(["--render", "--out", str(tmp_path)]) == 0
    built, rendered = (out / "README.md").read_text(), (tmp_path / "README.md").read_text()
    assert rendered.startswith("# Figures and checked claims\n\nRendered by `python -m figures --render`")
    assert rendered.split("**Verdicts**", 1)[1] == built.split("**Verdicts**", 1)[1]
    with pytest.raises(SystemExit):
        main(["--render", "--out", str(tmp_path / "empty")])


def test_training_runs_are_drawn_with_run(quick_figures, tmp_path):
    """--run adds the WGAN paper's Figures 3/4 for trainer runs, with the command that redraws it."""
    from figures.writeup import render
    from gan.plot import plot_runs
    from tests.gan.helpers import run_tiny

    run_tiny(tmp_path / "w", generator_steps=6)
    fig = plot_runs([tmp_path / "w"])
    assert len(fig.axes) == 2
    text = render(quick_figures[1], True, 1.0, [str(tmp_path / "w")], "training_runs.png")
    assert "## Training runs (WGAN Figures 3 and 4)" in text and f"python -m gan.plot {tmp_path / 'w'}" in text


def test_command_line(tmp_path, capsys, monkeypatch):
    import figures.__main__ as fm

    calls = []
    monkeypatch.setattr(fm, "run_all", lambda quick, seed, out=None, names=None: calls.append(out) or {})
    with pytest.raises(SystemExit) as exc:
        main(["--quick", "--out", str(tmp_path), "--run", str(tmp_path / "missing")])
    assert exc.value.code == 2 and "no metrics.jsonl" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert main(["--quick"]) == 0
    assert str(calls[-1]) == "figures-quick"  # a quick try never writes into the committed figures
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "Regenerates every figure of the write-up" in out and "./figures-quick" in out
