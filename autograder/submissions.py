"""Finding the submissions of a class, and reading one into a grading job.

Input layout (nbgrader's own)::

    SUBMITTED_DIR/<student>/<assignment id>/<notebook>.ipynb     (+ optional timestamp.txt)

:func:`find_submissions` checks the whole folder before anything is graded and names every
problem (a missing folder, no students, an unknown assignment, a submission without its
notebook, a student id nbgrader cannot take). :func:`read_job` turns one submission into
the data a grading task needs (:class:`autograder.task.GradingJob`).
"""

from dataclasses import dataclass
from pathlib import Path

from autograder.course_dir import CourseError, check_student_id

__all__ = ["LAYOUT", "Submission", "find_submissions", "read_job"]

LAYOUT = "SUBMITTED_DIR/<student>/<assignment id>/<notebook>.ipynb"


@dataclass(frozen=True)
class Submission:
    """One student's folder for one assignment (an :class:`autograder.course_dir.Assignment`)."""

    student: str
    assignment: object
    folder: Path


def _folders(path):
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def find_submissions(course, submitted_dir, assignment=None):
    """Every :class:`Submission` under ``submitted_dir``, sorted by student then assignment.

    ``assignment``: only this one (an Assignment, or its id, name or number). Raises
    :class:`CourseError` naming every problem found.
    """
    root = Path(submitted_dir)
    if not root.is_dir():
        raise CourseError(f"submitted folder {root} does not exist (expected {LAYOUT})")
    wanted = course.assignment(assignment) if assignment else None
    known = {a.id: a for a in course.assignments()}
    students = _folders(root)
    if not students:
        raise CourseError(f"no students in {root}: expected one folder per student, {LAYOUT}")
    found, problems = [], []
    for sdir in students:
        try:
            check_student_id(sdir.name)
        except CourseError as e:
            problems.append(f"{sdir}: {e}")
            continue
        for adir in _folders(sdir):
            if adir.name not in known:
                if wanted is None:
                    problems.append(f"{adir}: unknown assignment {adir.name!r} (known: {', '.join(known) or 'none'})")
                continue
            a = known[adir.name]
            if wanted is not None and a.id != wanted.id:
                continue
            if not (adir / a.notebook.name).is_file():
                problems.append(f"{adir}: no {a.notebook.name} in this submission "
                                f"(found: {', '.join(sorted(p.name for p in adir.iterdir())) or 'nothing'})")
                continue
            found.append(Submission(sdir.name, a, adir))
    if problems:
        raise CourseError("bad submissions:\n  " + "\n  ".join(problems))
    if not found:
        what = f"of {wanted.id} " if wanted else ""
        raise CourseError(f"no submissions {what}in {root} ({len(students)} student folders; expected {LAYOUT})")
    return found


def read_job(submission, limits):
    """The :class:`autograder.task.GradingJob` of ``submission``: its notebooks' bytes and timestamp."""
    from autograder.task import GradingJob

    folder = Path(submission.folder)
    notebooks = {p.name: p.read_bytes() for p in sorted(folder.glob("*.ipynb"))}
    stamp = folder / "timestamp.txt"
    return GradingJob(submission.student, submission.assignment.id, notebooks, limits,
                      stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else None)
