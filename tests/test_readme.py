"""The README's setup is what CI runs."""

from pathlib import Path

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
    # pyproject reads the version from that one place (so a build and an install agree with it)
    assert 'version = { attr = "divergences.__version__" }' in (ROOT / "pyproject.toml").read_text()
    try:
        assert version("wgan-toolkit") == divergences.__version__  # the README's setup installs it
    except PackageNotFoundError:  # a bare clone on sys.path: the pyproject check above covers it
        pass


def test_readme_cites_no_missing_file():
    """Every relative link of the README points at a file of the repository."""
    import re

    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme):
        assert (ROOT / target).exists(), target
    assert "DESIGN.md" not in readme
