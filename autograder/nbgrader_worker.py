"""Run a batch of nbgrader steps in one process, through nbgrader's own ``NbGraderAPI``.

Started by :func:`autograder.runner.run_nbgrader` (the only spawner)::

    python -m autograder.nbgrader_worker COURSE_FOLDER  < steps.json

``steps.json`` is a list of ``{"step": "release"|"autograde", "assignment": ID, "student": ID,
"timeout": SECONDS}``. The configuration is the course folder's ``nbgrader_config.py`` only
(not ~/.jupyter), so every machine grades alike. For each step one line ``@@step {json}`` goes
to stdout with nbgrader's result (``success``, ``log``, ``error``) and ``seconds``; an autograde
step adds the submission's ``scores`` from the folder's gradebook (per notebook, per graded
cell: grade id, auto score, manual score, max score, kind), so the caller needs no nbgrader.
Every step runs, whatever the ones before did (the build releases several assignments in one
batch). A subprocess keeps nbgrader's traitlets state out of the caller; batching several
steps pays nbgrader's start-up (about 3 s of CPU) once.
"""

import json
import os
import sys
import time
import warnings

PREFIX = "@@step "
STEPS = ("release", "autograde")


def submission_scores(coursedir, assignment, student):
    """``{notebook: [{grade_id, auto_score, manual_score, max_score, kind}]}`` from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder import cells

    out = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        for nb in submission.notebooks:
            solutions = {c.name for c in nb.notebook.solution_cells}
            out[nb.name] = sorted(({
                "grade_id": g.name, "auto_score": g.auto_score, "manual_score": g.manual_score,
                "max_score": float(g.max_score),
                "kind": cells.classify(g.cell.cell_type, True, g.name in solutions),
            } for g in nb.grades), key=lambda c: c["grade_id"])
    return out


def run(course_folder, steps, emit):
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    try:  # nbgrader's gradebook code trips SQLAlchemy's autoflush warnings; they are not ours to fix
        from sqlalchemy.exc import SAWarning
        warnings.filterwarnings("ignore", category=SAWarning)
    except ImportError:  # pragma: no cover
        pass
    os.chdir(course_folder)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_folder)).load_config()
    api = NbGraderAPI(config=config)
    default_timeout = config.Execute.timeout
    for step in steps:
        start = time.perf_counter()
        kind, assignment, student = step["step"], step["assignment"], step.get("student")
        api.config.Execute.timeout = step.get("timeout") or default_timeout
        extra = {}
        if kind == "release":
            result = api.generate_assignment(assignment, force=True, create=True)
        elif kind == "autograde":
            result = api.autograde(assignment, student, force=True, create=True)
            if result.get("success"):
                extra["scores"] = submission_scores(api.coursedir, assignment, student)
        else:
            result = {"success": False, "error": f"unknown step {kind!r} (known: {', '.join(STEPS)})"}
        result = {k: result.get(k) for k in ("success", "log", "error")}
        result.update(extra, step=kind, assignment=assignment, student=student,
                      seconds=round(time.perf_counter() - start, 3))
        emit(result)


def main(argv=None):
    from autograder.runner import ENV_PARENT, die_with_parent

    die_with_parent(os.environ.get(ENV_PARENT))   # a grading worker killed mid-class takes us with it
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m autograder.nbgrader_worker COURSE_FOLDER < steps.json", file=sys.stderr)
        return 2
    steps = json.loads(sys.stdin.read())
    run(argv[0], steps, lambda r: print(PREFIX + json.dumps(r), flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
