"""`course build` fails loudly, naming the cell, when a source notebook is wrong.

A toy course (a copy of autograder/ and two tiny notebooks), built once with two workers:

* ``00_toy``: the solution has a bug, one test passes without student code, one cell writes
  to stderr: each problem is reported;
* ``01_guarded``: the solution passes when the source notebook runs in a plain kernel, but
  starts a process, which the grading kernel's guard refuses: since the build grades the
  solution exactly as ``course grade`` grades a student, the build fails.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import make_cell as _cell

pytestmark = pytest.mark.slow


def _notebook(*cells, parameters=True):
    """A notebook of ``cells``, after a bare parameters cell unless ``parameters=False``."""
    cells = [_cell("code", "import os\nFAST = True", tags=["parameters"])] * parameters + list(cells)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"    # nbformat 4.5 cells have ids
    return {"cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _toy_notebook():
    return _notebook(
        _cell("code", 'import sys\nprint("a stray warning", file=sys.stderr)'),
        _cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return x * 3\n    ### END SOLUTION",
              grade=False, grade_id="double_solution", locked=False, solution=True),
        _cell("code", 'assert double(2) == 4, "double(2) should be 4"\n### BEGIN HIDDEN TESTS\n'
                      "assert double(5) == 10\n### END HIDDEN TESTS",
              grade=True, grade_id="test_double", locked=True, points=1, solution=False),
        _cell("code", "assert 1 + 1 == 2", grade=True, grade_id="test_free", locked=True, points=1, solution=False),
    )


TRIPLE = '''def triple(x):
    """Three times x.

    Inputs:
    - x: a number

    Returns:
    - 3 * x

    >>> triple(2)
    6
    """
    ### BEGIN SOLUTION
    import subprocess
    subprocess.run(['true'], check=True)
    return 3 * x
    ### END SOLUTION'''


def _guarded_notebook():
    # Right in a plain kernel; under the grading guard, starting a process is refused. It follows the
    # notebook kit's conventions, so the source lint has nothing to say about it.
    return _notebook(
        _cell("markdown", "# 01 · Guarded toy"),
        _cell("markdown", "## Set-up"),
        _cell("code", "FAST = None\nSEED = 0", tags=["parameters"]),
        _cell("code", "import course.notebook\nnb = course.notebook.setup(fast=FAST, seed=SEED)"),
        _cell("markdown", "## 1. Tripling"),
        _cell("code", TRIPLE, grade=False, grade_id="triple_solution", locked=False, solution=True),
        _cell("code", "# Graded (2 points).\nfrom course.check.core import expect as public_check\n"
                      'public_check(triple(2) == 6, "triple(2) should be 6")\n'
                      "### BEGIN HIDDEN TESTS\nassert triple(5) == 15\n### END HIDDEN TESTS",
              grade=True, grade_id="test_triple", locked=True, points=2, solution=False),
        _cell("markdown", "## Summary"),
        parameters=False,
    )


@pytest.fixture(scope="module")
def toy_build(tmp_path_factory, request):
    repo_root = request.config.rootpath
    tmp = tmp_path_factory.mktemp("toy_build")
    toy = tmp / "repo"
    shutil.copytree(repo_root / "autograder", toy / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__", "checks", "mutants"))
    for aid, nb in (("00_toy", _toy_notebook()), ("01_guarded", _guarded_notebook())):
        (toy / "notebooks" / aid).mkdir(parents=True)
        (toy / "notebooks" / aid / f"{aid[3:]}.ipynb").write_text(json.dumps(nb))
    env = dict(os.environ, PYTHONPATH=str(repo_root), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "course", "build", "--root", str(toy), "--workers", "2",
                           "--build-dir", str(tmp / "build")],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    return tmp, proc


def _row(out, assignment):
    return next(ln for ln in out.splitlines() if ln.startswith(assignment + " ")).split()


def test_broken_notebook_fails_the_build_with_each_problem_named(toy_build):
    tmp, proc = toy_build
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    row = _row(out, "00_toy")
    assert row[:4] == ["00_toy", "2", "1", "1"] and row[-1] == "FAILED"   # points, solution, blank
    assert "cell 1 writes to stderr ('a stray warning')" in out
    assert "cell 3 of the source notebook raised AssertionError: double(2) should be 4" in out
    assert "the instructor's solution lost points: test_double 0/1 (AssertionError: double(2) should be 4)" in out
    assert "the untouched release gets 1 points: test cells ['test_free']" in out
    assert "00_toy: cell 0: title: the first cell must be markdown starting '# 00 · Topic'" in out   # the source lint
    # a failed build keeps its test students for inspection
    assert (tmp / "build" / "autograded" / "build-solution" / "00_toy" / "toy.ipynb").is_file()
    assert (tmp / "build" / "feedback" / "build-solution" / "00_toy" / "toy.html").is_file()


def test_a_solution_that_only_passes_without_the_grading_guard_fails_the_build(toy_build):
    tmp, proc = toy_build
    out = proc.stdout
    assert "01_guarded: cell" not in out and "01_guarded: a cell" not in out   # the plain run was fine
    row = _row(out, "01_guarded")
    assert row[:4] == ["01_guarded", "2", "0", "0"] and row[-1] == "FAILED", row
    assert ("01_guarded: the instructor's solution lost points: test_triple 0/2 (PermissionError: [grader] "
            "starting a process (subprocess.Popen) is not allowed while grading)") in out


def test_the_build_prints_a_line_per_notebook_and_the_table_once(toy_build):
    _, proc = toy_build
    lines = proc.stdout.splitlines()
    assert "building 2 notebook(s) on a local pool of 2 worker process(es)" in lines
    progress = sorted(ln.split(":")[0] for ln in lines if ln.startswith("["))
    assert progress == ["[1/2] 00_toy", "[2/2] 01_guarded"] or progress == ["[1/2] 01_guarded", "[2/2] 00_toy"]
    assert sum(ln.startswith("notebook ") for ln in lines) == 1
    assert proc.stderr.strip() == "", proc.stderr
