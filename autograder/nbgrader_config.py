# nbgrader configuration of the course (read by nbgrader, not imported).
#
# The course directory nbgrader works in (source/, release/, submitted/,
# autograded/, feedback/, gradebook.db) is the build directory, outside the
# sources: $COURSE_BUILD_DIR or <repo>/course_build. `course build` writes a
# small nbgrader_config.py there that loads this file and pins the root, so
# `nbgrader ...` commands run by hand from the build directory (formgrader,
# export) see the same course. Settings shared with the Python side live in
# autograder/config.py.
import os
import sys

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from autograder import config as _course  # noqa: E402

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = _course.COURSE_ID
c.CourseDirectory.root = _course.default_build_dir(_REPO)
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]

# Kernel, per-cell timeout (the build passes each notebook's own value from
# autograder/config.py on the command line), no retries: a timeout is a result.
c.Execute.kernel_name = _course.KERNEL_NAME
c.Execute.extra_arguments = list(_course.KERNEL_ARGUMENTS)
c.Execute.timeout = _course.DEFAULT_CELL_TIMEOUT
c.Execute.interrupt_on_timeout = True
# A cell that times out is interrupted and recorded as an error (0 points for a test cell); a
# kernel slow to answer after the interrupt must not abort the whole submission's grading.
c.Execute.raise_on_iopub_timeout = False
c.Execute.execute_retries = 0

# What students see in place of solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Output limits for autograded notebooks.
c.LimitOutput.max_lines = _course.MAX_OUTPUT_LINES
c.LimitOutput.max_traceback = _course.MAX_TRACEBACK_LINES

# Autograding creates students it has not seen (the build also adds them).
c.Autograde.create_student = True

# Autograding executes with autograder.execute.GradingExecute in place of nbgrader's Execute: a
# kernel that dies keeps the points of the cells that ran before it died (see that module).
from nbgrader.converters.autograde import Autograde as _Autograde  # noqa: E402

from autograder.execute import GradingExecute as _GradingExecute  # noqa: E402

c.Autograde.autograde_preprocessors = [
    _GradingExecute if p.__name__ == "Execute" else p
    for p in _Autograde.class_traits()["autograde_preprocessors"].default()
]
