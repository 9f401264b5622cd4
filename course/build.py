"""``course build``: the instructor's main job (run, release and verify the notebooks).

The work is done by ``autograder.build`` in the instructor's checkout (see
:mod:`course.checkout`).
"""

from course.checkout import run_from_checkout


def cli(argv):
    return run_from_checkout(
        "course build", "build",
        "course build [--fast|--full] [--only NAME] [--workers N] [--build-dir DIR] [--root DIR]", argv,
    )
