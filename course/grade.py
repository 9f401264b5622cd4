"""``course grade``: autograde a class of submissions.

The work is done by ``autograder.grade`` in the instructor's checkout (see
:mod:`course.checkout`).
"""

from course.checkout import run_from_checkout


def cli(argv):
    return run_from_checkout(
        "course grade", "grade",
        "course grade SUBMITTED_DIR [--workers N | --scheduler tcp://HOST:PORT] [--assignment NAME] "
        "[--build-dir DIR] [--root DIR]", argv,
    )
