"""Put a submission's graded test cells back where the release has them.

nbgrader overwrites the *source* of the locked cells it finds in a submission (from the
gradebook), but it does not bring back a test cell the student deleted, nor move one the
student moved away from the function it tests (a test run before its function is defined
scores 0 through no fault of the function). :func:`restore_test_cells` does both before
nbgrader runs; the grading task (:mod:`autograder.task`) calls it on every submission.
"""

import copy

from autograder import cells

__all__ = ["restore_test_cells"]


def restore_test_cells(submitted, released):
    """Put every graded test cell of ``released`` back in ``submitted`` (both nbformat dicts).

    A test cell is in place when the nearest nbgrader cell above it is the one above it in
    the release (the solution cell of the function it tests); copies elsewhere are removed,
    and a missing or moved test cell is inserted after that cell and the student's cells
    that follow it (before the next nbgrader cell), where the release has it. Cells in
    place are left alone. Returns ``(notebook, notes)``: a new notebook, and one
    ``[grader]`` line per cell put back.
    """
    gid = cells.grade_id

    def anchor_of(all_cells, i):
        return next((gid(c) for c in reversed(all_cells[:i]) if gid(c)), None)

    nb = copy.deepcopy(submitted)
    notes = []
    for i, test in [(i, c) for i, c in enumerate(released["cells"]) if cells.is_autograded_test(c)]:
        g, anchor = gid(test), anchor_of(released["cells"], i)
        present = [k for k, c in enumerate(nb["cells"]) if gid(c) == g]
        keep = next((k for k in present if anchor_of(nb["cells"], k) == anchor), None)
        nb["cells"] = [c for k, c in enumerate(nb["cells"]) if gid(c) != g or k == keep]
        if keep is not None:
            continue
        start = next((k + 1 for k, c in enumerate(nb["cells"]) if anchor is not None and gid(c) == anchor), None)
        if start is None:
            start = 0 if anchor is None else len(nb["cells"])
        pos = next((k for k in range(start, len(nb["cells"])) if gid(nb["cells"][k])), len(nb["cells"]))
        nb["cells"].insert(pos, copy.deepcopy(test))
        notes.append(f"[grader] the locked test cell {g} was {'moved' if present else 'missing'}: put back in place")
    return nb, notes
