"""Every docstring example in ``helpers/`` runs and shows what it says (STYLE.md: "Docstring
examples are executed"), so an example cannot drift from the code it documents.

The same examples run with ``python -m pytest --doctest-modules helpers``; this module puts them
in the ordinary test run, one test per module.
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import helpers

MODULES = sorted(info.name for info in pkgutil.walk_packages(helpers.__path__, "helpers."))


def test_the_examples_are_found():
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name)))
    assert examples >= 40


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples in {name} failed (see stdout)"
