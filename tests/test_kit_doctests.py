"""The runnable examples in the notebook kit's docstrings stay correct (set-up, check core, plots, lint)."""

import doctest
import importlib

import pytest

MODULES = ["course.notebook", "course.check.core", "course.plots", "autograder.lint", "autograder.cells"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch):
    module = importlib.import_module(name)
    if name == "course.notebook":
        monkeypatch.setattr(module, "_CURRENT", None)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed (output above)"
