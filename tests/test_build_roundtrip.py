"""A full round trip of 00_warmup through real nbgrader.

`course build --only warmup --fast` (the CLI, in a subprocess) runs the source
notebook, generates the release, verifies it, and grades the instructor's
solution and the untouched release as two students, exactly as `course grade`
grades students (kept with --keep-students). Then, through the Python API, a
third student with one wrong function is submitted, autograded and given
feedback: partial credit.
"""

import json
import os
import subprocess
import sys

import pytest

from autograder.build import BLANK_STUDENT, SOLUTION_STUDENT, solution_submission
from autograder.course_dir import CourseDir, CourseError
from autograder.release_check import check_release_files, notebook_text, secrets

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory, request):
    repo = request.config.rootpath
    build_dir = tmp_path_factory.mktemp("course_build")
    env = dict(os.environ, PYTHONPATH=str(repo), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "course", "build", "--only", "warmup", "--fast",
                           "--build-dir", str(build_dir), "--keep-students"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return CourseDir(root=repo, build_dir=build_dir), proc


def test_course_build_succeeds_and_prints_the_table(built):
    course, proc = built
    lines = proc.stdout.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("notebook"))
    for column in ("points", "solution", "blank", "run (s)", "grade (s)", "status"):
        assert column in lines[header]
    row = lines[header + 2].split()
    assert row[:7] == ["00_warmup", "8", "+", "2", "written", "8", "0"] and row[-1] == "ok", lines[header + 2]
    assert "answer_normalization_statistics (2 points)" in proc.stdout
    assert sum(ln.startswith("notebook ") for ln in lines) == 1            # the table, once
    assert [ln for ln in lines if ln.startswith("[1/1] 00_warmup: ok (run ")], proc.stdout   # its progress line
    assert proc.stderr.strip() == "", proc.stderr     # quiet: no kernel or TensorFlow logs
    for path in ("release/00_warmup/warmup.ipynb", "executed/00_warmup/warmup.ipynb", "nbgrader_config.py",
                 "gradebook.db"):
        assert (course.build_dir / path).is_file(), path


def test_release_contains_no_solution_or_hidden_test(built):
    course, _ = built
    a = course.assignment("warmup")
    release = course.path("release", a) / "warmup.ipynb"
    assert check_release_files(a.notebook, release) == []
    nb = json.loads(release.read_text())
    text = notebook_text(nb)
    assert len(secrets(json.loads(a.notebook.read_text()))) >= 10
    for leak in ("np.argmax(scores, axis=1)\n", "autograder", "X.std(axis=(0, 1, 2))", "BEGIN SOLUTION",
                 "HIDDEN TESTS", "information from the test set leak"):
        assert leak not in text
    stubs = [c for c in nb["cells"] if c["cell_type"] == "code" and "raise NotImplementedError()" in "".join(c["source"])]
    assert len(stubs) == 4
    assert "YOUR ANSWER HERE" in text


def test_solution_gets_every_point_and_blank_gets_zero(built):
    course, _ = built
    solution, blank = course.scores("warmup", SOLUTION_STUDENT), course.scores("warmup", BLANK_STUDENT)
    assert solution.auto_max == 8 and solution.manual_max == 2
    assert solution.auto_score == 8, solution.failed()
    assert blank.auto_score == 0
    assert {c.grade_id for c in solution.cells if c.autograded} == {
        "test_channel_mean_std", "test_normalize", "test_one_hot", "test_accuracy"}
    assert [c.grade_id for c in solution.cells if not c.autograded] == ["answer_normalization_statistics"]
    with pytest.raises(CourseError, match="submit and autograde it first"):
        course.scores("warmup", "nobody")
    html = (course.build_dir / "feedback" / SOLUTION_STUDENT / "00_warmup" / "warmup.html").read_text()
    assert "Autograded points: <b>8 / 8</b>" in html and "Status: ok" in html   # `course grade`'s page
    assert "BEGIN HIDDEN TESTS" not in html and "autograder.checks" not in html
    assert "NotImplementedError" in (course.path("autograded", "warmup", BLANK_STUDENT) / "warmup.ipynb").read_text()


def test_partial_credit_through_the_api(built, tmp_path):
    course, _ = built
    a = course.assignment("warmup")
    nb_path = solution_submission(a.notebook, course.path("release", a) / "warmup.ipynb", tmp_path / "warmup.ipynb")
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:     # a plausible mistake: one-hot with y.max() + 1 columns
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "one_hot_solution":
            cell["source"] = "def one_hot(y, num_classes):\n    return np.eye(y.max() + 1)[y]\n"
    nb_path.write_text(json.dumps(nb))
    course.submit(a, "alice", nb_path)
    course.autograde(a, "alice")
    scores = course.scores(a, "alice")
    assert scores.auto_score == 6
    assert [c.grade_id for c in scores.failed()] == ["test_one_hot"]
    html = course.feedback(a, "alice")[0].read_text()
    assert "use num_classes for the number of columns" in html
