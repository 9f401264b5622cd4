"""Fast tests of `course build`'s entry point and the CourseDir API (no nbgrader run)."""

import os

import pytest

from autograder import config
from autograder.course_dir import CourseDir, CourseError, find_repo_root, graded_cells
from course import cli


def test_build_outside_a_checkout_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "--fast"]) == 2
    err = capsys.readouterr().err
    assert "autograder/nbgrader_config.py" in err and "--root" in err and str(tmp_path) in err


def test_build_with_a_wrong_root_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["build", "--root", str(tmp_path)]) == 2
    assert "not a course repository" in capsys.readouterr().err


def test_build_unknown_notebook_is_a_clear_error(repo_root, tmp_path, capsys):
    assert cli.main(["build", "--root", str(repo_root), "--only", "nosuch", "--build-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no assignment 'nosuch'" in err and "00_warmup" in err


def test_course_dir_finds_assignments_and_root(repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root / "notebooks")
    assert find_repo_root() == repo_root
    course = CourseDir(build_dir=tmp_path)
    ids = [a.id for a in course.assignments()]
    assert "00_warmup" in ids and ids == sorted(ids)
    for key in ("warmup", "00_warmup", "00"):
        assert course.assignment(key).notebook == repo_root / "notebooks" / "00_warmup" / "warmup.ipynb"
    assert course.assignment("warmup").cell_timeout == config.CELL_TIMEOUT["00_warmup"]
    assert course.path("submitted", "warmup", "alice") == tmp_path / "submitted" / "alice" / "00_warmup"
    with pytest.raises(CourseError, match="invalid student id"):
        course.submit("warmup", "../evil", [])
    with pytest.raises(CourseError, match="nothing to submit"):
        course.submit("warmup", "alice", [])
    with pytest.raises(CourseError, match="no such file"):
        course.submit("warmup", "alice", [tmp_path / "missing.ipynb"])


def test_default_build_dir_and_env_override(repo_root, tmp_path, monkeypatch):
    monkeypatch.delenv(config.BUILD_DIR_ENV, raising=False)
    assert CourseDir(root=repo_root).build_dir == repo_root / "course_build"
    monkeypatch.setenv(config.BUILD_DIR_ENV, str(tmp_path))
    assert CourseDir(root=repo_root).build_dir == tmp_path


def test_kernel_env_is_made_for_grading(repo_root, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    env = CourseDir(root=repo_root, build_dir=tmp_path).kernel_env(fast=False)
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(repo_root)
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3" and env["COURSE_FAST"] == "0"
    assert "MPLBACKEND" not in env and "NBGRADER_EXECUTION" not in env


def test_warmup_points(repo_root):
    cells = graded_cells(repo_root / "notebooks" / "00_warmup" / "warmup.ipynb")
    assert sum(c.points for c in cells if c.autograded) == 8
    assert [(c.grade_id, c.points, c.kind) for c in cells if not c.autograded] == [
        ("answer_normalization_statistics", 2.0, "manual")]
