"""The ``>>>`` example in every solution docstring runs against the reference solution.

For every source notebook present (``notebooks/NN_<name>/<name>.ipynb``), the solution cells are
executed (``autograder.solutions.load``) and the docstring examples of each function and class they
define are run with doctest in that namespace: an example that students read must be true. The
source lint (``autograder/lint.py``) makes sure there is one.
"""

import ast
import doctest
import json

import pytest

from autograder import cells, solutions


def _notebooks():
    return sorted(p.parent.name.split("_", 1)[1] for p in solutions.NOTEBOOKS_DIR.glob("[0-9][0-9]_*/*.ipynb")
                  if p.stem == p.parent.name.split("_", 1)[1])


def _defined_names(name):
    """Names of the top-level functions and classes of the notebook's solution cells, in order."""
    found = []
    for src in solutions.solution_cells(solutions.notebook_path(name)):
        for node in ast.parse(src).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found.append(node.name)
    return found


@pytest.mark.parametrize("name", _notebooks())
def test_solution_docstring_examples_run_against_the_reference(name):
    ns = solutions.load(name)
    names = _defined_names(name)
    assert names, f"notebook {name} has no solution functions"
    finder = doctest.DocTestFinder(recurse=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    without = []
    for obj_name in names:
        tests = [t for t in finder.find(ns[obj_name], obj_name, globs=dict(ns)) if t.examples]
        if not tests:
            without.append(obj_name)
        for test in tests:
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert not without, f"{name}: no >>> example in the docstring of {without}"
    assert result.failed == 0, f"{name}: {result.failed} docstring example(s) failed (output above)"


def test_the_examples_are_in_the_released_part_of_the_cell():
    """The examples sit in the docstring, outside the solution region, so students see them."""
    for name in _notebooks():
        nb = json.loads(solutions.notebook_path(name).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and cells.is_solution(cell):
                src = cells.source(cell)
                region = src.split("### BEGIN SOLUTION", 1)[1] if "### BEGIN SOLUTION" in src else ""
                assert ">>>" not in region.split("### END SOLUTION")[0], (name, cells.grade_id(cell))
