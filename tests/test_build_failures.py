"""`course build` fails loudly, naming the cell, when a source notebook is wrong.

A toy course (a copy of autograder/ and one tiny notebook) whose solution has a
bug, whose one test passes without student code, and whose one cell writes to
stderr: the build exits 1 and reports each problem.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import make_cell as _cell

pytestmark = pytest.mark.slow


def _toy_notebook():
    return {"cells": [
        _cell("code", "import os\nFAST = True", tags=["parameters"]),
        _cell("code", 'import sys\nprint("a stray warning", file=sys.stderr)'),
        _cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return x * 3\n    ### END SOLUTION",
              grade=False, grade_id="double_solution", locked=False, solution=True),
        _cell("code", 'assert double(2) == 4, "double(2) should be 4"\n### BEGIN HIDDEN TESTS\n'
                      "assert double(5) == 10\n### END HIDDEN TESTS",
              grade=True, grade_id="test_double", locked=True, points=1, solution=False),
        _cell("code", "assert 1 + 1 == 2", grade=True, grade_id="test_free", locked=True, points=1, solution=False),
    ], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}


def test_broken_notebook_fails_the_build_with_each_problem_named(tmp_path, repo_root):
    toy = tmp_path / "repo"
    shutil.copytree(repo_root / "autograder", toy / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__", "checks", "mutants"))
    (toy / "notebooks" / "00_toy").mkdir(parents=True)
    (toy / "notebooks" / "00_toy" / "toy.ipynb").write_text(json.dumps(_toy_notebook()))
    env = dict(os.environ, PYTHONPATH=str(repo_root), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "course", "build", "--root", str(toy),
                           "--build-dir", str(tmp_path / "build")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    row = next(ln for ln in out.splitlines() if ln.startswith("00_toy")).split()
    assert row[:4] == ["00_toy", "2", "1", "1"] and row[-1] == "FAILED"   # points, solution, blank
    assert "cell 1 writes to stderr ('a stray warning')" in out
    assert "cell 3 of the source notebook raised AssertionError: double(2) should be 4" in out
    assert "the instructor's solution lost points: test_double 0/1 (AssertionError: double(2) should be 4)" in out
    assert "the untouched release gets 1 points: test cells ['test_free']" in out
    assert "00_toy: cell 0: title: the first cell must be markdown starting '# 00 · Topic'" in out   # the source lint
    # a failed build keeps its test students for inspection
    assert (tmp_path / "build" / "autograded" / "build-solution" / "00_toy" / "toy.ipynb").is_file()
