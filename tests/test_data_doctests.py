"""The runnable examples in course.data's docstrings stay correct."""

import doctest
import importlib

import pytest

MODULES = ["course.data.cifar", "course.data.synthetic", "course.data.augment", "course.data.pipeline"]


@pytest.mark.slow
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed (output above)"
