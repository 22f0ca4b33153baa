"""The ground floor: atomic writes, provenance, the progress switch (:mod:`common`)."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

import common
from common import files, provenance
from common import progress as progress_module

ROOT = Path(__file__).resolve().parents[2]
OURS = ("divergences", "gan", "claims", "toys", "experiments", "figures", "benchmarks", "tests")


def test_common_imports_none_of_our_packages():
    for path in (ROOT / "common").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level]
        assert not [m for m in names if m.split(".")[0] in OURS], path


def test_one_owner_each():
    """``def git_commit`` and ``def atomic_write_bytes`` stand once in the project, in common/."""
    for name in ("git_commit", "atomic_write_bytes"):
        hits = [p.relative_to(ROOT) for pkg in ("common",) + OURS for p in (ROOT / pkg).rglob("*.py")
                if f"def {name}(" in p.read_text()]
        assert len(hits) == 1 and hits[0].parts[0] == "common", (name, hits)


def test_atomic_write_replaces_whole_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "a.json"
    files.atomic_write_bytes(path, b"old")
    assert path.read_bytes() == b"old" and oct(path.stat().st_mode & 0o777) != "0o600"

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(files.WriteFailed, match=r"could not write .*a.json: No space left on device"):
        files.atomic_write_bytes(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_git_commit_is_the_checkout_head_and_none_outside_one(tmp_path):
    if (ROOT / ".git").exists():
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        assert provenance.git_commit().split("-")[0] == head.stdout.strip()
    else:
        assert provenance.git_commit() is None
    (tmp_path / "inner").mkdir()
    assert provenance.git_commit(tmp_path / "inner") is None  # not a checkout: None, not "unknown"


def test_machine_and_date():
    m = provenance.machine()
    assert set(m) == {"cpu", "cores"} and m["cpu"] and m["cores"] == os.cpu_count()
    assert provenance.utc_now().endswith("+00:00") and len(provenance.utc_now()) == 25


def test_quiet_silences_progress_within_the_block_only(capsys):
    assert list(progress_module.progress(range(3), "loud")) == [0, 1, 2]
    assert "loud: 3/3" in capsys.readouterr().err
    with common.quiet():
        with common.quiet():  # nests
            pass
        assert progress_module.is_quiet()
        assert list(progress_module.progress(range(3), "hush")) == [0, 1, 2]
    assert capsys.readouterr().err == "" and not progress_module.is_quiet()
    with pytest.raises(KeyError), common.quiet():
        raise KeyError("left by an error")
    assert not progress_module.is_quiet()
