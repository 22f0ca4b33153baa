"""A light import: ``import divergences`` loads neither torch nor POT (nor scipy.stats), and its
numpy-only calls never load torch (a behaviour, tested in fresh processes; the time is measured
in ``benchmarks/imports.py``)."""

import pytest

from benchmarks import imports


def test_import_divergences_loads_no_heavy_module():
    _, loaded = imports.run_once("import divergences")
    assert loaded == [], loaded  # not even scipy: every scipy module is imported where it is used


def test_numpy_calls_never_load_torch_or_pot():
    _, loaded = imports.run_once("import divergences as D; " + imports.NUMPY_CALLS)
    assert "torch" not in loaded and "ot" not in loaded, loaded


def test_tensors_still_work_when_torch_comes_later():
    """torch imported after divergences: tensors are recognised, and POT (imported on first use)
    gets its torch backend for the exact solver's gradients."""
    _, loaded = imports.run_once(
        "import divergences as D; import torch; x = torch.randn(20, 2, requires_grad=True); "
        "w = D.wasserstein(x, torch.randn(15, 2)); w.backward(); assert x.grad is not None; "
        "m = D.mmd2(x, torch.randn(15, 2)); m.backward(); t = D.kl(torch.rand(4), torch.rand(4)); "
        "assert isinstance(t, torch.Tensor)")
    assert "torch" in loaded and "ot" in loaded


def test_the_import_benchmark_runs(capsys):
    r = imports.measure({"python -c pass": "pass", "import divergences": "import divergences"}, 1, progress=False)
    assert set(r) == {"python -c pass", "import divergences"}
    assert r["import divergences"]["seconds"] > 0 and r["import divergences"]["loaded"] == []


def test_the_import_benchmark_refuses_bad_repeats():
    with pytest.raises(SystemExit):
        imports.main(["--repeats", "0"])
