"""`course grade`: input layout and errors, grades.csv format, restored test cells, determinism."""

import os
import subprocess
import sys

import pytest

from autograder import classroom
from autograder.course_dir import CourseDir, CourseError
from autograder.feedback import render_html
from autograder.grade import grade_class, main
from autograder.repair import restore_test_cells
from autograder.report import fmt, grades_csv
from autograder.results import NotebookResult, ScoredCell, SubmissionResult
from autograder.submissions import find_submissions


@pytest.fixture
def course(request, tmp_path):
    return CourseDir(root=request.config.rootpath, build_dir=tmp_path / "build")


def _submission(root, student, assignment="00_warmup", notebook="warmup.ipynb"):
    path = root / student / assignment / notebook
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    return path


# -- input and errors (fast: nothing is graded) ------------------------------------------------

def test_finds_submissions_in_nbgraders_layout(course, tmp_path):
    sub = tmp_path / "submitted"
    _submission(sub, "bob")
    _submission(sub, "alice")
    found = find_submissions(course, sub)
    assert [(s.student, s.assignment.id) for s in found] == [("alice", "00_warmup"), ("bob", "00_warmup")]
    assert find_submissions(course, sub, assignment="warmup")[0].folder == sub / "alice" / "00_warmup"


@pytest.mark.parametrize("setup, message", [
    (lambda sub: None, "does not exist"),
    (lambda sub: sub.mkdir(), "no students in"),
    (lambda sub: _submission(sub, "alice", assignment="07_nothing"), "unknown assignment '07_nothing'"),
    (lambda sub: _submission(sub, "alice", notebook="other.ipynb"), "no warmup.ipynb in this submission"),
    (lambda sub: _submission(sub, "al ice"), "invalid student id 'al ice'"),
])
def test_bad_input_gets_a_clear_error(course, tmp_path, setup, message):
    sub = tmp_path / "submitted"
    setup(sub)
    with pytest.raises(CourseError, match=message):
        find_submissions(course, sub)


def test_unknown_assignment_option_is_named(course, tmp_path):
    sub = tmp_path / "submitted"
    _submission(sub, "alice")
    with pytest.raises(CourseError, match="no assignment 'nope'"):
        find_submissions(course, sub, assignment="nope")


def test_cli_reports_errors_with_exit_status_2(request, tmp_path, capsys):
    assert main([str(tmp_path / "missing"), "--root", str(request.config.rootpath),
                 "--build-dir", str(tmp_path / "b")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--workers", "0"])


def test_course_cli_lists_grade(request):
    env = dict(os.environ, PYTHONPATH=str(request.config.rootpath))
    out = subprocess.run([sys.executable, "-m", "course", "--help"], capture_output=True, text=True, env=env,
                         cwd=request.config.rootpath)
    assert "grade" in out.stdout and "grades.csv" in out.stdout


# -- formatting --------------------------------------------------------------------------------

def test_points_are_formatted_stably():
    assert [fmt(x) for x in (2, 2.0, 1.5, 0.25, 1 / 3, -0.0, 0.004)] == ["2", "2", "1.5", "0.25", "0.33", "0", "0"]


def test_grades_csv_is_sorted_and_has_a_column_per_notebook():
    def result(student, points, status="ok", pending=True):
        fb = NotebookResult("00_warmup", student, "warmup", cells=[
            ScoredCell("test_a", points, 2.0, "test", "" if points == 2 else "wrong"),
            ScoredCell("answer", 0.0 if pending else 1.5, 2.0, "manual", manual_pending=pending)])
        return SubmissionResult(student, "00_warmup", status, 1.0, notebooks=[fb], flags=["ctypes", "autograder"])

    text = grades_csv([result("zoe", 2.0), result("adam", 0.5, "kernel died"), result("bea", 2.0, pending=False)])
    assert text == ("student,assignment,warmup,total,max,manual_grading_pending,status,flags\n"
                    "adam,00_warmup,0.5,0.5,4,yes,kernel died,autograder ctypes\n"
                    "bea,00_warmup,3.5,3.5,4,no,ok,autograder ctypes\n"
                    "zoe,00_warmup,2,2,4,yes,ok,autograder ctypes\n")


def test_manual_grading_pending_is_a_field_not_a_message():
    # A written answer with a message (or none) is pending exactly when nobody graded it yet.
    graded = ScoredCell("answer", 1.0, 2.0, "manual", message="Graded by hand.")
    pending = ScoredCell("answer", 0.0, 2.0, "manual", message="")
    pending.manual_pending = True
    fb = NotebookResult("00_warmup", "x", "warmup", cells=[graded])
    assert not fb.manual_pending
    fb.cells.append(pending)
    assert fb.manual_pending and SubmissionResult("x", "00_warmup", notebooks=[fb]).manual_pending


def test_feedback_page_shows_messages_and_escapes_them():
    fb = NotebookResult("00_warmup", "eve", "warmup", cells=[
        ScoredCell("test_a", 0.0, 2.0, "test", "expected <b>1</b>"), ScoredCell("test_b", 2.0, 2.0, "test"),
        ScoredCell("answer", 0.0, 2.0, "manual", manual_pending=True)])
    page = render_html(fb)
    assert "expected &lt;b&gt;1&lt;/b&gt;" in page and "-2" in page and "2 / 4" in page
    assert "— / 2" in page and "To be graded by hand." in page


# -- restoring test cells ----------------------------------------------------------------------

def _cell(gid=None, source="", test=False):
    meta = {"nbgrader": {"grade_id": gid, "grade": test, "solution": not test, "locked": test}} if gid else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


def test_deleted_and_moved_test_cells_are_put_back_after_their_function():
    release = {"cells": [_cell(), _cell("f_solution", "def f(): ..."), _cell(source="check(f)"),
                         _cell("test_f", "T(f)", test=True), _cell("g_solution"), _cell("test_g", "T(g)", test=True)]}
    sub = {"cells": [_cell("test_g", "pass", test=True), _cell(), _cell("f_solution", "def f(): 1"),
                     _cell(source="mine"), _cell("g_solution", "def g(): 2")]}
    fixed, notes = restore_test_cells(sub, release)
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in fixed["cells"]]
    assert ids == [None, "f_solution", None, "test_f", "g_solution", "test_g"]
    assert fixed["cells"][3]["source"] == "T(f)" and fixed["cells"][5]["source"] == "T(g)"
    assert fixed["cells"][2]["source"] == "mine"          # the student's own cell stays before the test
    assert notes == ["[grader] the locked test cell test_f was missing: put back in place",
                     "[grader] the locked test cell test_g was moved: put back in place"]
    again, notes = restore_test_cells(fixed, release)      # a notebook in order is left alone
    assert again == fixed and notes == []


# -- a real class, graded twice ----------------------------------------------------------------

@pytest.mark.slow
def test_grading_the_same_class_twice_gives_identical_grades_csv(request, tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    course = classroom.course_with_release(request.config.rootpath, base / "determinism_build",
                                           cache=base / "warmup_release")
    submitted = base / "determinism_submitted"
    classroom.write_class(course, submitted, [classroom.CASE["right"], classroom.CASE["wrong"]])
    first = grade_class(course, submitted, workers=2, log=lambda *a: None)
    text1 = first.grades_csv.read_bytes()
    html1 = (course.build_dir / "feedback" / "wrong" / "00_warmup" / "warmup.html").read_bytes()
    second = grade_class(course, submitted, workers=1, log=lambda *a: None)
    assert second.grades_csv.read_bytes() == text1
    assert (course.build_dir / "feedback" / "wrong" / "00_warmup" / "warmup.html").read_bytes() == html1
    assert text1.decode().splitlines()[1:] == ["right,00_warmup,8,8,10,yes,ok,", "wrong,00_warmup,4,4,10,yes,ok,"]
    scores = course.scores("00_warmup", "wrong")
    assert {c.grade_id: c.points for c in scores.cells if c.autograded} == classroom.CASE["wrong"].points

    # A TA grades wrong's written answer in the formgrader; a regrade keeps it, and it is no longer pending.
    with course.gradebook() as gb:
        gb.find_grade("answer_normalization_statistics", "warmup", "00_warmup", "wrong").manual_score = 1.5
        gb.db.commit()
    third = grade_class(course, submitted, workers=2, log=lambda *a: None)
    assert third.grades_csv.read_text().splitlines()[1:] == ["right,00_warmup,8,8,10,yes,ok,",
                                                            "wrong,00_warmup,5.5,5.5,10,no,ok,"]
    written = third.by_student()[("wrong", "00_warmup")].notebooks[0].cell("answer_normalization_statistics")
    assert (written.points, written.manual_pending) == (1.5, False)
    page = (course.build_dir / "feedback" / "wrong" / "00_warmup" / "warmup.html").read_text()
    assert "1.5 / 2" in page
    assert not course.scores("00_warmup", "wrong").manual_pending and course.scores("00_warmup", "right").manual_pending


def test_kill_tree_reaches_a_grandchild_in_its_own_session():
    import time

    from autograder.runner import descendants, kill_tree

    proc = subprocess.Popen(["bash", "-c", "setsid sleep 60 & sleep 60"], start_new_session=True)
    time.sleep(0.5)
    below = descendants(proc.pid)
    assert len(below) == 2
    kill_tree(proc.pid)
    proc.wait(timeout=10)
    time.sleep(0.2)
    for pid in below:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        assert state == "Z"      # dead, waiting to be reaped by init


def test_guard_lets_the_kernel_import_packages_from_a_venv_inside_the_checkout():
    # `make` puts .venv/ inside the checkout, which the guard protects: numpy must still import.
    import numpy

    from autograder.kernel_guard import Guard, interpreter_paths

    checkout = os.path.dirname(sys.prefix)
    guard = Guard(trusted=[], protected=[checkout], allowed=interpreter_paths())
    assert not guard._protected(numpy.__file__)
    assert guard._protected(os.path.join(checkout, "autograder", "checks", "warmup.py")) or \
        sys.prefix == checkout


def test_suspicious_code_flags_tracer_tampering_in_the_students_cells_only():
    # The loop check counts lines with sys.settrace: a submission that switches tracing off deserves a look.
    import nbformat

    from autograder.feedback import suspicious_code

    graded_test = nbformat.v4.new_code_cell("check(f)  # sys.settrace mentioned by the course's own cell")
    graded_test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import sys\ndef f(W, X, y, reg):\n    sys.settrace(None)\n    return 0.0, W"),
        graded_test,
    ])
    assert suspicious_code(nb) == ["settrace"]
