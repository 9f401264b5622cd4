"""Reporting a graded class: ``grades.csv``, the feedback pages, the autograded notebooks, logs.

The client writes every file of a grading run here, once per submission, after the
gradebook merge (:mod:`autograder.gradebook`)::

    <build>/grades.csv                               one row per student and assignment
    <build>/feedback/<student>/<id>/<notebook>.html  what each failed check said, the points lost
    <build>/autograded/<student>/<id>/<notebook>.ipynb   nbgrader's autograded notebook (formgrader)
    <build>/logs/grade-<id>-<student>.log            nbgrader's log of the autograde

``grades.csv`` is deterministic: rows sorted by student then assignment, points printed with at
most two decimals, no timestamps, no worker names; grading the same folder again gives the
same bytes, whichever workers graded it and in which order they finished.
"""

import csv
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from autograder.feedback import render_html

__all__ = ["COLUMNS", "fmt", "grades_csv", "write_results", "Written", "ClassReport"]

#: The columns of ``grades.csv`` (one column per notebook goes between "assignment" and "total").
COLUMNS = ("student", "assignment", "total", "max", "manual_grading_pending", "status", "flags")


def fmt(x):
    """Stable point formatting: at most 2 decimals, no trailing zeros ("2", "1.5", "0.25")."""
    text = f"{round(float(x), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def grades_csv(results):
    """The text of ``grades.csv``: one row per (student, assignment), sorted; deterministic."""
    notebooks = sorted({fb.notebook for r in results for fb in r.notebooks})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*COLUMNS[:2], *notebooks, *COLUMNS[2:]])
    for r in sorted(results, key=lambda r: r.key):
        by_nb = {fb.notebook: fb for fb in r.notebooks}
        per_nb = [fmt(by_nb[n].points) if n in by_nb else "" for n in notebooks]
        w.writerow([r.student, r.assignment, *per_nb, fmt(r.points), fmt(r.max_points),
                    "yes" if r.manual_pending else "no", r.status, " ".join(sorted(set(r.flags)))])
    return buf.getvalue()


@dataclass
class Written:
    """Every file one reporting run wrote (each at most once)."""

    paths: list = field(default_factory=list)

    def add(self, path, data):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        self.paths.append(path)


def write_results(course, results, out_csv=None, csv_file=True):
    """Write ``results`` for ``course``: gradebook, autograded notebooks, feedback, logs, ``grades.csv``.

    ``out_csv``: where ``grades.csv`` goes (default ``<build>/grades.csv``); ``csv_file=False``
    writes none (the build's test students). Returns ``(csv path or None, Written)``.
    """
    from autograder.gradebook import merge_into_gradebook

    written = Written()
    changed = set(merge_into_gradebook(course, results))
    for r in sorted(results, key=lambda r: r.key):
        autograded = course.build_dir / "autograded" / r.student / r.assignment
        if autograded.exists():
            shutil.rmtree(autograded)
        for name, data in sorted(r.autograded.items()):
            written.add(autograded / name, data)
        for fb in r.notebooks:
            page = render_html(fb) if r.key in changed else r.feedback.get(fb.notebook) or render_html(fb)
            written.add(course.build_dir / "feedback" / r.student / r.assignment / f"{fb.notebook}.html", page)
        written.add(course.build_dir / "logs" / f"grade-{r.assignment}-{r.student}.log", r.log)
    csv_path = None
    if csv_file:
        csv_path = Path(out_csv) if out_csv else course.build_dir / "grades.csv"
        written.add(csv_path, grades_csv(results))
    return csv_path, written


@dataclass
class ClassReport:
    """What :func:`autograder.grade.grade_class` did."""

    results: list              # [SubmissionResult], sorted by student then assignment
    grades_csv: Path
    seconds: float
    workers: int
    executor: str = ""
    written: Written = None

    def by_student(self):
        return {r.key: r for r in self.results}
