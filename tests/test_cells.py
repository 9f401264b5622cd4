"""The cell model (autograder/cells.py): one answer to "what is this nbgrader cell"."""

import doctest
import json

import pytest

from autograder import cells


def _cell(cell_type="code", source="", **nbgrader):
    cell = {"cell_type": cell_type, "metadata": {"nbgrader": nbgrader} if nbgrader else {}, "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


@pytest.mark.parametrize("cell, kind, autograded_test, manual, locked", [
    (_cell(), None, False, False, False),
    (_cell(solution=True, grade=False, grade_id="f"), cells.SOLUTION, False, False, False),
    (_cell(grade=True, solution=False, grade_id="t", points=2, locked=True), cells.TEST, True, False, True),
    (_cell(grade=True, solution=False, grade_id="t", points=2), cells.TEST, True, False, True),  # nbgrader locks it
    (_cell("markdown", grade=True, solution=True, grade_id="a", points=2), cells.MANUAL, False, True, False),
    (_cell(grade=True, solution=True, grade_id="c", points=3), cells.MANUAL, False, True, False),
    (_cell("markdown", grade=True, solution=False, grade_id="m", points=1), cells.MANUAL, False, True, True),
    (_cell("markdown", task=True, grade_id="task", points=4), cells.TASK, False, True, False),
    (_cell("markdown", locked=True, grade_id="intro"), None, False, False, True),
])
def test_every_kind_of_cell(cell, kind, autograded_test, manual, locked):
    assert cells.kind(cell) == kind
    assert cells.is_autograded_test(cell) is autograded_test
    assert cells.is_manually_graded(cell) is manual
    assert cells.is_locked(cell) is locked


def test_accessors_tolerate_missing_and_null_metadata():
    for cell in ({"cell_type": "code", "source": ["a\n", "b"]}, {"cell_type": "code", "source": "a\nb", "metadata": None},
                 {"cell_type": "code", "source": "a\nb", "metadata": {"nbgrader": None}}):
        assert cells.nbgrader_metadata(cell) == {}
        assert cells.grade_id(cell) is None and cells.points(cell) == 0.0 and cells.kind(cell) is None
        assert cells.source(cell) == "a\nb"


def test_graded_cells_and_index_of():
    nb = {"cells": [_cell(source="x = 1"), _cell(solution=True, grade_id="f_solution"),
                    _cell(grade=True, solution=False, grade_id="test_f", points=2),
                    _cell("markdown", grade=True, solution=True, grade_id="answer", points="1.5")]}
    assert cells.graded_cells(nb) == [cells.GradedCell("test_f", 2.0, cells.TEST),
                                      cells.GradedCell("answer", 1.5, cells.MANUAL)]
    assert [c.autograded for c in cells.graded_cells(nb)] == [True, False]
    assert cells.index_of(nb, "test_f") == 2
    with pytest.raises(KeyError):
        cells.index_of(nb, "missing")


def test_classify_is_the_rule_for_gradebook_records_too():
    assert cells.classify("code", grade=True, solution=False) == cells.TEST
    assert cells.classify("code", grade=True, solution=True) == cells.MANUAL
    assert cells.classify("markdown", grade=True, solution=False) == cells.MANUAL
    assert cells.classify("code", grade=False, solution=True) == cells.SOLUTION
    assert cells.classify("markdown", grade=False, solution=False, task=True) == cells.TASK


def test_warmup_source_has_four_tests_and_one_written_answer(repo_root):
    nb = json.loads((repo_root / "notebooks" / "00_warmup" / "warmup.ipynb").read_text())
    graded = cells.graded_cells(nb)
    assert [c.grade_id for c in graded if c.autograded] == [
        "test_channel_mean_std", "test_normalize", "test_one_hot", "test_accuracy"]
    assert [c.kind for c in graded if not c.autograded] == [cells.MANUAL]


def test_docstring_examples_run():
    assert doctest.testmod(cells).failed == 0
