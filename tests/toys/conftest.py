"""Each toy runs once per test session at its --quick settings (seed 0)."""

import importlib

import pytest


def _run(name):
    return importlib.import_module(f"toys.{name}").run(quick=True, seed=0)


@pytest.fixture(scope="session")
def toy_result():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = _run(name)
        return cache[name]

    return get
