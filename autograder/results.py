"""What grading produces, as plain data: scored cells, notebooks, submissions.

One type per level, shared by the grading task (which builds them on a worker),
the gradebook merge, ``grades.csv``, the feedback pages and ``course build``:

* :class:`ScoredCell`: one graded cell, its points, what went wrong, and whether a
  person still has to grade it (``manual_pending``);
* :class:`NotebookResult`: one notebook of one submission, with a status and notes;
* :class:`SubmissionResult`: one student's submission of one assignment, with the
  autograded notebooks and the feedback pages (what the client writes to disk).

Everything here pickles (Dask sends results from workers to the client) and nothing
imports nbgrader.
"""

from dataclasses import dataclass, field

from autograder import cells

__all__ = ["OK", "TIME_BUDGET", "KERNEL_DIED", "NOT_GRADED", "STATUSES",
           "ScoredCell", "NotebookResult", "SubmissionResult"]

#: Statuses of a notebook and of a submission (``grades.csv``'s ``status`` column).
OK = "ok"
TIME_BUDGET = "time budget"
KERNEL_DIED = "kernel died"
NOT_GRADED = "not graded"
STATUSES = (OK, TIME_BUDGET, KERNEL_DIED, NOT_GRADED)


@dataclass
class ScoredCell:
    """One graded cell of a submission.

    ``points`` is the auto score of a test cell, or the manual score of a written answer once a
    person gave it (0 until then, with ``manual_pending`` true). ``message`` says why points were
    lost (empty when none were), for the student.
    """

    grade_id: str
    points: float
    max_points: float
    kind: str = cells.TEST            # autograder.cells.TEST, MANUAL or TASK
    message: str = ""
    manual_pending: bool = False

    @property
    def autograded(self):
        return self.kind == cells.TEST

    @property
    def lost(self):
        return self.max_points - self.points


@dataclass
class NotebookResult:
    """The graded cells of one notebook of one submission, and what the student should read first."""

    assignment: str
    student: str
    notebook: str                     # the notebook's name, without .ipynb
    status: str = OK
    note: str = ""                    # a notebook-level explanation (a limit, a dead kernel)
    cells: list = field(default_factory=list)          # [ScoredCell]
    grader_notes: list = field(default_factory=list)   # "[grader] ..." lines (guard, repairs, flags)

    @property
    def points(self):
        return sum(c.points for c in self.cells)

    @property
    def max_points(self):
        return sum(c.max_points for c in self.cells)

    @property
    def auto_score(self):
        return sum(c.points for c in self.cells if c.autograded)

    @property
    def auto_max(self):
        return sum(c.max_points for c in self.cells if c.autograded)

    @property
    def manual_pending(self):
        return any(c.manual_pending for c in self.cells)

    def cell(self, grade_id):
        """The :class:`ScoredCell` with that grade id (KeyError when the notebook has none)."""
        for c in self.cells:
            if c.grade_id == grade_id:
                return c
        raise KeyError(grade_id)


@dataclass
class SubmissionResult:
    """One student's submission of one assignment, graded.

    ``autograded`` maps a notebook file name to the bytes of nbgrader's autograded notebook
    (what the formgrader shows), ``feedback`` a notebook name to its feedback page (HTML).
    ``worker`` names the process that graded it (host:pid), ``attempts`` how many times a
    worker started it (more than one when a worker died under it).
    """

    student: str
    assignment: str
    status: str = OK
    seconds: float = 0.0
    notebooks: list = field(default_factory=list)      # [NotebookResult]
    flags: list = field(default_factory=list)          # suspicious tokens in the student's code
    log: str = ""
    timestamp: str = None                              # the submission's timestamp.txt, if any
    autograded: dict = field(default_factory=dict)     # {"warmup.ipynb": bytes}
    feedback: dict = field(default_factory=dict)       # {"warmup": "<!DOCTYPE html>..."}
    worker: str = ""
    attempts: int = 1

    @property
    def key(self):
        return (self.student, self.assignment)

    @property
    def points(self):
        return sum(nb.points for nb in self.notebooks)

    @property
    def max_points(self):
        return sum(nb.max_points for nb in self.notebooks)

    @property
    def auto_score(self):
        return sum(nb.auto_score for nb in self.notebooks)

    @property
    def auto_max(self):
        return sum(nb.auto_max for nb in self.notebooks)

    @property
    def manual_pending(self):
        return any(nb.manual_pending for nb in self.notebooks)

    def notebook(self, name):
        """The :class:`NotebookResult` of notebook ``name`` (KeyError when there is none)."""
        for nb in self.notebooks:
            if nb.notebook == name:
                return nb
        raise KeyError(name)
