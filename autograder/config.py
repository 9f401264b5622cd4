"""Course-wide grading settings, in one place.

``autograder/nbgrader_config.py`` reads these for nbgrader, and
:mod:`autograder.course_dir` uses them to grade one notebook at a time (the
per-cell timeout depends on the notebook, which nbgrader's own configuration
cannot express). Plain constants: importing this needs nothing.
"""

import os

#: nbgrader course id (stored in the gradebook and in released notebooks).
COURSE_ID = "cnn-course"

#: Jupyter kernel that runs source notebooks and submissions. "python3" is the
#: kernel of the Python that runs the build (jupyter_client maps it to
#: ``sys.executable``), so the kernel sees the same installed packages.
KERNEL_NAME = "python3"
#: Extra kernel arguments: no history file, and the kernel's own log (e.g. ipykernel's
#: "running over TCP without encryption" warning) kept off the build's terminal.
KERNEL_ARGUMENTS = ("--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR")

#: Seconds one cell may run when autograding (grading always runs in fast mode)
#: and when the build executes a source notebook in fast mode. A notebook's
#: whole fast run must stay within 60 s on 2 CPU cores; the margin covers a
#: loaded grading machine. nbgrader's own default, 30 s, is too tight.
DEFAULT_CELL_TIMEOUT = 180
CELL_TIMEOUT = {
    "00_warmup": 60,
    "01_linear_classifiers": 180,
    "02_neural_networks": 300,
    "03_optimization": 300,
    # the longest cell, the degradation experiment, takes about 20 s on an idle 2-core CPU
    "04_convolutional_networks": 300,
    # its longest cells train 5 runs of the tiny CNN (about 3 s on an idle 2-core CPU, 4-5x that on slow ones)
    "05_regularization": 300,
    # EfficientNet-Lite0 at 64 px: its first fit (tracing the gradient of 200 layers) and the first load of the
    # ImageNet weights (converted once from the installed package, then cached) take tens of seconds on a slow CPU.
    "06_transfer_learning": 300,
    # The heaviest cell trains the CIFAR-10 CNN (about 5 s on an idle 2-core machine, 4-5x that on the
    # slowest CI machines); the first ImageNet cell may convert the pretrained weights once (no cache yet).
    "07_understanding_cnns": 300,
}

#: Seconds one cell may run when the build executes a source notebook in full
#: mode (real training on a GPU).
FULL_CELL_TIMEOUT = 3600

#: Output limits applied to autograded notebooks (nbgrader LimitOutput): a
#: submission that prints in a loop cannot bloat the gradebook or feedback.
MAX_OUTPUT_LINES = 1000
MAX_TRACEBACK_LINES = 100

#: Where the build writes release/, submitted/, autograded/, feedback/ and the
#: gradebook: ``$COURSE_BUILD_DIR`` or ``<repo>/course_build`` (git-ignored).
BUILD_DIR_ENV = "COURSE_BUILD_DIR"
DEFAULT_BUILD_DIR_NAME = "course_build"


def cell_timeout(assignment_id, full=False):
    """Per-cell timeout in seconds for ``assignment_id`` ("00_warmup", ...)."""
    if full:
        return FULL_CELL_TIMEOUT
    return CELL_TIMEOUT.get(assignment_id, DEFAULT_CELL_TIMEOUT)


def default_build_dir(repo_root):
    """The build directory: ``$COURSE_BUILD_DIR`` if set, else ``<repo_root>/course_build``."""
    env = os.environ.get(BUILD_DIR_ENV)
    return os.path.abspath(env) if env else os.path.join(os.path.abspath(repo_root), DEFAULT_BUILD_DIR_NAME)

#: `course grade` (autograder/grade.py): address-space limit of a grading kernel (MB), and the
#: total time budget of one notebook's autograde (seconds; default: a few cell timeouts).
GRADING_MEMORY_MB = 4096
#: Per-assignment address-space limits where the default is too small for the reference solution itself.
#: 06: TensorFlow with EfficientNet-Lite0, ResNet-9 and their traced functions reserves more than 4 GB of
#: address space (not of memory) by the from-scratch cell; under 4096 MB that kernel dies in grading.
GRADING_MEMORY_MB_FOR = {"06_transfer_learning": 8192}


def grading_memory_mb(assignment_id):
    """Address-space limit (MB) of a grading kernel for ``assignment_id``."""
    return GRADING_MEMORY_MB_FOR.get(assignment_id, GRADING_MEMORY_MB)
NOTEBOOK_TIMEOUT = {}


def notebook_timeout(assignment_id, cell_timeout=None):
    """Total seconds ``course grade`` allows one submission of ``assignment_id``."""
    if assignment_id in NOTEBOOK_TIMEOUT:
        return NOTEBOOK_TIMEOUT[assignment_id]
    return 60 + 4 * (cell_timeout or cell_timeout_default(assignment_id))


def cell_timeout_default(assignment_id):
    return CELL_TIMEOUT.get(assignment_id, DEFAULT_CELL_TIMEOUT)
