"""What an nbgrader cell is: solution, autograded test, manually graded answer or task.

One place answers the questions every part of the grading side asks of a notebook
cell (a parsed ``.ipynb`` cell dict, or an ``nbformat`` node), in the spirit of
nbgrader's own ``nbgrader/utils.py`` predicates (``is_grade``, ``is_solution``,
``is_locked``, ``is_task``), plus the one rule that sorts a cell into a kind:

======================  ================================  ===========================================
kind                    nbgrader metadata                 what happens to it
======================  ================================  ===========================================
:data:`SOLUTION`        ``solution``, not ``grade``       the student writes it ("autograded answer");
                                                          no points of its own
:data:`TEST`            ``grade``, not ``solution``,      locked; nbgrader runs it and gives its points
                        a code cell                       when it raises nothing and writes nothing to
                                                          stderr ("autograder tests")
:data:`MANUAL`          ``grade`` and ``solution``, or    a person gives the points in the formgrader
                        ``grade`` on a markdown cell      (a written answer, code graded by hand)
:data:`TASK`            ``task``                          a manually graded task
======================  ================================  ===========================================

>>> cell = {"cell_type": "code", "source": ["check(f)\\n", "assert f(1) == 2"],
...         "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "test_f", "points": 2}}}
>>> kind(cell), grade_id(cell), points(cell), is_autograded_test(cell), is_locked(cell)
('test', 'test_f', 2.0, True, True)
>>> source(cell)
'check(f)\\nassert f(1) == 2'
>>> kind({"cell_type": "markdown", "source": "Why?", "metadata": {}}) is None
True

The gradebook stores the same cells as records (``GradeCell``, ``SolutionCell``, ``TaskCell``);
:func:`classify` is the rule for both, and :func:`released_cells` reads a released assignment's
graded cells from an open gradebook. Only JSON-shaped data here: importing this needs nothing.
"""

from dataclasses import dataclass

__all__ = [
    "SOLUTION", "TEST", "MANUAL", "TASK", "GradedCell",
    "nbgrader_metadata", "source", "grade_id", "points",
    "is_grade", "is_solution", "is_task", "is_locked", "is_autograded_test", "is_manually_graded",
    "classify", "kind", "graded_cells", "index_of", "released_cells",
]

SOLUTION = "solution"
TEST = "test"
MANUAL = "manual"
TASK = "task"


def nbgrader_metadata(cell):
    """The cell's ``metadata.nbgrader`` dict (empty when it has none, or it is null)."""
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def source(cell):
    """The cell's source as one string (nbformat allows a list of lines on disk)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src or "")


def grade_id(cell):
    """The cell's nbgrader ``grade_id``, or None."""
    return nbgrader_metadata(cell).get("grade_id") or None


def points(cell):
    """The points the cell is worth (0.0 for a cell without points)."""
    return float(nbgrader_metadata(cell).get("points") or 0)


def is_grade(cell):
    """True for a cell with points that nbgrader records a grade for (a test or a manual answer)."""
    return bool(nbgrader_metadata(cell).get("grade"))


def is_solution(cell):
    """True for a cell the student writes (nbgrader replaces its solution region in the release)."""
    return bool(nbgrader_metadata(cell).get("solution"))


def is_task(cell):
    """True for a manually graded task cell."""
    return bool(nbgrader_metadata(cell).get("task"))


def is_locked(cell):
    """True when nbgrader restores the cell's source before grading (as ``nbgrader.utils.is_locked``):
    every graded cell that is not a solution, and any cell marked ``locked``."""
    meta = nbgrader_metadata(cell)
    if not meta or meta.get("solution"):
        return False
    return bool(meta.get("grade") or meta.get("locked"))


def classify(cell_type, grade, solution, task=False):
    """The kind (:data:`SOLUTION`, :data:`TEST`, :data:`MANUAL`, :data:`TASK`) of a cell with these
    nbgrader flags, or None for an ordinary cell. The one rule, for notebook cells and gradebook
    records alike."""
    if task:
        return TASK
    if grade:
        return TEST if cell_type == "code" and not solution else MANUAL
    return SOLUTION if solution else None


def kind(cell):
    """The cell's kind (see :func:`classify`), or None for an ordinary cell."""
    meta = nbgrader_metadata(cell)
    return classify(cell.get("cell_type"), meta.get("grade"), meta.get("solution"), meta.get("task"))


def is_autograded_test(cell):
    """A locked, graded code cell that is not a solution: nbgrader gives its points when it runs clean."""
    return kind(cell) == TEST


def is_manually_graded(cell):
    """A cell whose points a person gives (written answer, code graded by hand, task)."""
    return kind(cell) in (MANUAL, TASK)


@dataclass(frozen=True)
class GradedCell:
    """A cell worth points: its grade id, its points and its kind (:data:`TEST`, :data:`MANUAL`, :data:`TASK`)."""

    grade_id: str
    points: float
    kind: str

    @property
    def autograded(self):
        return self.kind == TEST


def graded_cells(nb):
    """Every cell of notebook ``nb`` (a dict) that is worth points, in order, as :class:`GradedCell`."""
    return [GradedCell(grade_id(c) or "?", points(c), kind(c))
            for c in nb.get("cells", []) if kind(c) in (TEST, MANUAL, TASK)]


def index_of(nb, wanted_grade_id):
    """Index of the cell of ``nb`` with that grade id; KeyError when there is none."""
    for i, cell in enumerate(nb.get("cells", [])):
        if grade_id(cell) == wanted_grade_id:
            return i
    raise KeyError(wanted_grade_id)


def released_cells(gb, assignment_id):
    """``{notebook name: [GradedCell]}`` of a released assignment, from an open nbgrader ``Gradebook``.

    The gradebook keeps a cell that is both graded and a solution as a ``GradeCell`` *and* a
    ``SolutionCell`` of the same name; :func:`classify` sorts them as it sorts notebook cells.
    Sorted by grade id.
    """
    out = {}
    for nb in gb.find_assignment(assignment_id).notebooks:
        solutions = {c.name for c in nb.solution_cells}
        cells = [GradedCell(c.name, float(c.max_score), classify(c.cell_type, True, c.name in solutions))
                 for c in nb.grade_cells]
        cells += [GradedCell(c.name, float(c.max_score), TASK) for c in nb.task_cells]
        out[nb.name] = sorted(cells, key=lambda c: c.grade_id)
    return out
