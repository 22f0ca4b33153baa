"""Every docstring example of ``divergences`` runs and prints what it says."""

import doctest
import importlib

import numpy as np
import pytest

MODULES = ["divergences", "divergences._closed_form", "divergences._densities", "divergences._discrete",
           "divergences._estimators", "divergences._mmd", "divergences._validation", "divergences._wasserstein"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with np.printoptions(legacy="1.25"):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def test_the_examples_exist():
    """A module without examples would pass the test above vacuously: the public functions carry
    at least 30 examples between them."""
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for n in MODULES for t in finder.find(importlib.import_module(n)))
    assert examples >= 30
