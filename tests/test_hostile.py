"""Submissions that fight back, graded as ONE class (several workers), then judged per student.

Every submission is the real release of 00_warmup with cells changed programmatically
(autograder/classroom.py lists the cases, the points each graded cell deserves and what
the feedback must say). One `course grade` run with 2 workers grades them all; each
student must get exactly the points deserved, a feedback message that says what
happened, and the rest of the class must be graded.
"""

import json
import re

import pytest

from autograder import classroom
from autograder.classroom import CASES
from autograder.grade import grade_class

pytestmark = pytest.mark.slow

HOSTILE = [c for c in CASES if c.hostile or c.name in ("right", "blank")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    base = tmp_path_factory.getbasetemp()
    course = classroom.course_with_release(request.config.rootpath, base / "hostile_build",
                                           cache=base / "warmup_release")
    submitted = base / "hostile_submitted"
    students = classroom.write_class(course, submitted, HOSTILE)
    report = grade_class(course, submitted, workers=2, cell_timeout=classroom.SUITE_CELL_TIMEOUT,
                         notebook_timeout=classroom.SUITE_NOTEBOOK_TIMEOUT, memory_mb=classroom.SUITE_MEMORY_MB,
                         log=lambda *a: None)
    return course, students, report


def _result(report, student):
    return report.by_student()[(student, classroom.ASSIGNMENT)]


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_each_submission_gets_exactly_the_points_it_deserves(graded, case):
    course, _, report = graded
    r = _result(report, case.name)
    assert r.status == case.status, (r.status, r.log[-2000:])
    (fb,) = r.notebooks
    got = {c.grade_id: c.points for c in fb.cells if c.autograded}
    assert got == case.points, {c.grade_id: c.message[:300] for c in fb.cells}
    for grade_id, fragment in case.messages.items():
        (cell,) = [c for c in fb.cells if c.grade_id == grade_id]
        assert fragment in cell.message, (grade_id, cell.message)
    for cell in fb.cells:
        if cell.autograded and cell.points < cell.max_points:
            assert cell.message.strip(), f"{case.name}/{cell.grade_id}: a lost point without a message"
    if case.note:
        assert case.note in fb.note


def test_feedback_never_shows_hidden_test_code(graded):
    course, students, report = graded
    for student in students:
        page = (course.build_dir / "feedback" / student / classroom.ASSIGNMENT / "warmup.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in page and "autograder.checks" not in page, student
        assert "import check_" not in page, student
        for r in [_result(report, student)]:
            assert f"{r.notebooks[0].auto_score:g} / 8" in page


def test_grades_csv_has_every_student_in_order(graded):
    course, students, report = graded
    lines = report.grades_csv.read_text().splitlines()
    assert lines[0] == "student,assignment,warmup,total,max,manual_grading_pending,status,flags"
    rows = [ln.split(",") for ln in lines[1:]]
    assert [r[0] for r in rows] == sorted(students)
    for row in rows:
        case = students[row[0]]
        assert row[2] == row[3] == f"{sum(case.points.values()):g}", row
        # nbgrader scores a written answer left as released 0: nobody needs to grade the blank one
        assert row[4] == "10" and row[5] == ("no" if case.name == "blank" else "yes") and row[6] == case.status


def test_the_guard_restored_numpy_and_flagged_grader_access(graded):
    course, _, report = graded
    notes = " ".join(_result(report, "monkeypatch").notebooks[0].grader_notes)
    assert "numpy.allclose" in notes and "restored" in notes
    assert "autograder" in _result(report, "readhidden").flags
    assert not _result(report, "right").flags
    tamper = " ".join(_result(report, "tamper").notebooks[0].grader_notes)
    assert "test_accuracy was missing" in tamper and "test_channel_mean_std was moved" in tamper
    out = json.loads((course.build_dir / "autograded" / "readhidden" / classroom.ASSIGNMENT / "warmup.ipynb").read_text())
    text = json.dumps(out)
    assert "def check_channel_mean_std" not in text and "def _ref_" not in text   # nothing leaked into outputs
    assert len(re.findall(r"not allowed while grading", text)) >= 4


def test_limits_kept_the_autograded_notebooks_small(graded):
    course, _, _ = graded
    path = course.build_dir / "autograded" / "noisy" / classroom.ASSIGNMENT / "warmup.ipynb"
    assert path.stat().st_size < 4_000_000       # 60000 printed lines were cut to the output limit


def test_main_gradebook_has_the_merged_grades(graded):
    course, students, _ = graded
    for student, case in students.items():
        scores = course.scores(classroom.ASSIGNMENT, student)
        assert {c.grade_id: c.points for c in scores.cells if c.autograded} == case.points, student
        assert [c.manual_pending for c in scores.cells if not c.autograded] == [case.name != "blank"], student
