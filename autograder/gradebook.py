"""Merging graded submissions into the course's nbgrader gradebook (the client's only writer).

Workers grade into gradebooks of their own (:mod:`autograder.workspace`); the class's
gradebook, the one ``nbgrader formgrader`` shows, is written here, serially, once per
submission, in a fixed order (student, then assignment). A regrade replaces the earlier
submission's autograded scores and keeps every manual score a person already gave.
"""

import warnings
from contextlib import contextmanager

__all__ = ["merge_into_gradebook"]


@contextmanager
def _quiet_sqlalchemy():
    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:  # pragma: no cover
        SAWarning = Warning
    with warnings.catch_warnings():
        # nbgrader's gradebook code trips SQLAlchemy's autoflush warnings; they are not ours to fix
        warnings.simplefilter("ignore", SAWarning)
        yield


def _timestamp(text):
    if not text:
        return {}
    try:
        from nbgrader.utils import parse_utc

        return {"timestamp": parse_utc(text)}
    except (ValueError, TypeError, OverflowError):
        return {}


def merge_into_gradebook(course, results):
    """Write every :class:`~autograder.results.SubmissionResult` into ``course``'s gradebook.

    Manual scores already given survive: the result's cell takes that score (its
    ``manual_pending`` turns false). Returns the keys ``(student, assignment)`` whose results
    changed that way (their feedback pages must be rendered again).
    """
    from nbgrader.api import MissingEntry

    changed = []
    with _quiet_sqlalchemy(), course.gradebook() as gb:
        for r in sorted(results, key=lambda r: r.key):
            gb.update_or_create_student(r.student)
            kept = {}
            try:
                old = gb.find_submission(r.assignment, r.student)
                for nb in old.notebooks:
                    for g in nb.grades:
                        if g.manual_score is not None:
                            kept[(nb.name, g.name)] = g.manual_score
                gb.remove_submission(r.assignment, r.student)
            except MissingEntry:
                pass
            gb.add_submission(r.assignment, r.student, **_timestamp(r.timestamp))
            for fb in r.notebooks:
                for c in fb.cells:
                    g = gb.find_grade(c.grade_id, fb.notebook, r.assignment, r.student)
                    # nbgrader's own rule: a written answer left as released scores 0 with nobody to
                    # look at it; any other written answer waits for a person (auto_score None).
                    g.auto_score = None if c.manual_pending else c.points
                    g.needs_manual_grade = c.manual_pending
                    if (fb.notebook, c.grade_id) in kept:
                        g.manual_score = kept[(fb.notebook, c.grade_id)]
                        g.needs_manual_grade = False
                        if not c.autograded:
                            c.points, c.manual_pending, c.message = float(g.manual_score), False, ""
                            changed.append(r.key)
            gb.db.commit()
    return sorted(set(changed))
