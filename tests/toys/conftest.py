"""The toys run once per test session, through ``python -m figures --quick``'s own code
(``figures.__main__.build``): the toy tests assert on those results, and the figures tests on
the files and the write-up that the same run wrote."""

import pytest


@pytest.fixture(scope="session")
def quick_figures(tmp_path_factory):
    from figures.__main__ import build

    out = tmp_path_factory.mktemp("figures")
    return out, build(quick=True, seed=0, out=out)


@pytest.fixture(scope="session")
def toy_result(quick_figures):
    return lambda name: quick_figures[1][name]
