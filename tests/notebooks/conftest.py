"""One way to run a course notebook in a test: :func:`execute_notebook`.

Every notebook test executes its source notebook through this runner, so
they share one timeout policy and one environment:

* **per cell**: ``autograder.config.cell_timeout(id)``, the limit ``course
  build`` and grading use (a cell that hangs fails the test the way it would
  fail the build);
* **whole run**: :func:`fast_run_limit` seconds in fast mode (60 s for 00-03,
  90 s for 04-07, the course's promise on a 2-core CPU), times
  :data:`RUN_LIMIT_SLACK` because CI machines of the same kind differ by up
  to 4-5x in speed; ``ExecutedNotebook.assert_in_time()`` checks it;
* **environment**: the kernel environment of ``course build``
  (``CourseDir.kernel_env``), with ``COURSE_DATA_DIR`` pointing at real
  CIFAR-10 when the machine has it (``data="real"`` skips, saying why,
  when it has not; ``data="synthetic"`` hides it);
* the notebook runs in a temporary copy of its folder, so files it writes
  never land in the checkout.

:func:`execute_cells` runs a few code cells of a test's own in the same kind of
kernel (the tests of what a student's kernel shows when a check fails).

Use it from a module-scoped fixture, so a notebook runs once per module::

    @pytest.fixture(scope="module")
    def executed(execute_notebook):
        return execute_notebook("02_neural_networks")
"""

import shutil
import time
from dataclasses import dataclass, field

import pytest

from autograder import config

#: How much slower than the course's limit a fast run may be in a test (machine differences).
RUN_LIMIT_SLACK = 2.0


def fast_run_limit(assignment_id):
    """Seconds the whole fast-mode run of a notebook may take on a 2-core CPU (NOTEBOOKS.md)."""
    return 60 if int(assignment_id[:2]) <= 3 else 90


@dataclass
class ExecutedNotebook:
    assignment: str
    nb: object                      # nbformat.NotebookNode, with outputs
    seconds: float
    fast: bool
    env: dict = field(repr=False, default_factory=dict)

    def outputs(self, kind=None):
        """Every output of every cell, optionally only of one ``output_type``."""
        return [o for c in self.nb.cells for o in c.get("outputs", []) if kind in (None, o.get("output_type"))]

    @property
    def stdout(self):
        """All text the notebook printed (stdout streams), joined."""
        return "".join(o["text"] for o in self.outputs("stream") if o.get("name") == "stdout")

    @property
    def stderr(self):
        return [o["text"] for o in self.outputs("stream") if o.get("name") == "stderr"]

    def cell(self, grade_id):
        """The cell with this nbgrader ``grade_id``."""
        for c in self.nb.cells:
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                return c
        raise KeyError(f"{self.assignment}: no cell with grade_id {grade_id!r}")

    def text_of(self, grade_id):
        """What one cell printed."""
        return "".join(o.get("text", "") for o in self.cell(grade_id).get("outputs", [])
                       if o.get("output_type") == "stream")

    def assert_quiet(self):
        """Nothing on stderr (nbgrader gives 0 points to a test cell that writes there)."""
        assert not self.stderr, f"{self.assignment}: cells wrote to stderr:\n" + "\n".join(self.stderr)[:3000]

    def assert_in_time(self):
        limit = fast_run_limit(self.assignment)
        assert self.seconds <= limit * RUN_LIMIT_SLACK, (
            f"{self.assignment}: the fast run took {self.seconds:.1f} s; the course promises {limit} s on a "
            f"2-core CPU (this test allows {RUN_LIMIT_SLACK:g}x for slower machines)")


@pytest.fixture(scope="session")
def execute_notebook(tmp_path_factory, real_data_dir):
    """``execute_notebook(assignment_id, fast=True, data="default", append=()) -> ExecutedNotebook``.

    ``data``: ``"default"`` (real CIFAR-10 if the machine has it, else the
    synthetic fallback), ``"real"`` (skip when there is none), ``"synthetic"``
    (no ``COURSE_DATA_DIR``: the notebook falls back to the synthetic set).
    ``append``: sources of code cells run after the notebook's own, to look at
    the kernel's state (``print(recomputed_accuracy)``); keep them cheap, the
    run time includes them.
    Results are cached for the session: one run per (notebook, mode, data, append).
    """
    import nbformat
    from nbclient import NotebookClient

    from autograder.course_dir import CourseDir

    course = CourseDir()
    cache = {}

    def run(assignment_id, fast=True, data="default", append=()):
        if data not in ("default", "real", "synthetic"):
            raise ValueError(f"data must be 'default', 'real' or 'synthetic'; got {data!r}")
        key = (assignment_id, fast, data, tuple(append))
        if key in cache:
            return cache[key]
        a = course.assignment(assignment_id)
        env = course.kernel_env(fast=fast)
        real = real_data_dir
        if data == "synthetic":
            env.pop("COURSE_DATA_DIR", None)
        elif real is not None:
            env.setdefault("COURSE_DATA_DIR", str(real))
        elif data == "real":
            pytest.skip("real CIFAR-10 images not available: set COURSE_DATA_DIR to a folder holding "
                        "cifar-10-batches-py")
        workdir = tmp_path_factory.mktemp(a.id)
        shutil.copytree(a.source_dir, workdir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        nb = nbformat.read(str(a.notebook), as_version=4)
        nb.cells += [nbformat.v4.new_code_cell(src) for src in append]
        client = NotebookClient(nb, timeout=config.cell_timeout(a.id, full=not fast),
                                kernel_name=config.KERNEL_NAME, extra_arguments=list(config.KERNEL_ARGUMENTS),
                                allow_errors=False, resources={"metadata": {"path": str(workdir)}})
        start = time.perf_counter()
        client.execute(env=env)
        cache[key] = ExecutedNotebook(a.id, nb, time.perf_counter() - start, fast, env)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def execute_cells(tmp_path_factory):
    """``execute_cells(sources, allow_errors=False) -> nbformat.NotebookNode``: a few code cells in a fresh
    course kernel, with the same kernel, arguments, environment and per-cell timeout policy as the
    course notebooks (``DEFAULT_CELL_TIMEOUT``). For tests of what a student's kernel does with a check."""
    import nbformat
    from nbclient import NotebookClient

    from autograder.course_dir import CourseDir

    env = CourseDir().kernel_env(fast=True)

    def run(sources, allow_errors=False):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
        NotebookClient(nb, timeout=config.DEFAULT_CELL_TIMEOUT, kernel_name=config.KERNEL_NAME,
                       extra_arguments=list(config.KERNEL_ARGUMENTS), allow_errors=allow_errors,
                       resources={"metadata": {"path": str(tmp_path_factory.mktemp("cells"))}}).execute(env=env)
        return nb

    return run
