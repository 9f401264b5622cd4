"""A full round trip of 00_warmup through real nbgrader.

`course build --only warmup --fast` (the CLI, in a subprocess) runs the source
notebook, generates the release and verifies it; then, through the Python API,
the instructor's solution and the untouched release are submitted as two
students, autograded and given feedback.
"""

import json
import os
import subprocess
import sys

import pytest

from autograder.build import solution_submission
from autograder.course_dir import CourseDir
from autograder.release_check import check_release_files, notebook_text, secrets

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory, request):
    repo = request.config.rootpath
    build_dir = tmp_path_factory.mktemp("course_build")
    env = dict(os.environ, PYTHONPATH=str(repo), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "course", "build", "--only", "warmup", "--fast",
                           "--build-dir", str(build_dir)],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    return repo, build_dir, proc


def test_course_build_succeeds_and_prints_the_table(built):
    _, build_dir, proc = built
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("notebook"))
    for column in ("points", "solution", "blank", "run (s)", "grade (s)", "status"):
        assert column in lines[header]
    row = lines[header + 2].split()
    assert row[:7] == ["00_warmup", "8", "+", "2", "written", "8", "0"] and row[-1] == "ok", lines[header + 2]
    assert "answer_normalization_statistics (2 points)" in proc.stdout
    assert proc.stderr.strip() == "", proc.stderr     # quiet: no kernel or TensorFlow logs
    assert (build_dir / "release" / "00_warmup" / "warmup.ipynb").is_file()
    assert (build_dir / "executed" / "00_warmup" / "warmup.ipynb").is_file()
    assert (build_dir / "nbgrader_config.py").is_file()


def test_release_contains_no_solution_or_hidden_test(built):
    repo, build_dir, _ = built
    source = repo / "notebooks" / "00_warmup" / "warmup.ipynb"
    release = build_dir / "release" / "00_warmup" / "warmup.ipynb"
    assert check_release_files(source, release) == []
    text = notebook_text(json.loads(release.read_text()))
    assert len(secrets(json.loads(source.read_text()))) >= 10
    for leak in ("np.maximum(1e-8", "autograder", "X.std(axis=(0, 1, 2))", "BEGIN SOLUTION",
                 "HIDDEN TESTS", "information from the test set leak"):
        assert leak not in text
    assert text.count("raise NotImplementedError()") == 4
    assert "YOUR ANSWER HERE" in text


def test_solution_gets_every_point_and_blank_gets_zero(built, tmp_path):
    repo, build_dir, proc = built
    assert proc.returncode == 0, proc.stdout + proc.stderr
    course = CourseDir(root=repo, build_dir=build_dir)
    a = course.assignment("warmup")
    release_nb = course.path("release", a) / "warmup.ipynb"
    solved = solution_submission(a.notebook, release_nb, tmp_path / "warmup.ipynb")
    course.submit(a, "alice", solved)
    course.submit(a, "bob", course.path("release", a))       # the untouched release folder

    for student in ("alice", "bob"):
        course.autograde(a, student)
    alice, bob = course.scores(a, "alice"), course.scores(a, "bob")
    assert alice.auto_max == 8 and alice.manual_max == 2
    assert alice.auto_score == 8, alice.failed()
    assert bob.auto_score == 0
    assert {c.grade_id for c in alice.cells if c.autograded} == {
        "test_rel_error", "test_channel_mean_std", "test_normalize", "test_one_hot"}
    assert [c.grade_id for c in alice.cells if not c.autograded] == ["answer_normalization_statistics"]

    for student in ("alice", "bob"):
        html = course.feedback(a, student)
        assert [p.name for p in html] == ["warmup.html"]
        assert html[0].stat().st_size > 10_000
    bob_html = (build_dir / "feedback" / "bob" / "00_warmup" / "warmup.html").read_text()
    assert "NotImplementedError" in bob_html
