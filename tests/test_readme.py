"""The README's setup is what CI runs."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    command = ci[-1]
    assert "pytest" in command
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Setup", 1)[1].split("\n## ", 1)[0]
    assert command in setup.splitlines()
    # .ci/run adds nothing of its own besides shell options and the cd to the clone
    body = [l for l in ci if l.strip() and not l.startswith("#")]
    assert body == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', command]


def test_one_version_everywhere():
    """``__version__`` is written once (divergences/__init__.py); the installed metadata, gan and
    CITATION.cff say the same."""
    import re
    from importlib.metadata import PackageNotFoundError, version

    import divergences
    import gan

    assert re.fullmatch(r"\d+\.\d+\.\d+", divergences.__version__)
    assert gan.__version__ == divergences.__version__
    cff = (ROOT / "CITATION.cff").read_text()
    assert f"\nversion: {divergences.__version__}\n" in cff
    try:
        installed = version("wgan-toolkit")
    except PackageNotFoundError:
        pytest.skip("wgan-toolkit is not installed (run from a bare clone): no metadata to compare")
    assert installed == divergences.__version__


def test_readme_cites_no_missing_file():
    """Every relative link of the README points at a file of the repository."""
    import re

    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme):
        assert (ROOT / target).exists(), target
    assert "DESIGN.md" not in readme
