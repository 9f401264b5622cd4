"""Every hidden check accepts the instructor's solution and rejects every mutant.

For each notebook with a mutant catalogue (``autograder/mutants/<name>.py``):
the reference solution (read from the source notebook) passes every hidden
and public check, and each mutant fails the check of the function it replaces
with the expected message.
"""

import importlib
import pkgutil

import pytest

import autograder.mutants
from autograder import solutions


def _catalogues():
    return sorted(m.name for m in pkgutil.iter_modules(autograder.mutants.__path__))


def _cases():
    for name in _catalogues():
        for mutant in importlib.import_module(f"autograder.mutants.{name}").MUTANTS:
            yield pytest.param(name, mutant, id=f"{name}.{mutant.function}.{mutant.name}")


def _check(kind, notebook, function):
    module = importlib.import_module(
        f"autograder.checks.{notebook}" if kind == "hidden" else f"course.check.{notebook}"
    )
    return getattr(module, f"check_{function}", None)


def _reference_functions(notebook):
    module = importlib.import_module(f"autograder.checks.{notebook}")
    return sorted(n[len("check_"):] for n in dir(module) if n.startswith("check_"))


@pytest.mark.parametrize("notebook", _catalogues())
def test_reference_solution_passes_every_check(notebook):
    ns = solutions.load(notebook)
    functions = _reference_functions(notebook)
    assert functions, f"autograder/checks/{notebook}.py defines no check_<function>"
    for function in functions:
        assert function in ns, f"the source notebook defines no solution for {function}"
        _check("hidden", notebook, function)(ns[function])
        public = _check("public", notebook, function)
        if public is not None:
            public(ns[function])


@pytest.mark.parametrize("notebook,mutant", list(_cases()))
def test_mutant_is_rejected(notebook, mutant):
    checks = [("hidden", _check("hidden", notebook, mutant.function))]
    if mutant.public:
        checks.append(("public", _check("public", notebook, mutant.function)))
    for kind, check in checks:
        assert check is not None, f"no {kind} check_{mutant.function} for notebook {notebook}"
        with pytest.raises(AssertionError) as excinfo:
            check(mutant.impl)
        assert mutant.message in str(excinfo.value), (
            f"the {kind} check rejected mutant {mutant.name!r} ({mutant.description}) "
            f"but its message lacks {mutant.message!r}:\n{excinfo.value}"
        )
