"""The source lint of `course build` (autograder/lint.py): every (lint) rule of CONTRIBUTING's
"The notebook kit", each broken on purpose in a small notebook that otherwise follows them all."""

import copy
import json

import pytest

from autograder.lint import lint_conventions, lint_notebook
from conftest import make_cell as _cell


PARAMETERS = '''FAST = None            # None: fast when graded or with COURSE_FAST=1
SEED = 0
DATA_SOURCE = "auto"
DATA_DIR = None
'''
SETUP = '''import numpy as np

import course.notebook

nb = course.notebook.setup(fast=FAST, seed=SEED, threads=1)
data = nb.load_cifar10(DATA_SOURCE, DATA_DIR, n_train=nb.choose(fast=100, full=None))
'''
SOLUTION = '''def add(a, b):
    """Sum of a and b.

    Inputs:
    - a, b: arrays of one shape

    Returns:
    - their sum

    >>> add(1, 2)
    3
    """
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION
'''
CLASS = '''class Counter:
    """Counts.

    >>> Counter().step(2)
    2
    """

    def step(self, n):
        """Count n.

        Inputs:
        - n: int

        Returns:
        - n
        """
        ### BEGIN SOLUTION
        return n
        ### END SOLUTION
'''
TEST = '''# Graded (2 points). The hidden tests use other inputs than the check above.
from course.check.toy import check_add as public_check
public_check(add)
### BEGIN HIDDEN TESTS
from autograder.checks.toy import check_add
check_add(add)
### END HIDDEN TESTS
'''


def _notebook():
    return {"cells": [
        _cell("markdown", "# 07 · Toy topic\n\nWhat you will learn."),
        _cell("markdown", "## Set-up\n\nParameters, then the set-up."),
        _cell("code", PARAMETERS, tags=["parameters"]),
        _cell("code", SETUP),
        _cell("markdown", "## 1. Adding\n\n```\n## not a section, inside a code fence\n```"),
        _cell("code", SOLUTION, grade=False, grade_id="add_solution", locked=False, solution=True),
        _cell("code", TEST, grade=True, grade_id="test_add", locked=True, points=2, solution=False),
        _cell("markdown", "## 2. Counting"),
        _cell("code", CLASS, grade=False, grade_id="counter_solution", locked=False, solution=True),
        _cell("markdown", "## Summary\n\nDone."),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _broken(index, source=None, **changes):
    nb = copy.deepcopy(_notebook())
    if source is not None:
        nb["cells"][index]["source"] = source
    nb["cells"][index].update(changes)
    return nb


def test_a_notebook_that_follows_the_conventions_passes():
    assert lint_notebook(_notebook(), "07_toy") == []


def _problems(nb):
    return "\n".join(lint_conventions(nb, "07_toy"))


@pytest.mark.parametrize("index, source, fragment", [
    # title
    (0, "# Toy topic", "07_toy: cell 0: title: the first cell must start '# 07 · Topic'"),
    (0, "# 06 · Toy topic", "cell 0: title: the title's number 06 is not the notebook's 07"),
    (0, "# Notebook 07: Toy", "cell 0: title:"),
    # sections
    (1, "## Setup", "cell 1: sections: the first '## ' section must be '## Set-up'; it is '## Setup'"),
    (9, "## 3. Summary", "cell 9: sections: the last '## ' section must be '## Summary'"),
    (4, "## Adding", "cell 4: sections: the sections between Set-up and Summary are numbered ('## 1. Topic')"),
    (7, "## 3. Counting", "cell 7: sections: section '## 3. Counting' should be number 2"),
    # parameters cell
    (2, PARAMETERS + "import os\n", "cell 2: parameters cell: the parameters cell holds literal assignments only"),
    (2, PARAMETERS.replace("FAST = None", 'FAST = os.environ.get("COURSE_FAST") == "1"'),
     "cell 2: parameters cell: the parameters cell holds literal assignments only"),
    (2, PARAMETERS.replace("FAST = None", "FAST = True"), "cell 2: parameters cell: FAST = True: commit FAST = None"),
    (2, PARAMETERS.replace("SEED = 0\n", ""), "cell 2: parameters cell: the parameters cell must define SEED"),
    (2, PARAMETERS.replace("DATA_DIR = None\n", ""), "the parameters cell must define DATA_DIR"),
    # set-up call
    (3, SETUP.replace("nb = course.notebook.setup(fast=FAST, seed=SEED, threads=1)", "nb = None"),
     "cell 3: set-up call: the cell after the parameters cell must call course.notebook.setup"),
    (3, SETUP.replace("fast=FAST", "fast=True"), "cell 3: set-up call: pass the parameters on: "
                                                 "course.notebook.setup(fast=FAST, ...)"),
    (3, SETUP.replace("threads=1)", "threads=1, keras=True)"), "cell 3: set-up call: keras=True, but no cell "
                                                               "imports Keras or TensorFlow"),
    (5, SOLUTION.replace("    ### BEGIN SOLUTION", "    import keras\n    ### BEGIN SOLUTION"),
     "cell 5: set-up call: this cell uses Keras/TensorFlow: the set-up call needs keras=True"),
    # data kind
    (3, SETUP + 'REAL = not data.source.startswith("synthetic")\n', "cell 3: data kind: test data.kind"),
    (3, SETUP + 'REAL = data.source != "synthetic"\n', "cell 3: data kind: test data.kind"),
    # graded cells
    (6, TEST.replace("(2 points)", "(3 points)"), "cell 6: graded cell: the first line says 3 points but the cell "
                                                  "is worth 2: '# Graded (2 points).'"),
    (6, TEST.replace("# Graded (2 points). The", "# The"), "cell 6: graded cell: the first line must be "
                                                          "'# Graded (2 points).'"),
    (6, TEST.replace(" as public_check\npublic_check(add)", "\ncheck_add(add)"),
     "cell 6: graded cell: import the public check as public_check"),
    (6, TEST.replace("public_check(add)\n", ""), "cell 6: graded cell: call public_check(...) visibly"),
    (6, TEST.replace("### END HIDDEN TESTS\n", ""), "cell 6: graded cell: the hidden check goes between"),
    # solution docstrings
    (5, SOLUTION.replace("    Inputs:\n", ""), "cell 5: solution docstring: add()'s docstring lacks Inputs:"),
    (5, SOLUTION.replace("    Returns:\n", ""), "cell 5: solution docstring: add()'s docstring lacks Returns:"),
    (5, SOLUTION.replace("    >>> add(1, 2)\n    3\n", ""), "add()'s docstring lacks a >>> example"),
    (5, SOLUTION.split('    """')[0] + SOLUTION.split('"""\n')[-1], "cell 5: solution docstring: add() has no "
                                                                        "docstring"),
    (8, CLASS.replace("    >>> Counter().step(2)\n    2\n", ""), "cell 8: solution docstring: class Counter's "
                                                                  "docstring lacks a >>> example"),
    (8, CLASS.replace("        Returns:\n", ""), "cell 8: solution docstring: Counter.step()'s docstring lacks "
                                                 "Returns:"),
])
def test_each_broken_rule_is_named_with_notebook_and_cell(index, source, fragment):
    problems = _problems(_broken(index, source))
    assert fragment in problems, problems


def test_cs231n_returns_a_tuple_of_is_a_returns_section():
    nb = _broken(5, SOLUTION.replace("    Returns:\n", "    Returns a tuple of:\n"))
    assert lint_conventions(nb, "07_toy") == []


def test_a_notebook_without_data_needs_no_data_parameters_and_a_second_set_up_call_is_refused():
    nb = _broken(2, PARAMETERS.replace('DATA_SOURCE = "auto"\nDATA_DIR = None\n', ""))
    nb["cells"][3]["source"] = SETUP.split("data = ")[0]
    assert lint_conventions(nb, "07_toy") == []
    nb["cells"][5]["source"] = SOLUTION + "\nnb2 = course.notebook.setup(fast=FAST, seed=SEED)\n"
    assert "cell 5: set-up call: course.notebook.setup is called once" in _problems(nb)


def test_the_course_notebooks_follow_every_rule(repo_root):
    for path in sorted((repo_root / "notebooks").glob("[0-9][0-9]_*/*.ipynb")):
        problems = lint_notebook(json.loads(path.read_text(encoding="utf-8")), path.parent.name)
        assert problems == [], "\n".join(problems)
