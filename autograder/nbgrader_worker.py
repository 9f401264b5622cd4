"""Run a batch of nbgrader steps in one process, through nbgrader's own ``NbGraderAPI``.

Used by :class:`autograder.course_dir.CourseDir` as a subprocess::

    python -m autograder.nbgrader_worker BUILD_DIR  < steps.json

``steps.json`` is a list of ``{"step": "release"|"autograde"|"feedback", "assignment": ID,
"student": ID, "timeout": SECONDS}``. The configuration is the build directory's
``nbgrader_config.py`` only (not ~/.jupyter), so every machine grades alike. For each
step one line ``@@step {json}`` goes to stdout with nbgrader's result (``success``,
``log``, ``error``) and ``seconds``; the batch stops at the first failure. A
subprocess keeps nbgrader's traitlets state out of the caller; batching several
steps pays nbgrader's start-up (about 3 s of CPU) once.
"""

import json
import os
import sys
import time
import warnings

PREFIX = "@@step "


def run(build_dir, steps, emit):
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    try:  # nbgrader's gradebook code trips SQLAlchemy's autoflush warnings; they are not ours to fix
        from sqlalchemy.exc import SAWarning
        warnings.filterwarnings("ignore", category=SAWarning)
    except ImportError:  # pragma: no cover
        pass
    os.chdir(build_dir)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(build_dir)).load_config()
    api = NbGraderAPI(config=config)
    default_timeout = config.Execute.timeout
    for step in steps:
        start = time.perf_counter()
        kind, assignment, student = step["step"], step["assignment"], step.get("student")
        api.config.Execute.timeout = step.get("timeout") or default_timeout
        if kind == "release":
            result = api.generate_assignment(assignment, force=True, create=True)
        elif kind == "autograde":
            result = api.autograde(assignment, student, force=True, create=True)
        elif kind == "feedback":
            result = api.generate_feedback(assignment, student, force=True)
        else:
            result = {"success": False, "error": f"unknown step {kind!r}"}
        result = {k: result.get(k) for k in ("success", "log", "error")}
        result.update(step=kind, assignment=assignment, student=student,
                      seconds=round(time.perf_counter() - start, 3))
        emit(result)
        if not result["success"]:
            break


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m autograder.nbgrader_worker BUILD_DIR < steps.json", file=sys.stderr)
        return 2
    steps = json.loads(sys.stdin.read())
    run(argv[0], steps, lambda r: print(PREFIX + json.dumps(r), flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
